"""The platform admin's pages: countries and assignments, and deleting a person."""

import pytest
from django.contrib.auth import get_user_model

from tenants.access import access_for
from tenants.isolation import country_context
from tenants.models import Membership
from tenants.record.models import CountryEvent

User = get_user_model()


@pytest.fixture
def admin_user(db):
    return User.objects.create_superuser("root-admin", "root@example.org", "a-long-admin-password-1")


def test_deleting_a_person_removes_their_memberships_and_records_it(cast, admin_user, client):
    client.force_login(admin_user)
    page = client.get(f"/admin/auth/user/{cast.member.pk}/delete/")
    assert page.status_code == 200
    response = client.post(f"/admin/auth/user/{cast.member.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not User.objects.filter(pk=cast.member.pk).exists()
    with country_context(cast.fr):
        assert not Membership.objects.filter(user_id=cast.member.pk).exists()
        assert CountryEvent.objects.filter(action="member.account_deleted", actor=admin_user).count() == 1


def test_bulk_deleting_people_works_across_countries(cast, admin_user, client):
    client.force_login(admin_user)
    response = client.post(
        "/admin/auth/user/",
        {"action": "delete_selected", "_selected_action": [cast.viewer.pk, cast.outsider.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not User.objects.filter(pk__in=[cast.viewer.pk, cast.outsider.pk]).exists()
    with country_context(cast.ke):
        assert CountryEvent.objects.filter(action="member.account_deleted").count() == 1


def test_assigning_a_partner_manager_in_the_country_admin(cast, admin_user, client):
    client.force_login(admin_user)
    response = client.post(
        f"/admin/tenants/country/{cast.ke.pk}/change/",
        {
            "code": "KE",
            "name": "Kenya",
            "status": "active",
            "residency_region": "af-east",
            "default_language": "en",
            "time_zone": "UTC",
            "partner_managers": [cast.partner.pk],
            "auditors": [],
        },
    )
    assert response.status_code == 302, response.content[:500]
    assert cast.ke.pk in access_for(cast.partner).partner_country_ids
    with country_context(cast.ke):
        event = CountryEvent.objects.get(action="assignment.partner_managers_changed")
        assert event.payload == {"added": [cast.partner.pk], "removed": []} and event.actor_id == admin_user.pk
    response = client.post(
        f"/admin/tenants/country/{cast.ke.pk}/change/",
        {
            "code": "KE",
            "name": "Kenya",
            "status": "active",
            "residency_region": "af-east",
            "default_language": "en",
            "time_zone": "UTC",
            "partner_managers": [],
            "auditors": [],
        },
    )
    assert cast.ke.pk not in access_for(cast.partner).partner_country_ids


def test_admin_is_closed_to_country_people(cast, client):
    client.force_login(cast.owner)
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def country_form(cast, status: str) -> dict:
    return {
        "code": "FR",
        "name": "France",
        "status": status,
        "residency_region": "eu-west",
        "default_language": "fr",
        "time_zone": "UTC",
        "partner_managers": [],
        "auditors": [],
    }


def test_leaving_is_not_a_status_picked_in_the_admin(cast, admin_user, client):
    """A country leaves through its exit with four eyes; and once it left, it cannot be revived here."""
    from tenants.keys.rotation import country_keys_destroy
    from tenants.models import Country

    client.force_login(admin_user)
    for status in ("exiting", "exited"):
        response = client.post(f"/admin/tenants/country/{cast.fr.pk}/change/", country_form(cast, status))
        assert response.status_code == 200 and "/platform/exits/" in response.content.decode()
        assert Country.objects.get(pk=cast.fr.pk).status == "active"
    country_keys_destroy(country=cast.fr)
    response = client.post(f"/admin/tenants/country/{cast.fr.pk}/change/", country_form(cast, "active"))
    assert response.status_code == 200 and "its status cannot change here" in response.content.decode()
    assert Country.objects.get(pk=cast.fr.pk).status == "exited"
