"""Compliance report pages and API: who may see them (auditors and partner managers of the country;
404 for everyone else, 401/redirect for anonymous visitors), requests recorded on the ledger and
enqueued on commit, downloads recorded, bad input explained, constant query counts, expiry."""

from __future__ import annotations

import datetime as dt
import zipfile
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from portal.models import ComplianceReport
from portal.reports import services
from tenants import files
from tenants.isolation import country_context
from tenants.record.ledger import event_record
from tenants.record.models import CountryEvent

pytestmark = pytest.mark.django_db
API = "/api/v1/countries/{code}/compliance-reports/"
PAGE = "/audit/{code}/reports/"
TODAY = timezone.localdate()


def make_report(country, *, by=None, built=False, **extra) -> ComplianceReport:
    with country_context(country):
        event_record(country=country, action="test.seeded", payload={})
        report = ComplianceReport.objects.create(
            country=country,
            period_start=TODAY - timedelta(days=7),
            period_end=TODAY,
            requested_by=by,
            requested_role="auditor",
            **extra,
        )
    if built:
        report = services.report_build(report_id=report.pk, country_id=country.pk)
    return report


def actions(country) -> list[str]:
    with country_context(country):
        return list(
            CountryEvent.objects.filter(country_id=country.pk).order_by("sequence").values_list("action", flat=True)
        )


# --- who sees what -----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["auditor", "partner"])
def test_auditor_and_partner_manager_see_the_page_and_the_api(client, cast, who):
    report = make_report(cast.fr, built=True)
    client.force_login(getattr(cast, who))
    page = client.get(PAGE.format(code="fr"))
    assert page.status_code == 200 and b"Compliance reports" in page.content
    assert f'data-report="{report.pk}"'.encode() in page.content and b"Download" in page.content
    listing = client.get(API.format(code="FR"))
    assert listing.status_code == 200 and [r["id"] for r in listing.json()["results"]] == [report.pk]
    detail = client.get(API.format(code="FR") + f"{report.pk}/").json()
    assert detail["state"] == "done" and detail["percent"] == 100 and detail["download_url"].endswith("/download/")


@pytest.mark.parametrize("who", ["owner", "member", "outsider"])
def test_everyone_else_gets_404_pages_and_api(client, cast, who):
    report = make_report(cast.fr, built=True)
    client.force_login(getattr(cast, who))
    for url in (
        PAGE.format(code="fr"),
        PAGE.format(code="fr") + "progress.json",
        PAGE.format(code="fr") + f"{report.pk}/download/",
        API.format(code="FR"),
        API.format(code="FR") + f"{report.pk}/",
        API.format(code="FR") + f"{report.pk}/download/",
    ):
        assert client.get(url).status_code == 404, url
    assert (
        client.post(
            API.format(code="FR"),
            {"period_start": "2026-01-01", "period_end": "2026-01-31"},
            content_type="application/json",
        ).status_code
        == 404
    )
    assert (
        client.post(
            PAGE.format(code="fr"), {"kind": "pack", "period_start": "2026-01-01", "period_end": "2026-01-31"}
        ).status_code
        == 404
    )
    with country_context(cast.fr):
        assert ComplianceReport.objects.count() == 1


