"""Password reset by email: the mail names the portal, in its reader's language, and links to the
portal's own address (never the Host a request came with), where the link works."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from tenants.languages.models import Preferences
from tests.conftest import deliver_mail

pytestmark = pytest.mark.django_db
BASE = "https://portal.example.gov"


def reset_mail(client, address: str) -> str:
    client.post("/accounts/password/reset/", {"email": address}, HTTP_HOST="localhost")
    deliver_mail()
    assert len(mail.outbox) == 1
    return mail.outbox[0].subject + "\n" + mail.outbox[0].body


def test_the_reset_mail_names_the_portal_and_its_link_works(client, cast, settings):
    settings.PORTAL_BASE_URL = BASE
    text = reset_mail(client, "member@example.org")
    assert "Hello from Sovereign AI Onboarding Portal!" in text
    assert "Thank you for using Sovereign AI Onboarding Portal!\nportal.example.gov" in text
    assert "your username is member" in text
    assert not re.search(r"(from|using) *!|\{\{|\{%", text)  # nothing left blank or unrendered
    links = re.findall(r"\S+/accounts/password/reset/key/\S+", text)
    assert len(links) == 1 and links[0].startswith(f"{BASE}/accounts/password/reset/key/"), links
    form = client.get(links[0].removeprefix(BASE), follow=True)
    assert form.status_code == 200 and form.redirect_chain
    done = client.post(
        form.redirect_chain[-1][0], {"password1": "a-fresh-long-password-9", "password2": "a-fresh-long-password-9"}
    )
    assert done.status_code == 302
    cast.member.refresh_from_db()
    assert cast.member.check_password("a-fresh-long-password-9")


def test_the_reset_mail_is_in_its_readers_language(client, cast, settings):
    settings.PORTAL_BASE_URL = BASE
    Preferences.objects.filter(user=cast.member).update(language="fr")
    text = reset_mail(client, "member@example.org")
    assert "Portail d’intégration à l’IA souveraine" in text and f"{BASE}/accounts/password/reset/key/" in text
