"""Frameworks in a country's pages: evidence that counts through mappings (and only where one
requirement covers the other), earlier versions kept readable with their statuses and evidence
but closed to new work, and headings that take no status."""

from __future__ import annotations

from html import unescape
from pathlib import Path

import pytest

from governance import evidence, selectors, services
from governance.frameworks.services import framework_import
from governance.models import Framework, Requirement, RequirementStatus
from tenants.errors import ServiceError
from tenants.isolation import country_context

from .helpers import act

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.7\n%%EOF\n"
V1 = (Path(__file__).parent / "files" / "national-ai-law-v1.yaml").read_text()
V2 = V1.replace("  version: 1\n", "  version: 2\n").replace(
    "Toute décision individuelle", "Chaque décision individuelle"
)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def req(slug: str, code: str, version: int | None = None) -> Requirement:
    framework = Framework.objects.get(slug=slug, **({"version": version} if version else {"is_current": True}))
    return Requirement.objects.get(framework=framework, code=code)


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return unescape(response.content.decode())


def row(rows, code):
    return next(r for r in rows if r.code == code)


# --- Mappings --------------------------------------------------------------------------------------


def test_evidence_counts_through_equal_and_covering_mappings_only(cast):
    evidence.evidence_upload(
        country=cast.fr, requirement=req("nist-ai-rmf", "nist-2"), name="roles.pdf", data=PDF, **act(cast.member)
    )
    evidence.evidence_upload(
        country=cast.fr, requirement=req("nist-ai-rmf", "nist-1"), name="policy.pdf", data=PDF, **act(cast.member)
    )
    evidence.evidence_upload(
        country=cast.fr, requirement=req("gdpr", "gdpr-12"), name="dpia.pdf", data=PDF, **act(cast.member)
    )
    with country_context(cast.fr):
        iso = selectors.framework_rows(country=cast.fr, framework=Framework.objects.get(slug="iso-42001"))
        nist = selectors.framework_rows(country=cast.fr, framework=Framework.objects.get(slug="nist-ai-rmf"))
        aia = selectors.framework_rows(country=cast.fr, framework=Framework.objects.get(slug="eu-ai-act"))
    # iso-3 equals nist-2; iso-2 is a subset of nist-1: meeting nist-1 meets iso-2.
    assert row(iso, "iso-3").mapped_evidence_count == 1
    assert row(iso, "iso-2").mapped_evidence_count == 1
    # Not the other way for a subset, and never across an intersection (aia-11 and gdpr-12).
    assert row(nist, "nist-1").mapped_evidence_count == 0
    assert row(aia, "aia-11").mapped_evidence_count == 0
    # Kenya sees none of France's evidence through the same mappings.
    with country_context(cast.ke):
        ke_iso = selectors.framework_rows(country=cast.ke, framework=Framework.objects.get(slug="iso-42001"))
    assert row(ke_iso, "iso-3").mapped_evidence_count == 0


def test_the_pages_show_evidence_through_mappings_to_the_country_only(client, cast):
    evidence.evidence_upload(
        country=cast.fr, requirement=req("nist-ai-rmf", "nist-2"), name="roles.pdf", data=PDF, **act(cast.member)
    )
    client.force_login(cast.viewer)
    listing = page(client, "/c/fr/governance/frameworks/iso-42001/")
    assert "+ 1 through a mapping" in listing
    detail = page(client, "/c/fr/governance/frameworks/iso-42001/iso-3/")
    assert "Evidence that counts through a mapping" in detail and "roles.pdf" in detail
    assert "NIST AI RMF 1.0" in detail and "asks the same" in detail
    client.force_login(cast.outsider)
    ke_detail = page(client, "/c/ke/governance/frameworks/iso-42001/iso-3/")
    assert "roles.pdf" not in ke_detail and "Evidence that counts through a mapping" not in ke_detail


# --- Versions --------------------------------------------------------------------------------------


@pytest.fixture
def two_versions(cast):
    framework_import(files=[("v1.yaml", V1.encode())])
    article = req("national-ai-law", "art-1")
    services.requirement_status_set(
        country=cast.fr, requirement=article, status="compliant", note="Registre en ligne.", **act(cast.owner)
    )
    evidence.evidence_upload(country=cast.fr, requirement=article, name="registre.pdf", data=PDF, **act(cast.member))
    framework_import(files=[("v2.yaml", V2.encode())])
    return article


def test_an_earlier_version_keeps_statuses_and_evidence_readable(client, cast, two_versions):
    with country_context(cast.fr):
        kept = RequirementStatus.objects.get(requirement=two_versions)
    assert (kept.status, kept.note) == ("compliant", "Registre en ligne.")
    client.force_login(cast.viewer)
    old = page(client, "/c/fr/governance/frameworks/national-ai-law/?version=1")
    assert "kept with its statuses and evidence for the record" in old
    assert "Compliant" in old and "Versions:" in old
    old_requirement = page(client, "/c/fr/governance/frameworks/national-ai-law/art-1/?version=1")
    assert "registre.pdf" in old_requirement
    current = page(client, "/c/fr/governance/frameworks/national-ai-law/")
    assert "Earlier version: Compliant" in current and "Chaque décision" in current
    assert "kept with its statuses" not in current


def test_an_earlier_version_is_closed_to_new_work(client, cast, two_versions):
    with pytest.raises(ServiceError, match="kept for the record"):
        services.requirement_status_set(country=cast.fr, requirement=two_versions, status="partial", **act(cast.owner))
    with pytest.raises(ServiceError, match="kept for the record"):
        evidence.evidence_upload(country=cast.fr, requirement=two_versions, name="x.pdf", data=PDF, **act(cast.owner))
    client.force_login(cast.owner)
    response = client.post("/c/fr/governance/frameworks/national-ai-law/art-1/?version=1", {"status": "partial"})
    assert response.status_code == 400 and "kept for the record" in unescape(response.content.decode())
    with country_context(cast.fr):
        assert RequirementStatus.objects.get(requirement=two_versions).status == "compliant"


@pytest.mark.parametrize(
    "who, expected", [("owner", 200), ("viewer", 200), ("auditor", 200), ("outsider", 404), ("anonymous", 302)]
)
def test_version_pages_for_each_visitor(client, cast, two_versions, who, expected):
    if who != "anonymous":
        client.force_login(getattr(cast, who))
    for path in ("national-ai-law/?version=1", "national-ai-law/art-1/?version=1", "national-ai-law/?version=2"):
        response = client.get(f"/c/fr/governance/frameworks/{path}")
        assert response.status_code == expected, (who, path)
        assert "registre.pdf" not in response.content.decode() or expected == 200


def test_no_such_version_is_a_404(client, cast, two_versions):
    client.force_login(cast.owner)
    for version in ("3", "0", "x", "9" * 30):
        assert client.get(f"/c/fr/governance/frameworks/national-ai-law/?version={version}").status_code == 404


def test_a_heading_takes_no_status(api, cast):
    from tests.governance.test_api import sign_in

    with pytest.raises(ServiceError, match="heading"):
        services.requirement_status_set(
            country=cast.fr, requirement=req("nist-ai-rmf", "nist-govern"), status="compliant", **act(cast.owner)
        )
    sign_in(api, cast, "owner", "bearer")
    response = api.post(
        "/api/v1/countries/FR/frameworks/nist-ai-rmf/requirements/nist-govern/status/",
        {"status": "compliant"},
        format="json",
    )
    assert response.status_code == 400 and "heading" in response.json()["detail"]
