"""Platform admin of the record: ledger alerts (resolved, never edited) and the platform chain (read-only)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tenants.forms import NamedAdminForms
from tenants.record import services as audit
from tenants.record.events import describe_platform_events
from tenants.record.models import LedgerAlert, PlatformEvent


class AlertStatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("open", "Unresolved"), ("resolved", "Resolved")]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(resolved_at__isnull=True)
        if self.value() == "resolved":
            return queryset.filter(resolved_at__isnull=False)
        return queryset


@admin.register(LedgerAlert)
class LedgerAlertAdmin(NamedAdminForms, admin.ModelAdmin):
    """Breaks found by verification. They are facts: never edited or deleted, only resolved once
    explained, which goes on the platform chain."""

    list_display = ["chain", "problem", "found_at", "resolved_at", "resolved_by"]
    list_filter = [AlertStatusFilter, "chain"]
    list_select_related = ["resolved_by"]
    readonly_fields = ["chain", "problem", "found_at", "resolved_at", "resolved_by"]
    actions = ["mark_resolved"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Mark the selected alerts resolved"))
    def mark_resolved(self, request, queryset):
        count = audit.ledger_alerts_resolve(alerts=queryset, by=request.user)
        self.message_user(request, f"{count} alert{'' if count == 1 else 's'} marked resolved.")


@admin.register(PlatformEvent)
class PlatformEventAdmin(NamedAdminForms, admin.ModelAdmin):
    """The platform chain (sign-ins, assignments, verification runs), to read only: the database
    refuses any change to it anyway."""

    # The event in words first, then its code (what the search reads).
    list_display = [
        "sequence",
        "at",
        "what",
        "detail",
        "actor_label",
        "actor_role",
        "action",
        "target_type",
        "target_id",
    ]
    search_fields = ["action", "actor_label"]
    readonly_fields = [
        "sequence",
        "at",
        "actor",
        "actor_label",
        "actor_role",
        "action",
        "target_type",
        "target_id",
        "payload",
        "prev_hash",
        "hash",
    ]
    show_full_result_count = False
    actions = None

    @admin.display(description=gettext_lazy("What"), ordering="action")
    def what(self, obj: PlatformEvent) -> str:
        return describe_platform_events([obj])[0].label

    @admin.display(description=gettext_lazy("Detail"))
    def detail(self, obj: PlatformEvent) -> str:
        return describe_platform_events([obj])[0].detail

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
