"""Forms of signing in, single sign-on, personal access tokens and a country's identity provider.
They check shape only; the rules live in tenants.identity services."""

from __future__ import annotations

from allauth.account.adapter import get_adapter
from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.account.forms import ResetPasswordForm as AllauthResetPasswordForm
from allauth.account.forms import ResetPasswordKeyForm as AllauthResetPasswordKeyForm
from allauth.account.forms import SetPasswordForm as AllauthSetPasswordForm
from django import forms
from django.utils.translation import gettext_lazy as _

from tenants.forms import NamedRequiredErrors, ServiceErrorMixin


class LoginForm(NamedRequiredErrors, AllauthLoginForm):
    """allauth's sign-in form, also accepting the field name `username` (the page's and the
    suite's contract since before allauth)."""

    def __init__(self, *args, **kwargs):
        data = kwargs.get("data")
        if data is not None and "login" not in data and "username" in data:
            data = data.copy()
            data["login"] = data["username"]
            kwargs["data"] = data
        super().__init__(*args, **kwargs)
        self.fields["login"].label = _("Username")
        self.fields["login"].error_messages["required"] = _("Enter your username.")
        self.fields["password"].error_messages["required"] = _("Enter your password.")


class ResetPasswordForm(NamedRequiredErrors, AllauthResetPasswordForm):
    """allauth's reset form without its look-up of the address: the request does the same work
    whether the address has an account or not, and a worker decides (tenants.identity.password_reset)."""

    def clean_email(self) -> str:
        from allauth.core import context

        from tenants.identity.password_reset import password_reset_asking_refusal

        email = get_adapter().clean_email(self.cleaned_data["email"].lower())
        self.users = []  # not looked up here
        refusal = password_reset_asking_refusal(context.request, email=email)
        if refusal:
            raise forms.ValidationError(refusal, code="too_many_asked")
        return email

    def save(self, request, **kwargs) -> str:
        from django.contrib import messages

        from tenants.identity.password_reset import password_reset_mail_refusal, password_reset_request

        email = self.cleaned_data["email"]
        refusal = password_reset_mail_refusal(request, email=email)
        if refusal:
            messages.warning(request, refusal)
        else:
            password_reset_request(email=email)
        return email


class _NoPasswordForProviderAccounts:
    """A password chosen on a reset link or on the page for setting one: refused for an account that
    signs in through its country's provider only (tenants.identity.sso.provider_sign_in_only)."""

    def clean(self):
        from tenants.identity.sso import provider_sign_in_only, provider_sign_in_only_message

        cleaned = super().clean()
        provider = provider_sign_in_only(self.user)
        if provider is not None:
            raise forms.ValidationError(provider_sign_in_only_message(provider), code="provider_sign_in_only")
        return cleaned


class ResetPasswordKeyForm(NamedRequiredErrors, _NoPasswordForProviderAccounts, AllauthResetPasswordKeyForm):
    pass


class SetPasswordForm(NamedRequiredErrors, _NoPasswordForProviderAccounts, AllauthSetPasswordForm):
    pass


class SingleSignOnForm(forms.Form):
    email = forms.EmailField(
        label=_("Your work email address"),
        required=False,
        max_length=254,
        error_messages={"invalid": _("Enter an email address in the form name@ministry.gov.")},
    )
    country = forms.CharField(label=_("Or choose your country"), required=False, max_length=2)

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("email") and not cleaned.get("country") and not self.errors:
            raise forms.ValidationError(_("Enter your work email address, or choose your country."))
        return cleaned


class PersonalTokenForm(ServiceErrorMixin, forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What the token is for, e.g. Monthly usage report."),
        error_messages={"required": _("Give the token a name, so you can recognise it in the list.")},
    )
    countries = forms.TypedMultipleChoiceField(
        label=_("Countries it may reach"),
        coerce=int,
        error_messages={
            "required": _("Choose at least one country the token may reach."),
            "invalid_choice": _("Choose only countries you can see yourself."),
        },
    )
    access = forms.ChoiceField(
        label=_("What it may do"),
        choices=[("read", _("Read only")), ("write", _("Read and write"))],
        error_messages={
            "required": _("Choose whether the token may only read or also change things."),
            "invalid_choice": _("Choose whether the token may only read or also change things."),
        },
    )
    days = forms.TypedChoiceField(
        label=_("Expires after"),
        coerce=int,
        choices=[(7, _("7 days")), (30, _("30 days")), (90, _("90 days"))],
        error_messages={
            "required": _("Choose when the token expires."),
            "invalid_choice": _("Choose 7, 30 or 90 days."),
        },
    )

    def __init__(self, *args, countries, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["countries"].choices = [(c.pk, f"{c.name} ({c.code})") for c in countries]
