"""A country's public register of AI systems (/register/<code>/, no sign-in), as pages, JSON and CSV.

The middleware serves these paths in the public reading mode for exactly the country of the URL,
whoever asks (tenants.middleware): the database admits only the register's published rows, so
nothing of another country and nothing unpublished can be read here, whatever the code does. A
withdrawn entry shows its name, its dates and the reason, never its content."""

from __future__ import annotations

from defusedcsv import csv
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from tenants.languages.headings import KEYS, headings_in

from . import content, selectors
from .headings import LABELS
from .models import RegisterEntry

# The public frame is the same for everyone: no account, no navigation of the person's countries.
PUBLIC_FRAME = {
    "signed_in": False,
    "nav_items": [],
    "switcher_countries": [],
    "nav_country": None,
    "ledger_alerts": None,
}


def _render(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    return render(request, template, {**context, **PUBLIC_FRAME})


def _country(request: HttpRequest):
    country = getattr(request, "public_country", None)
    if country is None:
        raise Http404(_("There is no country with this code."))
    return country


def _entry_url(request: HttpRequest, country, pk: int) -> str:
    return request.build_absolute_uri(reverse("public_register:entry", kwargs={"code": country.code.lower(), "pk": pk}))


def _records(request: HttpRequest, country) -> list[dict]:
    """Every published and withdrawn entry, as the JSON and CSV give them (three queries)."""
    records = []
    histories = selectors.public_histories(country=country)
    for version in selectors.public_current_versions(country=country):
        entry = version.entry
        records.append(
            content.record(
                country=country,
                entry=entry,
                version=version,
                versions=histories.get(entry.pk, [version]),
                named=selectors.named_contact(entry),
                url=_entry_url(request, country, entry.pk),
            )
        )
    for entry in selectors.public_withdrawn_entries(country=country):
        records.append(
            content.record(
                country=country,
                entry=entry,
                version=None,
                versions=[],
                named="",
                url=_entry_url(request, country, entry.pk),
            )
        )
    return records


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    """/register/: the countries whose public register publishes something, each linked to it."""
    return _render(
        request, "deployments/register/public_index.html", {"countries": selectors.public_register_countries()}
    )


@require_safe
def home(request: HttpRequest, code: str) -> HttpResponse:
    country = _country(request)
    return _render(
        request,
        "deployments/register/public_home.html",
        {
            "country": country,
            "versions": selectors.public_current_versions(country=country),
            "withdrawn": selectors.public_withdrawn_entries(country=country),
            "standard": content.STANDARD,
            "standard_url": content.STANDARD_URL,
        },
    )


@require_safe
def register_json(request: HttpRequest, code: str) -> JsonResponse:
    country = _country(request)
    return JsonResponse(
        {
            "country": {"code": country.code, "name": country.name},
            "generated_at": timezone.now().isoformat(),
            "standard": content.STANDARD,
            "entries": _records(request, country),
        },
        json_dumps_params={"ensure_ascii": False},
    )


@require_safe
def register_csv(request: HttpRequest, code: str) -> HttpResponse:
    """One row per entry; cells that a spreadsheet would run as a formula are neutralised. Headed in
    the reader's language, or by the stable keys with ?headings=keys (for programs)."""
    country = _country(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="ai-register-{country.code.lower()}.csv"'
    writer = csv.writer(response)
    language = KEYS if request.GET.get("headings") == KEYS else get_language()
    writer.writerow(headings_in([name for name, _get in content.CSV_COLUMNS], LABELS, language))
    for record in _records(request, country):
        writer.writerow([value(record) for _name, value in content.CSV_COLUMNS])
    return response


def _published(request: HttpRequest, country, pk) -> tuple:
    entry = selectors.public_entry(country=country, pk=pk)
    if entry is None:
        raise Http404(_("No such entry in this country's register."))
    versions = selectors.public_versions(entry=entry)
    current = next((v for v in versions if v.status == "published"), None)
    return entry, versions, current


@require_safe
def entry(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    country = _country(request)
    found, versions, current = _published(request, country, pk)
    return _render(
        request,
        "deployments/register/public_entry.html",
        {
            "country": country,
            "entry": found,
            "version": current,
            "versions": versions,
            "shown": current,
            "named": selectors.named_contact(found) if current else "",
            "withdrawn": found.state == RegisterEntry.State.WITHDRAWN,
            "tier_1": content.TIER_1,
            "tier_2": content.TIER_2,
        },
    )


@require_safe
def entry_version(request: HttpRequest, code: str, pk: int, number: int) -> HttpResponse:
    """An earlier version, as it was published, marked as replaced."""
    country = _country(request)
    found, versions, current = _published(request, country, pk)
    shown = next((v for v in versions if v.number == number), None)
    if shown is None:
        raise Http404(_("No such version of this entry."))
    return _render(
        request,
        "deployments/register/public_entry.html",
        {
            "country": country,
            "entry": found,
            "version": current,
            "versions": versions,
            "shown": shown,
            "named": "",
            "withdrawn": False,
            "tier_1": content.TIER_1,
            "tier_2": content.TIER_2,
        },
    )


@require_safe
def entry_json(request: HttpRequest, code: str, pk: int) -> JsonResponse:
    country = _country(request)
    found, versions, current = _published(request, country, pk)
    return JsonResponse(
        content.record(
            country=country,
            entry=found,
            version=current,
            versions=versions,
            named=selectors.named_contact(found) if current else "",
            url=_entry_url(request, country, found.pk),
        ),
        json_dumps_params={"ensure_ascii": False},
    )
