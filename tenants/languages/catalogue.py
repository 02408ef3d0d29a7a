"""Texts of the platform's catalogue (policy templates, training programmes and their modules,
quizzes and links) in the reader's language (DESIGN §8). Their English is the message id: the code
that holds them marks each with gettext_noop, and the catalogues under locale/ translate them. A
text no catalogue translates yet is shown in English, marked lang="en" so that a screen reader
switches voice."""

from __future__ import annotations

from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language, gettext


def _reads_english() -> bool:
    return (get_language() or "en").split("-")[0] == "en"


def catalogue_plain(text: str) -> str:
    """The text in the reader's language where translated, else in English (for places that hold
    no markup: a page's <title>, a mail)."""
    return gettext(text) if text else text


def catalogue_text(text: str):
    """The text in the reader's language, or its English marked lang="en" (HTML)."""
    if not text:
        return text
    translated = gettext(text)
    if translated != text or _reads_english():
        return translated
    return format_html('<span lang="en" dir="ltr">{}</span>', text)


def catalogue_block(text: str, render) -> SafeString:
    """A long text (Markdown) in the reader's language, rendered by `render`; its English in a
    block marked lang="en" when no catalogue translates it yet."""
    translated = gettext(text) if text else text
    html = render(translated)
    if not text or translated != text or _reads_english():
        return html
    return format_html('<div lang="en" dir="ltr">{}</div>', html)
