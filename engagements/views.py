"""Pages of a country's engagement (under /c/<code>/engagement/): the current engagement with its
terms, versions, history and the actions open to you; applying; new versions of the terms; the diff
between two versions; and the actions themselves, each with a comment.

As on every country page, another country's engagement is a 404 and a same-country person without
the role gets a 403; a ServiceError becomes a form error (400) and nothing changes."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from engagements import selectors, services
from engagements.forms import CommentForm, EngagementCreateForm, TermsForm
from engagements.models import Engagement
from tenants.access import PARTNER_MANAGER
from tenants.conversations import pages as conversation_pages
from tenants.errors import NotAllowed, ServiceError
from tenants.models import Membership
from tenants.pages import ROLE_LABELS, base_context, int_or_none, posted, request_country
from tenants.selectors import organisation_list

DRAFTERS = {Membership.Role.COUNTRY_ADMIN, Membership.Role.OFFICER}

# What the flash message says after each action a person takes, as a sentence of its own.
ACTION_OUTCOMES = {
    "submit": gettext_lazy("The engagement was submitted for review."),
    "start_review": gettext_lazy("You started the review of this engagement."),
    "approve": gettext_lazy("Your approval of this engagement is recorded."),
    "reject": gettext_lazy("The engagement was rejected."),
    "request_changes": gettext_lazy("Changes were requested: the engagement is back with its authors."),
    "suspend": gettext_lazy("The engagement was suspended."),
    "reinstate": gettext_lazy("The engagement was reinstated."),
    "close": gettext_lazy("The engagement was closed."),
    "activate": gettext_lazy("The engagement was activated."),
}


def _history_label(action: str) -> str:
    """What happened, as the record words it ("Engagement approved"), not the button's command."""
    from tenants.record.events import ACTION_LABELS as RECORDED

    event = "created" if action == "create" else services.ACTION_EVENTS.get(action)
    label = RECORDED.get(f"engagement.{event}") if event else None
    return str(label or services.ACTION_LABELS.get(action, action))


def _home(country) -> str:
    return reverse("engagement:home", kwargs={"code": country.code.lower()})


def _engagement(country, pk: int) -> Engagement:
    engagement = selectors.engagement_get(country=country, pk=pk)
    if engagement is None:
        raise Http404("No such engagement in this country.")
    return engagement


def _page(
    request: HttpRequest,
    country,
    engagement: Engagement | None,
    *,
    comment_form=None,
    failed_action: str = "",
    message_form=None,
    status: int = 200,
    history: list[Engagement] | None = None,
) -> HttpResponse:
    if history is None:
        history = list(
            selectors.engagement_list(country=country)
            .exclude(pk=engagement.pk if engagement else None)
            .filter(state__in=Engagement.FINISHED)
        )
    context = {
        **base_context(request, country),
        "engagement": engagement,
        "history": history,
        "can_apply": engagement is None and request.access.role_in(country.pk) in DRAFTERS,
        "comment_form": comment_form or CommentForm(),
        "failed_action": failed_action,
    }
    if engagement is not None:
        versions = list(selectors.terms_list(engagement=engagement))
        allowed = services.actions_for(engagement=engagement, access=request.access)
        role = request.access.role_in(country.pk)
        can_change = (engagement.state == Engagement.State.DRAFT and role in DRAFTERS) or (
            engagement.state in services.AMENDABLE
            and engagement.amendment in ("", "draft")
            and role == Membership.Role.COUNTRY_ADMIN
        )
        states = dict(Engagement.State.choices)
        context.update(
            {
                "latest": versions[0] if versions else None,
                "versions": versions,
                "transitions": [
                    (
                        t,
                        _history_label(t.action),
                        states.get(t.from_state, t.from_state),
                        states.get(t.to_state, t.to_state),
                        ROLE_LABELS.get(t.by_role, ""),
                    )
                    for t in selectors.transition_list(engagement=engagement)
                ],
                "actions": [(a, services.ACTION_LABELS[a]) for a in allowed],
                "confirmed_actions": services.CONFIRMED,
                "can_change_terms": can_change,
                "pending_amendment": bool(engagement.amendment),
                # A partner manager who gave the first of two approvals is told so, not offered it again.
                "my_approval": selectors.reader_approval(engagement=engagement, reader=request.user)
                if role == PARTNER_MANAGER
                else None,
                **_conversation(request, country, engagement, form=message_form),
            }
        )
    return render(request, "engagements/home.html", context, status=status)


def _conversation(request: HttpRequest, country, engagement: Engagement, *, form=None) -> dict:
    code = country.code.lower()
    return conversation_pages.conversation_context(
        request,
        selectors.conversation_subject(engagement=engagement),
        post_url=reverse("engagement:message", kwargs={"code": code, "pk": engagement.pk}),
        attachment_url=lambda attachment: reverse(
            "engagement:attachment", kwargs={"code": code, "pk": engagement.pk, "attachment": attachment}
        ),
        form=form,
    )


@login_required
def engagement_home(request: HttpRequest, code: str) -> HttpResponse:
    country = request_country(request)
    engagement, history = selectors.engagement_with_history(country=country)
    return _page(request, country, engagement, history=history)


