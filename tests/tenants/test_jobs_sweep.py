"""The stuck-job sweeper (beat, every 15 minutes): a job whose row still says waiting or being built
long after it was handed to a worker is handed over again through the outbox, a bounded number of
times (counted by its outbox messages), then ends failed with a message its progress page shows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from portal.models import ComplianceReport
from tenants.isolation import country_context
from tenants.jobs.models import OutboxMessage
from tenants.jobs.outbox import outbox_enqueue
from tenants.jobs.sweep import REDRIVES, TIMED_OUT, jobs_sweep
from tenants.languages.models import Preferences
from tenants.record.models import CountryEvent
from tests.conftest import wait_for

BUILD = "portal.compliance_report_build"
AFTER = dt.timedelta(hours=2, minutes=1)  # past the reports' redrive_after


def stuck_report(country, *, hours_ago: float, state: str = "pending") -> ComplianceReport:
    """A report asked for `hours_ago`, whose job was handed over then and never finished."""
    then = timezone.now() - dt.timedelta(hours=hours_ago)
    with country_context(country):
        first_day = dt.date(2026, 1, 1) + dt.timedelta(
            days=ComplianceReport.objects.count()
        )  # one under way per period
        report = ComplianceReport.objects.create(
            country=country, period_start=first_day, period_end=dt.date(2026, 2, 1), state=state
        )
        ComplianceReport.objects.filter(pk=report.pk).update(created_at=then)
        first = outbox_enqueue(task=BUILD, country_id=country.pk, report_id=report.pk)
        OutboxMessage.objects.filter(pk=first.pk).update(created_at=then, published_at=then, attempts=1)
    return report


def handed_over(country, report) -> int:
    with country_context(country):
        return OutboxMessage.objects.filter(task=BUILD, kwargs__contains={"report_id": report.pk}).count()


@pytest.mark.django_db
def test_a_job_that_keeps_failing_ends_failed_after_its_attempts_and_its_page_says_so(cast, client):
    report = stuck_report(cast.fr, hours_ago=3, state="running")
    fresh = stuck_report(cast.fr, hours_ago=0.5)
    now = timezone.now()
    assert jobs_sweep(now=now) == {"redriven": 1, "failed": 0}
    assert jobs_sweep(now=now) == {"redriven": 0, "failed": 0}  # its new chance is still under way
    for attempt in range(2, REDRIVES + 1):
        now += AFTER
        assert jobs_sweep(now=now)["redriven"] >= 1, attempt
    assert handed_over(cast.fr, report) == 1 + REDRIVES
    now += AFTER
    assert jobs_sweep(now=now)["failed"] >= 1
    assert handed_over(cast.fr, report) == 1 + REDRIVES  # no further chance
    with country_context(cast.fr):
        ended = ComplianceReport.objects.get(pk=report.pk)
    assert (ended.state, ended.error, ended.step, ended.step_text) == ("failed", TIMED_OUT, "timed_out", TIMED_OUT)
    assert jobs_sweep(now=now + AFTER * 3)["failed"] == 1  # only `fresh`'s turn now: `report` stays as it is

    client.force_login(cast.auditor)
    progress = client.get("/audit/fr/reports/progress.json").json()["reports"]
    shown = next(item for item in progress if item["id"] == report.pk)
    assert (shown["state"], shown["step"], shown["download_url"]) == ("failed", TIMED_OUT, "")
    page = client.get("/audit/fr/reports/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "did not finish after several attempts" in page and "govuk-tag--red" in page
    # In the reader's language.
    Preferences.objects.update_or_create(user=cast.auditor, defaults={"language": "fr"})
    french = client.get("/audit/fr/reports/progress.json").json()["reports"]
    assert next(item for item in french if item["id"] == report.pk)["step"].startswith("La tâche ne s’est pas terminée")
    assert fresh.pk != report.pk


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_stuck_job_is_run_again_and_runs_once(cast, celery_worker_process):
    report = stuck_report(cast.fr, hours_ago=3)  # its first hand-over was lost with a broker
    assert jobs_sweep() == {"redriven": 1, "failed": 0}

    def current():
        with country_context(cast.fr):
            return ComplianceReport.objects.get(pk=report.pk)

    done = wait_for(lambda: (r := current()).state in ("done", "failed") and r, timeout=120)
    assert done.state == "done", done.error
    assert jobs_sweep() == {"redriven": 0, "failed": 0}  # finished: left alone
    with country_context(cast.fr):
        assert CountryEvent.objects.filter(action="report.completed", target_id=str(report.pk)).count() == 1
    assert handed_over(cast.fr, report) == 2


@pytest.mark.django_db
def test_every_kind_of_built_file_is_swept(cast):
    """Reports, country exports and subject-access zips: each a row a person waits on."""
    from tenants.jobs.sweep import job_kinds
    from tenants.keys.models import SubjectAccessExport

    assert {kind.model for kind in job_kinds()} >= {
        "portal.ComplianceReport",
        "tenants.CountryExport",
        "tenants.SubjectAccessExport",
    }
    then = timezone.now() - dt.timedelta(hours=3)
    with country_context(cast.fr):
        zip_request = SubjectAccessExport.objects.create(country=cast.fr, subject=cast.member, requested_by=cast.owner)
        SubjectAccessExport.objects.filter(pk=zip_request.pk).update(created_at=then)
    assert jobs_sweep()["redriven"] == 1
    with country_context(cast.fr):
        assert OutboxMessage.objects.filter(
            task="tenants.subject_access_build", kwargs={"country_id": cast.fr.pk, "request_id": zip_request.pk}
        ).exists()
