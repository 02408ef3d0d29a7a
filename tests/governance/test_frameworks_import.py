"""Frameworks as data: the shipped library, imports of the portal's format and of CISO Assistant
libraries, refusals by file and line that leave nothing half-imported, versions that keep the
earlier ones readable, the management command and the admin's import page."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from governance.frameworks import loading
from governance.frameworks.reading import FrameworkFileError
from governance.frameworks.services import framework_import
from governance.models import Framework, Requirement, RequirementMapping
from tenants.errors import NotAllowed
from tenants.record.models import PlatformEvent

pytestmark = pytest.mark.django_db
FILES = Path(__file__).parent / "files"
V1 = (FILES / "national-ai-law-v1.yaml").read_text()


def state() -> tuple:
    """Everything an import could change."""
    return (
        sorted(Framework.objects.values_list("slug", "version", "is_current", "name", "content_sha256")),
        Requirement.objects.count(),
        sorted(RequirementMapping.objects.values_list("source_id", "target_id", "relationship")),
        PlatformEvent.objects.filter(action="framework.imported").count(),
    )


def refused(*files: tuple[str, str | bytes]) -> list:
    before = state()
    with pytest.raises(FrameworkFileError) as caught:
        framework_import(files=[(n, d.encode() if isinstance(d, str) else d) for n, d in files])
    assert state() == before, "a refused import changed something"
    return caught.value.problems


# --- The shipped library ---------------------------------------------------------------------------

ORIGINAL_CODES = {
    "eu-ai-act": [f"aia-{i}" for i in range(1, 15)],
    "gdpr": [f"gdpr-{i}" for i in range(1, 14)],
    "iso-42001": [f"iso-{i}" for i in range(1, 12)],
    "nist-ai-rmf": [f"nist-{i}" for i in range(1, 12)],
}


def test_the_seven_shipped_frameworks_are_loaded_with_references_and_mappings():
    current = {f.slug: f for f in Framework.objects.filter(is_current=True)}
    assert set(current) == {*ORIGINAL_CODES, "oecd-ai-principles", "unesco-ai-ethics", "sg-genai-governance"}
    for slug, codes in ORIGINAL_CODES.items():
        assessable = Requirement.objects.filter(framework=current[slug], assessable=True)
        assert sorted(assessable.values_list("code", flat=True)) == sorted(codes), slug
    for framework in current.values():
        assert framework.source_url.startswith("https://") and framework.origin == "shipped"
        for requirement in Requirement.objects.filter(framework=framework, assessable=True):
            assert requirement.references and all(
                r.get("url", "").startswith("https://") for r in requirement.references
            )
    # A tree: UNESCO's principles sit under their heading.
    principle = Requirement.objects.get(framework=current["unesco-ai-ethics"], code="unesco-p6")
    assert (principle.parent.code, principle.depth, principle.parent.assessable) == ("unesco-principles", 2, False)
    assert RequirementMapping.objects.filter(
        source__code="iso-3", target__code="nist-2", relationship="equal", source__framework__slug="iso-42001"
    ).exists()
    assert RequirementMapping.objects.filter(source__framework__slug="sg-genai-governance").count() == 5


def test_loading_the_shipped_library_again_changes_nothing():
    before = state()
    outcomes = loading.shipped_load()
    assert {o.status for o in outcomes} == {"unchanged"}
    assert state() == before


# --- Valid imports ---------------------------------------------------------------------------------


def test_a_country_framework_in_the_portal_format_is_imported_with_its_tree_and_mappings():
    outcomes = framework_import(files=[("national-ai-law-v1.yaml", V1.encode())])
    assert [(o.slug, o.version, o.status, o.requirements, o.mappings) for o in outcomes] == [
        ("national-ai-law", 1, "created", 3, 1)
    ]
    framework = Framework.objects.get(slug="national-ai-law")
    assert (framework.language, framework.origin, framework.is_current) == ("fr", "imported", True)
    article = Requirement.objects.get(framework=framework, code="art-1")
    assert (article.parent.code, article.depth, article.references[0]["locator"]) == ("titre-1", 2, "Art. 1")
    mapping = RequirementMapping.objects.get(source__framework=framework)
    assert (mapping.target.framework.slug, mapping.target.code, mapping.relationship) == ("gdpr", "gdpr-6", "superset")
    event = PlatformEvent.objects.get(action="framework.imported")
    assert event.payload["slug"] == "national-ai-law" and event.payload["requirements"] == 3


def test_a_ciso_assistant_library_is_imported():
    data = (FILES / "ciso-alpha.yaml").read_bytes()
    [outcome] = framework_import(files=[("ciso-alpha.yaml", data)])
    assert (outcome.slug, outcome.version, outcome.status) == ("ciso-alpha-guidance", 3, "created")
    framework = Framework.objects.get(slug="ciso-alpha-guidance")
    assert (framework.origin, framework.urn, framework.publisher) == (
        "ciso_assistant",
        "urn:test:risk:framework:alpha-guidance",
        "Test ministry",
    )
    rows = list(Requirement.objects.filter(framework=framework).order_by("position"))
    assert [(r.code, r.depth, r.assessable) for r in rows] == [
        ("chapter-1", 1, False),
        ("1-1", 2, True),
        ("1-2", 2, True),
        ("chapter-2", 1, False),
        ("2-1", 2, True),
    ]
    assert rows[1].parent == rows[0] and rows[1].title == "A named owner answers for each system"
    assert rows[1].reference == "1.1" and rows[1].urn == "urn:test:risk:req_node:alpha-guidance:1.1"


def test_a_ciso_assistant_mapping_set_links_two_libraries_imported_together():
    files = [(name, (FILES / name).read_bytes()) for name in ("ciso-beta-with-mapping.yaml", "ciso-alpha.yaml")]
    framework_import(files=files)
    mappings = RequirementMapping.objects.filter(source__framework__slug="ciso-beta-rules")
    assert sorted((m.source.code, m.target.code, m.relationship) for m in mappings) == [
        ("r1", "1-1", "equal"),
        ("r2", "2-1", "intersect"),
    ]


# --- Refusals by line, nothing half-imported -------------------------------------------------------

BROKEN = {
    "malformed YAML": (V1.replace("  version: 1\n", "  version: 1\n   oops: [\n"), 7, "not valid YAML"),
    "a wrong type": (V1.replace("  version: 1\n", "  version: one\n"), 6, "expected a whole number, found text"),
    "a duplicate id": (V1.replace("  - id: art-2\n", "  - id: art-1\n"), 25, "“art-1” is used twice"),
    "a dangling parent": (
        V1.replace("    parent: titre-1\n    reference: Art. 2", "    parent: titre-9\n    reference: Art. 2"),
        26,
        "“titre-9” is not an id",
    ),
    "an unknown key": (
        V1.replace("  publisher: Parlement\n", "  publisher: Parlement\n  editor: Someone\n"),
        10,
        "“editor” is not a known key",
    ),
    "a key written twice": (
        V1.replace("  publisher: Parlement\n", "  publisher: Parlement\n  publisher: Again\n"),
        10,
        "appears twice",
    ),
    "a bad mapping relationship": (
        V1.replace("relationship: superset", "relationship: roughly"),
        32,
        "not one of equal",
    ),
    "a mapping to nothing": (V1.replace('"gdpr:gdpr-6"', '"gdpr:gdpr-99"'), 30, "gdpr:gdpr-99"),
    "an alias": (
        V1.replace("  summary: Obligations", "  summary: &s Obligations").replace(
            "  publisher: Parlement", "  publisher: *s"
        ),
        9,
        "aliases",
    ),
    "two documents": (V1 + "---\nformat: portal-framework/1\n", 34, "more than one YAML document"),
    "a Python tag": (
        V1.replace("  publisher: Parlement", "  publisher: !!python/object/apply:os.system ['true']"),
        9,
        "not accepted",
    ),
    "no format line": (V1.replace("format: portal-framework/1\n", ""), 2, "neither accepted format"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_broken_file_is_refused_by_line_and_nothing_is_imported(case):
    text, line, words = BROKEN[case]
    problems = refused(("law.yaml", text))
    assert problems, case
    first = problems[0]
    assert first.file == "law.yaml"
    assert first.line == line, (case, [str(p) for p in problems])
    assert words in first.message, (case, first.message)
    assert str(first).startswith(f"law.yaml:{line}: ")


def test_a_parent_written_after_its_child_is_named():
    text = V1.replace("  - id: titre-1\n    title: Dispositions générales\n    assessable: false\n", "")
    text = text.replace("mappings:", "  - {id: titre-1, title: Plus tard, assessable: false}\nmappings:")
    problems = refused(("law.yaml", text))
    assert problems[0].line == 15 and "written after this requirement" in problems[0].message


@pytest.mark.parametrize(
    "data, words",
    [
        (b"", "empty"),
        (b"   \n\n", "empty"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
        (b"format: portal-framework/1\nframework: \x00\n", "NUL"),
        (b"- just\n- a list\n", "neither accepted format"),
        (b"plain words", "neither accepted format"),
        (b"[" * 5000 + b"]" * 5000, "YAML"),
        (b"a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n", "aliases"),
        (b"? [complex, key]\n: value\n", "plain word"),
        (b"format: portal-framework/1\nframework: {slug: Bad Slug!, name: x, version: 1}\nrequirements: []\n", "slug"),
    ],
)
def test_odd_input_is_refused_with_a_clear_message(data, words):
    problems = refused(("odd.yaml", data))
    assert any(words in p.message for p in problems), [str(p) for p in problems]


def test_every_mangled_version_of_a_good_file_is_either_loaded_or_refused_with_problems():
    """A small fuzz: cut, flip and splice the good file; reading never fails any other way."""
    rng = random.Random(18)
    data = V1.encode()
    for _ in range(300):
        mangled = bytearray(data)
        for _edit in range(rng.randint(1, 4)):
            at = rng.randrange(len(mangled))
            choice = rng.random()
            if choice < 0.3:
                del mangled[at : at + rng.randint(1, 20)]
            elif choice < 0.6:
                mangled[at] = rng.randrange(256)
            else:
                mangled[at:at] = rng.choice([b":", b"- ", b"  ", b"\n", b"'", b"{", b"*x", b"&x ", b"!!binary ", b"\t"])
        try:
            loading.read_file(bytes(mangled), name="fuzz.yaml")
        except FrameworkFileError as error:
            assert error.problems and all(p.message for p in error.problems)


def test_a_broken_second_file_leaves_the_first_unimported():
    broken = V1.replace("national-ai-law", "other-law").replace("  version: 1\n", "  version: 0\n")
    problems = refused(("good.yaml", V1), ("bad.yaml", broken))
    assert [(p.file, p.line) for p in problems] == [("bad.yaml", 6)]


def test_a_mapping_that_fails_after_the_framework_was_written_rolls_it_back():
    """The framework part is sound; only resolving the mapping against the database fails, after
    the framework rows were written in the transaction: they go too."""
    problems = refused(("law.yaml", V1.replace('"gdpr:gdpr-6"', '"nist-ai-rmf:nist-99"')))
    assert problems[0].line == 30 and "not loaded" in problems[0].message
    assert not Framework.objects.filter(slug="national-ai-law").exists()


def test_a_ciso_library_with_a_dangling_parent_is_refused_by_line():
    text = (
        (FILES / "ciso-alpha.yaml")
        .read_text()
        .replace(
            "parent_urn: urn:test:risk:req_node:alpha-guidance:ch2",
            "parent_urn: urn:test:risk:req_node:alpha-guidance:ch9",
        )
    )
    problems = refused(("ciso.yaml", text))
    assert problems[0].line == 47 and "names no node" in problems[0].message


def test_only_a_platform_admin_imports(cast):
    with pytest.raises(NotAllowed):
        framework_import(files=[("law.yaml", V1.encode())], by=cast.owner)
    assert not Framework.objects.filter(slug="national-ai-law").exists()


# --- Versions --------------------------------------------------------------------------------------


def test_versions_are_kept_side_by_side_and_older_or_shrunk_files_are_refused():
    framework_import(files=[("v1.yaml", V1.encode())])
    v2 = V1.replace("  version: 1\n", "  version: 2\n").replace(
        "mappings:", "  - {id: art-3, parent: titre-1, reference: Art. 3, title: Nouvel article}\nmappings:"
    )
    [outcome] = framework_import(files=[("v2.yaml", v2.encode())])
    assert outcome.status == "new_version"
    versions = {f.version: f for f in Framework.objects.filter(slug="national-ai-law")}
    assert (versions[1].is_current, versions[2].is_current) == (False, True)
    assert Requirement.objects.filter(framework=versions[1]).count() == 3
    assert Requirement.objects.filter(framework=versions[2]).count() == 4

    problems = refused(("v1-again.yaml", V1.replace("Dispositions générales", "Autre titre")))
    assert problems[0].line == 6 and "older than the loaded version 2" in problems[0].message

    shrunk = v2.replace("  - {id: art-3, parent: titre-1, reference: Art. 3, title: Nouvel article}\n", "")
    problems = refused(("v2-shrunk.yaml", shrunk))
    assert "art-3" in problems[0].message and "new version number" in problems[0].message

    grown = v2.replace("mappings:", "  - {id: art-4, title: Encore un article}\nmappings:")
    [outcome] = framework_import(files=[("v2-grown.yaml", grown.encode())])
    assert outcome.status == "updated"
    assert Requirement.objects.filter(framework=versions[2]).count() == 5
    [outcome] = framework_import(files=[("v2-grown.yaml", grown.encode())])
    assert outcome.status == "unchanged"


def test_mappings_towards_a_framework_follow_it_to_its_new_version():
    framework_import(files=[("law.yaml", V1.encode())])
    # The national law maps art-2 onto GDPR's gdpr-6; a GDPR version 2 keeps that mapping.
    gdpr = (loading.LIBRARY / "gdpr.yaml").read_text().replace("  version: 1\n", "  version: 2\n")
    framework_import(files=[("gdpr-v2.yaml", gdpr.encode())])
    targets = RequirementMapping.objects.filter(source__framework__slug="national-ai-law", source__code="art-2")
    assert sorted(targets.values_list("target__framework__version", flat=True)) == [1, 2]


# --- The command and the admin ---------------------------------------------------------------------


def test_the_command_imports_and_reports_problems_by_file_and_line(tmp_path, capsys):
    good = tmp_path / "law.yaml"
    good.write_text(V1)
    call_command("import_framework", str(good), "--dry-run")
    assert not Framework.objects.filter(slug="national-ai-law").exists()
    call_command("import_framework", str(good))
    out = capsys.readouterr().out
    assert "national-ai-law v1" in out and "created" in out
    bad = tmp_path / "bad.yaml"
    bad.write_text(V1.replace("national-ai-law", "other-law").replace("  version: 1\n", "  version: one\n"))
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_framework", str(bad))
    assert "bad.yaml:6: framework.version: expected a whole number" in capsys.readouterr().err
    assert not Framework.objects.filter(slug="other-law").exists()


@pytest.fixture
def platform_admin(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.org", "pw-for-tests-only")


def upload(client, name: str, data: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        "/admin/governance/framework/import/",
        {"file": SimpleUploadedFile(name, data.encode(), content_type="application/yaml"), "format": "auto"},
    )


def test_the_admin_imports_a_file_and_lists_problems_by_line(client, platform_admin):
    client.force_login(platform_admin)
    assert client.get("/admin/governance/framework/import/").status_code == 200
    response = upload(client, "bad.yaml", V1.replace("  version: 1\n", "  version: one\n"))
    assert response.status_code == 400
    assert "Line 6" in response.content.decode() and "expected a whole number" in response.content.decode()
    assert not Framework.objects.filter(slug="national-ai-law").exists()
    response = upload(client, "law.yaml", V1)
    assert response.status_code == 302
    assert Framework.objects.filter(slug="national-ai-law", version=1).exists()
    listing = client.get("/admin/governance/framework/").content.decode()
    assert "Import a framework file" in listing


@pytest.mark.parametrize("who", ["owner", "member", "outsider", "anonymous", "staff"])
def test_nobody_else_reaches_the_admin_import(client, cast, who, django_user_model):
    if who == "staff":
        user = django_user_model.objects.create_user("staffer", password="x", is_staff=True)
        client.force_login(user)
    elif who != "anonymous":
        client.force_login(getattr(cast, who))
    response = upload(client, "law.yaml", V1)
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert "/admin/login/" in response["Location"]
    assert not Framework.objects.filter(slug="national-ai-law").exists()
