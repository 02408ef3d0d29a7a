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


# --- Rotating the certificate key (docs/operations.md) -------------------------------------------

OLD_KEY = "certificate-key-before-the-rotation-" + "o" * 20
NEW_KEY = "certificate-key-after-the-rotation-" + "n" * 20


@pytest.fixture
def certificate_keys_from(monkeypatch, tmp_path):
    """Start the portal's certificate key over as a process given these would: the current key in
    CERTIFICATE_KEY, the retired ones in the file CERTIFICATE_KEY_FALLBACKS_FILE names."""
    from tenants.keys import certificates

    def use(current: str, *fallbacks: str) -> None:
        retired = tmp_path / "certificate_key_fallbacks"
        retired.write_text("".join(f"{key}\n" for key in fallbacks))
        monkeypatch.delenv("CERTIFICATE_KEY_FILE", raising=False)
        monkeypatch.delenv("CERTIFICATE_KEY_FALLBACKS", raising=False)
        monkeypatch.setenv("CERTIFICATE_KEY", current)
        monkeypatch.setenv("CERTIFICATE_KEY_FALLBACKS_FILE", str(retired))
        certificates.certificate_key_reset()

    yield use
    certificates.certificate_key_reset()


def test_a_certificate_printed_before_a_rotation_still_checks_while_its_key_is_a_fallback(
    client, certificate, certificate_keys_from
):
    certificate_keys_from(OLD_KEY)
    printed = certificate.code
    certificate_keys_from(NEW_KEY, OLD_KEY)
    downloaded_again = certificate.code
    assert downloaded_again != printed  # new codes under the new key only
    for code in (printed, downloaded_again):
        assert selectors.certificate_verify(code=code).state == "valid", code
        assert "Valid" in client.get(f"/certificates/{code}/").content.decode()
    # The old key retired (or never kept, after a leak): what it signed no longer checks.
    certificate_keys_from(NEW_KEY)
    assert selectors.certificate_verify(code=printed).state == "tampered"
    assert selectors.certificate_verify(code=downloaded_again).state == "valid"


def test_a_fallback_too_short_to_be_a_key_stops_the_check_without_showing_it(certificate_keys_from):
    from django.core.exceptions import ImproperlyConfigured

    from tenants.keys import certificates

    certificate_keys_from(NEW_KEY, "short-retired-key")
    with pytest.raises(ImproperlyConfigured, match="CERTIFICATE_KEY_FALLBACKS: key 1 is shorter") as refused:
        certificates.certificate_keys()
    assert "short-retired-key" not in str(refused.value)
