"""A country's "Data and keys" page (/c/<code>/data/), for its country admins: the state of the
country's data key and its rotations, full exports of its data with their live progress, and
their downloads. Other people of the country get a 403, everyone else a 404 (tenants.views).

Leaving the programme, which destroys the keys, is arranged with the platform and stays an
operator command: there is deliberately no button for it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from tenants.keys import selectors
from tenants.keys.exit import EXPORT_TTL_DAYS, country_export_request, export_download_record, export_path
from tenants.keys.models import CountryExport, KeyRotation
from tenants.keys.rotation import country_key_rotate
from tenants.models import Country, Membership
from tenants.pages import base_context, request_country, require_country_admin
from tenants.record.exports import ExportRefused

COUNTRY_ADMIN = Membership.Role.COUNTRY_ADMIN.value
ROTATIONS_SHOWN = 5
EXPORTS_SHOWN = 10
PENDING_STATES = {"pending", "running"}
ROTATION_FIELDS = ("id", "state", "state_label", "tag", "done", "total", "percent")
EXPORT_FIELDS = ("id", "state", "state_label", "tag", "step", "percent", "download_url")
STATE_TAGS = {
    "pending": "govuk-tag--grey",
    "running": "govuk-tag--blue",
    "done": "govuk-tag--green",
    "failed": "govuk-tag--red",
    "expired": "govuk-tag--grey",
}


def _admin_country(request: HttpRequest) -> Country:
    country = request_country(request)
    require_country_admin(request, country)
    return country


def _data_url(country: Country) -> str:
    return reverse("tenants:data", kwargs={"code": country.code.lower()})


def _download_url(country: Country, export: CountryExport) -> str:
    return reverse("tenants:data_export_download", kwargs={"code": country.code.lower(), "pk": export.pk})


def _downloadable(export: CountryExport) -> bool:
    return (
        export.state == CountryExport.State.DONE
        and bool(export.file_name)
        and (export.expires_at is None or export.expires_at > timezone.now())
    )


def _person(user) -> str:
    return (user.get_full_name() or user.username) if user is not None else ""


def _rotation_row(rotation: KeyRotation) -> dict:
    return {
        "id": rotation.pk,
        "state": rotation.state,
        "state_label": rotation.get_state_display(),
        "tag": STATE_TAGS[rotation.state],
        "done": rotation.done,
        "total": rotation.total,
        "percent": min(rotation.percent, 100),
        "to_key_id": rotation.to_key_id,
        "created_at": rotation.created_at,
        "finished_at": rotation.finished_at,
    }


def _export_row(country: Country, export: CountryExport) -> dict:
    expired = export.state == CountryExport.State.DONE and not _downloadable(export)
    state = "expired" if expired else export.state
    return {
        "id": export.pk,
        "state": state,
        "state_label": "Expired" if expired else export.get_state_display(),
        "tag": STATE_TAGS[state],
        "step": export.step,
        "percent": export.percent,
        "download_url": _download_url(country, export) if _downloadable(export) else None,
        "size": export.size,
        "sha256": export.sha256,
        "for_exit": export.for_exit,
        "requested_by": _person(export.requested_by),
        "created_at": export.created_at,
        "expires_at": export.expires_at,
    }


def _progress(country: Country) -> dict:
    rotations = [_rotation_row(r) for r in selectors.key_rotation_list(country=country)[:ROTATIONS_SHOWN]]
    exports = [_export_row(country, e) for e in selectors.country_export_list(country=country)[:EXPORTS_SHOWN]]
    pending = any(row["state"] in PENDING_STATES for row in rotations + exports)
    return {"rotations": rotations, "exports": exports, "pending": pending}


def _page(request: HttpRequest, country: Country, *, error: str = "", status: int = 200) -> HttpResponse:
    return render(
        request,
        "tenants/data.html",
        {
            **base_context(request, country),
            "key": selectors.country_key_summary(country=country),
            **_progress(country),
            "export_ttl_days": EXPORT_TTL_DAYS,
            "action_error": error,
        },
        status=status,
    )


@login_required
@require_GET
def data_page(request: HttpRequest, code: str) -> HttpResponse:
    return _page(request, _admin_country(request))


@login_required
@require_POST
def data_key_rotate(request: HttpRequest, code: str) -> HttpResponse:
    country = _admin_country(request)
    try:
        rotation = country_key_rotate(country=country, by=request.user, actor_role=COUNTRY_ADMIN)
    except ValueError as error:  # the keys were destroyed: nothing to rotate
        return _page(request, country, error=str(error), status=400)
    if rotation.total:
        sealed = f"{rotation.total} value{'' if rotation.total == 1 else 's'}"
        messages.success(
            request,
            f"Key {rotation.to_key_id} is now in service. {sealed} sealed under older keys "
            "will be re-encrypted under it in the background, and stay readable meanwhile.",
        )
    else:
        messages.success(request, f"Key {rotation.to_key_id} is now in service. Nothing was sealed under older keys.")
    return redirect(_data_url(country))


@login_required
@require_POST
def data_export_request(request: HttpRequest, code: str) -> HttpResponse:
    country = _admin_country(request)
    try:
        country_export_request(country=country, by=request.user, actor_role=COUNTRY_ADMIN)
    except ExportRefused as error:
        return _page(request, country, error=str(error), status=400)
    messages.success(
        request,
        f"The export of {country.name}'s data has been requested. It is built in the "
        "background; you can download it from this page when it is ready.",
    )
    return redirect(_data_url(country))


@never_cache
@login_required
@require_GET
def data_progress(request: HttpRequest, code: str) -> JsonResponse:
    """The state of the latest rotations and exports, polled by static/js/data-progress.js."""
    progress = _progress(_admin_country(request))
    return JsonResponse(
        {
            "pending": progress["pending"],
            "rotations": [{name: row[name] for name in ROTATION_FIELDS} for row in progress["rotations"]],
            "exports": [{name: row[name] for name in EXPORT_FIELDS} for row in progress["exports"]],
        }
    )


@login_required
@require_GET
def data_export_download(request: HttpRequest, code: str, pk: int) -> FileResponse:
    country = _admin_country(request)
    export = selectors.country_export_get(country=country, pk=pk)
    if export is None or not _downloadable(export):
        raise Http404("No export of this country is ready to download with this number.")
    path = export_path(export)
    if not path.is_file():
        raise Http404("The file of this export is no longer kept.")
    export_download_record(country=country, export=export, by=request.user, actor_role=COUNTRY_ADMIN)
    return FileResponse(open(path, "rb"), as_attachment=True, filename=export.file_name, content_type="application/zip")
