"""The compliance pack: each section matches the data, CSV cells cannot run as formulas, and the
offline script verifies an untouched bundle and rejects one with any file changed."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import subprocess
import sys
import zipfile
from datetime import timedelta

import pytest
from django.utils import timezone

from governance.models import Acknowledgement, CountryPolicy, ImpactAssessment, Incident, PolicyVersion
from portal.reports.bundle import bundle_write
from portal.reports.sections import Period
from tenants.isolation import country_context
from tenants.record.ledger import event_record

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
PERIOD = Period(TODAY - timedelta(days=30), TODAY)
FORMULAS = ["=1+2", "+SUM(A1)", "-2+3", "@cmd"]


@pytest.fixture
def data(cast):
    now = timezone.now()
    with country_context(cast.fr):
        assessment = ImpactAssessment.objects.create(
            country=cast.fr,
            title=FORMULAS[0],
            questionnaire_version=1,
            status="completed",
            impact_level=3,
            category="high_risk",
            obligations=["human oversight", "logging"],
            completed_at=now,
        )
        Incident.objects.create(
            country=cast.fr,
            title=FORMULAS[1],
            severity="serious",
            description="secret detail",
            steps_taken="",
            detected_at=now - timedelta(days=20),
            report_due_at=now - timedelta(days=5),
        )
        policy = CountryPolicy.objects.create(country=cast.fr, title=FORMULAS[3])
        version = PolicyVersion.objects.create(
            country=cast.fr,
            policy=policy,
            number=1,
            language="en",
            text="t",
            roles=["officer", "viewer"],
            status="published",
            published_at=now,
        )
        Acknowledgement.objects.create(
            country=cast.fr, version=version, user=cast.member, expires_at=now + timedelta(days=300)
        )
        for index in range(3):
            event_record(
                country=cast.fr,
                action="test.happened",
                actor=cast.owner,
                actor_role="country_admin",
                target=assessment,
                payload={"note": FORMULAS[2], "n": index},
            )
    with country_context(cast.ke):
        event_record(country=cast.ke, action="kenya.only", payload={})
    return {"assessment": assessment, "policy": policy}


def build(cast, tmp_path, kind="pack"):
    path = tmp_path / "bundle.zip"
    with open(path, "wb") as out:
        manifest = bundle_write(country=cast.fr, period=PERIOD, out=out, kind=kind, file_name="bundle.zip")
    return path, manifest


def csv_rows(archive, name):
    return list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8"))))


def run_verifier(tmp_path, bundle):
    """Unpack the two scripts from the bundle, as an auditor would, and run them with no project."""
    tools = tmp_path / "tools"
    tools.mkdir(exist_ok=True)
    with zipfile.ZipFile(bundle) as archive:
        for name in ("verify_bundle.py", "verify_ledger.py"):
            (tools / name).write_bytes(archive.read(name))
    return subprocess.run(
        [sys.executable, "-I", str(tools / "verify_bundle.py"), str(bundle)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )


def test_every_section_matches_the_data(cast, data, tmp_path):
    path, manifest = build(cast, tmp_path)
    with zipfile.ZipFile(path) as archive:
        assessments = csv_rows(archive, "csv/assessments.csv")
        assert [(r["assessment_id"], r["impact_level"], r["category"], r["obligations"]) for r in assessments] == [
            (str(data["assessment"].pk), "3", "high_risk", "2")
        ]
        incidents = csv_rows(archive, "csv/incidents.csv")
        assert len(incidents) == 1 and incidents[0]["severity"] == "serious" and incidents[0]["late"] == "yes"
        assert "secret detail" not in archive.read("csv/incidents.csv").decode()
        policies = csv_rows(archive, "csv/policies.csv")
        # Officer (member) and viewer must acknowledge; only the member did.
        assert [(r["people_required"], r["people_acknowledged"], r["coverage_percent"]) for r in policies] == [
            ("2", "1", "50.0")
        ]
        training = {
            (r["organisation"], r["role"]): (r["members"], r["members_trained"])
            for r in csv_rows(archive, "csv/training.csv")
        }
        assert training == {
            ("Agence des Données", "viewer"): ("1", "0"),
            ("Ministère du Numérique", "country_admin"): ("1", "0"),
            ("Ministère du Numérique", "officer"): ("1", "0"),
        }
        events = csv_rows(archive, "csv/ledger_events.csv")
        assert [r["action"] for r in events] == ["test.happened"] * 3  # Kenya's event is not in France's pack
        assert [int(r["sequence"]) for r in events] == [1, 2, 3]
        summary = csv_rows(archive, "csv/ledger_summary.csv")
        assert summary == [{"action": "test.happened", "events": "3"}]
        document = json.loads(archive.read("report.json"))
        assert document["country"] == "FR" and document["sections"]["assessments"]["rows"][0]["category"] == "high_risk"
        assert document["absent_sections"] == []
        assert "ledger/ledger-export.zip" in archive.namelist()
        workbook = zipfile.ZipFile(io.BytesIO(archive.read("report.xlsx")))
        sheets = [n for n in workbook.namelist() if n.startswith("xl/worksheets/sheet")]
        assert len(sheets) == 1 + len([n for n in archive.namelist() if n.startswith("csv/")]) - 1  # about + sections
    assert set(manifest["files"]) >= {"report.json", "report.xlsx", "csv/ledger_events.csv", "verify_bundle.py"}


def test_csv_cells_that_look_like_formulas_are_neutralised(cast, data, tmp_path):
    path, _ = build(cast, tmp_path)
    with zipfile.ZipFile(path) as archive:
        assert csv_rows(archive, "csv/assessments.csv")[0]["title"] == "'=1+2"
        assert csv_rows(archive, "csv/incidents.csv")[0]["title"] == "'+SUM(A1)"
        assert csv_rows(archive, "csv/policies.csv")[0]["title"] == "'@cmd"
        # The streamed ledger CSV (PostgreSQL COPY) applies the same rule in SQL.
        event = csv_rows(archive, "csv/ledger_events.csv")[0]
        assert json.loads(event["payload"])["note"] == "-2+3"  # inside JSON, the cell starts with "{"
        rows = list(csv.reader(io.StringIO(archive.read("csv/ledger_events.csv").decode())))
        for row in rows:
            assert not any(
                cell[:1] in ("=", "+", "@") or (cell[:1] == "-" and not cell[1:].replace(".", "").isdigit())
                for cell in row
            )


def test_ledger_copy_neutralises_a_formula_in_a_text_column(cast, tmp_path):
    with country_context(cast.fr):
        event_record(country=cast.fr, action='=HYPERLINK("x")', actor_role="-1+1", payload={})
    path, _ = build(cast, tmp_path, kind="ledger")
    with zipfile.ZipFile(path) as archive:
        event = csv_rows(archive, "csv/ledger_events.csv")[0]
    assert event["action"] == '\'=HYPERLINK("x")' and event["actor_role"] == "'-1+1"


def test_offline_script_verifies_an_untouched_bundle(cast, data, tmp_path):
    path, _ = build(cast, tmp_path)
    result = run_verifier(tmp_path, path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "VERIFIED" in result.stdout


def _rewrite(source, target, change):
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            data = change(info.filename, old.read(info.filename))
            if data is not None:
                new.writestr(info.filename, data)


@pytest.mark.parametrize(
    "victim",
    [
        "csv/assessments.csv",
        "csv/ledger_events.csv",
        "report.json",
        "report.xlsx",
        "manifest.json",
        "ledger/ledger-export.zip",
        "README.txt",
    ],
)
def test_offline_script_rejects_a_bundle_with_any_file_changed(cast, data, tmp_path, victim):
    path, _ = build(cast, tmp_path)
    changed = tmp_path / "changed.zip"
    _rewrite(path, changed, lambda name, data: data + b" " if name == victim else data)
    result = run_verifier(tmp_path, changed)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "NOT VERIFIED" in result.stdout


def test_offline_script_rejects_a_removed_or_added_file(cast, data, tmp_path):
    path, _ = build(cast, tmp_path)
    removed, added = tmp_path / "removed.zip", tmp_path / "added.zip"
    _rewrite(path, removed, lambda name, data: None if name == "csv/incidents.csv" else data)
    assert run_verifier(tmp_path, removed).returncode == 1
    _rewrite(path, added, lambda name, data: data)
    with zipfile.ZipFile(added, "a") as archive:
        archive.writestr("csv/extra.csv", "a,b\n")
    result = run_verifier(tmp_path, added)
    assert result.returncode == 1 and "added" in result.stdout


def test_a_period_without_events_builds_without_a_ledger_export(cast, tmp_path):
    path = tmp_path / "empty.zip"
    with open(path, "wb") as out:
        manifest = bundle_write(country=cast.fr, period=Period(dt.date(2020, 1, 1), dt.date(2020, 1, 31)), out=out)
    assert "ledger/ledger-export.zip" not in manifest["files"]
    assert run_verifier(tmp_path, path).returncode == 0


def test_the_pdf_summary_is_a_well_formed_pdf_naming_each_section(cast, data, tmp_path):
    import pypdfium2

    path, manifest = build(cast, tmp_path)
    with zipfile.ZipFile(path) as archive:
        pdf = archive.read("summary.pdf")
    assert "summary.pdf" in manifest["files"]
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    # A reader opens it and finds its text (tests/languages/test_pdf.py checks the fonts and shaping).
    document = pypdfium2.PdfDocument(pdf)
    try:
        text = "\n".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    finally:
        document.close()
    text = " ".join(text.split())
    for title in (
        "Impact assessments with levels and categories",
        "Incidents and their reporting deadlines",
        "Training coverage by organisation and role",
        "Compliance report: France (FR)",
    ):
        assert title in text
    assert "secret detail" not in text


def test_deployments_approvals_and_provisioning_are_in_the_pack(cast, tmp_path):
    from deployments.models import AIModel, DeploymentDecision, DeploymentRequest, Environment, ProvisioningJob

    now = timezone.now()
    model = AIModel.objects.create(slug="pack-model", name="Pack model", capabilities=["text"], regions=["eu-west"])
    with country_context(cast.fr):
        request = DeploymentRequest.objects.create(
            country=cast.fr,
            organisation=cast.fr_ministry,
            title="Citizen letters",
            purpose="Draft replies",
            sector="public_services",
            model=model,
            capabilities=["text"],
            region="eu-west",
            data_classification="internal",
            expected_monthly_tokens=1000,
            owner=cast.member,
            requested_by=cast.member,
            state="active",
            risk_category="limited",
            review_round=1,
            quota_tokens=5000,
            human_review_required=True,
            submitted_at=now,
            decided_at=now,
        )
        DeploymentDecision.objects.create(
            country=cast.fr,
            request=request,
            review_round=1,
            decision="approve",
            by=cast.partner,
            comment="Personal remark",
            at=now,
        )
        ProvisioningJob.objects.create(
            country=cast.fr,
            key=f"provision-{request.pk}-1",
            kind="provision",
            request=request,
            state="done",
            attempts=1,
            steps=[{"name": "environment", "label": "Environment", "done_at": "x"}],
            finished_at=now,
        )
        Environment.objects.create(
            country=cast.fr,
            request=request,
            name="letters",
            backend="local",
            endpoint="https://example.invalid/v1",
            model=model,
            region="eu-west",
            monthly_token_quota=5000,
        )
    path, _ = build(cast, tmp_path)
    with zipfile.ZipFile(path) as archive:
        deployments = csv_rows(archive, "csv/deployments.csv")
        assert [
            (r["request_id"], r["state"], r["quota_tokens"], r["human_review_required"], r["environment_state"])
            for r in deployments
        ] == [(str(request.pk), "active", "5000", "yes", "active")]
        decisions = csv_rows(archive, "csv/deployment_decisions.csv")
        assert [(r["decision"], r["by_user_id"]) for r in decisions] == [("approve", str(cast.partner.pk))]
        assert "Personal remark" not in archive.read("csv/deployment_decisions.csv").decode()
        jobs = csv_rows(archive, "csv/provisioning.csv")
        assert [(r["kind"], r["state"], r["steps"], r["steps_done"]) for r in jobs] == [("provision", "done", "1", "1")]
