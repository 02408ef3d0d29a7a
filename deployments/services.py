"""Writes of deployments: drafting and moving deployment requests through their lifecycle (an
explicit transition table), reviews with their approval rules and conditions, and the environment
actions. Every change is transactional, checks the actor's role and goes on the country's ledger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from engagements.models import Sector
from governance import selectors as governance_selectors
from tenants.access import PARTNER_MANAGER, Access
from tenants.conversations import selectors as conversation_selectors
from tenants.errors import NotAllowed, ServiceError
from tenants.isolation import country_context
from tenants.jobs.outbox import outbox_enqueue
from tenants.models import Country, Membership, Organisation
from tenants.record.ledger import event_record
from tenants.record.reasons import reason_record

from . import gates as gates_module
from . import notices, selectors
from .approvals import approval_conditions, approval_record, approvals_given, approvals_needed
from .models import (
    MAX_TOKENS,
    AIModel,
    DeploymentDecision,
    DeploymentMove,
    DeploymentRequest,
    Environment,
    ProvisioningJob,
)
from .policy import policy_changed

S = DeploymentRequest.State
DRAFTERS = frozenset({Membership.Role.COUNTRY_ADMIN, Membership.Role.OFFICER})
REVIEWERS = frozenset({PARTNER_MANAGER})
SYSTEM = frozenset({"system"})
MAX_TEXT = 5000
MAX_COMMENT = 2000
DELETE_REFUSED_CONVERSATION = gettext_lazy(
    "This draft cannot be deleted: its conversation has messages, and they are on the record. It stays "
    "as a draft, which has no effect until it is submitted; you may change it or leave it."
)

__all__ = ["NotAllowed", "ServiceError"]


@dataclass(frozen=True)
class Move:
    sources: frozenset[str]
    target: str
    roles: frozenset[str]
    label: str


# The whole lifecycle. approve may stop short of APPROVED (a high-risk request waits for a second,
# distinct approver); provisioning_* moves are made by the worker, never by a person.
TRANSITIONS: dict[str, Move] = {
    "submit": Move(frozenset({S.DRAFT, S.CHANGES_REQUESTED}), S.SUBMITTED, DRAFTERS, gettext_lazy("Submit for review")),
    "withdraw": Move(frozenset({S.SUBMITTED, S.IN_REVIEW}), S.DRAFT, DRAFTERS, gettext_lazy("Withdraw from review")),
    "start_review": Move(frozenset({S.SUBMITTED}), S.IN_REVIEW, REVIEWERS, gettext_lazy("Start review")),
    "approve": Move(frozenset({S.SUBMITTED, S.IN_REVIEW}), S.APPROVED, REVIEWERS, gettext_lazy("Approve")),
    "reject": Move(frozenset({S.SUBMITTED, S.IN_REVIEW}), S.REJECTED, REVIEWERS, gettext_lazy("Reject")),
    "request_changes": Move(
        frozenset({S.SUBMITTED, S.IN_REVIEW}), S.CHANGES_REQUESTED, REVIEWERS, gettext_lazy("Request changes")
    ),
    "provisioning_start": Move(frozenset({S.APPROVED}), S.PROVISIONING, SYSTEM, gettext_lazy("Start provisioning")),
    "provisioning_done": Move(frozenset({S.PROVISIONING}), S.ACTIVE, SYSTEM, gettext_lazy("Activate")),
    "suspend": Move(
        frozenset({S.ACTIVE}), S.SUSPENDED, REVIEWERS | {Membership.Role.COUNTRY_ADMIN}, gettext_lazy("Suspend")
    ),
    "reinstate": Move(frozenset({S.SUSPENDED}), S.ACTIVE, REVIEWERS, gettext_lazy("Reinstate")),
    "decommission": Move(
        frozenset({S.ACTIVE, S.SUSPENDED}),
        S.DECOMMISSIONED,
        REVIEWERS | {Membership.Role.COUNTRY_ADMIN},
        gettext_lazy("Decommission"),
    ),
}
EDITABLE = frozenset({S.DRAFT, S.CHANGES_REQUESTED})
PERSON_ACTIONS = [a for a, m in TRANSITIONS.items() if m.roles != SYSTEM]
COMMENT_REQUIRED = frozenset({"reject", "request_changes", "suspend", "decommission"})
# Moves refused while a check before review fails (deployments.gates): pages do not offer them then.
GATED = frozenset({"submit", "approve"})
# Moves that end or stop something for good or for others: asked on a confirmation page, with a reason.
CONFIRMED = frozenset({"reject", "suspend", "decommission"})


def move_for(request: DeploymentRequest, action: str) -> Move | None:
    move = TRANSITIONS.get(action)
    return move if move is not None and request.state in move.sources else None


def actions_for(*, request: DeploymentRequest, access: Access) -> list[str]:
    role = access.role_in(request.country_id)
    allowed = []
    for action in PERSON_ACTIONS:
        move = move_for(request, action)
        if move is None or role not in move.roles:
            continue
        if action == "approve" and (request.requested_by_id == access.user_id or _decided_by(request, access.user_id)):
            continue
        allowed.append(action)
    return allowed


def _decided_by(request: DeploymentRequest, user_id) -> bool:
    """Whether this person has already decided in the request's current round: a second approval
    of a high-risk request comes from someone else (`_approve` refuses it)."""
    return DeploymentDecision.objects.filter(request=request, review_round=request.review_round, by_id=user_id).exists()


def _country(request: DeploymentRequest) -> Country:
    return Country.objects.get(pk=request.country_id)


def _text(value, field: str, message: str, limit: int) -> str:
    value = (value or "").strip()
    if not value:
        raise ServiceError(message, field=field)
    if len(value) > limit:
        raise ServiceError(_("Keep this under {limit} characters.").format(limit=limit), field=field)
    return value


def _clean(
    *,
    country: Country,
    access: Access,
    organisation: Organisation | None,
    title,
    purpose,
    sector,
    model: AIModel | None,
    capabilities,
    region,
    data_classification,
    expected_monthly_tokens,
    owner,
) -> dict:
    if organisation is None or organisation.country_id != country.pk:
        raise ServiceError(
            _("Choose one of {country_name}'s organisations.").format(country_name=country.display_name),
            field="organisation",
        )
    allowed = selectors.requesting_organisations(country=country, access=access)
    if organisation.pk not in {o.pk for o in allowed}:
        names = ", ".join(o.name for o in allowed) or _("none")
        raise ServiceError(
            _(
                "You can request a deployment only for an organisation you act for ({names}); {organisation_name} is not one of them."
            ).format(names=names, organisation_name=organisation.name),
            field="organisation",
        )
    if sector not in Sector.values:
        raise ServiceError(_("Choose a sector from the list."), field="sector")
    if model is None:
        raise ServiceError(_("Choose a model from the catalogue."), field="model")
    if model.status == AIModel.Status.RETIRED:
        raise ServiceError(
            _("{model_name} is retired: choose another model.").format(model_name=model.name), field="model"
        )
    capabilities = sorted(set(capabilities or []))
    if not capabilities:
        raise ServiceError(_("Choose at least one capability."), field="capabilities")
    unknown = [c for c in capabilities if c not in (model.capabilities or [])]
    if unknown:
        raise ServiceError(
            _("{model_name} does not offer {unknown}: its capabilities are {or_none}.").format(
                model_name=model.name, unknown=", ".join(unknown), or_none=", ".join(model.capabilities) or _("none")
            ),
            field="capabilities",
        )
    if region not in Country.Region.values:
        raise ServiceError(_("Choose a data-residency region from the list."), field="region")
    if region not in (model.regions or []):
        raise ServiceError(
            _("{model_name} is not hosted in that region: choose one of {or_none}.").format(
                model_name=model.name, or_none=", ".join(model.regions) or _("none")
            ),
            field="region",
        )
    if data_classification not in DeploymentRequest.Classification.values:
        raise ServiceError(_("Choose a data classification from the list."), field="data_classification")
    if not isinstance(expected_monthly_tokens, int) or not 0 < expected_monthly_tokens < MAX_TOKENS:
        raise ServiceError(
            _("Enter the expected monthly volume as a whole number of tokens above zero."),
            field="expected_monthly_tokens",
        )
    if owner is None:
        raise ServiceError(_("Name the owner of the deployment."), field="owner")
    with country_context(country):
        owner_ok = Membership.objects.filter(user=owner, status=Membership.Status.ACTIVE).exists()
    if not owner_ok:
        raise ServiceError(
            _("The owner must be an active member of {country_name}.").format(country_name=country.display_name),
            field="owner",
        )
    return {
        "organisation": organisation,
        "title": _text(title, "title", "Give the request a title.", 200),
        "purpose": _text(purpose, "purpose", "Describe the purpose of the deployment.", MAX_TEXT),
        "sector": sector,
        "model": model,
        "capabilities": capabilities,
        "region": region,
        "data_classification": data_classification,
        "expected_monthly_tokens": expected_monthly_tokens,
        "owner": owner,
    }


def _role(access: Access, country: Country, allowed: frozenset[str], doing: str) -> str:
    role = access.role_in(country.pk) or ""
    if role not in allowed:
        raise NotAllowed(
            _("Your role in {country_name} does not allow you to {doing}.").format(
                country_name=country.display_name, doing=doing
            )
        )
    return role


@transaction.atomic
def deployment_request_create(
    *, country: Country, by, access: Access, assessment_id: int | None = None, **fields
) -> DeploymentRequest:
    role = _role(access, country, DRAFTERS, "draft a deployment request")
    cleaned = _clean(country=country, access=access, **fields)
    with country_context(country):
        request = DeploymentRequest.objects.create(
            country=country, requested_by=by, assessment_id=assessment_id, **cleaned
        )
        _check_assessment_in_country(country, request)
        event_record(
            country=country,
            action="deployment.drafted",
            actor=by,
            actor_role=role,
            target=request,
            payload={"request": request.pk, "model": request.model.slug},
        )
    return request


def _check_assessment_in_country(country: Country, request: DeploymentRequest) -> None:
    from governance.models import ImpactAssessment  # the FK's target; read within the country only

    if request.assessment_id and not ImpactAssessment.objects.filter(pk=request.assessment_id).exists():
        raise ServiceError(
            _("{country_name} has no such impact assessment.").format(country_name=country.display_name),
            field="assessment",
        )


@transaction.atomic
def deployment_request_update(
    *, request: DeploymentRequest, by, access: Access, assessment_id: int | None = None, **fields
) -> DeploymentRequest:
    country = _country(request)
    role = _role(access, country, DRAFTERS, "change a deployment request")
    if request.state not in EDITABLE:
        raise ServiceError(
            _("A request that is {request_get_state_display} can no longer be changed.").format(
                request_get_state_display=request.get_state_display().lower()
            )
        )
    cleaned = _clean(country=country, access=access, **fields)
    with country_context(country):
        request = DeploymentRequest.objects.select_for_update().get(pk=request.pk)
        for name, value in cleaned.items():
            setattr(request, name, value)
        request.assessment_id = assessment_id
        request.updated_at = timezone.now()
        request.save()
        _check_assessment_in_country(country, request)
        event_record(
            country=country,
            action="deployment.updated",
            actor=by,
            actor_role=role,
            target=request,
            payload={"request": request.pk},
        )
    return request


def _gate_error(failing: list[gates_module.Gate], *, action: str = "submit") -> ServiceError:
    labels = ", ".join(str(g.label) for g in failing)
    details = " ".join(f"{g.label}: {g.reason}" for g in failing)
    if action == "approve":
        message = _(
            "The request cannot be approved while a check before review fails (to do: {labels}). {details} "
            "Request changes so that the country can put it right, or decide once every check passes."
        )
    elif action == "reinstate":
        message = _(
            "The deployment cannot be reinstated while a check that approval makes fails (to do: {labels}). "
            "{details} Reinstate it once every check passes."
        )
    else:
        message = _("The request cannot be submitted until every check passes (to do: {labels}). {details}")
    return ServiceError(message.format(labels=labels, details=details), field="gates")


@transaction.atomic
def deployment_request_transition(
    *,
    request: DeploymentRequest,
    action: str,
    by,
    access: Access | None,
    comment: str = "",
    quota_tokens: int | None = None,
    expires_on: date | None = None,
    human_review_required: bool = False,
    requests_per_minute: int | None = None,
) -> DeploymentRequest:
    """Make one move of the transition table. `access` None is the worker (the system's moves)."""
    country = _country(request)
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise ServiceError(
            _("Keep the comment under {max_comment} characters.").format(max_comment=MAX_COMMENT), field="comment"
        )
    with country_context(country):
        request = (
            DeploymentRequest.objects.select_for_update().select_related("model", "organisation").get(pk=request.pk)
        )
        move = TRANSITIONS.get(action)
        if move is None:
            raise ServiceError(_("There is no such action on a deployment request."))
        role = "system" if access is None else (access.role_in(country.pk) or "")
        if role not in move.roles:
            raise NotAllowed(
                _("Your role in {country_name} does not allow you to {move_label} this request.").format(
                    country_name=country.display_name, move_label=move.label.lower()
                )
            )
        if request.state not in move.sources:
            raise ServiceError(
                _("A request that is {request_get_state_display} cannot be moved with “{move_label}”.").format(
                    request_get_state_display=request.get_state_display().lower(), move_label=move.label
                )
            )
        if action in COMMENT_REQUIRED and not comment:
            raise ServiceError(_("Say why, so that the requester knows what to do."), field="comment")
        now = timezone.now()
        target = move.target
        payload: dict = {"request": request.pk, "from": request.state}
        if action == "submit":
            request.submitted_by = by
            failing = gates_module.gates_failing(gates_module.gates_check(country=country, request=request))
            if failing:
                raise _gate_error(failing)
            summary = governance_selectors.assessment_for_use(country=country, assessment_id=request.assessment_id)
            request.risk_category = summary.category
            request.review_round += 1
            request.submitted_at = now
        elif action == "approve":
            # The checks that held at submission may have stopped holding since (a policy version
            # to acknowledge, an engagement suspended): nobody approves past a failing one.
            failing = gates_module.gates_failing(gates_module.gates_check(country=country, request=request))
            if failing:
                raise _gate_error(failing, action="approve")
            target = approval_record(
                request,
                by,
                comment,
                now,
                quota_tokens=quota_tokens,
                expires_on=expires_on,
                human_review_required=human_review_required,
                requests_per_minute=requests_per_minute,
            )
            payload["approvals"] = approvals_given(request)
            payload["approvals_needed"] = approvals_needed(request)
            payload["conditions"] = approval_conditions(request)
        elif action in ("reject", "request_changes"):
            DeploymentDecision.objects.create(
                country=country,
                request=request,
                review_round=request.review_round,
                decision=action,
                by=by,
                comment=comment,
                at=now,
            )
            request.decided_at = now
        elif action == "decommission":
            job_enqueue(request=request, kind=ProvisioningJob.Kind.DECOMMISSION)
        elif action in ("suspend", "reinstate"):
            if action == "reinstate":
                # What approval asks must still hold for the environment to take calls again (an
                # engagement suspended since, a policy version to acknowledge, a training lapsed).
                failing = gates_module.gates_failing(gates_module.gates_check(country=country, request=request))
                if failing:
                    raise _gate_error(failing, action="reinstate")
            Environment.objects.filter(request=request).update(
                state=Environment.State.SUSPENDED if action == "suspend" else Environment.State.ACTIVE
            )
        request.state = target
        request.updated_at = now
        request.save()
        if action in ("suspend", "reinstate", "decommission"):
            # The gateway enforces the request's new state from its next policy version.
            for environment in Environment.objects.filter(request=request):
                policy_changed(environment=environment)
        payload["to"] = target
        payload["review_round"] = request.review_round  # which submission the decision is on
        # Every move is on the request's history, the worker's steps (by nobody) as well.
        DeploymentMove.objects.create(
            country=country,
            request=request,
            action=action,
            from_state=payload["from"],
            to_state=target,
            by=by,
            comment=comment,
            at=now,
        )
        if (comment or "").strip():
            # The reason on the record (sealed, off the chain: the event names it by id), as every
            # decision that gives one: the audit pages and the API read it beside the event.
            payload.update(
                reason_record(country=country, action=f"deployment.{action}", target=request, by=by, reason=comment)
            )
        event_record(
            country=country, action=f"deployment.{action}", actor=by, actor_role=role, target=request, payload=payload
        )
        if target == S.APPROVED and request.state == S.APPROVED:
            job_enqueue(request=request, kind=ProvisioningJob.Kind.PROVISION)
        notices.request_moved(
            request=request, country=country, action=action, final=request.state == move.target, by=by
        )
    return request


@transaction.atomic
def deployment_request_delete(*, request: DeploymentRequest, by, access: Access) -> None:
    """Delete a draft nobody has decided on and nobody has written about; the record keeps that it
    existed and who deleted it. A draft with messages stays: each message is on the record (an event
    with its SHA-256), and its conversation is reached only through its request."""
    country = _country(request)
    role = _role(access, country, DRAFTERS, "delete a deployment request")
    with country_context(country):
        request = DeploymentRequest.objects.select_for_update().get(pk=request.pk)
        if request.state != S.DRAFT:
            raise ServiceError(
                _("Only a draft can be deleted. This request is “%(state)s”: withdraw it from review first.")
                % {"state": request.get_state_display()}
            )
        if (
            DeploymentDecision.objects.filter(request=request).exists()
            or ProvisioningJob.objects.filter(request=request).exists()
        ):
            raise ServiceError(_("This request has decisions on the record: it stays, as a draft you may change."))
        if conversation_selectors.conversation_has_messages(subject=selectors.conversation_subject(request=request)):
            raise ServiceError(str(DELETE_REFUSED_CONVERSATION))
        event_record(
            country=country,
            action="deployment.deleted",
            actor=by,
            actor_role=role,
            target=request,
            payload={"request": request.pk},
        )
        notices.inbox.notifications_clear(country=country, url=notices.request_url(request, country))
        request.delete()


def job_enqueue(*, request: DeploymentRequest, kind: str, attempt: int = 1) -> ProvisioningJob:
    """The job row and its outbox message, in the caller's transaction; the relay is kicked once
    the transaction commits, and beat relays anything a kick could not (broker down). A person's
    retry of a stopped job (deployments.retries) is a later `attempt`, a job of its own."""
    key = f"{kind}:{request.country_id}:{request.pk}:{request.review_round}" + (f":try{attempt}" if attempt > 1 else "")
    job, created = ProvisioningJob.objects.get_or_create(
        key=key,
        defaults={
            "country_id": request.country_id,
            "kind": kind,
            "request": request,
            "steps": ProvisioningJob.fresh_steps(kind),
        },
    )
    if created:
        outbox_enqueue(task="deployments.provisioning_run", country_id=request.country_id, job_id=job.pk)
    return job
