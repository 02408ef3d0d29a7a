"""Compliance report jobs: a committed request is built by a real Celery worker (task arguments are
ids only), and the management command writes the same signed bundle from the shell with progress."""

from __future__ import annotations

import datetime as dt
import io
import json
import subprocess
import sys
import zipfile

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone

from portal.models import ComplianceReport
from portal.reports import services
from tenants.access import access_for
from tenants.isolation import country_context
from tenants.record.ledger import event_record
from tenants.record.models import CountryEvent
from tests.conftest import wait_for
from tests.tenants.test_worker import Published


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_committed_request_is_built_by_the_worker(cast, celery_worker_process):
    with country_context(cast.fr):
        event_record(country=cast.fr, action="test.seeded", payload={"n": 1})
    with Published() as published:
        with transaction.atomic():
            report = services.report_request(
                country=cast.fr,
                access=access_for(cast.auditor),
                by=cast.auditor,
                period_start=dt.date(2026, 1, 1),
                period_end=timezone.localdate(),
            )
            assert published.messages == []
        assert len(published.messages) == 1
    message = published.messages[0]
    assert message["task"] == "portal.compliance_report_build"
    assert message["body"][1] == {"report_id": report.pk, "country_id": cast.fr.pk}  # ids only

    def built():
        with country_context(cast.fr):
            current = ComplianceReport.objects.get(pk=report.pk)
        return current if current.state in ("done", "failed") else None

    done = wait_for(built, timeout=60)
    assert (done.state, done.percent) == ("done", 100), done.error
    with services.report_open(done) as handle, zipfile.ZipFile(io.BytesIO(handle.read())) as archive:
        assert "manifest.sig" in archive.namelist()
    with country_context(cast.fr):
        assert list(
            CountryEvent.objects.filter(action__startswith="report.")
            .order_by("sequence")
            .values_list("action", flat=True)
        ) == ["report.requested", "report.completed"]


@pytest.mark.django_db
def test_the_command_writes_a_verifiable_bundle_with_progress(cast, tmp_path, capsys):
    with country_context(cast.fr):
        event_record(country=cast.fr, action="test.seeded", payload={})
    output = tmp_path / "fr.zip"
    today = timezone.localdate()  # a period cannot end after today
    start, end = (today - dt.timedelta(days=330)).isoformat(), today.isoformat()
    call_command("compliance_report", "fr", "--from", start, "--to", end, "--output", str(output))
    printed = capsys.readouterr().out
    assert "[  5%] Reading the sections" in printed and "[100%] Ready" in printed and "Wrote" in printed
    tools = tmp_path / "tools"
    tools.mkdir()
    with zipfile.ZipFile(output) as archive:
        for name in ("verify_bundle.py", "verify_ledger.py"):
            (tools / name).write_bytes(archive.read(name))
    result = subprocess.run(
        [sys.executable, "-I", str(tools / "verify_bundle.py"), str(output)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout
    with country_context(cast.fr):
        exported = CountryEvent.objects.get(action="report.exported")
    # The events of the chain its ledger export holds are named, as the signed manifest names them.
    manifest = json.loads(zipfile.ZipFile(output).read("manifest.json"))
    assert manifest["ledger_segment"] == {"first": 1, "last": 1}
    assert {k: exported.payload[k] for k in ("first", "last")} == {"first": 1, "last": 1}


@pytest.mark.django_db
def test_a_built_report_names_the_events_of_the_record_it_holds(cast, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with country_context(cast.fr):
        for n in range(3):
            event_record(country=cast.fr, action="test.seeded", payload={"n": n})
    report = services.report_request(
        country=cast.fr,
        access=access_for(cast.auditor),
        by=cast.auditor,
        period_start=dt.date(2026, 1, 1),
        period_end=timezone.localdate(),
    )
    services.report_build(report_id=report.pk, country_id=cast.fr.pk)
    with country_context(cast.fr):
        completed = CountryEvent.objects.get(action="report.completed")
    # The three events and the request's own: the period's events when the bundle was built.
    assert {k: completed.payload[k] for k in ("first", "last")} == {"first": 1, "last": 4}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "args, message",
    [
        (["XX", "--from", "2026-01-01", "--to", "2026-01-31"], "no country XX"),
        (["FR", "--from", "January", "--to", "2026-01-31"], "not a date"),
        (["FR", "--from", "2026-02-01", "--to", "2026-01-31"], "same as or after"),
    ],
)
def test_the_command_explains_bad_input(cast, tmp_path, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("compliance_report", *args, "--output", str(tmp_path / "x.zip"))
    assert not (tmp_path / "x.zip").exists()
