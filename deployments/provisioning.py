"""Provisioning (DESIGN §7): the job runner, run by a worker once the outbox has relayed the job.

A job runs step by step, each step in its own transaction that first claims the job row with
SELECT … FOR UPDATE SKIP LOCKED inside the job's country; a step that is interrupted (worker
killed) rolls back and is done again on redelivery. Environments are unique per request and a
request's live credential is unique per environment, so a re-run finds what an earlier run made
instead of making a second one. Secrets are made here, in the worker, and never leave it except
sealed in the one-time reveal row."""

from __future__ import annotations

import hashlib
import logging
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from tenants.isolation import country_context
from tenants.models import Country
from tenants.record.ledger import event_record

from . import gates as gates_module
from . import notices, services
from .approvals import approved_rate
from .backends import BackendError, credential_secret, provisioner
from .models import Credential, CredentialReveal, DeploymentRequest, Environment, ProvisioningJob
from .policy import policy_changed
from .recertification import next_date

log = logging.getLogger(__name__)


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def credential_issue(*, environment: Environment, for_user_id: int) -> Credential:
    """A new live credential and its one-time reveal; in the caller's country context."""
    secret = credential_secret()
    credential = Credential.objects.create(
        country_id=environment.country_id, environment=environment, prefix=secret[:12], key_hash=secret_hash(secret)
    )
    CredentialReveal.objects.create(
        country_id=environment.country_id, credential=credential, user_id=for_user_id, secret=secret
    )
    return credential


# --- The job runner ------------------------------------------------------------------------------


class JobBusy(Exception):
    """Another worker holds the job: this delivery leaves it to them."""


def _delay() -> None:
    seconds = float(getattr(settings, "PROVISIONING_STEP_DELAY", 0) or 0)
    if seconds > 0:
        time.sleep(seconds)


def provisioning_run(*, country_id: int, job_id: int) -> str:
    """Run the job's remaining steps; safe to call again at any point. Returns the job's state."""
    country = Country.objects.get(pk=country_id)
    counted = False
    while True:
        with country_context(country):
            job = (
                ProvisioningJob.objects.select_for_update(skip_locked=True)
                .select_related("request")
                .filter(pk=job_id)
                .first()
            )
            if job is None:
                if ProvisioningJob.objects.filter(pk=job_id).exists():
                    raise JobBusy(f"job {job_id} is held by another worker")
                return "missing"
            if job.state in (ProvisioningJob.State.DONE, ProvisioningJob.State.FAILED):
                return job.state
            pending = [s for s in job.steps if not s.get("done_at")]
            if not pending:
                job.state, job.finished_at = ProvisioningJob.State.DONE, timezone.now()
                job.save(update_fields=["state", "finished_at"])
                return job.state
            if job.state == ProvisioningJob.State.PENDING:
                job.state, job.started_at = ProvisioningJob.State.RUNNING, timezone.now()
            step = pending[0]
            if not counted:
                job.attempts, counted = job.attempts + 1, True
            try:
                failure = _run_step(country, job, step["name"])
            except BackendError as error:
                failure = str(error)
            if failure:
                job.state, job.error, job.finished_at = ProvisioningJob.State.FAILED, failure[:500], timezone.now()
                job.save(update_fields=["state", "error", "finished_at", "started_at", "attempts"])
                event_record(
                    country=country,
                    action="deployment.provisioning_failed",
                    actor_role="system",
                    target=job.request,
                    payload={"request": job.request_id, "job": job.pk, "kind": job.kind, "step": step["name"]},
                )
                notices.provisioning_failed(request=job.request, country=country, kind=job.kind)
                return job.state
            _delay()
            step["done_at"] = timezone.now().isoformat()
            job.save(update_fields=["state", "started_at", "steps", "attempts"])


# --- A job no worker finishes (tenants.jobs.sweep) -------------------------------------------------

# A job still after this long (longer than the task's hard time limit) is handed to a worker again,
# after twice as long the next time, and so on: the sweep (beat, every minute) finds it within minutes.
STRANDED_AFTER = timedelta(minutes=6)
STRANDED_REDRIVES = 3
STRANDED_BACKOFF = 2


