"""Reads of deployments, already scoped to one country: requests, their decisions and jobs,
environments with their live credential, the catalogue, and the partner managers' queue items."""

from __future__ import annotations

from datetime import UTC

from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDay
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tenants import onboarding
from tenants.access import Access
from tenants.conversations.models import Conversation
from tenants.conversations.selectors import unread_count_expression
from tenants.conversations.subjects import Subject
from tenants.isolation import reading_context
from tenants.models import Country, Membership, Organisation
from tenants.review_queue import waiting_days

from .approvals import HIGH_RISK
from .models import (
    AIModel,
    Credential,
    DeploymentDecision,
    DeploymentMove,
    DeploymentRequest,
    Environment,
    ProvisioningJob,
    UsageHour,
)

S = DeploymentRequest.State
WAITING = (S.SUBMITTED, S.IN_REVIEW)


def requesting_organisations(*, country: Country, access: Access) -> list[Organisation]:
    """The organisations this person may request a deployment for: any of the country's for a
    country admin; their own for an officer; none for anyone else."""
    with reading_context(country):
        organisations = Organisation.objects.filter(country=country).order_by("name")
        role = access.role_in(country.pk)
        if role == Membership.Role.COUNTRY_ADMIN:
            return list(organisations)
        membership = access.memberships.get(country.pk)
        if role == Membership.Role.OFFICER and membership is not None:
            return list(organisations.filter(pk=membership.organisation_id))
        return []


def terms_current(*, country: Country):
    """The approved terms of the country's current engagement, or None."""
    from engagements import selectors as engagement_selectors

    with reading_context(country):
        engagement = engagement_selectors.engagement_current(country=country)
        return engagement.approved_terms if engagement is not None else None


UNREAD = object()  # request_defaults reads the terms itself


def request_defaults(*, country: Country, access: Access, user, terms=UNREAD, allowed: list[int] | None = None) -> dict:
    """A new request's answers that the person would give anyway: their own organisation (or the
    only one they may act for), themself as owner, and what the engagement's terms leave one
    choice of. Nothing else is chosen for them. `terms` and `allowed` (the organisations the
    person may act for), when the caller has read them already."""
    initial: dict = {"owner": user.pk}
    if allowed is None:
        allowed = [o.pk for o in requesting_organisations(country=country, access=access)]
    membership = access.memberships.get(country.pk)
    if membership is not None and membership.organisation_id in allowed:
        initial["organisation"] = membership.organisation_id
    elif len(allowed) == 1:
        initial["organisation"] = allowed[0]
    if terms is UNREAD:
        terms = terms_current(country=country)
    if terms is not None:
        initial["region"] = terms.residency_region
        if len(terms.sectors or []) == 1:
            initial["sector"] = terms.sectors[0]
        if len(terms.capabilities or []) == 1:
            initial["capabilities"] = list(terms.capabilities)
    return initial


def model_list() -> QuerySet[AIModel]:
    return AIModel.objects.exclude(status=AIModel.Status.RETIRED)


def request_list(*, country: Country) -> QuerySet[DeploymentRequest]:
    return DeploymentRequest.objects.filter(country=country).select_related(
        "country", "organisation", "model", "owner", "requested_by", "submitted_by"
    )


# What a row of the API's list shows (DeploymentRequestSerializer): no purpose, no joined people.
ROW_FIELDS = (
    "id",
    "title",
    "state",
    "organisation_id",
    "sector",
    "model__slug",
    "capabilities",
    "region",
    "data_classification",
    "expected_monthly_tokens",
    "assessment_id",
    "owner_id",
    "requested_by_id",
    "risk_category",
    "quota_tokens",
    "requests_per_minute",
    "expires_on",
    "human_review_required",
    "submitted_at",
    "created_at",
)


def request_rows(*, country: Country) -> QuerySet[DeploymentRequest]:
    """The country's requests with only what a list's row shows: the model's slug joined, nothing
    else (the pages' request_list joins the country, organisation and three people besides)."""
    return DeploymentRequest.objects.filter(country=country).select_related("model").only(*ROW_FIELDS)


def request_list_for_reader(*, country: Country, reader) -> QuerySet[DeploymentRequest]:
    """The country's requests, newest first, each with the number of its conversation's messages
    `reader` has not read (`unread_messages`), in the list's own query."""
    return request_list(country=country).annotate(
        unread_messages=unread_count_expression(kind=Conversation.Subject.DEPLOYMENT_REQUEST, user=reader)
    )


