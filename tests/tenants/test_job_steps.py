"""Progress steps of reports, exports and exits: stored as codes, written in each reader's language."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection
from django.utils import translation

from portal.models import ComplianceReport
from portal.reports import services
from tenants.isolation import country_context
from tenants.jobs.steps import STEPS, step_code_of, step_text, steps_to_codes
from tenants.keys.models import CountryExit, CountryExport
from tenants.languages.models import Preferences
from tests.portal.test_reports_access import API, PAGE, make_report

pytestmark = pytest.mark.django_db


def test_every_step_reads_in_each_language():
    params = {"table": "training.enrolment"}
    with translation.override("en"):
        english = {code: step_text(code, params) for code in STEPS}
    for language in ("fr", "es", "pt", "ar", "sw"):
        with translation.override(language):
            same = [code for code in STEPS if step_text(code, params) == english[code]]
        assert not same, (language, same)


def test_a_step_names_its_table_in_a_french_sentence():
    with translation.override("fr"):
        assert step_text("export.table", {"table": "training.enrolment"}) == "Export de la table training.enrolment"
        assert step_text("An old text the codes do not know", {}) == "An old text the codes do not know"


def test_a_built_report_says_so_to_a_french_reader_on_the_page_and_in_the_api(client, cast):
    report = make_report(cast.fr)
    services.report_build(report_id=report.pk, country_id=cast.fr.pk)
    with country_context(cast.fr):
        assert ComplianceReport.objects.get(pk=report.pk).step == "ready"
    client.force_login(cast.auditor)
    Preferences.objects.update_or_create(user=cast.auditor, defaults={"language": "fr"})
    item = client.get(PAGE.format(code="fr") + "progress.json").json()["reports"][0]
    assert item["step"] == "Prêt"
    assert "Prêt (100%)" in client.get(PAGE.format(code="fr")).content.decode()
    detail = client.get(API.format(code="FR") + f"{report.pk}/", HTTP_ACCEPT_LANGUAGE="fr").json()
    assert (detail["step"], detail["step_code"], detail["step_params"]) == ("Prêt", "ready", {})
    english = client.get(API.format(code="FR") + f"{report.pk}/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["step"] == "Ready"


def test_a_running_export_reads_in_french(client, cast):
    with country_context(cast.fr):
        export = CountryExport.objects.create(
            country=cast.fr, state="running", step="export.files", step_params={"table": "governance.evidencefile"}
        )
    Preferences.objects.update_or_create(user=cast.owner, defaults={"language": "fr"})
    client.force_login(cast.owner)
    row = next(e for e in client.get("/c/fr/data/progress.json").json()["exports"] if e["id"] == export.pk)
    assert row["step"] == "Export des fichiers de la table governance.evidencefile"


def test_english_steps_of_old_rows_become_codes_and_unknown_text_stays():
    tables = {"enrolments": "training.enrolment", "evidence files": "governance.evidencefile"}
    assert step_code_of("Writing the workbook", tables) == ("report.workbook", {})
    assert step_code_of("Exporting enrolments", tables) == ("export.table", {"table": "training.enrolment"})
    assert step_code_of("Exporting the files of evidence files", tables) == (
        "export.files",
        {"table": "governance.evidencefile"},
    )
    assert step_code_of("Exporting unicorns", tables) == ("Exporting unicorns", {})
    assert step_code_of("ready", tables) == ("ready", {})


def test_the_data_migration_rewrites_the_rows(cast):
    with country_context(cast.fr):
        report = ComplianceReport.objects.create(
            country=cast.fr, period_start="2026-01-01", period_end="2026-01-31", step="Expired: the file was deleted"
        )
        export = CountryExport.objects.create(country=cast.fr, step="Exporting memberships")
        odd = CountryExport.objects.create(country=cast.fr, step="Something a person typed")
        exit = CountryExit.objects.create(
            country=cast.fr, reason="Test.", requested_side="platform", step="Destroying the keys"
        )
    # The project's models scope their managers (a migration's historical models do not): FR's rows.
    with country_context(cast.fr), connection.schema_editor() as editor:
        steps_to_codes(apps, editor, "portal.ComplianceReport", "tenants.CountryExport", "tenants.CountryExit")
    with country_context(cast.fr):
        assert ComplianceReport.objects.get(pk=report.pk).step == "expired"
        moved = CountryExport.objects.get(pk=export.pk)
        assert (moved.step, moved.step_params) == ("export.table", {"table": "tenants.membership"})
        assert CountryExport.objects.get(pk=odd.pk).step == "Something a person typed"
        assert CountryExit.objects.get(pk=exit.pk).step == "exit.destroying"
