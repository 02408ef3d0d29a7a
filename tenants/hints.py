"""A form field's hint as GOV.UK shows one, whichever form it comes from (the portal's own, Django's,
allauth's): its markup kept where it means something, never where it could run.

A hint is the field's `help_text`. Django's own templates render it unescaped, trusting whoever wrote
the form; the libraries put markup there (Django's password rules as an HTML list, allauth's
"Forgot your password?" as a link). So a hint marked safe by its author (`SafeString`: format_html,
mark_safe) keeps its lists, links and emphasis, styled as GOV.UK styles them, and nothing else: nh3
(the sanitiser the training modules' pages use, training/rendering.py) drops any other element (its
text kept, escaped), `script` and `style` with their content, every attribute but a link's address,
and an address that is not a page of the web (`javascript:`). A hint not marked safe (a translated
string, one holding something a person typed) is text, escaped whole, so `<b>` in it reads as `<b>`."""

from __future__ import annotations

from html import escape

import nh3
from django.utils.safestring import SafeData, mark_safe

# The elements kept, and GOV.UK's classes on those that have one (any class of the author's is replaced).
TAGS = {"ul", "ol", "li", "p", "strong", "b", "em", "i", "code", "a", "br"}
CLASSES = {
    "ul": "govuk-list govuk-list--bullet govuk-hint govuk-!-margin-bottom-0",
    "ol": "govuk-list govuk-list--number govuk-hint govuk-!-margin-bottom-0",
    "p": "govuk-hint govuk-!-margin-bottom-0",
    "a": "govuk-link",
}
DROPPED_WITH_CONTENT = {"script", "style", "template", "iframe", "object", "noscript", "textarea", "title"}
LINK_SCHEMES = {"http", "https", "mailto"}  # and addresses on the portal itself (relative ones)


def hint_html(text) -> str:
    """The hint ready for a page: markup of a hint marked safe, kept as above; any other, escaped."""
    if text is None:
        return ""
    text = str(text)  # a lazy hint becomes its text in the reader's language, keeping its safety
    if not isinstance(text, SafeData):
        return mark_safe(escape(text, quote=False))
    return mark_safe(
        nh3.clean(
            text,
            tags=TAGS,
            clean_content_tags=DROPPED_WITH_CONTENT,
            attributes={"a": {"href"}},
            url_schemes=LINK_SCHEMES,
            link_rel=None,
            set_tag_attribute_values={tag: {"class": value} for tag, value in CLASSES.items()},
        )
    )