def job_moved_at(job: ProvisioningJob) -> datetime | None:
    """When the job last moved on: it started, or a step was done."""
    done = [datetime.fromisoformat(step["done_at"]) for step in job.steps if step.get("done_at")]
    return max([*done, *([job.started_at] if job.started_at else [])], default=None)


def job_stranded(job: ProvisioningJob) -> None:
    """The sweep ended the job failed after its last chance (a worker killed each time, or retries
    spent): it goes on the record and its requester and partner managers are told, as for a job
    that stopped; its page says so and offers to try it again."""
    job.finished_at = timezone.now()
    job.save(update_fields=["finished_at"])
    country = Country.objects.get(pk=job.country_id)
    stopped = next((step["name"] for step in job.steps if not step.get("done_at")), "")
    event_record(
        country=country,
        action="deployment.provisioning_failed",
        actor_role="system",
        target=job.request,
        payload={"request": job.request_id, "job": job.pk, "kind": job.kind, "step": stopped, "timed_out": True},
    )
    notices.provisioning_failed(request=job.request, country=country, kind=job.kind)


def _run_step(country: Country, job: ProvisioningJob, name: str) -> str:
    """Do one step inside the job's transaction; return a message if the job must stop."""
    request = DeploymentRequest.objects.select_related("model", "organisation", "owner", "requested_by").get(
        pk=job.request_id
    )
    backend = provisioner()
    if name == "gates":
        failing = gates_module.gates_failing(gates_module.gates_check(country=country, request=request))
        if failing:
            return "Stopped before provisioning: " + "; ".join(f"{g.name}: {g.reason}" for g in failing)
        if request.state == DeploymentRequest.State.APPROVED:
            services.deployment_request_transition(request=request, action="provisioning_start", by=None, access=None)
    elif name == "environment":
        if Environment.objects.filter(request=request).exists():
            return ""
        endpoint, external_id = backend.ensure_environment(request)
        Environment.objects.get_or_create(
            request=request,
            defaults={
                "country_id": country.pk,
                "name": request.title[:120],
                "backend": backend.name,
                "endpoint": endpoint,
                "external_id": external_id,
                "model": request.model,
                "region": request.region,
                "monthly_token_quota": request.quota_tokens or request.expected_monthly_tokens,
                "requests_per_minute": approved_rate(request),  # what the gateway admits: the approval's
                "expires_on": request.expires_on,
                "human_review_required": request.human_review_required,
                "recertify_by": next_date(timezone.localdate()),
            },
        )
    elif name == "credential":
        environment = Environment.objects.get(request=request)
        if not environment.upstream_key:
            upstream_key = backend.issue_upstream_key(environment)
            if upstream_key:
                environment.upstream_key = upstream_key
                environment.save(update_fields=["upstream_key"])
        if not environment.credentials.filter(revoked_at__isnull=True).exists():
            credential = credential_issue(environment=environment, for_user_id=request.requested_by_id)
            event_record(
                country=country,
                action="credential.issued",
                actor_role="system",
                target=environment,
                payload={"environment": environment.pk, "key_number": credential.pk},
            )
            policy_changed(environment=environment)
    elif name == "quota":
        backend.apply_limits(Environment.objects.get(request=request))
    elif name == "activate":
        if request.state == DeploymentRequest.State.PROVISIONING:
            services.deployment_request_transition(request=request, action="provisioning_done", by=None, access=None)
        for environment in Environment.objects.filter(request=request):
            policy_changed(environment=environment)
    elif name == "revoke":
        # The secrets of the credentials revoked now are never shown any more, nor kept (as at a rotation).
        CredentialReveal.objects.filter(credential__environment__request=request).delete()
        Credential.objects.filter(environment__request=request, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        for environment in Environment.objects.filter(request=request):
            policy_changed(environment=environment)
    elif name == "remove":
        for environment in Environment.objects.filter(request=request):
            backend.remove(environment)
        Environment.objects.filter(request=request).update(state=Environment.State.DECOMMISSIONED)
        for environment in Environment.objects.filter(request=request):
            policy_changed(environment=environment)
    return ""
