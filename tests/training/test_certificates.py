"""The public certificate check: valid, expired, unknown and tampered codes, without signing in,
showing only name, programme, dates and validity."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tenants.isolation import country_context
from training import selectors
from training.models import Certificate, certificate_signature

from .conftest import complete, enrol

pytestmark = pytest.mark.django_db


@pytest.fixture
def certificate(cast, catalogue):
    return complete(enrol(cast.fr, cast.member, catalogue["ai-literacy"]), cast.member)


def test_valid_code(client, certificate):
    check = selectors.certificate_verify(code=certificate.code)
    assert check.state == "valid"
    assert (check.holder, check.programme) == ("Marc Member", "AI literacy for civil servants")
    response = client.get(f"/certificates/{certificate.code}/")  # anonymous
    page = response.content.decode()
    assert response.status_code == 200
    assert "Valid" in page and "Marc Member" in page and "AI literacy for civil servants" in page
    # Nothing else about the person or the country's training.
    assert "member@example.org" not in page and "Ministère" not in page and "/c/fr/" not in page


def test_expired_code(client, cast, certificate):
    with country_context(cast.fr):
        Certificate.objects.filter(pk=certificate.pk).update(expires_at=timezone.now() - timedelta(days=1))
    assert selectors.certificate_verify(code=certificate.code).state == "expired"
    assert "Expired" in client.get(f"/certificates/{certificate.code}/").content.decode()


def test_unknown_codes(client, cast, certificate):
    gone = certificate.pk + 1000  # a genuine signature for an id that was never issued
    codes = [
        f"FR-{gone}-{certificate_signature('FR', gone)}",
        "nonsense",
        "FR--",
        "FR-1-xyz",
        f"ZZ-{certificate.pk}-{certificate_signature('ZZ', certificate.pk)}",
        "x" * 500,
    ]
    for code in codes:
        assert selectors.certificate_verify(code=code).state == "unknown", code
        response = client.get(f"/certificates/{code}/")
        assert response.status_code == 200 and "Unknown" in response.content.decode()


def test_tampered_codes(client, cast, certificate):
    country, pk, signature = certificate.code.split("-")
    flipped = ("0" if signature[0] != "0" else "1") + signature[1:]
    for code in [f"{country}-{pk}-{flipped}", f"{country}-{int(pk) + 1}-{signature}", f"KE-{pk}-{signature}"]:
        assert selectors.certificate_verify(code=code).state == "tampered", code
        assert "Not genuine" in client.get(f"/certificates/{code}/").content.decode()


def test_another_countrys_person_sees_the_same_public_answer(client, cast, certificate):
    client.force_login(cast.outsider)
    assert "Valid" in client.get(f"/certificates/{certificate.code}/").content.decode()
