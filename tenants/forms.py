"""Forms of the tenants pages: they check the shape of the input and word its errors; the rules
(who may do what, closed organisation kinds, the last country admin) stay in tenants.services."""

from __future__ import annotations

from collections.abc import Iterable

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tenants.errors import ServiceError
from tenants.identity.passwords import password_rules_hint
from tenants.models import Membership, Organisation

ROLE_HINTS = {
    Membership.Role.COUNTRY_ADMIN: gettext_lazy(
        "Manages the country's organisations and people, and everything an officer can do."
    ),
    Membership.Role.OFFICER: gettext_lazy(
        "Prepares and submits the country's work: policies, training, assessments and requests."
    ),
    Membership.Role.VIEWER: gettext_lazy("Reads the country's pages without changing anything."),
}
ROLE_OPTIONS = [(value, label, ROLE_HINTS[value]) for value, label in Membership.Role.choices]
ROLE_ERROR = gettext_lazy("Choose a role: country admin, officer or viewer.")


def required_message(field: forms.Field) -> str:
    """A required-field error that names the field by its label, in place of Django's anonymous
    "This field is required.", which says nothing in an error summary listing several fields."""
    label = str(field.label or "").strip().rstrip(":")
    if isinstance(field, forms.FileField):
        return _("Choose a file for “{label}”.").format(label=label)
    if isinstance(field, forms.BooleanField):
        return _("Tick “{label}” to continue.").format(label=label)
    if isinstance(field, (forms.ChoiceField, forms.ModelChoiceField)):
        return _("Choose an answer for “{label}”.").format(label=label)
    return _("Enter “{label}”.").format(label=label)


def name_required_errors(fields: dict[str, forms.Field]) -> None:
    """Give every field whose required message is still Django's default one naming its label: the
    optional ones too, since a form's own checks may raise it (Django's password forms do, for the
    two password fields that only a chosen option makes required)."""
    anonymous = str(forms.Field.default_error_messages["required"])
    for field in fields.values():
        if str(field.error_messages.get("required", "")) == anonymous:
            field.error_messages["required"] = required_message(field)


