"""A form field's hint as GOV.UK shows one, whichever form it comes from (the portal's own, Django's,
allauth's): its markup kept where it means something, never where it could run.

A hint is the field's `help_text`. Django's own templates render it unescaped, trusting whoever wrote
the form; the libraries put markup there (Django's password rules as an HTML list, allauth's
"Forgot your password?" as a link). So a hint marked safe by its author (`SafeString`: format_html,
mark_safe) keeps its lists, links and emphasis, styled as GOV.UK styles them, and nothing else: any
other element is dropped (its text kept, escaped), `script` and `style` with their content, every
attribute but a link's address, and an address that is not a page of the web (`javascript:`).
A hint not marked safe (a translated string, one holding something a person typed) is text,
escaped whole, so `<b>` in it reads as `<b>`."""

from __future__ import annotations

from html import escape
from html.parser import HTMLParser
from urllib.parse import urlsplit

from django.utils.safestring import SafeData, mark_safe

# What each kept element becomes (GOV.UK's classes); elements without a class of their own stay bare.
KEPT = {
    "ul": '<ul class="govuk-list govuk-list--bullet govuk-hint govuk-!-margin-bottom-0">',
    "ol": '<ol class="govuk-list govuk-list--number govuk-hint govuk-!-margin-bottom-0">',
    "li": "<li>",
    "p": '<p class="govuk-hint govuk-!-margin-bottom-0">',
    "strong": "<strong>",
    "b": "<strong>",
    "em": "<em>",
    "i": "<em>",
    "code": "<code>",
    "a": None,  # with its address only (_link)
}
CLOSING = {"b": "strong", "i": "em"}
VOID = {"br"}
DROPPED_WITH_CONTENT = {"script", "style", "template", "iframe", "object", "noscript", "textarea", "title"}
LINK_SCHEMES = {"", "http", "https", "mailto"}


class _Sanitiser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.open: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in DROPPED_WITH_CONTENT:
            self.skipping += 1
            return
        if self.skipping:
            return
        if tag in VOID:
            self.parts.append("<br>")
        elif tag == "a":
            link = _link(dict(attrs).get("href"))
            if link:  # an address that is not a page of the web: its text only
                self.parts.append(link)
                self.open.append(tag)
        elif tag in KEPT:
            self.parts.append(KEPT[tag])
            self.open.append(tag)

    def handle_startendtag(self, tag, attrs):
        if tag in VOID and not self.skipping:
            self.parts.append("<br>")

    def handle_endtag(self, tag):
        if tag in DROPPED_WITH_CONTENT:
            self.skipping = max(0, self.skipping - 1)
            return
        if self.skipping or tag not in self.open:
            return  # a stray end tag, or one of an element dropped
        while self.open:  # close what was left open inside it, then it
            inner = self.open.pop()
            self.parts.append(f"</{CLOSING.get(inner, inner)}>")
            if inner == tag:
                break

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(escape(data, quote=False))

    def result(self) -> str:
        self.close()
        while self.open:
            inner = self.open.pop()
            self.parts.append(f"</{CLOSING.get(inner, inner)}>")
        return "".join(self.parts)


def _link(href: str | None) -> str:
    href = (href or "").strip()
    try:
        scheme = urlsplit(href).scheme.lower()
    except ValueError:
        scheme = "invalid"
    if not href or scheme not in LINK_SCHEMES:
        return ""
    return f'<a class="govuk-link" href="{escape(href, quote=True)}">'


def hint_html(text) -> str:
    """The hint ready for a page: markup of a hint marked safe, kept as above; any other, escaped."""
    if text is None:
        return ""
    text = str(text)  # a lazy hint becomes its text in the reader's language, keeping its safety
    if not isinstance(text, SafeData):
        return mark_safe(escape(text, quote=False))
    sanitiser = _Sanitiser()
    sanitiser.feed(text)
    return mark_safe(sanitiser.result())
