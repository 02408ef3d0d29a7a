"""What every page's frame needs: the service navigation by role, the country in context and the
countries to switch between. Read from request.access (resolved once by the middleware)."""
from __future__ import annotations

from django.db import connection
from django.urls import reverse

from tenants.access import ANONYMOUS
from tenants.models import Country
from tenants.views import ROLE_LABELS

SERVICE_NAME = "Sovereign AI Onboarding Portal"

# Which pages light up which navigation item (by URL name).
COUNTRY_SECTIONS = [
    ("Overview", "overview", {"overview"}),
    ("Organisations", "organisations", {"organisations", "organisation", "organisation_new"}),
    ("Members", "members", {"members", "member", "member_invite", "member_remove"}),
    ("Activity", "activity", {"activity"}),
]


def navigation(request) -> dict:
    access = getattr(request, "access", ANONYMOUS)
    user = getattr(request, "user", None)
    signed_in = bool(user is not None and user.is_authenticated and access.user_id)
    context = {"service_name": SERVICE_NAME, "nav_items": [], "nav_country": None, "nav_role_label": "",
               "switcher_countries": [], "signed_in": signed_in}
    if not signed_in:
        return context

    match = getattr(request, "resolver_match", None)
    url_name = match.url_name if match else ""
    namespace = match.namespace if match else ""

    country = getattr(request, "country", None)
    visible_ids = access.country_ids
    visible: list[Country] = []
    # An error page may be rendered in a transaction already marked for rollback (the middleware
    # rolls back whatever a failed view did): then the frame makes do without the database.
    if visible_ids and (country is None or len(visible_ids) > 1) and not connection.needs_rollback:
        # One small query: the switcher's list, or the only country of a one-country person.
        visible = getattr(request, "portal_visible_countries", None)  # set by views that already read them
        if visible is None:
            visible = list(Country.objects.filter(pk__in=visible_ids).order_by("name").only("id", "code", "name"))
    if country is None and len(visible) == 1:
        country = visible[0]

    items = [{"text": "Home", "href": reverse("home"), "current": url_name == "home"}]
    if country is not None:
        code = country.code.lower()
        in_country = namespace == "tenants" and getattr(request, "country", None) is not None
        for text, name, names in COUNTRY_SECTIONS:
            items.append({"text": text, "href": reverse(f"tenants:{name}", kwargs={"code": code}),
                          "current": in_country and url_name in names})
        context["nav_country"] = country
        context["nav_role_label"] = ROLE_LABELS.get(access.role_in(country.pk) or "", "")
    if access.is_partner_manager:
        items.append({"text": "Review", "href": reverse("review"), "current": url_name == "review"})
    if access.is_auditor:
        items.append({"text": "Audit", "href": reverse("audit"), "current": url_name == "audit"})
    if access.is_platform_admin:
        items.append({"text": "Admin", "href": reverse("admin:index"), "current": False})
    context["nav_items"] = items
    if len(visible) > 1:
        context["switcher_countries"] = visible
    return context
