"""Finding 6 of issue 12: the platform-level changes that decide who oversees whom went only to
Django's editable admin log. Now each goes on the platform chain: partner-manager and auditor
grants, superuser and staff flags, the dual-approval quota, a country's status or residency
region, identity-provider changes and second-factor resets. And an overseer of a country cannot
be given a membership there, nor a member made its overseer (separation of duties)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from tenants.access import access_for
from tenants.identity.models import ApiToken
from tenants.identity.tokens import api_token_issue
from tenants.isolation import country_context
from tenants.models import Membership, PlatformSettings
from tenants.record.models import PlatformEvent
from tests.identity.helpers import give_totp

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def platform_admin(db):
    return User.objects.create_superuser("root", "root@example.org", "a-long-admin-password")


def last(action: str) -> PlatformEvent:
    return PlatformEvent.objects.filter(action=action).order_by("-sequence").first()


def country_form(cast, **changes) -> dict:
    data = {
        "code": "FR",
        "name": "France",
        "status": "active",
        "residency_region": "eu-west",
        "default_language": "fr",
        "time_zone": "UTC",
        "partner_managers": [cast.partner.pk],
        "auditors": [cast.auditor.pk],
    }
    data.update(changes)
    return data


def test_a_countrys_status_and_region_go_on_the_platform_chain(client, cast, platform_admin):
    client.force_login(platform_admin)
    response = client.post(
        f"/admin/tenants/country/{cast.fr.pk}/change/",
        country_form(cast, status="suspended", residency_region="eu-north"),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    event = last("country.changed")
    assert event.actor_id == platform_admin.pk and event.target_id == str(cast.fr.pk)
    assert event.payload == {
        "status": {"from": "active", "to": "suspended"},
        "residency_region": {"from": "eu-west", "to": "eu-north"},
    }


def test_oversight_grants_go_on_the_platform_chain(client, cast, platform_admin):
    client.force_login(platform_admin)
    response = client.post(f"/admin/tenants/country/{cast.fr.pk}/change/", country_form(cast, auditors=[]))
    assert response.status_code == 302
    assert last("assignment.auditors_changed").payload == {"added": [], "removed": [cast.auditor.pk]}
    assert access_for(cast.auditor).auditor_country_ids == frozenset()


def test_a_member_of_a_country_cannot_be_made_its_overseer(client, cast, platform_admin):
    from django.contrib.auth.models import Group

    from tenants.access import PARTNER_MANAGERS_GROUP

    cast.member.groups.add(Group.objects.get(name=PARTNER_MANAGERS_GROUP))
    client.force_login(platform_admin)
    before = PlatformEvent.objects.count()
    response = client.post(
        f"/admin/tenants/country/{cast.fr.pk}/change/",
        country_form(cast, partner_managers=[cast.partner.pk, cast.member.pk]),
    )
    assert response.status_code == 200
    assert "cannot oversee this country: they are members of it" in response.content.decode()
    assert cast.fr.pk not in access_for(cast.member).partner_country_ids
    assert PlatformEvent.objects.count() == before


def test_the_dual_approval_quota_goes_on_the_platform_chain(client, cast, platform_admin):
    settings_row = PlatformSettings.load()
    client.force_login(platform_admin)
    response = client.post(
        f"/admin/tenants/platformsettings/{settings_row.pk}/change/",
        {"open_organisation_kinds": "[]", "dual_approval_quota": "5000000", "exit_waiting_days": "30"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert last("platform_settings.changed").payload == {"dual_approval_quota": {"from": None, "to": 5000000}}


def test_superuser_flags_and_groups_go_on_the_platform_chain(rf, cast, platform_admin):
    from django.contrib import admin

    model_admin = admin.site._registry[User]
    request = rf.post("/admin/")
    request.user = platform_admin
    cast.viewer.is_superuser = cast.viewer.is_staff = True
    model_admin.save_model(request, cast.viewer, form=None, change=True)
    event = last("account.flags_changed")
    assert event.target_id == str(cast.viewer.pk) and event.actor_id == platform_admin.pk
    assert event.payload == {"is_superuser": {"from": False, "to": True}, "is_staff": {"from": False, "to": True}}


def test_a_second_factor_reset_is_recorded_and_revokes_tokens_and_sessions(client, cast, platform_admin):
    give_totp(cast.owner)
    api_token_issue(user=cast.owner)
    client.force_login(platform_admin)
    response = client.post("/admin/auth/user/", {"action": "reset_second_factor", "_selected_action": [cast.owner.pk]})
    assert response.status_code == 302
    assert last("auth.second_factor_reset").target_id == str(cast.owner.pk)
    assert not ApiToken.objects.filter(user=cast.owner, revoked_at__isnull=True).exists()
    from allauth.mfa.models import Authenticator

    assert not Authenticator.objects.filter(user=cast.owner).exists()


def test_identity_provider_changes_are_on_both_chains(cast):
    from tests.identity.conftest import france_provider

    france_provider(cast, "https://id.example.gouv.fr")
    event = last("identity_provider.created")
    assert event.actor_id == cast.owner.pk and "client_secret" in event.payload["fields"]
    with country_context(cast.fr):
        from tenants.record.models import CountryEvent

        assert CountryEvent.objects.filter(action="identity_provider.created").exists()


def test_an_overseer_keeps_a_legacy_membership_from_changing_their_role(cast):
    with country_context(cast.fr):
        Membership.objects.create(country=cast.fr, user=cast.auditor, organisation=cast.fr_agency, role="officer")
    assert not access_for(cast.auditor).can_write(cast.fr.pk)


def test_a_platform_admin_configures_a_countrys_provider_in_the_admin(client, cast, platform_admin):
    from django.db import connection

    client.force_login(platform_admin)
    form = {
        "country": cast.ke.pk,
        "name": "eCitizen",
        "issuer": "https://accounts.ecitizen.go.ke",
        "client_id": "portal",
        "new_client_secret": "kenya-client-secret-value",
        "domains": "ict.go.ke\nhealth.go.ke",
        "organisation_map": "{}",
        "role_map": "{}",
        "default_role": "viewer",
        "mfa_acr_values": "[]",
        "enabled": "on",
    }
    bad = client.post("/admin/tenants/identityprovider/add/", {**form, "domains": "not a domain"})
    assert bad.status_code == 200 and "is not a domain name" in bad.content.decode()
    assert client.post("/admin/tenants/identityprovider/add/", form).status_code == 302
    event = last("identity_provider.created")
    assert event.target_id == str(cast.ke.pk) and event.actor_role == "platform"
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('portal.country_ids', %s, true)", [str(cast.ke.pk)])
        cursor.execute("SELECT client_secret FROM tenants_identityprovider")
        stored = cursor.fetchone()[0]
    assert "kenya-client-secret-value" not in stored  # sealed under Kenya's key
    assert client.get("/admin/tenants/identityprovider/").status_code == 200
