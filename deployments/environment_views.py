"""Pages of a country's environments and model servers (under /c/<code>/deployments/): an
environment with its credential (shown once), rotation, usage, the kill switch and what it
captures; the country's own model servers per region.

Another country's objects are a 404; a same-country person without the role gets a 403; a
ServiceError becomes a form error (400) and nothing changes."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tenants.confirmations import confirm_page
from tenants.pages import base_context, request_country

from . import environments, selectors, services, upstreams, usage
from .forms import CaptureForm, UpstreamForm, UsageForm
from .models import CountryUpstream


def _environment(country, pk: int):
    found = selectors.environment_get(country=country, pk=pk)
    if found is None:
        raise Http404("No such environment in this country.")
    return found


def _environment_page(
    request,
    country,
    environment,
    *,
    secret=None,
    usage_form=None,
    capture_form=None,
    error="",
    error_field="",
    status=200,
):
    return render(
        request,
        "deployments/environment_detail.html",
        {
            **base_context(request, country),
            "environment": environment,
            "secret": secret,
            "reveal_pending": secret is None
            and environments.reveal_pending(environment=environment, user=request.user),
            "can_write": request.access.can_write(country.pk),
            "can_switch": request.access.role_in(country.pk) in environments.SWITCHERS,
            "capture_form": capture_form
            or CaptureForm(
                initial={"enabled": environment.capture_calls, "retention_days": environment.capture_retention_days}
            ),
            "usage": usage.usage_summary(environment=environment),
            "usage_form": usage_form or UsageForm(),
            "error": error,
            "error_field": error_field,
        },
        status=status,
    )


@login_required
def environment_detail(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    country = request_country(request)
    return _environment_page(request, country, _environment(country, pk))


@login_required
@require_POST
def environment_reveal(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    country = request_country(request)
    environment = _environment(country, pk)
    shown = environments.credential_reveal(environment=environment, user=request.user)
    if shown is None:
        return _environment_page(
            request,
            country,
            environment,
            status=400,
            error=_(
                "No new credential is waiting for you: a secret is shown only once. "
                "Rotate the credential to get a new one."
            ),
        )
    response = _environment_page(request, country, _environment(country, pk), secret=shown[1])
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def environment_rotate(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """Confirm, with a reason, the rotation of an environment's credential: the old one stops
    working at once for every application using it. A POST without a reason rotates nothing."""
    country = request_country(request)
    environment = _environment(country, pk)
    if not request.access.can_write(country.pk):
        raise PermissionDenied(_("Only a country admin or officer can rotate a credential."))
    back = reverse("deployments:environment", kwargs={"code": country.code.lower(), "pk": environment.pk})
    return confirm_page(
        request,
        country,
        act=lambda reason: environments.credential_rotate(
            environment=environment, by=request.user, access=request.access, reason=reason
        ),
        back=back,
        caption=environment.name,
        heading=_("Rotate the credential of “{name}”?").format(name=environment.name),
        warning=_(
            "The current credential stops working at once: every application using it is refused until it is "
            "given the new one, which is shown once."
        ),
        button=_("Yes, rotate the credential"),
        success_message=_("A new credential is ready: show it once and store it safely. The old one no longer works."),
    )


@login_required
@require_POST
def environment_usage(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    country = request_country(request)
    environment = _environment(country, pk)
    if not request.access.can_write(country.pk):
        raise PermissionDenied(_("Only a country admin or officer can report usage."))
    form = UsageForm(request.POST)
    if form.is_valid():
        try:
            environments.usage_report(
                environment=environment, by=request.user, access=request.access, tokens=form.cleaned_data["tokens"]
            )
        except services.ServiceError as error:
            form.add_error("tokens" if error.field == "tokens" else None, error.message)
        else:
            messages.success(request, _("Usage recorded."))
            return redirect("deployments:environment", code=country.code.lower(), pk=environment.pk)
    return _environment_page(request, country, environment, usage_form=form, status=400)


@login_required
@require_POST
def environment_calls(request: HttpRequest, code: str, pk: int, action: str) -> HttpResponse:
    """The kill switch: stop every call of the environment through the gateway, or resume them."""
    country = request_country(request)
    environment = _environment(country, pk)
    if action not in ("stop", "resume"):
        raise Http404("No such action.")
    if request.access.role_in(country.pk) not in environments.SWITCHERS:
        raise PermissionDenied(_("Only a country admin or the partner manager can stop or resume calls."))
    try:
        environments.environment_gateway_switch(
            environment=environment,
            stop=action == "stop",
            by=request.user,
            access=request.access,
            reason=request.POST.get("reason", "")[:2001],
        )
    except services.ServiceError as error:
        return _environment_page(
            request, country, environment, error=error.message, error_field=error.field or "", status=400
        )
    messages.success(
        request,
        _("Calls are stopped: every replica of the gateway refuses them within a second.")
        if action == "stop"
        else _("Calls are allowed again."),
    )
    return redirect("deployments:environment", code=country.code.lower(), pk=environment.pk)


@login_required
@require_http_methods(["GET", "POST"])
def upstream_list(request: HttpRequest, code: str) -> HttpResponse:
    """The country's own model servers, by region; a country admin declares or replaces one."""
    country = request_country(request)
    is_admin = request.access.is_country_admin(country.pk)
    form = UpstreamForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if not is_admin:
            raise PermissionDenied(_("Only a country admin can change the country's model servers."))
        if form.is_valid():
            try:
                upstreams.country_upstream_set(
                    country=country, by=request.user, access=request.access, **form.cleaned_data
                )
            except services.ServiceError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                messages.success(request, _("Saved. The gateway sends that region's calls to this server from now on."))
                return redirect("deployments:upstreams", code=country.code.lower())
        status = 400
    return render(
        request,
        "deployments/upstreams.html",
        {
            **base_context(request, country),
            "upstreams": list(CountryUpstream.objects.filter(country=country).defer("api_key")),
            "form": form,
            "is_admin": is_admin,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def upstream_remove(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """Confirm, with a reason, the removal of one of the country's model servers."""
    country = request_country(request)
    found = CountryUpstream.objects.filter(country=country, pk=pk).defer("api_key").first()
    if found is None:
        raise Http404("No such model server in this country.")
    if not request.access.is_country_admin(country.pk):
        raise PermissionDenied(_("Only a country admin can change the country's model servers."))
    back = reverse("deployments:upstreams", kwargs={"code": country.code.lower()})
    return confirm_page(
        request,
        country,
        act=lambda reason: upstreams.country_upstream_remove(
            upstream=found, by=request.user, access=request.access, reason=reason
        ),
        back=back,
        caption=_("Model servers"),
        heading=_("Remove the model server “{name}”?").format(name=found.name),
        warning=_("Calls of its region go to the platform's upstream again at once, and its stored key is deleted."),
        button=_("Yes, remove the server"),
        success_message=_("Removed. That region's calls go to the platform's upstream again."),
    )


@login_required
@require_POST
def environment_capture(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """Whether the gateway stores the environment's prompts and outputs, and for how long."""
    country = request_country(request)
    environment = _environment(country, pk)
    if not request.access.is_country_admin(country.pk):
        raise PermissionDenied(_("Only a country admin decides whether prompts and outputs are stored."))
    form = CaptureForm(request.POST)
    if form.is_valid():
        try:
            environments.environment_capture_set(
                environment=environment,
                enabled=form.cleaned_data["enabled"],
                retention_days=form.cleaned_data["retention_days"],
                by=request.user,
                access=request.access,
            )
        except services.ServiceError as error:
            form.add_error("retention_days" if error.field == "retention_days" else None, error.message)
        else:
            messages.success(request, _("Saved: the gateway applies it within a second."))
            return redirect("deployments:environment", code=country.code.lower(), pk=environment.pk)
    return _environment_page(request, country, environment, capture_form=form, status=400)
