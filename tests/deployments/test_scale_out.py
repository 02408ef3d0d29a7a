"""Scale-out, proven: two web processes (gunicorn) and two Celery workers that share PostgreSQL,
Redis and an S3 endpoint and nothing else (each has a local MEDIA_ROOT of its own that must stay
empty). A report asked for through web A is built by one of the workers and downloaded through
web B; approvals sent at once through both webs make exactly one provisioning job; of two beats,
one sends the schedule, the other takes over when it stops.

Runs in the normal suite (marked `worker`); every wait is bounded, so a fault fails within minutes."""

from __future__ import annotations

import io
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from django.db import connections
from django.utils import timezone

from deployments.models import DeploymentRequest, ProvisioningJob
from tenants.isolation import country_context
from tests.conftest import wait_for
from tests.storage_s3 import client as s3_client
from tests.storage_s3 import s3_env

from .conftest import draft

ROOT = Path(__file__).resolve().parent.parent.parent
PASSWORD = "correct-horse-battery-staple"

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def runtime_env(tmp_path: Path, endpoint: str, bucket: str, prefix: str, queue: str) -> dict[str, str]:
    """What every process of the cluster gets: the test database as the runtime role, this test's
    own queue and beat lease, the S3 endpoint, and a MEDIA_ROOT of its own (which must stay empty)."""
    db = connections["default"].settings_dict
    base, _, _ = os.environ["DATABASE_URL"].rpartition("/")
    credentials = quote(db["USER"], safe="") + (f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else "")
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"{base}/{db['NAME']}",
        APP_DATABASE_URL=f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        PORTAL_DB_ROLE="app",
        DB_CONN_MAX_AGE="0",
        CELERY_QUEUE=queue,
        BEAT_LOCK_KEY=f"{queue}:beat-lock",
        BEAT_LOCK_SECONDS="3",
        EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend",
        PYTHONPATH=str(ROOT),
        **s3_env(endpoint, bucket, prefix),
    )
    return env


class Cluster:
    """The processes of the test, each with its log; stopped (by their own ids) at the end."""

    def __init__(self, tmp_path: Path, env: dict[str, str]):
        self.tmp_path, self.env, self.processes, self.logs = tmp_path, env, {}, {}

    def start(self, name: str, args: list[str], *, media: bool = True, pass_fds=()) -> subprocess.Popen:
        env = dict(self.env, MEDIA_ROOT=str(self.tmp_path / "media" / name))
        log = self.tmp_path / f"{name}.log"
        self.logs[name] = log
        process = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, pass_fds=pass_fds
        )
        self.processes[name] = process
        return process

    def web(self, name: str) -> str:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        sock.set_inheritable(True)
        args = [sys.executable, "-m", "gunicorn", "portal.wsgi", "--bind", f"fd://{sock.fileno()}"]
        self.start(name, [*args, "--workers", "1", "--threads", "4", "--timeout", "60"], pass_fds=(sock.fileno(),))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        sock.close()  # gunicorn holds its own copy
        return url

    def worker(self, name: str) -> None:
        queue = self.env["CELERY_QUEUE"]
        args = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "-n",
            f"{name}@%h",
        ]
        self.start(name, [*args, "--without-heartbeat", "--without-gossip", "--without-mingle"])

    def beat(self, name: str) -> subprocess.Popen:
        return self.start(name, [sys.executable, "-m", "celery", "-A", "portal", "beat", "--pidfile="])

    def log(self, name: str) -> str:
        return self.logs[name].read_text(errors="replace")

    def stop(self, name: str) -> None:
        process = self.processes[name]
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)

    def stop_all(self) -> None:
        for name in list(self.processes):
            self.stop(name)


@pytest.fixture
def cluster(tmp_path, s3_endpoint):
    endpoint, bucket = s3_endpoint
    prefix = f"scale-{secrets.token_hex(4)}"
    from django.conf import settings

    # Named after the run's queue, so that the end of the run deletes whatever of it is left.
    queue = f"{settings.CELERY_TASK_DEFAULT_QUEUE}-scale-{secrets.token_hex(3)}"
    made = Cluster(tmp_path, runtime_env(tmp_path, endpoint, bucket, prefix, queue))
    made.prefix = prefix
    yield made
    made.stop_all()
    import redis

    redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(queue, f"{queue}:beat-lock")


