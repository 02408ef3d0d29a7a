"""The pages of a country's exit. The country's side lives on its Data and keys page
(/c/<code>/data/#leaving, for its country admins: other members 403, everyone else 404); the
platform's side on /platform/exits/ (platform admins only: anyone else signed in 403). Both show
the same panel and call the same services (tenants.keys.exit); the irreversible run, and the
cancelling of an exit, each have a page of their own that asks for a reason and a confirmation. These views stay open after the country became
read-only, for its exit is what they finish (tenants.country_state.allowed_after_exit)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tenants.confirmations import confirm_with_reason
from tenants.country_state import allowed_after_exit
from tenants.errors import NotAllowed, ServiceError
from tenants.isolation import country_context
from tenants.keys import exit as exits
from tenants.keys.forms import ExitRequestForm, ExitRunForm
from tenants.keys.models import CountryExit
from tenants.models import Country
from tenants.pages import base_context, request_country, require_country_admin
from tenants.status_tags import tag_class


def _urls(country: Country, side: str) -> dict[str, str]:
    code = country.code.lower()
    if side == exits.PLATFORM:
        return {
            "request": reverse("platform_exit", kwargs={"code": code}),
            "confirm": reverse("platform_exit", kwargs={"code": code}),
            "cancel": reverse("platform_exit_cancel", kwargs={"code": code}),
            "run": reverse("platform_exit_run", kwargs={"code": code}),
            "back": reverse("platform_exit", kwargs={"code": code}),
        }
    return {
        "request": reverse("tenants:data_exit_request", kwargs={"code": code}),
        "confirm": reverse("tenants:data_exit_confirm", kwargs={"code": code}),
        "cancel": reverse("tenants:data_exit_cancel", kwargs={"code": code}),
        "run": reverse("tenants:data_exit_run", kwargs={"code": code}),
        "back": reverse("tenants:data", kwargs={"code": code}) + "#leaving",
    }


UNREAD = object()  # the panel reads the country's exit itself


def exit_panel(*, country: Country, side: str, user, exit: CountryExit | None | object = UNREAD, form=None) -> dict:
    """What the "Leaving the programme" panel shows to one person acting for one side (`exit`:
    the country's current exit or None, when the caller has read it already)."""
    exit = exits.exit_current(country=country) if exit is UNREAD else exit
    now = timezone.now()
    state = exit.state if exit else ""
    is_open = bool(exit and exit.is_open)
    return {
        "exit": exit,
        "exit_tag": tag_class(state),
        "side": side,
        "urls": _urls(country, side),
        "form": form or ExitRequestForm(),
        "can_request": not country.read_only and not is_open,
        "can_confirm": state == CountryExit.State.REQUESTED
        and exit.requested_side != side
        and exit.requested_by_id != user.pk,
        "waiting_for_other_side": state == CountryExit.State.REQUESTED and exit.requested_side == side,
        "can_cancel": state in (CountryExit.State.REQUESTED, CountryExit.State.CONFIRMED, CountryExit.State.FAILED),
        "can_run": state in (CountryExit.State.CONFIRMED, CountryExit.State.FAILED)
        and (exit.effective_at is None or exit.effective_at <= now),
        "waiting_period": state == CountryExit.State.CONFIRMED and exit.effective_at and exit.effective_at > now,
    }


def exit_progress(exit: CountryExit | None) -> dict | None:
    if exit is None:
        return None
    return {
        "id": exit.pk,
        "state": exit.state,
        "state_label": exit.get_state_display(),
        "tag": tag_class(exit.state),
        "step": exit.step_text,
        "percent": exit.percent,
    }


def _run_page(request, country: Country, side: str, exit: CountryExit, form, *, status: int = 200) -> HttpResponse:
    return render(
        request,
        "tenants/exit_run.html",
        {
            **(base_context(request, country) if side == exits.COUNTRY else {"country": country}),
            "exit": exit,
            "form": form,
            "urls": _urls(country, side),
            "side": side,
        },
        status=status,
    )


def _act(request, action, *, success: str, back: str) -> HttpResponse | None:
    """Run a service; on a refusal show it on the page it came from (None: the caller renders)."""
    try:
        action()
    except NotAllowed as error:
        raise PermissionDenied(error.message) from None
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect(back)
    messages.success(request, success)
    return redirect(back)


def _open_exit(country: Country) -> CountryExit:
    current = exits.exit_current(country=country)
    if current is None or not current.is_open:
        raise Http404(_("%(name)s has no exit under way.") % {"name": country.display_name})
    return current


# --- The country's side (/c/<code>/data/exit/…) ----------------------------------------------------


def admin_country(request: HttpRequest) -> Country:
    country = request_country(request)
    require_country_admin(request, country)
    return country


@allowed_after_exit
@login_required
@require_POST
def data_exit_confirm(request: HttpRequest, code: str) -> HttpResponse:
    country = admin_country(request)
    current = _open_exit(country)
    return _act(
        request,
        lambda: exits.country_exit_confirm(exit=current, by=request.user, access=request.access, side=exits.COUNTRY),
        success=_("You confirmed the exit of %(name)s. The waiting period has started.")
        % {"name": country.display_name},
        back=_urls(country, exits.COUNTRY)["back"],
    )


def _cancel(request, country: Country, side: str, access, *, context: dict) -> HttpResponse:
    """Confirm, with a reason, the cancelling of an exit under way (either side)."""
    current = _open_exit(country)
    back = _urls(country, side)["back"]
    return confirm_with_reason(
        request,
        act=lambda reason: exits.country_exit_cancel(
            exit=current, by=request.user, access=access, side=side, reason=reason
        ),
        template="tenants/confirm_reason_page.html",
        context={
            **context,
            "back": back,
            "caption": _("Leaving the programme"),
            "heading": _("Cancel the exit of {country_name}?").format(country_name=country.display_name),
            "warning": _(
                "The exit stops here: nothing is exported or destroyed, and {country_name} works as before. "
                "Leaving again takes a new request and a new confirmation."
            ).format(country_name=country.display_name),
            "button": _("Yes, cancel the exit"),
            "details": [(_("Status"), current.get_state_display())],
        },
        success_url=back,
        success_message=_("The exit of %(name)s was cancelled. Nothing was exported or destroyed.")
        % {"name": country.display_name},
    )


@allowed_after_exit
@login_required
@require_http_methods(["GET", "POST"])
def data_exit_cancel(request: HttpRequest, code: str) -> HttpResponse:
    country = admin_country(request)
    return _cancel(request, country, exits.COUNTRY, request.access, context=base_context(request, country))


def _run(request, country: Country, side: str, access) -> HttpResponse:
    current = _open_exit(country)
    form = ExitRunForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            exits.country_exit_run(
                exit=current, by=request.user, access=access, side=side, reason=form.cleaned_data["run_reason"]
            )
        except NotAllowed as error:
            raise PermissionDenied(error.message) from None
        except ServiceError as error:
            form.add_service_error(error)
        else:
            messages.success(
                request,
                _(
                    "%(name)s is now read-only. Its last export is being made; once it is verified, its keys are "
                    "destroyed. Follow the progress below."
                )
                % {"name": country.display_name},
            )
            return redirect(_urls(country, side)["back"])
    return _run_page(request, country, side, current, form, status=400 if request.method == "POST" else 200)


@allowed_after_exit
@login_required
@require_http_methods(["GET", "POST"])
def data_exit_run(request: HttpRequest, code: str) -> HttpResponse:
    country = admin_country(request)
    return _run(request, country, exits.COUNTRY, request.access)


# --- The platform's side (/platform/exits/…) ---------------------------------------------------------


def _platform_admin(request: HttpRequest) -> None:
    if not (request.user.is_superuser and request.user.is_active):
        raise PermissionDenied(_("Only a platform admin can open the platform's exits."))


def _country(code: str) -> Country:
    country = Country.objects.filter(code=(code or "").upper()[:2]).first()
    if country is None or len(code or "") != 2:
        raise Http404(_("No country with this code."))
    return country


@login_required
@require_GET
def platform_exits(request: HttpRequest) -> HttpResponse:
    _platform_admin(request)
    countries = list(Country.objects.order_by("name"))
    with country_context([c.pk for c in countries]):
        open_exits = {e.country_id: e for e in CountryExit.objects.filter(state__in=CountryExit.OPEN)}
    rows = [
        {"country": c, "exit": open_exits.get(c.pk), "tag": tag_class(getattr(open_exits.get(c.pk), "state", ""))}
        for c in countries
    ]
    return render(request, "tenants/platform_exits.html", {"rows": rows})


@login_required
@require_http_methods(["GET", "POST"])
def platform_exit(request: HttpRequest, code: str) -> HttpResponse:
    _platform_admin(request)
    country = _country(code)
    back = _urls(country, exits.PLATFORM)["back"]
    form = None
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "request":
            form = ExitRequestForm(request.POST)
            if form.is_valid():
                response = _act(
                    request,
                    lambda: exits.country_exit_request(
                        country=country,
                        by=request.user,
                        access=None,
                        side=exits.PLATFORM,
                        reason=form.cleaned_data["reason"],
                    ),
                    success=_("The exit of %(name)s was requested. A country admin must confirm it.")
                    % {"name": country.display_name},
                    back=back,
                )
                return response
        elif action == "confirm":
            current = _open_exit(country)
            return _act(
                request,
                lambda: exits.country_exit_confirm(exit=current, by=request.user, access=None, side=exits.PLATFORM),
                success=_("The exit of %(name)s was %(done)s.")
                % {"name": country.display_name, "done": _("confirmed")},
                back=back,
            )
        else:
            messages.error(request, _("Choose what to do: request, confirm or cancel the exit."))
            return redirect(back)
    panel = exit_panel(country=country, side=exits.PLATFORM, user=request.user, form=form)
    return render(
        request, "tenants/platform_exit.html", {"country": country, **panel}, status=400 if form is not None else 200
    )


@login_required
@require_http_methods(["GET", "POST"])
def platform_exit_run(request: HttpRequest, code: str) -> HttpResponse:
    _platform_admin(request)
    return _run(request, _country(code), exits.PLATFORM, None)


@login_required
@require_http_methods(["GET", "POST"])
def platform_exit_cancel(request: HttpRequest, code: str) -> HttpResponse:
    _platform_admin(request)
    country = _country(code)
    return _cancel(request, country, exits.PLATFORM, None, context={"country": country, "base_template": "base.html"})