class NamedRequiredErrors:
    """For any form: required fields left without a message of their own get one naming them."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        name_required_errors(self.fields)  # type: ignore[attr-defined]

    def full_clean(self):
        name_required_errors(self.fields)  # type: ignore[attr-defined]  # and those added after __init__
        super().full_clean()  # type: ignore[misc]


def named_form(form_class: type[forms.BaseForm]) -> type[forms.BaseForm]:
    """The form class itself when it already names its required fields; else a subclass that does."""
    if issubclass(form_class, NamedRequiredErrors):
        return form_class
    return type(form_class.__name__, (NamedRequiredErrors, form_class), {"__module__": form_class.__module__})


class NamedAdminForms:
    """For a ModelAdmin: the form it builds (its own, the add form, or Django's factory's from the
    fields) names its required fields, as every form of the portal does."""

    def get_form(self, request, obj=None, change=False, **kwargs):
        return named_form(super().get_form(request, obj, change=change, **kwargs))  # type: ignore[misc]


class NamedInlineForms:
    """For an inline of a ModelAdmin: the form of each row names its required fields."""

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)  # type: ignore[misc]
        formset.form = named_form(formset.form)
        return formset


class ServiceErrorMixin(NamedRequiredErrors):
    """Shows a ServiceError on the form, against the field it names when the form has that field.
    Like every form of the portal, its required fields name themselves in their errors."""

    def add_service_error(self, error: ServiceError) -> None:
        # A nested field path (content.modules[0].body) is shown against its top-level field.
        root = (error.field or "").split(".", 1)[0].split("[", 1)[0]
        field = root if root in self.fields else None  # type: ignore[attr-defined]
        self.add_error(field, error.message)  # type: ignore[attr-defined]


class OrganisationForm(ServiceErrorMixin, forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=200,
        error_messages={
            "required": gettext_lazy("Enter the organisation's name."),
            "max_length": gettext_lazy("The name must be 200 characters or fewer."),
        },
    )
    acronym = forms.CharField(
        label=gettext_lazy("Acronym (optional)"),
        max_length=20,
        required=False,
        help_text=gettext_lazy("For example, MN for Ministère du Numérique."),
        error_messages={"max_length": gettext_lazy("The acronym must be 20 characters or fewer.")},
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind of organisation"),
        choices=Organisation.Kind.choices,
        error_messages={
            "required": gettext_lazy("Choose a kind of organisation."),
            "invalid_choice": gettext_lazy("Choose a kind of organisation from the list."),
        },
    )

    def __init__(self, *args, open_kinds: Iterable[str] = (), **kwargs):
        super().__init__(*args, **kwargs)
        open_kinds = set(open_kinds)
        # Every kind is offered, so that the closed ones say plainly why they cannot be chosen yet.
        self.kind_options = [
            (value, label, "" if value in open_kinds else _("Not yet open to applications."))
            for value, label in Organisation.Kind.choices
        ]


class InviteForm(ServiceErrorMixin, forms.Form):
    email = forms.EmailField(
        label=gettext_lazy("Email address"),
        max_length=254,
        error_messages={
            "required": gettext_lazy("Enter the person's email address."),
            "invalid": gettext_lazy("Enter an email address in the form name@example.org."),
        },
    )
    first_name = forms.CharField(label=gettext_lazy("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=gettext_lazy("Last name"), max_length=150, required=False)
    organisation = forms.TypedChoiceField(
        label=gettext_lazy("Organisation"),
        coerce=int,
        empty_value=None,
        error_messages={
            "required": gettext_lazy("Choose the person's organisation."),
            "invalid_choice": gettext_lazy("Choose one of this country's organisations."),
        },
    )
    role = forms.ChoiceField(
        label=gettext_lazy("Role"),
        choices=Membership.Role.choices,
        error_messages={"required": ROLE_ERROR, "invalid_choice": ROLE_ERROR},
    )
    job_title = forms.CharField(label=gettext_lazy("Job title (optional)"), max_length=200, required=False)

    def __init__(self, *args, organisations: Iterable[Organisation], **kwargs):
        super().__init__(*args, **kwargs)
        self.organisations = {organisation.pk: organisation for organisation in organisations}
        self.fields["organisation"].choices = [("", _("Choose an organisation"))] + [
            (pk, organisation.name) for pk, organisation in self.organisations.items()
        ]
        self.role_options = ROLE_OPTIONS

    def clean_organisation(self) -> Organisation:
        # The choices hold only this country's organisations, so another country's id never gets here.
        return self.organisations[self.cleaned_data["organisation"]]


class RoleForm(ServiceErrorMixin, forms.Form):
    role = forms.ChoiceField(
        label=gettext_lazy("Role"),
        choices=Membership.Role.choices,
        error_messages={"required": ROLE_ERROR, "invalid_choice": ROLE_ERROR},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role_options = ROLE_OPTIONS


class ConfirmForm(ServiceErrorMixin, forms.Form):
    """A confirmation with nothing to fill in: it only carries the refusal of a service, if any."""


class ReasonForm(ServiceErrorMixin, forms.Form):
    """The confirmation of an action that removes, revokes or stops something: a required reason
    (shown by includes/confirm_reason.html). The service checks it again (tenants.record.reasons)."""

    comment = forms.CharField(
        label=gettext_lazy("Reason"),
        widget=forms.Textarea,
        max_length=2000,
        error_messages={
            "required": gettext_lazy("Say why: the reason goes on the record."),
            "max_length": gettext_lazy("The reason must be 2,000 characters or fewer."),
        },
    )


class InvitationAcceptForm(ServiceErrorMixin, forms.Form):
    password = forms.CharField(
        label=gettext_lazy("Choose a password"),
        strip=False,
        widget=forms.PasswordInput,
        help_text=password_rules_hint(),
        error_messages={"required": gettext_lazy("Choose a password.")},
    )
    password_again = forms.CharField(
        label=gettext_lazy("Enter the password again"),
        strip=False,
        widget=forms.PasswordInput,
        error_messages={"required": gettext_lazy("Enter the password again.")},
    )

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password"), cleaned.get("password_again")
        if first and second and first != second:
            self.add_error("password_again", _("The two passwords do not match. Enter the same password twice."))
        return cleaned


# --- Audit pages -----------------------------------------------------------------------------------
