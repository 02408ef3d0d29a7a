"""A provisioning or decommissioning job that stopped (a gate no longer met, a provider's refusal)
is tried again by a person who answers for the deployment: the country's admin or its partner
manager. The stopped job stays as it was, on the record; a new job of the same kind starts from
its first step (each step finds what an earlier attempt made, so nothing is made twice)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from tenants.access import PARTNER_MANAGER, Access
from tenants.errors import NotAllowed, ServiceError
from tenants.isolation import country_context
from tenants.models import Country, Membership
from tenants.record.ledger import event_record

from . import selectors
from .models import DeploymentRequest, ProvisioningJob
from .services import job_enqueue

RETRIERS = frozenset({Membership.Role.COUNTRY_ADMIN, PARTNER_MANAGER})
S = DeploymentRequest.State
# The states in which a stopped job of each kind still has work to do.
STILL_TO_DO = {
    ProvisioningJob.Kind.PROVISION: frozenset({S.APPROVED, S.PROVISIONING}),
    ProvisioningJob.Kind.DECOMMISSION: frozenset({S.DECOMMISSIONED}),
}


def retry_allowed(*, request: DeploymentRequest, access: Access, job: ProvisioningJob | None) -> bool:
    """Whether this person may try the request's latest job again now (for the page's button)."""
    return (
        not access.read_only
        and access.role_in(request.country_id) in RETRIERS
        and job is not None
        and job.state == ProvisioningJob.State.FAILED
        and request.state in STILL_TO_DO.get(job.kind, ())
    )


def job_retry(*, request: DeploymentRequest, by, access: Access) -> ProvisioningJob:
    """A new job in place of the request's stopped one, queued through the outbox."""
    country = Country.objects.get(pk=request.country_id)
    if access.read_only or access.role_in(country.pk) not in RETRIERS:
        raise NotAllowed(_("Only the country's admin or its partner manager can try a stopped job again."))
    with transaction.atomic(), country_context(country):
        request = DeploymentRequest.objects.select_for_update().get(pk=request.pk, country=country)
        stopped = selectors.job_latest(request=request)
        if not retry_allowed(request=request, access=access, job=stopped):
            raise ServiceError(
                _("There is nothing to try again: the request's last job has not stopped, or is no longer needed.")
            )
        attempt = ProvisioningJob.objects.filter(request=request, kind=stopped.kind).count() + 1
        job = job_enqueue(request=request, kind=stopped.kind, attempt=attempt)
        event_record(
            country=country,
            action="deployment.job_retried",
            actor=by,
            target=request,
            payload={"request": request.pk, "job": job.pk, "stopped_job": stopped.pk, "kind": stopped.kind},
        )
    return job
