"""Which way a language is written, for the `dir` beside every `lang` (DESIGN §8): a French name
inside an Arabic page runs left to right only if its element says so, and an Arabic text inside an
English page right to left."""

from __future__ import annotations

from django.conf import settings
from django.utils.html import format_html
from django.utils.safestring import SafeString


def direction(code: str) -> str:
    """The direction "rtl" for a language written right to left (Django's list, settings.LANGUAGES_BIDI, by the
    code or its base: "ar-eg" as "ar"), else "ltr"."""
    code = (code or "").strip().lower()
    return "rtl" if code in settings.LANGUAGES_BIDI or code.split("-")[0] in settings.LANGUAGES_BIDI else "ltr"


def language_attributes(code: str) -> SafeString:
    """The attributes of an element written in `code`: lang="fr" dir="ltr". A text whose language
    nobody recorded gets dir="auto" (the browser reads its direction from the text), and no lang."""
    code = (code or "").strip()
    if not code:
        return format_html('dir="auto"')
    return format_html('lang="{}" dir="{}"', code, direction(code))
