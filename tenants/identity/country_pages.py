"""A country's sign-in settings (/c/<code>/identity/), for its country admins: its identity
provider for single sign-on and whether everyone of the country needs a second factor. Others of
the country get a 403, anyone else the usual 404 (the middleware resolves no other country)."""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from tenants import selectors
from tenants.errors import NotAllowed, ServiceError
from tenants.forms import ServiceErrorMixin
from tenants.identity.providers import country_sign_in_save, identity_provider_get
from tenants.models import Membership
from tenants.pages import base_context, country_url, posted, request_country, require_country_admin


class CountryIdentityForm(ServiceErrorMixin, forms.Form):
    mfa_required = forms.BooleanField(
        label=gettext_lazy("Everyone of this country needs a second factor"), required=False
    )
    name = forms.CharField(label=gettext_lazy("Name on the sign-in button"), max_length=120, required=False)
    issuer = forms.CharField(label=gettext_lazy("Issuer URL"), max_length=300, required=False)
    client_id = forms.CharField(label=gettext_lazy("Client id"), max_length=200, required=False)
    client_secret = forms.CharField(
        label=gettext_lazy("Client secret"),
        required=False,
        widget=forms.PasswordInput,
        help_text=gettext_lazy("Leave empty to keep the one stored. It is never shown again."),
    )
    allowed_domains = forms.CharField(
        label=gettext_lazy("Allowed email domains"),
        required=False,
        widget=forms.Textarea,
        help_text=gettext_lazy("One a line."),
    )
    organisation_claim = forms.CharField(
        label=gettext_lazy("Organisation claim (optional)"), max_length=100, required=False
    )
    role_claim = forms.CharField(label=gettext_lazy("Role claim (optional)"), max_length=100, required=False)
    role_map = forms.CharField(
        label=gettext_lazy("Role mapping (JSON, claim value → role)"), required=False, widget=forms.Textarea
    )
    default_organisation = forms.TypedChoiceField(
        label=gettext_lazy("Organisation of new accounts"), coerce=int, empty_value=None, required=False
    )
    default_role = forms.ChoiceField(label=gettext_lazy("Role of new accounts"), choices=Membership.Role.choices)
    jit_enabled = forms.BooleanField(label=gettext_lazy("Create accounts on first sign-in"), required=False)
    trust_provider_mfa = forms.BooleanField(
        label=gettext_lazy("The provider's own second factor counts"), required=False
    )
    enabled = forms.BooleanField(label=gettext_lazy("Offer this sign-in"), required=False)

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisations = {o.pk: o for o in organisations}
        self.fields["default_organisation"].choices = [("", _("None"))] + [(o.pk, o.name) for o in organisations]

    def clean_role_map(self):
        text = (self.cleaned_data.get("role_map") or "").strip()
        try:
            value = json.loads(text) if text else {}
        except ValueError:
            raise forms.ValidationError(_('Write the mapping as JSON, e.g. {"agent": "officer"}.')) from None
        if not isinstance(value, dict):
            raise forms.ValidationError(_('Write the mapping as JSON, e.g. {"agent": "officer"}.'))
        return value


def _initial(country, provider) -> dict:
    initial = {"mfa_required": country.mfa_required, "default_role": Membership.Role.VIEWER, "enabled": True}
    if provider is not None:
        initial.update(
            name=provider.name,
            issuer=provider.issuer,
            client_id=provider.client_id,
            allowed_domains="\n".join(provider.allowed_domains),
            organisation_claim=provider.organisation_claim,
            role_claim=provider.role_claim,
            role_map=json.dumps(provider.role_map) if provider.role_map else "",
            default_organisation=provider.default_organisation_id,
            default_role=provider.default_role,
            jit_enabled=provider.jit_enabled,
            trust_provider_mfa=provider.trust_provider_mfa,
            enabled=provider.enabled,
        )
    return initial


@login_required
@require_http_methods(["GET", "POST"])
def country_identity(request: HttpRequest, code: str) -> HttpResponse:
    country = request_country(request)
    require_country_admin(request, country)
    provider = identity_provider_get(country=country)
    organisations = list(selectors.organisation_list(country=country))
    form = CountryIdentityForm(posted(request), organisations=organisations, initial=_initial(country, provider))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            provider_data = None
            if data["issuer"] or provider is not None:
                keys = ("name", "issuer", "client_id", "organisation_claim", "role_claim", "role_map", "default_role")
                provider_data = {
                    **{k: data[k] for k in keys},
                    **{k: data[k] for k in ("jit_enabled", "trust_provider_mfa", "enabled")},
                    "allowed_domains": data["allowed_domains"].split(),
                    "organisation_map": provider.organisation_map if provider else {},
                    "default_organisation": form.organisations.get(data["default_organisation"]),
                }
            try:
                country_sign_in_save(
                    country=country,
                    by=request.user,
                    access=request.access,
                    mfa_required=data["mfa_required"],
                    provider_data=provider_data,
                    client_secret=data["client_secret"] or None,
                )
            except NotAllowed as error:
                raise PermissionDenied(error.message) from None
            except ServiceError as error:
                form.add_service_error(error)
            else:
                messages.success(
                    request, _("%(country)s's sign-in settings were saved.") % {"country": country.display_name}
                )
                return redirect(country_url("identity", country))
        status = 400
    return render(
        request,
        "identity/country_identity.html",
        {**base_context(request, country), "form": form, "provider": provider},
        status=status,
    )
