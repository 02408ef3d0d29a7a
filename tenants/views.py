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
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from . import onboarding, selectors, services
from .access import AUDITOR, PARTNER_MANAGER
from .forms import ConfirmForm, InvitationAcceptForm, InviteForm, OrganisationForm, RoleForm
from .models import Country, CountryEvent, Membership, Organisation
from .services import NotAllowed, ServiceError

ROLE_LABELS = {
    **dict(Membership.Role.choices),
    PARTNER_MANAGER: "Partner manager",
    AUDITOR: "Auditor",
}
ACTION_LABELS = {
    "organisation.created": "Organisation added",
    "member.invited": "Person invited",
    "member.added": "Person added",
    "member.joined": "Invitation accepted",
    "member.role_changed": "Role changed",
    "member.removed": "Person removed",
}
EVENTS_PER_PAGE = 50
RECENT_EVENTS = 10


# --- Helpers ---------------------------------------------------------------------------------------

def _country(request: HttpRequest) -> Country:
    """The country of the URL, already checked by the middleware against what this person may see."""
    country = getattr(request, "country", None)
    if country is None:
        raise Http404("No country with this code is visible to you.")
    return country


def _require_country_admin(request: HttpRequest, country: Country) -> None:
    if not request.access.is_country_admin(country.pk):
        raise PermissionDenied("Only a country admin of this country can do this.")


def _url(name: str, country: Country, **kwargs) -> str:
    return reverse(f"tenants:{name}", kwargs={"code": country.code.lower(), **kwargs})


def _base_context(request: HttpRequest, country: Country) -> dict:
    role = request.access.role_in(country.pk)
    return {
        "country": country,
        "code": country.code.lower(),
        "your_role": role,
        "your_role_label": ROLE_LABELS.get(role or "", ""),
        "is_country_admin": role == Membership.Role.COUNTRY_ADMIN,
    }


def _humanise_action(action: str) -> str:
    return ACTION_LABELS.get(action) or action.replace(".", " ").replace("_", " ").capitalize()


def describe_events(events: list[CountryEvent], country: Country) -> list[CountryEvent]:
    """Give each event a label, a readable target and a short detail, with one query per kind of
    target (not one per row)."""
    org_ids = {int(e.target_id) for e in events if e.target_type == "tenants.organisation" and e.target_id.isdigit()}
    member_ids = {int(e.target_id) for e in events if e.target_type == "tenants.membership" and e.target_id.isdigit()}
    organisations = {}
    if org_ids:
        organisations = {o.pk: o for o in selectors.organisation_list(country=country).filter(pk__in=org_ids)}
    members = {}
    if member_ids:
        members = {m.pk: m for m in selectors.membership_list(country=country).filter(pk__in=member_ids)}
    for event in events:
        event.label = _humanise_action(event.action)
        event.actor_role_label = ROLE_LABELS.get(event.actor_role, event.actor_role.replace("_", " "))
        event.target_label, event.target_url = "", ""
        if event.target_type == "tenants.organisation" and event.target_id.isdigit():
            organisation = organisations.get(int(event.target_id))
            if organisation is not None:
                event.target_label = organisation.name
                event.target_url = _url("organisation", country, pk=organisation.pk)
            else:
                event.target_label = f"Organisation {event.target_id} (no longer exists)"
        elif event.target_type == "tenants.membership" and event.target_id.isdigit():
            membership = members.get(int(event.target_id))
            if membership is not None:
                event.target_label = membership.user.get_full_name() or membership.user.username
                event.target_url = _url("member", country, pk=membership.pk)
            else:
                event.target_label = f"Membership {event.target_id} (removed)"
        elif event.target_type:
            event.target_label = f"{event.target_type.split('.')[-1].replace('_', ' ').capitalize()} {event.target_id}"
        payload = event.payload or {}
        if event.action == "member.role_changed":
            event.detail = (f"From {ROLE_LABELS.get(payload.get('from'), payload.get('from'))} "
                            f"to {ROLE_LABELS.get(payload.get('to'), payload.get('to'))}")
        elif "role" in payload and len(payload) <= 2:
            event.detail = f"As {ROLE_LABELS.get(payload['role'], payload['role']).lower()}"
        elif "kind" in payload:
            event.detail = dict(Organisation.Kind.choices).get(payload["kind"], payload["kind"])
        else:
            event.detail = ", ".join(f"{key}: {value}" for key, value in payload.items())
    return events


