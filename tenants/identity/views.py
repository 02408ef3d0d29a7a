"""Pages of one's own account (/accounts/…): the account page, personal access tokens, and the
start of single sign-on by email domain or by country. allauth serves the rest (second factors,
sessions, password)."""

from __future__ import annotations

import logging

from allauth.account.views import LoginView as AllauthLoginView
from allauth.socialaccount.adapter import get_adapter as get_social_adapter
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from requests.exceptions import RequestException

from tenants import selectors
from tenants.confirmations import confirm_with_reason
from tenants.errors import ServiceError
from tenants.identity import policy, providers, tokens
from tenants.identity.forms import PersonalTokenForm, SingleSignOnForm
from tenants.pages import posted

log = logging.getLogger(__name__)


@login_required
def account_home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "identity/account.html",
        {
            "has_second_factor": policy.has_second_factor(request.user),
            "needs_second_factor": policy.second_factor_required(
                access=request.access, vouched_country_id=policy.provider_mfa_country(request, request.access)
            ),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def personal_tokens(request: HttpRequest) -> HttpResponse:
    countries = list(selectors.country_list_visible(access=request.access))
    form = PersonalTokenForm(posted(request), countries=countries)
    status, raw = 200, None
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            vouched_country_id, vouched_role = policy.token_vouch(request, request.access)
            try:
                raw, _token = tokens.personal_token_create(
                    user=request.user,
                    access=request.access,
                    name=data["name"],
                    country_ids=data["countries"],
                    read_only=data["access"] == "read",
                    days=data["days"],
                    vouched_country_id=vouched_country_id,
                    vouched_role=vouched_role,
                )
            except ServiceError as error:
                form.add_service_error(error)
                status = 400
            else:
                form = PersonalTokenForm(countries=countries)
        else:
            status = 400
    names = {c.pk: c.code for c in countries}
    rows = [
        (token, [names.get(int(cid), "—") for cid in token.country_ids])
        for token in tokens.personal_token_list(user=request.user)
    ]
    response = render(
        request, "identity/tokens.html", {"form": form, "rows": rows, "raw": raw, "countries": countries}, status=status
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def personal_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm, with a reason, the revocation of one of the person's own tokens: whatever uses it
    stops working. A POST without a reason answers this page again and revokes nothing."""
    token = tokens.personal_token_list(user=request.user).filter(pk=pk, revoked_at__isnull=True).first()
    if token is None or not token.is_live:
        raise Http404(_("You have no such live token."))

    def revoke(reason: str) -> None:
        if not tokens.personal_token_revoke(user=request.user, token_id=token.pk, reason=reason):
            raise Http404(_("You have no such live token."))

    response = confirm_with_reason(
        request,
        act=revoke,
        template="identity/token_revoke.html",
        context={"token": token},
        success_url=reverse("account_tokens"),
        success_message=_("The token was revoked: it no longer works."),
    )
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def single_sign_on(request: HttpRequest) -> HttpResponse:
    """Send the person to their country's provider, found by their email domain or their country."""
    form = SingleSignOnForm(request.POST)
    provider = None
    if form.is_valid():
        email, code = form.cleaned_data["email"], form.cleaned_data["country"]
        provider = providers.identity_provider_for_email(email) if email else providers.identity_provider_for_code(code)
        if provider is None:
            form.add_error(
                "email" if email else None,
                _(
                    "No government sign-in is set up for that address or country. Sign in with your username and password."
                ),
            )
    if provider is None:
        return render(
            request,
            "account/login.html",
            {"form": None, "sso_form": form, "sso_countries": providers.identity_provider_list_enabled()},
            status=400,
        )
    next_url = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = None
    social = get_social_adapter(request).get_provider(request, provider.provider_id)
    try:
        return social.redirect(request, "login", next_url=next_url)
    except (RequestException, OAuth2Error, KeyError, TypeError, ValueError, AttributeError) as error:
        # Its discovery document could not be read or lacks what a sign-in needs: the provider is
        # down, answers something else than a discovery document, or is at an address the platform
        # does not call (tenants/networks.py). Said, not a 500.
        log.warning("The identity provider of %s could not be reached: %s", provider.country.code, error)
        form.add_error(
            None,
            _(
                "%(country)s's government sign-in (%(name)s) cannot be reached right now. Try again in a few "
                "minutes, or sign in with your username and password."
            )
            % {"country": provider.country.display_name, "name": provider.name},
        )
        return render(
            request,
            "account/login.html",
            {"form": None, "sso_form": form, "sso_countries": providers.identity_provider_list_enabled()},
            status=503,
        )


class LoginView(AllauthLoginView):
    """allauth's sign-in page, offering each country's government sign-in beside the password."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["sso_form"] = SingleSignOnForm()
        context["sso_countries"] = providers.identity_provider_list_enabled()
        return context


def not_offered(request: HttpRequest) -> HttpResponse:
    raise Http404(_("This page is not offered: your address is the one you were invited with."))