@login_required
def engagement_detail(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    country = request_country(request)
    engagement, history = selectors.engagement_with_history(country=country, pk=pk)
    if engagement is None:
        raise Http404("No such engagement in this country.")
    return _page(request, country, engagement, history=history)


@login_required
@require_http_methods(["GET", "POST"])
def engagement_new(request: HttpRequest, code: str) -> HttpResponse:
    country = request_country(request)
    if request.access.role_in(country.pk) not in DRAFTERS:
        raise PermissionDenied(_("Only a country admin or officer of this country can apply for an engagement."))
    organisations = list(organisation_list(country=country))
    form = EngagementCreateForm(
        posted(request), organisations=organisations, initial={"residency_region": country.residency_region}
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = dict(form.cleaned_data)
            organisation = form.organisations.get(data.pop("organisation"))
            try:
                services.engagement_create(
                    country=country, by=request.user, access=request.access, organisation=organisation, **data
                )
            except NotAllowed as error:
                raise PermissionDenied(error.message) from None
            except ServiceError as error:
                form.add_service_error(error)
            else:
                messages.success(request, _("Your engagement was saved as a draft. Submit it when it is ready."))
                return redirect(_home(country))
        status = 400
    return render(
        request,
        "engagements/terms_form.html",
        {**base_context(request, country), "form": form, "creating": True},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def engagement_terms(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    country = request_country(request)
    engagement = _engagement(country, pk)
    if not request.access.can_write(country.pk):
        raise PermissionDenied(_("Only a country admin or officer of this country can change the terms."))
    latest = selectors.terms_latest(engagement=engagement)
    form = TermsForm(posted(request), initial=TermsForm.initial_from(latest) if latest else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                terms = services.engagement_terms_create(
                    engagement=engagement, by=request.user, access=request.access, **form.cleaned_data
                )
            except NotAllowed as error:
                raise PermissionDenied(error.message) from None
            except ServiceError as error:
                form.add_service_error(error)
            else:
                messages.success(
                    request, _("Version {terms_version} of the terms was saved.").format(terms_version=terms.version)
                )
                return redirect(_home(country))
        status = 400
    return render(
        request,
        "engagements/terms_form.html",
        {**base_context(request, country), "form": form, "creating": False, "engagement": engagement, "latest": latest},
        status=status,
    )


def _confirm(request: HttpRequest, country, engagement, action: str, *, form=None, status: int = 200):
    return render(
        request,
        "engagements/confirm.html",
        {
            **base_context(request, country),
            "engagement": engagement,
            "action": action,
            "form": form or CommentForm(),
            "back": reverse("review")
            if request.GET.get("next", request.POST.get("next")) == "review"
            else _home(country),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def engagement_action(request: HttpRequest, code: str, pk: int, action: str) -> HttpResponse:
    """A move of the engagement. Reject, suspend and close ask first on a page of their own (GET),
    with a required reason, in the warning pattern; the others are posted from the engagement's page."""
    country = request_country(request)
    engagement = _engagement(country, pk)
    if action not in services.ACTIONS:
        raise Http404("No such action.")
    if request.method == "GET":
        if action not in services.CONFIRMED:
            return HttpResponseNotAllowed(["POST"])
        if action not in services.actions_for(engagement=engagement, access=request.access):
            roles = {r for (_, a), (_, allowed) in services.TRANSITIONS.items() if a == action for r in allowed}
            if request.access.role_in(country.pk) not in roles:
                raise PermissionDenied("Your role does not allow you to do this.")
            raise Http404("There is nothing to confirm here.")
        return _confirm(request, country, engagement, action)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.engagement_transition(
                engagement=engagement,
                action=action,
                by=request.user,
                access=request.access,
                comment=form.cleaned_data["comment"],
            )
        except NotAllowed as error:
            if action not in services.actions_for(engagement=engagement, access=request.access):
                raise PermissionDenied(error.message) from None
            form.add_error(None, error.message)  # the role may act, but not on this (four-eyes)
        except ServiceError as error:
            form.add_service_error(error)
        else:
            messages.success(request, ACTION_OUTCOMES[action])
            # Decisions taken from the review queue return to it.
            return redirect(reverse("review") if request.POST.get("next") == "review" else _home(country))
    if action in services.CONFIRMED:
        return _confirm(
            request, country, selectors.engagement_get(country=country, pk=pk), action, form=form, status=400
        )
    return _page(
        request,
        country,
        selectors.engagement_get(country=country, pk=pk),
        comment_form=form,
        failed_action=action,
        status=400,
    )


@login_required
def engagement_diff(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    country = request_country(request)
    engagement = _engagement(country, pk)
    versions = {t.version: t for t in selectors.terms_list(engagement=engagement)}
    if not versions:
        raise Http404("This engagement has no terms yet.")
    newest = max(versions)
    new_v = int_or_none(request.GET.get("to")) or newest
    old_v = int_or_none(request.GET.get("from")) or max(new_v - 1, 1)
    if old_v not in versions or new_v not in versions:
        raise Http404(f"This engagement has versions 1 to {newest}.")
    return render(
        request,
        "engagements/diff.html",
        {
            **base_context(request, country),
            "engagement": engagement,
            "old": versions[old_v],
            "new": versions[new_v],
            "rows": selectors.terms_diff(versions[old_v], versions[new_v]),
            "version_numbers": sorted(versions),
        },
    )


@login_required
@require_POST
def engagement_message(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """Write in the engagement's conversation (tenants.conversations)."""
    country = request_country(request)
    engagement = _engagement(country, pk)
    return conversation_pages.message_post(
        request,
        selectors.conversation_subject(engagement=engagement),
        page=lambda form: _page(request, country, engagement, message_form=form),
    )


@login_required
def engagement_attachment(request: HttpRequest, code: str, pk: int, attachment: int) -> HttpResponse:
    """A file attached to a message of the engagement's conversation, after the same access check."""
    country = request_country(request)
    engagement = _engagement(country, pk)
    return conversation_pages.attachment_download(
        request, selectors.conversation_subject(engagement=engagement), attachment
    )
