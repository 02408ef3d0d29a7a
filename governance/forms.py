"""Forms of the governance pages: shape and wording of errors only; rules stay in the services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tenants.fields import GroupedIntegerField
from tenants.forms import ServiceErrorMixin

from . import questionnaire
from .models import Incident, RequirementStatus

ROLE_CHOICES = [
    ("country_admin", gettext_lazy("Country admins")),
    ("officer", gettext_lazy("Officers")),
    ("viewer", gettext_lazy("Viewers")),
]


class PolicyVersionForm(ServiceErrorMixin, forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Text of the policy"),
        widget=forms.Textarea,
        help_text=gettext_lazy("Plain text. Leave a blank line between paragraphs."),
        error_messages={"required": gettext_lazy("Enter the text of the policy.")},
    )
    language = forms.CharField(
        label=gettext_lazy("Language"),
        max_length=12,
        help_text=gettext_lazy("A language tag such as en, fr or pt-BR."),
        error_messages={
            "required": gettext_lazy("Enter the language of the text."),
            "max_length": gettext_lazy("A language tag is 12 characters or fewer."),
        },
    )
    roles = forms.MultipleChoiceField(
        label=gettext_lazy("Who must acknowledge it"),
        choices=ROLE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": gettext_lazy("Choose at least one role."),
            "invalid_choice": gettext_lazy("Choose roles from the list."),
        },
    )


class AssessmentStartForm(ServiceErrorMixin, forms.Form):
    title = forms.CharField(
        label=gettext_lazy("Intended use"),
        max_length=200,
        help_text=gettext_lazy("For example: Chat assistant answering questions about tax forms."),
        error_messages={
            "required": gettext_lazy("Enter the intended use being assessed."),
            "max_length": gettext_lazy("The title must be 200 characters or fewer."),
        },
    )
    use_reference = forms.CharField(
        label=gettext_lazy("Reference (optional)"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("A project or deployment reference, if there is one."),
        error_messages={"max_length": gettext_lazy("The reference must be 100 characters or fewer.")},
    )


class AssessmentAnswersForm(ServiceErrorMixin, forms.Form):
    """One field per question of the questionnaire version; all optional until completion."""

    def __init__(self, *args, version: int = questionnaire.CURRENT_VERSION, completing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.version = version
        self.completing = completing
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
                    error_messages={"invalid_choice": _("Choose safeguards from the list.")},
                )
            else:
                self.fields[question["key"]] = forms.ChoiceField(
                    label=question["text"],
                    choices=choices,
                    required=False,
                    help_text=question["hint"],
                    error_messages={
                        "invalid_choice": _("Choose one of the answers for: {question_text}").format(
                            question_text=question["text"]
                        )
                    },
                )

    def clean(self):
        cleaned = super().clean()
        if self.completing:
            # Every missing answer at once, each against its own question, so the error summary
            # lists them all and each link leads to the question's first answer.
            for question in questionnaire.unanswered(cleaned, version=self.version):
                if question["key"] not in self.errors:
                    self.add_error(question["key"], questionnaire.missing_message(question))
        return cleaned

    def answers(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if v not in ("", None)}

    def radio_fields(self):
        """(bound field, options as (value, label, hint) triples, multiple?) for the template."""
        for question in self.questions:
            options = [(value, label, "") for value, label, _ in question["options"]]
            yield self[question["key"]], options, bool(question.get("multiple"))


class RequirementStatusForm(ServiceErrorMixin, forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        choices=RequirementStatus.Status.choices,
        error_messages={
            "required": gettext_lazy("Choose a status."),
            "invalid_choice": gettext_lazy("Choose a status from the list."),
        },
    )
    owner = forms.TypedChoiceField(
        label=gettext_lazy("Owner"),
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={"invalid_choice": gettext_lazy("Choose an owner from the list.")},
    )
    note = forms.CharField(
        label=gettext_lazy("Note (optional)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
        error_messages={"max_length": gettext_lazy("The note must be 2,000 characters or fewer.")},
    )

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [("", _("No owner"))] + [
            (m.pk, m.user.get_full_name() or m.user.username) for m in members
        ]


class EvidenceForm(ServiceErrorMixin, forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Upload evidence"),
        help_text=gettext_lazy("PDF, PNG, JPEG, DOCX, XLSX, TXT or CSV, up to 10 MB."),
        error_messages={
            "required": gettext_lazy("Choose a file to upload."),
            "empty": gettext_lazy("The file is empty. Choose the evidence file again."),
            "invalid": gettext_lazy("Choose a file to upload."),
        },
    )


class IncidentForm(ServiceErrorMixin, forms.Form):
    title = forms.CharField(
        label=gettext_lazy("Title"),
        max_length=200,
        error_messages={
            "required": gettext_lazy("Enter a short title."),
            "max_length": gettext_lazy("The title must be 200 characters or fewer."),
        },
    )
    severity = forms.ChoiceField(
        label=gettext_lazy("Severity"),
        choices=Incident.Severity.choices,
        error_messages={
            "required": gettext_lazy("Choose the severity."),
            "invalid_choice": gettext_lazy("Choose the severity from the list."),
        },
    )
    deployment_reference = forms.CharField(
        label=gettext_lazy("Deployment (reference)"),
        max_length=100,
        required=False,
        error_messages={"max_length": gettext_lazy("The reference must be 100 characters or fewer.")},
    )
    assessment = forms.TypedChoiceField(
        label=gettext_lazy("Or the assessed use"),
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={"invalid_choice": gettext_lazy("Choose an assessment from the list.")},
    )
    description = forms.CharField(
        label=gettext_lazy("What happened"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=20000,
        error_messages={"required": gettext_lazy("Describe what happened.")},
    )
    people_affected = GroupedIntegerField(
        label=gettext_lazy("People affected"),
        min_value=0,
        max_value=2_000_000_000,
        initial=0,
        error_messages={
            "required": gettext_lazy("Enter the number of people affected (0 if none)."),
            "invalid": gettext_lazy("Enter the number of people affected as a whole number."),
            "min_value": gettext_lazy("The number of people affected cannot be negative."),
            "max_value": gettext_lazy("Enter a realistic number of people affected."),
        },
    )
    steps_taken = forms.CharField(
        label=gettext_lazy("Steps taken so far (optional)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=20000,
    )

    SEVERITY_HINTS = {
        "serious": gettext_lazy(
            "Harm to health, safety or fundamental rights, or serious disruption: report within 15 days."
        ),
        "major": gettext_lazy("Significant harm or many people affected: report within 30 days."),
        "minor": gettext_lazy("Limited, quickly corrected effects: report within 90 days."),
    }

    def __init__(self, *args, assessments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assessment"].choices = [("", _("None"))] + [(a.pk, a.title) for a in assessments]
        self.severity_options = [(v, label, self.SEVERITY_HINTS[v]) for v, label in Incident.Severity.choices]


class AdvanceForm(ServiceErrorMixin, forms.Form):
    steps_taken = forms.CharField(
        label=gettext_lazy("Steps taken (optional)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=20000,
    )
