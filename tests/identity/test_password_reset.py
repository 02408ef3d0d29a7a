"""Password reset by email: the request does the same work whether the address has an account or
not (one request row and one job of the same kind, the same queries), and a worker decides: a mail
to each account of the address, nothing for an unknown one. The mail names the portal, in its
reader's language, and links to the portal's own address (never the Host a request came with),
where the link works."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from tenants.identity.models import PasswordResetRequest
from tenants.jobs.models import PlatformOutboxMessage
from tenants.languages.models import Preferences
from tenants.notifications.models import OutgoingMail
from tests.conftest import deliver_mail, wait_for
from tests.identity.helpers import answer_password_resets

pytestmark = pytest.mark.django_db
BASE = "https://portal.example.gov"


def reset_mail(client, address: str) -> str:
    client.post("/accounts/password/reset/", {"email": address}, HTTP_HOST="localhost")
    answer_password_resets()
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


def _work_of(client, address: str) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """The statements a reset request runs (their text, values apart) and the jobs it writes."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    before = set(PlatformOutboxMessage.objects.values_list("pk", flat=True))
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/accounts/password/reset/", {"email": address})
    assert response.status_code == 302 and response["Location"] == "/accounts/password/reset/done/"
    statements = [q["sql"] for q in queries.captured_queries]
    jobs = [(m.task, sorted(m.kwargs)) for m in PlatformOutboxMessage.objects.exclude(pk__in=before).order_by("pk")]
    return statements, jobs


def test_a_reset_request_does_the_same_work_whether_the_address_has_an_account(client, cast):
    from django.test import Client

    known = _work_of(client, "member@example.org")
    unknown = _work_of(Client(), "nobody@example.org")
    assert known[1] == unknown[1] == [("tenants.password_reset_answer", ["reset_id"])]
    # The same statements, values apart (the address, the ids and times the rows get).
    shape = lambda sql: re.sub(r"'[^']*'|\"s\d+_x\d+\"|\b\d+\b", "?", sql)  # noqa: E731
    assert [shape(s) for s in known[0]] == [shape(s) for s in unknown[0]]
    assert not OutgoingMail.objects.exists() and mail.outbox == []  # nothing written nor sent in the request
    # The worker decides: a mail for the account, nothing for the unknown address, no address kept.
    assert answer_password_resets() == 1
    assert not PasswordResetRequest.objects.exists()
    assert list(OutgoingMail.objects.values_list("to", flat=True)) == ["member@example.org"]
    assert answer_password_resets() == 0  # a job delivered again writes nothing more


def test_a_lost_reset_job_is_answered_again_and_an_old_one_forgotten(cast):
    from datetime import timedelta

    from django.utils import timezone

    from tenants.identity.password_reset import password_reset_request, password_reset_sweep

    lost = password_reset_request(email="member@example.org")
    old = password_reset_request(email="viewer@example.org")
    PasswordResetRequest.objects.filter(pk=lost.pk).update(created_at=timezone.now() - timedelta(minutes=10))
    PasswordResetRequest.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=2))
    assert password_reset_sweep() == 1
    assert list(PasswordResetRequest.objects.values_list("pk", flat=True)) == [lost.pk]
    jobs = PlatformOutboxMessage.objects.filter(task="tenants.password_reset_answer", kwargs={"reset_id": lost.pk})
    assert jobs.count() == 2


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_worker_answers_a_reset_request(client, cast, celery_worker_process):
    for address in ("member@example.org", "nobody@example.org"):
        assert client.post("/accounts/password/reset/", {"email": address}).status_code == 302
    wait_for(lambda: not PasswordResetRequest.objects.exists(), timeout=30)
    sent = wait_for(lambda: list(OutgoingMail.objects.filter(sent_at__isnull=False)), timeout=30)
    assert len(sent) == 1 and sent[0].to == ""  # one mail, for the account; wiped once sent
    assert OutgoingMail.objects.count() == 1