def token(base: str, username: str) -> dict[str, str]:
    answer = requests.post(f"{base}/api/v1/auth/token/", json={"username": username, "password": PASSWORD}, timeout=30)
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def up(base: str) -> bool:
    try:
        return requests.get(f"{base}/healthz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def test_two_webs_and_two_workers_share_only_the_database_redis_and_object_storage(cast, ready, cluster):
    web_a, web_b = cluster.web("web-a"), cluster.web("web-b")
    cluster.worker("worker-1")
    cluster.worker("worker-2")
    wait_for(lambda: up(web_a) and up(web_b), timeout=90, interval=0.5)
    wait_for(lambda: all("ready." in cluster.log(w) for w in ("worker-1", "worker-2")), timeout=90, interval=0.5)

    # A report asked for through web A, built by a worker, downloaded through web B.
    auditor_a, auditor_b = token(web_a, "auditor"), token(web_b, "auditor")
    asked = requests.post(
        f"{web_a}/api/v1/countries/FR/compliance-reports/",
        json={"kind": "pack", "period_start": "2026-01-01", "period_end": timezone.localdate().isoformat()},
        headers=auditor_a,
        timeout=30,
    )
    assert asked.status_code in (201, 202), asked.text
    report_id = asked.json()["id"]

    def done():
        answer = requests.get(
            f"{web_b}/api/v1/countries/FR/compliance-reports/{report_id}/", headers=auditor_b, timeout=10
        )
        return answer.json() if answer.json().get("state") in ("done", "failed") else None

    state = wait_for(done, timeout=120, interval=0.5)
    assert state["state"] == "done", state
    download = requests.get(
        f"{web_b}/api/v1/countries/FR/compliance-reports/{report_id}/download/", headers=auditor_b, timeout=60
    )
    assert download.status_code == 200
    assert "manifest.sig" in zipfile.ZipFile(io.BytesIO(download.content)).namelist()
    builders = [
        w for w in ("worker-1", "worker-2") if re.search(r"compliance_report_build\[.*\] succeeded", cluster.log(w))
    ]
    assert len(builders) == 1, "one worker built it"
    endpoint, bucket = s3_endpoint_of(cluster)
    keys = [o["Key"] for o in s3_client(endpoint).list_objects_v2(Bucket=bucket, Prefix=cluster.prefix)["Contents"]]
    assert any(key.startswith(f"{cluster.prefix}/reports/") for key in keys)
    media = cluster.tmp_path / "media"
    assert not [p for p in media.rglob("*") if p.is_file()], "no process kept a file of its own"

    # Approvals sent at once through both webs: one provisioning job.
    item = draft(cast, ready)
    submitted = requests.post(
        f"{web_a}/api/v1/countries/FR/deployment-requests/{item.pk}/submit/",
        json={},
        headers=token(web_a, "member"),
        timeout=60,
    )
    assert submitted.status_code == 200, submitted.text
    partner = {web_a: token(web_a, "partner"), web_b: token(web_b, "partner")}
    answers, start = {}, threading.Barrier(2)

    def approve(base: str) -> None:
        start.wait(timeout=10)
        answers[base] = requests.post(
            f"{base}/api/v1/countries/FR/deployment-requests/{item.pk}/approve/",
            json={"comment": "Approved."},
            headers=partner[base],
            timeout=60,
        )

    threads = [threading.Thread(target=approve, args=(base,)) for base in (web_a, web_b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    codes = sorted(answer.status_code for answer in answers.values())
    # The request's row is locked by the first: the second finds it approved and is refused (400).
    assert codes == [200, 400], [a.text for a in answers.values()]
    with country_context(cast.fr):
        assert ProvisioningJob.objects.filter(request=item).count() == 1
    with country_context(cast.fr):
        wait_for(lambda: DeploymentRequest.objects.get(pk=item.pk).state == "active", timeout=120, interval=0.5)
        assert ProvisioningJob.objects.filter(request=item).count() == 1


def s3_endpoint_of(cluster: Cluster) -> tuple[str, str]:
    return cluster.env["S3_ENDPOINT_URL"], cluster.env["S3_BUCKET"]


def test_of_two_beats_one_sends_and_the_other_takes_over_when_it_stops(cast, cluster):
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    every_second, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(
        name="scale-out probe", task="tenants.outbox_relay", interval=every_second, kwargs=json.dumps({})
    )
    first = cluster.beat("beat-1")
    cluster.beat("beat-2")

    def sends(name: str) -> int:
        return cluster.log(name).count("Sending due task scale-out probe")

    wait_for(lambda: sends("beat-1") + sends("beat-2") >= 5, timeout=90, interval=0.5)
    time.sleep(2)
    counts = sorted((sends("beat-1"), sends("beat-2")))
    assert counts[0] == 0 and counts[1] >= 5, f"only the lease holder sends: {counts}"
    holder = "beat-1" if sends("beat-1") else "beat-2"
    standby = "beat-2" if holder == "beat-1" else "beat-1"
    assert first.poll() is None
    cluster.stop(holder)
    wait_for(lambda: sends(standby) >= 2, timeout=30, interval=0.5)  # the lease (3 s) ran out: taken over
