"""The `openai` provisioner through a real Celery worker: the worker talks to the stand-in Admin API
on 127.0.0.1, a 503 on the service account is retried with backoff by Celery, and the job ends
with one project, one service account and the rate limit set, nothing twice."""

from __future__ import annotations

import os
import subprocess

import pytest
from django.conf import settings

from deployments import tasks
from tenants.isolation import country_context
from tests import pytest_env
from tests.conftest import wait_for
from tests.deployments.test_openai_backend import ADMIN_KEY, stand_in  # noqa: F401 (fixture)
from tests.deployments.test_worker import _approve_with_broker_down, counts, job_of, submitted
from tests.workers import worker_start

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_openai_backend_through_the_worker_retries_a_503(celery_worker_process, cast, ready, stand_in):  # noqa: F811
    from portal.celery import app

    stand_in.fail[r"POST /v1/organization/projects/\w+/service_accounts"] = [503]
    queue = f"{settings.CELERY_TASK_DEFAULT_QUEUE}-openai"
    name = f"openai-worker-{os.getpid()}@{os.uname().nodename}"
    log_path = pytest_env.VAR_DIR / "test-openai-worker.log"
    log = open(log_path, "w")
    worker = worker_start(
        queue=queue,
        name=name,
        log=log,
        pool="solo",
        DEPLOYMENTS_PROVISIONER="openai",
        OPENAI_ADMIN_URL=settings.OPENAI_ADMIN_URL,
        OPENAI_ADMIN_KEY=ADMIN_KEY,
    )
    try:
        wait_for(lambda: app.control.ping(timeout=0.5, destination=[name]), timeout=60)
        item = submitted(cast, ready)
        _approve_with_broker_down(cast, item)  # keeps the job away from the suite's (local) worker
        job = job_of(cast, item)
        tasks.provisioning_run.apply_async(kwargs={"country_id": cast.fr.pk, "job_id": job.pk}, queue=queue)
        wait_for(lambda: job_of(cast, item).state == "done", timeout=90)
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
        log.close()
    assert counts(cast, item) == (1, 1)
    assert len(stand_in.projects) == 1 and len(stand_in.accounts) == 1
    attempts = [c for c in stand_in.calls if c.startswith("POST") and c.endswith("/service_accounts")]
    assert len(attempts) == 2  # the 503, then the retry that succeeded
    assert stand_in.limits  # the rate limit was set
    assert "retry" in log_path.read_text().lower()
    with country_context(cast.fr):
        environment = item.__class__.objects.get(pk=item.pk).environment
        assert environment.backend == "openai" and environment.external_id == stand_in.projects[0]["id"]
