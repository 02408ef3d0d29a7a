"""Platform admin: the programme's policy templates and frameworks, and the shared-policy library
(read-only: it belongs to the countries that share). Countries' own governance rows are absent,
as in tenants.admin: the platform runs the programme, not the countries' data.

Frameworks are data loaded from files (docs/frameworks.md): they are imported here, from the
portal's format or a CISO Assistant library, and never edited by hand, so that a version stays
what countries assessed themselves against."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tenants.errors import NotAllowed
from tenants.forms import NamedAdminForms, NamedInlineForms, NamedRequiredErrors

from .frameworks.loading import max_bytes
from .frameworks.reading import FrameworkFileError
from .frameworks.services import framework_import
from .models import Framework, PolicyTemplate, Requirement, SharedPolicy


class FrameworkImportForm(NamedRequiredErrors, forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Framework file (YAML)"),
        help_text=gettext_lazy("A file in the portal's framework format, or a CISO Assistant library."),
    )
    format = forms.ChoiceField(
        label=gettext_lazy("Format"),
        choices=[
            ("auto", gettext_lazy("Recognise it from the file")),
            ("portal", gettext_lazy("The portal's framework format")),
            ("ciso-assistant", gettext_lazy("A CISO Assistant library")),
        ],
        initial="auto",
    )


@admin.register(PolicyTemplate)
class PolicyTemplateAdmin(NamedAdminForms, admin.ModelAdmin):
    list_display = ("title", "slug", "language")
    search_fields = ("title", "slug")
    prepopulated_fields = {"slug": ("title",)}


class RequirementInline(NamedInlineForms, admin.TabularInline):
    model = Requirement
    fk_name = "framework"
    extra = 0
    fields = ("position", "code", "reference", "title", "depth", "assessable")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Framework)
class FrameworkAdmin(NamedAdminForms, admin.ModelAdmin):
    list_display = ("name", "slug", "version", "is_current", "origin", "imported_at")
    list_filter = ("is_current", "origin")
    search_fields = ("name", "slug")
    inlines = [RequirementInline]
    change_list_template = "admin/governance/framework/change_list.html"

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Framework._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="governance_framework_import")
        ] + super().get_urls()

    def import_view(self, request):
        """Upload a framework file: every problem is listed by line, and nothing is loaded unless
        the whole file is sound."""
        if not request.user.is_superuser:
            raise PermissionDenied
        form = FrameworkImportForm(request.POST or None, request.FILES or None)
        problems = []
        status = 200
        if request.method == "POST":
            if form.is_valid():
                upload = form.cleaned_data["file"]
                try:
                    outcomes = framework_import(
                        files=[(upload.name, upload.read(max_bytes() + 1))],
                        by=request.user,
                        fmt=form.cleaned_data["format"],
                    )
                except FrameworkFileError as error:
                    problems = error.problems
                except NotAllowed as error:
                    raise PermissionDenied(error.message) from None
                else:
                    for outcome in outcomes:
                        messages.success(request, _describe(outcome))
                    return redirect("admin:governance_framework_changelist")
            status = 400
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import a framework"),
            "opts": self.model._meta,
            "form": form,
            "problems": problems,
        }
        return TemplateResponse(request, "admin/governance/framework/import.html", context, status=status)


def _describe(outcome) -> str:
    if outcome.status == "mappings":
        return _("%(file)s: %(n)s mappings loaded.") % {"file": outcome.name, "n": outcome.mappings}
    words = {
        "created": _("loaded"),
        "new_version": _("loaded as the new current version"),
        "updated": _("updated in place"),
        "unchanged": _("already loaded, unchanged"),
    }
    return _("%(name)s, version %(version)s: %(what)s (%(requirements)s requirements, %(mappings)s mappings).") % {
        "name": outcome.name,
        "version": outcome.version,
        "what": words[outcome.status],
        "requirements": outcome.requirements,
        "mappings": outcome.mappings,
    }


@admin.register(SharedPolicy)
class SharedPolicyAdmin(NamedAdminForms, admin.ModelAdmin):
    list_display = ("title", "source_country_code", "version_number", "shared_at", "withdrawn_at")
    readonly_fields = [f.name for f in SharedPolicy._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
