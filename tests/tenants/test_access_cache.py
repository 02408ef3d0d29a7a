"""Who is asking, resolved from the cache when nothing changed (no query at all for a known bearer
token), and every change of membership, role, assignment, group, token or account taking effect on
the very next request."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from guardian.shortcuts import remove_perm

from tenants.access import AUDITORS_GROUP, PARTNER_PERMISSION
from tenants.identity.tokens import api_token_issue, tokens_revoke_all
from tenants.isolation import country_context
from tenants.models import Membership

# Tables read only to learn who is asking.
WHO_IS_ASKING = ("tenants_apitoken", "auth_user_groups", "auth_group", "portal_memberships_of", "guardian_")


def bearer(api, user) -> None:
    raw, _ = api_token_issue(user=user)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")


def who_is_asking_queries(api, url: str) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = api.get(url)
    assert response.status_code == 200, response.content
    found = [q["sql"] for q in queries.captured_queries if any(t in q["sql"] for t in WHO_IS_ASKING)]
    return len(queries.captured_queries), found


@pytest.mark.parametrize("who", ["owner", "partner", "auditor"])
def test_a_known_token_costs_no_query_to_learn_who_is_asking(api, cast, who):
    bearer(api, getattr(cast, who))
    cold_total, cold = who_is_asking_queries(api, "/api/v1/countries/FR/")
    warm_total, warm = who_is_asking_queries(api, "/api/v1/countries/FR/")
    assert cold, "the first request resolves access from the database"
    assert warm == [], warm
    assert warm_total < cold_total


def test_a_session_request_resolves_access_from_the_cache(api, cast):
    api.force_login(cast.owner)
    api.get("/api/v1/countries/FR/")
    _, warm = who_is_asking_queries(api, "/api/v1/countries/FR/")
    assert warm == [], warm


def _fr_status(api) -> int:
    return api.get("/api/v1/countries/FR/").status_code


def test_a_removed_membership_takes_effect_on_the_next_request(api, cast):
    bearer(api, cast.member)
    assert _fr_status(api) == 200 and _fr_status(api) == 200
    with country_context(cast.fr):
        Membership.objects.filter(user=cast.member, country=cast.fr).delete()
    assert _fr_status(api) == 404


def test_a_lowered_role_takes_effect_on_the_next_request(api, cast):
    bearer(api, cast.member)
    url = "/api/v1/countries/FR/organisations/"
    assert api.get(url).status_code == 200
    with country_context(cast.fr):
        membership = Membership.objects.get(user=cast.member, country=cast.fr)
        membership.role = Membership.Role.VIEWER
        membership.save()
    response = api.post(url, {"name": "Agence nouvelle", "kind": "agency"}, format="json")
    assert response.status_code == 403, response.content


def test_a_membership_no_longer_active_takes_effect_on_the_next_request(api, cast):
    bearer(api, cast.member)
    assert _fr_status(api) == 200
    with country_context(cast.fr):
        Membership.objects.filter(user=cast.member, country=cast.fr).update(status=Membership.Status.INVITED)
    # .update() sends no signal: a service that changes memberships so says so (access_changed).
    from tenants.access import access_changed

    access_changed(user_ids=[cast.member.pk])
    assert _fr_status(api) == 404


def test_a_withdrawn_assignment_takes_effect_on_the_next_request(api, cast):
    bearer(api, cast.partner)
    assert _fr_status(api) == 200
    remove_perm(f"tenants.{PARTNER_PERMISSION}", cast.partner, cast.fr)
    assert _fr_status(api) == 404


def test_leaving_a_role_group_takes_effect_on_the_next_request(api, cast):
    bearer(api, cast.auditor)
    assert _fr_status(api) == 200
    cast.auditor.groups.remove(Group.objects.get(name=AUDITORS_GROUP))
    assert _fr_status(api) == 404


def test_a_revoked_token_takes_effect_on_the_next_request(api, cast):
    bearer(api, cast.owner)
    assert _fr_status(api) == 200
    assert api.post("/api/v1/auth/token/revoke/").status_code == 204
    assert _fr_status(api) == 401


def test_tokens_revoked_with_the_password_take_effect_on_the_next_request(api, cast):
    bearer(api, cast.owner)
    assert _fr_status(api) == 200
    tokens_revoke_all(user_id=cast.owner.pk)
    assert _fr_status(api) == 401


def test_a_deactivated_account_takes_effect_on_the_next_request(api, cast):
    bearer(api, cast.owner)
    assert _fr_status(api) == 200
    cast.owner.is_active = False
    cast.owner.save()
    assert _fr_status(api) == 401


def test_access_changed_in_a_request_or_task_is_renewed_again_when_it_is_over(db):
    """A request resolving access between the change and its commit must not keep what it read:
    the person's generation changes at once and once more when the unit of work is over."""
    from django.core.cache import cache

    from tenants.access import access_changed, access_changes_renewed

    key = "access:generation:424242"
    with access_changes_renewed():
        access_changed(user_ids=[424242])
        during = cache.get(key)
        assert during is not None
    assert cache.get(key) not in (None, during)
    outside = cache.get(key)
    access_changed(user_ids=[424242])  # outside a request or task: renewed at once only
    assert cache.get(key) not in (None, outside)
