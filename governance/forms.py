"""Forms of the governance pages: shape and wording of errors only; rules stay in the services."""

from __future__ import annotations

from django import forms

from tenants.forms import ServiceErrorMixin

from . import questionnaire
from .models import Incident, RequirementStatus

ROLE_CHOICES = [("country_admin", "Country admins"), ("officer", "Officers"), ("viewer", "Viewers")]


class PolicyVersionForm(ServiceErrorMixin, forms.Form):
    text = forms.CharField(
        label="Text of the policy",
        widget=forms.Textarea,
        help_text="Plain text. Leave a blank line between paragraphs.",
        error_messages={"required": "Enter the text of the policy."},
    )
    language = forms.CharField(
        label="Language",
        max_length=12,
        help_text="A language tag such as en, fr or pt-BR.",
        error_messages={
            "required": "Enter the language of the text.",
            "max_length": "A language tag is 12 characters or fewer.",
        },
    )
    roles = forms.MultipleChoiceField(
        label="Who must acknowledge it",
        choices=ROLE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one role.", "invalid_choice": "Choose roles from the list."},
    )


class AssessmentStartForm(ServiceErrorMixin, forms.Form):
    title = forms.CharField(
        label="Intended use",
        max_length=200,
        help_text="For example: Chat assistant answering questions about tax forms.",
        error_messages={
            "required": "Enter the intended use being assessed.",
            "max_length": "The title must be 200 characters or fewer.",
        },
    )
    use_reference = forms.CharField(
        label="Reference (optional)",
        max_length=100,
        required=False,
        help_text="A project or deployment reference, if there is one.",
        error_messages={"max_length": "The reference must be 100 characters or fewer."},
    )


class AssessmentAnswersForm(ServiceErrorMixin, forms.Form):
    """One field per question of the questionnaire version; all optional until completion."""

    def __init__(self, *args, version: int = questionnaire.CURRENT_VERSION, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questionnaire.questions(version)
        for question in self.questions:
            choices = [(value, label) for value, label, _ in question["options"]]
            if question.get("multiple"):
                self.fields[question["key"]] = forms.MultipleChoiceField(
                    label=question["text"],
                    choices=choices,
                    required=False,
                    help_text=question["hint"],
                    widget=forms.CheckboxSelectMultiple,
                    error_messages={"invalid_choice": "Choose safeguards from the list."},
                )
            else:
                self.fields[question["key"]] = forms.ChoiceField(
                    label=question["text"],
                    choices=choices,
                    required=False,
                    help_text=question["hint"],
                    error_messages={"invalid_choice": "Choose one of the answers."},
                )

    def answers(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if v not in ("", None)}

    def radio_fields(self):
        """(bound field, options as (value, label, hint) triples, multiple?) for the template."""
        for question in self.questions:
            options = [(value, label, "") for value, label, _ in question["options"]]
            yield self[question["key"]], options, bool(question.get("multiple"))


class RequirementStatusForm(ServiceErrorMixin, forms.Form):
    status = forms.ChoiceField(
        label="Status",
        choices=RequirementStatus.Status.choices,
        error_messages={"required": "Choose a status.", "invalid_choice": "Choose a status from the list."},
    )
    owner = forms.TypedChoiceField(
        label="Owner",
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={"invalid_choice": "Choose an owner from the list."},
    )
    note = forms.CharField(
        label="Note (optional)",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
        error_messages={"max_length": "The note must be 2,000 characters or fewer."},
    )

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [("", "No owner")] + [
            (m.pk, m.user.get_full_name() or m.user.username) for m in members
        ]


class EvidenceForm(ServiceErrorMixin, forms.Form):
    file = forms.FileField(
        label="Upload evidence",
        help_text="PDF, PNG, JPEG, DOCX, XLSX, TXT or CSV, up to 10 MB.",
        error_messages={
            "required": "Choose a file to upload.",
            "empty": "The file is empty. Choose the evidence file again.",
            "invalid": "Choose a file to upload.",
        },
    )


class IncidentForm(ServiceErrorMixin, forms.Form):
    title = forms.CharField(
        label="Title",
        max_length=200,
        error_messages={"required": "Enter a short title.", "max_length": "The title must be 200 characters or fewer."},
    )
    severity = forms.ChoiceField(
        label="Severity",
        choices=Incident.Severity.choices,
        error_messages={"required": "Choose the severity.", "invalid_choice": "Choose the severity from the list."},
    )
    deployment_reference = forms.CharField(
        label="Deployment (reference)",
        max_length=100,
        required=False,
        error_messages={"max_length": "The reference must be 100 characters or fewer."},
    )
    assessment = forms.TypedChoiceField(
        label="Or the assessed use",
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={"invalid_choice": "Choose an assessment from the list."},
    )
    description = forms.CharField(
        label="What happened",
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=20000,
        error_messages={"required": "Describe what happened."},
    )
    people_affected = forms.IntegerField(
        label="People affected",
        min_value=0,
        max_value=2_000_000_000,
        initial=0,
        error_messages={
            "required": "Enter the number of people affected (0 if none).",
            "invalid": "Enter the number of people affected as a whole number.",
            "min_value": "The number of people affected cannot be negative.",
            "max_value": "Enter a realistic number of people affected.",
        },
    )
    steps_taken = forms.CharField(
        label="Steps taken so far (optional)",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=20000,
    )

    SEVERITY_HINTS = {
        "serious": "Harm to health, safety or fundamental rights, or serious disruption: report within 15 days.",
        "major": "Significant harm or many people affected: report within 30 days.",
        "minor": "Limited, quickly corrected effects: report within 90 days.",
    }

    def __init__(self, *args, assessments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assessment"].choices = [("", "None")] + [(a.pk, a.title) for a in assessments]
        self.severity_options = [(v, label, self.SEVERITY_HINTS[v]) for v, label in Incident.Severity.choices]


class AdvanceForm(ServiceErrorMixin, forms.Form):
    steps_taken = forms.CharField(
        label="Steps taken (optional)", widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=20000
    )
