"""A country's exit: a full export with a signed manifest, then crypto-shredding, on the record."""

import base64
import hashlib
import io
import json
import zipfile

import pytest
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from tenants.isolation import country_context
from tenants.keys.exit import ExitRefused, country_data_export_write, country_exit, country_export_build, export_path
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


def test_csv_cells_cannot_run_as_formulas(cast, fr_with_contacts):
    text = build(cast).read("data/tenants.membership.csv").decode()
    assert "'=HYPERLINK" in text
    assert ",=HYPERLINK" not in text and '"=HYPERLINK' not in text


def test_export_build_job_and_exit_shred_the_keys(cast, fr_with_contacts):
    with country_context(cast.fr):
        export = CountryExport.objects.create(country=cast.fr, for_exit=True)
    done = country_export_build(export_id=export.pk, country_id=cast.fr.pk)
    assert done.state == "done" and done.percent == 100 and len(done.sha256) == 64
    assert hashlib.sha256(export_path(done).read_bytes()).hexdigest() == done.sha256
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
    from tenants.keys.exit import country_export_request

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

    from tenants.keys.exit import country_exports_expire

    with country_context(cast.fr):
        export = CountryExport.objects.create(country=cast.fr)
    done = country_export_build(export_id=export.pk, country_id=cast.fr.pk)
    path = export_path(done)
    assert path.exists()
    assert country_exports_expire(now=timezone.now()) == 0  # not expired yet
    assert country_exports_expire(now=done.expires_at + timedelta(seconds=1)) == 1
    assert not path.exists()
    with country_context(cast.fr):
        gone = CountryExport.objects.get(pk=export.pk)
        assert gone.file_name == "" and "deleted" in gone.step
        assert CountryEvent.objects.filter(action="export.expired").count() == 1
