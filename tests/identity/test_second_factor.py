"""Second factors and sessions: required of country admins, partner managers, auditors and
platform admins (and everyone of a country that asks), enrolment first and nothing else until it is
done, shown at sign-in, the Django admin included; idle sessions end, sooner for privileged roles;
password reset through the outbox without telling who has an account; the security headers."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from allauth.mfa.models import Authenticator
from django.core import mail

from tenants.identity.middleware import LAST_SEEN_KEY
from tenants.notifications.models import OutgoingMail
from tests.conftest import deliver_mail
from tests.identity.helpers import answer_password_resets, give_totp, totp_code

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def enforced(settings):
    settings.SECOND_FACTOR_ENFORCED = True


@pytest.mark.parametrize("who", ["owner", "partner", "auditor"])
def test_a_privileged_role_enrols_first_and_sees_nothing_else(client, cast, enforced, who):
    client.force_login(getattr(cast, who))
    for path in ("/", "/c/fr/", "/accounts/tokens/", "/audit/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/2fa/?next="), path
    api = client.get("/api/v1/countries/")
    assert api.status_code == 403 and "second factor" in api.json()["detail"]
    assert client.get("/accounts/2fa/").status_code == 200


def test_a_platform_admin_needs_it_for_the_django_admin(client, cast, enforced):
    from django.contrib.auth import get_user_model

    root = get_user_model().objects.create_superuser("root", "root@example.org", "a-long-admin-password")
    client.force_login(root)
    assert client.get("/admin/")["Location"].startswith("/accounts/2fa/")
    client.logout()
    # The admin's own sign-in form is not a way round: it sends people to the portal's sign-in.
    assert client.get("/admin/login/")["Location"].startswith("/accounts/login/")


def test_an_officer_needs_none_unless_the_country_asks(client, cast, enforced):
    client.force_login(cast.member)
    assert client.get("/c/fr/").status_code == 200
    cast.fr.mfa_required = True
    cast.fr.save()
    assert client.get("/c/fr/")["Location"].startswith("/accounts/2fa/")
    assert client.get("/c/fr/").status_code == 302


@pytest.mark.django_db(transaction=True)  # allauth announces the new factor once it is committed
def test_enrolling_an_authenticator_app_opens_the_portal(client, cast, enforced):
    client.force_login(cast.owner)
    # Enrolling asks to confirm the password first (allauth's reauthentication).
    assert client.get("/accounts/2fa/totp/activate/")["Location"].startswith("/accounts/reauthenticate/")
    assert client.post("/accounts/reauthenticate/", {"password": cast.password}).status_code == 302
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200
    secret = re.search(r'id="authenticator_secret" value="([A-Z2-7]+)"', page.content.decode())[1]
    response = client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=cast.owner, type="totp").exists()
    assert client.get("/c/fr/").status_code == 200


def test_password_then_authenticator_code_at_sign_in(client, cast, enforced):
    give_totp(cast.partner)
    response = client.post("/accounts/login/", {"username": "partner", "password": cast.password})
    assert response["Location"].startswith("/accounts/2fa/authenticate/")
    assert "_auth_user_id" not in client.session
    wrong = client.post("/accounts/2fa/authenticate/", {"code": "000000" if totp_code() != "000000" else "111111"})
    assert wrong.status_code == 200 and "_auth_user_id" not in client.session
    right = client.post("/accounts/2fa/authenticate/", {"code": totp_code()})
    assert right.status_code == 302 and int(client.session["_auth_user_id"]) == cast.partner.pk
    assert client.get("/review/").status_code == 200


def test_a_code_of_the_step_just_ended_is_taken_and_one_two_steps_old_is_not(client, cast, enforced):
    """A person who read the code in the last seconds of its step is not refused while the request
    travels (one step either side), but an older code is refused, and no code is taken twice."""
    give_totp(cast.partner)
    client.post("/accounts/login/", {"username": "partner", "password": cast.password})
    old = client.post("/accounts/2fa/authenticate/", {"code": totp_code(offset=-2)})
    assert old.status_code == 200 and "_auth_user_id" not in client.session
    late = client.post("/accounts/2fa/authenticate/", {"code": totp_code(offset=-1)})
    assert late.status_code == 302 and int(client.session["_auth_user_id"]) == cast.partner.pk
    client.logout()
    client.post("/accounts/login/", {"username": "partner", "password": cast.password})
    again = client.post("/accounts/2fa/authenticate/", {"code": totp_code(offset=-1)})
    assert again.status_code == 200 and "_auth_user_id" not in client.session


def test_an_idle_session_ends_sooner_for_a_privileged_role(client, cast):
    for user, idle_minutes, still_in in ((cast.owner, 20, False), (cast.viewer, 20, True), (cast.viewer, 40, False)):
        client.force_login(user)
        session = client.session
        session[LAST_SEEN_KEY] = time.time() - idle_minutes * 60
        session.save()
        response = client.get("/c/fr/")
        assert (response.status_code == 200) is still_in, (user, idle_minutes)
        if not still_in:
            assert response["Location"].startswith("/accounts/login/?next=")
            assert "_auth_user_id" not in client.session


def test_one_sees_and_ends_ones_other_sessions(client, cast):
    from django.test import Client

    other = Client(HTTP_USER_AGENT="Other browser")
    for browser in (other, client):
        browser.post("/accounts/login/", {"username": "member", "password": cast.password})
    page = client.get("/accounts/sessions/")
    assert page.status_code == 200 and "Other browser" in page.content.decode()
    assert client.post("/accounts/sessions/", {"action": "logout"}).status_code == 302
    assert other.get("/").status_code == 302 and client.get("/").status_code == 200


def test_password_reset_goes_through_the_outbox_and_tells_nobody_who_has_an_account(client, cast):
    known = client.post("/accounts/password/reset/", {"email": "member@example.org"})
    unknown = client.post("/accounts/password/reset/", {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 302 and known["Location"] == unknown["Location"]
    assert mail.outbox == []  # nothing sent inside the request
    assert not OutgoingMail.objects.exists()  # nor written: a worker decides (tests/identity/test_password_reset.py)
    assert answer_password_resets() == 1  # only for the known account
    assert deliver_mail() == 1
    link = re.search(r"https?://\S+/accounts/password/reset/key/\S+", mail.outbox[0].body)[0]
    assert OutgoingMail.objects.get().to == ""  # wiped once sent
    path = link.split("testserver", 1)[-1] if "testserver" in link else re.sub(r"^https?://[^/]+", "", link)
    form = client.get(path, follow=True)
    assert form.status_code == 200
    response = client.post(
        form.redirect_chain[-1][0] if form.redirect_chain else path,
        {"password1": "a-fresh-long-password-9", "password2": "a-fresh-long-password-9"},
    )
    assert response.status_code == 302
    cast.member.refresh_from_db()
    assert cast.member.check_password("a-fresh-long-password-9")


def test_headers_forbid_inline_script_and_limit_features(client, cast):
    response = client.get("/accounts/login/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert "camera=()" in response["Permissions-Policy"]
    assert "publickey-credentials-get=(self)" in response["Permissions-Policy"]


def test_no_template_carries_inline_script_or_style():
    offenders = []
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text()
        for match in re.finditer(r"<script(?P<attrs>[^>]*)>", text):
            attrs = match["attrs"]
            if "src=" not in attrs and "application/json" not in attrs:
                offenders.append(f"{path.relative_to(ROOT)}: inline script")
        if re.search(r"\sstyle=\"", text) or "<style" in text:
            offenders.append(f"{path.relative_to(ROOT)}: inline style")
    assert offenders == []
