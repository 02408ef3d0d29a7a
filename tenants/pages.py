"""Building blocks of every app's pages: the country of the URL (already checked by the middleware), the frame's context, the country-admin check, and small helpers for forms."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.urls import Resolver404, resolve, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tenants.access import AUDITOR, PARTNER_MANAGER, Access
from tenants.models import Country, Membership

ROLE_LABELS = {
    **dict(Membership.Role.choices),
    PARTNER_MANAGER: gettext_lazy("Partner manager"),
    AUDITOR: gettext_lazy("Auditor"),
    # Actors of the record that are not a person's role in a country.
    "system": gettext_lazy("The portal itself (no person)"),
    "platform": gettext_lazy("Platform admin"),
    "platform_admin": gettext_lazy("Platform admin"),
}


def request_country(request: HttpRequest) -> Country:
    """The country of the URL, already checked by the middleware against what this person may see."""
    country = getattr(request, "country", None)
    if country is None:
        raise Http404("No country with this code is visible to you.")
    return country


def country_admin_only(access: Access, country: Country) -> bool:
    return access.is_country_admin(country.pk)


def oversees(access: Access, country: Country) -> bool:
    """A partner manager or an auditor of the country (its audit pages)."""
    return country.pk in access.oversight_country_ids


def require_country_admin(request: HttpRequest, country: Country) -> None:
    if not country_admin_only(request.access, country):
        raise PermissionDenied(_("Only a country admin of this country can do this."))


# Pages of a country that not everyone who sees the country may open, by URL name, with the check
# their view makes: a link to one is shown only to whom it would open (may_open).
PAGE_GATES: dict[str, Callable[[Access, Country], bool]] = {
    "tenants:data": country_admin_only,
    "tenants:identity": country_admin_only,
    "tenants:data_erasure": country_admin_only,
    "audit_country": oversees,
    "audit_reports": oversees,
}


def page_gates_register(gates: dict[str, Callable[[Access, Country], bool]]) -> None:
    PAGE_GATES.update(gates)


def may_open(access: Access, country: Country, url: str) -> bool:
    """Whether this person would be let into the page of the country at `url` (not a 403/404)."""
    try:
        match = resolve(url.split("?", 1)[0].split("#", 1)[0])
    except Resolver404:
        return False
    gate = PAGE_GATES.get(match.view_name)
    return access.can_view(country.pk) and (gate is None or gate(access, country))


def country_url(name: str, country: Country, **kwargs) -> str:
    return reverse(f"tenants:{name}", kwargs={"code": country.code.lower(), **kwargs})


def base_context(request: HttpRequest, country: Country) -> dict:
    role = request.access.role_in(country.pk)
    return {
        "country": country,
        "code": country.code.lower(),
        "your_role": role,
        "your_role_label": ROLE_LABELS.get(role or "", ""),
        "is_country_admin": role == Membership.Role.COUNTRY_ADMIN,
    }


def posted(request: HttpRequest):
    """The submitted data on POST (even when empty, so that an empty form is checked), else None."""
    return request.POST if request.method == "POST" else None


def int_or_none(value: str | None) -> int | None:
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if number > 0 else None
