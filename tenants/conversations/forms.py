"""The form under a conversation: a message and, if wanted, one file. Shape only; the rules (who
may write, the length, the file's type and size) are the service's."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from tenants.conversations.models import MESSAGE_MAX_LENGTH
from tenants.forms import ServiceErrorMixin


class MessageForm(ServiceErrorMixin, forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Your message"),
        help_text=gettext_lazy("Plain text, up to 4,000 characters. Everyone in this conversation will read it."),
        max_length=MESSAGE_MAX_LENGTH,
        strip=True,
        widget=forms.Textarea,
        error_messages={
            "required": gettext_lazy("Write your message before sending it."),
            "max_length": gettext_lazy(
                "Your message has %(show_value)d characters; a message can have at most %(limit_value)d. Shorten it, or attach the rest as a file."
            ),
        },
    )
    file = forms.FileField(
        label=gettext_lazy("Attach a file (optional)"),
        help_text=gettext_lazy("PDF, PNG, JPEG, DOCX, XLSX, TXT or CSV, up to 10 MB."),
        required=False,
        error_messages={
            "empty": gettext_lazy("The file is empty. Choose the file again."),
            "invalid": gettext_lazy("Choose a file to attach."),
        },
    )
