"""Column headings of the data files a person downloads (CSV, spreadsheets): written in the
requester's language, or as the stable keys that programs read (docs/architecture.md, Languages).

Each file names its columns by key and gives a label for each key (lazy, from the catalogues); a
file read back in (a roster) accepts the key or its label in any of the portal's languages."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise

KEYS = "keys"  # the heading "language" of a file for programs: the stable keys themselves
Labels = Mapping[str, Promise | str]


def headings_of(value: str | None) -> str:
    """A stored or asked-for heading language: one of the portal's languages, else KEYS."""
    return value if value in dict(settings.LANGUAGES) else KEYS


def headings_in(keys: Iterable[str], labels: Labels, language: str) -> list[str]:
    """The headings of `keys` in `language`, or the keys themselves when `language` is KEYS (or empty)."""
    keys = list(keys)
    if not language or language == KEYS:
        return keys
    with translation.override(language):
        return [str(labels[key]) if key in labels else key for key in keys]


def heading_key(heading: str, labels: Labels) -> str | None:
    """The key a heading stands for: the key itself or its label in any of the portal's languages
    (case and surrounding spaces aside); None when it names none of them."""
    wanted = " ".join(heading.split()).casefold()
    if wanted in labels:
        return wanted
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            for key, label in labels.items():
                if " ".join(str(label).split()).casefold() == wanted:
                    return key
    return None