def request_get(*, country: Country, pk) -> DeploymentRequest | None:
    return request_list(country=country).filter(pk=pk).first()


def request_for_page(*, country: Country, pk) -> DeploymentRequest | None:
    """request_get, with its environment and its register entry (if any) in the same query."""
    return request_list(country=country).select_related("environment", "register_entry").filter(pk=pk).first()


def conversation_subject(*, request: DeploymentRequest) -> Subject:
    """The request as its conversation knows it: a partner manager's message is for its requester."""
    return Subject(
        country=request.country,
        kind=Conversation.Subject.DEPLOYMENT_REQUEST,
        pk=request.pk,
        title=request.title,
        url=reverse("deployments:detail", kwargs={"code": request.country.code.lower(), "pk": request.pk}),
        country_people=(request.requested_by_id,),
    )


def decision_list(*, request: DeploymentRequest) -> QuerySet[DeploymentDecision]:
    return DeploymentDecision.objects.filter(country_id=request.country_id, request=request).select_related("by")


def move_list(*, request: DeploymentRequest) -> QuerySet[DeploymentMove]:
    return DeploymentMove.objects.filter(country_id=request.country_id, request=request).select_related("by")


def job_latest(*, request: DeploymentRequest) -> ProvisioningJob | None:
    return ProvisioningJob.objects.filter(country_id=request.country_id, request=request).order_by("-id").first()


def environment_list(*, country: Country) -> QuerySet[Environment]:
    live = Credential.objects.filter(revoked_at__isnull=True)
    return (
        Environment.objects.filter(country=country)
        .select_related("model", "request")
        .prefetch_related(Prefetch("credentials", queryset=live, to_attr="live_credentials"))
    )


def environment_get(*, country: Country, pk) -> Environment | None:
    return environment_list(country=country).filter(pk=pk).first()


def review_queue(*, access: Access, reader, country_code: str = "", state: str = "") -> QuerySet[DeploymentRequest]:
    """Requests waiting for a decision in the countries this person manages, oldest first, each with
    the number of its conversation's messages `reader` has not read (`unread_messages`), the
    approvals given in its current round (`approvals`), how many it needs (`approvals_needed`: two
    for a high-risk request, as approvals.approvals_needed decides) and whether `reader` has given
    one (`approved_by_reader`): one query. `state`, the queue's filter, keeps those in that state (a
    filter no request can be in, such as a change of an engagement's terms, keeps none)."""
    approvals = DeploymentDecision.objects.filter(
        request=OuterRef("pk"), review_round=OuterRef("review_round"), decision=DeploymentDecision.Decision.APPROVE
    )
    queryset = (
        DeploymentRequest.objects.filter(state__in=WAITING, country_id__in=access.partner_country_ids)
        .select_related("country", "organisation", "submitted_by")
        .annotate(
            unread_messages=unread_count_expression(kind=Conversation.Subject.DEPLOYMENT_REQUEST, user=reader),
            approved_by_reader=Exists(approvals.filter(by_id=getattr(reader, "pk", None))),
            approvals=Coalesce(Subquery(approvals.values("request_id").annotate(n=Count("pk")).values("n")[:1]), 0),
            approvals_needed=Case(
                When(risk_category=HIGH_RISK, then=Value(2)), default=Value(1), output_field=IntegerField()
            ),
        )
        .order_by("submitted_at", "id")
    )
    if country_code:
        queryset = queryset.filter(country__code=country_code.upper())
    if state:
        queryset = queryset.filter(state=state)
    return queryset


def review_items_complete(items: list[DeploymentRequest]) -> list[DeploymentRequest]:
    """What the review page and the API say of each request waiting (tenants.review_queue): its
    kind, the state of its review, in words, and its page."""
    for item in items:
        item.review_kind, item.review_kind_label = "deployment_request", _("Deployment request")
        item.review_state, item.review_state_label = item.state, item.get_state_display()
        item.review_page = reverse("deployments:detail", kwargs={"code": item.country.code.lower(), "pk": item.pk})
        item.waiting_days = waiting_days(item.submitted_at)
    return items


def reader_approval(*, request: DeploymentRequest, reader) -> DeploymentDecision | None:
    """The reader's approval in the request's current round (the first of two for a high-risk
    request): what its page says in place of offering to approve again."""
    if request.state not in WAITING:
        return None
    return DeploymentDecision.objects.filter(
        country_id=request.country_id,
        request=request,
        review_round=request.review_round,
        decision=DeploymentDecision.Decision.APPROVE,
        by_id=getattr(reader, "pk", None),
    ).first()


