"""The audit pages of a country (/audit/<code>/): who may open them (the country's auditors and
partner managers; everyone else a 404, its own members included), the filters and their errors,
keyset pages at a constant query count, verification on demand, and verifiable extracts."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import zipfile
from datetime import timedelta
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from guardian.shortcuts import assign_perm

from tenants.access import AUDITOR_PERMISSION
from tenants.isolation import country_context
from tenants.models import Membership
from tenants.record import services as audit
from tenants.record import signing
from tenants.record.ledger import event_record
from tenants.record.models import CountryCheckpoint, CountryEvent, LedgerAlert

pytestmark = pytest.mark.django_db


# --- Helpers ---------------------------------------------------------------------------------------


def as_user(client, user):
    client.force_login(user)
    return client


def record(
    cast, count: int, *, action: str = "organisation.created", role: str = "country_admin", actor=None, country=None
) -> None:
    country = country or cast.fr
    with country_context(country):
        target = cast.fr_ministry if country == cast.fr else cast.ke_ministry
        for n in range(count):
            event_record(
                country=country,
                action=action,
                actor=actor if actor is not None else cast.owner,
                actor_role=role,
                target=target,
                payload={"kind": "ministry", "n": n},
            )


def varied_history(cast) -> None:
    """Events 1-3 organisation.created by the owner, 4-5 member.added by the system, 6 member.role_changed
    by the owner, 7 key.rotated by the platform."""
    record(cast, 3)
    with country_context(cast.fr):
        member = Membership.objects.get(user=cast.member)
        for _ in range(2):
            event_record(country=cast.fr, action="member.added", target=member, payload={"role": "officer"})
        event_record(
            country=cast.fr,
            action="member.role_changed",
            actor=cast.owner,
            actor_role="country_admin",
            target=member,
            payload={"from": "officer", "to": "viewer"},
        )
        event_record(country=cast.fr, action="key.rotated", actor_role="platform", payload={"rows": 0})


def sequences(response) -> list[int]:
    """The event numbers in the audit table, top to bottom."""
    html = response.content.decode()
    table = re.search(r'<table class="govuk-table app-audit-table">.*?</table>', html, re.S)
    if not table:
        return []
    cells = re.findall(r'<td class="govuk-table__cell govuk-table__cell--numeric">(\d+)</td>', table.group(0))
    return [int(n) for n in cells]


def error_summary(response) -> str:
    html = response.content.decode()
    match = re.search(r'<div class="govuk-error-summary".*?</ul>', html, re.S)
    assert match, "the page has no GOV.UK error summary"
    return unescape(match.group(0))


def fr_events(cast, action: str) -> list[CountryEvent]:
    with country_context(cast.fr):
        return list(CountryEvent.objects.filter(action=action).order_by("sequence"))


def assert_login_redirect(response, path):
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    assert path.replace("/", "%2F") in response["Location"] or path in response["Location"]


# --- Who may open the pages ------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["fr", "FR", "Fr"])
def test_auditor_and_partner_manager_open_the_audit_page(client, cast, code):
    record(cast, 2)
    for user, role in ((cast.auditor, "Auditor"), (cast.partner, "Partner manager")):
        response = as_user(client, user).get(f"/audit/{code}/")
        assert response.status_code == 200, user.username
        body = unescape(response.content.decode())
        assert "France (FR)" in body and f"your role: {role}" in body
        assert sequences(response) == [2, 1]


def test_everyone_else_gets_404_from_the_audit_pages(client, cast):
    record(cast, 2)
    # The country's own members (who have their activity page), and another country's admin.
    for user in (cast.owner, cast.member, cast.viewer, cast.outsider):
        as_user(client, user)
        for path in ("/audit/fr/", "/audit/fr/export/"):
            response = client.get(path)
            assert response.status_code == 404, (user.username, path)
            assert "organisation.created" not in response.content.decode()
        assert client.post("/audit/fr/").status_code == 404
        assert client.post("/audit/fr/export/").status_code == 404
    # Nothing was verified or exported by the refused requests.
    assert fr_events(cast, "ledger.verified_by_auditor") == [] and fr_events(cast, "ledger.exported") == []
    client.logout()
    for path in ("/audit/fr/", "/audit/fr/export/"):
        assert_login_redirect(client.get(path), path)


def test_auditor_of_france_gets_404_for_kenya_and_unknown_codes(client, cast):
    record(cast, 1, country=cast.ke, actor=cast.outsider)
    as_user(client, cast.auditor)
    for path in ("/audit/ke/", "/audit/KE/", "/audit/ke/export/", "/audit/zz/", "/audit/fra/", "/audit/f1/"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Ministry of ICT" not in response.content.decode()
    # /audit/ itself still lists the auditor's countries, with links to their audit pages.
    home = client.get("/audit/")
    assert home.status_code == 200 and 'href="/audit/fr/"' in home.content.decode()
    assert 'href="/audit/ke/"' not in home.content.decode()


def test_an_assignment_to_kenya_opens_kenyas_audit_page(client, cast):
    record(cast, 1, country=cast.ke, actor=cast.outsider)
    assign_perm(f"tenants.{AUDITOR_PERMISSION}", cast.auditor, cast.ke)
    response = as_user(client, cast.auditor).get("/audit/ke/")
    assert response.status_code == 200 and "Kenya (KE)" in response.content.decode()
    assert sequences(response) == [1]


def test_audit_navigation_leads_auditors_and_partner_managers_to_the_country(client, cast):
    for user in (cast.auditor, cast.partner):
        html = as_user(client, user).get("/audit/fr/").content.decode()
        assert re.search(r'href="/audit/" aria-current="page"', html), user.username
        assert 'href="/audit/fr/"' in as_user(client, user).get("/audit/").content.decode()
    assert 'href="/audit/"' not in as_user(client, cast.owner).get("/").content.decode()


# --- Filters ---------------------------------------------------------------------------------------


def test_action_choices_come_from_the_countrys_own_actions(client, cast):
    varied_history(cast)
    record(cast, 1, country=cast.ke, action="incident.reported", actor=cast.outsider)
    html = as_user(client, cast.auditor).get("/audit/fr/").content.decode()
    select = re.search(r'<select[^>]*name="action".*?</select>', html, re.S).group(0)
    values = re.findall(r'<option value="([^"]*)"', select)
    assert values == [
        "",
        "key.",
        "key.rotated",
        "member.",
        "member.added",
        "member.role_changed",
        "organisation.",
        "organisation.created",
    ]
    assert "incident" not in select  # Kenya's actions are not France's


@pytest.mark.parametrize(
    "query, expected",
    [
        ({"action": "member."}, [6, 5, 4]),
        ({"action": "member.added"}, [5, 4]),
        ({"action": "organisation."}, [3, 2, 1]),
        ({"role": "country_admin"}, [6, 3, 2, 1]),
        ({"role": "platform"}, [7]),
        ({"role": "system"}, [5, 4]),
        ({"role": "auditor"}, []),
        ({"seq_from": "2", "seq_to": "4"}, [4, 3, 2]),
        ({"seq_from": "6"}, [7, 6]),
        ({"action": "member.", "role": "country_admin"}, [6]),
    ],
)
def test_filters_narrow_the_events(client, cast, query, expected):
    varied_history(cast)
    response = as_user(client, cast.auditor).get("/audit/fr/", query)
    assert response.status_code == 200
    assert sequences(response) == expected
    if not expected:
        assert "No events match." in response.content.decode()


def portal_and_people(cast) -> None:
    """Events 1 by a worker (role "system", as provisioning writes), 2 by beat (no role), 3 by a
    person whose service named no role (a credential's reveal), 4 by a country admin."""
    with country_context(cast.fr):
        event_record(country=cast.fr, action="credential.issued", actor_role="system", payload={"key_number": 1})
        event_record(country=cast.fr, action="policy.reminders_sent", payload={"count": 2})
        event_record(country=cast.fr, action="credential.revealed", actor=cast.owner, payload={"key_number": 1})
        event_record(country=cast.fr, action="member.added", actor=cast.owner, actor_role="country_admin")


def test_the_portal_itself_is_every_event_no_person_made(client, cast):
    portal_and_people(cast)
    response = as_user(client, cast.auditor).get("/audit/fr/", {"role": "system"})
    assert response.status_code == 200
    assert sequences(response) == [2, 1]


def test_date_filters(client, cast):
    varied_history(cast)
    as_user(client, cast.auditor)
    today = timezone.now().date()
    day = lambda d: d.isoformat()  # noqa: E731
    everything = [7, 6, 5, 4, 3, 2, 1]
    assert sequences(client.get("/audit/fr/", {"date_from": day(today), "date_to": day(today)})) == everything
    assert sequences(client.get("/audit/fr/", {"date_from": day(today + timedelta(days=1))})) == []
    assert sequences(client.get("/audit/fr/", {"date_to": day(today - timedelta(days=1))})) == []
    # Only YYYY-MM-DD, as on every form: a day-first or month-first date is refused, not guessed.
    for written in (today.strftime("%d/%m/%Y"), today.strftime("%m/%d/%Y")):
        assert "Enter the from date as YYYY-MM-DD" in client.get("/audit/fr/", {"date_from": written}).content.decode()
    # The largest date there is does not overflow.
    assert client.get("/audit/fr/", {"date_to": "9999-12-31"}).status_code == 200


@pytest.mark.parametrize(
    "query, message",
    [
        ({"date_from": "2026-13-45"}, "Enter the from date as YYYY-MM-DD, for example 2026-03-01."),
        ({"date_to": "yesterday"}, "Enter the to date as YYYY-MM-DD, for example 2026-03-01."),
        (
            {"date_from": "2026-03-02", "date_to": "2026-03-01"},
            "The to date must be the same as or after the from date.",
        ),
        ({"seq_from": "abc"}, "Enter the first event number as a whole number of 1 or more"),
        ({"seq_to": "0"}, "Enter the last event number as a whole number of 1 or more"),
        ({"seq_from": "-3"}, "Enter the first event number as a whole number of 1 or more"),
        ({"seq_from": "99999999999999999999999"}, "The first event number is larger than any chain."),
        ({"seq_from": "5", "seq_to": "2"}, "The last event number must be the same as or after the first."),
        ({"action": "nothing.like.this"}, "Choose an action from the list."),
        ({"role": "king"}, "Choose a role from the list."),
        ({"before": "x"}, "This page link is not valid."),
        ({"after": "-1"}, "This page link is not valid."),
    ],
)
def test_bad_filters_answer_400_with_a_message(client, cast, query, message):
    varied_history(cast)
    response = as_user(client, cast.auditor).get("/audit/fr/", query)
    assert response.status_code == 400
    assert message in error_summary(response)
    assert sequences(response) == []
    assert "Correct the filters above to see the events." in response.content.decode()
    # The rest of the page is still there: the verify button and the export form.
    assert "Verify chain now" in response.content.decode()


# --- Keyset pages ----------------------------------------------------------------------------------


def test_pages_of_fifty_keyed_on_the_sequence_keep_the_filters(client, cast):
    record(cast, 120)
    record(cast, 5, action="member.added", role="")
    as_user(client, cast.auditor)
    first = client.get("/audit/fr/", {"action": "organisation."})
    assert sequences(first) == list(range(120, 70, -1))
    assert 'href="?action=organisation.&amp;before=71#events"' in first.content.decode()
    second = client.get("/audit/fr/", {"action": "organisation.", "before": "71"})
    assert sequences(second) == list(range(70, 20, -1))
    third = client.get("/audit/fr/", {"action": "organisation.", "before": "21"})
    assert sequences(third) == list(range(20, 0, -1))
    assert "before=" not in third.content.decode()  # the last page has no Older link
    back = client.get("/audit/fr/", {"action": "organisation.", "after": "20"})
    assert sequences(back) == list(range(70, 20, -1))
    # Without the filter, the newest page starts with the member events.
    assert sequences(client.get("/audit/fr/"))[:6] == [125, 124, 123, 122, 121, 120]


def count_queries(client, path: str) -> tuple[int, list[str]]:
    client.get(path)  # a person's first request fills the access cache (tenants.access): count the next
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return len(queries), [q["sql"] for q in queries.captured_queries]


def test_query_count_is_the_same_for_n_and_3n_events(client, cast):
    as_user(client, cast.auditor)

    def grow(n):
        record(cast, n)
        with country_context(cast.fr):
            member = Membership.objects.get(user=cast.member)
            for _ in range(n):
                event_record(
                    country=cast.fr,
                    action="member.role_changed",
                    actor=cast.owner,
                    actor_role="country_admin",
                    target=member,
                    payload={"from": "officer", "to": "viewer"},
                )

    grow(20)
    small, _ = count_queries(client, "/audit/fr/")
    small_filtered, _ = count_queries(client, "/audit/fr/?action=member.&seq_from=2")
    grow(40)  # 3N events in all
    large, sql = count_queries(client, "/audit/fr/")
    assert large == small
    assert count_queries(client, "/audit/fr/?action=member.&seq_from=2")[0] == small_filtered
    events_sql = [q for q in sql if 'FROM "tenants_countryevent"' in q or "FROM tenants_countryevent" in q]
    # The distinct actions, the page of events, the chain's head and the last verification.
    assert len(events_sql) == 4
    assert not any("COUNT(" in q.upper() for q in events_sql)
    # The organisations and people the rows name are one query each.
    assert sum('FROM "tenants_organisation"' in q for q in sql) == 1
    assert sum('FROM "tenants_membership"' in q for q in sql) == 1


# --- Verification ----------------------------------------------------------------------------------


def test_reading_the_page_does_not_walk_the_chain(client, cast, monkeypatch):
    record(cast, 3)
    calls = []
    original = audit.chain_verify
    monkeypatch.setattr(audit, "chain_verify", lambda **kw: calls.append(kw) or original(**kw))
    body = as_user(client, cast.auditor).get("/audit/fr/").content.decode()
    assert calls == []
    assert "The chain has not been checked from this page yet." in body
    assert fr_events(cast, "ledger.verified_by_auditor") == []


def test_verify_button_shows_the_result_and_records_it(client, cast):
    record(cast, 4)
    as_user(client, cast.auditor)
    response = client.post("/audit/fr/")
    assert response.status_code == 200
    body = unescape(response.content.decode())
    assert "The chain of France is intact." in body
    assert "4 events recomputed from the first one and 0 signed checkpoints checked" in body
    [event] = fr_events(cast, "ledger.verified_by_auditor")
    assert event.sequence == 5 and event.actor_id == cast.auditor.pk and event.actor_role == "auditor"
    assert event.payload == {"ok": True, "events": 4, "checkpoints": 0}
    # The next reading of the page tells when it was last checked, and by whom.
    again = unescape(client.get("/audit/fr/").content.decode())
    assert "Last checked from this page on" in again and "by auditor" in again and "Intact" in again
    # A partner manager's check is recorded in their own role.
    as_user(client, cast.partner).post("/audit/fr/")
    assert fr_events(cast, "ledger.verified_by_auditor")[-1].actor_role == "partner_manager"
    assert not LedgerAlert.objects.exists()


def test_a_broken_chain_is_reported_and_raises_an_alert(client, cast):
    record(cast, 3)
    with country_context(cast.fr):
        # A checkpoint the portal's key never signed (inserting is all the database lets anyone do).
        CountryCheckpoint.objects.create(
            country=cast.fr,
            sequence=2,
            head_hash="f" * 64,
            at=timezone.now(),
            key_id="0123456789abcdef",
            signature="AAAA",
        )
    response = as_user(client, cast.auditor).post("/audit/fr/")
    assert response.status_code == 200
    body = unescape(response.content.decode())
    assert "The chain of France does not verify" in body
    assert "Checkpoint at 2 has no valid signature of the portal's key" in body
    [event] = fr_events(cast, "ledger.verified_by_auditor")
    assert event.payload == {"ok": False, "events": 3, "checkpoints": 1}
    alert = LedgerAlert.objects.get()
    assert alert.chain == "FR" and "checkpoint at 2" in alert.problem and alert.resolved_at is None
    # The auditor now sees the alert banner on every page.
    assert "The ledger of FR failed verification on" in unescape(client.get("/audit/").content.decode())


# --- Export ----------------------------------------------------------------------------------------


def download(response) -> zipfile.ZipFile:
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/zip"
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_export_of_the_whole_chain_verifies_offline(client, cast, tmp_path):
    varied_history(cast)
    response = as_user(client, cast.auditor).post("/audit/fr/export/", {"first": "", "last": ""})
    assert response["Content-Disposition"] == 'attachment; filename="fr-ledger-1-7.zip"'
    archive = download(response)
    assert set(archive.namelist()) == {
        "events.jsonl",
        "checkpoints.jsonl",
        "ledger-key.pem",
        "ledger-keyring.json",
        "segment.json",
        "verify_ledger.py",
        "README.txt",
    }
    events = [json.loads(line) for line in archive.read("events.jsonl").decode().splitlines()]
    assert [e["sequence"] for e in events] == [1, 2, 3, 4, 5, 6, 7] and {e["chain"] for e in events} == {"FR"}
    assert archive.read("ledger-key.pem").decode() == signing.public_key_pem()
    assert "python3 verify_ledger.py fr-ledger-1-7.zip" in archive.read("README.txt").decode()
    # The extract is anchored by a checkpoint at its last event, and the shipped script agrees it is intact.
    checkpoints = [json.loads(line) for line in archive.read("checkpoints.jsonl").decode().splitlines()]
    assert [c["sequence"] for c in checkpoints] == [7]
    path = tmp_path / "fr-ledger-1-7.zip"
    archive.close()
    path.write_bytes(b"".join(client.post("/audit/fr/export/").streaming_content))
    script = tmp_path / "verify_ledger.py"
    script.write_bytes(zipfile.ZipFile(path).read("verify_ledger.py"))
    result = subprocess.run([sys.executable, str(script), str(path)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Public key fingerprint: {signing.public_key_id()}" in result.stdout and "VERIFIED" in result.stdout
    # Each download is on the record, after the events it exported.
    exported = fr_events(cast, "ledger.exported")
    assert [e.payload for e in exported] == [
        {"first": 1, "last": 7, "events": 7, "via": "page"},
        {"first": 1, "last": 8, "events": 8, "via": "page"},
    ]
    assert exported[0].actor_id == cast.auditor.pk and exported[0].actor_role == "auditor"


def test_export_of_a_range_by_post(client, cast):
    record(cast, 5)
    as_user(client, cast.partner)
    for response in (
        client.post("/audit/fr/export/", {"first": "2", "last": "3"}),
        client.post("/audit/FR/export/", {"first": "2", "last": "3"}),
    ):
        assert response["Content-Disposition"] == 'attachment; filename="fr-ledger-2-3.zip"'
        events = [json.loads(line) for line in download(response).read("events.jsonl").decode().splitlines()]
        assert [e["sequence"] for e in events] == [2, 3]
    assert [e.payload for e in fr_events(cast, "ledger.exported")] == [
        {"first": 2, "last": 3, "events": 2, "via": "page"}
    ] * 2
    assert fr_events(cast, "ledger.exported")[0].actor_role == "partner_manager"


@pytest.mark.parametrize(
    "data, message",
    [
        ({"first": "1", "last": "50"}, "The ledger has 3 events; choose a last event of at most 3."),
        ({"first": "50"}, "The ledger has 3 events; choose a first event of at most 3."),
        ({"first": "0"}, "Enter the first event number as a whole number of 1 or more"),
        ({"first": "abc"}, "Enter the first event number as a whole number of 1 or more"),
        ({"first": "3", "last": "2"}, "The last event must be the same as or after the first."),
    ],
)
def test_export_refusals_are_explained_on_the_form(client, cast, data, message):
    record(cast, 3)
    response = as_user(client, cast.auditor).post("/audit/fr/export/", data)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert message in error_summary(response)
    assert "Export the ledger" in response.content.decode()
    # The message stands against the field to correct, when there is one.
    field = {"50": "first"}.get(data.get("first")) or ("last" if data.get("last") else "first")
    html = response.content.decode()
    assert re.search(rf'govuk-form-group--error">\s*<label class="govuk-label" for="id_{field}"', html)
    assert fr_events(cast, "ledger.exported") == []
    with country_context(cast.fr):
        assert CountryCheckpoint.objects.count() == 0


def test_export_of_an_empty_ledger_is_refused(client, cast):
    assign_perm(f"tenants.{AUDITOR_PERMISSION}", cast.auditor, cast.ke)
    response = as_user(client, cast.auditor).post("/audit/ke/export/")
    assert response.status_code == 400
    assert "The ledger of Kenya has no events yet." in error_summary(response)


def test_the_page_explains_offline_verification(client, cast):
    record(cast, 3)
    body = unescape(as_user(client, cast.auditor).get("/audit/fr/").content.decode())
    assert "python3 verify_ledger.py fr-ledger-1-3.zip" in body
    assert 'href="/.well-known/ledger-key.pem"' in body
    assert signing.public_key_id() in body
    assert 'action="/audit/fr/export/"' in body


def test_a_plain_get_of_the_export_page_downloads_nothing_and_records_nothing(client, cast):
    """Finding 4 of issue 12: a GET (a link, a prefetch) wrote a ledger event; downloads are POSTs."""
    record(cast, 3)
    for params in ({}, {"first": "1", "last": "2"}):
        response = as_user(client, cast.auditor).get("/audit/fr/export/", params)
        assert response.status_code == 200 and "Content-Disposition" not in response
        assert 'method="post"' in response.content.decode()
    assert fr_events(cast, "ledger.exported") == []


# --- What an auditor finds first, and one date format ----------------------------------------------


def test_reports_and_verification_come_before_the_events(client, cast):
    record(cast, 60)
    html = as_user(client, cast.auditor).get("/audit/fr/").content.decode()
    reports = html.index('href="/audit/fr/reports/"')
    verify = html.index("Verify chain now")
    assert reports < verify < html.index('id="events"') < html.index("app-audit-table")
    # The list of countries leads to the reports and the verification of each, before the ledger.
    home = client.get("/audit/").content.decode()
    links = home[home.index('href="/audit/fr/reports/"') :]
    assert links.index('href="/audit/fr/#chain-status"') < links.index('href="/audit/fr/"')


def test_dates_are_shown_as_the_hint_asks_them_to_be_typed(client, cast):
    record(cast, 1)
    html = as_user(client, cast.auditor).get("/audit/fr/").content.decode()
    today = timezone.now().date().isoformat()
    assert "For example, 2026-03-01" in html
    assert re.search(rf'<time datetime="[^"]+">{today} \d\d:\d\d:\d\d UTC</time>', html)
    reports = client.get("/audit/fr/reports/").content.decode()
    # Text inputs holding year-month-day, not a date picker that shows the browser's own format.
    for name in ("period_start", "period_end"):
        field = re.search(rf'<input[^>]*name="{name}"[^>]*>', reports).group(0)
        assert 'type="text"' in field and re.search(r'value="\d{4}-\d\d-\d\d"', field)
    assert "For example, 2026-01-01" in reports


def test_the_who_filter_narrows_the_events_and_is_kept_across_pages(client, cast):
    record(cast, 60, actor=cast.member, role="officer")
    record(cast, 5)
    as_user(client, cast.auditor)
    with country_context(cast.fr):
        name = CountryEvent.objects.filter(actor=cast.member).values_list("actor_label", flat=True).first()
    assert name
    part = name[1:-1]
    first = client.get("/audit/fr/", {"actor": part})
    assert sequences(first) == list(range(60, 10, -1))
    html = unescape(first.content.decode())
    older = re.search(r'href="(\?[^"]*before=11[^"]*)#events"', html).group(1)
    assert "actor=" in older
    second = client.get("/audit/fr/" + older)
    assert sequences(second) == list(range(10, 0, -1))
    assert client.get("/audit/fr/", {"actor": "nobody-by-this-name"}).status_code == 200
    too_long = client.get("/audit/fr/", {"actor": "x" * 151})
    assert too_long.status_code == 400
    assert "Enter at most 150 characters of the name." in error_summary(too_long)


def test_query_count_with_every_filter_is_the_same_for_n_and_3n_events(client, cast):
    as_user(client, cast.auditor)
    today = timezone.now().date().isoformat()
    path = f"/audit/fr/?action=organisation.&role=country_admin&actor=a&date_from={today}&date_to={today}"
    record(cast, 60)
    small, _ = count_queries(client, path)
    small_second, _ = count_queries(client, path + "&before=20")
    record(cast, 120)
    assert count_queries(client, path)[0] == small
    assert count_queries(client, path + "&before=20")[0] == small_second


def test_a_reversed_report_period_is_explained_and_changes_nothing(client, cast):
    from portal.models import ComplianceReport

    as_user(client, cast.auditor)
    before = len(fr_events(cast, "report.requested"))
    response = client.post(
        "/audit/fr/reports/", {"kind": "pack", "period_start": "2026-03-02", "period_end": "2026-03-01"}
    )
    assert response.status_code == 400
    assert "The last day must be the same as or after the first day." in error_summary(response)
    assert 'href="#id_period_end"' in response.content.decode()
    with country_context(cast.fr):
        assert not ComplianceReport.objects.exists()
    assert len(fr_events(cast, "report.requested")) == before
