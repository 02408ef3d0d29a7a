"""Writes on environments: the one-time reveal of a new credential, rotation, and usage reports
with their quota alerts. Each is transactional, checks the actor's role and goes on the ledger."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tenants.access import PARTNER_MANAGER, Access
from tenants.errors import NotAllowed, ServiceError
from tenants.inputs import text_problem
from tenants.isolation import country_context
from tenants.models import Country, Membership
from tenants.notifications.mail import per_reader
from tenants.notifications.services import notification_write
from tenants.record.ledger import event_record
from tenants.record.reasons import reason_clean, reason_record

from .models import Credential, CredentialReveal, DeploymentMove, DeploymentRequest, Environment, UsageReport
from .policy import policy_changed
from .provisioning import credential_issue

ALERT_LEVELS = (100, 80)
MAX_USAGE = 10**12
# Who may stop an environment's calls at once, and allow them again.
SWITCHERS = frozenset({Membership.Role.COUNTRY_ADMIN, PARTNER_MANAGER})


def _writer(access: Access, country: Country, doing: str) -> str:
    role = access.role_in(country.pk) or ""
    if role not in (Membership.Role.COUNTRY_ADMIN, Membership.Role.OFFICER):
        raise NotAllowed(
            _("Only a country admin or officer of {country_name} can {doing}.").format(
                country_name=country.display_name, doing=doing
            )
        )
    return role


def reveal_pending(*, environment: Environment, user) -> bool:
    return CredentialReveal.objects.filter(
        country_id=environment.country_id, credential__environment=environment, user=user
    ).exists()


@transaction.atomic
def credential_reveal(*, environment: Environment, user) -> tuple[Credential, str] | None:
    """The secret of a new credential, once: the reveal row is deleted as it is read."""
    country = Country.objects.get(pk=environment.country_id)
    with country_context(country):
        reveal = (
            CredentialReveal.objects.select_for_update()
            .select_related("credential")
            .filter(credential__environment=environment, credential__revoked_at__isnull=True, user=user)
            .order_by("-credential_id")
            .first()
        )
        if reveal is None:
            return None
        credential, secret = reveal.credential, reveal.secret
        reveal.delete()
        event_record(
            country=country,
            action="credential.revealed",
            actor=user,
            target=environment,
            payload={"environment": environment.pk, "key_number": credential.pk},
        )
    return credential, secret


@transaction.atomic
def credential_rotate(*, environment: Environment, by, access: Access, reason: str) -> Credential:
    """Revoke the live credential (the applications using it stop working) and issue a new one,
    with the reason given kept sealed beside the record."""
    country = Country.objects.get(pk=environment.country_id)
    role = _writer(access, country, "rotate a credential")
    reason = reason_clean(reason)
    with country_context(country):
        environment = Environment.objects.select_for_update().get(pk=environment.pk)
        if environment.state != Environment.State.ACTIVE:
            raise ServiceError(
                _(
                    "The environment is {environment_get_state_display}: only an active environment's credential can be rotated."
                ).format(environment_get_state_display=environment.get_state_display().lower())
            )
        now = timezone.now()
        # The secrets of the credentials revoked now are never shown any more, nor kept.
        CredentialReveal.objects.filter(credential__environment=environment).delete()
        environment.credentials.filter(revoked_at__isnull=True).update(revoked_at=now)
        credential = credential_issue(environment=environment, for_user_id=by.pk)
        event_record(
            country=country,
            action="credential.rotated",
            actor=by,
            actor_role=role,
            target=environment,
            payload={
                "environment": environment.pk,
                "key_number": credential.pk,
                **reason_record(country=country, action="credential.rotated", target=environment, by=by, reason=reason),
            },
        )
        policy_changed(environment=environment)
    return credential


def month_roll(environment: Environment, now=None) -> list[str]:
    """Start a new month's count when the month has changed; the fields to save."""
    month = (now or timezone.now()).strftime("%Y-%m")
    if environment.usage_month == month:
        return []
    if not environment.usage_month:  # counted before months were named: this month's count
        environment.usage_month = month
        return ["usage_month"]
    environment.usage_month, environment.tokens_used, environment.alert_level = month, 0, 0
    return ["usage_month", "tokens_used", "alert_level"]


def quota_alert(*, country: Country, environment: Environment) -> list[str]:
    """Past 80 % and 100 % of the monthly quota, alert the owner once each; the fields to save.
    In the caller's transaction, with the environment locked and its request loaded."""
    used = 100 * environment.tokens_used // max(environment.monthly_token_quota, 1)
    level = next((lvl for lvl in ALERT_LEVELS if used >= lvl), 0)
    if level <= environment.alert_level:
        return []
    environment.alert_level = level
    notification_write(
        user=environment.request.owner,
        country=country,
        subject=per_reader(
            lambda: _("%(name)s has used %(level)s%% of its monthly quota") % {"name": environment.name, "level": level}
        ),
        body=gettext_lazy("Ask a partner manager for a higher quota, or reduce usage until next month."),
        url=f"/c/{country.code.lower()}/deployments/environments/{environment.pk}/",
    )
    event_record(
        country=country,
        action="environment.quota_alert",
        actor_role="system",
        target=environment,
        payload={"environment": environment.pk, "level": level},
    )
    return ["alert_level"]


