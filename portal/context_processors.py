"""What every page's frame needs: the service navigation by role, the country in context, the
countries to switch between, and the ledger alerts this person must see. Read from request.access
(resolved once by the middleware)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy

from tenants.access import ANONYMOUS
from tenants.models import Country
from tenants.pages import ROLE_LABELS
from tenants.record import selectors as record_selectors

SERVICE_NAME = gettext_lazy("Sovereign AI Onboarding Portal")

# A country's sections in the order a country goes through onboarding: (text, URL name, the URL
# names that light it up; an empty set means "any page of that app's namespace").
COUNTRY_SECTIONS = [
    (gettext_lazy("Overview"), "tenants:overview", {"overview"}),
    (gettext_lazy("Engagement"), "engagement:home", set()),
    (gettext_lazy("Governance"), "governance:home", set()),
    (gettext_lazy("Training"), "training:home", set()),
    (gettext_lazy("Deployments"), "deployments:home", set()),
    (gettext_lazy("Register"), "register:home", set()),
    (gettext_lazy("Organisations"), "tenants:organisations", {"organisations", "organisation", "organisation_new"}),
    (gettext_lazy("Members"), "tenants:members", {"members", "member", "member_invite", "member_remove"}),
    (gettext_lazy("Activity"), "tenants:activity", {"activity"}),
]
# Shown to the country's admins only.
ADMIN_SECTIONS = [(gettext_lazy("Data and keys"), "tenants:data", {"data"})]
AUDIT_PAGES = {"audit", "audit_country", "audit_export"}
ALERTS_SHOWN = 5


def navigation(request) -> dict:
    access = getattr(request, "access", ANONYMOUS)
    user = getattr(request, "user", None)
    signed_in = bool(user is not None and user.is_authenticated and access.user_id)
    context = {
        "service_name": SERVICE_NAME,
        "nav_items": [],
        "country_nav_items": [],
        "nav_country": None,
        "nav_role_label": "",
        "switcher_countries": [],
        "signed_in": signed_in,
    }
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

    # The service header: a few items only. A country's sections are a navigation of their own.
    items = [{"text": gettext_lazy("Home"), "href": reverse("home"), "current": url_name == "home" and not namespace}]
    sections_nav = []
    if country is not None:
        code = country.code.lower()
        in_country = getattr(request, "country", None) is not None
        sections = COUNTRY_SECTIONS + (ADMIN_SECTIONS if access.is_country_admin(country.pk) else [])
        for text, name, names in sections:
            section_namespace = name.split(":", 1)[0]
            current = in_country and namespace == section_namespace and (not names or url_name in names)
            sections_nav.append({"text": text, "href": reverse(name, kwargs={"code": code}), "current": current})
        context["nav_country"] = country
        context["nav_role_label"] = ROLE_LABELS.get(access.role_in(country.pk) or "", "")
    if access.is_partner_manager:
        items.append({"text": gettext_lazy("Review"), "href": reverse("review"), "current": url_name == "review"})
    if access.is_auditor or access.is_partner_manager:
        items.append({"text": gettext_lazy("Audit"), "href": reverse("audit"), "current": url_name in AUDIT_PAGES})
    if access.is_platform_admin:
        items.append({"text": gettext_lazy("Admin"), "href": reverse("admin:index"), "current": False})
    items.append(
        {
            "text": gettext_lazy("Notifications"),
            "href": reverse("notifications"),
            "current": url_name == "notifications",
            "badge": _unread_notifications(request, access),
        }
    )
    context["nav_items"] = items
    context["country_nav_items"] = sections_nav
    if len(visible) > 1:
        context["switcher_countries"] = visible
    return context


def _unread_notifications(request, access):
    """The header's count of unread notifications: one query, made when the frame renders it."""
    from tenants.notifications.selectors import unread_count

    def load() -> int:
        return 0 if connection.needs_rollback else unread_count(user=request.user, access=access)

    return SimpleLazyObject(load)


@dataclass
class AlertBanner:
    alerts: list
    more: bool  # there are more than are shown
    for_admin: bool


def ledger_alerts(request) -> dict:
    """Unresolved ledger alerts for the banner: all of them for platform admins, those of their
    countries' chains for auditors. One query, made only when a page shows the banner; none for
    anyone else, and none on an error page whose transaction is already lost."""
    access = getattr(request, "access", ANONYMOUS)
    if not (access.is_platform_admin or access.auditor_country_ids):
        return {"ledger_alerts": None}

    def load() -> AlertBanner:
        if connection.needs_rollback:
            return AlertBanner([], False, access.is_platform_admin)
        alerts = list(record_selectors.ledger_alerts_visible(access=access)[: ALERTS_SHOWN + 1])
        for alert in alerts:
            alert.audit_code = alert.chain.lower() if len(alert.chain) == 2 else ""
        return AlertBanner(alerts[:ALERTS_SHOWN], len(alerts) > ALERTS_SHOWN, access.is_platform_admin)

    return {"ledger_alerts": SimpleLazyObject(load)}