def keyset_page(events: QuerySet[CountryEvent], *, before: int | None, after: int | None,
                size: int) -> tuple[list[CountryEvent], bool, bool]:
    """One page of events, newest first, keyed on the sequence number: those just before `before`
    or just after `after` (else the newest). Returns the rows and whether there are newer and older
    ones. One query whatever the length of the chain: no COUNT(*) and no OFFSET."""
    if after is not None:
        rows = list(events.filter(sequence__gt=after).order_by("sequence")[: size + 1])
        return rows[:size][::-1], len(rows) > size, True
    if before is not None:
        events = events.filter(sequence__lt=before)
    rows = list(events.order_by("-sequence")[: size + 1])
    return rows[:size], before is not None, len(rows) > size


def _posted(request: HttpRequest):
    """The submitted data on POST (even when empty, so that an empty form is checked), else None."""
    return request.POST if request.method == "POST" else None


def _int_or_none(value: str | None) -> int | None:
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if number > 0 else None


# --- Overview --------------------------------------------------------------------------------------

@login_required
def country_overview(request: HttpRequest, code: str) -> HttpResponse:
    country = _country(request)
    organisation_count = selectors.organisation_list(country=country).count()
    by_status = dict(
        selectors.membership_list(country=country).order_by().values_list("status").annotate(n=Count("id"))
    )
    events = describe_events(list(selectors.event_list(country=country)[:RECENT_EVENTS]), country)
    return render(request, "tenants/country_overview.html", {
        **_base_context(request, country),
        "organisation_count": organisation_count,
        "active_member_count": by_status.get(Membership.Status.ACTIVE, 0),
        "invited_member_count": by_status.get(Membership.Status.INVITED, 0),
        "events": events,
        "tasks": onboarding.task_list(country),
    })


# --- Organisations ---------------------------------------------------------------------------------

@login_required
def organisation_list(request: HttpRequest, code: str) -> HttpResponse:
    country = _country(request)
    return render(request, "tenants/organisation_list.html", {
        **_base_context(request, country),
        "organisations": selectors.organisation_list(country=country),
    })


@login_required
@require_http_methods(["GET", "POST"])
def organisation_create(request: HttpRequest, code: str) -> HttpResponse:
    country = _country(request)
    _require_country_admin(request, country)
    open_kinds = [kind for kind in Organisation.Kind.values if services.organisation_kind_is_open(kind)]
    form = OrganisationForm(_posted(request), open_kinds=open_kinds)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                organisation = services.organisation_create(
                    country=country, by=request.user, access=request.access, name=form.cleaned_data["name"],
                    kind=form.cleaned_data["kind"], acronym=form.cleaned_data["acronym"],
                )
            except NotAllowed as error:
                raise PermissionDenied(error.message) from None
            except ServiceError as error:
                form.add_service_error(error)
            else:
                messages.success(request, f"{organisation.name} was added to {country.name}.")
                return redirect(_url("organisation", country, pk=organisation.pk))
        status = 400
    return render(request, "tenants/organisation_form.html", {**_base_context(request, country), "form": form},
                  status=status)


