"""Destroying a country's keys takes effect at once in every process, not after a cache expires:
each process checks the country's key epoch before using a key it holds (tenants.country_state).
Shown with a second process that had the key cached (a reader like a web process's requests) and
with the suite's real Celery worker."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connections

from tenants import files
from tenants.access import access_for
from tenants.country_state import country_state, country_state_memo
from tenants.isolation import country_context
from tenants.keys import envelope
from tenants.keys.fields import Unreadable
from tenants.keys.models import SubjectAccessExport
from tenants.keys.rotation import country_keys_destroy
from tenants.keys.subject_access import subject_access_request
from tenants.models import Country, Membership
from tests.conftest import ROOT, wait_for

READER = Path(__file__).with_name("key_reader.py")


def second_process_env() -> dict:
    """The environment of another portal process on the suite's database, as the runtime role
    (as tests/conftest.py starts the worker)."""
    db = connections["default"].settings_dict
    base, _, _ = os.environ["DATABASE_URL"].rpartition("/")
    credentials = quote(db["USER"], safe="") + (f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else "")
    host = db["HOST"] or "127.0.0.1"
    host = quote(host, safe="") if host.startswith("/") else host
    return {
        **os.environ,
        "DATABASE_URL": f"{base}/{db['NAME']}",
        "APP_DATABASE_URL": f"postgres://{credentials}@{host}:{db['PORT'] or 5432}/{db['NAME']}",
        "PORTAL_DB_ROLE": "app",
        "DB_CONN_MAX_AGE": "0",
        "PYTHONPATH": str(ROOT),
    }


@pytest.fixture
def sealed_phone(cast):
    with country_context(cast.fr):
        membership = Membership.objects.get(user=cast.member)
        membership.phone = "+33 1 23 45 67 89"
        membership.save()
    return membership


def test_destruction_bumps_the_epoch_and_a_key_held_in_memory_is_not_used_again(cast, sealed_phone):
    """In one process, the mechanism itself: a key loaded before the epoch moved is refused after."""
    with country_context(cast.fr):
        assert Membership.objects.get(pk=sealed_phone.pk).phone == "+33 1 23 45 67 89"
    held = dict(envelope._cache)  # what another process would still hold
    before = country_state(cast.fr.pk).key_epoch
    country_keys_destroy(country=cast.fr)
    assert country_state(cast.fr.pk).key_epoch == before + 1
    envelope._cache.update(held)  # as if this process had never been told
    with country_context(cast.fr):
        value = Membership.objects.get(pk=sealed_phone.pk).phone
    assert isinstance(value, Unreadable) and "destroyed" in value
    # Within one request the epoch is read once: a memo seeded from the row loaded by the middleware.
    with country_state_memo(Country.objects.get(pk=cast.ke.pk)):
        assert country_state(cast.ke.pk).key_epoch == 0


@pytest.mark.django_db(transaction=True)
def test_another_process_that_had_the_key_cached_reads_unreadable_within_a_second(cast, sealed_phone):
    reader = subprocess.Popen(
        [sys.executable, str(READER), str(cast.fr.pk), str(sealed_phone.pk), "20"],
        cwd=ROOT,
        env=second_process_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = json.loads(reader.stdout.readline() or "{}")
        assert first.get("value") == "+33 1 23 45 67 89", reader.stderr.read() if not first else first
        destroyed_at = time.time()
        country_keys_destroy(country=cast.fr)  # committed: this test is transactional
        seen = None
        for line in reader.stdout:
            read = json.loads(line)
            if read["at"] > destroyed_at and read["unreadable"]:
                seen = read
                break
            assert read["at"] < destroyed_at + 1.0, "the other process still opened the value a second later"
        assert seen is not None and "destroyed" in seen["value"]
        delay = seen["at"] - destroyed_at
        print(f"destruction took effect in the other process after {delay * 1000:.0f} ms")
        assert delay < 1.0
    finally:
        reader.kill()
        reader.wait(timeout=10)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_celery_worker_that_had_the_key_cached_reads_unreadable_after_destruction(
    cast, sealed_phone, celery_worker_process
):
    """The worker builds a subject-access zip (opening the phone under the cached key), the keys are
    destroyed here, and the worker's next zip of the same person shows the value as unreadable."""
    with country_context(cast.fr):
        membership = Membership.objects.get(pk=sealed_phone.pk)

    def built(request_id):
        with country_context(cast.fr):
            done = SubjectAccessExport.objects.filter(pk=request_id, state="done").first()
        if done is None:
            return None
        with zipfile.ZipFile(io.BytesIO(files.file_read(row=done, name=done.file_name))) as archive:
            return json.loads(archive.read("person.json"))["memberships"][0]["phone"]

    first = subject_access_request(country=cast.fr, membership=membership, by=cast.owner, access=access_for(cast.owner))
    assert wait_for(lambda: built(first.pk), timeout=60) == "+33 1 23 45 67 89"
    country_keys_destroy(country=cast.fr)
    second = subject_access_request(
        country=cast.fr, membership=membership, by=cast.owner, access=access_for(cast.owner)
    )
    phone = wait_for(lambda: built(second.pk), timeout=60)
    assert phone.startswith("[unreadable:") and "destroyed" in phone
