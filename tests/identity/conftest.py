"""The identity tests' own fixtures: a real OpenID Connect provider (django-oauth-toolkit, in a
process of its own on 127.0.0.1, on a port chosen when it starts), its people, and a sign-in
through it as a browser would make one (the provider's pages driven over HTTP)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent.parent
CLIENT_ID, CLIENT_SECRET, PASSWORD = "portal-fr", "a-client-secret-of-france", "idp-password-1"
PEOPLE = [
    # username, email, given, family, extra claims
    ("claire", "claire.martin@interieur.gouv.fr", "Claire", "Martin", {"organisation": "MN", "role": "agent"}),
    (
        "chef",
        "chef@interieur.gouv.fr",
        "Charles",
        "Chef",
        {"organisation": "MN", "role": "chef", "amr": ["pwd", "mfa"]},
    ),
    (
        "directrice",
        "directrice@interieur.gouv.fr",
        "Dora",
        "Directrice",
        {"organisation": "MN", "role": "chef", "acr": "eidas2"},
    ),
    ("marc", "member@example.org", "Marc", "Member", {}),
    ("otieno", "outsider@example.org", "Otieno", "Outsider", {}),
    ("spoof", "spoof@interieur.gouv.fr", "Spoof", "Unverified", {"email_verified": False}),
    ("elsewhere", "someone@elsewhere.org", "Some", "One", {}),
]


@dataclass
class Provider:
    url: str

    @property
    def issuer(self) -> str:
        return f"{self.url}/o"

    def mischief(self, mode: str) -> str:
        return f"{self.url}/mischief/{mode}"


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory) -> Provider:
    folder = tmp_path_factory.mktemp("oidc")
    users = []
    for username, email, given, family, extra in PEOPLE:
        person = {"username": username, "password": PASSWORD, "email": email, "given_name": given}
        users.append({**person, "family_name": family, **extra})
    config = {
        "users": users,
        "clients": [{"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}],
        "redirect_prefixes": ["http://testserver/accounts/gov/", "http://localhost:", "http://127.0.0.1:"],
    }
    (folder / "config.json").write_text(json.dumps(config))
    log = open(folder / "provider.log", "w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "dev.oidc_provider.serve", "--config", str(folder / "config.json"), "--port", "0"],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    deadline, url = time.monotonic() + 60, None
    while time.monotonic() < deadline and url is None:
        line = process.stdout.readline()
        if line.startswith("IDP_URL "):
            url = line.split()[1]
        elif process.poll() is not None:
            break
    if url is None:
        process.kill()
        log.seek(0)
        raise RuntimeError(f"The OpenID Connect provider did not start: {log.read()[-2000:]}")
    yield Provider(url)
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


def france_provider(cast, issuer: str, **overrides):
    """France's identity provider row, through the service, as its country admin would set it."""
    from tenants.access import access_for
    from tenants.identity.providers import identity_provider_save

    data = {
        "name": "ProConnect",
        "issuer": issuer,
        "client_id": CLIENT_ID,
        "allowed_domains": ["interieur.gouv.fr"],
        "organisation_claim": "organisation",
        "organisation_map": {"MN": cast.fr_ministry.pk},
        "role_claim": "role",
        "role_map": {"agent": "officer", "chef": "country_admin"},
        "default_organisation": cast.fr_agency,
        "default_role": "viewer",
        "jit_enabled": True,
        "trust_provider_mfa": False,
        "enabled": True,
    }
    data.update(overrides)
    return identity_provider_save(
        country=cast.fr, by=cast.owner, access=access_for(cast.owner), data=data, client_secret=CLIENT_SECRET
    )


def provider_sign_in(authorize_url: str, username: str) -> str:
    """Sign in at the provider as `username` and return where it sends the browser back to."""
    session = requests.Session()
    response = session.get(authorize_url, allow_redirects=False)
    assert response.status_code == 302, response.text[:500]
    login_url = urljoin(authorize_url, response.headers["Location"])
    session.get(login_url)
    response = session.post(
        login_url.split("?")[0],
        data={
            "username": username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": session.cookies["idp_csrftoken"],
            "next": parse_qs(urlsplit(login_url).query)["next"][0],
        },
        allow_redirects=False,
    )
    assert response.status_code == 302, response.text[:500]
    response = session.get(urljoin(authorize_url, response.headers["Location"]), allow_redirects=False)
    assert response.status_code == 302, response.text[:500]
    return response.headers["Location"]


def callback_path(location: str) -> str:
    parts = urlsplit(location)
    assert parts.netloc == "testserver", location
    return f"{parts.path}?{parts.query}"


def sso(client, username: str, *, start: str = "/accounts/sso/", data: dict | None = None):
    """The whole journey with Django's test client as the portal's browser: start, sign in at the
    provider, come back. Returns the portal's answer to the callback and the callback's path."""
    response = client.post(start, data if data is not None else {"country": "FR"})
    assert response.status_code == 302, response.content[:500]
    back = callback_path(provider_sign_in(response["Location"], username))
    return client.get(back), back


# The browser and page fixtures of test_journeys.py come from the root conftest.
