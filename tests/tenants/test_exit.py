"""A country's exit: a full export with a signed manifest, then crypto-shredding, on the record."""

import base64
import hashlib
import io
import json
import zipfile

import pytest
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from tenants import files
from tenants.isolation import country_context
from tenants.keys.exit import ExitRefused, country_exit
from tenants.keys.export import country_data_export_write, country_export_build, export_open, export_stored_name
from tenants.keys.fields import Unreadable
from tenants.keys.models import CountryExport
from tenants.models import Country, Membership, Organisation
from tenants.record.exports import ExportRefused
from tenants.record.models import CountryEvent


@pytest.fixture
def fr_with_contacts(cast):
    with country_context(cast.fr):
        member = Membership.objects.get(user=cast.member)
        member.phone = '=HYPERLINK("http://evil")'
        member.contact_email = "marc@numerique.gouv.fr"
        member.save()
    return member


def build(cast) -> zipfile.ZipFile:
    buffer = io.BytesIO()
    country_data_export_write(country=cast.fr, out=buffer)
    return zipfile.ZipFile(buffer)


def test_export_holds_everything_the_country_owns_and_nothing_else(cast, fr_with_contacts):
    archive = build(cast)
    names = set(archive.namelist())
    assert {
        "data/tenants.organisation.jsonl",
        "data/tenants.organisation.csv",
        "data/tenants.membership.jsonl",
        "manifest.json",
        "manifest.sig",
        "ledger-key.pem",
        "ledger/verify_ledger.py",
    } <= names
    assert not any("countrykey" in n for n in names)
    organisations = [json.loads(line) for line in archive.read("data/tenants.organisation.jsonl").decode().splitlines()]
    assert sorted(o["name"] for o in organisations) == ["Agence des Données", "Ministère du Numérique"]
    members = [json.loads(line) for line in archive.read("data/tenants.membership.jsonl").decode().splitlines()]
    assert len(members) == 3 and all(m["country_id"] == cast.fr.pk for m in members)
    mine = next(m for m in members if m["id"] == fr_with_contacts.pk)
    assert mine["contact_email"] == "marc@numerique.gouv.fr"  # opened: it is their data
    everything = b"".join(archive.read(n) for n in names if n.startswith("data/"))
    assert b"Ministry of ICT" not in everything  # Kenya's organisation


def test_manifest_hashes_match_and_its_signature_verifies(cast, fr_with_contacts):
    archive = build(cast)
    manifest_bytes = archive.read("manifest.json")
    manifest = json.loads(manifest_bytes)
    for name, entry in manifest["files"].items():
        assert hashlib.sha256(archive.read(name)).hexdigest() == entry["sha256"], name
    public = load_pem_public_key(archive.read("ledger-key.pem"))
    public.verify(base64.b64decode(archive.read("manifest.sig")), manifest_bytes)  # raises if invalid
    assert manifest["files"]["data/tenants.membership.jsonl"]["rows"] == 3


def test_the_dictionary_says_in_the_countrys_language_what_each_column_holds(cast, fr_with_contacts):
    """The columns are named as the software names them: the export says what each one means, in
    the country's language, for every table and column it holds, coded values in words."""
    cast.fr.default_language = "fr"
    cast.fr.save(update_fields=["default_language"])
    archive = build(cast)
    dictionary = json.loads(archive.read("data/dictionary.json"))
    assert dictionary["language"] == "fr"
    tables = {name[len("data/") : -len(".csv")] for name in archive.namelist() if name.endswith(".csv")}
    assert set(dictionary["tables"]) == tables
    for table, entry in dictionary["tables"].items():
        header = archive.read(f"data/{table}.csv").decode().splitlines()[0].split(",")
        assert list(entry["columns"]) == header, table
    members = dictionary["tables"]["tenants.membership"]
    assert members["columns"]["role"]["values"] == {
        "country_admin": "Administrateur national",
        "officer": "Agent",
        "viewer": "Lecteur",
    }
    assert members["columns"]["phone"]["sealed"] is True
    assert members["columns"]["organisation_id"]["refers_to"] == "tenants.organisation"
    assert (
        "dictionary.json" in archive.read("README.txt").decode()
        and "French, the country's language" in archive.read("README.txt").decode()
    )


