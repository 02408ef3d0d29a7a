"""The country pages (/c/<code>/…), each for its owner (FR country admin), a member of the same
country (FR officer), a member of another country (KE country admin) and an anonymous visitor;
the writes made through them; the invitation page; and constant query counts on the lists."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape as html_unescape

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tenants import services
from tenants.access import access_for
from tenants.isolation import country_context
from tenants.models import Invitation, Membership, Organisation, PlatformSettings
from tenants.record.ledger import event_record
from tenants.record.models import ActionReason, CountryEvent

pytestmark = pytest.mark.django_db
User = get_user_model()


# --- Helpers ---------------------------------------------------------------------------------------


def as_user(client, user):
    client.force_login(user)
    return client


def fr_membership(cast, user) -> Membership:
    with country_context(cast.fr):
        return Membership.objects.get(user=user)


def ke_membership(cast) -> Membership:
    with country_context(cast.ke):
        return Membership.objects.get(user=cast.outsider)


def fr_state(cast) -> tuple:
    """Everything a refused write must leave as it was."""
    with country_context(cast.fr):
        return (
            sorted(Organisation.objects.values_list("id", "name", "kind")),
            sorted(Membership.objects.values_list("id", "user_id", "role", "status", "organisation_id")),
            Invitation.objects.count(),
            CountryEvent.objects.count(),
            User.objects.count(),
        )


def fr_actions(cast) -> list[str]:
    with country_context(cast.fr):
        return list(CountryEvent.objects.order_by("sequence").values_list("action", flat=True))


def assert_login_redirect(response, path):
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    assert path.replace("/", "%2F") in response["Location"] or path in response["Location"]


def error_summary(response) -> str:
    html = response.content.decode()
    match = re.search(r'<div class="govuk-error-summary".*?</ul>', html, re.S)
    assert match, "the page has no GOV.UK error summary"
    return html_unescape(match.group(0))


def text(response) -> str:
    return html_unescape(response.content.decode())


def read_pages(cast) -> list[str]:
    member = fr_membership(cast, cast.member)
    return [
        "",
        "organisations/",
        f"organisations/{cast.fr_ministry.pk}/",
        "members/",
        f"members/{member.pk}/",
        "activity/",
    ]


# --- Reading: the four visitors --------------------------------------------------------------------


@pytest.mark.parametrize("code", ["fr", "FR"])
def test_read_pages_answer_owner_and_member_with_200(client, cast, code):
    for user in (cast.owner, cast.member, cast.viewer):
        as_user(client, user)
        for page in read_pages(cast):
            response = client.get(f"/c/{code}/{page}")
            assert response.status_code == 200, (user.username, page)
            assert "France" in response.content.decode()


@pytest.mark.parametrize("code", ["fr", "FR"])
def test_read_pages_answer_another_country_with_404(client, cast, code):
    as_user(client, cast.outsider)
    for page in read_pages(cast):
        response = client.get(f"/c/{code}/{page}")
        assert response.status_code == 404, page
        body = response.content.decode()
        assert "Page not found" in body
        assert "Ministère du Numérique" not in body


def test_read_pages_send_anonymous_visitors_to_sign_in(client, cast):
    for page in read_pages(cast):
        response = client.get(f"/c/fr/{page}")
        assert_login_redirect(response, f"/c/fr/{page}")


def test_partner_manager_and_auditor_read_their_country(client, cast):
    for user in (cast.partner, cast.auditor):
        as_user(client, user)
        for page in read_pages(cast):
            assert client.get(f"/c/fr/{page}").status_code == 200, (user.username, page)
        assert client.get("/c/ke/").status_code == 404


def test_another_countrys_objects_under_this_countrys_url_are_404(client, cast):
    ke_member = ke_membership(cast)
    as_user(client, cast.owner)
    assert client.get(f"/c/fr/organisations/{cast.ke_ministry.pk}/").status_code == 404
    assert client.get(f"/c/fr/members/{ke_member.pk}/").status_code == 404
    assert client.get(f"/c/fr/members/{ke_member.pk}/remove/").status_code == 404
    assert client.get("/c/fr/organisations/999999/").status_code == 404
    # And the other way round, for the KE admin asking for FR's objects under KE.
    as_user(client, cast.outsider)
    assert client.get(f"/c/ke/organisations/{cast.ke_ministry.pk}/").status_code == 200
    assert client.get(f"/c/ke/organisations/{cast.fr_ministry.pk}/").status_code == 404
    assert client.get(f"/c/ke/members/{fr_membership(cast, cast.member).pk}/").status_code == 404


def test_unknown_codes_and_non_numeric_ids_are_404(client, cast):
    as_user(client, cast.owner)
    for path in ("/c/zz/", "/c/fra/", "/c/f1/", "/c/fr/organisations/abc/", "/c/fr/members/1x/"):
        assert client.get(path).status_code == 404, path


def test_overview_shows_the_country_and_your_role(client, cast):
    with country_context(cast.fr):
        event_record(
            country=cast.fr,
            action="organisation.created",
            actor=cast.owner,
            actor_role="country_admin",
            target=cast.fr_agency,
            payload={"kind": "public_agency"},
        )
    as_user(client, cast.member)
    body = client.get("/c/fr/").content.decode()
    assert "Europe (West)" in body
    assert "Officer" in body
    assert "Organisation added" in body and "Agence des Données" in body
    assert "Add organisation" not in body


def test_lists_show_their_rows(client, cast):
    as_user(client, cast.viewer)
    organisations = client.get("/c/fr/organisations/").content.decode()
    assert "Ministère du Numérique" in organisations and "Agence des Données" in organisations
    assert "Ministry of ICT" not in organisations
    assert "Add organisation" not in organisations
    members = client.get("/c/fr/members/").content.decode()
    for name in ("Olga Owner", "Marc Member", "Vera Viewer"):
        assert name in members
    assert "Otieno" not in members
    detail = client.get(f"/c/fr/organisations/{cast.fr_agency.pk}/").content.decode()
    assert "Vera Viewer" in detail and "Marc Member" not in detail


def test_country_admin_sees_the_write_buttons(client, cast):
    as_user(client, cast.owner)
    assert "Add organisation" in client.get("/c/fr/organisations/").content.decode()
    assert "Invite someone" in client.get("/c/fr/members/").content.decode()
    detail = client.get(f"/c/fr/members/{fr_membership(cast, cast.member).pk}/").content.decode()
    assert "Change role" in detail and "Remove Marc Member" in detail


# --- Admin-only pages: 403 for the same country, 404 for others ------------------------------------


def admin_pages(cast) -> list[str]:
    return ["organisations/new/", "members/invite/", f"members/{fr_membership(cast, cast.viewer).pk}/remove/"]


def test_admin_pages_by_visitor(client, cast):
    for page in admin_pages(cast):
        assert as_user(client, cast.owner).get(f"/c/fr/{page}").status_code == 200, page
        for same_country in (cast.member, cast.viewer, cast.partner, cast.auditor):
            response = as_user(client, same_country).get(f"/c/fr/{page}")
            assert response.status_code == 403, (same_country.username, page)
            assert "You cannot do this" in response.content.decode()
        assert as_user(client, cast.outsider).get(f"/c/fr/{page}").status_code == 404, page
        client.logout()
        assert_login_redirect(client.get(f"/c/fr/{page}"), f"/c/fr/{page}")


def test_writes_by_someone_without_the_role_change_nothing(client, cast):
    viewer = fr_membership(cast, cast.viewer)
    before = fr_state(cast)
    posts = [
        ("organisations/new/", {"name": "Cour des comptes", "kind": "public_agency"}),
        (
            "members/invite/",
            {
                "email": "new@example.org",
                "first_name": "N",
                "last_name": "P",
                "organisation": cast.fr_ministry.pk,
                "role": "viewer",
            },
        ),
        (f"members/{viewer.pk}/", {"role": "country_admin"}),
        (f"members/{viewer.pk}/remove/", {}),
    ]
    for path, data in posts:
        assert as_user(client, cast.member).post(f"/c/fr/{path}", data).status_code == 403, path
        assert as_user(client, cast.outsider).post(f"/c/fr/{path}", data).status_code == 404, path
        client.logout()
        assert_login_redirect(client.post(f"/c/fr/{path}", data), f"/c/fr/{path}")
    assert fr_state(cast) == before


# --- Organisations ---------------------------------------------------------------------------------


def test_owner_adds_an_organisation(client, cast):
    as_user(client, cast.owner)
    response = client.post(
        "/c/fr/organisations/new/", {"name": "Cour des comptes", "acronym": "CC", "kind": "public_agency"}
    )
    with country_context(cast.fr):
        organisation = Organisation.objects.get(name="Cour des comptes")
    assert organisation.kind == "public_agency" and organisation.acronym == "CC"
    assert response.status_code == 302 and response["Location"] == f"/c/fr/organisations/{organisation.pk}/"
    assert fr_actions(cast)[-1] == "organisation.created"
    page = client.get(response["Location"]).content.decode()
    assert "Cour des comptes was added to France." in page


def test_closed_organisation_kind_is_refused_clearly(client, cast):
    as_user(client, cast.owner)
    before = fr_state(cast)
    response = client.post("/c/fr/organisations/new/", {"name": "Fondation Numérique", "kind": "non_profit"})
    assert response.status_code == 400
    assert "not yet open to non-profit organisations" in error_summary(response)
    assert fr_state(cast) == before
    # The form keeps what was typed.
    assert 'value="Fondation Numérique"' in response.content.decode()


def test_a_kind_opened_by_the_platform_can_be_added(client, cast):
    settings_row = PlatformSettings.load()
    settings_row.open_organisation_kinds = ["non_profit"]
    settings_row.save()
    as_user(client, cast.owner)
    response = client.post("/c/fr/organisations/new/", {"name": "Fondation Numérique", "kind": "non_profit"})
    assert response.status_code == 302
    with country_context(cast.fr):
        assert Organisation.objects.filter(name="Fondation Numérique", kind="non_profit").exists()


@pytest.mark.parametrize(
    "data, message",
    [
        ({"name": "", "kind": "ministry"}, "Enter the organisation's name."),
        ({"name": "   ", "kind": "ministry"}, "Enter the organisation's name."),
        ({"name": "Nouveau", "kind": "ministry_of_truth"}, "Choose a kind of organisation from the list."),
        ({"name": "Nouveau"}, "Choose a kind of organisation."),
        ({"name": "x" * 201, "kind": "ministry"}, "200 characters or fewer"),
        ({"name": "agence des données", "kind": "public_agency"}, "France already has an organisation called"),
        ({}, "Enter the organisation's name."),
    ],
)
def test_bad_organisation_input_is_400_and_changes_nothing(client, cast, data, message):
    as_user(client, cast.owner)
    before = fr_state(cast)
    response = client.post("/c/fr/organisations/new/", data)
    assert response.status_code == 400
    assert message in error_summary(response)
    assert fr_state(cast) == before


# --- Members ---------------------------------------------------------------------------------------


def invite_data(cast, **overrides) -> dict:
    data = {
        "email": "Nadia.Nouvelle@example.org",
        "first_name": "Nadia",
        "last_name": "Nouvelle",
        "organisation": cast.fr_agency.pk,
        "role": "officer",
        "job_title": "Data lead",
    }
    data.update(overrides)
    return data


def test_owner_invites_a_new_person(client, cast):
    as_user(client, cast.owner)
    response = client.post("/c/fr/members/invite/", invite_data(cast))
    assert response.status_code == 302
    user = User.objects.get(email="nadia.nouvelle@example.org")
    assert not user.is_active and not user.has_usable_password()
    with country_context(cast.fr):
        membership = Membership.objects.get(user=user)
        assert Invitation.objects.filter(membership=membership, accepted_at__isnull=True).exists()
    assert membership.status == "invited" and membership.role == "officer"
    assert membership.organisation_id == cast.fr_agency.pk and membership.job_title == "Data lead"
    assert response["Location"] == f"/c/fr/members/{membership.pk}/"
    assert fr_actions(cast)[-1] == "member.invited"
    page = client.get(response["Location"]).content.decode()
    assert "An invitation is on its way to nadia.nouvelle@example.org." in page
    assert "Invited" in page
    # Kenya saw nothing of it.
    with country_context(cast.ke):
        assert not CountryEvent.objects.exists()


def test_inviting_someone_with_an_account_never_shows_a_name_the_admin_did_not_type(client, cast):
    """Finding 1 of issue 12: the answer and the pages show only what the admin typed."""
    as_user(client, cast.owner)
    response = client.post(
        "/c/fr/members/invite/",
        invite_data(cast, email=cast.outsider.email, first_name="Typed", last_name="Person", role="viewer"),
        follow=True,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Typed Person" in html and "Otieno" not in html and "outsider</" not in html
    with country_context(cast.fr):
        membership = Membership.objects.get(user=cast.outsider)
        assert Invitation.objects.filter(membership=membership).exists()
    assert membership.status == "invited"
    assert fr_actions(cast)[-1] == "member.invited"
    listing = client.get("/c/fr/members/").content.decode()
    assert "Otieno" not in listing and "Typed Person" in listing


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("email", "not-an-email", "Enter an email address in the form name@example.org."),
        ("email", "", "Enter the person's email address."),
        ("role", "emperor", "Choose a role: country admin, officer or viewer."),
        ("role", "", "Choose a role"),
        ("organisation", "abc", "Choose one of this country's organisations."),
        ("organisation", "", "Choose the person's organisation."),
        ("organisation", "999999", "Choose one of this country's organisations."),
        ("first_name", "", "Enter the person's first and last name."),
        ("email", "member@example.org", "is already a member of France"),
    ],
)
def test_bad_invite_input_is_400_and_changes_nothing(client, cast, field, value, message):
    as_user(client, cast.owner)
    before = fr_state(cast)
    response = client.post("/c/fr/members/invite/", invite_data(cast, **{field: value}))
    assert response.status_code == 400
    assert message in error_summary(response)
    assert fr_state(cast) == before


def test_invite_refuses_another_countrys_organisation(client, cast):
    as_user(client, cast.owner)
    before = fr_state(cast)
    with country_context(cast.ke):
        ke_orgs = Organisation.objects.count()
    response = client.post("/c/fr/members/invite/", invite_data(cast, organisation=cast.ke_ministry.pk))
    assert response.status_code == 400
    assert "Choose one of this country's organisations." in error_summary(response)
    assert fr_state(cast) == before
    with country_context(cast.ke):
        assert Organisation.objects.count() == ke_orgs
        assert Membership.objects.count() == 1
    # The form offers only France's organisations.
    page = client.get("/c/fr/members/invite/").content.decode()
    assert "Ministère du Numérique" in page and "Ministry of ICT" not in page


def test_owner_changes_a_role(client, cast):
    member = fr_membership(cast, cast.member)
    as_user(client, cast.owner)
    response = client.post(f"/c/fr/members/{member.pk}/", {"role": "viewer"})
    assert response.status_code == 302 and response["Location"] == f"/c/fr/members/{member.pk}/"
    assert fr_membership(cast, cast.member).role == "viewer"
    assert fr_actions(cast)[-1] == "member.role_changed"
    assert "Marc Member is now viewer." in client.get(response["Location"]).content.decode()


def test_the_last_country_admin_cannot_step_down(client, cast):
    owner = fr_membership(cast, cast.owner)
    as_user(client, cast.owner)
    before = fr_state(cast)
    response = client.post(f"/c/fr/members/{owner.pk}/", {"role": "officer"})
    assert response.status_code == 400
    assert "France must keep at least one country admin" in error_summary(response)
    assert fr_state(cast) == before
    assert fr_membership(cast, cast.owner).role == "country_admin"


@pytest.mark.parametrize("role", ["emperor", ""])
def test_unknown_role_is_400(client, cast, role):
    member = fr_membership(cast, cast.member)
    as_user(client, cast.owner)
    before = fr_state(cast)
    response = client.post(f"/c/fr/members/{member.pk}/", {"role": role})
    assert response.status_code == 400
    assert "Choose a role" in error_summary(response)
    assert fr_state(cast) == before


def test_owner_removes_a_member_after_confirming(client, cast):
    viewer = fr_membership(cast, cast.viewer)
    as_user(client, cast.owner)
    confirm = client.get(f"/c/fr/members/{viewer.pk}/remove/")
    assert confirm.status_code == 200
    assert "Are you sure you want to remove Vera Viewer from France?" in confirm.content.decode()
    assert f'<a href="/c/fr/members/{viewer.pk}/" class="govuk-back-link">' in confirm.content.decode()
    assert 'class="govuk-warning-text"' in confirm.content.decode()
    # One click is not enough: without a reason the page asks again and nothing changes.
    before = fr_state(cast)
    response = client.post(f"/c/fr/members/{viewer.pk}/remove/")
    assert response.status_code == 400
    assert "Say why: the reason goes on the record." in error_summary(response)
    assert 'href="#id_comment"' in response.content.decode()
    assert fr_state(cast) == before
    response = client.post(f"/c/fr/members/{viewer.pk}/remove/", {"comment": "Left the ministry in June."})
    assert response.status_code == 302 and response["Location"] == "/c/fr/members/"
    with country_context(cast.fr):
        event = CountryEvent.objects.filter(action="member.removed").latest("id")
        kept = ActionReason.objects.get(pk=event.payload["reason"])
    # The reason is kept sealed beside the record; the ledger names it by id only.
    assert kept.reason == "Left the ministry in June." and kept.target_id == str(viewer.pk)
    assert "Left the ministry" not in str(event.payload)
    with country_context(cast.fr):
        assert not Membership.objects.filter(user=cast.viewer).exists()
    assert fr_actions(cast)[-1] == "member.removed"
    assert "Vera Viewer was removed from France." in client.get("/c/fr/members/").content.decode()
    # The removed person no longer sees France.
    assert as_user(client, cast.viewer).get("/c/fr/").status_code == 404


def test_the_last_country_admin_cannot_be_removed(client, cast):
    owner = fr_membership(cast, cast.owner)
    as_user(client, cast.owner)
    before = fr_state(cast)
    response = client.post(f"/c/fr/members/{owner.pk}/remove/", {"comment": "Leaving."})
    assert response.status_code == 400
    assert "France must keep at least one country admin" in error_summary(response)
    assert fr_state(cast) == before


# --- Activity --------------------------------------------------------------------------------------


def record_events(cast, count: int, country=None) -> None:
    country = country or cast.fr
    with country_context(country):
        for n in range(count):
            event_record(
                country=country,
                action="organisation.created",
                actor=cast.owner,
                actor_role="country_admin",
                target=cast.fr_ministry if country == cast.fr else cast.ke_ministry,
                payload={"kind": "ministry", "n": n},
            )


def test_activity_pages_through_events_fifty_at_a_time(client, cast):
    record_events(cast, 60)
    as_user(client, cast.auditor)
    first = client.get("/c/fr/activity/")
    body = first.content.decode()
    assert body.count('<td class="govuk-table__cell govuk-table__cell--numeric">') == 50
    assert ">60<" in body and ">11<" in body and ">10<" not in body
    assert 'href="?before=11"' in body and "?after=" not in body
    second = client.get("/c/fr/activity/?before=11").content.decode()
    assert second.count('<td class="govuk-table__cell govuk-table__cell--numeric">') == 10
    assert 'href="?after=10"' in second and "?before=" not in second
    back = client.get("/c/fr/activity/?after=10").content.decode()
    assert back.count('<td class="govuk-table__cell govuk-table__cell--numeric">') == 50
    assert ">60<" in back and 'href="?before=11"' in back


def test_activity_ignores_a_nonsense_cursor(client, cast):
    record_events(cast, 3)
    as_user(client, cast.owner)
    assert client.get("/c/fr/activity/?before=abc").status_code == 200
    assert client.get("/c/fr/activity/?before=-4&after=zz").status_code == 200
    # A cursor past the end goes back to the newest events rather than an empty page.
    response = client.get("/c/fr/activity/?before=1")
    assert response.status_code == 302 and response["Location"] == "/c/fr/activity/"


def test_activity_shows_only_this_countrys_events(client, cast):
    record_events(cast, 2, country=cast.ke)
    as_user(client, cast.owner)
    body = client.get("/c/fr/activity/").content.decode()
    assert "Ministry of ICT" not in body and "Nothing has been recorded for France yet." in body


# --- Constant query counts -------------------------------------------------------------------------


def count_queries(client, path: str, table: str = "") -> int:
    """All the queries of a page, or (with `table`) those that read that table."""
    client.get(path)  # a person's first request fills the access cache (tenants.access): count the next
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    if table:
        return sum(1 for query in queries.captured_queries if f'FROM "{table}"' in query["sql"])
    return len(queries)


def add_organisations(cast, count: int, start: int) -> None:
    with country_context(cast.fr):
        for n in range(start, start + count):
            organisation = Organisation.objects.create(country=cast.fr, name=f"Organisation {n:03d}", kind="ministry")
            user = User.objects.create(username=f"person{n}", first_name="Person", last_name=f"{n:03d}")
            Membership.objects.create(country=cast.fr, user=user, organisation=organisation, role="viewer")


def test_organisation_list_query_count_does_not_grow(client, cast):
    as_user(client, cast.owner)
    add_organisations(cast, 5, 0)
    small = count_queries(client, "/c/fr/organisations/")
    add_organisations(cast, 10, 5)
    large = count_queries(client, "/c/fr/organisations/")
    assert large == small
    # The rows and their member counts come from one query.
    assert count_queries(client, "/c/fr/organisations/", "tenants_organisation") == 1
    assert client.get("/c/fr/organisations/").content.decode().count('<tr class="govuk-table__row">') == 1 + 17


def test_member_list_and_organisation_detail_query_counts_do_not_grow(client, cast):
    as_user(client, cast.owner)
    add_organisations(cast, 4, 0)
    small_list = count_queries(client, "/c/fr/members/")
    small_detail = count_queries(client, f"/c/fr/organisations/{cast.fr_ministry.pk}/")
    add_organisations(cast, 8, 4)
    with country_context(cast.fr):
        for n in range(8):
            user = User.objects.create(username=f"ministry{n}", first_name="Minister", last_name=f"{n}")
            Membership.objects.create(country=cast.fr, user=user, organisation=cast.fr_ministry, role="officer")
    assert count_queries(client, "/c/fr/members/") == small_list
    assert count_queries(client, f"/c/fr/organisations/{cast.fr_ministry.pk}/") == small_detail
    # One query for the people with their accounts and organisations.
    assert count_queries(client, "/c/fr/members/", "tenants_membership") == 1
    assert client.get("/c/fr/members/").content.decode().count("Person ") == 12


def test_activity_query_count_does_not_grow(client, cast):
    as_user(client, cast.owner)
    member = fr_membership(cast, cast.member)

    def record(count):
        with country_context(cast.fr):
            for _ in range(count):
                event_record(
                    country=cast.fr,
                    action="organisation.created",
                    actor=cast.owner,
                    actor_role="country_admin",
                    target=cast.fr_agency,
                    payload={"kind": "public_agency"},
                )
                event_record(
                    country=cast.fr,
                    action="member.role_changed",
                    actor=cast.owner,
                    actor_role="country_admin",
                    target=member,
                    payload={"from": "officer", "to": "viewer"},
                )

    record(5)
    small = count_queries(client, "/c/fr/activity/")
    record(10)
    assert count_queries(client, "/c/fr/activity/") == small
    # One query for the page of events, one for the organisations and one for the people they name.
    assert count_queries(client, "/c/fr/activity/", "tenants_countryevent") == 1
    assert count_queries(client, "/c/fr/activity/", "tenants_organisation") == 1
    assert count_queries(client, "/c/fr/activity/", "tenants_membership") == 1
    body = client.get("/c/fr/activity/").content.decode()
    assert body.count("From Officer to Viewer") == 15
    assert body.count("Agence des Données") == 15


# --- Invitations -----------------------------------------------------------------------------------


def make_invitation(cast, email="ines.invitee@example.org") -> Invitation:
    membership = services.member_invite(
        country=cast.fr,
        by=cast.owner,
        access=access_for(cast.owner),
        email=email,
        first_name="Inès",
        last_name="Invitee",
        organisation=cast.fr_agency,
        role="officer",
    )
    with country_context(cast.fr):
        return Invitation.objects.select_related("membership__user").get(membership=membership)


def test_invitation_page_shows_organisation_and_country(client, cast):
    invitation = make_invitation(cast)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # chosen with the switcher in this browser
    response = client.get(f"/accounts/invitation/{services.invitation_token(invitation)}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Choose your password" in body
    assert "Agence des Données" in body and "France" in body and "officer" in body


def test_the_invitation_page_is_in_the_countrys_language_as_its_mail_was(client, cast):
    """Not yet a member in force and signed out, the invited person is still someone of France: the
    page reads in France's default, whatever the browser asks, until they choose otherwise."""
    invitation = make_invitation(cast)
    url = f"/accounts/invitation/{services.invitation_token(invitation)}/"
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    body = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="fr"' in body and "Choisissez votre mot de passe" in body
    # A refusal on the same page too.
    response = client.post(url, {"password": "short", "password_again": "short"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and '<html lang="fr"' in response.content.decode()
    # The switcher's choice in this browser comes first.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    assert '<html lang="es"' in client.get(url).content.decode()


def test_accepting_an_invitation_activates_the_account(client, cast):
    invitation = make_invitation(cast)
    url = f"/accounts/invitation/{services.invitation_token(invitation)}/"
    response = client.post(
        url, {"password": "a-long-sovereign-passphrase", "password_again": "a-long-sovereign-passphrase"}
    )
    assert response.status_code == 302 and response["Location"] == "/c/fr/"
    user = User.objects.get(pk=invitation.membership.user_id)
    assert user.is_active and user.check_password("a-long-sovereign-passphrase")
    with country_context(cast.fr):
        assert Membership.objects.get(user=user).status == "active"
        assert Invitation.objects.get(pk=invitation.pk).accepted_at is not None
    assert fr_actions(cast)[-1] == "member.joined"
    # Signed in, the new member sees France.
    assert client.get("/c/fr/").status_code == 200
    # The link works once.
    client.logout()
    again = client.get(url)
    assert again.status_code == 200
    assert "This invitation was accepted on" in again.content.decode()
    assert 'name="password"' not in again.content.decode()


@pytest.mark.parametrize(
    "data, message",
    [
        ({"password": "a-long-sovereign-passphrase", "password_again": "something-else-entirely"}, "do not match"),
        ({"password": "short", "password_again": "short"}, "too short"),
        ({"password": "", "password_again": ""}, "Choose a password."),
    ],
)
def test_bad_passwords_are_refused_and_change_nothing(client, cast, data, message):
    invitation = make_invitation(cast)
    before = fr_state(cast)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # France's invitee reads French otherwise
    response = client.post(f"/accounts/invitation/{services.invitation_token(invitation)}/", data)
    assert response.status_code == 400
    assert message in error_summary(response)
    assert fr_state(cast) == before
    assert not User.objects.get(pk=invitation.membership.user_id).is_active


def test_tampered_invitation_link_is_refused(client, cast):
    invitation = make_invitation(cast)
    token = services.invitation_token(invitation)
    tampered = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    for bad in (tampered, "not-a-token", "x" * 300):
        response = client.get(f"/accounts/invitation/{bad}/")
        assert response.status_code == 400
        assert "This invitation link is not valid" in response.content.decode()
    response = client.post(
        f"/accounts/invitation/{tampered}/",
        {"password": "a-long-sovereign-passphrase", "password_again": "a-long-sovereign-passphrase"},
    )
    assert response.status_code == 400
    assert not User.objects.get(pk=invitation.membership.user_id).is_active


def test_expired_invitation_is_refused(client, cast):
    invitation = make_invitation(cast)
    with country_context(cast.fr):
        Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    url = f"/accounts/invitation/{services.invitation_token(invitation)}/"
    response = client.get(url)
    assert response.status_code == 400
    assert "This invitation has expired" in response.content.decode()
    response = client.post(
        url, {"password": "a-long-sovereign-passphrase", "password_again": "a-long-sovereign-passphrase"}
    )
    assert response.status_code == 400
    assert not User.objects.get(pk=invitation.membership.user_id).is_active


def test_withdrawn_invitation_is_refused(client, cast):
    invitation = make_invitation(cast)
    token = services.invitation_token(invitation)
    membership = fr_membership(cast, invitation.membership.user)
    as_user(client, cast.owner).post(f"/c/fr/members/{membership.pk}/remove/", {"comment": "Invited by mistake."})
    client.logout()
    response = client.get(f"/accounts/invitation/{token}/")
    assert response.status_code == 400
    assert "already been used or withdrawn" in response.content.decode()


def test_the_activity_page_names_an_invited_person_only_as_typed(client, cast):
    """Finding 1 of issue 12, on the record's pages too: until they accept, the invited account's
    own name appears nowhere in the country."""
    as_user(client, cast.owner)
    client.post(
        "/c/fr/members/invite/", invite_data(cast, email=cast.outsider.email, first_name="Typed", last_name="Person")
    )
    for path in ("/c/fr/activity/", "/c/fr/", "/c/fr/members/"):
        html = client.get(path).content.decode()
        assert "Otieno" not in html, path
    assert "Typed Person" in client.get("/c/fr/activity/").content.decode()
