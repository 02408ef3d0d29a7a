"""The ledger as the whole portal shows it: the published public key, the alert banner for platform
admins and a chain's auditors, and the admin's key panel, alerts and read-only platform chain."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenants.record import signing
from tenants.record.ledger import platform_event_record
from tenants.record.models import CountryCheckpoint, CountryEvent, LedgerAlert, PlatformEvent

pytestmark = pytest.mark.django_db
User = get_user_model()
FOUND = datetime(2026, 3, 4, 5, 6, tzinfo=UTC)


def as_user(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def root(db):
    return User.objects.create_superuser("root", "root@example.org", "a-long-admin-passphrase")


def banner(response) -> str:
    html = response.content.decode()
    match = re.search(r'<div class="govuk-notification-banner app-alert-banner".*?</div>\s*</div>', html, re.S)
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", match.group(0)))) if match else ""


def alert(chain: str, problem: str = "event 3 was altered after it was recorded", **extra) -> LedgerAlert:
    return LedgerAlert.objects.create(chain=chain, problem=problem, found_at=FOUND, **extra)


# --- /.well-known/ledger-key.pem -------------------------------------------------------------------


def test_ledger_key_is_published_to_anyone_without_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/.well-known/ledger-key.pem")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response.content.decode() == signing.public_key_pem()
    assert response.content.startswith(b"-----BEGIN PUBLIC KEY-----")
    assert response["X-Key-Fingerprint"] == signing.public_key_id()
    assert "Set-Cookie" not in response


def test_ledger_key_is_linked_from_every_page(client, cast):
    html = as_user(client, cast.owner).get("/").content.decode()
    assert 'href="/.well-known/ledger-key.pem"' in html


# --- The alert banner ------------------------------------------------------------------------------


def test_platform_admins_see_every_unresolved_alert(client, cast, root):
    alert("FR")
    alert("platform", "sequence 9 where 8 was expected (events missing or inserted)")
    alert("KE", "already explained", resolved_at=FOUND, resolved_by=root)
    text = banner(as_user(client, root).get("/"))
    assert "The ledger of FR failed verification on 4 March 2026: event 3 was altered after it was recorded." in text
    assert "The platform ledger failed verification on 4 March 2026: sequence 9 where 8 was expected" in text
    assert "KE" not in text  # resolved
    assert 'href="/admin/tenants/ledgeralert/?status=open"' in as_user(client, root).get("/").content.decode()


def test_auditors_see_the_alerts_of_their_countries_only(client, cast):
    alert("FR")
    alert("KE", "event 1 was altered after it was recorded")
    alert("platform")
    for path in ("/", "/audit/", "/audit/fr/", "/c/fr/activity/"):
        text = banner(as_user(client, cast.auditor).get(path))
        assert "The ledger of FR failed verification on 4 March 2026: event 3 was altered" in text, path
        assert "KE" not in text and "platform" not in text, path
    assert 'href="/audit/fr/"' in as_user(client, cast.auditor).get("/").content.decode()


def test_nobody_else_sees_the_banner_or_pays_a_query_for_it(client, cast):
    alert("FR")
    alert("KE")
    for user in (cast.owner, cast.member, cast.outsider, cast.partner):
        with CaptureQueriesContext(connection) as queries:
            response = as_user(client, user).get("/")
        assert response.status_code == 200
        assert banner(response) == "" and "failed verification" not in response.content.decode(), user.username
        assert not any("tenants_ledgeralert" in q["sql"] for q in queries.captured_queries), user.username
    client.logout()
    assert "failed verification" not in client.get("/accounts/login/").content.decode()


def test_the_banner_costs_an_auditor_one_query(client, cast):
    alert("FR")
    as_user(client, cast.auditor)
    with CaptureQueriesContext(connection) as queries:
        client.get("/audit/")
    assert sum("tenants_ledgeralert" in q["sql"] for q in queries.captured_queries) == 1


# --- The admin -------------------------------------------------------------------------------------


def test_admin_index_shows_the_public_key_and_its_fingerprint(client, root):
    html = as_user(client, root).get("/admin/").content.decode()
    assert signing.public_key_id() in html
    assert signing.public_key_pem().strip() in unescape(html)
    assert 'href="/.well-known/ledger-key.pem"' in html


def test_admin_marks_alerts_resolved_on_the_record(client, root):
    first, second = alert("FR"), alert("platform")
    as_user(client, root)
    assert "The ledger of FR failed verification" in client.get("/admin/tenants/ledgeralert/").content.decode()
    response = client.post(
        "/admin/tenants/ledgeralert/",
        {"action": "mark_resolved", "_selected_action": [first.pk, second.pk], "index": 0},
    )
    assert response.status_code == 302
    for item in (first, second):
        item.refresh_from_db()
        assert item.resolved_at is not None and item.resolved_by_id == root.pk
    event = PlatformEvent.objects.get(action="ledger.alerts_resolved")
    assert event.actor_id == root.pk
    assert event.payload == {"alerts": [first.pk, second.pk], "chains": ["FR", "platform"]}
    # Resolving again changes nothing and records nothing.
    client.post("/admin/tenants/ledgeralert/", {"action": "mark_resolved", "_selected_action": [first.pk], "index": 0})
    assert PlatformEvent.objects.filter(action="ledger.alerts_resolved").count() == 1
    assert banner(client.get("/")) == ""


def test_admin_alerts_and_platform_chain_are_read_only(client, root):
    item = alert("FR")
    event = platform_event_record(action="ledger.verified", payload={"ok": True})
    as_user(client, root)
    assert client.get("/admin/tenants/ledgeralert/add/").status_code == 403
    assert client.get("/admin/tenants/platformevent/add/").status_code == 403
    assert client.get(f"/admin/tenants/ledgeralert/{item.pk}/delete/").status_code == 403
    assert client.get(f"/admin/tenants/platformevent/{event.pk}/delete/").status_code == 403
    listing = client.get("/admin/tenants/platformevent/")
    assert listing.status_code == 200 and "ledger.verified" in listing.content.decode()
    detail = client.get(f"/admin/tenants/platformevent/{event.pk}/change/")
    assert detail.status_code == 200 and 'name="_save"' not in detail.content.decode()
    assert client.post(f"/admin/tenants/platformevent/{event.pk}/change/", {"action": "x"}).status_code == 403


def test_admin_holds_no_country_data():
    for model in (CountryEvent, CountryCheckpoint):
        assert not admin.site.is_registered(model)
    assert admin.site.is_registered(LedgerAlert) and admin.site.is_registered(PlatformEvent)


def test_admin_is_closed_to_everyone_else(client, cast):
    for user in (cast.owner, cast.auditor):
        response = as_user(client, user).get("/admin/tenants/ledgeralert/")
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
