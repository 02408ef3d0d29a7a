"""Pages of a country's deployments (under /c/<code>/deployments/): requests and environments;
drafting a request; a request with its gates, decisions, actions, conversation and live
provisioning progress. An environment's own pages and the model servers are in
environment_views.py.

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
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from tenants.access import PARTNER_MANAGER
from tenants.conversations import pages as conversation_pages
from tenants.conversations import selectors as conversation_selectors
from tenants.pages import base_context, request_country

from . import approvals, gates, retries, selectors, services
from .api import progress
from .forms import ActionForm, RequestForm
from .models import MAX_REQUESTS_PER_MINUTE
from .register import eu as register_eu

DRAFTERS = services.DRAFTERS
MOVE_LABELS = {
    "calls_stopped": gettext_lazy("Calls stopped (kill switch)"),
    "calls_resumed": gettext_lazy("Calls allowed again"),
}

# What the flash message says after each move a person makes, as a sentence of its own.
MOVE_OUTCOMES = {
    "submit": gettext_lazy("The request was submitted for review."),
    "withdraw": gettext_lazy("The request was withdrawn from review: it is a draft again."),
    "start_review": gettext_lazy("You started the review of this request."),
    "approve": gettext_lazy("Your approval of this request is recorded."),
    "reject": gettext_lazy("The request was rejected."),
    "request_changes": gettext_lazy("Changes were requested: the request is back with its authors."),
    "suspend": gettext_lazy("The deployment was suspended."),
    "reinstate": gettext_lazy("The deployment was reinstated."),
    "decommission": gettext_lazy("The deployment was decommissioned."),
}


def _request(country, pk: int):
    found = selectors.request_for_page(country=country, pk=pk)
    if found is None:
        raise Http404("No such deployment request in this country.")
    return found


@login_required
def home(request: HttpRequest, code: str) -> HttpResponse:
    country = request_country(request)
    return render(
        request,
        "deployments/home.html",
        {
            **base_context(request, country),
            "requests": list(selectors.request_list_for_reader(country=country, reader=request.user)[:200]),
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
        request.POST if request.method == "POST" else None, country=country, access=request.access, user=request.user
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
    kept = conversation_selectors.conversation_has_messages(subject=selectors.conversation_subject(request=found))
    return render(
        request,
        "deployments/request_delete.html",
        {
            **base_context(request, country),
            "item": found,
            "error": error,
            "delete_refused": str(services.DELETE_REFUSED_CONVERSATION) if kept else "",
        },
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
    request: HttpRequest,
    country,
    found,
    *,
    form=None,
    failed_action: str = "",
    gates_refused: bool = False,
    message_form=None,
    status: int = 200,
):
    job = selectors.job_latest(request=found)
    environment = (
        getattr(found, "environment", None) if found.state in ("active", "suspended", "decommissioned") else None
    )
    actions = services.actions_for(request=found, access=request.access)
    checked = gates.gates_check(country=country, request=found)
    ready = not gates.gates_failing(checked)
    if not ready:  # a move the service refuses while a check fails is not offered
        actions = [a for a in actions if a not in services.GATED]
    can_draft = request.access.role_in(country.pk) in DRAFTERS
    conversation = _conversation(request, country, found, form=message_form)
    # A draft someone has written about stays, with its conversation (services.deployment_request_delete).
    deletable = can_draft and found.state == services.S.DRAFT and found.review_round == 0
    kept = deletable and bool(conversation["conversation"]["messages"])
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
            "can_delete": deletable and not kept,
            "delete_refused": str(services.DELETE_REFUSED_CONVERSATION) if kept else "",
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
            "gates_refused": gates_refused,
            "job": job,
            "progress": progress(job),
            "can_retry": retries.retry_allowed(request=found, access=request.access, job=job),
            "environment": environment,
            "approvals_needed": approvals.approvals_needed(found),
            # The rate the approver sees, and keeps or changes: the last approval's, else the default.
            "approved_rate": approvals.approved_rate(found),
            "most_per_minute": MAX_REQUESTS_PER_MINUTE,
            # A partner manager who gave the first of two approvals is told so, not offered it again.
            "my_approval": selectors.reader_approval(request=found, reader=request.user)
            if request.access.role_in(country.pk) == PARTNER_MANAGER
            else None,
            "register_entry": getattr(found, "register_entry", None),  # read with it (request_for_page)
            "eu_pack": register_eu.applies(
                country=country, request=found, assessment=next(g.read for g in checked if g.name == "assessment")
            ),
            **conversation,
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
    gates_refused = False
    if form.is_valid():
        data = form.cleaned_data
        extra = (
            {
                "quota_tokens": data["quota_tokens"],
                "expires_on": data["expires_on"],
                "human_review_required": data["human_review_required"],
                "requests_per_minute": data["requests_per_minute"],
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
            gates_refused = error.field == "gates"
        else:
            messages.success(request, MOVE_OUTCOMES[action])
            return redirect("deployments:detail", code=country.code.lower(), pk=found.pk)
    if action in services.CONFIRMED:
        return _confirm(request, country, _request(country, pk), action, form=form, status=400)
    return _detail(
        request,
        country,
        _request(country, pk),
        form=form,
        failed_action=action,
        gates_refused=gates_refused,
        status=400,
    )


@login_required
@require_POST
def request_retry(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """Try the request's stopped job again (its admin or partner manager), from the request's page."""
    country = request_country(request)
    found = _request(country, pk)
    try:
        retries.job_retry(request=found, by=request.user, access=request.access)
    except services.NotAllowed as error:
        raise PermissionDenied(error.message) from None
    except services.ServiceError as error:
        messages.error(request, error.message)
        return _detail(request, country, _request(country, pk), status=400)
    messages.success(request, _("The job starts again from its first step. This page shows its progress."))
    return redirect("deployments:detail", code=country.code.lower(), pk=found.pk)
