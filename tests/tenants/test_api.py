"""The tenants API under /api/v1/ (DESIGN §4, §8): countries, organisations, members and audit
events, for every kind of caller; writes through the services; errors as JSON; constant query
counts; and the OpenAPI schema with its offline docs."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tenants.identity.tokens import api_token_issue
from tenants.isolation import country_context
from tenants.languages.formatting import long_date
from tenants.models import Invitation, Membership, Organisation, PlatformSettings
from tenants.record.ledger import GENESIS_HASH, event_record
from tenants.record.models import ActionReason, CountryEvent
from tests.tenants.confirming import on_record

User = get_user_model()
API = "/api/v1"
FR = f"{API}/countries/FR"
READERS = ["owner", "member", "viewer", "partner", "auditor"]
ALL_CALLERS = [*READERS, "outsider", "anonymous"]


def sign_in(api, cast, who: str, how: str = "session") -> None:
    if who == "anonymous":
        return
    user = getattr(cast, who)
    if how == "bearer":
        raw, _ = api_token_issue(user=user)
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    else:
        api.force_login(user)


def membership_of(cast, user, country=None) -> Membership:
    country = country or cast.fr
    with country_context(country):
        return Membership.objects.get(user=user)


def snapshot(cast) -> dict:
    """Everything a refused write could have touched."""
    with country_context(cast.fr, cast.ke):
        return {
            "users": sorted(User.objects.values_list("pk", "is_active")),
            "organisations": sorted(Organisation.objects.values_list("pk", "country_id", "name", "kind")),
            "memberships": sorted(
                Membership.objects.values_list("pk", "country_id", "organisation_id", "role", "status")
            ),
            "invitations": Invitation.objects.count(),
            "events": sorted(CountryEvent.objects.values_list("country_id", "sequence")),
        }


@pytest.fixture
def events(cast):
    """A short chain of FR events (and one in KE) recorded through the ledger."""
    recorded = [
        event_record(
            country=cast.fr,
            action="organisation.created",
            actor=cast.owner,
            actor_role="country_admin",
            target=cast.fr_agency,
            payload={"kind": "public_agency"},
        ),
        event_record(
            country=cast.fr,
            action="member.role_changed",
            actor=cast.owner,
            actor_role="country_admin",
            target=membership_of(cast, cast.viewer),
            payload={"from": "officer", "to": "viewer"},
        ),
        event_record(country=cast.fr, action="policy.adopted", payload={"policy": 7}),
    ]
    event_record(
        country=cast.ke,
        action="organisation.created",
        actor=cast.outsider,
        actor_role="country_admin",
        target=cast.ke_ministry,
        payload={"kind": "ministry"},
    )
    with country_context(cast.fr):  # chained by the database: read back their sequence and hashes
        for event in recorded:
            event.refresh_from_db(fields=["sequence", "prev_hash", "hash"])
    return recorded


def fr_read_urls(cast) -> list[str]:
    return [
        f"{FR}/",
        f"{FR}/organisations/",
        f"{FR}/organisations/{cast.fr_agency.pk}/",
        f"{FR}/members/",
        f"{FR}/members/{membership_of(cast, cast.member).pk}/",
        f"{FR}/audit-events/",
    ]


# --- Who may read what ------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["session", "bearer"])
@pytest.mark.parametrize("who", ALL_CALLERS)
def test_fr_reads_by_caller(api, cast, events, who, how):
    """Members, partner managers and auditors of FR read it; another country's admin gets 404
    (never 403, never data); anonymous callers 401 with a Bearer challenge."""
    sign_in(api, cast, who, how)
    expected = {"outsider": 404, "anonymous": 401}.get(who, 200)
    for url in fr_read_urls(cast):
        response = api.get(url)
        assert response.status_code == expected, url
        body = response.json()
        if expected == 200:
            assert "detail" not in body
        else:
            assert set(body) == {"detail"}, url
            assert "Ministère" not in response.content.decode() and "Olga" not in response.content.decode()
        if expected == 401:
            assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize("who", ["owner", "member", "viewer", "partner", "auditor", "anonymous"])
def test_ke_reads_by_fr_callers(api, cast, who):
    sign_in(api, cast, who)
    expected = 401 if who == "anonymous" else 404
    ke = f"{API}/countries/KE"
    for url in [
        f"{ke}/",
        f"{ke}/organisations/",
        f"{ke}/organisations/{cast.ke_ministry.pk}/",
        f"{ke}/members/",
        f"{ke}/members/{membership_of(cast, cast.outsider, cast.ke).pk}/",
        f"{ke}/audit-events/",
    ]:
        assert api.get(url).status_code == expected, url


def test_outsider_reads_own_country(api, cast):
    sign_in(api, cast, "outsider")
    response = api.get(f"{API}/countries/KE/members/")
    assert response.status_code == 200
    assert [m["user"]["username"] for m in response.json()["results"]] == ["outsider"]


def test_other_countrys_objects_under_fr_are_404(api, cast):
    """KE's rows addressed through FR's URL: the scoped selectors (and row-level security)
    find nothing, whoever asks."""
    ke_member = membership_of(cast, cast.outsider, cast.ke)
    for who in ["owner", "partner", "auditor", "outsider"]:
        api.logout()
        sign_in(api, cast, who)
        assert api.get(f"{FR}/organisations/{cast.ke_ministry.pk}/").status_code == 404
        assert api.get(f"{FR}/members/{ke_member.pk}/").status_code == 404
    sign_in(api, cast, "owner")
    before = snapshot(cast)
    assert api.patch(f"{FR}/members/{ke_member.pk}/", {"role": "viewer"}, format="json").status_code == 404
    assert api.delete(f"{FR}/members/{ke_member.pk}/").status_code == 404
    assert snapshot(cast) == before


def test_unknown_country_is_404_like_an_invisible_one(api, cast):
    sign_in(api, cast, "owner")
    unknown = api.get(f"{API}/countries/ZZ/members/")
    invisible = api.get(f"{API}/countries/KE/members/")
    assert unknown.status_code == invisible.status_code == 404
    assert unknown.json()["detail"] == "Not found: there is no country ZZ among those you can see."
    assert invisible.json()["detail"] == "Not found: there is no country KE among those you can see."
    for code in ["FRA", "F", "1R", "fr%20"]:
        assert api.get(f"{API}/countries/{code}/").status_code == 404


def test_country_code_is_case_insensitive(api, cast):
    sign_in(api, cast, "member")
    response = api.get(f"{API}/countries/fr/")
    assert response.status_code == 200
    assert response.json()["code"] == "FR"
    assert api.get(f"{API}/countries/Fr/organisations/").status_code == 200


@pytest.mark.parametrize("path", ["organisations", "members"])
@pytest.mark.parametrize("bad_id", ["abc", "1.5", "-1", "0", "99999999999999999999", "9" * 5000, "١٢", "999999"])
def test_ids_that_name_nothing_are_404(api, cast, path, bad_id):
    sign_in(api, cast, "owner")
    url = f"{FR}/{path}/{bad_id}/"
    assert api.get(url).status_code == 404
    if path == "members":
        assert api.patch(url, {"role": "viewer"}, format="json").status_code == 404
        assert api.delete(url).status_code == 404


# --- Countries --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "who, expected",
    [
        ("owner", [("FR", "country_admin")]),
        ("member", [("FR", "officer")]),
        ("viewer", [("FR", "viewer")]),
        ("outsider", [("KE", "country_admin")]),
        ("partner", [("FR", "partner_manager")]),
        ("auditor", [("FR", "auditor")]),
    ],
)
def test_country_list_shows_visible_countries(api, cast, who, expected):
    sign_in(api, cast, who)
    response = api.get(f"{API}/countries/")
    assert response.status_code == 200
    assert [(c["code"], c["your_role"]) for c in response.json()["results"]] == expected


def test_country_list_for_someone_in_several_countries(api, cast):
    from guardian.shortcuts import assign_perm

    from tenants.access import PARTNER_PERMISSION

    assign_perm(f"tenants.{PARTNER_PERMISSION}", cast.partner, cast.ke)
    sign_in(api, cast, "partner")
    results = api.get(f"{API}/countries/").json()["results"]
    assert [(c["code"], c["your_role"]) for c in results] == [("FR", "partner_manager"), ("KE", "partner_manager")]
    # Each country's data is opened for its own URL only.
    assert [m["user"]["username"] for m in api.get(f"{API}/countries/KE/members/").json()["results"]] == ["outsider"]
    assert "outsider" not in str(api.get(f"{FR}/members/").json())


def test_country_list_anonymous(api, cast):
    response = api.get(f"{API}/countries/")
    assert response.status_code == 401
    assert "Authorization: Bearer" in response.json()["detail"]


def test_country_detail(api, cast):
    sign_in(api, cast, "auditor")
    assert api.get(f"{FR}/").json() == {
        "code": "FR",
        "name": "France",
        "status": "active",
        "residency_region": "eu-west",
        "default_language": "fr",
        "your_role": "auditor",
    }


# --- Organisations ----------------------------------------------------------------------------------


def test_organisation_list_and_detail(api, cast):
    sign_in(api, cast, "viewer")
    response = api.get(f"{FR}/organisations/")
    results = response.json()["results"]
    assert [(o["name"], o["acronym"], o["kind"], o["member_count"]) for o in results] == [
        ("Agence des Données", "AD", "public_agency", 1),
        ("Ministère du Numérique", "MN", "ministry", 2),
    ]
    assert response.json()["next"] is None
    detail = api.get(f"{FR}/organisations/{cast.fr_ministry.pk}/").json()
    assert detail["id"] == cast.fr_ministry.pk and detail["member_count"] == 2
    assert set(detail) == {"id", "name", "acronym", "kind", "member_count", "created_at"}


def test_organisation_list_pages_with_a_cursor(api, cast):
    with country_context(cast.fr):
        for i in range(5):
            Organisation.objects.create(country=cast.fr, name=f"Office {i}", kind="public_agency")
    sign_in(api, cast, "member")
    names, url = [], f"{FR}/organisations/?page_size=3"
    while url:
        page = api.get(url).json()
        assert len(page["results"]) <= 3
        names += [o["name"] for o in page["results"]]
        url = page["next"]
    assert names == sorted(["Agence des Données", "Ministère du Numérique"] + [f"Office {i}" for i in range(5)])
    bad = api.get(f"{FR}/organisations/?cursor=not-a-cursor")
    assert bad.status_code == 400 and bad.json()["detail"].startswith(
        "cursor: This cursor is not one this list gave out"
    )


@pytest.mark.parametrize(
    "who, expected",
    [
        ("owner", 201),
        ("member", 403),
        ("viewer", 403),
        ("partner", 403),
        ("auditor", 403),
        ("outsider", 404),
        ("anonymous", 401),
    ],
)
def test_organisation_create_by_caller(api, cast, who, expected):
    sign_in(api, cast, who)
    before = snapshot(cast)
    response = api.post(
        f"{FR}/organisations/", {"name": "Cour des Comptes", "acronym": "CC", "kind": "public_agency"}, format="json"
    )
    assert response.status_code == expected
    if expected == 201:
        body = response.json()
        assert (body["name"], body["acronym"], body["kind"], body["member_count"]) == (
            "Cour des Comptes",
            "CC",
            "public_agency",
            0,
        )
        with country_context(cast.fr):
            organisation = Organisation.objects.get(pk=body["id"])
            assert organisation.country_id == cast.fr.pk
            event = CountryEvent.objects.get(action="organisation.created")
            assert (event.target_id, event.actor_id, event.actor_role) == (
                str(organisation.pk),
                cast.owner.pk,
                "country_admin",
            )
    else:
        assert snapshot(cast) == before
    if expected == 403:
        assert response.json()["detail"] == "Only a country admin of France can do this."


def test_organisation_kind_not_yet_open(api, cast):
    sign_in(api, cast, "owner")
    before = snapshot(cast)
    response = api.post(f"{FR}/organisations/", {"name": "Fondation Ouverte", "kind": "non_profit"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert "not yet open to non-profit organisations" in body["detail"]
    assert body["errors"] == {"kind": [body["detail"]]}
    assert snapshot(cast) == before

    settings_row = PlatformSettings.load()
    settings_row.open_organisation_kinds = ["non_profit"]
    settings_row.save()
    assert (
        api.post(f"{FR}/organisations/", {"name": "Fondation Ouverte", "kind": "non_profit"}, format="json").status_code
        == 201
    )


def test_organisation_name_taken(api, cast):
    sign_in(api, cast, "owner")
    before = snapshot(cast)
    response = api.post(f"{FR}/organisations/", {"name": "agence des données", "kind": "ministry"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"name": ["France already has an organisation called agence des données."]}
    assert snapshot(cast) == before
    # The same name in another country is another organisation.
    api.logout()
    sign_in(api, cast, "outsider")
    assert (
        api.post(
            f"{API}/countries/KE/organisations/", {"name": "Agence des Données", "kind": "ministry"}, format="json"
        ).status_code
        == 201
    )


@pytest.mark.parametrize(
    "body, fields",
    [
        ({}, {"name", "kind"}),
        ({"name": "", "kind": "ministry"}, {"name"}),
        ({"name": "X" * 201, "kind": "ministry"}, {"name"}),
        ({"name": "Bureau", "kind": "castle"}, {"kind"}),
        ({"name": "Bureau", "kind": "ministry", "acronym": "A" * 21}, {"acronym"}),
        ({"name": ["Bureau"], "kind": 3}, {"name", "kind"}),
        ({"name": "Bur\x00eau", "kind": "ministry"}, {"name"}),
        ({"name": "Bureau", "kind": "ministry", "country": "KE"}, {"country"}),
    ],
)
def test_organisation_create_bad_input(api, cast, body, fields):
    sign_in(api, cast, "owner")
    before = snapshot(cast)
    response = api.post(f"{FR}/organisations/", body, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == fields
    assert response.json()["detail"]
    assert snapshot(cast) == before


# --- Members ----------------------------------------------------------------------------------------


def test_member_list_and_detail(api, cast):
    sign_in(api, cast, "partner")
    results = api.get(f"{FR}/members/").json()["results"]
    assert [(m["user"]["username"], m["organisation"]["name"], m["role"], m["status"]) for m in results] == [
        ("owner", "Ministère du Numérique", "country_admin", "active"),
        ("member", "Ministère du Numérique", "officer", "active"),
        ("viewer", "Agence des Données", "viewer", "active"),
    ]
    first = results[0]
    assert set(first) == {"id", "user", "organisation", "role", "status", "job_title", "created_at"}
    assert first["user"] == {"id": cast.owner.pk, "username": "owner", "first_name": "Olga", "last_name": "Owner"}
    assert first["organisation"] == {"id": cast.fr_ministry.pk, "name": "Ministère du Numérique"}
    assert "email" not in str(results)  # sign-in addresses are not published to the whole country
    assert api.get(f"{FR}/members/{first['id']}/").json() == first


INVITE = {
    "email": "Nadia.Nouvelle@Example.gouv.fr",
    "first_name": "Nadia",
    "last_name": "Nouvelle",
    "role": "officer",
    "job_title": "Cheffe de projet",
}


@pytest.mark.parametrize(
    "who, expected",
    [
        ("owner", 201),
        ("member", 403),
        ("viewer", 403),
        ("partner", 403),
        ("auditor", 403),
        ("outsider", 404),
        ("anonymous", 401),
    ],
)
def test_member_invite_by_caller(api, cast, who, expected, django_capture_on_commit_callbacks):
    sign_in(api, cast, who)
    before = snapshot(cast)
    with django_capture_on_commit_callbacks() as callbacks:
        response = api.post(f"{FR}/members/", {**INVITE, "organisation": cast.fr_agency.pk}, format="json")
    assert response.status_code == expected
    if expected != 201:
        assert snapshot(cast) == before
        assert callbacks == []
        return
    body = response.json()
    assert (body["role"], body["status"], body["job_title"]) == ("officer", "invited", "Cheffe de projet")
    assert body["organisation"] == {"id": cast.fr_agency.pk, "name": "Agence des Données"}
    user = User.objects.get(email="nadia.nouvelle@example.gouv.fr")
    assert not user.is_active and not user.has_usable_password()
    assert user.username == "nadia.nouvelle"
    # Until they accept: no id or username, only the name typed (the same for every invitation).
    assert body["user"] == {"id": None, "username": "", "first_name": "Nadia", "last_name": "Nouvelle"}
    with country_context(cast.fr):
        membership = Membership.objects.get(user=user)
        assert (membership.pk, membership.country_id, membership.status) == (body["id"], cast.fr.pk, "invited")
        invitation = Invitation.objects.get(membership=membership)
        assert invitation.invited_by_id == cast.owner.pk and invitation.nonce
        event = CountryEvent.objects.get(action="member.invited")
        assert event.target_id == str(membership.pk)
        assert event.payload == {"role": "officer", "organisation": cast.fr_agency.pk}
        assert "nadia" not in str(event.payload).lower()
    assert len(callbacks) == 1  # the invitation email is queued once the change is committed


def test_member_invite_of_someone_with_an_account(api, cast):
    """Finding 1 of issue 12: a person who already has an account (here KE's admin) is invited,
    not added; the answer is the same as for a new person and shows only what was typed."""
    sign_in(api, cast, "owner")
    response = api.post(
        f"{FR}/members/",
        {
            "email": "outsider@example.org",
            "first_name": "Typed",
            "last_name": "Name",
            "organisation": cast.fr_ministry.pk,
            "role": "viewer",
        },
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "invited"
    assert body["user"] == {"id": None, "username": "", "first_name": "Typed", "last_name": "Name"}
    assert "Otieno" not in response.content.decode() and 'outsider"' not in response.content.decode()
    # The list's lean row opens the typed names as the detail does, and shows nothing more.
    listed = next(m for m in api.get(f"{FR}/members/").json()["results"] if m["id"] == body["id"])
    assert listed == body == api.get(f"{FR}/members/{body['id']}/").json()
    with country_context(cast.fr):
        assert Invitation.objects.count() == 1
        assert CountryEvent.objects.get().action == "member.invited"
    api.logout()
    sign_in(api, cast, "outsider")
    assert [c["code"] for c in api.get(f"{API}/countries/").json()["results"]] == ["KE"]


def test_member_invite_twice(api, cast):
    sign_in(api, cast, "owner")
    before = snapshot(cast)
    response = api.post(
        f"{FR}/members/",
        {
            "email": "member@example.org",
            "first_name": "M",
            "last_name": "M",
            "organisation": cast.fr_ministry.pk,
            "role": "viewer",
        },
        format="json",
    )
    assert response.status_code == 400
    since = long_date(timezone.now())
    assert response.json()["errors"] == {
        "email": [f"member@example.org is already a member of France, since {since}: change their role on their page."]
    }
    assert snapshot(cast) == before


@pytest.mark.parametrize(
    "change, fields",
    [
        ({"email": None}, {"email"}),
        ({"email": "not-an-email"}, {"email"}),
        ({"email": "a@" + "b" * 300 + ".fr"}, {"email"}),
        ({"role": "boss"}, {"role"}),
        ({"role": ""}, {"role"}),
        ({"organisation": "ministry"}, {"organisation"}),
        ({"organisation": 1.5}, {"organisation"}),
        ({"organisation": 10**30}, {"organisation"}),
        ({"organisation": "KE"}, {"organisation"}),
        ({"organisation": [1]}, {"organisation"}),
        ({"first_name": "N" * 151}, {"first_name"}),
        ({"job_title": "J" * 100_000}, {"job_title"}),
        ({"first_name": {"nested": True}}, {"first_name"}),
        ({"first_name": "", "last_name": ""}, {"first_name", "last_name"}),  # everyone is invited by name
        ({"is_superuser": True}, {"is_superuser"}),
    ],
)
def test_member_invite_bad_input(api, cast, change, fields):
    sign_in(api, cast, "owner")
    before = snapshot(cast)
    body = {**INVITE, "organisation": cast.fr_ministry.pk, **change}
    body = {k: v for k, v in body.items() if v is not None}
    response = api.post(f"{FR}/members/", body, format="json")
    assert response.status_code == 400, response.content
    assert set(response.json()["errors"]) == fields
    assert response.json()["detail"]
    assert snapshot(cast) == before


def test_member_invite_to_another_countrys_organisation(api, cast):
    sign_in(api, cast, "owner")
    before = snapshot(cast)
    response = api.post(f"{FR}/members/", {**INVITE, "organisation": cast.ke_ministry.pk}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "organisation": [f"Choose one of France's organisations; {cast.ke_ministry.pk} is not one."]
    }
    assert snapshot(cast) == before


def test_member_invite_missing_everything_names_each_field(api, cast):
    sign_in(api, cast, "owner")
    response = api.post(f"{FR}/members/", {}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert set(body["errors"]) == {"email", "first_name", "last_name", "organisation", "role"}
    assert body["detail"].startswith("Correct these and try again")
    assert "email: This field is required." in body["detail"]


@pytest.mark.parametrize(
    "who, expected",
    [
        ("owner", 200),
        ("member", 403),
        ("viewer", 403),
        ("partner", 403),
        ("auditor", 403),
        ("outsider", 404),
        ("anonymous", 401),
    ],
)
def test_member_change_role_by_caller(api, cast, who, expected):
    target = membership_of(cast, cast.member)
    sign_in(api, cast, who)
    before = snapshot(cast)
    response = api.patch(f"{FR}/members/{target.pk}/", {"role": "viewer"}, format="json")
    assert response.status_code == expected
    if expected == 200:
        assert (response.json()["id"], response.json()["role"]) == (target.pk, "viewer")
        assert membership_of(cast, cast.member).role == "viewer"
        with country_context(cast.fr):
            event = CountryEvent.objects.get(action="member.role_changed")
        assert (event.target_id, event.payload) == (str(target.pk), {"from": "officer", "to": "viewer"})
    else:
        assert snapshot(cast) == before


def test_member_change_role_bad_input(api, cast):
    target = membership_of(cast, cast.member)
    sign_in(api, cast, "owner")
    before = snapshot(cast)
    for body, fields in [
        ({}, {"role"}),
        ({"role": "emperor"}, {"role"}),
        ({"role": 3}, {"role"}),
        ({"role": "viewer", "organisation": cast.fr_agency.pk}, {"organisation"}),
    ]:
        response = api.patch(f"{FR}/members/{target.pk}/", body, format="json")
        assert response.status_code == 400
        assert set(response.json()["errors"]) == fields
    response = api.patch(f"{FR}/members/{target.pk}/", {"role": "emperor"}, format="json")
    assert response.json()["errors"] == {"role": ["Choose a role: country_admin, officer, viewer."]}
    assert snapshot(cast) == before


def test_last_country_admin_cannot_step_down(api, cast):
    owner = membership_of(cast, cast.owner)
    sign_in(api, cast, "owner")
    before = snapshot(cast)
    response = api.patch(f"{FR}/members/{owner.pk}/", {"role": "officer"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"role": [response.json()["detail"]]}
    assert "must keep at least one country admin" in response.json()["detail"]
    response = api.delete(f"{FR}/members/{owner.pk}/", {"reason": "Stepping down."}, format="json")
    assert response.status_code == 400
    assert "must keep at least one country admin" in response.json()["detail"]
    assert snapshot(cast) == before

    # With a second admin, the first may step down.
    member = membership_of(cast, cast.member)
    assert api.patch(f"{FR}/members/{member.pk}/", {"role": "country_admin"}, format="json").status_code == 200
    assert api.patch(f"{FR}/members/{owner.pk}/", {"role": "officer"}, format="json").status_code == 200


@pytest.mark.parametrize(
    "who, expected",
    [
        ("owner", 204),
        ("member", 403),
        ("viewer", 403),
        ("partner", 403),
        ("auditor", 403),
        ("outsider", 404),
        ("anonymous", 401),
    ],
)
def test_member_remove_by_caller(api, cast, who, expected):
    target = membership_of(cast, cast.viewer)
    sign_in(api, cast, who)
    before = snapshot(cast)
    if who == "owner":
        # Without a reason: refused, nothing changes.
        refused = api.delete(f"{FR}/members/{target.pk}/")
        assert refused.status_code == 400 and "Say why" in str(refused.json())
        assert snapshot(cast) == before
    response = api.delete(f"{FR}/members/{target.pk}/", {"reason": "Moved to another ministry."}, format="json")
    assert response.status_code == expected
    if expected == 204:
        assert response.content == b""
        with country_context(cast.fr):
            assert not Membership.objects.filter(pk=target.pk).exists()
            event = CountryEvent.objects.get(action="member.removed")
            reason = ActionReason.objects.get(pk=event.payload["reason"])
        assert (event.target_id, event.payload) == (
            str(target.pk),
            {"role": "viewer", "organisation": cast.fr_agency.pk, **on_record(reason)},
        )
        assert reason.reason == "Moved to another ministry."
        assert User.objects.filter(pk=cast.viewer.pk).exists()  # the account stays; the membership goes
        api.logout()
        sign_in(api, cast, "viewer")
        assert api.get(f"{FR}/").status_code == 404
    else:
        assert snapshot(cast) == before


def test_removed_invitee_loses_invitation(api, cast):
    sign_in(api, cast, "owner")
    member_id = api.post(f"{FR}/members/", {**INVITE, "organisation": cast.fr_ministry.pk}, format="json").json()["id"]
    assert api.delete(f"{FR}/members/{member_id}/", {"reason": "Invited by mistake."}, format="json").status_code == 204
    with country_context(cast.fr):
        assert not Invitation.objects.exists()
    assert api.get(f"{FR}/members/{member_id}/").status_code == 404


# --- Audit events -----------------------------------------------------------------------------------


def test_audit_events_newest_first_with_their_chain(api, cast, events):
    sign_in(api, cast, "auditor")
    results = api.get(f"{FR}/audit-events/").json()["results"]
    assert [e["sequence"] for e in results] == [3, 2, 1]
    assert [e["action"] for e in results] == ["policy.adopted", "member.role_changed", "organisation.created"]
    assert results[-1]["prev_hash"] == GENESIS_HASH
    assert results[0]["prev_hash"] == results[1]["hash"] and results[1]["prev_hash"] == results[2]["hash"]
    assert results[0]["hash"] == events[-1].hash
    assert set(results[0]) == {
        "sequence",
        "at",
        "actor_label",
        "actor_role",
        "action",
        "target_type",
        "target_id",
        "payload",
        "prev_hash",
        "hash",
        "reason",
    }
    assert (results[1]["actor_label"], results[1]["actor_role"], results[1]["target_type"]) == (
        "owner",
        "country_admin",
        "tenants.membership",
    )
    assert results[1]["payload"] == {"from": "officer", "to": "viewer"}
    assert results[0]["actor_label"] == "system"


def test_audit_events_are_read_only(api, cast, events):
    sign_in(api, cast, "owner")
    for method in ("post", "put", "patch", "delete"):
        response = getattr(api, method)(f"{FR}/audit-events/", {}, format="json")
        assert response.status_code == 405
        assert response.json()["detail"].startswith("Method")
    with country_context(cast.fr):
        assert CountryEvent.objects.count() == 3


# --- Errors -----------------------------------------------------------------------------------------


def test_unknown_api_paths_are_json_404(api, cast):
    sign_in(api, cast, "owner")
    for url in [f"{API}/nothing-here/", f"{FR}/no-such-thing/", f"{API}/countries/FR/members/1/extra/"]:
        response = api.get(url)
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert "/api/v1/docs/" in response.json()["detail"]


def test_missing_final_slash(api, cast):
    sign_in(api, cast, "owner")
    response = api.get(f"{FR}/members?cursor=abc")
    assert response.status_code == 301
    assert response["Location"] == f"{FR}/members/?cursor=abc"
    response = api.post(f"{FR}/members", INVITE, format="json")
    assert response.status_code == 404
    assert response.json()["detail"] == f"Not found. API paths end with a slash: {FR}/members/"


@pytest.mark.parametrize(
    "payload, content_type, status",
    [
        ("{broken", "application/json", 400),
        ("[1, 2, 3]", "application/json", 400),
        ('"just a string"', "application/json", 400),
        ("null", "application/json", 400),
        ("name=Bureau", "text/plain", 415),
        ("\xff\xfe", "application/json", 400),
        ("[" * 100_000 + "]" * 100_000, "application/json", 400),
        ('{"name": "Bureau", "kind": "ministry", "name": "Bureau"}' * 2, "application/json", 400),
    ],
)
def test_bodies_that_are_not_objects(api, cast, payload, content_type, status):
    sign_in(api, cast, "owner")
    before = snapshot(cast)
    response = api.generic("POST", f"{FR}/organisations/", payload, content_type=content_type)
    assert response.status_code == status
    assert response.json()["detail"]
    assert snapshot(cast) == before


def test_bodies_that_are_too_large(api, cast, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 5_000
    sign_in(api, cast, "owner")
    before = snapshot(cast)
    response = api.post(f"{FR}/organisations/", {"name": "B" * 6_000, "kind": "ministry"}, format="json")
    assert response.status_code == 413
    assert response.json() == {"detail": "The request body is too large: at most 5000 bytes."}
    response = api.generic(
        "POST",
        f"{FR}/organisations/",
        "&".join(f"f{i}=1" for i in range(2_000)),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413
    assert response.json() == {"detail": "The request body is too large: at most 5000 bytes."}
    # A page's form says the same, in a page
    page = api.generic(
        "POST", "/c/fr/organisations/new/", "name=" + "B" * 6_000, content_type="application/x-www-form-urlencoded"
    )
    assert page.status_code == 413 and "The request body is too large: at most 5000 bytes." in page.content.decode()
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100_000
    response = api.generic(
        "POST",
        f"{FR}/organisations/",
        "&".join(f"f{i}=1" for i in range(2_000)),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "Too many fields: at most 1000."}
    assert snapshot(cast) == before


def test_a_number_with_more_digits_than_python_reads_is_named_as_such(api, cast):
    """Not "numbers must be finite": the number is finite, it has too many digits."""
    sign_in(api, cast, "owner")
    before = snapshot(cast)
    for number in ("1" * 4_301, "-" + "9" * 10_000):
        body = '{"name": "Bureau", "kind": "ministry", "parent": ' + number + "}"
        response = api.generic("POST", f"{FR}/organisations/", body, content_type="application/json")
        assert response.status_code == 400
        detail = response.json()["detail"]
        assert "a number has more than 4300 digits" in detail and "finite" not in detail, detail
    response = api.generic("POST", f"{FR}/organisations/", '{"name": NaN}', content_type="application/json")
    assert response.status_code == 400 and "finite" in response.json()["detail"]
    assert snapshot(cast) == before


def test_form_encoded_input_works_too(api, cast):
    sign_in(api, cast, "owner")
    response = api.post(f"{FR}/organisations/", {"name": "Bureau des Formulaires", "kind": "ministry"})
    assert response.status_code == 201


# --- Query counts -----------------------------------------------------------------------------------


def _add_rows(cast, n: int, start: int) -> None:
    with country_context(cast.fr):
        for i in range(start, start + n):
            organisation = Organisation.objects.create(country=cast.fr, name=f"Bureau {i:03d}", kind="public_agency")
            user = User.objects.create(username=f"person{i:03d}", first_name="P", last_name=f"{i:03d}")
            Membership.objects.create(country=cast.fr, user=user, organisation=organisation, role="viewer")
            event_record(
                country=cast.fr,
                action="member.added",
                actor=cast.owner,
                actor_role="country_admin",
                target=organisation,
                payload={"n": i},
            )


@pytest.mark.parametrize(
    "path, how",
    [
        ("organisations", "session"),
        ("members", "session"),
        ("audit-events", "session"),
        ("organisations", "bearer"),
        ("members", "bearer"),
        ("audit-events", "bearer"),
    ],
)
def test_lists_keep_a_constant_query_count(api, cast, path, how):
    sign_in(api, cast, "owner", how)
    url = f"{FR}/{path}/"

    table = {
        "organisations": "tenants_organisation",
        "members": "tenants_membership",
        "audit-events": "tenants_countryevent",
    }[path]

    def count() -> tuple[int, int]:
        api.get(url)  # warm up caches that are not per-request (content types)
        with CaptureQueriesContext(connection) as queries:
            response = api.get(url)
        assert response.status_code == 200
        # The rest is the request's fixed cost: session or token, groups, memberships, country,
        # savepoint and row-level-security settings. The page itself is one query, joins included.
        assert len([q for q in queries if f'FROM "{table}"' in q["sql"]]) == 1
        return len(queries), len(response.json()["results"])

    _add_rows(cast, 4, 0)
    small, small_rows = count()
    _add_rows(cast, 8, 4)
    large, large_rows = count()
    assert large_rows > small_rows >= 4
    assert large == small, f"{path}: {small} queries for {small_rows} rows but {large} for {large_rows}"


def test_country_list_keeps_a_constant_query_count(api, cast):
    from django.contrib.auth.models import Group
    from guardian.shortcuts import assign_perm

    from tenants.access import AUDITOR_PERMISSION, AUDITORS_GROUP
    from tenants.models import Country

    cast.owner.groups.add(Group.objects.get(name=AUDITORS_GROUP))
    sign_in(api, cast, "owner")

    def count() -> tuple[int, int]:
        api.get(f"{API}/countries/")
        with CaptureQueriesContext(connection) as queries:
            response = api.get(f"{API}/countries/")
        return len(queries), len(response.json()["results"])

    small = count()
    for code, name in [("EE", "Estonia"), ("BR", "Brazil"), ("DE", "Germany"), ("IT", "Italy")]:
        assign_perm(f"tenants.{AUDITOR_PERMISSION}", cast.owner, Country.objects.create(code=code, name=name))
    large = count()
    assert (small[1], large[1]) == (1, 5)
    assert small[0] == large[0]


# --- Schema and docs --------------------------------------------------------------------------------


def test_schema_is_valid_openapi_3(api, cast):
    from drf_spectacular.validation import validate_schema

    response = api.get(f"{API}/schema/?format=json")  # anonymous
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)
    paths = schema["paths"]
    for path, methods in {
        "/api/v1/auth/token/": {"post"},
        "/api/v1/auth/token/revoke/": {"post"},
        "/api/v1/countries/": {"get"},
        "/api/v1/countries/{code}/": {"get"},
        "/api/v1/countries/{code}/organisations/": {"get", "post"},
        "/api/v1/countries/{code}/organisations/{id}/": {"get"},
        "/api/v1/countries/{code}/members/": {"get", "post"},
        "/api/v1/countries/{code}/members/{id}/": {"get", "patch", "delete"},
        "/api/v1/countries/{code}/audit-events/": {"get"},
    }.items():
        assert path in paths, path
        assert methods <= set(paths[path]), path
    assert schema["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "A token from POST /api/v1/auth/token/, sent as 'Authorization: Bearer <token>'.",
    }
    members = paths["/api/v1/countries/{code}/members/"]
    assert members["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "PaginatedMemberList"
    )
    assert members["post"]["operationId"] == "members_invite"
    # No credentials are needed to ask for a token (and the schema has no global requirement).
    assert paths["/api/v1/auth/token/"]["post"].get("security", []) in ([], [{}]) and "security" not in schema


def test_docs_are_served_offline(api, cast):
    response = api.get(f"{API}/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css" in html
    # Its start-up script is a file of its own (no inline script under the Content-Security-Policy).
    assert f'src="{API}/docs/?script="' in html and "<script>" not in html and "<style" not in html
    script = api.get(f"{API}/docs/?script=")
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    script_text = script.content.decode()
    assert f'"{API}/schema/"' in script_text
    assert '"validatorUrl": null' in script_text
    for text in (html, script_text):
        assert not re.search(r"https?://", text), "the docs page refers to another host"
        assert "//cdn" not in text and "unpkg" not in text and "jsdelivr" not in text
    for asset in re.findall(r'(?:src|href)="([^"]+)"', html):
        if asset == f"{API}/docs/?script=" or asset.startswith("#") or asset == f"{API}/schema/":
            continue  # its start-up script, the skip link to the reference, the schema it reads
        assert asset.startswith("/static/drf_spectacular_sidecar/"), asset
        served = api.get(asset)
        assert served.status_code == 200, asset
        body = b"".join(served.streaming_content) if served.streaming else served.content
        assert len(body) > 500, asset  # the real file, not an error page
