"""Writes of compliance reports: request (by an assigned auditor or partner manager), build (by a
worker, with progress), download (recorded) and expiry of old files. Each is on the country's
ledger."""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from typing import BinaryIO

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from tenants import files
from tenants.access import AUDITOR, PARTNER_MANAGER, Access
from tenants.errors import NotAllowed, ServiceError
from tenants.isolation import country_context
from tenants.jobs.outbox import outbox_enqueue
from tenants.languages.choice import language_for_user
from tenants.languages.headings import KEYS, headings_of
from tenants.models import Country
from tenants.record.ledger import event_record

from ..models import ComplianceReport
from .bundle import bundle_write
from .sections import Period

# The longest period one report may cover: a bigger one belongs in several reports.
MAX_PERIOD_DAYS = 5 * 366


def report_ttl() -> dt.timedelta:
    return dt.timedelta(days=getattr(settings, "COMPLIANCE_REPORT_TTL_DAYS", 30))


REPORTS = "reports/"


def report_stored_name(report: ComplianceReport) -> str:
    """The report's name in storage (tenants.files), "" when it has no file."""
    return f"{REPORTS}{report.file_name}" if report.file_name else ""


def report_open(report: ComplianceReport) -> BinaryIO:
    """The bundle's bytes, opened from storage (sealed under the country's key)."""
    return files.file_open(row=report, name=report_stored_name(report))


def report_role(*, access: Access, country: Country) -> str:
    """The role in which this person may ask for the country's reports, or NotAllowed."""
    if country.pk in access.auditor_country_ids:
        return AUDITOR
    if country.pk in access.partner_country_ids:
        return PARTNER_MANAGER
    raise NotAllowed(_("Compliance reports are for the country's auditors and partner managers."))


def period_check(*, start: dt.date | None, end: dt.date | None) -> Period:
    if start is None:
        raise ServiceError(_("Enter the first day of the period."), field="period_start")
    if end is None:
        raise ServiceError(_("Enter the last day of the period."), field="period_end")
    if end < start:
        raise ServiceError(_("The last day must be the same as or after the first day."), field="period_end")
    if (end - start).days > MAX_PERIOD_DAYS:
        raise ServiceError(_("A report covers at most five years: split a longer period."), field="period_end")
    if start > timezone.localdate():
        raise ServiceError(_("The period must start today or earlier."), field="period_start")
    if end > timezone.localdate():
        raise ServiceError(_("The last day cannot be after today."), field="period_end")
    return Period(start, end)


UNDER_WAY = (ComplianceReport.State.PENDING, ComplianceReport.State.RUNNING)


class ReportUnderWay(ServiceError):
    """A report of the same kind, period and headings is already waiting or being built: `report`."""

    def __init__(self, report: ComplianceReport):
        super().__init__(
            _(
                "A report of this kind for {start} to {end} is already being built (report {id}): follow its "
                "progress and download it once it is ready. Nothing new was requested."
            ).format(
                start=date_format(report.period_start, "DATE_FORMAT"),
                end=date_format(report.period_end, "DATE_FORMAT"),
                id=report.pk,
            )
        )
        self.report = report


def _under_way(*, country: Country, kind: str, period: Period, headings: str) -> ComplianceReport | None:
    return (
        ComplianceReport.objects.filter(
            country=country,
            kind=kind,
            period_start=period.start,
            period_end=period.end,
            headings=headings,
            state__in=UNDER_WAY,
        )
        .order_by("created_at", "pk")
        .first()
    )


@transaction.atomic
def report_request(
    *,
    country: Country,
    access: Access,
    by,
    kind: str = ComplianceReport.Kind.PACK,
    period_start: dt.date | None,
    period_end: dt.date | None,
    headings: str = KEYS,
) -> ComplianceReport:
    """Ask a worker for a report. `headings`: the language of its CSV and spreadsheet headings (the
    requester's active language on a page), or KEYS for the stable keys that programs read.

    One report of the same kind, period and headings is built at a time: while one waits or is being
    built, another is refused with ReportUnderWay naming it (held by a partial unique index, so two
    requests at once give one report)."""
    role = report_role(access=access, country=country)
    if kind not in ComplianceReport.Kind.values:
        raise ServiceError(_("Choose a country compliance pack or a ledger-only export."), field="kind")
    period = period_check(start=period_start, end=period_end)
    headings = headings_of(headings)
    with country_context(country):
        same = {"country": country, "kind": kind, "period": period, "headings": headings}
        if (running := _under_way(**same)) is not None:
            raise ReportUnderWay(running)
        try:
            with transaction.atomic():
                report = ComplianceReport.objects.create(
                    country=country,
                    kind=kind,
                    period_start=period.start,
                    period_end=period.end,
                    requested_by=by,
                    requested_role=role,
                    headings=headings,
                )
        except IntegrityError:  # asked at the same moment as another, which was stored first
            if (running := _under_way(**same)) is None:
                raise
            raise ReportUnderWay(running) from None
        event_record(
            country=country,
            action="report.requested",
            actor=by,
            actor_role=role,
            target=report,
            payload={"kind": kind, "from": period.start.isoformat(), "to": period.end.isoformat()},
        )
        outbox_enqueue(task="portal.compliance_report_build", country_id=country.pk, report_id=report.pk)
    return report