def onboarding_facts(country: Country) -> dict:
    """What the deployment step reads (with the other steps, in one query)."""
    return {
        "active": Exists(Environment.objects.filter(country=country, state=Environment.State.ACTIVE)),
        "requested": Exists(DeploymentRequest.objects.filter(country=country)),
    }


def onboarding_decide(country: Country, facts: dict) -> onboarding.StepStatus:
    url = reverse("deployments:home", kwargs={"code": country.code.lower()})
    if facts["active"]:
        return onboarding.StepStatus(onboarding.DONE, _("A deployment is active."), url)
    if not facts["requested"]:
        return onboarding.StepStatus(onboarding.NOT_STARTED, _("Request a first model deployment."), url)
    return onboarding.StepStatus(onboarding.IN_PROGRESS, _("A deployment request is on its way."), url)


def onboarding_status(country: Country) -> onboarding.StepStatus:
    return onboarding.step_status("deployment", country)


def waiting(access: Access) -> Q:
    return Q(state__in=WAITING, country_id__in=access.partner_country_ids)


def _month_start(now):
    return now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _tokens_by_day(*, country_ids: list[int], start) -> dict[int, dict[int, int]]:
    """Tokens through the gateway since `start`, by country and day of the month (UTC), over every
    environment: one grouped query."""
    days: dict[int, dict[int, int]] = {}
    for country_id, day, tokens in (
        UsageHour.objects.filter(country_id__in=country_ids, hour__gte=start)
        .annotate(day=TruncDay("hour", tzinfo=UTC))
        .values("country_id", "day")
        .annotate(tokens=Sum("total_tokens"))
        .order_by()
        .values_list("country_id", "day", "tokens")
    ):
        days.setdefault(country_id, {})[day.day] = int(tokens or 0)
    return days


def overview_facts(country) -> dict:
    """The monthly quota of the country's active environments, as an expression read with its
    onboarding steps in one query (tenants.dashboard), by the rule of dashboard_figures."""
    active = Environment.objects.filter(country=country, state=Environment.State.ACTIVE).order_by()
    return {"quota": Subquery(active.values("country_id").annotate(quota=Sum("monthly_token_quota")).values("quota"))}


def usage_figures(*, country: Country, quota: int | None, now=None) -> dict:
    """This month's use of one country through the gateway, shaped as dashboard_figures' (the
    quota given, read with the overview's facts): one query."""
    start = _month_start(now or timezone.now())
    with reading_context(country):
        by_day = _tokens_by_day(country_ids=[country.pk], start=start).get(country.pk, {})
    return {
        "quota": int(quota or 0),
        "tokens_by_day": by_day,
        "tokens_month": sum(by_day.values()),
        "month": start.strftime("%Y-%m"),
    }


def dashboard_figures(*, country_ids: list[int], now=None) -> dict[int, dict]:
    """Deployment figures of each country in `country_ids`, in the caller's country context (which
    must open all of them), three grouped queries whatever the data holds: requests by state,
    environments (active ones and their monthly quotas), and this month's tokens through the gateway
    by day (UTC), over every environment of the country."""
    start = _month_start(now or timezone.now())
    figures = {
        cid: {
            "requests_by_state": dict.fromkeys(DeploymentRequest.State.values, 0),
            "environments_active": 0,
            "quota": 0,
            "tokens_by_day": {},
            "tokens_month": 0,
            "month": start.strftime("%Y-%m"),
        }
        for cid in country_ids
    }
    if not country_ids:
        return figures
    for country_id, state, n in (
        DeploymentRequest.objects.filter(country_id__in=country_ids)
        .values("country_id", "state")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("country_id", "state", "n")
    ):
        figures[country_id]["requests_by_state"][state] = n
    for row in (
        Environment.objects.filter(country_id__in=country_ids, state=Environment.State.ACTIVE)
        .values("country_id")
        .annotate(n=Count("id"), quota=Sum("monthly_token_quota"))
        .order_by()
    ):
        figures[row["country_id"]]["environments_active"] = row["n"]
        figures[row["country_id"]]["quota"] = int(row["quota"] or 0)
    for country_id, by_day in _tokens_by_day(country_ids=country_ids, start=start).items():
        figures[country_id]["tokens_by_day"] = by_day
        figures[country_id]["tokens_month"] = sum(by_day.values())
    return figures
