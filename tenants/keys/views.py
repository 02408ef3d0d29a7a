"""A country's "Data and keys" page (/c/<code>/data/), for its country admins: the state of the
country's data key and its rotations, full exports of its data with their live progress, and
their downloads, and leaving the programme (the country's side of the exit; the rest of it is in
tenants.keys.exit_views). Other people of the country get a 403, everyone else a 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tenants.confirmations import confirm_page
from tenants.country_state import allowed_after_exit
from tenants.errors import NotAllowed, ServiceError
from tenants.keys import exit as exits
from tenants.keys import holdings, selectors
from tenants.keys.exit_views import admin_country, exit_panel, exit_progress
from tenants.keys.export import EXPORT_TTL_DAYS, country_export_request, export_download_record, export_open
from tenants.keys.forms import ExitRequestForm
from tenants.keys.models import CountryExport, KeyRotation
from tenants.keys.rotation import country_key_rotate
from tenants.models import Country, Membership
from tenants.pages import base_context
from tenants.record.exports import ExportRefused
from tenants.status_tags import tag_class

COUNTRY_ADMIN = Membership.Role.COUNTRY_ADMIN.value
ROTATIONS_SHOWN = 5
EXPORTS_SHOWN = 10
ERASURES_SHOWN = 20
PENDING_STATES = {"pending", "running"}
ROTATION_FIELDS = ("id", "state", "state_label", "tag", "done", "total", "percent")
EXPORT_FIELDS = ("id", "state", "state_label", "tag", "step", "percent", "download_url")


_admin_country = admin_country


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
        "tag": tag_class(rotation.state),
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
        "state_label": pgettext("export state", "Expired") if expired else export.get_state_display(),
        "tag": tag_class(state),
        "step": export.step_text,
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
    current = exits.exit_current(country=country)
    exit_row = exit_progress(current)
    running = exit_row is not None and exit_row["state"] == "running"
    pending = running or any(row["state"] in PENDING_STATES for row in rotations + exports)
    return {"rotations": rotations, "exports": exports, "exit_row": exit_row, "pending": pending, "current": current}


def _page(
    request: HttpRequest, country: Country, *, error: str = "", exit_form=None, status: int = 200
) -> HttpResponse:
    progress = _progress(country)
    current = progress.pop("current")
    return render(
        request,
        "tenants/data.html",
        {
            **base_context(request, country),
            "key": selectors.country_key_summary(country=country),
            **progress,
            **exit_panel(country=country, side=exits.COUNTRY, user=request.user, exit=current, form=exit_form),
            # An export under way is shown in place of the button that would ask for another one.
            "export_building": next((row for row in progress["exports"] if row["state"] in PENDING_STATES), None),
            "erasures": selectors.erasure_done_list(country=country)[:ERASURES_SHOWN],
            "export_ttl_days": EXPORT_TTL_DAYS,
            "plain_texts": holdings.plain_texts(),
            "action_error": error,
        },
        status=status,
    )


@login_required
@require_GET
def data_page(request: HttpRequest, code: str) -> HttpResponse:
    return _page(request, _admin_country(request))


@login_required
@require_http_methods(["GET", "POST"])
def data_key_rotate(request: HttpRequest, code: str) -> HttpResponse:
    """Confirm, with a reason, putting a new data key in service."""
    country = _admin_country(request)
    back = _data_url(country)
    return confirm_page(
        request,
        country,
        act=lambda reason: _rotate(request, country, reason),
        back=back,
        caption=_("Data and keys"),
        heading=_("Rotate the data key of {country_name}?").format(country_name=country.display_name),
        warning=_(
            "A new key is put in service at once and cannot be taken back. Everything encrypted under older keys "
            "is re-encrypted under it in the background."
        ),
        button=_("Yes, rotate the key"),
    )


def _rotate(request: HttpRequest, country: Country, reason: str) -> None:
    try:
        rotation = country_key_rotate(country=country, by=request.user, actor_role=COUNTRY_ADMIN, reason=reason)
    except ValueError as error:  # the keys were destroyed: nothing to rotate
        raise ServiceError(str(error)) from None
    if rotation.total:
        messages.success(
            request,
            ngettext(
                "Key {key} is now in service. {total} value sealed under older keys will be re-encrypted "
                "under it in the background, and stay readable meanwhile.",
                "Key {key} is now in service. {total} values sealed under older keys will be re-encrypted "
                "under it in the background, and stay readable meanwhile.",
                rotation.total,
            ).format(key=rotation.to_key_id, total=rotation.total),
        )
    else:
        messages.success(
            request,
            _("Key {rotation_to_key_id} is now in service. Nothing was sealed under older keys.").format(
                rotation_to_key_id=rotation.to_key_id
            ),
        )


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
        _(
            "The export of {country_name}'s data has been requested. It is built in the background; you can download it from this page when it is ready."
        ).format(country_name=country.display_name),
    )
    return redirect(_data_url(country))


@allowed_after_exit
@login_required
@require_POST
def data_exit_request(request: HttpRequest, code: str) -> HttpResponse:
    """The country's admin asks to leave the programme (the platform confirms, or the reverse)."""
    country = _admin_country(request)
    form = ExitRequestForm(request.POST)
    if form.is_valid():
        try:
            exits.country_exit_request(
                country=country,
                by=request.user,
                access=request.access,
                side=exits.COUNTRY,
                reason=form.cleaned_data["reason"],
            )
        except NotAllowed as error:
            raise PermissionDenied(error.message) from None
        except ServiceError as error:
            form.add_service_error(error)
        else:
            messages.success(
                request,
                _("The exit of %(name)s was requested. It takes effect only once the platform confirms it.")
                % {"name": country.display_name},
            )
            return redirect(_data_url(country) + "#leaving")
    return _page(request, country, exit_form=form, status=400)


@never_cache
@login_required
@require_GET
def data_progress(request: HttpRequest, code: str) -> JsonResponse:
    """The state of the latest rotations, exports and exit, polled by static/js/data-progress.js."""
    progress = _progress(_admin_country(request))
    return JsonResponse(
        {
            "pending": progress["pending"],
            "rotations": [{name: row[name] for name in ROTATION_FIELDS} for row in progress["rotations"]],
            "exports": [{name: row[name] for name in EXPORT_FIELDS} for row in progress["exports"]],
            "exit": progress["exit_row"],
        }
    )


@login_required
@require_GET
def data_export_download(request: HttpRequest, code: str, pk: int) -> FileResponse:
    country = _admin_country(request)
    export = selectors.country_export_get(country=country, pk=pk)
    if export is None or not _downloadable(export):
        raise Http404("No export of this country is ready to download with this number.")
    try:
        handle = export_open(export)  # FileGone (410) for an export that went with the country's keys
    except FileNotFoundError:
        raise Http404("The file of this export is no longer kept.") from None
    export_download_record(country=country, export=export, by=request.user, actor_role=COUNTRY_ADMIN)
    return FileResponse(handle, as_attachment=True, filename=export.file_name, content_type="application/zip")
