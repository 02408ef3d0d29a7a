"""The rules a new password follows (settings.AUTH_PASSWORD_VALIDATORS): Django's checks, with the
portal's own words for their refusals and hints, so that every page that sets a password (the
invitation, allauth's change, set and reset) says them in the reader's language from the portal's
catalogue (Django's catalogues lack some, and have no Swahili).

`password_rules_hint()` is the hint of every field where a password is chosen: the configured
validators' own help as a list, one rule an item, read when the page is drawn (in its reader's
language, and whatever the settings say then), never a sentence of its own that could say otherwise.
allauth's fields take the same list from Django (`password_validators_help_text_html`)."""

from __future__ import annotations

from django.contrib.auth import password_validation as django_rules
from django.utils.functional import lazy
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext


def _rules_html() -> SafeString:
    rules = django_rules.password_validators_help_texts()
    if not rules:
        return format_html("")
    return format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((rule,) for rule in rules)))


def password_rules_hint():
    """The configured rules as a list (marked safe: each rule escaped), lazily, for a field's hint."""
    return lazy(_rules_html, str, SafeString)()


class MinimumLengthValidator(django_rules.MinimumLengthValidator):
    def get_error_message(self) -> str:
        return ngettext(
            "This password is too short: use at least %(min_length)d character.",
            "This password is too short: use at least %(min_length)d characters.",
            self.min_length,
        ) % {"min_length": self.min_length}

    def get_help_text(self) -> str:
        return ngettext(
            "At least %(min_length)d character.", "At least %(min_length)d characters.", self.min_length
        ) % {"min_length": self.min_length}


class UserAttributeSimilarityValidator(django_rules.UserAttributeSimilarityValidator):
    def get_error_message(self) -> str:
        return gettext("This password is too close to your %(verbose_name)s: choose one that does not resemble it.")

    def get_help_text(self) -> str:
        return gettext("Not like your name, user name or email address.")


class CommonPasswordValidator(django_rules.CommonPasswordValidator):
    def get_error_message(self) -> str:
        return gettext("This password is one of the most common ones: choose one that is harder to guess.")

    def get_help_text(self) -> str:
        return gettext("Not a commonly used password.")


class NumericPasswordValidator(django_rules.NumericPasswordValidator):
    def get_error_message(self) -> str:
        return gettext("This password has only digits: add letters or other characters.")

    def get_help_text(self) -> str:
        return gettext("Not only digits.")
