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


# --- The Django admin's forms ---------------------------------------------------------------------


def project_admins() -> list:
    """The ModelAdmins the project registers (its own models, and the people's admin it replaces)."""
    from django.contrib import admin

    return [
        model_admin
        for model_admin in admin.site._registry.values()
        if type(model_admin).__module__.split(".", 1)[0] in APPS
    ]


def admin_form_classes(model_admin, request) -> list[tuple[str, type[forms.BaseForm]]]:
    """Every form an admin page of `model_admin` builds: the add form, the change form, each
    inline's row form, and the password form of the people's admin."""
    name = type(model_admin).__name__
    found = [
        (f"{name} add", model_admin.get_form(request, None)),
        (f"{name} change", model_admin.get_form(request, model_admin.model(), change=True)),
    ]
    for inline in model_admin.get_inline_instances(request, None):
        found.append((f"{name} {type(inline).__name__}", inline.get_formset(request, None).form))
    if hasattr(model_admin, "change_password_form"):
        found.append((f"{name} password", model_admin.change_password_form))
    return found


def empty_submission_errors(form_class, model_admin) -> list[str]:
    """The errors of the form submitted empty, and the required fields still keeping Django's message."""
    if hasattr(model_admin, "change_password_form") and form_class is model_admin.change_password_form:
        form = form_class(model_admin.model(), data={})
    else:
        form = form_class(data={})
    anonymous = [
        f"{name} (kept)"
        for name, field in form.fields.items()
        if field.required and str(field.error_messages.get("required", "")) == ANONYMOUS
    ]
    form.is_valid()
    said = [f"{name}: {message}" for name, errors in form.errors.items() for message in errors if message == ANONYMOUS]
    return anonymous + said


@pytest.fixture
def admin_request(db):
    from django.contrib.auth import get_user_model
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = get_user_model()(username="root", is_staff=True, is_superuser=True)
    return request


def test_the_admin_scan_finds_the_project_admins(admin_request):
    names = {type(model_admin).__name__ for model_admin in project_admins()}
    assert {"CountryAdmin", "PortalUserAdmin", "FrameworkAdmin", "AIModelAdmin", "ProgrammeAdmin"} <= names
    forms_found = [label for ma in project_admins() for label, _ in admin_form_classes(ma, admin_request)]
    assert "FrameworkAdmin RequirementInline" in forms_found and "PortalUserAdmin password" in forms_found


def test_every_admin_form_names_its_required_fields(admin_request, cast):
    from tenants.isolation import country_context
    from tenants.models import Country

    # As the admin pages of country-owned rows do, every country's context is open.
    with country_context(list(Country.objects.values_list("pk", flat=True))):
        bare = {
            label: problems
            for model_admin in project_admins()
            for label, form_class in admin_form_classes(model_admin, admin_request)
            if (problems := empty_submission_errors(form_class, model_admin))
        }
    assert bare == {}, f"these admin forms say a bare {ANONYMOUS!r}: {bare}"


def test_an_admin_without_the_base_would_be_caught(admin_request):
    """The check above can fail: Django's own ModelAdmin for the catalogue keeps the bare message."""
    from django.contrib import admin

    from deployments.models import AIModel

    plain = admin.ModelAdmin(AIModel, admin.AdminSite(name="plain"))
    problems = empty_submission_errors(plain.get_form(admin_request, None), plain)
    assert "name (kept)" in problems and f"name: {ANONYMOUS}" in problems
    named = admin.site._registry[AIModel]
    form = named.get_form(admin_request, None)(data={})
    assert not form.is_valid() and form.errors["name"] == [required_message(form.fields["name"])]
