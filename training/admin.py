"""Django admin of the platform's training tables: the catalogue and the platform requirements.
Versions are read-only here: content changes are published by services.catalogue_sync()."""

from django.contrib import admin

from tenants.forms import NamedAdminForms, NamedInlineForms

from .models import PlatformRequirement, Programme, ProgrammeVersion


class VersionInline(NamedInlineForms, admin.TabularInline):
    model = ProgrammeVersion
    fields = ["number", "pass_mark", "published_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Programme)
class ProgrammeAdmin(NamedAdminForms, admin.ModelAdmin):
    list_display = ["title", "slug", "is_active"]
    fields = ["title", "slug", "summary", "is_active"]
    readonly_fields = ["slug"]
    inlines = [VersionInline]


@admin.register(PlatformRequirement)
class PlatformRequirementAdmin(NamedAdminForms, admin.ModelAdmin):
    list_display = ["programme", "role", "sector", "capability"]
    list_filter = ["role", "sector", "capability"]