def test_anonymous_visitors_are_sent_to_log_in_or_get_401(client, cast):
    report = make_report(cast.fr)
    for url in (
        PAGE.format(code="fr"),
        PAGE.format(code="fr") + "progress.json",
        PAGE.format(code="fr") + f"{report.pk}/download/",
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    for url in (
        API.format(code="FR"),
        API.format(code="FR") + f"{report.pk}/",
        API.format(code="FR") + f"{report.pk}/download/",
    ):
        assert client.get(url).status_code == 401


def test_auditor_of_france_gets_404_for_kenya_and_for_kenyas_report_ids(client, cast):
    kenyan = make_report(cast.ke, built=True)
    client.force_login(cast.auditor)
    assert client.get(PAGE.format(code="ke")).status_code == 404
    assert client.get(API.format(code="KE")).status_code == 404
    # Kenya's report id under France's URL does not exist for France.
    assert client.get(API.format(code="FR") + f"{kenyan.pk}/").status_code == 404
    assert client.get(API.format(code="FR") + f"{kenyan.pk}/download/").status_code == 404
    assert client.get(PAGE.format(code="fr") + f"{kenyan.pk}/download/").status_code == 404
    for bad in ("abc", "0", "99999999999999999999999"):
        assert client.get(API.format(code="FR") + f"{bad}/").status_code == 404
        assert client.get(PAGE.format(code="fr") + f"{bad}/download/").status_code == 404


# --- requests, progress, downloads -------------------------------------------------------------


def test_request_by_api_records_it_and_enqueues_the_build_on_commit(client, cast, django_capture_on_commit_callbacks):
    client.force_login(cast.auditor)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            API.format(code="FR"),
            {"period_start": "2026-01-01", "period_end": "2026-03-31"},
            content_type="application/json",
        )
    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["state"], body["kind"], body["period_start"], body["download_url"]) == (
        "pending",
        "pack",
        "2026-01-01",
        None,
    )
    assert len(callbacks) == 1
    assert actions(cast.fr)[-1] == "report.requested"
    with country_context(cast.fr):
        event = CountryEvent.objects.filter(action="report.requested").get()
    assert event.payload == {"kind": "pack", "from": "2026-01-01", "to": "2026-03-31"}
    assert event.actor_role == "auditor"


def test_request_by_the_page_redirects_to_the_list(client, cast, django_capture_on_commit_callbacks):
    client.force_login(cast.partner)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            PAGE.format(code="fr"), {"kind": "ledger", "period_start": "2026-01-01", "period_end": "2026-01-31"}
        )
    assert response.status_code == 302 and response["Location"] == PAGE.format(code="fr")
    assert len(callbacks) == 1
    with country_context(cast.fr):
        report = ComplianceReport.objects.get()
    assert (report.kind, report.requested_role, report.state) == ("ledger", "partner_manager", "pending")


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"period_start": "2026-03-01", "period_end": "2026-02-01"}, "period_end", "same as or after the first day"),
        ({"period_start": "not a date", "period_end": "2026-02-01"}, "period_start", "Date has wrong format"),
        ({"period_end": "2026-02-01"}, "period_start", "required"),
        ({"period_start": "2010-01-01", "period_end": "2026-02-01"}, "period_end", "at most five years"),
        ({"period_start": "2026-01-01", "period_end": "2026-02-01", "kind": "everything"}, "kind", "valid choice"),
        ({"period_start": "2026-01-01", "period_end": "2026-02-01", "countries": ["KE"]}, "countries", "Unknown field"),
    ],
)
def test_bad_api_requests_answer_400_and_change_nothing(client, cast, data, field, message):
    client.force_login(cast.auditor)
    before = actions(cast.fr)
    response = client.post(API.format(code="FR"), data, content_type="application/json")
    assert response.status_code == 400
    assert message in str(response.json()), response.json()
    with country_context(cast.fr):
        assert not ComplianceReport.objects.exists()
    assert actions(cast.fr) == before


def test_bad_page_requests_are_explained_on_the_form(client, cast):
    client.force_login(cast.auditor)
    response = client.post(
        PAGE.format(code="fr"), {"kind": "pack", "period_start": "2026-03-01", "period_end": "2026-02-01"}
    )
    assert response.status_code == 400
    assert b"There is a problem" in response.content and b"same as or after the first day" in response.content
    response = client.post(PAGE.format(code="fr"), {"kind": "pack", "period_start": "yesterday", "period_end": ""})
    assert response.status_code == 400 and b"as YYYY-MM-DD, for example 2026-01-01" in response.content
    with country_context(cast.fr):
        assert not ComplianceReport.objects.exists()


def test_progress_json_follows_the_build(client, cast):
    report = make_report(cast.fr)
    client.force_login(cast.auditor)
    item = client.get(PAGE.format(code="fr") + "progress.json").json()["reports"][0]
    assert (item["id"], item["state"], item["percent"], item["download_url"]) == (report.pk, "pending", 0, "")
    services.report_build(report_id=report.pk, country_id=cast.fr.pk)
    item = client.get(PAGE.format(code="fr") + "progress.json").json()["reports"][0]
    assert (item["state"], item["percent"], item["step"]) == ("done", 100, "Ready")
    assert item["download_url"] == PAGE.format(code="fr") + f"{report.pk}/download/"


