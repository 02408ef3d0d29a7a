"""Pages that span countries: the dashboard of each role, the partner and auditor areas, the
country switcher, health checks and the error pages."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.db.models import Count, Max
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseServerError,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.template import loader
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache

from tenants import selectors
from tenants.access import AUDITOR, AUDITORS_GROUP, PARTNER_MANAGER, PARTNER_MANAGERS_GROUP
from tenants.models import Country, Membership, Organisation
from tenants.pages import ROLE_LABELS
from tenants.record import selectors as record_selectors
from tenants.record import signing
from tenants.record.events import describe_events
from tenants.record.models import CountryEvent

from . import dashboards
from .reports.summary import summary_country_ids

logger = logging.getLogger(__name__)

LATEST_EVENTS_ON_DASHBOARD = 5


def _overview_url(country: Country) -> str:
    return reverse("tenants:overview", kwargs={"code": country.code.lower()})


def _count_by_country(queryset, country_ids) -> dict[int, int]:
    """One grouped query for a count per country (dashboards show several countries at once)."""
    rows = queryset.filter(country_id__in=country_ids).order_by().values("country_id").annotate(n=Count("id"))
    return {row["country_id"]: row["n"] for row in rows}


# --- Dashboards ------------------------------------------------------------------------------------


@login_required
def home(request: HttpRequest) -> HttpResponse:
    if "code" in request.GET:
        return country_switch(request)
    access = request.access
    visible = list(selectors.country_list_visible(access=access))
    request.portal_visible_countries = visible  # the navigation's switcher reuses them
    member_countries = [c for c in visible if c.pk in access.member_country_ids]
    partner_countries = [c for c in visible if c.pk in access.partner_country_ids]
    auditor_countries = [c for c in visible if c.pk in access.auditor_country_ids]

    # Partner managers and auditors see their assigned countries side by side; the platform admin
    # every country (figures only: its pages stay theirs).
    compared = [c for c in visible if c.pk not in access.member_country_ids]
    if access.is_platform_admin:
        compared = list(Country.objects.order_by("name"))
    # Every figure of every chart on the page, for all its countries at once (grouped queries).
    figures = dashboards.country_figures(country_ids=[c.pk for c in member_countries + compared])

    member_cards = []
    if member_countries:
        ids = [c.pk for c in member_countries]
        organisations = _count_by_country(Organisation.objects.all(), ids)
        members = _count_by_country(Membership.objects.filter(status=Membership.Status.ACTIVE), ids)
        for country in member_countries:
            events = list(record_selectors.event_list(country=country)[:LATEST_EVENTS_ON_DASHBOARD])
            member_cards.append(
                {
                    "country": country,
                    "code": country.code.lower(),
                    "role": access.role_in(country.pk),
                    "role_label": ROLE_LABELS.get(access.role_in(country.pk) or "", ""),
                    "organisation_count": organisations.get(country.pk, 0),
                    "member_count": members.get(country.pk, 0),
                    "events": describe_events(events, country, access),
                    "charts": dashboards.country_charts(country, figures[country.pk], prefix="home-"),
                }
            )

    assigned_rows = []
    for country in visible:
        if country.pk in access.member_country_ids:
            continue
        assigned_rows.append(
            {
                "country": country,
                "code": country.code.lower(),
                "role_label": ROLE_LABELS.get(access.role_in(country.pk) or "", ""),
            }
        )

    platform = None
    if access.is_platform_admin:
        platform = _platform_summary()

    countries_charts = dashboards.countries_charts(compared, figures) if compared else []

    return render(
        request,
        "portal/home.html",
        {
            "member_cards": member_cards,
            "assigned_rows": assigned_rows,
            "partner_countries": partner_countries,
            "auditor_countries": auditor_countries,
            "platform": platform,
            "countries_charts": countries_charts,
            "sees_summary": bool(summary_country_ids(access)),
        },
    )


def _platform_summary() -> dict:
    User = get_user_model()
    by_status = dict(Country.objects.order_by().values_list("status").annotate(n=Count("id")))
    groups = dict(
        User.objects.filter(groups__name__in=[PARTNER_MANAGERS_GROUP, AUDITORS_GROUP])
        .order_by()
        .values_list("groups__name")
        .annotate(n=Count("id"))
    )
    return {
        "country_count": sum(by_status.values()),
        "countries_by_status": [(label, by_status.get(value, 0)) for value, label in Country.Status.choices],
        "user_count": User.objects.filter(is_active=True).count(),
        "partner_manager_count": groups.get(PARTNER_MANAGERS_GROUP, 0),
        "auditor_count": groups.get(AUDITORS_GROUP, 0),
    }


@login_required
def country_summary(request: HttpRequest) -> HttpResponse:
    """The cross-country summary: for each country a person audits or manages (the platform admin:
    every country), its engagement, policies, assessments, training, deployments and incidents, with
    the figures of the compliance-summary API."""
    ids = summary_country_ids(request.access)
    if not ids:
        raise Http404("The summary is for partner managers, auditors and the platform admin.")
    countries = list(Country.objects.filter(pk__in=ids).order_by("name"))
    figures = dashboards.country_figures(country_ids=ids)
    rows = dashboards.summary_rows(countries, figures)
    for row in rows:  # the platform admin reads every country's figures, not its pages
        row["linked"] = row["country"].pk in request.access.country_ids
    return render(request, "portal/summary.html", {"rows": rows})


@login_required
def country_switch(request: HttpRequest) -> HttpResponse:
    """The country switcher's target (a plain GET form, so it works without JavaScript)."""
    code = request.GET.get("code", "").strip()
    if not code:  # "Go" with no country chosen: the dashboard, where the countries are listed
        return redirect("home")
    country = selectors.country_get_visible(access=request.access, code=code)
    if country is None:
        raise Http404("No country with this code is visible to you.")
    return redirect(_overview_url(country))


