"""Forms of the deployments pages: shape only; the rules are in services."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from engagements.models import Capability, Sector
from tenants.fields import GroupedIntegerField, IsoDateField
from tenants.forms import NamedRequiredErrors
from tenants.isolation import reading_context
from tenants.languages.formatting import grouped_number
from tenants.models import Country, Membership

from . import selectors
from .models import MAX_REQUESTS_PER_MINUTE, AIModel, DeploymentRequest
from .selectors import requesting_organisations


def _blank(label, choices) -> list:
    return [("", label), *choices]


class RequestForm(forms.Form):
    """Nothing is chosen for the person that they did not choose: the selects start empty, except
    where the engagement's approved terms or the person themself leave one answer (their own
    organisation, themself as owner, the terms' region)."""

    title = forms.CharField(
        max_length=200, label=_("Title"), error_messages={"required": _("Enter a title for the request.")}
    )
    purpose = forms.CharField(
        max_length=5000,
        widget=forms.Textarea,
        label=_("Purpose"),
        help_text=_("What the model will do, for whom, and why."),
        error_messages={"required": _("Enter the purpose: what the model will do, for whom, and why.")},
    )
    organisation = forms.TypedChoiceField(
        coerce=int,
        label=_("Requesting organisation"),
        error_messages={
            "required": _("Choose the requesting organisation."),
            "invalid_choice": _("Choose the requesting organisation from the list."),
        },
    )
    sector = forms.ChoiceField(
        label=_("Sector"),
        error_messages={
            "required": _("Choose the sector the deployment serves."),
            "invalid_choice": _("Choose a sector from the list."),
        },
    )
    model = forms.ChoiceField(
        label=_("Model"),
        help_text=_("From the programme's catalogue."),
        error_messages={
            "required": _("Choose a model from the catalogue."),
            "invalid_choice": _("Choose a model from the list."),
        },
    )
    capabilities = forms.MultipleChoiceField(
        label=_("Capabilities"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Choose at least one capability."),
            "invalid_choice": _("Choose capabilities from the list."),
        },
    )
    region = forms.ChoiceField(
        label=_("Data-residency region"),
        error_messages={
            "required": _("Choose the data-residency region."),
            "invalid_choice": _("Choose a data-residency region from the list."),
        },
    )
    data_classification = forms.ChoiceField(
        label=_("Data classification"),
        help_text=_("The most sensitive data the model will see."),
        choices=_blank(_("Choose a classification"), DeploymentRequest.Classification.choices),
        error_messages={
            "required": _("Choose the classification of the data the model will see."),
            "invalid_choice": _("Choose a data classification from the list."),
        },
    )
    expected_monthly_tokens = GroupedIntegerField(
        min_value=1,
        max_value=10**12 - 1,
        label=_("Expected monthly tokens"),
        help_text=_("A whole number, for example 300000."),
        error_messages={
            "required": _("Enter the expected monthly tokens."),
            "invalid": _("Enter the expected monthly tokens as a whole number, for example 300000."),
            "min_value": _("The expected monthly tokens must be 1 or more."),
            "max_value": _("The expected monthly tokens must be under a million million."),
        },
    )
    assessment = forms.TypedChoiceField(
        coerce=int,
        required=False,
        empty_value=None,
        label=_("Impact assessment"),
        help_text=_("A completed assessment of this use; you can link it later."),
        error_messages={"invalid_choice": _("Choose an impact assessment from the list.")},
    )
    owner = forms.TypedChoiceField(
        coerce=int,
        label=_("Owner"),
        help_text=_("The person accountable once it runs."),
        error_messages={
            "required": _("Choose the owner of the deployment."),
            "invalid_choice": _("Choose the owner from the list of the country's members."),
        },
    )

    def __init__(self, *args, country: Country, access, user=None, **kwargs):
        """`user`: of a new request, whose defaults (selectors.request_defaults) are its initial answers."""
        super().__init__(*args, **kwargs)
        from governance.models import ImpactAssessment

        terms = selectors.terms_current(country=country)
        with reading_context(country):
            # Only the organisations this person may act for: a request naming another one is refused.
            organisations = [(o.pk, o.name) for o in requesting_organisations(country=country, access=access)]
            if user is not None:
                self.initial = selectors.request_defaults(
                    country=country, access=access, user=user, terms=terms, allowed=[pk for pk, _name in organisations]
                )
            self.fields["organisation"].choices = (
                organisations if len(organisations) == 1 else _blank(_("Choose an organisation"), organisations)
            )
            self.fields["assessment"].choices = [("", gettext("Not yet"))] + [
                (a.pk, f"{a.title} ({a.get_status_display().lower()})") for a in ImpactAssessment.objects.all()
            ]
            people = Membership.objects.filter(status="active").select_related("user").order_by("user__first_name")
            self.fields["owner"].choices = _blank(
                _("Choose the owner"), [(m.user_id, m.user.get_full_name() or m.user.username) for m in people]
            )
        # What the engagement's approved terms cover; the gates refuse anything else.
        sectors = [c for c in Sector.choices if terms is None or c[0] in terms.sectors]
        capabilities = [c for c in Capability.choices if terms is None or c[0] in terms.capabilities]
        regions = [c for c in Country.Region.choices if terms is None or c[0] == terms.residency_region]
        self.fields["sector"].choices = sectors if len(sectors) == 1 else _blank(_("Choose a sector"), sectors)
        self.fields["capabilities"].choices = capabilities
        self.fields["region"].choices = regions if len(regions) == 1 else _blank(_("Choose a region"), regions)
        models = selectors.model_list()
        if terms is not None:
            models = [m for m in models if terms.residency_region in (m.regions or [])]
        self.fields["model"].choices = _blank(_("Choose a model"), [(m.slug, m.name) for m in models])

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        from tenants.models import Organisation

        data["organisation"] = Organisation.objects.filter(pk=data["organisation"]).first()
        data["model"] = AIModel.objects.filter(slug=data["model"]).first()
        data["owner"] = get_user_model().objects.filter(pk=data["owner"]).first()
        data["assessment_id"] = data.pop("assessment")
        return data

    @classmethod
    def initial_from(cls, request: DeploymentRequest) -> dict:
        """A saved draft's answers, to edit them."""
        return {
            "title": request.title,
            "purpose": request.purpose,
            "organisation": request.organisation_id,
            "sector": request.sector,
            "model": request.model.slug,
            "capabilities": list(request.capabilities),
            "region": request.region,
            "data_classification": request.data_classification,
            "expected_monthly_tokens": request.expected_monthly_tokens,
            "assessment": request.assessment_id,
            "owner": request.owner_id,
        }


