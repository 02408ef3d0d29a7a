"""Frameworks and controls: statuses with owners, coverage, and evidence files (size and type
limits read from the content, SHA-256, versions kept, refused files leave nothing behind)."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest

from governance import evidence, selectors, services
from governance.models import EvidenceFile, Framework, Requirement, RequirementStatus
from tenants import files
from tenants.errors import NotAllowed, ServiceError
from tenants.isolation import country_context
from tenants.models import Membership
from tenants.record.models import CountryEvent

from .helpers import act, actions

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def office(kind: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml" if kind == "docx" else "xl/workbook.xml", "<x/>")
    return buffer.getvalue()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def requirement(slug="eu-ai-act", position=2) -> Requirement:
    return Requirement.objects.get(framework__slug=slug, position=position)


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


@pytest.mark.parametrize(
    "name, data, kind",
    [
        ("risk.pdf", PDF, "pdf"),
        ("diagram.png", PNG, "png"),
        ("photo.jpg", b"\xff\xd8\xff\xe0" + b"0" * 20, "jpeg"),
        ("report.docx", office("docx"), "docx"),
        ("register.xlsx", office("xlsx"), "xlsx"),
        ("notes.txt", "Revue de l'équipe\n".encode(), "txt"),
        ("list.csv", b"a,b\n1,2\n", "csv"),
    ],
)
def test_accepted_files_are_stored_with_their_hash(cast, media, name, data, kind):
    item = evidence.evidence_upload(
        country=cast.fr, requirement=requirement(), name=name, data=data, **act(cast.member)
    )
    assert (item.kind, item.size, item.sha256, item.version) == (kind, len(data), hashlib.sha256(data).hexdigest(), 1)
    path = media / item.path
    stored = path.read_bytes()  # on disk: sealed under France's key, never the file itself
    assert stored.startswith(files.MAGIC) and data not in stored
    assert files.file_read(row=item, name=item.path) == data
    assert path.relative_to(media).parts[:2] == ("evidence", "FR")
    assert actions(cast.fr)[-1] == "control.evidence_added"


def test_versions_are_kept(cast, media):
    first = evidence.evidence_upload(
        country=cast.fr, requirement=requirement(), name="policy.pdf", data=PDF, **act(cast.member)
    )
    second = evidence.evidence_upload(
        country=cast.fr, requirement=requirement(), name="policy.pdf", data=PDF + b"% v2\n", **act(cast.member)
    )
    assert (first.version, second.version) == (1, 2)
    assert len(stored_files(media)) == 2
    with country_context(cast.fr):
        assert [e.version for e in selectors.evidence_list(country=cast.fr, requirement=requirement())] == [2, 1]


def test_the_same_bytes_uploaded_twice_keep_both_files(client, cast, media):
    """Each piece of evidence is sealed to its own row: a second upload of the same bytes (under
    another name, so also version 1) is stored apart and never replaces the first."""
    first = evidence.evidence_upload(
        country=cast.fr, requirement=requirement(), name="policy.pdf", data=PDF, **act(cast.member)
    )
    second = evidence.evidence_upload(
        country=cast.fr, requirement=requirement(), name="policy-copy.pdf", data=PDF, **act(cast.member)
    )
    client.force_login(cast.viewer)
    for item in (first, second):
        response = client.get(f"/c/fr/governance/evidence/{item.pk}/download/")
        assert response.status_code == 200 and response.content == PDF
    with country_context(cast.fr):
        payload = CountryEvent.objects.filter(action="control.evidence_added").latest("id").payload
    assert "sha256" not in payload and hashlib.sha256(PDF).hexdigest() not in json.dumps(payload)
    assert (first.version, second.version) == (1, 1) and first.path != second.path
    assert hashlib.sha256(PDF).hexdigest() not in first.path + second.path  # named by the row, not the bytes


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("setup.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64, "not an accepted type"),  # a Windows executable
        ("archive.docx", office("docx").replace(b"word/", b"evil/"), "not an accepted type"),  # a zip, not a document
        ("empty.pdf", b"", "The file is empty"),
        ("binary.txt", b"abc\x00\x01\x02", "not an accepted type"),
    ],
)
def test_disguised_or_empty_files_are_refused_and_nothing_is_stored(cast, media, name, data, message):
    before = actions(cast.fr)
    with pytest.raises(ServiceError) as caught:
        evidence.evidence_upload(country=cast.fr, requirement=requirement(), name=name, data=data, **act(cast.member))
    assert message in caught.value.message and caught.value.field == "file"
    assert stored_files(media) == []
    with country_context(cast.fr):
        assert not EvidenceFile.objects.exists()
    assert actions(cast.fr) == before


def test_oversized_files_are_refused(cast, media, settings):
    settings.EVIDENCE_MAX_BYTES = 1024 * 1024
    with pytest.raises(ServiceError, match="larger than 1 MB"):
        evidence.evidence_upload(
            country=cast.fr,
            requirement=requirement(),
            name="big.pdf",
            data=PDF + b"0" * (1024 * 1024),
            **act(cast.member),
        )
    assert stored_files(media) == []
    with country_context(cast.fr):
        assert not EvidenceFile.objects.exists()


def test_viewers_and_other_countries_cannot_upload(cast, media):
    for user in (cast.viewer, cast.outsider):
        with pytest.raises(NotAllowed):
            evidence.evidence_upload(country=cast.fr, requirement=requirement(), name="a.pdf", data=PDF, **act(user))
    assert stored_files(media) == []


def test_status_owner_and_coverage(cast):
    framework = Framework.objects.get(slug="gdpr")
    reqs = list(Requirement.objects.filter(framework=framework).order_by("position"))
    with country_context(cast.fr):
        owner = Membership.objects.get(user=cast.member)
    services.requirement_status_set(
        country=cast.fr, requirement=reqs[0], status="compliant", owner=owner, **act(cast.member)
    )
    services.requirement_status_set(country=cast.fr, requirement=reqs[1], status="partial", **act(cast.owner))
    services.requirement_status_set(country=cast.fr, requirement=reqs[2], status="not_applicable", **act(cast.owner))
    with country_context(cast.fr):
        cov = selectors.coverage(country=cast.fr, framework=framework)
    counts = {row["status"]: (row["count"], row["percent"]) for row in cov["rows"]}
    total = len(reqs)
    assert cov["total"] == total
    assert counts == {
        "not_assessed": (total - 3, round(100 * (total - 3) / total)),
        "compliant": (1, round(100 / total)),
        "partial": (1, round(100 / total)),
        "non_compliant": (0, 0),
        "not_applicable": (1, round(100 / total)),
    }
    with country_context(cast.ke):
        assert selectors.coverage(country=cast.ke, framework=framework)["rows"][0]["count"] == total
    assert actions(cast.fr)[-1] == "control.status_set"


def test_status_refusals(cast):
    req = requirement()
    with country_context(cast.ke):
        kenyan = Membership.objects.get(user=cast.outsider)
    with pytest.raises(ServiceError) as caught:
        services.requirement_status_set(
            country=cast.fr, requirement=req, status="compliant", owner=kenyan, **act(cast.owner)
        )
    assert caught.value.field == "owner"
    with pytest.raises(ServiceError):
        services.requirement_status_set(country=cast.fr, requirement=req, status="great", **act(cast.owner))
    with pytest.raises(NotAllowed):
        services.requirement_status_set(country=cast.fr, requirement=req, status="compliant", **act(cast.viewer))
    with country_context(cast.fr):
        assert not RequirementStatus.objects.exists()
