"""Writes of engagements: apply, change terms (a new version each time), and move through the
lifecycle by the explicit transition table below. Every change is checked against the actor's role
and the four-eyes rule, written with its comment on the engagement's history, and recorded on the
country's ledger; the people who must act next are notified."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from engagements import notices
from engagements.models import Capability, EconomicModel, Engagement, EngagementTerms, EngagementTransition, Sector
from engagements.selectors import standing_of
from engagements.signals import engagement_standing
from tenants.access import PARTNER_MANAGER, Access
from tenants.errors import NotAllowed, ServiceError
from tenants.isolation import country_context
from tenants.languages.formatting import long_date
from tenants.models import Country, Membership, Organisation, PlatformSettings
from tenants.record.ledger import event_record
from tenants.record.reasons import reason_record, text_digest
from tenants.services import organisation_kind_is_open

S = Engagement.State
A = Engagement.Amendment
ADMIN = Membership.Role.COUNTRY_ADMIN
OFFICER = Membership.Role.OFFICER
PM = PARTNER_MANAGER
SYSTEM = "system"  # the scheduled activation acts as nobody in particular

MAX_QUOTA = 10**15
MAX_CONDITIONS = 10_000
MAX_COMMENT = 2_000

ACTIONS = (
    "submit",
    "start_review",
    "approve",
    "reject",
    "request_changes",
    "suspend",
    "reinstate",
    "close",
    "activate",
)
ACTION_LABELS = {
    "submit": gettext_lazy("Submit for review"),
    "start_review": gettext_lazy("Start review"),
    "approve": gettext_lazy("Approve"),
    "reject": gettext_lazy("Reject"),
    "request_changes": gettext_lazy("Request changes"),
    "suspend": gettext_lazy("Suspend"),
    "reinstate": gettext_lazy("Reinstate"),
    "close": gettext_lazy("Close"),
    "activate": gettext_lazy("Activate"),
}
# Past tense for the ledger and the history.
ACTION_EVENTS = {
    "submit": "submitted",
    "start_review": "review_started",
    "approve": "approved",
    "reject": "rejected",
    "request_changes": "changes_requested",
    "suspend": "suspended",
    "reinstate": "reinstated",
    "close": "closed",
    "activate": "activated",
}
# A decision needs its reason written down.
COMMENT_REQUIRED = {"reject", "request_changes", "suspend", "close"}
# Moves that end or stop the partnership: asked on a confirmation page of their own, with the reason.
CONFIRMED = frozenset({"reject", "suspend", "close"})

# The lifecycle: (from state, action) -> (to state, roles allowed).
TRANSITIONS: dict[tuple[str, str], tuple[str, frozenset[str]]] = {
    (S.DRAFT, "submit"): (S.SUBMITTED, frozenset({ADMIN})),
    (S.SUBMITTED, "start_review"): (S.IN_REVIEW, frozenset({PM})),
    (S.SUBMITTED, "approve"): (S.APPROVED, frozenset({PM})),
    (S.SUBMITTED, "reject"): (S.REJECTED, frozenset({PM})),
    (S.SUBMITTED, "request_changes"): (S.DRAFT, frozenset({PM})),
    (S.IN_REVIEW, "approve"): (S.APPROVED, frozenset({PM})),
    (S.IN_REVIEW, "reject"): (S.REJECTED, frozenset({PM})),
    (S.IN_REVIEW, "request_changes"): (S.DRAFT, frozenset({PM})),
    (S.APPROVED, "activate"): (S.ACTIVE, frozenset({ADMIN, PM})),
    (S.APPROVED, "suspend"): (S.SUSPENDED, frozenset({PM})),
    (S.ACTIVE, "suspend"): (S.SUSPENDED, frozenset({PM})),
    (S.SUSPENDED, "reinstate"): (S.ACTIVE, frozenset({PM})),
    **{
        (state, "close"): (S.CLOSED, frozenset({ADMIN, PM}))
        for state in (S.DRAFT, S.SUBMITTED, S.IN_REVIEW, S.APPROVED, S.ACTIVE, S.SUSPENDED)
    },
}
# A change of terms after approval: (amendment state, action) -> (amendment state, roles). The
# engagement keeps its state and its approved version meanwhile.
AMENDABLE = frozenset({S.APPROVED, S.ACTIVE, S.SUSPENDED})
AMENDMENT_TRANSITIONS: dict[tuple[str, str], tuple[str, frozenset[str]]] = {
    (A.DRAFT, "submit"): (A.SUBMITTED, frozenset({ADMIN})),
    (A.SUBMITTED, "start_review"): (A.IN_REVIEW, frozenset({PM})),
    (A.SUBMITTED, "approve"): (A.NONE, frozenset({PM})),
    (A.SUBMITTED, "reject"): (A.NONE, frozenset({PM})),
    (A.SUBMITTED, "request_changes"): (A.DRAFT, frozenset({PM})),
    (A.IN_REVIEW, "approve"): (A.NONE, frozenset({PM})),
    (A.IN_REVIEW, "reject"): (A.NONE, frozenset({PM})),
    (A.IN_REVIEW, "request_changes"): (A.DRAFT, frozenset({PM})),
}
AMENDMENT_ACTIONS = frozenset(action for _, action in AMENDMENT_TRANSITIONS)


@dataclass(frozen=True)
class Move:
    action: str
    amendment: bool
    to: str
    roles: frozenset[str]


def _move(engagement: Engagement, action: str) -> Move | None:
    if engagement.state in AMENDABLE and action in AMENDMENT_ACTIONS and engagement.amendment:
        found = AMENDMENT_TRANSITIONS.get((engagement.amendment, action))
        return Move(action, True, found[0], found[1]) if found else None
    found = TRANSITIONS.get((engagement.state, action))
    return Move(action, False, found[0], found[1]) if found else None


def actions_for(*, engagement: Engagement, access: Access) -> list[str]:
    """The actions this person may try now (the rules of four-eyes and dates are checked on trying)."""
    role = access.role_in(engagement.country_id)
    allowed = [a for a in ACTIONS if (m := _move(engagement, a)) is not None and role in m.roles]
    if "approve" in allowed and _approval_refused(engagement, access.user_id):
        allowed.remove("approve")  # four-eyes, or this person's approval is already recorded
    return allowed


def _approvers(engagement: Engagement, latest: EngagementTerms) -> set[int]:
    """Who has approved the latest version since it was last submitted (the first of two approvals)."""
    return set(
        EngagementTransition.objects.filter(
            engagement=engagement, action="approve", terms_version=latest.version, at__gte=engagement.submitted_at
        ).values_list("by_id", flat=True)
    )


def _approval_refused(engagement: Engagement, user_id) -> bool:
    latest = engagement.versions.order_by("-version").first()
    if latest is None or user_id is None:
        return False
    if user_id in (latest.created_by_id, engagement.submitted_by_id):
        return True
    return engagement.submitted_at is not None and user_id in _approvers(engagement, latest)


def engagement_url(country: Country) -> str:
    return reverse("engagement:home", kwargs={"code": country.code.lower()})


# --- Terms ---------------------------------------------------------------------------------------

TERM_FIELDS = (
    "sectors",
    "capabilities",
    "residency_region",
    "monthly_token_quota",
    "start_date",
    "end_date",
    "economic_model",
    "conditions",
)


def _clean_terms(
    *, sectors, capabilities, residency_region, monthly_token_quota, start_date, end_date, economic_model, conditions
) -> dict:
    sectors = sorted(set(sectors or []))
    if not sectors:
        raise ServiceError(_("Choose at least one sector in scope."), field="sectors")
    if any(s not in Sector.values for s in sectors):
        raise ServiceError(_("Choose sectors from the list."), field="sectors")
    capabilities = sorted(set(capabilities or []))
    if not capabilities:
        raise ServiceError(_("Choose at least one model capability."), field="capabilities")
    if any(c not in Capability.values for c in capabilities):
        raise ServiceError(_("Choose capabilities from the list."), field="capabilities")
    if residency_region not in Country.Region.values:
        raise ServiceError(_("Choose a data-residency region from the list."), field="residency_region")
    if (
        not isinstance(monthly_token_quota, int)
        or isinstance(monthly_token_quota, bool)
        or not 0 < monthly_token_quota < MAX_QUOTA
    ):
        raise ServiceError(
            _("Enter the monthly quota as a whole number of tokens above 0, e.g. 50000000."),
            field="monthly_token_quota",
        )
    if not isinstance(start_date, date):
        raise ServiceError(_("Enter the start date."), field="start_date")
    if end_date is not None and end_date <= start_date:
        raise ServiceError(_("The end date must be after the start date."), field="end_date")
    if economic_model not in EconomicModel.values:
        raise ServiceError(_("Choose an economic model: fixed, usage-based or grant."), field="economic_model")
    conditions = (conditions or "").strip()
    if len(conditions) > MAX_CONDITIONS:
        raise ServiceError(
            _("The conditions must be {max_conditions:,} characters or fewer.").format(max_conditions=MAX_CONDITIONS),
            field="conditions",
        )
    return {
        "sectors": sectors,
        "capabilities": capabilities,
        "residency_region": residency_region,
        "monthly_token_quota": monthly_token_quota,
        "start_date": start_date,
        "end_date": end_date,
        "economic_model": economic_model,
        "conditions": conditions,
    }


def terms_summary(terms: EngagementTerms) -> dict:
    """A version of the terms as its approval event carries it: every term, and the free-text
    conditions by their SHA-256 (the text stays in the versioned row, in the country's export),
    so that an auditor reads offline what was approved and checks the conditions against it."""
    return {
        "version": terms.version,
        "sectors": list(terms.sectors),
        "capabilities": list(terms.capabilities),
        "residency_region": terms.residency_region,
        "monthly_quota": terms.monthly_token_quota,
        "start_date": terms.start_date.isoformat(),
        "end_date": terms.end_date.isoformat() if terms.end_date else None,
        "economic_model": terms.economic_model,
        "conditions_sha256": text_digest(terms.conditions),
    }


def _role(access: Access, country: Country, allowed: set[str], doing: str) -> str:
    role = access.role_in(country.pk)
    if role not in allowed:
        raise NotAllowed(
            _("Your role in {country_name} does not allow you to {doing}.").format(
                country_name=country.display_name, doing=doing
            )
        )
    return role


@transaction.atomic
def engagement_create(*, country: Country, by, access: Access, organisation: Organisation, **terms) -> Engagement:
    """Apply: a draft engagement for `organisation` with its first version of terms."""
    role = _role(access, country, {ADMIN, OFFICER}, "draft an engagement")
    if organisation is None or organisation.country_id != country.pk:
        raise ServiceError(_("Choose one of this country's organisations."), field="organisation")
    if not organisation_kind_is_open(organisation.kind):
        raise ServiceError(
            _(
                "{organisation_name} is a {organisation_get_kind_display} organisation, and the programme is not yet open to applications from that kind. A ministry or public agency can apply now."
            ).format(
                organisation_name=organisation.name,
                organisation_get_kind_display=organisation.get_kind_display().lower(),
            ),
            field="organisation",
        )
    cleaned = _clean_terms(**terms)
    with country_context(country):
        if Engagement.objects.exclude(state__in=Engagement.FINISHED).exists():
            raise ServiceError(
                _(
                    "{country_name} already has a current engagement: change its terms instead, or close it first."
                ).format(country_name=country.display_name)
            )
        now = timezone.now()
        try:
            with transaction.atomic():
                engagement = Engagement.objects.create(
                    country=country, organisation=organisation, created_by=by, created_at=now, updated_at=now
                )
        except IntegrityError:
            raise ServiceError(
                _("{country_name} already has a current engagement.").format(country_name=country.display_name)
            ) from None
        EngagementTerms.objects.create(country=country, engagement=engagement, version=1, created_by=by, **cleaned)
        EngagementTransition.objects.create(
            country=country,
            engagement=engagement,
            action="create",
            from_state="",
            to_state=S.DRAFT,
            terms_version=1,
            by=by,
            by_role=role,
            at=now,
        )
        event_record(
            country=country,
            action="engagement.created",
            actor=by,
            actor_role=role,
            target=engagement,
            payload={"organisation": organisation.pk, "version": 1},
        )
    return engagement


@transaction.atomic
def engagement_terms_create(*, engagement: Engagement, by, access: Access, **terms) -> EngagementTerms:
    """A new version of the terms. In a draft anyone who drafts may write one; after approval it is an
    amendment (country admins), reviewed again while the approved version stays in force."""
    country = engagement.country
    with country_context(country):
        engagement = Engagement.objects.select_for_update().get(pk=engagement.pk)
        if engagement.state == S.DRAFT:
            role = _role(access, country, {ADMIN, OFFICER}, "change the terms")
        elif engagement.state in AMENDABLE and engagement.amendment in (A.NONE, A.DRAFT):
            role = _role(access, country, {ADMIN}, "amend approved terms")
        elif engagement.state in (S.SUBMITTED, S.IN_REVIEW) or engagement.amendment:
            raise ServiceError(
                _(
                    "The terms are with the partner manager for review and cannot change now. They can send them back to you with a request for changes."
                )
            )
        else:
            raise ServiceError(
                _("This engagement is {engagement_get_state_display}: its terms can no longer change.").format(
                    engagement_get_state_display=engagement.get_state_display().lower()
                )
            )
        cleaned = _clean_terms(**terms)
        latest = engagement.versions.order_by("-version").first()
        if latest is not None and all(getattr(latest, f) == cleaned[f] for f in TERM_FIELDS):
            raise ServiceError(
                _("These terms are the same as version {latest_version}: change something before saving.").format(
                    latest_version=latest.version
                )
            )
        version = (latest.version if latest else 0) + 1
        terms_row = EngagementTerms.objects.create(
            country=country, engagement=engagement, version=version, created_by=by, **cleaned
        )
        amending = engagement.state in AMENDABLE
        if amending and engagement.amendment == A.NONE:
            engagement.amendment = A.DRAFT
        engagement.updated_at = timezone.now()
        engagement.save(update_fields=["amendment", "updated_at"])
        event_record(
            country=country,
            action="engagement.terms_versioned",
            actor=by,
            actor_role=role,
            target=engagement,
            payload={"version": version, "amendment": amending},
        )
    return terms_row


# --- Transitions ---------------------------------------------------------------------------------


def _four_eyes(engagement: Engagement, latest: EngagementTerms, by) -> None:
    if by is None:
        return
    if latest.created_by_id == by.pk:
        raise NotAllowed(
            _("You drafted version {latest_version} of these terms, so someone else must approve it.").format(
                latest_version=latest.version
            )
        )
    if engagement.submitted_by_id == by.pk:
        raise NotAllowed(_("You submitted this engagement, so someone else must approve it."))


def _approvals_needed(latest: EngagementTerms) -> int:
    quota = PlatformSettings.load().dual_approval_quota
    return 2 if quota is not None and latest.monthly_token_quota > quota else 1


@transaction.atomic
def engagement_transition(
    *, engagement: Engagement, action: str, by, access: Access | None, comment: str = "", today: date | None = None
) -> Engagement:
    """Move the engagement by `action` (one of ACTIONS). `access` None is the scheduler (activation only)."""
    country = engagement.country
    comment = (comment or "").strip()
    if action not in ACTIONS:
        raise ServiceError(
            _("Unknown action {action!r}. The actions are: {actions}.").format(
                action=action[:40], actions=", ".join(ACTIONS)
            )
        )
    if len(comment) > MAX_COMMENT:
        raise ServiceError(
            _("The comment must be {max_comment:,} characters or fewer.").format(max_comment=MAX_COMMENT),
            field="comment",
        )
    with country_context(country):
        engagement = Engagement.objects.select_for_update().select_related("country").get(pk=engagement.pk)
        move = _move(engagement, action)
        if move is None:
            current = engagement.get_state_display().lower()
            if engagement.amendment and engagement.state in AMENDABLE and action in AMENDMENT_ACTIONS:
                current = f"{current}, with a change of terms {engagement.get_amendment_display().lower()}"
            raise ServiceError(
                _("You cannot {action_labels_action} an engagement that is {current}.").format(
                    action_labels_action=ACTION_LABELS[action].lower(), current=current
                )
            )
        if access is None:
            if action != "activate":
                raise NotAllowed(_("Only activation is done by the scheduler."))
            role = SYSTEM
        else:
            role = access.role_in(country.pk) or ""
            if role not in move.roles:
                raise NotAllowed(
                    _(
                        "Your role in {country_name} does not allow you to {action_labels_action} this engagement."
                    ).format(country_name=country.display_name, action_labels_action=ACTION_LABELS[action].lower())
                )
        if action in COMMENT_REQUIRED and not comment:
            raise ServiceError(_("Say why in the comment: the country's admins will read it."), field="comment")
        latest = engagement.versions.order_by("-version").first()
        today = today or timezone.localdate()
        if action == "activate":
            starts = engagement.approved_terms.start_date
            if starts > today:
                raise ServiceError(
                    _("The engagement starts on {starts}; it can be activated from that day.").format(
                        starts=long_date(starts)
                    )
                )
        from_label = engagement.amendment if move.amendment else engagement.state
        to_state = move.to
        partial = False
        if action == "approve":
            _four_eyes(engagement, latest, by)
            earlier = _approvers(engagement, latest)
            if by.pk in earlier:
                raise NotAllowed(
                    _("You have already approved this version; a second partner manager must approve it too.")
                )
            if len(earlier) + 1 < _approvals_needed(latest):
                partial = True
                to_state = from_label  # the first of two approvals: recorded, nothing moves yet
        now = timezone.now()
        was = standing_of(engagement.state)
        if not partial:
            _apply(engagement, move, latest, by, now)
        engagement.updated_at = now
        engagement.save()
        if was != standing_of(engagement.state):
            engagement_standing.send(sender=country.pk, standing=standing_of(engagement.state))
        EngagementTransition.objects.create(
            country=country,
            engagement=engagement,
            action=action,
            from_state=from_label,
            to_state=to_state,
            amendment=move.amendment,
            terms_version=latest.version if latest else None,
            by=by,
            by_role=role,
            comment=comment,
            at=now,
        )
        event = f"engagement.{'amendment_' if move.amendment else ''}{ACTION_EVENTS[action]}"
        if partial:
            event = "engagement.approval_recorded"
        payload = {"from": from_label, "to": to_state, "version": latest.version if latest else None}
        if action == "approve" and latest is not None:
            payload["terms"] = terms_summary(latest)  # what the approval covers, readable offline
        if (comment or "").strip() and by is not None:
            # The reason on the record (sealed, off the chain: the event names it by id).
            payload.update(reason_record(country=country, action=event, target=engagement, by=by, reason=comment))
        event_record(country=country, action=event, actor=by, actor_role=role, target=engagement, payload=payload)
        notices.engagement_moved_notify(
            country=engagement.country,
            url=engagement_url(engagement.country),
            action=action,
            partial=partial,
            amendment=move.amendment,
        )
    return engagement


def _apply(engagement: Engagement, move: Move, latest: EngagementTerms, by, now: datetime) -> None:
    if move.amendment:
        engagement.amendment = move.to
        if move.action == "approve":
            engagement.approved_terms = latest
    else:
        engagement.state = move.to
        if move.action == "approve":
            engagement.approved_terms = latest
    if move.action == "submit":
        engagement.submitted_by = by
        engagement.submitted_at = now
        engagement.reminded_at = None


# --- Scheduled work --------------------------------------------------------------------------------


def engagement_activate_due(*, today: date | None = None) -> int:
    """Activate every approved engagement whose start date has come (run by beat), country by country."""
    today = today or timezone.localdate()
    done = 0
    for country in Country.objects.writable().order_by("pk"):
        with country_context(country):
            due = list(
                Engagement.objects.filter(state=S.APPROVED, approved_terms__start_date__lte=today).values_list(
                    "pk", flat=True
                )
            )
            for pk in due:
                engagement_transition(
                    engagement=Engagement.objects.select_related("country").get(pk=pk),
                    action="activate",
                    by=None,
                    access=None,
                    comment="Activated on its start date.",
                    today=today,
                )
                done += 1
    return done


def engagement_review_remind(*, now: datetime | None = None) -> int:
    """Email the partner managers of every engagement waiting in review longer than
    ENGAGEMENT_REVIEW_REMINDER_DAYS, at most once per that period. Returns how many were reminded."""
    now = now or timezone.now()
    days = getattr(settings, "ENGAGEMENT_REVIEW_REMINDER_DAYS", 3)
    cutoff = now - timedelta(days=days)
    reminded = 0
    for country in Country.objects.writable().order_by("pk"):
        with country_context(country):
            waiting = [
                e
                for e in Engagement.objects.filter(submitted_at__lte=cutoff).exclude(state__in=Engagement.FINISHED)
                if e.waiting_for_review and (e.reminded_at is None or e.reminded_at <= cutoff)
            ]
            for engagement in waiting:
                waited = (now - engagement.submitted_at).days
                notices.engagement_waiting_remind(country=country, url=engagement_url(country), waited=waited)
                Engagement.objects.filter(pk=engagement.pk).update(reminded_at=now)
                reminded += 1
    return reminded