@login_required
def audit_home(request: HttpRequest) -> HttpResponse:
    access = request.access
    # Auditors audit their countries; partner managers may read and verify their countries' ledgers too.
    audited = access.auditor_country_ids | access.partner_country_ids
    if not audited:
        raise Http404("The audit area is for auditors and partner managers.")
    countries = list(selectors.country_list_visible(access=access).filter(pk__in=audited))
    # A chain's length is its head's sequence number: no COUNT(*) over every event.
    stats = {
        row["country_id"]: row
        for row in CountryEvent.objects.filter(country_id__in=[c.pk for c in countries])
        .order_by()
        .values("country_id")
        .annotate(n=Max("sequence"), last=Max("at"))
    }
    rows = [
        {
            "country": c,
            "code": c.code.lower(),
            "role_label": ROLE_LABELS[AUDITOR if c.pk in access.auditor_country_ids else PARTNER_MANAGER],
            "event_count": stats.get(c.pk, {}).get("n") or 0,
            "last_event_at": stats.get(c.pk, {}).get("last"),
        }
        for c in countries
    ]
    return render(request, "portal/audit.html", {"rows": rows})


# --- Health ----------------------------------------------------------------------------------------


@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """The process is alive. No I/O."""
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")


def _problem(error: Exception) -> str:
    return f"error: {error.__class__.__name__}"


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready to serve: what this web process needs answers, the database and Redis (in the embedded
    mode there is no Redis). Workers are not asked: a worker outage delays jobs (the outbox keeps
    them) and must not take every web pod out of the load balancer; `manage.py jobs_health`
    reports the workers and beat apart."""
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except Exception as error:  # noqa: BLE001 - any failure means "not ready", reported by name
        logger.warning("readyz: database check failed: %r", error)
        checks["database"] = _problem(error)

    if settings.EMBEDDED:
        checks["redis"] = "not used"
    else:
        try:
            import redis

            client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1.0, socket_timeout=1.0)
            try:
                client.ping()
            finally:
                client.close()
            checks["redis"] = "ok"
        except Exception as error:  # noqa: BLE001
            logger.warning("readyz: redis check failed: %r", error)
            checks["redis"] = _problem(error)

    # DESIGN §8: ready when what this process needs to serve answers, the database and Redis.
    ready = all(value in {"ok", "not used"} for value in checks.values())
    return JsonResponse(checks, status=200 if ready else 503)


# --- The ledger's public key ----------------------------------------------------------------------


@cache_control(public=True, max_age=300)
def ledger_key_pem(request: HttpRequest) -> HttpResponse:
    """The public half of the key that signs ledger checkpoints and export manifests (DESIGN §5),
    for anyone to check an export against. No session and no database."""
    response = HttpResponse(signing.public_key_pem(), content_type="text/plain; charset=utf-8")
    response["X-Key-Fingerprint"] = signing.public_key_id()
    return response


@cache_control(public=True, max_age=300)
def ledger_keyring(request: HttpRequest) -> JsonResponse:
    """Every key that has signed checkpoints and manifests, with its validity window (ISO times;
    null for an open end): an export's checkpoints each name their key. No session, no database."""
    return JsonResponse({"keys": signing.keyring(), "current_key_id": signing.public_key_id()})


# --- Error pages -----------------------------------------------------------------------------------


def _api_error(request: HttpRequest, status: int, detail: str) -> HttpResponse | None:
    """API callers get every error as JSON ({"detail": ...}), even those raised outside DRF."""
    return JsonResponse({"detail": detail}, status=status) if request.path_info.startswith("/api/") else None


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    detail = _("The request was refused as malformed: check the address, the headers and the body.")
    return _api_error(request, 400, detail) or HttpResponseBadRequest(
        loader.get_template("400.html").render({"static_only": True, "detail": detail})
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: JSON for the API, the 403 page for people."""
    detail = _(
        "Forbidden: a form sent with a signed-in session needs its CSRF token. API clients send "
        "'Authorization: Bearer <token>' instead of a session cookie."
    )
    return _api_error(request, 403, detail) or render(request, "403.html", status=403)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    detail = _("Not found: there is no such API endpoint. The endpoints are listed at /api/v1/docs/.")
    return _api_error(request, 404, detail) or render(request, "404.html", status=404)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    detail = _("Forbidden: your role does not allow this, or the request lacked its CSRF token.")
    return _api_error(request, 403, detail) or render(request, "403.html", status=403)


def too_many_requests(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """allauth's limits (ACCOUNT_RATE_LIMITS) refused the request: the page says how long to wait,
    the time really left when it is known, else the longest the limit can hold it."""
    from tenants.identity.lockout import flood_wait, wait_words

    seconds, exact = flood_wait(request)
    response = render(request, "429.html", {"wait": wait_words(seconds), "exact": exact}, status=429)
    response["Retry-After"] = str(seconds)
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """Rendered without the request's context processors: no database, no session, nothing that
    could be the fault being reported. API callers get JSON."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {
                "detail": _(
                    "Something went wrong on our side; nothing you sent was changed. "
                    "Try again, and tell the platform team if it keeps happening."
                )
            },
            status=500,
        )
    return HttpResponseServerError(loader.get_template("500.html").render({"static_only": True}))
