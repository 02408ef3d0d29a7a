"""The file room (tenants/files.py): every stored file sealed under its country's key and bound to
its row, opened only through the room; unreadable once the keys are destroyed (410, never a 500);
files stored before sealing sealed by a resumable job; the same on S3-compatible storage."""

from __future__ import annotations

import io
import json
import os
import zipfile
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from governance import evidence
from governance.models import EvidenceFile, Requirement
from portal.models import ComplianceReport
from tenants import files
from tenants.isolation import country_context
from tenants.keys.export import country_data_export_write, country_export_build
from tenants.keys.models import CountryExport
from tenants.keys.rotation import country_keys_destroy
from tenants.record.models import CountryEvent
from tests.conftest import wait_for
from tests.storage_s3 import client as s3_client

from .leaving import PDF, act

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def upload(cast, country=None, data=PDF, name="proof.pdf") -> EvidenceFile:
    country = country or cast.fr
    user = cast.member if country == cast.fr else cast.outsider
    requirement = Requirement.objects.order_by("pk").first()
    return evidence.evidence_upload(country=country, requirement=requirement, name=name, data=data, **act(user))


def report(cast, **extra) -> ComplianceReport:
    with country_context(cast.fr):
        return ComplianceReport.objects.create(
            country=cast.fr,
            period_start=date(2026, 1, 1),
            period_end=date(2026, 1, 31),
            requested_by=cast.auditor,
            state="done",
            expires_at=timezone.now() + timedelta(days=30),
            **extra,
        )


def stored(name: str) -> bytes:
    with files.storage().open(name, "rb") as handle:
        return handle.read()


def put_raw(name: str, data: bytes) -> None:
    """A file as it was stored before sealing (or altered behind the portal's back)."""
    files.storage().delete(name)
    files.storage().save(name, io.BytesIO(data))


# --- Sealing -------------------------------------------------------------------------------------------


def test_a_stored_file_is_sealed_and_opens_for_its_own_row_only(cast, media):
    proof = upload(cast)
    other = upload(cast, data=PDF + b"% second\n", name="other.pdf")
    kenyan = upload(cast, country=cast.ke)
    raw = stored(proof.path)
    assert raw.startswith(files.MAGIC) and b"%PDF" not in raw
    assert files.file_read(row=proof, name=proof.path) == PDF
    # The same bytes moved to another row of the table, or to another country's row, do not open.
    put_raw(other.path, raw)
    with pytest.raises(files.FileAltered):
        files.file_read(row=other, name=other.path)
    put_raw(kenyan.path, raw)
    with pytest.raises(files.FileAltered):
        files.file_read(row=kenyan, name=kenyan.path)


def test_big_files_are_sealed_in_chunks_that_never_open_cut_reordered_or_altered(cast, media):
    row = report(cast, file_name="big.zip")
    data = os.urandom(files.CHUNK * 2 + 12345)
    name, size, digest = files.file_save(row=row, name="reports/big.zip", content=io.BytesIO(data))
    assert (name, size) == ("reports/big.zip", len(data))
    with files.file_open(row=row, name=name) as handle:
        assert handle.read(10) == data[:10]  # streams: memory stays at a chunk or two
        assert handle.read() == data[10:]
    raw = stored(name)
    header = len(raw) - 3 * (files.NONCE + files.TAG) - len(data)
    body = raw[header:]
    full = files.NONCE + files.CHUNK + files.TAG
    first, second, last = body[:full], body[full : 2 * full], body[2 * full :]
    for broken in (
        raw[:header] + first + second,  # the last chunk cut off
        raw[:header] + second + first + last,  # chunks reordered
        raw[: header + 40] + bytes([raw[header + 40] ^ 1]) + raw[header + 41 :],  # one bit flipped
        raw[:header],  # nothing after the header
    ):
        put_raw(name, broken)
        with pytest.raises(files.FileAltered):
            files.file_read(row=row, name=name)


def test_an_empty_file_is_sealed_too(cast, media):
    row = report(cast, file_name="empty.zip")
    name, size, _ = files.file_save(row=row, name="reports/empty.zip", content=b"")
    assert size == 0 and stored(name).startswith(files.MAGIC)
    assert files.file_read(row=row, name=name) == b""


def test_destroyed_keys_make_every_file_unreadable_even_one_stored_before_sealing(cast, media):
    proof = upload(cast)
    legacy = report(cast, file_name="legacy.zip")
    put_raw("reports/legacy.zip", b"PK old report in the clear")
    assert files.file_read(row=legacy, name="reports/legacy.zip") == b"PK old report in the clear"
    country_keys_destroy(country=cast.fr)
    with pytest.raises(files.FileGone, match="destroyed"):
        files.file_read(row=proof, name=proof.path)
    with pytest.raises(files.FileGone):
        files.file_read(row=legacy, name="reports/legacy.zip")


