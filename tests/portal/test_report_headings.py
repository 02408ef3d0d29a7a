"""A report's CSV files and workbook are headed in the requester's language (the language they asked
in, kept on the report for the worker); programs keep the stable keys: report.json always, and the
CSV files and workbook of a report asked for through the API (unless it asks for the language)."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest

from portal.models import ComplianceReport
from portal.reports import services
from portal.reports.bundle import bundle_write
from portal.reports.headings import LABELS
from portal.reports.sections import sections_read
from tenants.isolation import country_context
from tenants.languages.models import Preferences
from tests.portal.test_reports_access import API, PAGE, TODAY
from tests.portal.test_reports_bundle import PERIOD, data  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db


def _bundle(cast, tmp_path, headings: str) -> zipfile.ZipFile:
    path = tmp_path / f"{headings}.zip"
    with open(path, "wb") as out:
        bundle_write(country=cast.fr, period=PERIOD, out=out, file_name=path.name, headings=headings)
    return zipfile.ZipFile(path)


def _table(archive: zipfile.ZipFile, name: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(archive.read(name).decode("utf-8"))))


def test_every_column_of_every_section_has_a_heading(cast):
    sections, _absent = sections_read(country=cast.fr, period=PERIOD, kind="pack")
    columns = {column for section in sections for column in section.columns}
    from portal.reports.ledger_csv import COLUMNS

    assert len(columns) > 80
    assert not (columns | set(COLUMNS)) - set(LABELS)


def test_french_and_arabic_headings_with_the_same_rows_and_json(cast, data, tmp_path):  # noqa: F811
    keys, french, arabic = (_bundle(cast, tmp_path, h) for h in ("keys", "fr", "ar"))
    assessments = {
        name: _table(b, "csv/assessments.csv") for name, b in (("keys", keys), ("fr", french), ("ar", arabic))
    }
    assert assessments["keys"][0][:2] == ["assessment_id", "title"]
    assert assessments["fr"][0][:2] == ["ID de l’évaluation d’impact", "Titre"]
    assert assessments["ar"][0][:2] == ["معرّف تقييم الأثر", "العنوان"]
    assert assessments["keys"][1:] == assessments["fr"][1:] == assessments["ar"][1:]
    events = {name: _table(b, "csv/ledger_events.csv") for name, b in (("keys", keys), ("fr", french))}
    assert events["keys"][0][:2] == ["sequence", "at"]
    assert events["fr"][0][:2] == ["Numéro de l’événement", "Horodatage (UTC)"]
    assert events["keys"][1:] == events["fr"][1:] and len(events["fr"]) == 4
    assert events["fr"][1][1].endswith("+00")  # the instant stays in UTC
    # report.json keeps the keys whatever the headings.
    sections = {name: json.loads(b.read("report.json"))["sections"] for name, b in (("keys", keys), ("fr", french))}
    assert sections["fr"]["assessments"] == sections["keys"]["assessments"]
    assert list(sections["fr"]["assessments"]["rows"][0])[:2] == ["assessment_id", "category"]  # sorted keys
    shared = zipfile.ZipFile(io.BytesIO(arabic.read("report.xlsx"))).read("xl/sharedStrings.xml").decode()
    assert "معرّف تقييم الأثر" in shared and "assessment_id" not in shared
    shared = zipfile.ZipFile(io.BytesIO(keys.read("report.xlsx"))).read("xl/sharedStrings.xml").decode()
    assert "assessment_id" in shared


def _ask(client, cast, language: str):
    Preferences.objects.update_or_create(user=cast.auditor, defaults={"language": language})
    client.force_login(cast.auditor)
    answer = client.post(PAGE.format(code="fr"), {"kind": "pack", "period_start": TODAY, "period_end": TODAY})
    assert answer.status_code == 302
    with country_context(cast.fr):
        return ComplianceReport.objects.order_by("-pk").first()


def test_a_report_asked_on_the_page_keeps_the_askers_language_for_the_worker(client, cast):
    report = _ask(client, cast, "ar")
    assert report.headings == "ar"
    # The person switches language afterwards: the file is still made in the language they asked in.
    Preferences.objects.filter(user=cast.auditor).update(language="fr")
    built = services.report_build(report_id=report.pk, country_id=cast.fr.pk)
    with zipfile.ZipFile(io.BytesIO(services.report_open(built).read())) as archive:
        assert _table(archive, "csv/engagements.csv")[0][0] == "معرّف الارتباط"


def test_a_report_asked_through_the_api_keeps_the_keys_unless_it_asks_for_the_language(api, cast):
    api.force_login(cast.auditor)
    period = {"period_start": TODAY.isoformat(), "period_end": TODAY.isoformat()}
    plain = api.post(API.format(code="FR"), period, format="json", HTTP_ACCEPT_LANGUAGE="fr")
    asked = api.post(
        API.format(code="FR"), {**period, "headings": "language"}, format="json", HTTP_ACCEPT_LANGUAGE="fr"
    )
    assert plain.status_code == asked.status_code == 202
    with country_context(cast.fr):
        assert ComplianceReport.objects.get(pk=plain.json()["id"]).headings == "keys"
        assert ComplianceReport.objects.get(pk=asked.json()["id"]).headings == "fr"
    wrong = api.post(API.format(code="FR"), {**period, "headings": "klingon"}, format="json")
    assert wrong.status_code == 400 and "headings" in wrong.content.decode()
