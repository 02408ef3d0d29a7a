"""Finding 3 of issue 12: certificate codes were HMACs under SECRET_KEY, a fixed value in
development and in docker-compose.yml, so codes could be forged. They now use a key of their own,
required outside DEBUG, and docker-compose.yml holds no fixed secret."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from django.core.exceptions import ImproperlyConfigured
from django.utils.crypto import salted_hmac

from tenants.keys import certificates
from training.models.records import CERTIFICATE_SALT, certificate_signature, certificate_signature_matches

ROOT = Path(__file__).resolve().parent.parent.parent


def test_a_code_forged_with_secret_key_is_not_valid(settings):
    forged = salted_hmac(CERTIFICATE_SALT, "KE:1", secret=settings.SECRET_KEY, algorithm="sha256").hexdigest()[:20]
    assert not certificate_signature_matches("KE", 1, forged)
    assert certificate_signature_matches("KE", 1, certificate_signature("KE", 1))


def test_the_certificate_key_is_required_outside_debug(settings, monkeypatch):
    monkeypatch.delenv("CERTIFICATE_KEY", raising=False)
    monkeypatch.delenv("CERTIFICATE_KEY_FILE", raising=False)
    settings.DEBUG = settings.TESTING = settings.EMBEDDED = False
    certificates.certificate_key_reset()
    try:
        with pytest.raises(ImproperlyConfigured, match="CERTIFICATE_KEY"):
            certificates.certificate_key()
        monkeypatch.setenv("CERTIFICATE_KEY", "short")
        with pytest.raises(ImproperlyConfigured, match="at least"):
            certificates.certificate_key()
        monkeypatch.setenv("CERTIFICATE_KEY", "k" * 48)
        assert certificates.certificate_key() == "k" * 48
    finally:
        certificates.certificate_key_reset()


def test_docker_compose_holds_no_fixed_secret():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    environments = [compose["x-portal-env"]] + [s.get("environment") or {} for s in compose["services"].values()]
    for environment in environments:
        if not isinstance(environment, dict):
            continue
        for name, value in environment.items():
            if name in {"SECRET_KEY", "CERTIFICATE_KEY", "PORTAL_MASTER_KEY", "LEDGER_SIGNING_KEY", "DEMO_PASSWORD"}:
                assert str(value).startswith("${"), f"{name} is a fixed value in docker-compose.yml"
            elif "PASSWORD" in name or name.endswith("_URL"):
                text = str(value)
                if "@" in text and ":" in text.split("@")[0].split("//")[-1]:
                    assert "${" in text.split("@")[0], f"{name} has a fixed password"
                elif "PASSWORD" in name:
                    # A value from the environment, or a secret mounted as a file.
                    from_file = name.endswith("_FILE") and text.startswith("/run/secrets/")
                    assert text.startswith("${") or from_file, f"{name} is a fixed value"
