"""Pages of a country's deployments (under /c/<code>/deployments/): requests and environments;
drafting a request; a request with its gates, decisions, actions and live provisioning progress;
an environment with its credential (shown once), rotation and usage.

Another country's objects are a 404; a same-country person without the role gets a 403; a
ServiceError becomes a form error (400) and nothing changes."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods, require_POST

from tenants.conversations import pages as conversation_pages
from tenants.forms import ReasonForm
from tenants.pages import base_context, request_country

from . import environments, gates, selectors, services, upstreams, usage
from .api import progress
from .forms import ActionForm, CaptureForm, RequestForm, UpstreamForm, UsageForm
from .models import CountryUpstream
from .register import eu as register_eu
from .register import selectors as register_selectors

DRAFTERS = services.DRAFTERS
MOVE_LABELS = {"calls_stopped": _lazy("Calls stopped (kill switch)"), "calls_resumed": _lazy("Calls allowed again")}


def _request(country, pk: int):
    found = selectors.request_get(country=country, pk=pk)
    if found is None:
        raise Http404("No such deployment request in this country.")
    return found


def _environment(country, pk: int):
    found = selectors.environment_get(country=country, pk=pk)
    if found is None:
        raise Http404("No such environment in this country.")
    return found


@login_required
def home(request: HttpRequest, code: str) -> HttpResponse:
    country = request_country(request)
    return render(
        request,
        "deployments/home.html",
        {
            **base_context(request, country),
            "requests": list(selectors.request_list(country=country)[:200]),
            "environments": list(selectors.environment_list(country=country)[:200]),
            "can_request": request.access.role_in(country.pk) in DRAFTERS,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def request_new(request: HttpRequest, code: str) -> HttpResponse:
    country = request_country(request)
    if request.access.role_in(country.pk) not in DRAFTERS:
        raise PermissionDenied(_("Only a country admin or officer can request a deployment."))
    form = RequestForm(
        request.POST if request.method == "POST" else None,
        country=country,
        access=request.access,
        initial=RequestForm.initial_for(country=country, access=request.access, user=request.user),
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                created = services.deployment_request_create(
                    country=country, by=request.user, access=request.access, **form.service_fields()
                )
            except services.ServiceError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                messages.success(request, _("Draft saved. Check the list below, then submit it for review."))
                return redirect("deployments:detail", code=country.code.lower(), pk=created.pk)
        status = 400
    return render(
        request, "deployments/request_form.html", {**base_context(request, country), "form": form}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def request_edit(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """Change a draft, or a request returned with changes requested."""
    country = request_country(request)
    found = _request(country, pk)
    if request.access.role_in(country.pk) not in DRAFTERS:
        raise PermissionDenied(_("Only a country admin or officer can change a deployment request."))
    if found.state not in services.EDITABLE:
        raise Http404(_("Only a draft, or a request returned with changes requested, can be changed."))
    form = RequestForm(
        request.POST if request.method == "POST" else None,
        country=country,
        access=request.access,
        initial=RequestForm.initial_from(found),
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.deployment_request_update(
                    request=found, by=request.user, access=request.access, **form.service_fields()
                )
            except services.ServiceError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                messages.success(request, _("Changes saved."))
                return redirect("deployments:detail", code=country.code.lower(), pk=found.pk)
        status = 400
    return render(
        request,
        "deployments/request_form.html",
        {**base_context(request, country), "form": form, "item": found},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def request_delete(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """Delete a draft, after a confirmation page."""
    country = request_country(request)
    found = _request(country, pk)
    if request.access.role_in(country.pk) not in DRAFTERS:
        raise PermissionDenied(_("Only a country admin or officer can delete a deployment request."))
    error = ""
    if request.method == "POST":
        try:
            services.deployment_request_delete(request=found, by=request.user, access=request.access)
        except services.ServiceError as failure:
            error = failure.message
        else:
            messages.success(request, _("The draft “%(title)s” is deleted.") % {"title": found.title})
            return redirect("deployments:home", code=country.code.lower())
    return render(
        request,
        "deployments/request_delete.html",
        {**base_context(request, country), "item": found, "error": error},
        status=400 if error else 200,
    )


def _conversation(request: HttpRequest, country, found, *, form=None) -> dict:
    code = country.code.lower()
    return conversation_pages.conversation_context(
        request,
        selectors.conversation_subject(request=found),
        post_url=reverse("deployments:message", kwargs={"code": code, "pk": found.pk}),
        attachment_url=lambda attachment: reverse(
            "deployments:attachment", kwargs={"code": code, "pk": found.pk, "attachment": attachment}
        ),
        form=form,
    )


def _detail(
    request: HttpRequest, country, found, *, form=None, failed_action: str = "", message_form=None, status: int = 200
):
    job = selectors.job_latest(request=found)
    environment = (
        getattr(found, "environment", None) if found.state in ("active", "suspended", "decommissioned") else None
    )
    actions = services.actions_for(request=found, access=request.access)
    checked = gates.gates_check(country=country, request=found)
    ready = not gates.gates_failing(checked)
    if "submit" in actions and not ready:
        actions.remove("submit")
    can_draft = request.access.role_in(country.pk) in DRAFTERS
    return render(
        request,
        "deployments/request_detail.html",
        {
            **base_context(request, country),
            "item": found,
            "gates": [
                (gate, None if gate.ok else gates.gate_fix(country=country, request=found, gate=gate))
                for gate in checked
            ],
            "gates_ready": ready,
            "can_edit": can_draft and found.state in services.EDITABLE,
            "can_delete": can_draft and found.state == services.S.DRAFT and found.review_round == 0,
            "confirmed_actions": services.CONFIRMED,
            "decisions": list(selectors.decision_list(request=found)),
            "moves": [
                (
                    move,
                    MOVE_LABELS.get(move.action) or services.TRANSITIONS[move.action].label,
                    services.S(move.to_state).label,
                )
                for move in selectors.move_list(request=found)
            ],
            "actions": [(a, services.TRANSITIONS[a].label) for a in actions],
            "can_approve": "approve" in actions,
            "form": form or ActionForm(),
            "failed_action": failed_action,
            "job": job,
            "progress": progress(job),
            "environment": environment,
            "approvals_needed": services.approvals_needed(found),
            "register_entry": register_selectors.entry_for_request(request=found),
            "eu_pack": register_eu.applies(country=country, request=found),
            **_conversation(request, country, found, form=message_form),
        },
        status=status,
    )


@login_required
def request_detail(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    country = request_country(request)
    return _detail(request, country, _request(country, pk))


@login_required
@require_POST
def request_message(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """Write in the request's conversation (tenants.conversations)."""
    country = request_country(request)
    found = _request(country, pk)
    return conversation_pages.message_post(
        request,
        selectors.conversation_subject(request=found),
        page=lambda form: _detail(request, country, found, message_form=form),
    )


