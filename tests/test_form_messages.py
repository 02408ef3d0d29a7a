"""Every form of the portal names the field a required-field error is about: Django's anonymous
"This field is required." says nothing in an error summary that lists several fields, so it must
not reach anyone, on any page or in the admin forms we write."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest
from django import forms

from tenants.forms import NamedRequiredErrors, required_message

APPS = ("tenants", "governance", "engagements", "deployments", "training", "portal", "gateway")
ANONYMOUS = str(forms.Field.default_error_messages["required"])


def project_forms() -> list[type[forms.BaseForm]]:
    found = []
    for app in APPS:
        package = importlib.import_module(app)
        for module_info in pkgutil.walk_packages(package.__path__, f"{app}."):
            if ".migrations" in module_info.name or module_info.name.endswith(".tasks"):
                continue
            module = importlib.import_module(module_info.name)
            for _, cls in inspect.getmembers(module, inspect.isclass):
                if issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__:
                    found.append(cls)
    return found


FORMS = project_forms()


def test_the_scan_finds_the_forms():
    names = {cls.__name__ for cls in FORMS}
    assert {"AssessmentAnswersForm", "OrganisationForm", "UpstreamForm", "AuditFilterForm"} <= names


@pytest.mark.parametrize("form_class", FORMS, ids=lambda cls: f"{cls.__module__}.{cls.__name__}")
def test_no_required_field_keeps_the_anonymous_message(form_class):
    if issubclass(form_class, NamedRequiredErrors):
        return  # named when the form is built and again when it is checked (see the test below)
    anonymous = [
        name
        for name, field in form_class.base_fields.items()
        if field.required and str(field.error_messages.get("required", "")) == ANONYMOUS
    ]
    assert anonymous == [], f"give these fields a required message that names them: {anonymous}"


@pytest.mark.django_db
def test_an_empty_submission_names_each_missing_field():
    from deployments.forms import UpstreamForm

    form = UpstreamForm(data={})
    assert not form.is_valid()
    messages = [str(e) for errors in form.errors.values() for e in errors]
    assert ANONYMOUS not in messages
    assert "Choose an answer for “Region it serves”." in messages
    assert "Enter “Name”." in messages and "Enter “Address”." in messages


def test_fields_added_after_the_form_is_built_are_named_too():
    class Late(NamedRequiredErrors, forms.Form):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.fields["colour"] = forms.ChoiceField(label="Colour", choices=[("red", "Red")])
            self.fields["agree"] = forms.BooleanField(label="I agree")
            self.fields["paper"] = forms.FileField(label="Paper")

    form = Late(data={})
    assert not form.is_valid()
    assert form.errors["colour"] == ["Choose an answer for “Colour”."]
    assert form.errors["agree"] == ["Tick “I agree” to continue."]
    assert form.errors["paper"] == ["Choose a file for “Paper”."]
    assert required_message(forms.CharField(label="Title")) == "Enter “Title”."
