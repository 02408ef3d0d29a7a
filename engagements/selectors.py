"""Reads of engagements, already scoped: a country's current engagement and its history, versions
and transitions, the diff between two versions, the partner managers' review queue, and the
engagement step of the onboarding task list."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.db.models.lookups import GreaterThan
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from engagements.models import EconomicModel, Engagement, EngagementTerms, EngagementTransition
from tenants import onboarding
from tenants.access import Access
from tenants.conversations.models import Conversation
from tenants.conversations.selectors import unread_count_expression
from tenants.conversations.subjects import Subject
from tenants.languages.formatting import grouped_number, long_date
from tenants.models import Country, PlatformSettings

S = Engagement.State
A = Engagement.Amendment
WAITING = Q(state__in=[S.SUBMITTED, S.IN_REVIEW]) | Q(
    state__in=[S.APPROVED, S.ACTIVE, S.SUSPENDED], amendment__in=[A.SUBMITTED, A.IN_REVIEW]
)


def engagement_list(*, country: Country) -> QuerySet[Engagement]:
    return Engagement.objects.filter(country=country).select_related(
        "country", "organisation", "approved_terms", "created_by", "submitted_by"
    )


def engagement_rows(*, country: Country) -> QuerySet[Engagement]:
    """The country's engagements with only what a list's row shows (EngagementSerializer): the
    approved version's number joined, not its terms (sealed), nor the country or the people."""
    return (
        Engagement.objects.filter(country=country)
        .select_related("approved_terms")
        .only("id", "state", "amendment", "organisation_id", "approved_terms__version", "submitted_at", "created_at")
    )


def engagement_current(*, country: Country) -> Engagement | None:
    return engagement_list(country=country).exclude(state__in=Engagement.FINISHED).first()


class Standing(StrEnum):
    """What the country's current engagement allows its environments at the gateway (the names are
    the gateway's refusal codes): calls only while it is active."""

    ACTIVE = "active"
    SUSPENDED = "engagement_suspended"  # a partner manager can reinstate it
    NONE = "no_active_engagement"  # closed or rejected with none after it, or the next one not yet active


def standing_of(state: str | None) -> Standing:
    """The standing of a country whose current engagement is in `state` (None: it has none)."""
    if state == S.ACTIVE:
        return Standing.ACTIVE
    if state == S.SUSPENDED:
        return Standing.SUSPENDED
    return Standing.NONE


def engagement_standing(*, country: Country) -> Standing:
    current = engagement_current(country=country)
    return standing_of(current.state if current is not None else None)


def current_terms_facts(country: Country) -> dict[str, Subquery]:
    """The current engagement's state (as engagement_current finds it) and its approved terms, as
    expressions another query holds: the deployment gate reads them with the other gates' facts."""
    current = Engagement.objects.filter(country=country).exclude(state__in=Engagement.FINISHED)
    current = current.order_by(*Engagement._meta.ordering)

    def of(field: str) -> Subquery:
        return Subquery(current.values(field)[:1])

    return {
        "engagement_state": of("state"),
        "terms_id": of("approved_terms_id"),
        "terms_version": of("approved_terms__version"),
        "terms_sectors": of("approved_terms__sectors"),
        "terms_capabilities": of("approved_terms__capabilities"),
        "terms_region": of("approved_terms__residency_region"),
    }


def engagement_get(*, country: Country, pk) -> Engagement | None:
    return engagement_list(country=country).filter(pk=pk).first()


def engagement_with_history(*, country: Country, pk=None) -> tuple[Engagement | None, list[Engagement]]:
    """What the engagement page shows, in one query: the engagement `pk` (None: the current one, as
    engagement_current finds it) and the country's finished engagements but that one, newest first."""
    wanted = Q(state__in=Engagement.FINISHED) | (Q(pk=pk) if pk is not None else ~Q(state__in=Engagement.FINISHED))
    rows = list(engagement_list(country=country).filter(wanted))
    if pk is not None:
        engagement = next((row for row in rows if row.pk == pk), None)
    else:
        engagement = next((row for row in rows if row.state not in Engagement.FINISHED), None)
    history = [row for row in rows if row.state in Engagement.FINISHED and row is not engagement]
    return engagement, history


