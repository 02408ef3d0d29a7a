"""Forms of the engagement pages: the shape of the terms and of a decision's comment, with errors
worded for people. The rules (roles, four-eyes, open organisation kinds) stay in the services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from engagements.models import Capability, EconomicModel, EngagementTerms, Sector
from engagements.services import MAX_COMMENT, MAX_CONDITIONS, MAX_QUOTA
from tenants.fields import GroupedIntegerField, IsoDateField
from tenants.forms import ServiceErrorMixin
from tenants.models import Country, Organisation


class TermsForm(ServiceErrorMixin, forms.Form):
    sectors = forms.MultipleChoiceField(
        label=gettext_lazy("Sectors in scope"),
        choices=Sector.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Select all that apply."),
        error_messages={
            "required": gettext_lazy("Choose at least one sector in scope."),
            "invalid_choice": gettext_lazy("Choose sectors from the list."),
        },
    )
    capabilities = forms.MultipleChoiceField(
        label=gettext_lazy("Allowed model capabilities"),
        choices=Capability.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("What the country's deployments may use models for."),
        error_messages={
            "required": gettext_lazy("Choose at least one model capability."),
            "invalid_choice": gettext_lazy("Choose capabilities from the list."),
        },
    )
    residency_region = forms.ChoiceField(
        label=gettext_lazy("Data-residency region"),
        choices=Country.Region.choices,
        help_text=gettext_lazy("Where the country's data and models are hosted."),
        error_messages={
            "required": gettext_lazy("Choose a data-residency region."),
            "invalid_choice": gettext_lazy("Choose a data-residency region from the list."),
        },
    )
    monthly_token_quota = GroupedIntegerField(
        label=gettext_lazy("Monthly usage quota (tokens)"),
        min_value=1,
        max_value=MAX_QUOTA - 1,
        help_text=gettext_lazy("Across all the country's deployments, e.g. 50000000."),
        error_messages={
            "required": gettext_lazy("Enter the monthly quota in tokens."),
            "invalid": gettext_lazy("Enter the monthly quota as a whole number of tokens, e.g. 50000000."),
            "min_value": gettext_lazy("The monthly quota must be at least 1 token."),
            "max_value": gettext_lazy("The monthly quota is too large; enter fewer than 1,000,000,000,000,000 tokens."),
        },
    )
    start_date = IsoDateField(
        label=gettext_lazy("Start date"),
        help_text=gettext_lazy("For example, 2027-01-31."),
        error_messages={
            "required": gettext_lazy("Enter the start date."),
            "invalid": gettext_lazy("Enter the start date as YYYY-MM-DD, for example 2027-01-31."),
        },
    )
    end_date = IsoDateField(
        label=gettext_lazy("End date (optional)"),
        required=False,
        help_text=gettext_lazy("Leave empty for an open-ended engagement."),
        error_messages={"invalid": gettext_lazy("Enter the end date as YYYY-MM-DD, for example 2029-12-31.")},
    )
    economic_model = forms.ChoiceField(
        label=gettext_lazy("Economic model"),
        choices=EconomicModel.choices,
        error_messages={
            "required": gettext_lazy("Choose an economic model."),
            "invalid_choice": gettext_lazy("Choose an economic model from the list."),
        },
    )
    conditions = forms.CharField(
        label=gettext_lazy("Conditions (optional)"),
        required=False,
        max_length=MAX_CONDITIONS,
        widget=forms.Textarea,
        help_text=gettext_lazy("Any further conditions. They are stored encrypted under the country's key."),
        error_messages={
            "max_length": gettext_lazy("The conditions must be {max_conditions:,} characters or fewer.").format(
                max_conditions=MAX_CONDITIONS
            )
        },
    )

    economic_options = [(value, label, "") for value, label in EconomicModel.choices]

    @classmethod
    def initial_from(cls, terms: EngagementTerms) -> dict:
        initial = {
            f: getattr(terms, f)
            for f in (
                "sectors",
                "capabilities",
                "residency_region",
                "monthly_token_quota",
                "economic_model",
                "conditions",
            )
        }
        # Date inputs want ISO dates, not the localised form a template would print.
        initial["start_date"] = terms.start_date.isoformat()
        initial["end_date"] = terms.end_date.isoformat() if terms.end_date else ""
        return initial


class EngagementCreateForm(TermsForm):
    organisation = forms.TypedChoiceField(
        label=gettext_lazy("Applying organisation"),
        coerce=int,
        help_text=gettext_lazy("The organisation that applies on the country's behalf."),
        error_messages={
            "required": gettext_lazy("Choose the organisation that applies."),
            "invalid_choice": gettext_lazy("Choose one of this country's organisations."),
        },
    )

    field_order = ["organisation"]

    def __init__(self, *args, organisations: list[Organisation], **kwargs):
        super().__init__(*args, **kwargs)
        self.organisations = {o.pk: o for o in organisations}
        self.fields["organisation"].choices = [("", _("Choose an organisation"))] + [
            (o.pk, o.name) for o in organisations
        ]


class CommentForm(ServiceErrorMixin, forms.Form):
    comment = forms.CharField(
        label=gettext_lazy("Comment"),
        required=False,
        max_length=MAX_COMMENT,
        widget=forms.Textarea,
        help_text=gettext_lazy("Why you are doing this. The country's admins read it."),
        error_messages={
            "max_length": gettext_lazy("The comment must be {max_comment:,} characters or fewer.").format(
                max_comment=MAX_COMMENT
            )
        },
    )