@login_required
def organisation_detail(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    country = _country(request)
    organisation = selectors.organisation_get(country=country, pk=pk)
    if organisation is None:
        raise Http404("No such organisation in this country.")
    return render(request, "tenants/organisation_detail.html", {
        **_base_context(request, country),
        "organisation": organisation,
        "memberships": selectors.membership_list(country=country, organisation=organisation),
    })


# --- Members ---------------------------------------------------------------------------------------

@login_required
def member_list(request: HttpRequest, code: str) -> HttpResponse:
    country = _country(request)
    return render(request, "tenants/member_list.html", {
        **_base_context(request, country),
        "memberships": selectors.membership_list(country=country),
    })


@login_required
@require_http_methods(["GET", "POST"])
def member_invite(request: HttpRequest, code: str) -> HttpResponse:
    country = _country(request)
    _require_country_admin(request, country)
    organisations = list(selectors.organisation_list(country=country))
    initial = {}
    wanted = _int_or_none(request.GET.get("organisation"))
    if wanted is not None and any(o.pk == wanted for o in organisations):
        initial["organisation"] = wanted
    form = InviteForm(_posted(request), organisations=organisations, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                membership = services.member_invite(
                    country=country, by=request.user, access=request.access, email=data["email"],
                    first_name=data["first_name"], last_name=data["last_name"],
                    organisation=data["organisation"], role=data["role"], job_title=data["job_title"],
                )
            except NotAllowed as error:
                raise PermissionDenied(error.message) from None
            except ServiceError as error:
                form.add_service_error(error)
            else:
                if membership.status == Membership.Status.INVITED:
                    messages.success(request, f"An invitation is on its way to {membership.user.email}.")
                else:
                    messages.success(request, f"{membership.user.get_full_name() or membership.user.email} "
                                              f"was added to {country.name}.")
                return redirect(_url("member", country, pk=membership.pk))
        status = 400
    return render(request, "tenants/member_invite.html", {**_base_context(request, country), "form": form},
                  status=status)


@login_required
@require_http_methods(["GET", "POST"])
def member_detail(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    country = _country(request)
    membership = selectors.membership_get(country=country, pk=pk)
    if membership is None:
        raise Http404("No such member in this country.")
    status = 200
    if request.method == "POST":
        _require_country_admin(request, country)
        form = RoleForm(request.POST)
        if form.is_valid():
            try:
                changed = services.member_change_role(
                    membership=membership, by=request.user, access=request.access, role=form.cleaned_data["role"],
                )
            except NotAllowed as error:
                raise PermissionDenied(error.message) from None
            except ServiceError as error:
                form.add_service_error(error)
            else:
                name = membership.user.get_full_name() or membership.user.username
                messages.success(request, f"{name} is now {changed.get_role_display().lower()}.")
                return redirect(_url("member", country, pk=membership.pk))
        status = 400
    else:
        form = RoleForm(initial={"role": membership.role})
    return render(request, "tenants/member_detail.html", {
        **_base_context(request, country), "membership": membership, "form": form,
    }, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def member_remove(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    country = _country(request)
    membership = selectors.membership_get(country=country, pk=pk)
    if membership is None:
        raise Http404("No such member in this country.")
    _require_country_admin(request, country)
    form = ConfirmForm(_posted(request))
    status = 200
    if request.method == "POST":
        name = membership.user.get_full_name() or membership.user.username
        try:
            services.member_remove(membership=membership, by=request.user, access=request.access)
        except NotAllowed as error:
            raise PermissionDenied(error.message) from None
        except ServiceError as error:
            form.add_service_error(error)
            status = 400
        else:
            messages.success(request, f"{name} was removed from {country.name}.")
            if membership.user_id == request.user.pk:
                return redirect("home")
            return redirect(_url("members", country))
    return render(request, "tenants/member_remove.html", {
        **_base_context(request, country), "membership": membership, "form": form,
    }, status=status)


# --- Activity --------------------------------------------------------------------------------------

@login_required
def activity(request: HttpRequest, code: str) -> HttpResponse:
    """The country's events, newest first, 50 a page. Pages are keyed on the sequence number
    (?before= / ?after=), so a long chain costs no COUNT(*) and no OFFSET."""
    country = _country(request)
    before, after = _int_or_none(request.GET.get("before")), _int_or_none(request.GET.get("after"))
    rows, has_newer, has_older = keyset_page(selectors.event_list(country=country), before=before, after=after,
                                             size=EVENTS_PER_PAGE)
    if not rows and (before is not None or after is not None):
        return redirect(_url("activity", country))
    return render(request, "tenants/activity.html", {
        **_base_context(request, country),
        "events": describe_events(rows, country),
        "older_url": f"?before={rows[-1].sequence}" if rows and has_older else "",
        "newer_url": f"?after={rows[0].sequence}" if rows and has_newer else "",
    })


# --- Invitations (reached from the emailed link; no sign-in needed) --------------------------------

@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = services.invitation_from_token(token)
    except ServiceError as error:
        return render(request, "tenants/invitation_invalid.html", {"message": error.message}, status=400)
    form = InvitationAcceptForm(_posted(request))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                user = services.invitation_accept(token=token, password=form.cleaned_data["password"])
            except ServiceError as error:
                if error.field is None:
                    return render(request, "tenants/invitation_invalid.html", {"message": error.message}, status=400)
                form.add_service_error(error)
            else:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(request, f"Welcome, {user.first_name or user.username}. Your account is ready.")
                return redirect(_url("overview", invitation.country))
        status = 400
    return render(request, "tenants/invitation_accept.html", {
        "invitation": invitation,
        "membership": invitation.membership,
        "form": form,
    }, status=status)
