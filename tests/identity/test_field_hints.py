"""Field hints as a person reads them (tenants/hints.py): a hint's markup kept where its author put
it (allauth's link to the password reset, Django's list of password rules), nothing in it that could
run, and a hint not marked safe escaped whole. Every page where a password is chosen (the
invitation, allauth's change, set and reset) lists the rules the configured validators apply, read
from them when the page is drawn."""

from __future__ import annotations

import re
from html import unescape

import pytest
from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from django import forms
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from tenants import services
from tenants.access import access_for
from tenants.hints import hint_html
from tenants.isolation import country_context
from tenants.models import Invitation
from tests.languages.pseudo import visible_text

pytestmark = pytest.mark.django_db

RULES = [
    "At least 12 characters.",
    "Not like your name, user name or email address.",
    "Not a commonly used password.",
    "Not only digits.",
]
OLD_FIXED_HINT = "At least 12 characters. Avoid common words and your name."


def hint_of(html: str, field: str) -> str:
    found = re.search(rf'id="id_{field}-hint" class="govuk-hint">(.*?)</div>', html, flags=re.S)
    assert found, f"no hint for {field}"
    return found.group(1)


def rules_in(hint: str) -> list[str]:
    assert '<ul class="govuk-list govuk-list--bullet' in hint, hint
    return [unescape(rule) for rule in re.findall(r"<li>(.*?)</li>", hint)]


def words(html: str) -> str:
    return " ".join(visible_text(html).split())


# --- The hint itself ---------------------------------------------------------------------------------


def test_a_plain_hint_is_text_whatever_it_holds():
    assert hint_html("Use <b>bold</b> & more") == "Use &lt;b&gt;bold&lt;/b&gt; &amp; more"
    assert hint_html(gettext_lazy("For example, 2027-06-30.")) == "For example, 2027-06-30."
    assert hint_html(None) == "" and hint_html("") == ""


def test_a_safe_hint_keeps_its_links_and_lists_styled():
    shown = hint_html(mark_safe('<a href="/accounts/password/reset/">Forgot your password?</a>'))
    assert shown == '<a href="/accounts/password/reset/" class="govuk-link">Forgot your password?</a>'
    shown = hint_html(mark_safe('<ul class="mine"><li>One &amp; <strong>two</strong></li><li>Three</li></ul>'))
    assert shown == (
        '<ul class="govuk-list govuk-list--bullet govuk-hint govuk-!-margin-bottom-0">'
        "<li>One &amp; <strong>two</strong></li><li>Three</li></ul>"
    )


@pytest.mark.parametrize(
    "hostile, kept_text",
    [
        ("<script>alert(1)</script>Rules", "Rules"),
        ('<img src=x onerror="alert(1)">Rules', "Rules"),
        # A link to an address that is not a page of the web keeps its text, and no address.
        ('<a href="javascript:alert(1)">Rules</a>', '<a class="govuk-link">Rules</a>'),
        ('<a href=" JaVa&#115;cript:alert(1)">Rules</a>', '<a class="govuk-link">Rules</a>'),
        ('<a href="/reset/" onclick="alert(1)" style="x">Rules</a>', '<a href="/reset/" class="govuk-link">Rules</a>'),
        (
            '<ul><li onmouseover="alert(1)">Rules',
            '<ul class="govuk-list govuk-list--bullet govuk-hint govuk-!-margin-bottom-0"><li>Rules</li></ul>',
        ),
        ("<style>*{display:none}</style><iframe src=//x>inner</iframe>Rules", "Rules"),
        ('Rules</div><div onclick="x">', "Rules"),
    ],
)
def test_nothing_in_a_safe_hint_can_run(hostile, kept_text):
    shown = hint_html(mark_safe(hostile))
    assert shown == kept_text, shown
    assert not re.search(r"script|onerror|onclick|onmouseover|<img|<iframe|<style|style=", shown, flags=re.I)


def test_a_safe_hint_is_cleaned_by_nh3_with_govuk_classes_in_place_of_the_authors():
    """The sanitiser is nh3's (an allow-list parser of the HTML5 standard), not one of the portal's own:
    markup it parses as a browser would (an unclosed list, a comment, a `<p>` in a `<p>`) comes out
    whole, and each kept element has GOV.UK's class, never one its author gave."""
    shown = hint_html(mark_safe('<p class="evil">One<!-- a comment --><p>Two</p><ol><li>Three'))
    assert shown == (
        '<p class="govuk-hint govuk-!-margin-bottom-0">One</p><p class="govuk-hint govuk-!-margin-bottom-0">Two</p>'
        '<ol class="govuk-list govuk-list--number govuk-hint govuk-!-margin-bottom-0"><li>Three</li></ol>'
    )
    assert hint_html(mark_safe('<a href="mailto:help@example.org" rel="x" target="_blank">Write</a>')) == (
        '<a href="mailto:help@example.org" class="govuk-link">Write</a>'
    )


