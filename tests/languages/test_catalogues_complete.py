"""Every catalogue is whole: each message translated, none fuzzy, no obsolete entries kept, the
same messages in the five languages, and msgfmt's format checks pass (placeholders kept)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parents[2] / "locale"
LANGUAGES = ["fr", "es", "pt", "ar", "sw"]


def _catalogue(language: str, domain: str = "django") -> Path:
    return LOCALE / language / "LC_MESSAGES" / f"{domain}.po"


def _ids(text: str) -> set[tuple[str, str]]:
    """(context, message id) of every entry, from the catalogue's text."""
    found = set()
    for block in text.split("\n\n"):
        lines = [line for line in block.splitlines() if not line.startswith("#")]
        context, msgid, current = "", "", None
        for line in lines:
            if line.startswith("msgctxt "):
                current, context = "ctx", line[8:].strip('"')
            elif line.startswith("msgid "):
                current, msgid = "id", line[6:].strip('"')
            elif line.startswith('"') and current:
                if current == "ctx":
                    context += line.strip('"')
                elif current == "id":
                    msgid += line.strip('"')
            else:
                current = None
        if msgid:
            found.add((context, msgid))
    return found


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext's msgfmt is needed to compile catalogues")
@pytest.mark.parametrize("domain", ["django", "djangojs"])
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalogue_is_whole_and_compiles_cleanly(language, domain):
    """django: the pages and the API; djangojs: the words of the pages' scripts."""
    path = _catalogue(language, domain)
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"^#~", text, re.M), "obsolete entries are kept: regenerate with makemessages --no-obsolete"
    result = subprocess.run(
        ["msgfmt", "--check-format", "--check-domain", "--statistics", "-o", "/dev/null", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    counts = re.search(
        r"(\d+) translated messages?(?:, (\d+) fuzzy translations?)?(?:, (\d+) untranslated messages?)?", result.stderr
    )
    assert counts, result.stderr
    translated, fuzzy, untranslated = (int(n or 0) for n in counts.groups())
    assert (fuzzy, untranslated) == (0, 0), f"{language}: {fuzzy} fuzzy, {untranslated} untranslated"
    assert translated > (2500 if domain == "django" else 1)  # the whole portal, not an empty file that compiles


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_the_five_catalogues_hold_the_same_messages(domain):
    reference = _ids(_catalogue("fr", domain).read_text(encoding="utf-8"))
    assert len(reference) > (2500 if domain == "django" else 1)
    for language in LANGUAGES[1:]:
        assert _ids(_catalogue(language, domain).read_text(encoding="utf-8")) == reference, language


def test_no_translation_function_goes_by_a_name_makemessages_does_not_read():
    """makemessages reads gettext, gettext_lazy, ngettext… and `_`: a string marked through another
    name (`gettext_lazy as _lazy`) never reaches a catalogue and stays English for every reader."""
    root = LOCALE.parent
    alias = re.compile(r"import\s+(?:[\w, ]+,\s*)?(\w*gettext\w*)\s+as\s+(?!_\b)(\w+)")
    found = []
    for app in ("portal", "gateway", "deployments", "engagements", "governance", "training", "tenants"):
        for path in (root / app).rglob("*.py"):
            found += [f"{path.relative_to(root)}: {m.group(0)}" for m in alias.finditer(path.read_text())]
    assert found == []
