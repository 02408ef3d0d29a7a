"""Engagement pages (/c/<code>/engagement/…) and the notifications page, each for the owner (FR
country admin), a same-country member, another country's member and an anonymous visitor; other
countries' ids under FR's URL; writes through the forms; constant query counts."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from engagements import services
from engagements.models import Engagement, EngagementTerms, EngagementTransition
from tenants.access import access_for
from tenants.isolation import country_context

from .test_services import TERMS, TODAY, act, engagement_in, fresh, ke_partner, notified, snapshot

pytestmark = pytest.mark.django_db


def as_user(client, user):
    client.force_login(user)
    return client


def assert_login_redirect(response):
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")


def form_data(**change):
    """The terms of TERMS (tests.engagements.test_services) as the form posts them, with `change`."""
    data = {
        "organisation": "",
        "sectors": TERMS["sectors"],
        "capabilities": TERMS["capabilities"],
        "residency_region": "eu-west",
        "monthly_token_quota": "5000000",
        "start_date": TODAY.isoformat(),
        "end_date": "",
        "economic_model": "grant",
        "conditions": TERMS["conditions"],
    }
    data.update(change)
    return data


# --- Who sees what --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "who,expected",
    [
        ("owner", 200),
        ("member", 200),
        ("viewer", 200),
        ("partner", 200),
        ("auditor", 200),
        ("outsider", 404),
        ("anonymous", 302),
    ],
)
def test_engagement_page_by_visitor(client, cast, who, expected):
    engagement = engagement_in(cast, "submitted")
    pages = ["/c/fr/engagement/", f"/c/fr/engagement/{engagement.pk}/", f"/c/fr/engagement/{engagement.pk}/diff/"]
    if who != "anonymous":
        as_user(client, getattr(cast, who))
    for path in pages:
        response = client.get(path)
        if expected == 302:
            assert_login_redirect(response)
        else:
            assert response.status_code == expected, path
    if expected == 200:
        body = client.get("/c/fr/engagement/").content.decode()
        assert "Submitted" in body and "Ministère du Numérique" in body and "Pricing annex B" in body


def test_actions_shown_are_those_of_your_role(client, cast):
    engagement_in(cast, "submitted")
    owner_page = as_user(client, cast.owner).get("/c/fr/engagement/").content.decode()
    assert 'data-action="close"' in owner_page and 'data-action="approve"' not in owner_page
    partner_page = as_user(client, cast.partner).get("/c/fr/engagement/").content.decode()
    assert all(f'data-action="{a}"' in partner_page for a in ("start_review", "approve", "reject", "request_changes"))
    viewer_page = as_user(client, cast.viewer).get("/c/fr/engagement/").content.decode()
    assert "data-action" not in viewer_page


def test_other_countries_engagements_are_404_under_fr(client, cast):
    kenya = engagement_in(cast, "submitted", country=cast.ke, admin=cast.outsider, partner=ke_partner(cast))
    engagement_in(cast, "draft")
    for user in (cast.owner, cast.partner):
        as_user(client, user)
        for path in (
            f"/c/fr/engagement/{kenya.pk}/",
            f"/c/fr/engagement/{kenya.pk}/diff/",
            f"/c/fr/engagement/{kenya.pk}/terms/",
        ):
            assert client.get(path).status_code == 404
        before = snapshot(kenya)
        assert client.post(f"/c/fr/engagement/{kenya.pk}/approve/", {"comment": "x"}).status_code == 404
        assert snapshot(kenya) == before
    # The FR partner manager is not assigned to Kenya: its pages do not exist for them.
    assert as_user(client, cast.partner).get("/c/ke/engagement/").status_code == 404


def test_no_engagement_offers_to_apply_to_those_who_may(client, cast):
    assert "Apply for an engagement" in as_user(client, cast.member).get("/c/fr/engagement/").content.decode()
    assert "Apply for an engagement" not in as_user(client, cast.viewer).get("/c/fr/engagement/").content.decode()


# --- Applying and changing terms -------------------------------------------------------------------


def test_apply_through_the_form(client, cast):
    response = as_user(client, cast.owner).post("/c/fr/engagement/new/", form_data(organisation=cast.fr_ministry.pk))
    assert response.status_code == 302 and response["Location"] == "/c/fr/engagement/"
    with country_context(cast.fr):
        engagement = Engagement.objects.get()
        terms = EngagementTerms.objects.get()
    assert (engagement.state, terms.monthly_token_quota, terms.sectors) == ("draft", 5_000_000, ["education", "health"])


@pytest.mark.parametrize(
    "change,message",
    [
        ({"organisation": ""}, "Choose the organisation that applies."),
        ({"sectors": []}, "Choose at least one sector in scope."),
        ({"monthly_token_quota": "lots"}, "Enter the monthly quota as a whole number of tokens"),
        ({"start_date": "31/02/2027"}, "Enter the start date as YYYY-MM-DD"),
        ({"end_date": (TODAY - timedelta(days=3)).isoformat()}, "The end date must be after the start date."),
        ({"economic_model": "barter"}, "Choose an economic model from the list."),
    ],
)
def test_apply_with_bad_input_changes_nothing(client, cast, change, message):
    data = form_data(**{"organisation": cast.fr_ministry.pk, **change})
    response = as_user(client, cast.owner).post("/c/fr/engagement/new/", data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "There is a problem" in body and message in body.replace("&#x27;", "'")
    with country_context(cast.fr):
        assert not Engagement.objects.exists()


def test_apply_from_a_closed_organisation_kind_is_refused_on_the_form(client, cast):
    from tenants.models import Organisation

    with country_context(cast.fr):
        charity = Organisation.objects.create(country=cast.fr, name="Fondation", kind="non_profit")
    response = as_user(client, cast.owner).post("/c/fr/engagement/new/", form_data(organisation=charity.pk))
    assert response.status_code == 400 and "not yet open to applications" in response.content.decode()


@pytest.mark.parametrize("who,expected", [("viewer", 403), ("partner", 403), ("outsider", 404), ("anonymous", 302)])
def test_apply_refused(client, cast, who, expected):
    if who != "anonymous":
        as_user(client, getattr(cast, who))
    for response in (
        client.get("/c/fr/engagement/new/"),
        client.post("/c/fr/engagement/new/", form_data(organisation=cast.fr_ministry.pk)),
    ):
        assert response.status_code == expected
    with country_context(cast.fr):
        assert not Engagement.objects.exists()


def test_new_version_and_diff_pages(client, cast):
    engagement = engagement_in(cast, "active")
    as_user(client, cast.owner)
    form = client.get(f"/c/fr/engagement/{engagement.pk}/terms/").content.decode()
    assert 'value="1000000"' in form  # prefilled from the latest version
    assert f'type="date" value="{TODAY.isoformat()}"' in form
    response = client.post(
        f"/c/fr/engagement/{engagement.pk}/terms/", form_data(monthly_token_quota="2500000", economic_model="fixed")
    )
    assert response.status_code == 302
    page = client.get("/c/fr/engagement/").content.decode()
    assert "version 1 stays in force" in page and 'id="amendment-notice"' in page
    diff = client.get(f"/c/fr/engagement/{engagement.pk}/diff/?from=1&to=2").content.decode()
    changed = re.findall(r'data-changed="yes">\s*<th scope="row" class="govuk-table__header">([^<]+)</th>', diff)
    assert changed == ["Monthly token quota", "Economic model"]
    assert client.get(f"/c/fr/engagement/{engagement.pk}/diff/?from=1&to=9").status_code == 404
    assert (
        as_user(client, cast.member)
        .post(f"/c/fr/engagement/{engagement.pk}/terms/", form_data(monthly_token_quota="7"))
        .status_code
        == 403
    )


# --- Actions ---------------------------------------------------------------------------------------


def test_actions_through_the_page(client, cast):
    engagement = engagement_in(cast, "draft")
    submitted = as_user(client, cast.owner).post(f"/c/fr/engagement/{engagement.pk}/submit/", {"comment": ""})
    assert submitted.status_code == 302
    html = client.get(submitted["Location"]).content.decode()
    assert "The engagement was submitted for review." in html and "Done:" not in html
    as_user(client, cast.partner)
    response = client.post(f"/c/fr/engagement/{engagement.pk}/request_changes/", {"comment": ""})
    assert response.status_code == 400 and "Say why in the comment" in response.content.decode()
    assert fresh(engagement).state == "submitted"
    response = client.post(f"/c/fr/engagement/{engagement.pk}/request_changes/", {"comment": "Add health."})
    assert response.status_code == 302 and fresh(engagement).state == "draft"
    assert "Add health." in as_user(client, cast.owner).get("/c/fr/engagement/").content.decode()


def test_refused_actions_on_the_page(client, cast):
    engagement = engagement_in(cast, "draft")
    before = snapshot(engagement)
    assert as_user(client, cast.member).post(f"/c/fr/engagement/{engagement.pk}/submit/").status_code == 403
    # Not a move of this state: a form error that says so.
    response = as_user(client, cast.owner).post(f"/c/fr/engagement/{engagement.pk}/approve/")
    assert response.status_code == 400 and "cannot approve an engagement that is draft" in response.content.decode()
    response = client.post(f"/c/fr/engagement/{engagement.pk}/activate/")
    assert response.status_code == 400
    assert client.post(f"/c/fr/engagement/{engagement.pk}/explode/").status_code == 404
    assert client.get(f"/c/fr/engagement/{engagement.pk}/submit/").status_code == 405
    assert snapshot(engagement) == before
    client.logout()
    assert_login_redirect(client.post(f"/c/fr/engagement/{engagement.pk}/submit/"))
    assert snapshot(engagement) == before


def test_illegal_transition_on_the_page_is_a_form_error(client, cast):
    engagement = engagement_in(cast, "submitted")
    response = as_user(client, cast.partner).post(f"/c/fr/engagement/{engagement.pk}/reinstate/", {"comment": "x"})
    assert (
        response.status_code == 400 and "cannot reinstate an engagement that is submitted" in response.content.decode()
    )
    response = client.post(f"/c/fr/engagement/{engagement.pk}/approve/", {"comment": "x" * 2001})
    assert response.status_code == 400 and "2,000 characters or fewer" in response.content.decode()


# --- Overview task list and notifications ---------------------------------------------------------


def test_overview_shows_the_task_list(client, cast):
    body = as_user(client, cast.owner).get("/c/fr/").content.decode()
    assert 'class="govuk-task-list"' in body and "Engagement approved" in body
    assert re.search(r'id="task-engagement-status" data-state="not_started"', body)
    act(engagement_in(cast, "submitted"), "approve", cast.partner)
    body = client.get("/c/fr/").content.decode()
    assert re.search(r'id="task-engagement-status" data-state="done"', body)


@pytest.mark.parametrize("who", ["owner", "member", "outsider", "anonymous"])
def test_notifications_page_by_visitor(client, cast, who):
    engagement = engagement_in(cast, "submitted")
    act(engagement, "request_changes", cast.partner, comment="More detail.")
    if who == "anonymous":
        assert_login_redirect(client.get("/notifications/"))
        return
    body = as_user(client, getattr(cast, who)).get("/notifications/").content.decode()
    assert ("France: engagement needs changes" in body) == (who == "owner")
    assert ('id="notification-count"' in body) == (who == "owner")


def test_notifications_are_shown_only_while_the_country_is_visible_and_can_be_read(client, cast):
    engagement = engagement_in(cast, "submitted")
    assert notified(cast, user=cast.partner) == ["partner"]
    body = as_user(client, cast.partner).get("/").content.decode()
    assert re.search(r'id="notification-count">1<', body)
    assert client.post("/notifications/read/").status_code == 302
    assert 'id="notification-count"' not in client.get("/notifications/").content.decode()
    act(engagement, "reject", cast.partner, comment="No.")
    # The owner is notified; once they no longer see France, neither do its notifications.
    from tenants.models import Membership

    with country_context(cast.fr):
        Membership.objects.filter(user=cast.owner).delete()
    assert "engagement was rejected" not in as_user(client, cast.owner).get("/notifications/").content.decode()


# --- Constant queries ------------------------------------------------------------------------------


def _page_queries(client, path) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


def test_engagement_page_queries_do_not_grow_with_versions_and_history(client, cast):
    engagement = engagement_in(cast, "draft")
    as_user(client, cast.owner)
    quotas = iter(range(10_000, 10_100))

    def grow(n):
        for _ in range(n):
            services.engagement_terms_create(
                engagement=engagement,
                by=cast.owner,
                access=access_for(cast.owner),
                **{**TERMS, "monthly_token_quota": next(quotas)},
            )

    grow(3)
    small = _page_queries(client, "/c/fr/engagement/")
    grow(6)
    assert _page_queries(client, "/c/fr/engagement/") == small
    assert _page_queries(client, f"/c/fr/engagement/{engagement.pk}/diff/") == _page_queries(
        client, f"/c/fr/engagement/{engagement.pk}/diff/?from=1&to=2"
    )


def test_close_asks_on_a_page_of_its_own_with_a_required_reason(client, cast):
    engagement = engagement_in(cast, "active")
    url = f"/c/fr/engagement/{engagement.pk}/close/"
    page = as_user(client, cast.owner).get("/c/fr/engagement/").content.decode()
    assert f'href="{url}"' in page  # a link to the confirmation, not a button that closes at once
    assert as_user(client, cast.member).get(url).status_code == 403
    assert as_user(client, cast.outsider).get(url).status_code == 404
    client.logout()
    assert_login_redirect(client.get(url))
    html = as_user(client, cast.owner).get(url).content.decode()
    assert "govuk-warning-text" in html and "Yes, close the engagement" in html
    before = snapshot(engagement)
    response = client.post(url, {"comment": " "})
    assert response.status_code == 400 and 'href="#id_comment"' in response.content.decode()
    assert snapshot(engagement) == before
    assert client.post(url, {"comment": "The programme ends here."}).status_code == 302
    with country_context(cast.fr):
        last = EngagementTransition.objects.filter(engagement=engagement).order_by("-id").first()
    assert (last.action, last.to_state, last.comment) == ("close", "closed", "The programme ends here.")
    assert client.get(url).status_code == 404  # nothing left to close


def test_a_first_of_two_approvals_is_not_offered_again_to_its_author(client, api, cast):
    from tenants.models import PlatformSettings
    from tests.engagements.test_services import second_fr_partner

    settings_row = PlatformSettings.load()
    settings_row.dual_approval_quota = 500_000
    settings_row.save()
    other = second_fr_partner(cast)
    engagement = engagement_in(cast, "submitted")
    approve = 'data-action="approve"'
    as_user(client, cast.partner)
    assert approve in client.get("/c/fr/engagement/").content.decode()
    response = client.post(f"/c/fr/engagement/{engagement.pk}/approve/", {"comment": "Fine by me."})
    assert response.status_code == 302 and fresh(engagement).state == "submitted"
    html = client.get("/c/fr/engagement/").content.decode()
    assert approve not in html and 'data-action="request_changes"' in html
    queue = client.get("/review/").content.decode()
    assert 'data-field="approved-by-you"' in queue and f"/c/fr/engagement/{engagement.pk}/approve/" not in queue
    api.force_login(cast.partner)
    assert "approve" not in api.get(f"/api/v1/countries/FR/engagements/{engagement.pk}/").json()["actions"]
    as_user(client, other)
    assert approve in client.get("/c/fr/engagement/").content.decode()
    assert f"/c/fr/engagement/{engagement.pk}/approve/" in client.get("/review/").content.decode()