def test_every_field_include_shows_a_hint_through_the_same_rules():
    """The portal's own field templates, as allauth's: a typed value in a hint is text."""

    class Form(forms.Form):
        name = forms.CharField(help_text="Typed by someone: <script>alert(1)</script>")
        rules = forms.CharField(help_text=mark_safe('<ul><li>One</li></ul><a href="/help/">Help</a>'))

    form = Form()
    for template in ("includes/field_input.html", "includes/field_select.html", "engagements/_textarea.html"):
        html = render_to_string(template, {"field": form["name"]})
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html, template
        html = render_to_string(template, {"field": form["rules"]})
        assert '<a href="/help/" class="govuk-link">Help</a>' in html, template
        assert rules_in(html) == ["One"], template


# --- allauth's pages ------------------------------------------------------------------------------------


def test_the_password_change_page_links_to_the_reset_and_lists_the_rules(client, cast):
    client.force_login(cast.member)
    html = client.get("/accounts/password/change/").content.decode()
    current = hint_of(html, "oldpassword")
    assert current == '<a href="/accounts/password/reset/" class="govuk-link">Forgot your password?</a>', current
    assert rules_in(hint_of(html, "password1")) == RULES
    text = words(html)
    assert "Forgot your password?" in text and "<a" not in text and "&lt;" not in html.split("<main", 1)[-1]
    assert OLD_FIXED_HINT not in text


def test_the_set_password_page_lists_the_rules(client, cast):
    cast.member.set_unusable_password()  # as for a person who signs in through their country's provider
    cast.member.save()
    client.force_login(cast.member)
    response = client.get("/accounts/password/set/")
    assert response.status_code == 200
    assert rules_in(hint_of(response.content.decode(), "password1")) == RULES


def test_the_reset_page_lists_the_rules(client, cast):
    key = default_token_generator.make_token(cast.member)
    form = client.get(f"/accounts/password/reset/key/{user_pk_to_url_str(cast.member)}-{key}/", follow=True)
    assert form.status_code == 200 and form.redirect_chain
    assert rules_in(hint_of(form.content.decode(), "password1")) == RULES


# --- The invitation ---------------------------------------------------------------------------------------


def invitation_url(cast) -> str:
    membership = services.member_invite(
        country=cast.fr,
        by=cast.owner,
        access=access_for(cast.owner),
        email="ines.invitee@example.org",
        first_name="Inès",
        last_name="Invitee",
        organisation=cast.fr_agency,
        role="officer",
    )
    with country_context(cast.fr):
        invitation = Invitation.objects.get(membership=membership)
    return f"/accounts/invitation/{services.invitation_token(invitation)}/"


def test_the_invitation_lists_the_rules_the_validators_apply(client, cast, settings):
    url = invitation_url(cast)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(url).content.decode()
    assert rules_in(hint_of(html, "password")) == RULES
    assert OLD_FIXED_HINT not in words(html)
    # Other rules configured: the page says those, and the refusal agrees with it.
    settings.AUTH_PASSWORD_VALIDATORS = [
        {"NAME": "tenants.identity.passwords.MinimumLengthValidator", "OPTIONS": {"min_length": 20}},
        {"NAME": "tenants.identity.passwords.NumericPasswordValidator"},
    ]
    from django.contrib.auth.password_validation import get_default_password_validators

    get_default_password_validators.cache_clear()
    try:
        html = client.get(url).content.decode()
        assert rules_in(hint_of(html, "password")) == ["At least 20 characters.", "Not only digits."]
        refused = client.post(url, {"password": "sixteen-chars-ok", "password_again": "sixteen-chars-ok"})
        assert refused.status_code == 400 and "use at least 20 characters" in words(refused.content.decode())
    finally:
        get_default_password_validators.cache_clear()


def test_the_invitation_rules_are_in_the_readers_language(client, cast):
    html = client.get(invitation_url(cast), HTTP_ACCEPT_LANGUAGE="en").content.decode()  # France's default: French
    assert '<html lang="fr"' in html
    assert "Au moins 12 caractères." in rules_in(hint_of(html, "password"))
