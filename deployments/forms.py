"""Forms of the deployments pages: shape only; the rules are in services."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from engagements.models import Capability, Sector
from tenants.isolation import country_context
from tenants.models import Country, Membership

from .models import AIModel, DeploymentRequest
from .selectors import requesting_organisations


class RequestForm(forms.Form):
    title = forms.CharField(max_length=200)
    purpose = forms.CharField(
        max_length=5000, widget=forms.Textarea, help_text=_("What the model will do, for whom, and why.")
    )
    organisation = forms.TypedChoiceField(coerce=int, label=_("Requesting organisation"))
    sector = forms.ChoiceField(choices=Sector.choices)
    model = forms.ChoiceField(label=_("Model"), help_text=_("From the programme's catalogue."))
    capabilities = forms.MultipleChoiceField(choices=Capability.choices, widget=forms.CheckboxSelectMultiple)
    region = forms.ChoiceField(choices=Country.Region.choices, label=_("Data-residency region"))
    data_classification = forms.ChoiceField(choices=DeploymentRequest.Classification.choices)
    expected_monthly_tokens = forms.IntegerField(min_value=1, max_value=10**12 - 1, label=_("Expected monthly tokens"))
    assessment = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, label=_("Impact assessment"))
    owner = forms.TypedChoiceField(coerce=int, label=_("Owner"), help_text=_("The person accountable once it runs."))

    def __init__(self, *args, country: Country, access, **kwargs):
        super().__init__(*args, **kwargs)
        from governance.models import ImpactAssessment

        with country_context(country):
            # Only the organisations this person may act for: a request naming another one is refused.
            self.fields["organisation"].choices = [
                (o.pk, o.name) for o in requesting_organisations(country=country, access=access)
            ]
            self.fields["assessment"].choices = [("", gettext("Choose an assessment"))] + [
                (a.pk, f"{a.title} ({a.get_status_display().lower()})") for a in ImpactAssessment.objects.all()
            ]
            people = Membership.objects.filter(status="active").select_related("user")
            self.fields["owner"].choices = [(m.user_id, m.user.get_full_name() or m.user.username) for m in people]
        self.fields["model"].choices = [(m.slug, m.name) for m in AIModel.objects.exclude(status="retired")]

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        from tenants.models import Organisation

        data["organisation"] = Organisation.objects.filter(pk=data["organisation"]).first()
        data["model"] = AIModel.objects.filter(slug=data["model"]).first()
        data["owner"] = get_user_model().objects.filter(pk=data["owner"]).first()
        data["assessment_id"] = data.pop("assessment")
        return data


class ActionForm(forms.Form):
    comment = forms.CharField(max_length=2000, required=False, widget=forms.Textarea)
    quota_tokens = forms.IntegerField(min_value=1, max_value=10**12 - 1, required=False, label=_("Monthly token quota"))
    expires_on = forms.DateField(required=False, label=_("Expires on"), help_text=_("For example, 2027-06-30."))
    human_review_required = forms.BooleanField(required=False, label=_("Human review of outputs required"))


class UsageForm(forms.Form):
    tokens = forms.IntegerField(min_value=1, max_value=10**12 - 1)


class UpstreamForm(forms.Form):
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


class CaptureForm(forms.Form):
    enabled = forms.BooleanField(required=False, label=_("Store this environment's prompts and outputs"))
    retention_days = forms.IntegerField(
        min_value=1,
        max_value=365,
        initial=30,
        label=_("Keep them for (days)"),
        help_text=_("From 1 to 365 days; then they are deleted."),
    )