# The most calls a minute an approval may allow, written as the reader groups digits (10,000; 10 000).
MOST_PER_MINUTE = lazy(grouped_number, str)(MAX_REQUESTS_PER_MINUTE)


class ActionForm(forms.Form):
    comment = forms.CharField(max_length=2000, required=False, widget=forms.Textarea, label=_("Comment"))
    quota_tokens = GroupedIntegerField(
        min_value=1, max_value=10**12 - 1, required=False, label=_("Monthly token quota")
    )
    expires_on = IsoDateField(required=False, label=_("Expires on"), help_text=_("For example, 2027-06-30."))
    human_review_required = forms.BooleanField(required=False, label=_("Human review of outputs required"))
    requests_per_minute = GroupedIntegerField(
        min_value=1,
        max_value=MAX_REQUESTS_PER_MINUTE,
        required=False,
        label=_("Rate limit (calls a minute)"),
        help_text=format_lazy(
            _("From 1 to {most}: the gateway refuses the environment's calls beyond it."), most=MOST_PER_MINUTE
        ),
        error_messages={
            key: format_lazy(
                _("The rate limit is a whole number of calls a minute, from 1 to {most}."), most=MOST_PER_MINUTE
            )
            for key in ("invalid", "min_value", "max_value")
        },
    )


class UsageForm(NamedRequiredErrors, forms.Form):
    tokens = GroupedIntegerField(
        min_value=1,
        max_value=10**12 - 1,
        label=_("Tokens used"),
        error_messages={"required": _("Enter the number of tokens used, for example 1500.")},
    )


class UpstreamForm(NamedRequiredErrors, forms.Form):
    region = forms.ChoiceField(choices=Country.Region.choices, label=_("Region it serves"))
    name = forms.CharField(max_length=120, label=_("Name"))
    base_url = forms.CharField(
        max_length=300, label=_("Address"), help_text=_("Its OpenAI-compatible base URL, ending in /v1.")
    )
    api_key = forms.CharField(
        max_length=500,
        required=False,
        label=_("Key"),
        help_text=_("Sealed under your country's key and never shown again. Leave empty if the server needs none."),
    )


class CaptureForm(NamedRequiredErrors, forms.Form):
    enabled = forms.BooleanField(required=False, label=_("Store this environment's prompts and outputs"))
    retention_days = GroupedIntegerField(
        min_value=1,
        max_value=365,
        initial=30,
        label=_("Keep them for (days)"),
        help_text=_("From 1 to 365 days; then they are deleted."),
    )