def test_csv_cells_cannot_run_as_formulas(cast, fr_with_contacts):
    text = build(cast).read("data/tenants.membership.csv").decode()
    assert "'=HYPERLINK" in text
    assert ",=HYPERLINK" not in text and '"=HYPERLINK' not in text


def test_export_build_job_and_exit_shred_the_keys(cast, fr_with_contacts):
    with country_context(cast.fr):
        export = CountryExport.objects.create(country=cast.fr, for_exit=True)
    done = country_export_build(export_id=export.pk, country_id=cast.fr.pk)
    assert done.state == "done" and done.percent == 100 and len(done.sha256) == 64
    with export_open(done) as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == done.sha256
    assert (
        country_export_build(export_id=export.pk, country_id=cast.fr.pk).finished_at == done.finished_at
    )  # idempotent

    country_exit(country=cast.fr, export=done, by=cast.owner, actor_role="country_admin")
    with country_context(cast.fr):
        member = Membership.objects.get(pk=fr_with_contacts.pk)
        assert isinstance(member.contact_email, Unreadable)
        assert Organisation.objects.count() == 2  # the structure stays, only sealed values are gone
        actions = list(CountryEvent.objects.order_by("sequence").values_list("action", flat=True))
        assert actions[-2:] == ["country.exited", "key.destroyed"]
    assert Country.objects.get(pk=cast.fr.pk).status == "exited"
    from tenants.keys.export import country_export_request

    with pytest.raises(ExportRefused, match="keys were destroyed"):
        country_export_request(country=cast.fr)


def test_exit_without_a_finished_exit_export_is_refused(cast, fr_with_contacts):
    with country_context(cast.fr):
        pending = CountryExport.objects.create(country=cast.fr, for_exit=True)
    with pytest.raises(ExitRefused):
        country_exit(country=cast.fr, export=pending)
    with country_context(cast.fr):
        assert Membership.objects.get(pk=fr_with_contacts.pk).contact_email == "marc@numerique.gouv.fr"


def test_expired_export_files_are_deleted_and_the_row_says_so(cast, fr_with_contacts):
    from datetime import timedelta

    from django.utils import timezone

    from tenants.keys.export import country_exports_expire

    with country_context(cast.fr):
        export = CountryExport.objects.create(country=cast.fr)
    done = country_export_build(export_id=export.pk, country_id=cast.fr.pk)
    name = export_stored_name(done)
    assert files.file_exists(name)
    assert country_exports_expire(now=timezone.now()) == 0  # not expired yet
    assert country_exports_expire(now=done.expires_at + timedelta(seconds=1)) == 1
    assert not files.file_exists(name)
    with country_context(cast.fr):
        gone = CountryExport.objects.get(pk=export.pk)
        assert gone.file_name == "" and gone.step == "expired" and "deleted" in gone.step_text
        assert CountryEvent.objects.filter(action="export.expired").count() == 1


# --- Everything in the export -------------------------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_every_table_the_country_owns_is_exported_with_its_row_count(cast, media):
    from tenants.keys.export import exportable_models

    from .leaving import export_zip, fr_history

    fr_history(cast)
    archive = export_zip(cast.fr)
    manifest = json.loads(archive.read("manifest.json"))
    labels = {m._meta.label_lower for m in exportable_models()}
    # Every app's tables, not only the foundation's.
    assert {
        "engagements.engagementterms",
        "governance.incident",
        "governance.evidencefile",
        "portal.compliancereport",
    } <= labels
    assert set(manifest["tables"]) == labels
    for label in labels:
        lines = [line for line in archive.read(f"data/{label}.jsonl").decode().splitlines() if line]
        assert len(lines) == manifest["tables"][label], label
        assert f"data/{label}.csv" in manifest["files"]
    incident = json.loads(archive.read("data/governance.incident.jsonl").decode().splitlines()[0])
    assert incident["description"] == "Mme X was refused twice."  # opened for the country: it is its data


