"""The pages' scripts show no English of their own: each word they write goes through the
JavaScript catalogue (gettext, ngettext; locale/*/LC_MESSAGES/djangojs.po), which each page that
runs such a script loads before it, or comes from the page or the server already translated."""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = sorted(
    p
    for pattern in ("static/js/*.js", "*/static/**/*.js")
    for p in ROOT.glob(pattern)
    if "node_modules" not in p.parts and "build" not in p.parts and ".venv" not in p.parts
)
CATALOGUE_CALL = re.compile(r"\b(?:n?gettext|pgettext|npgettext)\(\s*(?:\"[^\"]*\"\s*,\s*)*\"[^\"]*\"")
LITERAL = re.compile(r"`(?:[^`\\]|\\.)*`|\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'")
WORD = re.compile(r"(?<![\w$.{-])[A-Za-z]{2,}(?:-[A-Za-z]+)*(?![\w(-])")


def _code(source: str) -> str:
    source = re.sub(r"/\*.*?\*/", "", source, flags=re.S)
    return "\n".join(re.sub(r"(^|\s)//.*$", "", line) for line in source.splitlines())


def _english(literal: str) -> list[str]:
    """The words of a string literal that a person would read: not a selector, attribute, header,
    keyword or interpolated value."""
    text = re.sub(r"\$\{[^}]*\}", " ", literal[1:-1])
    if re.fullmatch(r"[\w\s\[\]=\"'#.:,()*-]*", text) and ("[" in text or "=" in text or " " not in text.strip()):
        return []  # a selector, an attribute's name, a class list or one code word
    return [w for w in WORD.findall(text) if w not in {"govuk", "tag", "application", "json", "same", "origin"}]


def test_the_scripts_are_found():
    names = {p.name for p in SCRIPTS}
    assert {"progress.js", "data-progress.js", "report-progress.js"} <= names


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_script_writes_no_english_of_its_own(script):
    code = CATALOGUE_CALL.sub("gettext()", _code(script.read_text(encoding="utf-8")))
    english = {lit: words for lit in LITERAL.findall(code) if (words := _english(lit))}
    assert not english, f"words outside the catalogue: {english}"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_page_with_a_script_that_speaks_loads_the_catalogue_first(script):
    if not re.search(r"\bn?gettext\(", script.read_text(encoding="utf-8")):
        return
    static_name = "/".join(script.parts[script.parts.index("static") + 1 :])
    pages = [p for p in (ROOT / "templates").rglob("*.html") if f"'{static_name}'" in p.read_text(encoding="utf-8")]
    assert pages
    for page in pages:
        text = page.read_text(encoding="utf-8")
        catalogue = text.find("{% url 'javascript_catalogue' %}")
        assert -1 < catalogue < text.find(f"'{static_name}'"), page


@pytest.mark.django_db
@pytest.mark.parametrize(
    "language, expected",
    [
        ("fr", ["%(label)s – terminé", "valeurs sur %(total)s rechiffrées"]),
        ("es", ["%(label)s – hecho", "valores recifrados"]),
        ("pt", ["%(label)s – concluído", "valores recifrados"]),
        ("ar", ["%(label)s – تم", "أُعيد تشفير"]),
        ("sw", ["%(label)s – imekamilika", "zimesimbwa upya"]),
    ],
)
def test_the_catalogue_speaks_the_readers_language(client, cast, language, expected):
    from tenants.languages.models import Preferences

    Preferences.objects.filter(user=cast.member).update(language=language)
    client.force_login(cast.member)
    response = client.get("/jsi18n/")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/javascript")
    text = response.content.decode()
    for words in expected:
        assert json.dumps(words)[1:-1] in text, words  # as the catalogue's JSON writes it
