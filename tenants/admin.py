"""Platform admin: countries and who looks after them, programme switches, API tokens, ledger
alerts and the platform's own chain (read-only).

Country-owned rows (organisations, members, events, checkpoints) are deliberately absent: the
platform admin runs the programme, not the countries' data."""

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tenants.access import AUDITOR_PERMISSION, AUDITORS_GROUP, PARTNER_MANAGERS_GROUP, PARTNER_PERMISSION
from tenants.country_state import READ_ONLY_STATUSES
from tenants.forms import NamedAdminForms, NamedRequiredErrors, named_form
from tenants.models import Country, PlatformSettings
from tenants.oversight import (
    oversight_conflict_message,
    oversight_conflicts,
    oversight_holders,
    oversight_set,
    platform_change_record,
)

# A country's fields whose changes go on the platform chain (who it is, where its data lives).
RECORDED_COUNTRY_FIELDS = ("code", "status", "residency_region", "mfa_required")

User = get_user_model()


class CountryAdminForm(NamedRequiredErrors, forms.ModelForm):
    partner_managers = forms.ModelMultipleChoiceField(
        queryset=User.objects.filter(groups__name=PARTNER_MANAGERS_GROUP, is_active=True),
        required=False,
        label=gettext_lazy("Partner managers"),
        widget=admin.widgets.FilteredSelectMultiple(gettext_lazy("Partner managers"), is_stacked=False),
        help_text=gettext_lazy(
            "People in the Partner managers group who review this country's engagement and deployments."
        ),
    )
    auditors = forms.ModelMultipleChoiceField(
        queryset=User.objects.filter(groups__name=AUDITORS_GROUP, is_active=True),
        required=False,
        label=gettext_lazy("Auditors"),
        widget=admin.widgets.FilteredSelectMultiple(gettext_lazy("Auditors"), is_stacked=False),
        help_text=gettext_lazy("People in the Auditors group who may read this country's record and export reports."),
    )

    class Meta:
        model = Country
        fields = ["code", "name", "status", "residency_region", "default_language", "time_zone", "mfa_required"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["partner_managers"].initial = list(oversight_holders(self.instance, PARTNER_PERMISSION))
            self.fields["auditors"].initial = list(oversight_holders(self.instance, AUDITOR_PERMISSION))

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

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            for field in ("partner_managers", "auditors"):
                conflicts = oversight_conflicts(country=self.instance, users=cleaned.get(field) or [])
                if conflicts:
                    self.add_error(field, oversight_conflict_message(conflicts))
        return cleaned


@admin.register(Country)
class CountryAdmin(NamedAdminForms, admin.ModelAdmin):
    form = CountryAdminForm
    list_display = ["code", "name", "status", "residency_region", "default_language"]
    list_filter = ["status", "residency_region"]
    search_fields = ["code", "name"]

    def save_model(self, request, obj, form, change):
        previous = Country.objects.filter(pk=obj.pk).values(*RECORDED_COUNTRY_FIELDS).first() if change else {}
        super().save_model(request, obj, form, change)
        changes = {
            name: {"from": (previous or {}).get(name), "to": getattr(obj, name)}
            for name in RECORDED_COUNTRY_FIELDS
            if (previous or {}).get(name) != getattr(obj, name)
        }
        platform_change_record(
            action="country.changed" if change else "country.created", by=request.user, target=obj, changes=changes
        )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        country = form.instance
        for field, codename in (("partner_managers", PARTNER_PERMISSION), ("auditors", AUDITOR_PERMISSION)):
            oversight_set(
                country=country, codename=codename, wanted=form.cleaned_data.get(field) or [], by=request.user
            )


@admin.register(PlatformSettings)
class PlatformSettingsAdmin(NamedAdminForms, admin.ModelAdmin):
    list_display = ["__str__", "open_organisation_kinds", "exit_waiting_days", "updated_at"]

    def save_model(self, request, obj, form, change):
        previous = PlatformSettings.objects.filter(pk=obj.pk).first() if change else None
        super().save_model(request, obj, form, change)
        changes = {}
        for name in ("dual_approval_quota", "open_organisation_kinds"):
            before = getattr(previous, name, None)
            if before != getattr(obj, name):
                changes[name] = {"from": before, "to": getattr(obj, name)}
        platform_change_record(action="platform_settings.changed", by=request.user, target=obj, changes=changes)

    def has_add_permission(self, request):
        return not PlatformSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


# --- People: deleting an account reaches into the countries it belonged to ----------------------
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin  # noqa: E402
from django.contrib.auth.forms import AdminPasswordChangeForm  # noqa: E402
from django.utils.translation import gettext, gettext_lazy  # noqa: E402

from tenants.access import memberships_of  # noqa: E402
from tenants.isolation import country_context  # noqa: E402
from tenants.record.ledger import event_record  # noqa: E402


def _countries_of(user_ids) -> set[int]:
    countries: set[int] = set()
    for user_id in user_ids:
        try:
            countries |= set(memberships_of(int(user_id)))
        except (TypeError, ValueError):
            continue
    return countries


class PortalUserAdmin(NamedAdminForms, BaseUserAdmin):
    """Deleting a person removes their memberships, which live in the countries' scoped tables: the
    deletion opens exactly those countries, and each removal goes on that country's record.
    Changes of the flags and groups that make someone a platform admin, partner manager or auditor
    go on the platform chain; a platform admin can reset a person's second factor."""

    actions = ["reset_second_factor"]
    change_password_form = named_form(AdminPasswordChangeForm)

    @admin.action(description=gettext_lazy("Reset the second factor (ends their sessions and tokens)"))
    def reset_second_factor(self, request, queryset):
        from tenants.identity.revocation import second_factor_reset

        for user in queryset:
            second_factor_reset(user=user, by=request.user)
        self.message_user(request, gettext("Second factors reset: they set one up again at their next sign-in."))

    def save_model(self, request, obj, form, change):
        previous = User.objects.filter(pk=obj.pk).values(*RECORDED_USER_FLAGS).first() if change else {}
        super().save_model(request, obj, form, change)
        changes = {
            name: {"from": (previous or {}).get(name), "to": getattr(obj, name)}
            for name in RECORDED_USER_FLAGS
            if (previous or {}).get(name, False) != getattr(obj, name)
        }
        platform_change_record(action="account.flags_changed", by=request.user, target=obj, changes=changes)

    def save_related(self, request, form, formsets, change):
        before = set(form.instance.groups.values_list("name", flat=True)) if change else set()
        super().save_related(request, form, formsets, change)
        after = set(form.instance.groups.values_list("name", flat=True))
        changes = {}
        if after - before:
            changes["added"] = sorted(after - before)
        if before - after:
            changes["removed"] = sorted(before - after)
        platform_change_record(action="account.groups_changed", by=request.user, target=form.instance, changes=changes)

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


RECORDED_USER_FLAGS = ("is_superuser", "is_staff", "is_active")

admin.site.unregister(User)
admin.site.register(User, PortalUserAdmin)

# The admin signs in through the portal's own sign-in (password, rate limits, second factor), never
# through Django's bare admin login form.
from allauth.account.decorators import secure_admin_login  # noqa: E402

admin.site.login = secure_admin_login(admin.site.login)