def test_csv_writes_lists_as_json_not_python_text(cast, media):
    import csv as std_csv

    from .leaving import export_zip, fr_history

    fr_history(cast)
    archive = export_zip(cast.fr)
    text = archive.read("data/engagements.engagementterms.csv").decode()
    assert "['public_services'" not in text
    rows = list(std_csv.DictReader(io.StringIO(text)))
    assert json.loads(rows[0]["sectors"]) == ["public_services", "security"]
    jsonl = json.loads(archive.read("data/engagements.engagementterms.jsonl").decode().splitlines()[0])
    assert jsonl["sectors"] == ["public_services", "security"]  # JSON Lines keep them as lists


def test_stored_files_are_in_the_export_with_their_hashes(cast, media):
    from .leaving import PDF, REPORT, export_zip, fr_history

    history = fr_history(cast)
    archive = export_zip(cast.fr)
    manifest = json.loads(archive.read("manifest.json"))
    evidence_path = f"files/governance.evidencefile/{history.evidence.pk}/{history.evidence.path.rsplit('/', 1)[-1]}"
    report_path = f"files/portal.compliancereport/{history.report.pk}/fr-pack-test.zip"
    assert archive.read(evidence_path) == PDF and archive.read(report_path) == REPORT
    for path, content in ((evidence_path, PDF), (report_path, REPORT)):
        entry = manifest["files"][path]
        assert entry["sha256"] == hashlib.sha256(content).hexdigest() and entry["matches_record"] is True
    assert manifest["missing_files"] == []


def test_a_file_gone_from_storage_is_named_in_the_manifest_not_a_failure(cast, media):
    from .leaving import export_zip, fr_history

    history = fr_history(cast)
    (media / history.evidence.path).unlink()
    manifest = json.loads(export_zip(cast.fr).read("manifest.json"))
    assert manifest["missing_files"] == [
        {
            "table": "governance.EvidenceFile",
            "row": history.evidence.pk,
            "name": history.evidence.path.rsplit("/", 1)[-1],
        }
    ]


def test_the_offline_verifier_in_the_export_verifies_it_and_catches_tampering(cast, media, tmp_path):
    import subprocess
    import sys

    from tenants.keys.export import country_export_verify

    from .leaving import fr_history

    fr_history(cast)
    path = tmp_path / "fr.zip"
    with open(path, "wb") as out:
        country_data_export_write(country=cast.fr, out=out)
    assert country_export_verify(path) == []
    unpacked = tmp_path / "unpacked"
    zipfile.ZipFile(path).extractall(unpacked)
    script = unpacked / "verify_export.py"
    result = subprocess.run([sys.executable, str(script), str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "VERIFIED" in result.stdout and "Ledger FR" in result.stdout

    # An edited row, a file added: both seen, offline and by the portal's own check.
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(tampered, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "data/governance.incident.jsonl":
                data = data.replace(b"refused twice", b"refused once")
            target.writestr(item, data)
        target.writestr("files/extra.txt", b"slipped in")
    result = subprocess.run([sys.executable, str(script), str(tampered)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "data/governance.incident.jsonl does not match" in result.stdout and "files/extra.txt" in result.stdout
    problems = country_export_verify(tampered)
    assert any("governance.incident" in p for p in problems) and any("extra.txt" in p for p in problems)


SECRETS = {
    ("deployments", "credentialreveal", "secret"),
    ("deployments", "environment", "upstream_key"),
    ("deployments", "countryupstream", "api_key"),
    ("tenants", "identityprovider", "client_secret"),
}


def test_credentials_and_keys_are_exported_as_set_never_as_the_secret():
    """A country's export carries its data, not the means to reach its services: a credential not
    yet revealed, an upstream's key, its identity provider's secret read "set" (or nothing)."""
    from django.apps import apps

    from tenants.keys.export import columns_of, row_of
    from tenants.keys.fields import EncryptedTextField

    marked = {
        (model._meta.app_label, model._meta.model_name, field.name)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, EncryptedTextField) and field.secret
    }
    assert marked == SECRETS
    for app_label, model_name, name in SECRETS:
        model = apps.get_model(app_label, model_name)
        for value, shown in (("sk-portal-not-for-the-file", "set"), ("", "")):
            obj = model(country_id=1)
            setattr(obj, name, value)
            assert row_of(obj, columns_of(model))[name] == shown
