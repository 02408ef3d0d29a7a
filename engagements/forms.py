"""Forms of the engagement pages: the shape of the terms and of a decision's comment, with errors
worded for people. The rules (roles, four-eyes, open organisation kinds) stay in the services."""

from __future__ import annotations

from django import forms

from engagements.models import Capability, EconomicModel, EngagementTerms, Sector
from engagements.services import MAX_COMMENT, MAX_CONDITIONS, MAX_QUOTA
from tenants.forms import ServiceErrorMixin
from tenants.models import Country, Organisation


class TermsForm(ServiceErrorMixin, forms.Form):
    sectors = forms.MultipleChoiceField(
        label="Sectors in scope",
        choices=Sector.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Select all that apply.",
        error_messages={
            "required": "Choose at least one sector in scope.",
            "invalid_choice": "Choose sectors from the list.",
        },
    )
    capabilities = forms.MultipleChoiceField(
        label="Allowed model capabilities",
        choices=Capability.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="What the country's deployments may use models for.",
        error_messages={
            "required": "Choose at least one model capability.",
            "invalid_choice": "Choose capabilities from the list.",
        },
    )
    residency_region = forms.ChoiceField(
        label="Data-residency region",
        choices=Country.Region.choices,
        help_text="Where the country's data and models are hosted.",
        error_messages={
            "required": "Choose a data-residency region.",
            "invalid_choice": "Choose a data-residency region from the list.",
        },
    )
    monthly_token_quota = forms.IntegerField(
        label="Monthly usage quota (tokens)",
        min_value=1,
        max_value=MAX_QUOTA - 1,
        help_text="Across all the country's deployments, e.g. 50000000.",
        error_messages={
            "required": "Enter the monthly quota in tokens.",
            "invalid": "Enter the monthly quota as a whole number of tokens, e.g. 50000000.",
            "min_value": "The monthly quota must be at least 1 token.",
            "max_value": "The monthly quota is too large; enter fewer than 1,000,000,000,000,000 tokens.",
        },
    )
    start_date = forms.DateField(
        label="Start date",
        help_text="For example, 2027-01-31.",
        error_messages={
            "required": "Enter the start date.",
            "invalid": "Enter the start date as a real date, e.g. 2027-01-31.",
        },
    )
    end_date = forms.DateField(
        label="End date (optional)",
        required=False,
        help_text="Leave empty for an open-ended engagement.",
        error_messages={"invalid": "Enter the end date as a real date, e.g. 2029-12-31."},
    )
    economic_model = forms.ChoiceField(
        label="Economic model",
        choices=EconomicModel.choices,
        error_messages={
            "required": "Choose an economic model.",
            "invalid_choice": "Choose an economic model from the list.",
        },
    )
    conditions = forms.CharField(
        label="Conditions (optional)",
        required=False,
        max_length=MAX_CONDITIONS,
        widget=forms.Textarea,
        help_text="Any further conditions. They are stored encrypted under the country's key.",
        error_messages={"max_length": f"The conditions must be {MAX_CONDITIONS:,} characters or fewer."},
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
        label="Applying organisation",
        coerce=int,
        help_text="The organisation that applies on the country's behalf.",
        error_messages={
            "required": "Choose the organisation that applies.",
            "invalid_choice": "Choose one of this country's organisations.",
        },
    )

    field_order = ["organisation"]

    def __init__(self, *args, organisations: list[Organisation], **kwargs):
        super().__init__(*args, **kwargs)
        self.organisations = {o.pk: o for o in organisations}
        self.fields["organisation"].choices = [("", "Choose an organisation")] + [(o.pk, o.name) for o in organisations]


class CommentForm(ServiceErrorMixin, forms.Form):
    comment = forms.CharField(
        label="Comment",
        required=False,
        max_length=MAX_COMMENT,
        widget=forms.Textarea,
        help_text="Why you are doing this. The country's admins read it.",
        error_messages={"max_length": f"The comment must be {MAX_COMMENT:,} characters or fewer."},
    )