# --- Pages and API after destruction --------------------------------------------------------------


def test_after_destruction_evidence_pages_answer_410_for_each_role(client, cast, media):
    proof = upload(cast)
    kenyan = upload(cast, country=cast.ke)
    country_keys_destroy(country=cast.fr)
    url = f"/c/fr/governance/evidence/{proof.pk}/download/"
    for person in (cast.owner, cast.member):
        client.force_login(person)
        response = client.get(url)
        assert response.status_code == 410
        assert "destroyed when the country left" in response.content.decode()
    client.force_login(cast.outsider)  # another country's member: it does not exist for them
    assert client.get(url).status_code == 404
    assert client.get(f"/c/ke/governance/evidence/{kenyan.pk}/download/").content == PDF  # Kenya untouched
    client.logout()
    assert client.get(url).status_code == 302  # anonymous: to the sign-in page


def test_after_destruction_a_report_answers_410_on_its_page_and_in_the_api(client, api, cast, media):
    row = report(cast, file_name="fr-pack.zip", sha256="0" * 64, size=3)
    files.file_save(row=row, name="reports/fr-pack.zip", content=b"zip")
    client.force_login(cast.auditor)
    assert client.get(f"/audit/fr/reports/{row.pk}/download/").status_code == 200
    country_keys_destroy(country=cast.fr)
    page = client.get(f"/audit/fr/reports/{row.pk}/download/")
    assert page.status_code == 410 and "can no longer be read" in page.content.decode()
    api.force_login(cast.auditor)
    answer = api.get(f"/api/v1/countries/FR/compliance-reports/{row.pk}/download/")
    assert answer.status_code == 410 and "destroyed" in answer.json()["detail"]
    with country_context(cast.fr):  # only the download that happened is on the record
        assert CountryEvent.objects.filter(action="report.downloaded", target_id=str(row.pk)).count() == 1
    api.force_login(cast.outsider)
    assert api.get(f"/api/v1/countries/FR/compliance-reports/{row.pk}/download/").status_code == 404
    api.logout()
    assert api.get(f"/api/v1/countries/FR/compliance-reports/{row.pk}/download/").status_code in (401, 403)


def test_after_destruction_a_subject_access_zip_made_before_answers_410(api, cast, media):
    from tenants.keys.subject_access import subject_access_build, subject_access_request
    from tenants.models import Membership

    with country_context(cast.fr):
        membership = Membership.objects.get(user=cast.member)
    asked = subject_access_request(country=cast.fr, membership=membership, **act(cast.owner))
    made = subject_access_build(request_id=asked.pk, country_id=cast.fr.pk)
    url = f"/api/v1/countries/FR/subject-access/{made.pk}/download/"
    api.force_login(cast.owner)
    assert api.get(url).status_code == 200
    country_keys_destroy(country=cast.fr)
    gone = api.get(url)
    assert gone.status_code == 410 and "destroyed" in gone.json()["detail"]
    api.force_login(cast.outsider)
    assert api.get(url).status_code == 404
    api.logout()
    assert api.get(url).status_code in (401, 403)


def test_the_exit_export_stays_for_the_country_and_an_earlier_export_goes_with_the_keys(client, cast, media):
    upload(cast)
    with country_context(cast.fr):
        ordinary = CountryExport.objects.create(country=cast.fr)
        for_exit = CountryExport.objects.create(country=cast.fr, for_exit=True)
    ordinary = country_export_build(export_id=ordinary.pk, country_id=cast.fr.pk)
    for_exit = country_export_build(export_id=for_exit.pk, country_id=cast.fr.pk)
    country_keys_destroy(country=cast.fr)
    client.force_login(cast.owner)
    kept = client.get(f"/c/fr/data/exports/{for_exit.pk}/download/")
    assert kept.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(kept.streaming_content)))
    assert any(name.startswith("files/governance.evidencefile/") for name in archive.namelist())
    gone = client.get(f"/c/fr/data/exports/{ordinary.pk}/download/")
    assert gone.status_code == 410


# --- The export holds every file, decrypted, each checked against its row ---------------------------


