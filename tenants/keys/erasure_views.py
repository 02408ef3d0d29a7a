"""The pages of a person's erasure, for the country's admins (other members 403, everyone else
404): /c/<code>/members/<pk>/erasure/ asks for it, or confirms one asked by another admin (four
eyes), and …/erasure/cancel/ cancels one, with a reason; /c/<code>/data/erasures/<pk>/ shows what
was erased and the certificate, which /c/<code>/data/erasures/<pk>/certificate/ hands over as a
signed JSON document."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from tenants import selectors
from tenants.confirmations import confirm_page
from tenants.errors import NotAllowed, ServiceError
from tenants.isolation import country_context, reading_context
from tenants.keys import erasure as erasures
from tenants.keys.exit_views import admin_country
from tenants.keys.forms import ErasureConfirmForm, ErasureRequestForm
from tenants.keys.models import MemberErasure
from tenants.models import Membership
from tenants.pages import base_context


def _pending(country, membership: Membership) -> MemberErasure | None:
    with reading_context(country):
        pending = (
            MemberErasure.objects.filter(subject_id=membership.user_id, state=MemberErasure.State.REQUESTED)
            .select_related("requested_by", "country")
            .first()
        )
    return erasures.erasure_reason(pending) if pending is not None else None


@login_required
@require_http_methods(["GET", "POST"])
def member_erasure(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    country = admin_country(request)
    membership = selectors.membership_get(country=country, pk=pk)
    if membership is None:
        raise Http404(_("No such member in this country."))
    pending = _pending(country, membership)
    request_form = ErasureRequestForm(request.POST if request.method == "POST" and not pending else None)
    confirm_form = ErasureConfirmForm(request.POST if request.method == "POST" and pending else None)
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "request" and pending is None and request_form.is_valid():
                erasures.member_erasure_request(
                    membership=membership,
                    by=request.user,
                    access=request.access,
                    reason=request_form.cleaned_data["reason"],
                )
                messages.success(request, _("The erasure was asked for. A second country admin must confirm it."))
                return redirect(request.path)
            if action == "confirm" and pending is not None and confirm_form.is_valid():
                done = erasures.member_erasure_confirm(erasure=pending, by=request.user, access=request.access)
                messages.success(
                    request, _("The person's data was erased. They are now named %(p)s.") % {"p": done.pseudonym}
                )
                return redirect(reverse("tenants:data_erasure", kwargs={"code": country.code.lower(), "pk": done.pk}))
            if action not in ("request", "confirm"):  # cancelling has its page (member_erasure_cancel)
                shown = confirm_form if pending else request_form
                shown.is_valid()  # checked, so that the refusal can be added to it
                shown.add_error(None, _("Choose what to do: ask for the erasure, confirm it or cancel it."))
        except NotAllowed as error:
            raise PermissionDenied(error.message) from None
        except ServiceError as error:
            (confirm_form if pending else request_form).add_service_error(error)
        status = 400
    return render(
        request,
        "tenants/member_erasure.html",
        {
            **base_context(request, country),
            "membership": membership,
            "pending": pending,
            "request_form": request_form,
            "confirm_form": confirm_form,
            "can_confirm": pending is not None and request.user.pk not in (pending.requested_by_id, pending.subject_id),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def member_erasure_cancel(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """Confirm, with a reason, the cancelling of an erasure that waits for its second admin."""
    country = admin_country(request)
    membership = selectors.membership_get(country=country, pk=pk)
    pending = _pending(country, membership) if membership is not None else None
    if pending is None:
        raise Http404(_("No erasure of this person waits for a confirmation."))
    back = reverse("tenants:member_erasure", kwargs={"code": country.code.lower(), "pk": membership.pk})
    name = membership.display_name or membership.display_email
    return confirm_page(
        request,
        country,
        act=lambda reason: erasures.member_erasure_cancel(
            erasure=pending, by=request.user, access=request.access, reason=reason
        ),
        back=back,
        caption=_("Erasure of {name}").format(name=name),
        heading=_("Cancel the erasure of {name}?").format(name=name),
        warning=_(
            "Nothing is erased. Erasing this person later takes a new request and a second admin's confirmation."
        ),
        button=_("Yes, cancel the erasure"),
        success_message=_("The erasure was cancelled. Nothing was erased."),
        details=[(_("Asked for by"), _person_name(pending.requested_by))],
    )


def _person_name(user) -> str:
    return (user.get_full_name() or user.username) if user is not None else ""


def _done(request: HttpRequest, pk: int):
    country = admin_country(request)
    with country_context(country):
        erasure = erasures.erasure_get(country=country, pk=pk)
    if erasure is None or erasure.state != MemberErasure.State.DONE:
        raise Http404(_("No finished erasure of this country has this number."))
    return country, erasure


@login_required
@require_GET
def data_erasure(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    country, erasure = _done(request, pk)
    return render(
        request,
        "tenants/erasure_detail.html",
        {
            **base_context(request, country),
            "erasure": erasure,
            "certificate": json.dumps(json.loads(erasure.certificate), indent=2, ensure_ascii=False),
        },
    )


@login_required
@require_GET
def data_erasure_certificate(request: HttpRequest, code: str, pk: int) -> JsonResponse:
    """The certificate as a document to hand over: check it with verify_certificate() or any
    Ed25519 tool, against /.well-known/ledger-key.pem, over the exact text of "certificate"."""
    country, erasure = _done(request, pk)
    response = JsonResponse(
        {
            "certificate": erasure.certificate,
            "signature": erasure.certificate_signature,
            "key_id": erasure_key(erasure),
        },
        json_dumps_params={"ensure_ascii": False, "indent": 2},
    )
    response["Content-Disposition"] = f'attachment; filename="{country.code.lower()}-{erasure.pseudonym}-erasure.json"'
    return response


def erasure_key(erasure: MemberErasure) -> str:
    return json.loads(erasure.certificate).get("key_id", "")
