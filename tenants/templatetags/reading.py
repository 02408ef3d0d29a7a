"""What the account page shows of one's language and time zone."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def reading_preferences(context) -> dict:
    from tenants.languages.models import Preferences

    request = context["request"]
    row = Preferences.objects.filter(user_id=request.user.pk).values("language", "time_zone").first() or {}
    return {
        "language": row.get("language", ""),
        "time_zone": row.get("time_zone", ""),
        "in_effect": getattr(request, "time_zone", ""),
    }


@register.simple_tag
def lang_dir(code):
    """`lang` and the matching `dir` of an element written in another language than the page:
    <p {% lang_dir entry.language %}>, never lang alone (tenants/languages/direction.py)."""
    from tenants.languages.direction import language_attributes

    return language_attributes(code)


@register.filter
def catalogue(text):
    """A text of the platform's catalogue (policy templates, training programmes, frameworks), in
    the reader's language when it has been translated, else in English marked lang="en"."""
    from tenants.languages.catalogue import catalogue_text

    return catalogue_text(text)


def _shipped(framework) -> bool:
    origin = framework.get("origin") if isinstance(framework, dict) else getattr(framework, "origin", None)
    return origin == "shipped"


@register.filter
def framework_text(text, framework):
    """A framework's text (its name, summary, a requirement's title or description): a framework
    the programme ships reads in the reader's language (governance/frameworks/shipped_texts.py), or
    in English marked lang="en"; an imported one's reads as written, in its own language."""
    if not _shipped(framework):
        return text
    from tenants.languages.catalogue import catalogue_text

    return catalogue_text(text)


@register.filter
def framework_plain(text, framework):
    """framework_text for places that hold no markup (a page's <title>)."""
    if not _shipped(framework):
        return text
    from tenants.languages.catalogue import catalogue_plain

    return catalogue_plain(text)


@register.simple_tag
def framework_lang_dir(framework):
    """`lang` and `dir` of an element holding a framework's text written in another language than
    the page: an imported framework's language; none for a shipped one, whose text is the reader's
    (or marked lang="en" itself where it is not translated yet)."""
    if _shipped(framework):
        return ""
    from tenants.languages.direction import language_attributes

    return language_attributes(framework.get("language") if isinstance(framework, dict) else framework.language)


@register.filter
def iso_date(value):
    """A date kept as text (YYYY-MM-DD, as records and snapshots hold it) in the reader's
    format; anything else is shown as it is."""
    from datetime import date

    from django.utils import formats

    if not value:
        return value
    try:
        day = date.fromisoformat(str(value))
    except ValueError:
        return value
    return formats.date_format(day, "DATE_FORMAT")


@register.filter
def language_name(code):
    """A language's name in the reader's language ("fr" → "French", "français" to a French
    reader); a code Django does not know is shown as it is, never a page error."""
    from django.utils.translation import get_language_info

    if not code:
        return code
    try:
        return str(get_language_info(str(code))["name_translated"])
    except KeyError:
        return code


@register.filter
def hint(text):
    """A field's hint as GOV.UK shows one (tenants/hints.py): the markup of a hint its author marked
    safe (Django's password rules as a bulleted list, allauth's link to the password reset) kept and
    styled, nothing that could run; any other hint escaped whole."""
    from tenants.hints import hint_html

    return hint_html(text)


@register.filter
def offers(choices, current) -> bool:
    """Whether a select's choices hold the value it has now (compared as text, as the options are
    written): when none does, the select offers an empty first choice selected, so that the browser
    does not show its first option as chosen when nothing is."""
    wanted = "" if current is None else str(current)
    return any(str(value) == wanted for value, _label in choices)
