"""The register inside a country (under /c/<code>/register/): its entries and the deployments that
may get one; drafting, publishing, withdrawing and naming; and the EU database registration pack
of a high-risk deployment, as a printable page and as JSON.

Anyone who may see the country reads these pages; officers and country admins draft, country
admins publish and withdraw. Another country's objects are a 404, a role that may not act a 403,
and a refused change a form error (400) that changes nothing."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tenants.confirmations import confirm_page
from tenants.errors import NotAllowed, ServiceError
from tenants.pages import base_context, request_country

from . import eu, selectors, services
from .forms import ENTRY_FIELDS, EntryForm, WithdrawForm
from .models import RegisterVersion


def _url(name: str, country, **kwargs) -> str:
    return reverse(f"register:{name}", kwargs={"code": country.code.lower(), **kwargs})


def _context(request: HttpRequest, country) -> dict:
    role = request.access.role_in(country.pk)
    return {
        **base_context(request, country),
        "can_draft": role in services.WRITERS,
        "is_country_admin": request.access.is_country_admin(country.pk),
        "public_url": reverse("public_register:home", kwargs={"code": country.code.lower()}),
    }


def _entry(country, pk):
    entry = selectors.entry_get(country=country, pk=pk)
    if entry is None:
        raise Http404(_("No such register entry in this country."))
    return entry


def _deployment(country, pk):
    found = selectors.request_get(country=country, pk=pk)
    if found is None:
        raise Http404(_("No such deployment in this country."))
    return found


@login_required
def home(request: HttpRequest, code: str) -> HttpResponse:
    country = request_country(request)
    entries = list(selectors.entry_list(country=country)[:500])
    for entry in entries:
        versions = list(entry.versions.all())
        entry.published = next((v for v in versions if v.status == RegisterVersion.Status.PUBLISHED), None)
        entry.draft = next((v for v in versions if v.status == RegisterVersion.Status.DRAFT), None)
    return render(
        request,
        "deployments/register/home.html",
        {
            **_context(request, country),
            "entries": entries,
            "draftable": list(selectors.draftable_requests(country=country)[:200]),
            "in_eu": country.code in eu.EU_MEMBER_STATES,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def entry_new(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """Draft the entry of a deployment (officers and country admins)."""
    country = request_country(request)
    deployment = _deployment(country, pk)
    if request.access.role_in(country.pk) not in services.WRITERS:
        raise PermissionDenied(_("Only a country admin or an officer of this country can draft register entries."))
    initial = {"language": country.default_language, "name": deployment.title, "summary": deployment.purpose}
    form = EntryForm(request.POST if request.method == "POST" else None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                entry = services.register_entry_create(
                    request=deployment, by=request.user, access=request.access, **form.texts()
                )
            except NotAllowed as error:
                raise PermissionDenied(error.message) from None
            except ServiceError as error:
                form.add_service_error(error)
            else:
                messages.success(request, _("The draft is saved. A country admin publishes it."))
                return redirect(_url("entry", country, pk=entry.pk))
        status = 400
    return render(
        request,
        "deployments/register/entry_form.html",
        {**_context(request, country), "deployment": deployment, "form": form, "fields": ENTRY_FIELDS},
        status=status,
    )


def _detail(request, country, entry, *, form=None, withdraw_form=None, status=200) -> HttpResponse:
    versions = list(entry.versions.all())
    draft = next((v for v in versions if v.status == RegisterVersion.Status.DRAFT), None)
    published = next((v for v in versions if v.status == RegisterVersion.Status.PUBLISHED), None)
    if form is None and draft is not None:
        form = EntryForm(
            initial={**draft.texts(), "language": draft.language, "change_note": draft.change_note},
            with_change_note=draft.number > 1,
        )
    return render(
        request,
        "deployments/register/entry_detail.html",
        {
            **_context(request, country),
            "entry": entry,
            "versions": versions,
            "draft": draft,
            "published": published,
            "form": form,
            "fields": ENTRY_FIELDS,
            "withdraw_form": withdraw_form or WithdrawForm(),
            "is_accountable": entry.request.owner_id == request.user.pk,
            "named": selectors.named_contact(entry) if entry.named_contact_id else "",
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def entry_detail(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """The entry, its versions and, for those who may, its draft's form (POST saves the draft)."""
    country = request_country(request)
    entry = _entry(country, pk)
    if request.method == "GET":
        return _detail(request, country, entry)
    if request.access.role_in(country.pk) not in services.WRITERS:
        raise PermissionDenied(_("Only a country admin or an officer of this country can draft register entries."))
    draft = next((v for v in entry.versions.all() if v.status == RegisterVersion.Status.DRAFT), None)
    form = EntryForm(request.POST, with_change_note=bool(draft and draft.number > 1))
    if draft is None:
        form.is_valid()
        form.add_error(None, _("This entry has no draft: start a new version first."))
        return _detail(request, country, entry, form=form, status=400)
    if form.is_valid():
        try:
            services.register_draft_save(
                version=draft,
                by=request.user,
                access=request.access,
                change_note=form.cleaned_data.get("change_note", ""),
                **form.texts(),
            )
        except ServiceError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("The draft is saved."))
            return redirect(_url("entry", country, pk=entry.pk))
    return _detail(request, country, entry, form=form, status=400)


