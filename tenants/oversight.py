"""Who oversees which country (partner managers, auditors) and the platform-level switches, as a
platform admin changes them: each change goes on the platform chain (and, for a country's
overseers, on that country's chain too), and oversight never goes with a membership of the same
country (separation of duties)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, get_users_with_perms, remove_perm

from tenants.access import AUDITOR_PERMISSION, PARTNER_PERMISSION, memberships_of
from tenants.models import Country
from tenants.record.ledger import event_record, platform_event_record

FIELDS = {PARTNER_PERMISSION: "partner_managers", AUDITOR_PERMISSION: "auditors"}


def oversight_holders(country: Country, codename: str):
    return get_users_with_perms(country, only_with_perms_in=[codename], with_group_users=False)


def oversight_conflicts(*, country: Country, users) -> list:
    """Those of `users` who are members of `country` (invited or active): they cannot oversee it."""
    return [user for user in users if country.pk in memberships_of(user.pk)]


def oversight_conflict_message(users) -> str:
    names = ", ".join(sorted(u.get_full_name() or u.username for u in users))
    return _(
        "%(names)s cannot oversee this country: they are members of it. Oversight and a membership of "
        "the same country are never held together; remove the membership first."
    ) % {"names": names}


@transaction.atomic
def oversight_set(*, country: Country, codename: str, wanted, by) -> tuple[set, set]:
    """Make `wanted` exactly the holders of `codename` on `country`. Refuses members of the country."""
    wanted = set(wanted)
    conflicts = oversight_conflicts(country=country, users=wanted)
    if conflicts:
        from tenants.errors import ServiceError

        raise ServiceError(oversight_conflict_message(conflicts), field=FIELDS[codename])
    current = set(oversight_holders(country, codename))
    added, removed = wanted - current, current - wanted
    for user in added:
        assign_perm(f"tenants.{codename}", user, country)
    for user in removed:
        remove_perm(f"tenants.{codename}", user, country)
    if added or removed:
        payload = {"added": sorted(u.pk for u in added), "removed": sorted(u.pk for u in removed)}
        action = f"assignment.{FIELDS[codename]}_changed"
        event_record(country=country, action=action, actor=by, actor_role="platform", target=country, payload=payload)
        platform_event_record(action=action, actor=by, actor_role="platform", target=country, payload=payload)
    return added, removed


def platform_change_record(*, action: str, by, target, changes: dict) -> None:
    """A platform-level change made in the admin (values are codes, numbers and flags only)."""
    if changes:
        platform_event_record(action=action, actor=by, actor_role="platform", target=target, payload=changes)
