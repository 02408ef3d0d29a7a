"""The model catalogue is platform-managed: platform admins edit it here."""

from django.contrib import admin

from tenants.forms import NamedAdminForms

from .models import AIModel


@admin.register(AIModel)
class AIModelAdmin(NamedAdminForms, admin.ModelAdmin):
    list_display = ("name", "slug", "provider", "status")
    list_filter = ("status",)
    search_fields = ("name", "slug", "provider")
    prepopulated_fields = {"slug": ("name",)}