def test_the_export_holds_each_file_decrypted_and_the_offline_verifier_checks_it(cast, media, tmp_path):
    import subprocess
    import sys

    proof = upload(cast)
    buffer = io.BytesIO()
    country_data_export_write(country=cast.fr, out=buffer)
    archive = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    path = f"files/governance.evidencefile/{proof.pk}/{proof.path.rsplit('/', 1)[-1]}"
    assert archive.read(path) == PDF
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["files"][path]["sha256"] == proof.sha256 and manifest["files"][path]["matches_record"] is True
    (tmp_path / "fr.zip").write_bytes(buffer.getvalue())
    verifier = tmp_path / "verify_export.py"
    verifier.write_bytes(archive.read("verify_export.py"))
    done = subprocess.run([sys.executable, str(verifier), str(tmp_path / "fr.zip")], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    # The offline verifier itself, told of a row that recorded another file, says so.
    spec = {}
    exec(compile(archive.read("verify_export.py"), "verify_export.py", "exec"), spec)
    rows = {"data/governance.evidencefile.jsonl": json.dumps({"id": proof.pk, "sha256": "f" * 64}).encode()}

    class Altered:
        def read(self, name):
            return rows[name]

    problems = spec["stored_file_problems"](Altered(), set(rows), {path: manifest["files"][path]})
    assert problems == [f"{path} is not the file its row recorded when it was stored"]


# --- Files stored before sealing: the resumable job ---------------------------------------------------


def legacy_evidence(cast) -> EvidenceFile:
    """An evidence row whose file was stored in the clear, as before sealing."""
    proof = upload(cast)
    put_raw(proof.path, PDF)
    return proof


def test_once_everything_is_sealed_a_file_in_the_clear_never_opens(cast, media, settings):
    proof = legacy_evidence(cast)
    assert files.file_read(row=proof, name=proof.path) == PDF  # before resealing: read as it is
    settings.FILES_ACCEPT_UNSEALED = False
    with pytest.raises(files.FileAltered):
        files.file_read(row=proof, name=proof.path)


def test_the_command_seals_what_was_stored_in_the_clear_and_a_second_run_does_nothing(cast, media):
    proof = legacy_evidence(cast)
    old = report(cast, file_name="old.zip")
    put_raw("reports/old.zip", b"PK old")
    out = io.StringIO()
    call_command("reseal_files", "--now", "--country", "fr", stdout=out)
    assert "FR: 2 files sealed" in out.getvalue()
    for row, name, content in ((proof, proof.path, PDF), (old, "reports/old.zip", b"PK old")):
        assert stored(name).startswith(files.MAGIC)
        assert files.file_read(row=row, name=name) == content
    with country_context(cast.fr):
        assert CountryEvent.objects.get(action="files.resealed").payload == {"sealed": 2, "deleted_after_exit": 0}
    out = io.StringIO()
    call_command("reseal_files", "--now", stdout=out)
    assert "FR: 0 files sealed" in out.getvalue() and "KE: 0 files sealed" in out.getvalue()


def test_each_batch_enqueues_the_next_one_where_it_stopped(cast, media, monkeypatch):
    from tenants.jobs.models import OutboxMessage
    from tenants.keys import resealing

    monkeypatch.setattr(resealing, "BATCH", 2)
    proofs = [legacy_evidence(cast) for _ in range(3)]
    first = resealing.files_reseal_step(country_id=cast.fr.pk, kind="governance.EvidenceFile")
    assert (first.sealed, first.next_kind, first.next_after) == (2, "governance.EvidenceFile", proofs[1].pk)
    with country_context(cast.fr):
        message = OutboxMessage.objects.get(task="tenants.files_reseal")
    assert message.kwargs == {
        "country_id": cast.fr.pk,
        "kind": "governance.EvidenceFile",
        "after": proofs[1].pk,
        "sealed": 2,
        "deleted": 0,
    }
    second = resealing.files_reseal_step(**message.kwargs)
    assert second.sealed == 3 and all(stored(p.path).startswith(files.MAGIC) for p in proofs)


def test_a_sealing_interrupted_half_way_is_finished_by_the_next_run(cast, media):
    proof = legacy_evidence(cast)
    # Killed after the sealed copy was made and the file in the clear removed: only the copy is left.
    files.file_save(row=proof, name=f"{proof.path}.sealing", content=PDF)
    files.storage().delete(proof.path)
    call_command("reseal_files", "--now", stdout=io.StringIO())
    assert files.file_read(row=proof, name=proof.path) == PDF
    assert not files.file_exists(f"{proof.path}.sealing")


def test_after_a_key_rotation_the_files_are_sealed_again_under_the_new_key(cast, media):
    from tenants.jobs.models import OutboxMessage
    from tenants.keys import resealing
    from tenants.keys.rotation import country_key_rotate, key_rotation_sweep

    proof = upload(cast)
    old_key = files.file_key_id(proof.path)
    rotation = country_key_rotate(country=cast.fr, schedule_sweep=False)
    assert files.file_read(row=proof, name=proof.path) == PDF  # readable under the retired key meanwhile
    key_rotation_sweep(rotation_id=rotation.pk, country_id=cast.fr.pk)
    with country_context(cast.fr):
        message = OutboxMessage.objects.get(task="tenants.files_reseal")  # the sweep hands over to the files
    done = resealing.files_reseal_step(**message.kwargs)
    assert done.sealed == 1
    assert files.file_key_id(proof.path) == rotation.to_key_id != old_key
    assert files.file_read(row=proof, name=proof.path) == PDF


def test_in_a_country_that_left_files_still_in_the_clear_are_deleted(cast, media):
    proof = legacy_evidence(cast)
    country_keys_destroy(country=cast.fr)
    out = io.StringIO()
    call_command("reseal_files", "--now", "--country", "FR", stdout=out)
    assert "1 deleted" in out.getvalue() and not files.file_exists(proof.path)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_job_runs_through_the_outbox_on_a_worker(cast, celery_worker_process):
    from tenants.jobs.models import OutboxMessage

    proofs = [legacy_evidence(cast) for _ in range(3)]
    with transaction.atomic():
        call_command("reseal_files", "--country", "FR", stdout=io.StringIO())
    with country_context(cast.fr):
        assert OutboxMessage.objects.filter(task="tenants.files_reseal").count() == 1

    def sealed():
        return all(stored(p.path).startswith(files.MAGIC) for p in proofs)

    assert wait_for(sealed, timeout=60)
    with country_context(cast.fr):
        assert wait_for(lambda: CountryEvent.objects.filter(action="files.resealed").first(), timeout=30)
    assert all(files.file_read(row=p, name=p.path) == PDF for p in proofs)


# --- S3-compatible storage ----------------------------------------------------------------------------


def test_on_s3_files_are_stored_sealed_and_served_only_through_the_access_check(client, cast, s3_settings, s3_endpoint):
    endpoint, bucket = s3_endpoint
    assert files.storage().__class__.__name__ == "S3Storage"
    proof = upload(cast)
    raw = s3_client(endpoint).get_object(Bucket=bucket, Key=f"{s3_settings}/{proof.path}")["Body"].read()
    assert raw.startswith(files.MAGIC) and b"%PDF" not in raw  # the bucket holds only the sealed form
    client.force_login(cast.member)
    assert client.get(f"/c/fr/governance/evidence/{proof.pk}/download/").content == PDF
    client.force_login(cast.outsider)
    assert client.get(f"/c/fr/governance/evidence/{proof.pk}/download/").status_code == 404
    # A whole export reads it back from the bucket.
    buffer = io.BytesIO()
    country_data_export_write(country=cast.fr, out=buffer)
    archive = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    assert archive.read(f"files/governance.evidencefile/{proof.pk}/{proof.path.rsplit('/', 1)[-1]}") == PDF


def test_on_s3_reports_exports_and_resealing_work_the_same(cast, s3_settings, s3_endpoint):
    endpoint, bucket = s3_endpoint
    row = report(cast, file_name="s3.zip")
    files.file_save(row=row, name="reports/s3.zip", content=b"PK on s3", replace=True)
    assert files.file_read(row=row, name="reports/s3.zip") == b"PK on s3"
    with country_context(cast.fr):
        export = CountryExport.objects.create(country=cast.fr)
    done = country_export_build(export_id=export.pk, country_id=cast.fr.pk)
    keys = {item["Key"] for item in s3_client(endpoint).list_objects_v2(Bucket=bucket, Prefix=s3_settings)["Contents"]}
    assert f"{s3_settings}/exports/{done.file_name}" in keys
    put_raw("reports/s3.zip", b"PK in the clear")
    call_command("reseal_files", "--now", "--country", "FR", stdout=io.StringIO())
    assert stored("reports/s3.zip").startswith(files.MAGIC)
    assert files.file_read(row=row, name="reports/s3.zip") == b"PK in the clear"
    assert files.file_delete("reports/s3.zip") and not files.file_exists("reports/s3.zip")


def test_compose_runs_minio_and_gives_the_portal_its_bucket_through_the_environment():
    from pathlib import Path

    import yaml

    compose = yaml.safe_load((Path(__file__).resolve().parents[2] / "docker-compose.yml").read_text())
    portal_env = compose["x-portal-env"]
    assert portal_env["STORAGE_BACKEND"] == "${STORAGE_BACKEND:-s3}"
    assert portal_env["S3_ENDPOINT_URL"].endswith("http://minio:9000}")
    # Never a fixed secret: the portal's storage secret and MinIO's administrator password are files.
    assert portal_env["S3_SECRET_ACCESS_KEY_FILE"] == "/run/secrets/s3_secret_access_key"
    minio = compose["services"]["minio"]
    assert minio["environment"]["MINIO_ROOT_PASSWORD_FILE"] == "/run/secrets/minio_root_password"
    assert "ports" not in minio  # reachable by the portal's services only
    setup = compose["services"]["minio-setup"]
    assert "mc anonymous set none" in setup["entrypoint"] and "mc mb --ignore-existing" in setup["entrypoint"]
    for name in ("web", "worker", "beat"):
        service = compose["services"][name]
        assert service["environment"]["STORAGE_BACKEND"] == portal_env["STORAGE_BACKEND"]
        assert "s3_secret_access_key" in service["secrets"]