def _act(request, country, entry, action) -> HttpResponse:
    try:
        action()
    except NotAllowed as error:
        raise PermissionDenied(error.message) from None
    except ServiceError as error:
        messages.error(request, error.message)
        return _detail(request, country, _entry(country, entry.pk), status=400)
    return redirect(_url("entry", country, pk=entry.pk))


@login_required
@require_POST
def version_new(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    country = request_country(request)
    entry = _entry(country, pk)
    return _act(
        request,
        country,
        entry,
        lambda: services.register_version_create(entry=entry, by=request.user, access=request.access),
    )


@login_required
@require_http_methods(["GET", "POST"])
def version_publish(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """Confirm, with a reason, the publication of the entry's draft in the public register."""
    country = request_country(request)
    entry = _entry(country, pk)
    draft = next((v for v in entry.versions.all() if v.status == RegisterVersion.Status.DRAFT), None)
    if not request.access.is_country_admin(country.pk):
        raise PermissionDenied(_("Only a country admin of this country can publish to the register."))
    if draft is None:
        messages.error(request, _("There is no draft to publish."))
        return _detail(request, country, entry, status=400)
    back = _url("entry", country, pk=entry.pk)
    return confirm_page(
        request,
        country,
        act=lambda reason: services.register_version_publish(
            version=draft, by=request.user, access=request.access, reason=reason
        ),
        back=back,
        caption=_("Register entry"),
        heading=_("Publish version {number} of “{name}” in the public register?").format(
            number=draft.number, name=draft.name
        ),
        warning=_(
            "Anyone can read it at once, without signing in, and a published version stays in the entry's public "
            "history. The reason is kept on the country's record, not published."
        ),
        button=_("Yes, publish it"),
        success_message=_("Published: the entry is now in the public register."),
        details=[(_("Deployment"), entry.request.title), (_("Language"), draft.language)],
    )


@login_required
@require_POST
def entry_withdraw(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    country = request_country(request)
    entry = _entry(country, pk)
    if not request.access.is_country_admin(country.pk):
        raise PermissionDenied(_("Only a country admin of this country can withdraw a register entry."))
    form = WithdrawForm(request.POST)
    form.is_valid()
    try:
        services.register_entry_withdraw(
            entry=entry, by=request.user, access=request.access, reason=form.cleaned_data.get("reason", "")
        )
    except ServiceError as error:
        form.add_service_error(error)
        return _detail(request, country, entry, withdraw_form=form, status=400)
    messages.success(request, _("Withdrawn: the public now sees the reason in place of the entry."))
    return redirect(_url("entry", country, pk=entry.pk))


@login_required
@require_POST
def entry_contact(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """The accountable person chooses to be named, or not."""
    country = request_country(request)
    entry = _entry(country, pk)
    named = request.POST.get("named") == "yes"

    def name():
        services.register_contact_name(entry=entry, by=request.user, access=request.access, named=named)
        messages.success(
            request, _("Your name is shown with this entry.") if named else _("No name is shown with this entry.")
        )

    return _act(request, country, entry, name)


# --- The EU database registration pack ---------------------------------------------------------------


def _pack(request: HttpRequest):
    country = request_country(request)
    deployment = _deployment(country, request.resolver_match.kwargs["pk"])
    if not eu.applies(country=country, request=deployment):
        raise Http404(_("An EU registration pack is made for the high-risk deployments of EU member states only."))
    return country, deployment, eu.pack(country=country, request=deployment)


@login_required
def eu_pack_page(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    country, deployment, pack = _pack(request)
    return render(
        request,
        "deployments/register/eu_pack.html",
        {**_context(request, country), "deployment": deployment, "pack": pack},
    )


@login_required
def eu_pack_json(request: HttpRequest, code: str, pk: int) -> JsonResponse:
    country, deployment, pack = _pack(request)
    response = JsonResponse(pack, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = (
        f'attachment; filename="{country.code.lower()}-eu-registration-{deployment.pk}.json"'
    )
    return response
