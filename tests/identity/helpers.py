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


def _records_for(session) -> None:
    session["account_authentication_methods_user"] = session["_auth_user_id"]


def password_shown(client) -> None:
    """Mark the test client's session as just signed in with a password (as allauth's sign-in does)."""
    session = client.session
    _records_for(session)
    records = session.get("account_authentication_methods", [])
    session["account_authentication_methods"] = [*records, {"method": "password", "at": time.time()}]
    session.save()


def second_factor_shown(client) -> None:
    """Mark the test client's session as having shown a second factor (as allauth's step does)."""
    session = client.session
    _records_for(session)
    records = session.get("account_authentication_methods", [])
    session["account_authentication_methods"] = [*records, {"method": "mfa", "type": "totp", "at": time.time()}]
    session.save()
