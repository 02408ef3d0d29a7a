"""Who may see which country (tenants.access.access_for): members by their active membership,
partner managers and auditors by a guardian object permission held while in their group,
nobody else — resolved before any country context exists."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, Group
from guardian.shortcuts import assign_perm, remove_perm

from tenants.access import (
    ANONYMOUS,
    AUDITOR,
    AUDITOR_PERMISSION,
    AUDITORS_GROUP,
    PARTNER_MANAGER,
    PARTNER_MANAGERS_GROUP,
    PARTNER_PERMISSION,
    access_for,
)
from tenants.isolation import country_context, current_scope
from tenants.models import Country, Membership

User = get_user_model()


@pytest.fixture
def ee(cast):
    return Country.objects.create(code="EE", name="Estonia", status="active")


@pytest.mark.parametrize(
    "who, fr_role, can_write",
    [
        ("owner", "country_admin", True),
        ("member", "officer", True),
        ("viewer", "viewer", False),
        ("partner", PARTNER_MANAGER, False),
        ("auditor", AUDITOR, False),
        ("outsider", None, False),
    ],
)
def test_each_person_of_the_cast(cast, who, fr_role, can_write):
    access = access_for(getattr(cast, who))
    assert access.user_id == getattr(cast, who).pk
    assert access.role_in(cast.fr.pk) == fr_role
    assert access.can_view(cast.fr.pk) is (fr_role is not None)
    assert access.can_write(cast.fr.pk) is can_write
    assert access.is_country_admin(cast.fr.pk) is (fr_role == "country_admin")
    expected_countries = {cast.ke.pk} if who == "outsider" else {cast.fr.pk}
    assert access.country_ids == expected_countries
    assert access.is_partner_manager is (who == "partner")
    assert access.is_auditor is (who == "auditor")
    assert access.is_platform_admin is False


def test_the_outsider_is_admin_of_kenya_only(cast):
    access = access_for(cast.outsider)
    assert access.role_in(cast.ke.pk) == "country_admin"
    assert access.can_write(cast.ke.pk) and not access.can_view(cast.fr.pk)
    assert access.memberships[cast.ke.pk].organisation_id == cast.ke_ministry.pk


def test_access_is_resolved_without_and_regardless_of_a_country_context(cast):
    assert current_scope() is None
    outside = access_for(cast.owner)
    with country_context(cast.ke):  # a context of another country does not hide one's own memberships
        inside = access_for(cast.owner)
    with country_context():
        empty = access_for(cast.owner)
    assert outside.memberships == inside.memberships == empty.memberships
    assert outside.country_ids == {cast.fr.pk}


def test_a_member_of_two_countries_sees_both_with_their_role_in_each(cast):
    with country_context(cast.ke):
        Membership.objects.create(country=cast.ke, user=cast.member, organisation=cast.ke_ministry, role="viewer")
    access = access_for(cast.member)
    assert access.country_ids == {cast.fr.pk, cast.ke.pk}
    assert (access.role_in(cast.fr.pk), access.role_in(cast.ke.pk)) == ("officer", "viewer")


def test_an_invited_membership_gives_no_access(cast):
    with country_context(cast.ke):
        Membership.objects.create(
            country=cast.ke, user=cast.viewer, organisation=cast.ke_ministry, role="country_admin", status="invited"
        )
    access = access_for(cast.viewer)
    assert access.country_ids == {cast.fr.pk}
    assert access.role_in(cast.ke.pk) is None and not access.is_country_admin(cast.ke.pk)


def test_a_membership_never_lowers_nor_raises_oversight_in_the_same_country(cast):
    """Finding 2 of issue 12: a membership made in a country (a legacy row: services now refuse it)
    neither turns its partner manager into a viewer nor its auditor into a writer."""
    with country_context(cast.fr):
        Membership.objects.create(country=cast.fr, user=cast.partner, organisation=cast.fr_agency, role="viewer")
        Membership.objects.create(country=cast.fr, user=cast.auditor, organisation=cast.fr_agency, role="country_admin")
    partner, auditor = access_for(cast.partner), access_for(cast.auditor)
    assert partner.role_in(cast.fr.pk) == PARTNER_MANAGER
    assert auditor.role_in(cast.fr.pk) == "auditor"
    assert not auditor.can_write(cast.fr.pk) and not auditor.is_country_admin(cast.fr.pk)
    assert not partner.can_write(cast.fr.pk)


def test_a_partner_manager_sees_every_assigned_country_directly_or_through_the_group(cast, ee):
    partners = Group.objects.get(name=PARTNER_MANAGERS_GROUP)
    assign_perm(f"tenants.{PARTNER_PERMISSION}", partners, ee)  # the whole group manages Estonia
    access = access_for(cast.partner)
    assert access.partner_country_ids == {cast.fr.pk, ee.pk}
    assert access.role_in(ee.pk) == PARTNER_MANAGER and access.role_in(cast.ke.pk) is None
    assert access.auditor_country_ids == frozenset()


def test_a_partner_removed_from_the_group_loses_every_assigned_country(cast, ee):
    partners = Group.objects.get(name=PARTNER_MANAGERS_GROUP)
    assign_perm(f"tenants.{PARTNER_PERMISSION}", cast.partner, cast.ke)
    assign_perm(f"tenants.{PARTNER_PERMISSION}", partners, ee)
    assert access_for(cast.partner).country_ids == {cast.fr.pk, cast.ke.pk, ee.pk}
    cast.partner.groups.remove(partners)
    access = access_for(cast.partner)
    assert access.country_ids == frozenset()
    assert access.role_in(cast.fr.pk) is None and not access.is_partner_manager
    cast.partner.groups.add(partners)  # the assignments were kept, and come back with the group
    assert access_for(cast.partner).country_ids == {cast.fr.pk, cast.ke.pk, ee.pk}


def test_unassigning_a_country_withdraws_it(cast):
    remove_perm(f"tenants.{PARTNER_PERMISSION}", cast.partner, cast.fr)
    assert access_for(cast.partner).country_ids == frozenset()


def test_an_auditor_sees_only_assigned_countries_and_only_while_an_auditor(cast, ee):
    assign_perm(f"tenants.{AUDITOR_PERMISSION}", cast.auditor, ee)
    access = access_for(cast.auditor)
    assert access.auditor_country_ids == {cast.fr.pk, ee.pk}
    assert access.role_in(ee.pk) == AUDITOR and not access.can_write(ee.pk)
    cast.auditor.groups.remove(Group.objects.get(name=AUDITORS_GROUP))
    assert access_for(cast.auditor).country_ids == frozenset()


def test_a_permission_counts_only_in_its_own_roles_group(cast):
    """An audit permission held by a partner manager (not an auditor) and a partnership permission
    held by an auditor (not a partner manager) give nothing."""
    assign_perm(f"tenants.{AUDITOR_PERMISSION}", cast.partner, cast.ke)
    assign_perm(f"tenants.{PARTNER_PERMISSION}", cast.auditor, cast.ke)
    assert access_for(cast.partner).country_ids == {cast.fr.pk}
    assert access_for(cast.auditor).country_ids == {cast.fr.pk}
    assert access_for(cast.partner).role_in(cast.ke.pk) is None


def test_anonymous_and_inactive_people_get_nothing(cast):
    for nobody in (None, AnonymousUser()):
        access = access_for(nobody)
        assert access is ANONYMOUS
        assert access.country_ids == frozenset() and access.user_id is None
        assert access.role_in(cast.fr.pk) is None and not access.can_view(cast.fr.pk)
    cast.owner.is_active = False
    cast.owner.save(update_fields=["is_active"])
    assert access_for(cast.owner) is ANONYMOUS


def test_a_platform_admin_is_not_a_member_of_any_country(cast):
    admin = User.objects.create(username="root", email="root@example.org", is_staff=True, is_superuser=True)
    access = access_for(admin)
    assert access.is_platform_admin and access.country_ids == frozenset()
    assert access.role_in(cast.fr.pk) is None
