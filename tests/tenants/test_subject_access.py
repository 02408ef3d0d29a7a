"""Data-subject access requests: everything one country holds about one person, as a signed zip
built by a worker, asked for by a country admin through the API, every step on the record."""

from __future__ import annotations

import base64
import io
import json
import zipfile
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from django.core.files.storage import default_storage

from tenants import files
from tenants.isolation import country_context
from tenants.keys.models import SubjectAccessExport
from tenants.keys.subject_access import subject_access_build, subject_access_expire
from tenants.models import Membership
from training import services as training_services
from training.models import Programme

from .leaving import PDF, act, actions, fr_history

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def member_pk(cast, user) -> int:
    with country_context(cast.fr):
        return Membership.objects.get(user=user).pk


def zip_of(made: SubjectAccessExport) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(files.file_read(row=made, name=made.file_name)))


def test_a_country_admin_gets_everything_about_one_person(api, cast, media):
    history = fr_history(cast)
    training_services.catalogue_sync()
    enrolment = training_services.enrolment_create(
        country=cast.fr,
        user=cast.member,
        programme=Programme.objects.filter(is_active=True).first(),
        **act(cast.member),
    )
    questions = enrolment.pinned.modules[0]["quiz"]
    training_services.quiz_submit(enrolment=enrolment, module=0, answers=[0] * len(questions), **act(cast.member))
    api.force_login(cast.owner)
    asked = api.post(f"/api/v1/countries/FR/members/{member_pk(cast, cast.member)}/subject-access/", format="json")
    assert asked.status_code == 202 and asked.json()["state"] == "pending" and asked.json()["download_url"] is None
    made = subject_access_build(request_id=asked.json()["id"], country_id=cast.fr.pk)  # what the worker does
    status = api.get(f"/api/v1/countries/FR/subject-access/{made.pk}/").json()
    assert status["state"] == "done" and status["download_url"].endswith(f"/subject-access/{made.pk}/download/")
    download = api.get(status["download_url"])
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))

    person = json.loads(archive.read("person.json"))
    assert person["account"]["email"] == "member@example.org" and person["account"]["first_name"] == "Marc"
    assert person["memberships"][0]["phone"] == "+33 1 23 45 67 89"  # sealed values opened for the person
    names = set(archive.namelist())
    for table in ("governance.incident", "governance.evidencefile", "engagements.engagement",
                  "tenants.notification", "training.enrolment", "training.quizattempt"):  # fmt: skip
        assert f"data/{table}.jsonl" in names, table
    incident = json.loads(archive.read("data/governance.incident.jsonl").decode().splitlines()[0])
    assert incident["description"] == "Mme X was refused twice."
    evidence_file = f"files/governance.evidencefile/{history.evidence.pk}/{history.evidence.path.rsplit('/', 1)[-1]}"
    assert archive.read(evidence_file) == PDF
    events = [json.loads(line) for line in archive.read("ledger/events.jsonl").decode().splitlines()]
    assert events and {e["actor"] for e in events} == {cast.member.pk} and all(len(e["hash"]) == 64 for e in events)
    # Only this person: nobody else's rows, nobody else's details.
    everything = b"".join(archive.read(n) for n in names).decode("utf-8", "replace")
    assert "owner@example.org" not in everything and "Olga" not in everything
    # The manifest is signed by the portal and lists every file's hash.
    manifest_bytes = archive.read("manifest.json")
    load_pem_public_key(archive.read("ledger-key.pem")).verify(
        base64.b64decode(archive.read("manifest.sig")), manifest_bytes
    )
    manifest = json.loads(manifest_bytes)
    assert set(manifest["files"]) == names - {"manifest.json", "manifest.sig", "ledger-key.pem", "README.txt"}
    steps = actions(cast.fr)
    assert {"subject_access.requested", "subject_access.completed", "subject_access.downloaded"} <= set(steps)


def test_who_may_ask(api, cast, media):
    path = f"/api/v1/countries/FR/members/{member_pk(cast, cast.member)}/subject-access/"
    assert api.post(path, format="json").status_code == 401
    api.force_login(cast.member)  # the person themself is not a country admin: they ask one
    assert api.post(path, format="json").status_code == 403
    api.force_login(cast.outsider)
    assert api.post(path, format="json").status_code == 404
    api.force_login(cast.auditor)
    assert api.post(path, format="json").status_code == 403
    api.force_login(cast.owner)
    assert api.post("/api/v1/countries/FR/members/999999/subject-access/", format="json").status_code == 404
    with country_context(cast.fr):
        assert not SubjectAccessExport.objects.exists()
    made = api.post(path, format="json").json()
    for person, code in ((cast.member, 403), (cast.outsider, 404)):
        api.force_login(person)
        assert api.get(f"/api/v1/countries/FR/subject-access/{made['id']}/").status_code == code
        assert api.get(f"/api/v1/countries/FR/subject-access/{made['id']}/download/").status_code == code
    api.force_login(cast.owner)
    not_ready = api.get(f"/api/v1/countries/FR/subject-access/{made['id']}/download/")
    assert not_ready.status_code == 404 and "not ready" in not_ready.json()["detail"]


def test_the_zip_expires(cast, media):
    from tenants.keys.subject_access import subject_access_request

    with country_context(cast.fr):
        membership = Membership.objects.select_related("country").get(user=cast.member)
    made = subject_access_build(
        request_id=subject_access_request(country=cast.fr, membership=membership, **act(cast.owner)).pk,
        country_id=cast.fr.pk,
    )
    assert "person.json" in zip_of(made).namelist()
    assert subject_access_expire() == 0
    assert subject_access_expire(now=made.expires_at + timedelta(seconds=1)) == 1
    assert not default_storage.exists(made.file_name)
    with country_context(cast.fr):
        assert SubjectAccessExport.objects.get(pk=made.pk).file_name == ""
    assert actions(cast.fr)[-1] == "subject_access.expired"


def test_a_person_can_still_be_told_what_is_held_after_the_exit(api, cast, media):
    """Subject access is a read: it stays open for a country that left, and shows what was sealed as
    unreadable (its keys are gone), the rest as it is."""
    from tenants.keys.rotation import country_keys_destroy

    fr_history(cast)
    country_keys_destroy(country=cast.fr)
    api.force_login(cast.owner)
    asked = api.post(f"/api/v1/countries/FR/members/{member_pk(cast, cast.member)}/subject-access/", format="json")
    assert asked.status_code == 202
    made = subject_access_build(request_id=asked.json()["id"], country_id=cast.fr.pk)
    archive = zip_of(made)
    person = json.loads(archive.read("person.json"))
    assert person["account"]["email"] == "member@example.org"
    assert person["memberships"][0]["phone"].startswith("[unreadable:")
    incident = json.loads(archive.read("data/governance.incident.jsonl").decode().splitlines()[0])
    assert incident["title"] == "Wrong benefit refusals" and incident["description"].startswith("[unreadable:")