@pytest.mark.parametrize("where", ["page", "api"])
def test_download_gives_the_bundle_and_records_it(client, cast, where, tmp_path):
    report = make_report(cast.fr, built=True)
    client.force_login(cast.auditor)
    url = (PAGE.format(code="fr") if where == "page" else API.format(code="FR")) + f"{report.pk}/download/"
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    path = tmp_path / "r.zip"
    path.write_bytes(b"".join(response.streaming_content))
    with zipfile.ZipFile(path) as archive:
        assert "manifest.json" in archive.namelist() and "verify_bundle.py" in archive.namelist()
    assert actions(cast.fr)[-1] == "report.downloaded"


def test_unfinished_reports_cannot_be_downloaded(client, cast):
    report = make_report(cast.fr)
    client.force_login(cast.auditor)
    assert client.get(API.format(code="FR") + f"{report.pk}/download/").status_code == 400
    assert client.get(PAGE.format(code="fr") + f"{report.pk}/download/").status_code == 404
    assert "report.downloaded" not in actions(cast.fr)


def test_expiry_deletes_the_file_keeps_the_row_and_records_it(client, cast):
    report = make_report(cast.fr, built=True)
    name = services.report_stored_name(report)
    assert files.file_exists(name)
    assert services.reports_expire(now=timezone.now() + timedelta(days=31)) == 1
    assert not files.file_exists(name)
    with country_context(cast.fr):
        report.refresh_from_db()
    assert (report.state, report.file_name) == ("expired", "")
    assert actions(cast.fr)[-1] == "report.expired"
    client.force_login(cast.auditor)
    assert client.get(API.format(code="FR") + f"{report.pk}/download/").status_code == 400


# --- constant query counts ---------------------------------------------------------------------


def _count(client, url) -> tuple[int, int]:
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), len([q for q in queries if 'FROM "portal_compliancereport"' in q["sql"]])


@pytest.mark.parametrize(
    "url", [PAGE.format(code="fr"), PAGE.format(code="fr") + "progress.json", API.format(code="FR")]
)
def test_lists_keep_a_constant_number_of_queries(client, cast, url):
    client.force_login(cast.auditor)

    def add(n):
        with country_context(cast.fr):
            made = ComplianceReport.objects.count()
            ComplianceReport.objects.bulk_create(
                ComplianceReport(
                    country=cast.fr,
                    period_start=dt.date(2026, 1, 1) + timedelta(days=made + i),  # one under way per period
                    period_end=dt.date(2026, 1, 31),
                    requested_by=cast.auditor,
                )
                for i in range(n)
            )

    add(4)
    small = _count(client, url)
    add(8)
    large = _count(client, url)
    assert small == large
    assert small[1] == 1  # the list itself is one query, its country joined


def test_a_period_ending_after_today_is_refused_by_page_and_api_in_the_readers_language(client, cast):
    client.force_login(cast.auditor)
    before = actions(cast.fr)
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    data = {"kind": "pack", "period_start": "2026-01-01", "period_end": tomorrow}
    response = client.post(API.format(code="FR"), data, content_type="application/json")
    assert response.status_code == 400 and "The last day cannot be after today." in str(response.json())
    response = client.post(PAGE.format(code="fr"), data)
    assert response.status_code == 400 and "The last day cannot be after today." in response.content.decode()
    response = client.post(
        API.format(code="FR"), data, content_type="application/json", headers={"accept-language": "fr"}
    )
    assert response.status_code == 400 and "The last day cannot be after today." not in str(response.json())
    with country_context(cast.fr):
        assert not ComplianceReport.objects.exists()
    assert actions(cast.fr) == before


@pytest.mark.parametrize("written", ["12/31/2025", "31/12/2025"])
def test_a_period_not_written_yyyy_mm_dd_is_refused_by_page_and_api(client, cast, written):
    client.force_login(cast.auditor)
    data = {"kind": "pack", "period_start": "2025-01-01", "period_end": written}
    response = client.post(PAGE.format(code="fr"), data)
    assert response.status_code == 400 and "Enter the last day as YYYY-MM-DD" in response.content.decode()
    response = client.post(API.format(code="FR"), data, content_type="application/json")
    assert response.status_code == 400 and "YYYY-MM-DD" in str(response.json())
    with country_context(cast.fr):
        assert not ComplianceReport.objects.exists()
