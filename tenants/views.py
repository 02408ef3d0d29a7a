"""Pages of one country (under /c/<code>/): overview, organisations, members and activity; and the
page on which an invited person chooses their password.

Every page starts from `request.country`, which tenants.middleware resolves only when the person
may see that country: anything else is a 404, whoever asks. Objects are then fetched through the
selectors, scoped to that country, so another country's id is a 404 too. Writes go to the services;
a ServiceError becomes a form error (400, nothing changed) and NotAllowed a 403."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from tenants import dashboard, onboarding, selectors, services, todo
from tenants.confirmations import confirm_with_reason
from tenants.errors import NotAllowed, ServiceError
from tenants.forms import ConfirmForm, InvitationAcceptForm, InviteForm, OrganisationForm, RoleForm
from tenants.languages.choice import read_as_invited
from tenants.models import Organisation
from tenants.pages import base_context, country_url, int_or_none, posted, request_country, require_country_admin
from tenants.record import selectors as record_selectors
from tenants.record.events import EVENTS_PER_PAGE, describe_events, keyset_page

RECENT_EVENTS = 10


# --- Helpers ---------------------------------------------------------------------------------------


# --- Overview --------------------------------------------------------------------------------------


@login_required
def country_overview(request: HttpRequest, code: str) -> HttpResponse:
    country = request_country(request)
    mine = todo.todo_facts(country, request.user, request.access.role_in(country.pk))
    tasks, counts = onboarding.task_list_and_facts(
        country, {**selectors.country_count_facts(country=country), **dashboard.chart_facts(country), **mine}
    )
    events = describe_events(
        list(record_selectors.event_list(country=country)[:RECENT_EVENTS]), country, request.access
    )
    return render(
        request,
        "tenants/country_overview.html",
        {
            **base_context(request, country),
            "organisation_count": counts["organisations"],
            "active_member_count": counts["active_members"],
            "invited_member_count": counts["invited_members"],
            "events": events,
            "tasks": tasks,
            "todo": todo.todo_list(country, {name: counts[name] for name in mine}),
            "charts": dashboard.country_charts(country, counts, tasks),
        },
    )


# --- Organisations ---------------------------------------------------------------------------------


@login_required
def organisation_list(request: HttpRequest, code: str) -> HttpResponse:
    country = request_country(request)
    return render(
        request,
        "tenants/organisation_list.html",
        {**base_context(request, country), "organisations": selectors.organisation_list(country=country)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def organisation_create(request: HttpRequest, code: str) -> HttpResponse:
    country = request_country(request)
    require_country_admin(request, country)
    open_kinds = [kind for kind in Organisation.Kind.values if services.organisation_kind_is_open(kind)]
    form = OrganisationForm(posted(request), open_kinds=open_kinds)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                organisation = services.organisation_create(
                    country=country,
                    by=request.user,
                    access=request.access,
                    name=form.cleaned_data["name"],
                    kind=form.cleaned_data["kind"],
                    acronym=form.cleaned_data["acronym"],
                )
            except NotAllowed as error:
                raise PermissionDenied(error.message) from None
            except ServiceError as error:
                form.add_service_error(error)
            else:
                messages.success(
                    request,
                    _("{organisation_name} was added to {country_name}.").format(
                        organisation_name=organisation.name, country_name=country.display_name
                    ),
                )
                return redirect(country_url("organisation", country, pk=organisation.pk))
        status = 400
    return render(
        request, "tenants/organisation_form.html", {**base_context(request, country), "form": form}, status=status
    )


@login_required
def organisation_detail(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    country = request_country(request)
    organisation = selectors.organisation_get(country=country, pk=pk)
    if organisation is None:
        raise Http404("No such organisation in this country.")
    return render(
        request,
        "tenants/organisation_detail.html",
        {
            **base_context(request, country),
            "organisation": organisation,
            "memberships": selectors.membership_list(country=country, organisation=organisation),
        },
    )


# --- Members ---------------------------------------------------------------------------------------


@login_required
def member_list(request: HttpRequest, code: str) -> HttpResponse:
    country = request_country(request)
    return render(
        request,
        "tenants/member_list.html",
        {**base_context(request, country), "memberships": selectors.membership_list(country=country)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def member_invite(request: HttpRequest, code: str) -> HttpResponse:
    country = request_country(request)
    require_country_admin(request, country)
    organisations = list(selectors.organisation_list(country=country))
    initial = {}
    wanted = int_or_none(request.GET.get("organisation"))
    if wanted is not None and any(o.pk == wanted for o in organisations):
        initial["organisation"] = wanted
    form = InviteForm(posted(request), organisations=organisations, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                membership = services.member_invite(
                    country=country,
                    by=request.user,
                    access=request.access,
                    email=data["email"],
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    organisation=data["organisation"],
                    role=data["role"],
                    job_title=data["job_title"],
                )
            except NotAllowed as error:
                raise PermissionDenied(error.message) from None
            except ServiceError as error:
                form.add_service_error(error)
            else:
                messages.success(
                    request, _("An invitation is on its way to %(email)s.") % {"email": data["email"].strip().lower()}
                )
                return redirect(country_url("member", country, pk=membership.pk))
        status = 400
    return render(
        request, "tenants/member_invite.html", {**base_context(request, country), "form": form}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def member_detail(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    country = request_country(request)
    membership = selectors.membership_get(country=country, pk=pk)
    if membership is None:
        raise Http404("No such member in this country.")
    status = 200
    if request.method == "POST":
        require_country_admin(request, country)
        form = RoleForm(request.POST)
        if form.is_valid():
            try:
                changed = services.member_change_role(
                    membership=membership, by=request.user, access=request.access, role=form.cleaned_data["role"]
                )
            except NotAllowed as error:
                raise PermissionDenied(error.message) from None
            except ServiceError as error:
                form.add_service_error(error)
            else:
                name = membership.user.get_full_name() or membership.user.username
                messages.success(
                    request,
                    _("{name} is now {changed_get_role_display}.").format(
                        name=name, changed_get_role_display=changed.get_role_display().lower()
                    ),
                )
                return redirect(country_url("member", country, pk=membership.pk))
        status = 400
    else:
        form = RoleForm(initial={"role": membership.role})
    return render(
        request,
        "tenants/member_detail.html",
        {**base_context(request, country), "membership": membership, "form": form},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def member_remove(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    country = request_country(request)
    membership = selectors.membership_get(country=country, pk=pk)
    if membership is None:
        raise Http404("No such member in this country.")
    require_country_admin(request, country)
    name = membership.user.get_full_name() or membership.user.username
    return confirm_with_reason(
        request,
        act=lambda reason: services.member_remove(
            membership=membership, by=request.user, access=request.access, reason=reason
        ),
        template="tenants/member_remove.html",
        context={**base_context(request, country), "membership": membership},
        # Someone who removes themself can no longer see the country's members.
        success_url=reverse("home") if membership.user_id == request.user.pk else country_url("members", country),
        success_message=_("{name} was removed from {country_name}.").format(
            name=name, country_name=country.display_name
        ),
    )


# --- Activity --------------------------------------------------------------------------------------


@login_required
def activity(request: HttpRequest, code: str) -> HttpResponse:
    """The country's events, newest first, 50 a page. Pages are keyed on the sequence number
    (?before= / ?after=), so a long chain costs no COUNT(*) and no OFFSET."""
    country = request_country(request)
    before, after = int_or_none(request.GET.get("before")), int_or_none(request.GET.get("after"))
    rows, has_newer, has_older = keyset_page(
        record_selectors.event_list(country=country), before=before, after=after, size=EVENTS_PER_PAGE
    )
    if not rows and (before is not None or after is not None):
        return redirect(country_url("activity", country))
    return render(
        request,
        "tenants/activity.html",
        {
            **base_context(request, country),
            "events": describe_events(rows, country, request.access),
            "older_url": f"?before={rows[-1].sequence}" if rows and has_older else "",
            "newer_url": f"?after={rows[0].sequence}" if rows and has_newer else "",
        },
    )


# --- Invitations (reached from the emailed link; no sign-in needed) --------------------------------


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = services.invitation_from_token(token)
    except services.InvitationAccepted as accepted:
        return _invitation_accepted_already(request, accepted)
    except ServiceError as error:
        return render(request, "tenants/invitation_invalid.html", {"message": error.message}, status=400)
    read_as_invited(request, invitation.membership.user, invitation.country)
    if invitation.membership.user.is_active:
        return _invitation_accept_signed_in(request, token, invitation)
    form = InvitationAcceptForm(posted(request))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                user = services.invitation_accept(
                    token=token, password=form.cleaned_data["password"], language=translation.get_language()
                )
            except ServiceError as error:
                if error.field is None:
                    return render(request, "tenants/invitation_invalid.html", {"message": error.message}, status=400)
                form.add_service_error(error)
            else:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(
                    request, _("Welcome, %(name)s. Your account is ready.") % {"name": user.first_name or user.username}
                )
                return redirect(country_url("overview", invitation.country))
        status = 400
    return render(
        request,
        "tenants/invitation_accept.html",
        {"invitation": invitation, "membership": invitation.membership, "form": form},
        status=status,
    )


def _invitation_accepted_already(request: HttpRequest, accepted) -> HttpResponse:
    """A link opened again once its invitation was accepted: when it was, and the way in (the
    country, for someone who is in it; signing in, for anyone else), never the form again."""
    country = accepted.country
    inside = request.user.is_authenticated and country.pk in request.access.member_country_ids
    return render(
        request,
        "tenants/invitation_accepted.html",
        {
            "message": accepted.message,
            "country": country,
            "country_url": country_url("overview", country) if inside else "",
            "login_url": f"{reverse('login')}?{urlencode({'next': country_url('overview', country)})}",
        },
    )


def _invitation_accept_signed_in(request: HttpRequest, token: str, invitation) -> HttpResponse:
    """An invitation to an existing account: accepted by its owner, signed in to it."""
    if not request.user.is_authenticated:
        messages.info(
            request,
            _("Sign in to your account to accept the invitation to %(country)s.")
            % {"country": invitation.country.display_name},
        )
        return redirect(f"{reverse('login')}?{urlencode({'next': request.path})}")
    if request.method == "POST":
        try:
            services.invitation_accept_signed_in(token=token, user=request.user, language=translation.get_language())
        except ServiceError as error:
            return render(request, "tenants/invitation_invalid.html", {"message": error.message}, status=400)
        messages.success(request, _("You joined %(country)s.") % {"country": invitation.country.display_name})
        return redirect(country_url("overview", invitation.country))
    if invitation.membership.user_id != request.user.pk:
        message = _("This invitation is for another account. Sign out, then open the link again.")
        return render(request, "tenants/invitation_invalid.html", {"message": message}, status=400)
    if refusal := services.invitation_acceptance_refusal(invitation):
        return render(request, "tenants/invitation_invalid.html", {"message": refusal}, status=400)
    return render(
        request,
        "tenants/invitation_confirm.html",
        {"invitation": invitation, "membership": invitation.membership, "form": ConfirmForm()},
    )