def _summary_language(report: ComplianceReport) -> str:
    """The PDF summary's language: the one the report was asked in, else the requester's own."""
    if headings_of(report.headings) != KEYS:
        return report.headings
    return language_for_user(report.requested_by) if report.requested_by else settings.LANGUAGE_CODE


def report_build(*, report_id: int, country_id: int) -> ComplianceReport:
    """Build the bundle (run by a worker). Idempotent: a finished report is left alone; a rerun after
    a crash starts the file again."""
    with country_context(country_id):
        report = ComplianceReport.objects.select_related("country").get(pk=report_id)
        if report.state in (ComplianceReport.State.DONE, ComplianceReport.State.EXPIRED):
            return report
        try:
            with transaction.atomic():
                ComplianceReport.objects.filter(pk=report_id).update(
                    state=ComplianceReport.State.RUNNING, step="starting", step_params={}, percent=0
                )
        except IntegrityError:  # a failed report driven again while a report like it is under way: left failed
            return report
    country = report.country

    def progress(step: str, percent: int) -> None:
        with country_context(country_id):
            ComplianceReport.objects.filter(pk=report_id).update(step=step, step_params={}, percent=percent)
        if settings.REPORT_STEP_DELAY:  # the tests' pause after a recorded step, to stop a worker there
            time.sleep(settings.REPORT_STEP_DELAY)

    file_name = f"{country.code.lower()}-{report.kind}-{report.period_start}-{report.period_end}-{report_id}.zip"
    try:
        # Written to a scratch file on this host, then sealed into storage: a rerun after a crash
        # starts again and replaces whatever an earlier attempt stored.
        with tempfile.TemporaryFile() as scratch:
            manifest = bundle_write(
                country=country,
                period=Period(report.period_start, report.period_end),
                out=scratch,
                kind=report.kind,
                file_name=file_name,
                progress=progress,
                language=_summary_language(report),
                headings=headings_of(report.headings),
            )
            scratch.seek(0)
            stored, size, sha256 = files.file_save(row=report, name=REPORTS + file_name, content=scratch, replace=True)
    except Exception as error:
        with country_context(country_id):
            ComplianceReport.objects.filter(pk=report_id).update(
                state=ComplianceReport.State.FAILED, step="failed", step_params={}, error=type(error).__name__
            )
        raise
    file_name = stored.removeprefix(REPORTS)
    now = timezone.now()
    with country_context(country_id):
        # Completed once: a second run of the job (delivered again, or re-driven by the sweeper)
        # that reaches this point after another finds the report done and records nothing.
        current = ComplianceReport.objects.select_for_update().get(pk=report_id)
        if current.state == ComplianceReport.State.DONE:
            return current
        ComplianceReport.objects.filter(pk=report_id).update(
            state=ComplianceReport.State.DONE,
            step="ready",
            step_params={},
            percent=100,
            file_name=file_name,
            size=size,
            sha256=sha256,
            finished_at=now,
            expires_at=now + report_ttl(),
        )
        event_record(
            country=country,
            action="report.completed",
            target=report,
            payload={"sha256": sha256, "bytes": size, **manifest.get("ledger_segment", {})},
        )
        return ComplianceReport.objects.get(pk=report_id)


def report_download(*, report: ComplianceReport, access: Access, by) -> BinaryIO:
    """The bundle of a finished report, opened, with the download on the country's ledger.
    tenants.files.FileGone once the country's keys were destroyed (answered 410)."""
    role = report_role(access=access, country=report.country)
    if not report.downloadable:
        raise ServiceError(_("This report has no file to download: it is not ready yet, failed or expired."))
    try:
        handle = report_open(report)
    except FileNotFoundError:
        raise ServiceError(_("This report's file is gone; request the report again.")) from None
    with country_context(report.country_id):
        event_record(
            country=report.country,
            action="report.downloaded",
            actor=by,
            actor_role=role,
            target=report,
            payload={"sha256": report.sha256},
        )
    return handle


def reports_expire(*, now: dt.datetime | None = None) -> int:
    """Delete the files of reports past their expiry; the rows stay as the record, marked expired."""
    now = now or timezone.now()
    removed = 0
    for country in Country.objects.order_by("pk"):
        with country_context(country):
            for report in ComplianceReport.objects.filter(expires_at__lt=now, state=ComplianceReport.State.DONE):
                files.file_delete(report_stored_name(report))
                ComplianceReport.objects.filter(pk=report.pk).update(
                    state=ComplianceReport.State.EXPIRED, file_name="", step="expired", step_params={}
                )
                event_record(country=country, action="report.expired", target=report, payload={"sha256": report.sha256})
                removed += 1
    return removed
