"""Platform admin: countries and who looks after them, programme switches, API tokens, ledger
alerts and the platform's own chain (read-only).

Country-owned rows (organisations, members, events, checkpoints) are deliberately absent: the
platform admin runs the programme, not the countries' data."""

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, get_users_with_perms, remove_perm

from tenants.access import AUDITOR_PERMISSION, AUDITORS_GROUP, PARTNER_MANAGERS_GROUP, PARTNER_PERMISSION
from tenants.country_state import READ_ONLY_STATUSES
from tenants.models import Country, PlatformSettings

User = get_user_model()


def _holders(country: Country, codename: str):
    return get_users_with_perms(country, only_with_perms_in=[codename], with_group_users=False)


class CountryAdminForm(forms.ModelForm):
    partner_managers = forms.ModelMultipleChoiceField(
        queryset=User.objects.filter(groups__name=PARTNER_MANAGERS_GROUP, is_active=True),
        required=False,
        widget=admin.widgets.FilteredSelectMultiple("partner managers", is_stacked=False),
        help_text="People in the Partner managers group who review this country's engagement and deployments.",
    )
    auditors = forms.ModelMultipleChoiceField(
        queryset=User.objects.filter(groups__name=AUDITORS_GROUP, is_active=True),
        required=False,
        widget=admin.widgets.FilteredSelectMultiple("auditors", is_stacked=False),
        help_text="People in the Auditors group who may read this country's record and export reports.",
    )

    class Meta:
        model = Country
        fields = ["code", "name", "status", "residency_region", "default_language"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["partner_managers"].initial = list(_holders(self.instance, PARTNER_PERMISSION))
            self.fields["auditors"].initial = list(_holders(self.instance, AUDITOR_PERMISSION))

    def clean_code(self):
        return (self.cleaned_data.get("code") or "").upper()

    def clean_status(self):
        """Leaving is a workflow with four eyes (/platform/exits/), never a status picked here; and a
        country whose keys were destroyed cannot be made writable again."""
        status = self.cleaned_data.get("status")
        current = self.instance.status if self.instance.pk else None
        if current in READ_ONLY_STATUSES and status != current:
            raise forms.ValidationError(
                _("This country left the programme, or is leaving it: its status cannot change here.")
            )
        if status in READ_ONLY_STATUSES and status != current:
            raise forms.ValidationError(
                _(
                    "A country leaves through its exit, with its admin's agreement: use Platform → Exits (/platform/exits/)."
                )
            )
        return status


@admin.register(Country)
class CountryAdmin(admin.ModelAdmin):
    form = CountryAdminForm
    list_display = ["code", "name", "status", "residency_region", "default_language"]
    list_filter = ["status", "residency_region"]
    search_fields = ["code", "name"]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        country = form.instance
        for field, codename in (("partner_managers", PARTNER_PERMISSION), ("auditors", AUDITOR_PERMISSION)):
            wanted = set(form.cleaned_data.get(field) or [])
            current = set(_holders(country, codename))
            added, removed = wanted - current, current - wanted
            for user in added:
                assign_perm(f"tenants.{codename}", user, country)
            for user in removed:
                remove_perm(f"tenants.{codename}", user, country)
            if added or removed:
                from tenants.record.ledger import event_record

                event_record(
                    country=country,
                    action=f"assignment.{field}_changed",
                    actor=request.user,
                    actor_role="platform",
                    target=country,
                    payload={"added": sorted(u.pk for u in added), "removed": sorted(u.pk for u in removed)},
                )


@admin.register(PlatformSettings)
class PlatformSettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "open_organisation_kinds", "exit_waiting_days", "updated_at"]

    def has_add_permission(self, request):
        return not PlatformSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


# --- People: deleting an account reaches into the countries it belonged to ----------------------
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin  # noqa: E402

from tenants.access import _memberships_of  # noqa: E402
from tenants.isolation import country_context  # noqa: E402
from tenants.record.ledger import event_record  # noqa: E402


def _countries_of(user_ids) -> set[int]:
    countries: set[int] = set()
    for user_id in user_ids:
        try:
            countries |= set(_memberships_of(int(user_id)))
        except (TypeError, ValueError):
            continue
    return countries


class PortalUserAdmin(BaseUserAdmin):
    """Deleting a person removes their memberships, which live in the countries' scoped tables: the
    deletion opens exactly those countries, and each removal goes on that country's record."""

    def delete_view(self, request, object_id, extra_context=None):
        with country_context(_countries_of([object_id])):
            return super().delete_view(request, object_id, extra_context)

    def response_action(self, request, queryset):
        with country_context(_countries_of(request.POST.getlist("_selected_action"))):
            return super().response_action(request, queryset)

    def _record_removals(self, request, users) -> None:
        from tenants.models import Membership

        for membership in Membership.objects.filter(user__in=users).select_related("country"):
            event_record(
                country=membership.country,
                action="member.account_deleted",
                actor=request.user,
                actor_role="platform",
                target=membership,
                payload={"role": membership.role},
            )

    def delete_model(self, request, obj):
        self._record_removals(request, [obj])
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        self._record_removals(request, list(queryset))
        super().delete_queryset(request, queryset)


admin.site.unregister(User)
admin.site.register(User, PortalUserAdmin)
