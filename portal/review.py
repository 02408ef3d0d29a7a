"""The partner managers' review queue (/review/): what waits for their decision across the countries
they look after, oldest first, with the onboarding task list of the country filtered on. Composed here, above the
apps, so that deployments can add its own items to the same queue."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from deployments import selectors as deployment_selectors
from engagements import selectors as engagement_selectors
from tenants import onboarding, selectors

STATE_FILTERS = [
    ("", gettext_lazy("Any")),
    ("submitted", gettext_lazy("Submitted")),
    ("in_review", gettext_lazy("In review")),
    ("amendment", gettext_lazy("Change of terms")),
]
QUEUE_LIMIT = 200


@login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    access = request.access
    if not access.is_partner_manager:
        raise Http404(_("The review area is for partner managers."))
    countries = list(selectors.country_list_visible(access=access).filter(pk__in=access.partner_country_ids))
    codes = {c.code for c in countries}
    country_code = (request.GET.get("country") or "").upper()
    country_code = country_code if country_code in codes else ""
    state = request.GET.get("state") or ""
    state = state if state in dict(STATE_FILTERS) else ""
    # What each item says (its kind, review state, approvals, whether the reader approved it) is
    # what the review queue's API says of it (tenants.review_queue), from the same selectors.
    items = engagement_selectors.review_items_complete(
        list(
            engagement_selectors.review_queue(
                access=access, reader=request.user, country_code=country_code, state=state
            )[:QUEUE_LIMIT]
        )
    )
    # A country's task list costs a few queries per country: shown for the country filtered on (every
    # country's own overview page shows it too), so the queue stays constant in queries.
    onboarding_rows = [
        {"country": c, "code": c.code.lower(), "tasks": onboarding.task_list(c)}
        for c in countries
        if c.code == country_code
    ]
    deployment_items = deployment_selectors.review_items_complete(
        list(
            deployment_selectors.review_queue(
                access=access, reader=request.user, country_code=country_code, state=state
            )[:QUEUE_LIMIT]
        )
    )
    return render(
        request,
        "portal/review_queue.html",
        {
            "items": items,
            "countries": countries,
            "country_code": country_code,
            "state": state,
            "state_filters": STATE_FILTERS,
            "onboarding_rows": onboarding_rows,
            "deployment_items": deployment_items,
            # Each section says it is empty on its own; the page says "nothing" only when all are.
            "nothing_waiting": not items and not deployment_items,
            "filtered": bool(country_code or state),
        },
    )
