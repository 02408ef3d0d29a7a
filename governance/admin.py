"""Platform admin: the programme's policy templates and frameworks, and the shared-policy library
(read-only: it belongs to the countries that share). Countries' own governance rows are absent,
as in tenants.admin: the platform runs the programme, not the countries' data."""

from django.contrib import admin

from .models import Framework, PolicyTemplate, Requirement, SharedPolicy


@admin.register(PolicyTemplate)
class PolicyTemplateAdmin(admin.ModelAdmin):
    list_display = ("title", "slug", "language")
    search_fields = ("title", "slug")
    prepopulated_fields = {"slug": ("title",)}


class RequirementInline(admin.TabularInline):
    model = Requirement
    extra = 0
    fields = ("position", "code", "reference", "title")


@admin.register(Framework)
class FrameworkAdmin(admin.ModelAdmin):
    list_display = ("name", "slug")
    inlines = [RequirementInline]


@admin.register(SharedPolicy)
class SharedPolicyAdmin(admin.ModelAdmin):
    list_display = ("title", "source_country_code", "version_number", "shared_at", "withdrawn_at")
    readonly_fields = [f.name for f in SharedPolicy._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