@login_required
def request_attachment(request: HttpRequest, code: str, pk: int, attachment: int) -> HttpResponse:
    """A file attached to a message of the request's conversation, after the same access check."""
    country = request_country(request)
    found = _request(country, pk)
    return conversation_pages.attachment_download(request, selectors.conversation_subject(request=found), attachment)


@login_required
def request_progress(request: HttpRequest, code: str, pk: int) -> JsonResponse:
    """What the page's progress bar polls while a job runs."""
    country = request_country(request)
    found = _request(country, pk)
    return JsonResponse(
        {
            "state": found.state,
            "state_label": found.get_state_display(),
            "provisioning": progress(selectors.job_latest(request=found)),
        }
    )


def _confirm(request: HttpRequest, country, found, action: str, *, form=None, status: int = 200) -> HttpResponse:
    return render(
        request,
        "deployments/request_confirm.html",
        {
            **base_context(request, country),
            "item": found,
            "action": action,
            "label": services.TRANSITIONS[action].label,
            "form": form or ActionForm(),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def request_action(request: HttpRequest, code: str, pk: int, action: str) -> HttpResponse:
    """A move of the request. The moves that end or stop something ask first, on a page of their
    own (GET), with a required reason; the others are posted from the request's page."""
    country = request_country(request)
    found = _request(country, pk)
    action = action.replace("-", "_")
    if action not in services.PERSON_ACTIONS:
        raise Http404("No such action.")
    move = services.TRANSITIONS[action]
    if request.access.role_in(country.pk) not in move.roles:
        raise PermissionDenied(
            _("Your role does not allow you to {move_label} this request.").format(move_label=move.label.lower())
        )
    if request.method == "GET":
        if action not in services.CONFIRMED:
            return HttpResponseNotAllowed(["POST"])
        if action not in services.actions_for(request=found, access=request.access):
            raise Http404(_("There is nothing to confirm here."))
        return _confirm(request, country, found, action)
    form = ActionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        extra = (
            {
                "quota_tokens": data["quota_tokens"],
                "expires_on": data["expires_on"],
                "human_review_required": data["human_review_required"],
            }
            if action == "approve"
            else {}
        )
        try:
            services.deployment_request_transition(
                request=found, action=action, by=request.user, access=request.access, comment=data["comment"], **extra
            )
        except services.NotAllowed as error:
            raise PermissionDenied(error.message) from None
        except services.ServiceError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("Done: {move_label}.").format(move_label=move.label.lower()))
            return redirect("deployments:detail", code=country.code.lower(), pk=found.pk)
    if action in services.CONFIRMED:
        return _confirm(request, country, _request(country, pk), action, form=form, status=400)
    return _detail(request, country, _request(country, pk), form=form, failed_action=action, status=400)


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
            error="No new credential is waiting for you: a secret is shown only once. "
            "Rotate the credential to get a new one.",
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
    form = ReasonForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                environments.credential_rotate(
                    environment=environment, by=request.user, access=request.access, reason=form.cleaned_data["comment"]
                )
            except services.ServiceError as error:
                form.add_service_error(error)
            else:
                messages.success(
                    request,
                    _("A new credential is ready: show it once and store it safely. The old one no longer works."),
                )
                return redirect("deployments:environment", code=country.code.lower(), pk=environment.pk)
        status = 400
    back = reverse("deployments:environment", kwargs={"code": country.code.lower(), "pk": environment.pk})
    return _confirm_page(
        request,
        country,
        form=form,
        status=status,
        back=back,
        caption=environment.name,
        heading=_("Rotate the credential of “{name}”?").format(name=environment.name),
        warning=_(
            "The current credential stops working at once: every application using it is refused until it is "
            "given the new one, which is shown once."
        ),
        button=_("Yes, rotate the credential"),
    )


def _confirm_page(request, country, *, form, status, back, caption, heading, warning, button) -> HttpResponse:
    """The confirmation of an action that revokes or removes something (includes/confirm_reason.html)."""
    return render(
        request,
        "deployments/confirm_reason_page.html",
        {
            **base_context(request, country),
            "form": form,
            "back": back,
            "caption": caption,
            "heading": heading,
            "warning": warning,
            "button": button,
        },
        status=status,
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
    form = ReasonForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                upstreams.country_upstream_remove(
                    upstream=found, by=request.user, access=request.access, reason=form.cleaned_data["comment"]
                )
            except services.ServiceError as error:
                form.add_service_error(error)
            else:
                messages.success(request, _("Removed. That region's calls go to the platform's upstream again."))
                return redirect("deployments:upstreams", code=country.code.lower())
        status = 400
    return _confirm_page(
        request,
        country,
        form=form,
        status=status,
        back=reverse("deployments:upstreams", kwargs={"code": country.code.lower()}),
        caption=_("Model servers"),
        heading=_("Remove the model server “{name}”?").format(name=found.name),
        warning=_("Calls of its region go to the platform's upstream again at once, and its stored key is deleted."),
        button=_("Yes, remove the server"),
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
