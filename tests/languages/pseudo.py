"""A pseudo language for the suite: every message of the portal's catalogue, wrapped in markers
(⟪…⟫), compiled into a catalogue of its own at test time. A page rendered in it shows any text that
was not marked for translation outside the markers."""

from __future__ import annotations

import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
SOURCE = ROOT / "locale" / "fr" / "LC_MESSAGES" / "django.po"  # every msgid of the portal
CODE = "qps"
OPEN, CLOSE = "⟪", "⟫"


def _catalogues() -> list[str]:
    """The portal's catalogue first, then those of the libraries whose texts the pages show
    (Django's dates and forms, its humanised times, allauth's sign-in pages, DRF's errors)."""
    import allauth
    import django
    import rest_framework

    libraries = [
        Path(django.__file__).parent / "conf",
        Path(django.__file__).parent / "contrib" / "humanize",
        Path(allauth.__file__).parent,
        Path(rest_framework.__file__).parent,
    ]
    found = [str(SOURCE)]
    found += [str(p) for p in (lib / "locale" / "fr" / "LC_MESSAGES" / "django.po" for lib in libraries) if p.exists()]
    return found


def build_catalogue(into: Path) -> Path:
    """locale/<CODE>/LC_MESSAGES/django.mo under `into`, from the portal's message ids."""
    target = into / CODE / "LC_MESSAGES"
    target.mkdir(parents=True, exist_ok=True)
    merged = subprocess.run(["msgcat", "--use-first", *_catalogues()], check=True, capture_output=True).stdout
    # The catalogues are translated ones (French): empty every translation, then let msgen copy
    # each English message id into it, so that the markers wrap the English text.
    emptied = subprocess.run(
        ["msgfilter", "--keep-header", "-o", "-", "sed", "-e", "d"], input=merged, check=True, capture_output=True
    ).stdout
    english = subprocess.run(["msgen", "-"], input=emptied, check=True, capture_output=True).stdout
    pseudo = subprocess.run(
        ["msgfilter", "--keep-header", "-o", "-", "sed", "-e", f"1s/^/{OPEN}/", "-e", f"$s/$/{CLOSE}/"],
        input=english,
        check=True,
        capture_output=True,
    ).stdout
    (target / "django.po").write_bytes(pseudo)
    subprocess.run(["msgfmt", "-o", str(target / "django.mo"), str(target / "django.po")], check=True)
    return into


class _Text(HTMLParser):
    """The text a person sees: text nodes outside script and style, each tag a boundary. Text in
    code, kbd and samp is machine text (commands, file names, identifiers), in no language. Text in
    an element marked with another language than the page's (lang="en" inside a French page) is
    content declared as written in that language (DESIGN §8: imported frameworks, officers' texts, a
    catalogue text not yet translated): it is not the page's own text."""

    SKIP = {"script", "style", "code", "kbd", "samp"}
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self, page_language: str | None = None):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0
        self.page_language = page_language
        self._foreign: list[list] = []  # [tag, depth] of the elements in another language

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self._skip += 1
        if tag not in self.VOID:
            if self._foreign and self._foreign[-1][0] == tag:
                self._foreign[-1][1] += 1
            language = dict(attrs).get("lang")
            if tag == "html":
                self.page_language = self.page_language or language
            elif language and self.page_language and language != self.page_language:
                self._foreign.append([tag, 1])
        self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self._skip = max(0, self._skip - 1)
        if self._foreign and self._foreign[-1][0] == tag:
            self._foreign[-1][1] -= 1
            if not self._foreign[-1][1]:
                self._foreign.pop()
        self.parts.append("\n")

    def handle_data(self, data):
        if not self._skip and not self._foreign:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return "".join(parser.parts)


# A translated text may hold another (a label inside a sentence, a month inside a date): the
# innermost pair of markers goes first, until none is left.
INNERMOST = re.compile(f"{OPEN}[^{OPEN}{CLOSE}]*{CLOSE}")
GAP = "\x00"


def _unmarked(text: str) -> str:
    """The text with every marked message (nested ones included) replaced by a boundary."""
    while True:
        text, count = INNERMOST.subn(GAP, text)
        if not count:
            return text.replace(GAP, "\n")


# Tokens that are not words of a language: addresses, hashes, identifiers made of hyphenated
# parts with digits (certificate numbers, file names), paths, identifiers, references such as
# "Art. 10" or "GOVERN 1", numbers.
TOKENS = re.compile(
    r"https?://\S+|[\w.+-]+@[\w.-]+|\b(?=[\w-]*\d)[A-Za-z0-9]+(?:-[A-Za-z0-9]+){2,}\b|\b[0-9a-f]{8,}…?|/[\w./<>{}:-]+|\b\w+_\w+\b|\b[A-Z]{2,}\b|\b\d[\d\s.,:/%+-]*",
    re.UNICODE,
)
WORD = re.compile(r"[^\W\d_]{2,}", re.UNICODE)


def untranslated(html: str, data: list[str], allowed: set[str]) -> list[str]:
    """Runs of visible text that are neither marked nor data a person typed or the demo seeded
    (each data value removed where it stands as whole words)."""
    found = []
    for run in _unmarked(visible_text(html)).split("\n"):
        rest = run.strip()
        if not WORD.search(TOKENS.sub(" ", rest)):
            continue
        for value in data:
            if value in rest:
                rest = re.sub(rf"(?<!\w){re.escape(value)}(?!\w)", " ", rest)
        rest = TOKENS.sub(" ", rest)
        words = [w for w in WORD.findall(rest) if w not in allowed]
        if words:
            found.append(run.strip())
    return found