MAX_RETENTION_DAYS = 365


@transaction.atomic
def environment_capture_set(
    *, environment: Environment, enabled: bool, retention_days: int, by, access: Access
) -> Environment:
    """Whether the gateway stores this environment's prompts and outputs, and for how long: the
    country's decision (its country admin), on the record."""
    country = Country.objects.get(pk=environment.country_id)
    role = access.role_in(country.pk) or ""
    if role != Membership.Role.COUNTRY_ADMIN:
        raise NotAllowed(
            _("Only a country admin of {country_name} decides whether prompts and outputs are stored.").format(
                country_name=country.display_name
            )
        )
    if (
        not isinstance(retention_days, int)
        or isinstance(retention_days, bool)
        or not 1 <= retention_days <= MAX_RETENTION_DAYS
    ):
        raise ServiceError(
            _("Keep them between 1 and {max_retention_days} days.").format(max_retention_days=MAX_RETENTION_DAYS),
            field="retention_days",
        )
    with country_context(country):
        environment = Environment.objects.select_for_update().get(pk=environment.pk)
        environment.capture_calls, environment.capture_retention_days = bool(enabled), retention_days
        environment.save(update_fields=["capture_calls", "capture_retention_days"])
        event_record(
            country=country,
            action="environment.capture_changed",
            actor=by,
            actor_role=role,
            target=environment,
            payload={"environment": environment.pk, "enabled": bool(enabled), "retention_days": retention_days},
        )
        policy_changed(environment=environment)
    return environment


@transaction.atomic
def environment_gateway_switch(
    *, environment: Environment, stop: bool, by, access: Access, reason: str = ""
) -> Environment:
    """The kill switch: stop every call of the environment through the gateway at once, or allow
    them again. A country admin or the country's partner manager; on the record, and stopping
    says why: the reason is kept on the request's history and, as every reason a person gives for
    a decision, sealed beside the record (tenants.record.reasons), the event naming it by id.
    Resuming may say why too."""
    country = Country.objects.get(pk=environment.country_id)
    role = access.role_in(country.pk) or ""
    if role not in SWITCHERS:
        raise NotAllowed(
            _("Only a country admin of {country_name} or its partner manager can stop or resume calls.").format(
                country_name=country.display_name
            )
        )
    with country_context(country):
        environment = Environment.objects.select_for_update().get(pk=environment.pk)
        if environment.state == Environment.State.DECOMMISSIONED:
            raise ServiceError(_("The environment is decommissioned: it takes no calls."))
        if stop == (environment.gateway_stopped_at is not None):
            raise ServiceError(_("Calls are already stopped.") if stop else _("Calls are not stopped."))
        reason = (reason or "").strip()
        if stop and not reason:
            raise ServiceError(_("Say why the calls are stopped: the country's people will read it."), field="reason")
        if len(reason) > 2000:
            raise ServiceError(_("The reason must be 2,000 characters or fewer."), field="reason")
        if reason and (problem := text_problem(reason)):
            raise ServiceError(problem, field="reason")
        environment.gateway_stopped_at = timezone.now() if stop else None
        environment.save(update_fields=["gateway_stopped_at"])
        state = DeploymentRequest.objects.filter(pk=environment.request_id).values_list("state", flat=True).first()
        DeploymentMove.objects.create(
            country=country,
            request_id=environment.request_id,
            action="calls_stopped" if stop else "calls_resumed",
            from_state=state or "",
            to_state=state or "",
            by=by,
            comment=reason,
        )
        action = "environment.gateway_stopped" if stop else "environment.gateway_resumed"
        payload = {"environment": environment.pk}
        if reason:
            payload.update(reason_record(country=country, action=action, target=environment, by=by, reason=reason))
        event_record(country=country, action=action, actor=by, actor_role=role, target=environment, payload=payload)
        policy_changed(environment=environment)
        environment.refresh_from_db(fields=["policy_version"])
    return environment


@transaction.atomic
def usage_report(*, environment: Environment, tokens: int, by, access: Access) -> Environment:
    """Add reported usage; past 80 % and 100 % of the monthly quota, alert the owner once each."""
    country = Country.objects.get(pk=environment.country_id)
    role = _writer(access, country, "report usage")
    if not isinstance(tokens, int) or isinstance(tokens, bool) or not 0 < tokens < MAX_USAGE:
        raise ServiceError(_("Report a whole number of tokens above zero."), field="tokens")
    with country_context(country):
        environment = Environment.objects.select_for_update().select_related("request").get(pk=environment.pk)
        if environment.state == Environment.State.DECOMMISSIONED:
            raise ServiceError(_("The environment is decommissioned: it takes no more usage."))
        now = timezone.now()
        UsageReport.objects.create(
            country=country,
            environment=environment,
            tokens=tokens,
            period_start=now.replace(day=1, hour=0, minute=0, second=0, microsecond=0),
        )
        fields = month_roll(environment, now)
        environment.tokens_used += tokens
        fields += ["tokens_used", *quota_alert(country=country, environment=environment)]
        environment.save(update_fields=fields)
        event_record(
            country=country,
            action="environment.usage_reported",
            actor=by,
            actor_role=role,
            target=environment,
            payload={"environment": environment.pk, "units": tokens},
        )
    return environment
