"""Forms of the training pages: shape and wording of the input; the rules stay in services."""

from __future__ import annotations

from django import forms
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tenants.forms import ServiceErrorMixin
from tenants.models import Membership

from .models.catalogue import CAPABILITIES, SECTORS
from .services import ROSTER_LABELS, ROSTER_MAX_BYTES


class QuizForm(ServiceErrorMixin, forms.Form):
    """One radio group per question of a module's quiz."""

    def __init__(self, *args, questions: list[dict], **kwargs):
        super().__init__(*args, **kwargs)
        for index, question in enumerate(questions):
            self.fields[f"q{index}"] = forms.TypedChoiceField(
                label=question["question"],
                coerce=int,
                widget=forms.RadioSelect,
                choices=[(i, option) for i, option in enumerate(question["options"])],
                error_messages={
                    "required": _("Choose an answer to this question."),
                    "invalid_choice": _("Choose one of the answers listed."),
                },
            )

    def answers(self) -> list[int]:
        return [self.cleaned_data[name] for name in self.fields]


class RoleEnrolForm(ServiceErrorMixin, forms.Form):
    programme = forms.ChoiceField(
        label=gettext_lazy("Programme"),
        error_messages={
            "required": gettext_lazy("Choose a programme."),
            "invalid_choice": gettext_lazy("Choose a programme from the list."),
        },
    )
    role = forms.ChoiceField(
        label=gettext_lazy("Everyone with the role"),
        choices=Membership.Role.choices,
        error_messages={
            "required": gettext_lazy("Choose a role."),
            "invalid_choice": gettext_lazy("Choose a role from the list."),
        },
    )

    def __init__(self, *args, programmes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].choices = [(p.slug, p.plain_title) for p in programmes]


class RosterForm(ServiceErrorMixin, forms.Form):
    roster = forms.FileField(
        label=gettext_lazy("Roster (CSV)"),
        help_text=format_lazy(
            gettext_lazy(
                "Columns: email,programme and optionally due_date (YYYY-MM-DD), or the same columns headed in "
                "your language: {headings}. The programme is its code from the catalogue, e.g. ai-literacy."
            ),
            headings=lazy(lambda: ", ".join(str(label) for label in ROSTER_LABELS.values()), str)(),
        ),
        error_messages={
            "required": gettext_lazy("Choose a CSV file to upload."),
            "empty": gettext_lazy("The file is empty."),
        },
    )

    def clean_roster(self):
        upload = self.cleaned_data["roster"]
        if upload.size > ROSTER_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than {roster_max_bytes} KB. Split it into smaller rosters.").format(
                    roster_max_bytes=ROSTER_MAX_BYTES // 1024
                )
            )
        return upload


class RequirementForm(ServiceErrorMixin, forms.Form):
    programme = forms.ChoiceField(
        label=gettext_lazy("Programme"),
        error_messages={
            "required": gettext_lazy("Choose a programme."),
            "invalid_choice": gettext_lazy("Choose a programme from the list."),
        },
    )
    role = forms.ChoiceField(
        label=gettext_lazy("Who must hold it"),
        choices=Membership.Role.choices,
        error_messages={
            "required": gettext_lazy("Choose a role."),
            "invalid_choice": gettext_lazy("Choose a role from the list."),
        },
    )
    sector = forms.ChoiceField(
        label=gettext_lazy("Only for uses in the sector (optional)"),
        required=False,
        choices=[("", gettext_lazy("Any sector")), *SECTORS],
        error_messages={"invalid_choice": gettext_lazy("Choose a sector from the list.")},
    )
    capability = forms.ChoiceField(
        label=gettext_lazy("Only for models with the capability (optional)"),
        required=False,
        choices=[("", gettext_lazy("Any capability")), *CAPABILITIES],
        error_messages={"invalid_choice": gettext_lazy("Choose a capability from the list.")},
    )

    def __init__(self, *args, programmes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].choices = [(p.slug, p.plain_title) for p in programmes]
