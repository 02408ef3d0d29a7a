"""Helpers of the identity tests: TOTP devices and codes, second-factor sessions."""

from __future__ import annotations

import time

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def give_totp(user, secret: str = SECRET) -> Authenticator:
    return TOTP.activate(user, secret).instance


def totp_code(secret: str = SECRET, *, offset: int = 0) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30 + offset))


def session_cache_forget(client) -> None:
    """Drop the cache's copy of the client's session (tenants.identity.sessions): a test that rolls
    back a request, or its own writes to a session, undoes them in the database only, and the next
    request must read the session as the database has it again."""
    from django.conf import settings
    from django.contrib.sessions.backends.cached_db import KEY_PREFIX
    from django.core.cache import cache

    cookie = client.cookies.get(settings.SESSION_COOKIE_NAME)
    if cookie is not None and cookie.value:
        cache.delete(KEY_PREFIX + cookie.value)


def _records_for(session) -> None:
    session["account_authentication_methods_user"] = session["_auth_user_id"]


def password_shown(client) -> None:
    """Mark the test client's session as just signed in with a password (as allauth's sign-in does)."""
    session = client.session
    _records_for(session)
    records = session.get("account_authentication_methods", [])
    session["account_authentication_methods"] = [*records, {"method": "password", "at": time.time()}]
    session.save()


def password_confirmed(client) -> None:
    """Mark the test client's session as having just confirmed its password on the page that asks
    for it again before a sensitive change (allauth's reauthentication, which such pages require)."""
    session = client.session
    _records_for(session)
    records = session.get("account_authentication_methods", [])
    record = {"method": "password", "at": time.time(), "reauthenticated": True}
    session["account_authentication_methods"] = [*records, record]
    session.save()


def second_factor_shown(client) -> None:
    """Mark the test client's session as having shown a second factor (as allauth's step does)."""
    session = client.session
    _records_for(session)
    records = session.get("account_authentication_methods", [])
    session["account_authentication_methods"] = [*records, {"method": "mfa", "type": "totp", "at": time.time()}]
    session.save()


def passkey_register(client, name: str):
    """Register a passkey for the test client's person through allauth's add page, as a browser
    would with a security key: a software key (a P-256 key pair of its own) answers the page's
    challenge with a `none` attestation, which allauth verifies before it keeps the key. Returns the
    Authenticator kept."""
    import json
    import os

    from cryptography.hazmat.primitives.asymmetric import ec
    from fido2.cose import ES256
    from fido2.utils import sha256, websafe_decode, websafe_encode
    from fido2.webauthn import AttestationObject, AttestedCredentialData, AuthenticatorData, CollectedClientData

    password_confirmed(client)  # adding a key asks for the password again
    page = client.get("/accounts/2fa/webauthn/add/")
    assert page.status_code == 200, f"the add page answered {page.status_code} {page.get('Location')}"
    challenge = websafe_decode(client.session["mfa.webauthn.state"]["challenge"])
    host = "testserver"  # the test client's host, the relying party's id
    credential_id = os.urandom(16)
    public_key = ES256.from_cryptography_key(ec.generate_private_key(ec.SECP256R1()).public_key())
    attested = AttestedCredentialData.create(aaguid=bytes(16), credential_id=credential_id, public_key=public_key)
    flags = AuthenticatorData.FLAG.UP | AuthenticatorData.FLAG.AT
    data = AuthenticatorData.create(sha256(host.encode()), flags, 0, attested)
    client_data = CollectedClientData.create(type="webauthn.create", challenge=challenge, origin=f"http://{host}")
    credential = {
        "id": websafe_encode(credential_id),
        "rawId": websafe_encode(credential_id),
        "type": "public-key",
        "response": {
            "clientDataJSON": websafe_encode(bytes(client_data)),
            "attestationObject": websafe_encode(bytes(AttestationObject.create("none", data, {}))),
        },
        "clientExtensionResults": {},
    }
    added = client.post("/accounts/2fa/webauthn/add/", {"name": name, "credential": json.dumps(credential)})
    assert added.status_code == 302, f"the key was refused ({added.status_code})"
    return Authenticator.objects.get(user_id=int(client.session["_auth_user_id"]), type="webauthn", data__name=name)


def answer_password_resets() -> int:
    """Answer, in this process, every password reset request waiting (what the worker does with
    each one's job): tests then read the mails with tests.conftest.deliver_mail."""
    from tenants.identity.models import PasswordResetRequest
    from tenants.identity.password_reset import password_reset_answer

    waiting = list(PasswordResetRequest.objects.order_by("pk").values_list("pk", flat=True))
    return sum(password_reset_answer(reset_id=reset_id) for reset_id in waiting)
