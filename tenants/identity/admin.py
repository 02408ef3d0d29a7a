"""Platform admin of the identity room: API tokens (listed and revocable, never shown) and each
country's identity provider (changed through the same service as the country admin's, so every
change goes on the record; the client secret is write-only)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from tenants.access import Access
from tenants.errors import ServiceError
from tenants.forms import NamedAdminForms, NamedRequiredErrors, ReasonForm
from tenants.identity.models import ApiToken, IdentityProvider
from tenants.identity.providers import identity_provider_save, identity_provider_validate
from tenants.identity.tokens import tokens_revoke_by_admin
from tenants.isolation import country_context
from tenants.models import Country, Membership, Organisation


@admin.register(ApiToken)
class ApiTokenAdmin(NamedAdminForms, admin.ModelAdmin):
    list_display = ["prefix", "user", "kind", "name", "created_at", "expires_at", "last_used_at", "revoked_at"]
    list_select_related = ["user"]
    readonly_fields = [
        "user",
        "prefix",
        "kind",
        "name",
        "country_ids",
        "read_only",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    exclude = ["key_hash"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        """First a page that lists the tokens and asks for the reason; its POST (with `confirm`)
        revokes them. Without a reason it asks again (400) and nothing is revoked."""
        confirming = "confirm" in request.POST
        form = ReasonForm(request.POST if confirming else None)
        if confirming and form.is_valid():
            try:
                count = tokens_revoke_by_admin(
                    token_ids=list(queryset.values_list("pk", flat=True)),
                    by=request.user,
                    reason=form.cleaned_data["comment"],
                )
            except ServiceError as error:
                form.add_service_error(error)
            else:
                self.message_user(request, _("%(count)s token(s) revoked.") % {"count": count})
                return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Revoke these tokens?"),
            "opts": self.model._meta,
            "tokens": queryset.select_related("user"),
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(
            request, "admin/identity/apitoken/revoke_confirm.html", context, status=400 if confirming else 200
        )


class IdentityProviderForm(NamedRequiredErrors, forms.ModelForm):
    new_client_secret = forms.CharField(
        label=_("Client secret"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave empty to keep the stored one. Stored sealed under the country's key, never shown."),
    )
    issuer = forms.URLField(label=_("Issuer"), max_length=300, assume_scheme="https")
    # Organisations are country-owned: the choices are read inside the view's country context.
    default_organisation = forms.ModelChoiceField(queryset=None, required=False, label=_("Default organisation"))
    domains = forms.CharField(
        label=_("Allowed email domains"), help_text=_("One a line, e.g. interieur.gouv.fr."), widget=forms.Textarea
    )

    class Meta:
        model = IdentityProvider
        fields = [
            "country",
            "name",
            "issuer",
            "client_id",
            "organisation_claim",
            "organisation_map",
            "role_claim",
            "role_map",
            "default_role",
            "jit_enabled",
            "trust_provider_mfa",
            "mfa_acr_values",
            "enabled",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["default_organisation"].queryset = Organisation.objects.select_related("country").order_by(
            "country__name", "name"
        )
        if self.instance.pk:
            self.fields["default_organisation"].initial = self.instance.default_organisation_id
            self.fields["domains"].initial = "\n".join(self.instance.allowed_domains or [])
            self.fields["country"].disabled = True

    def clean(self):
        cleaned = super().clean()
        country = cleaned.get("country") or getattr(self.instance, "country", None)
        if country is None or self.errors:
            return cleaned
        data = {name: cleaned.get(name) for name in self.Meta.fields if name != "country"}
        data["default_organisation"] = cleaned.get("default_organisation")
        data["allowed_domains"] = [line.strip() for line in (cleaned.get("domains") or "").splitlines() if line.strip()]
        try:
            identity_provider_validate(country=country, data=data)
        except ServiceError as error:
            field = {"allowed_domains": "domains"}.get(error.field or "", error.field)
            self.add_error(field if field in self.fields else None, error.message)
        if not self.instance.pk and not cleaned.get("new_client_secret"):
            self.add_error("new_client_secret", _("Enter the client secret the provider gave the portal."))
        return cleaned


@admin.register(IdentityProvider)
class IdentityProviderAdmin(NamedAdminForms, admin.ModelAdmin):
    """Country-owned rows: each view opens every country's context (the platform admin configures
    any country's provider), and saving goes through the service (rules, sealing, the record)."""

    form = IdentityProviderForm
    list_display = ["country", "name", "issuer", "enabled", "jit_enabled", "trust_provider_mfa"]
    list_select_related = ["country"]

    def _everywhere(self):
        return country_context(list(Country.objects.values_list("pk", flat=True)))

    def changelist_view(self, request, extra_context=None):
        with self._everywhere():
            return super().changelist_view(request, extra_context)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        with self._everywhere():
            return super().changeform_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        with self._everywhere():
            return super().delete_view(request, object_id, extra_context)

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data.get(name) for name in form.Meta.fields if name != "country"}
        data["default_organisation"] = form.cleaned_data.get("default_organisation")
        data["allowed_domains"] = [line.strip() for line in form.cleaned_data["domains"].splitlines() if line.strip()]
        for name in ("organisation_map", "role_map"):
            data[name] = data.get(name) or {}
        data["mfa_acr_values"] = data.get("mfa_acr_values") or []
        data["default_role"] = data.get("default_role") or Membership.Role.VIEWER
        # The form ran the same checks (clean): the service refuses nothing here.
        saved = identity_provider_save(
            country=obj.country,
            by=request.user,
            access=Access(user_id=request.user.pk, is_platform_admin=request.user.is_superuser),
            data=data,
            client_secret=form.cleaned_data.get("new_client_secret") or None,
        )
        obj.pk = saved.pk