def conversation_subject(*, engagement: Engagement) -> Subject:
    """The engagement as its conversation knows it: a partner manager's message is for the country admins."""
    code = engagement.country.code.lower()
    return Subject(
        country=engagement.country,
        kind=Conversation.Subject.ENGAGEMENT,
        pk=engagement.pk,
        title="",
        url=reverse("engagement:detail", kwargs={"code": code, "pk": engagement.pk}),
    )


def terms_list(*, engagement: Engagement) -> QuerySet[EngagementTerms]:
    return (
        EngagementTerms.objects.filter(country_id=engagement.country_id, engagement=engagement)
        .select_related("created_by")
        .order_by("-version")
    )


def terms_latest(*, engagement: Engagement) -> EngagementTerms | None:
    return terms_list(engagement=engagement).first()


def transition_list(*, engagement: Engagement) -> QuerySet[EngagementTransition]:
    return EngagementTransition.objects.filter(country_id=engagement.country_id, engagement=engagement).select_related(
        "by"
    )


def review_queue(*, access: Access, reader, country_code: str = "", state: str = "") -> QuerySet[Engagement]:
    """What waits for a decision in the countries this person manages, the longest-waiting first,
    each with the number of its conversation's messages `reader` has not read (`unread_messages`),
    the approvals given so far to the version under review (`approvals`), how many it needs
    (`approvals_needed`: two when its monthly quota is above the platform's dual-approval quota, as
    services._approvals_needed decides) and whether `reader` has given one already
    (`approved_by_reader`: the first of two approvals, the second being someone else's): one query.
    `review_items_complete` gives the rows of a page what the page and the API say of each."""
    latest = EngagementTerms.objects.filter(engagement=OuterRef("engagement_id")).order_by("-version")
    approvals = EngagementTransition.objects.filter(
        engagement=OuterRef("pk"),
        action="approve",
        terms_version=Subquery(latest.values("version")[:1]),
        at__gte=OuterRef("submitted_at"),
    )
    latest_quota = (
        EngagementTerms.objects.filter(engagement=OuterRef("pk")).order_by("-version").values("monthly_token_quota")[:1]
    )
    dual_above = PlatformSettings.objects.filter(pk=1).values("dual_approval_quota")[:1]
    queryset = (
        Engagement.objects.filter(WAITING, country_id__in=access.partner_country_ids)
        .select_related("country", "organisation", "submitted_by")
        .annotate(
            unread_messages=unread_count_expression(kind=Conversation.Subject.ENGAGEMENT, user=reader),
            approved_by_reader=Exists(approvals.filter(by_id=getattr(reader, "pk", None))),
            approvals=Coalesce(Subquery(approvals.values("engagement_id").annotate(n=Count("pk")).values("n")[:1]), 0),
            approvals_needed=Case(
                When(GreaterThan(Subquery(latest_quota), Subquery(dual_above)), then=Value(2)),
                default=Value(1),
                output_field=IntegerField(),
            ),
        )
        .order_by("submitted_at", "id")
    )
    if country_code:
        queryset = queryset.filter(country__code=country_code.upper())
    if state == "amendment":
        queryset = queryset.exclude(amendment="")
    elif state in (S.SUBMITTED, S.IN_REVIEW):
        queryset = queryset.filter(Q(state=state) | Q(amendment=state))
    return queryset


def review_items_complete(items: list[Engagement]) -> list[Engagement]:
    """What the review page and the API say of each engagement waiting (tenants.review_queue): its
    kind, the state of its review, in words, and its page."""
    for item in items:
        item.review_kind = "amendment" if item.amendment else "engagement"
        item.review_kind_label = _("Change of terms") if item.amendment else _("Engagement")
        item.review_state = item.amendment or item.state
        item.review_state_label = (
            Engagement.Amendment(item.amendment).label if item.amendment else item.get_state_display()
        )
        item.review_page = reverse("engagement:home", kwargs={"code": item.country.code.lower()})
        item.waiting_days = waiting_days(item)
    return items


def reader_approval(*, engagement: Engagement, reader) -> EngagementTransition | None:
    """The reader's approval of the version under review, given since it was last submitted (the
    first of two): what the engagement's page says in place of offering to approve again."""
    if not engagement.waiting_for_review or engagement.submitted_at is None:
        return None
    latest = EngagementTerms.objects.filter(engagement=engagement).order_by("-version").values("version")[:1]
    return (
        EngagementTransition.objects.filter(
            engagement=engagement,
            action="approve",
            by_id=getattr(reader, "pk", None),
            terms_version=Subquery(latest),
            at__gte=engagement.submitted_at,
        )
        .order_by("-at")
        .first()
    )


def waiting_days(engagement: Engagement) -> int:
    return (timezone.now() - engagement.submitted_at).days if engagement.submitted_at else 0


# --- Diff ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DiffRow:
    label: str
    old: str
    new: str

    @property
    def changed(self) -> bool:
        return self.old != self.new


def _show(terms: EngagementTerms) -> dict[str, str]:
    return {
        _("Sectors in scope"): ", ".join(terms.sector_labels()),
        _("Model capabilities"): ", ".join(terms.capability_labels()),
        _("Data-residency region"): terms.get_residency_region_display(),
        _("Monthly token quota"): grouped_number(terms.monthly_token_quota),
        _("Start date"): long_date(terms.start_date),
        _("End date"): long_date(terms.end_date) if terms.end_date else _("No end date"),
        _("Economic model"): str(EconomicModel(terms.economic_model).label),
        _("Conditions"): str(terms.conditions or ""),
    }


def terms_diff(old: EngagementTerms, new: EngagementTerms) -> list[DiffRow]:
    """Field by field, in the order the terms are read."""
    before, after = _show(old), _show(new)
    return [DiffRow(label, before[label], after[label]) for label in before]


# --- Onboarding task list ----------------------------------------------------------------------------


def onboarding_facts(country: Country) -> dict:
    """What the engagement step reads (with the other steps, in one query): the state of the
    country's current engagement, the newest one not closed or rejected."""
    current = Engagement.objects.filter(country=country).exclude(state__in=Engagement.FINISHED)
    return {"state": Subquery(current.order_by("-created_at", "-id").values("state")[:1])}


def onboarding_decide(country: Country, facts: dict) -> onboarding.StepStatus:
    from django.urls import reverse

    url = reverse("engagement:home", kwargs={"code": country.code.lower()})
    state = facts["state"]
    if state is None:
        return onboarding.StepStatus(onboarding.NOT_STARTED, _("Apply for an engagement with the programme."), url)
    if state in (S.APPROVED, S.ACTIVE):
        return onboarding.StepStatus(
            onboarding.DONE,
            _("The engagement is {engagement_get_state_display}.").format(
                engagement_get_state_display=S(state).label.lower()
            ),
            url,
        )
    detail = {
        S.DRAFT: _("A draft engagement is ready to be submitted for review."),
        S.SUBMITTED: _("Submitted: waiting for a partner manager's review."),
        S.IN_REVIEW: _("A partner manager is reviewing the engagement."),
        S.SUSPENDED: _("The engagement is suspended."),
    }[state]
    return onboarding.StepStatus(onboarding.IN_PROGRESS, detail, url)


def current_states(*, country_ids: list[int]) -> dict[int, str]:
    """The state of each country's current engagement (the newest that is not closed or rejected,
    as the onboarding step reads it), in one query; a country with none is left out."""
    states: dict[int, str] = {}
    for country_id, state in (
        Engagement.objects.filter(country_id__in=country_ids)
        .exclude(state__in=Engagement.FINISHED)
        .order_by("country_id", "-created_at", "-id")
        .values_list("country_id", "state")
    ):
        states.setdefault(country_id, state)
    return states


def onboarding_status(country: Country) -> onboarding.StepStatus:
    return onboarding.step_status("engagement", country)
