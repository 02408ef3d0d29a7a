"""Engagement services: every transition by every role (allowed and refused), the four-eyes rule
and dual approval, versioned terms and their diff, gradual opening, notifications and reminders,
scheduled activation. The helpers at the top are shared by the other engagement test modules."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.utils import timezone
from guardian.shortcuts import assign_perm

from engagements import selectors as engagement_selectors
from engagements import services
from engagements.models import Engagement, EngagementTerms, EngagementTransition
from tenants.access import PARTNER_MANAGERS_GROUP, access_for
from tenants.errors import NotAllowed, ServiceError
from tenants.isolation import country_context
from tenants.models import Membership, Organisation, PlatformSettings
from tenants.notifications.models import Notification
from tenants.record.models import CountryEvent
from tests.conftest import deliver_mail

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
TERMS = dict(
    sectors=["education", "health"],
    capabilities=["text", "embeddings"],
    residency_region="eu-west",
    monthly_token_quota=1_000_000,
    start_date=TODAY,
    end_date=None,
    economic_model="grant",
    conditions="Pricing annex B is confidential.",
)


# --- Helpers (imported by the other engagement test modules) ---------------------------------------


def act(engagement, action, user, comment="Because."):
    return services.engagement_transition(
        engagement=engagement, action=action, by=user, access=access_for(user), comment=comment
    )


def engagement_in(cast, state: str, *, country=None, admin=None, partner=None, organisation=None) -> Engagement:
    """An engagement of FR (or `country`) brought to `state` through the services."""
    admin = admin or cast.owner
    partner = partner or cast.partner
    country = country or cast.fr
    organisation = organisation or (cast.fr_ministry if country == cast.fr else cast.ke_ministry)
    engagement = services.engagement_create(
        country=country, by=admin, access=access_for(admin), organisation=organisation, **TERMS
    )
    path = {
        "draft": [],
        "submitted": [("submit", admin)],
        "in_review": [("submit", admin), ("start_review", partner)],
        "approved": [("submit", admin), ("approve", partner)],
        "active": [("submit", admin), ("approve", partner), ("activate", admin)],
        "suspended": [("submit", admin), ("approve", partner), ("activate", admin), ("suspend", partner)],
        "closed": [("close", admin)],
        "rejected": [("submit", admin), ("reject", partner)],
    }[state]
    for action, user in path:
        engagement = act(engagement, action, user)
    assert engagement.state == state
    return engagement


def fresh(engagement) -> Engagement:
    with country_context(engagement.country_id):
        return Engagement.objects.select_related("country", "approved_terms").get(pk=engagement.pk)


def notified(cast, **filters) -> list[str]:
    """Usernames of the in-app notifications matching `filters`, in FR and KE."""
    with country_context([cast.fr, cast.ke]):
        return list(Notification.objects.filter(**filters).values_list("user__username", flat=True))


def ke_partner(cast):
    """A partner manager of Kenya only."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(
        "kepartner", "kepartner@example.org", cast.password, first_name="Kamau", last_name="Partner"
    )
    user.groups.add(Group.objects.get(name=PARTNER_MANAGERS_GROUP))
    assign_perm("tenants.manage_partnership", user, cast.ke)
    return user


def second_fr_partner(cast):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(
        "partner2", "partner2@example.org", cast.password, first_name="Pia", last_name="Second"
    )
    user.groups.add(Group.objects.get(name=PARTNER_MANAGERS_GROUP))
    assign_perm("tenants.manage_partnership", user, cast.fr)
    return user


def snapshot(engagement) -> tuple:
    with country_context(engagement.country_id):
        row = Engagement.objects.get(pk=engagement.pk)
        return (
            row.state,
            row.amendment,
            row.approved_terms_id,
            EngagementTerms.objects.count(),
            EngagementTransition.objects.count(),
            CountryEvent.objects.count(),
        )


# --- Every transition by every role -----------------------------------------------------------------

STATES = ["draft", "submitted", "in_review", "approved", "active", "suspended", "closed", "rejected"]
ROLES = ["owner", "member", "viewer", "partner", "auditor", "outsider"]
PM_DECIDES = {"partner"}
# Written out by hand, apart from the service's table, so that a change there must be made here too.
EXPECTED = {
    ("draft", "submit"): ("submitted", {"owner"}),
    ("submitted", "start_review"): ("in_review", PM_DECIDES),
    ("submitted", "approve"): ("approved", PM_DECIDES),
    ("submitted", "reject"): ("rejected", PM_DECIDES),
    ("submitted", "request_changes"): ("draft", PM_DECIDES),
    ("in_review", "approve"): ("approved", PM_DECIDES),
    ("in_review", "reject"): ("rejected", PM_DECIDES),
    ("in_review", "request_changes"): ("draft", PM_DECIDES),
    ("approved", "activate"): ("active", {"owner", "partner"}),
    ("approved", "suspend"): ("suspended", PM_DECIDES),
    ("active", "suspend"): ("suspended", PM_DECIDES),
    ("suspended", "reinstate"): ("active", PM_DECIDES),
    **{
        (s, "close"): ("closed", {"owner", "partner"})
        for s in ["draft", "submitted", "in_review", "approved", "active", "suspended"]
    },
}
CASES = [(s, a, r) for s in STATES for a in services.ACTIONS for r in ROLES]


@pytest.mark.parametrize("state,action,role", CASES, ids=[f"{s}-{a}-{r}" for s, a, r in CASES])
def test_every_transition_by_every_role(cast, state, action, role):
    engagement = engagement_in(cast, state)
    user = getattr(cast, role)
    expected = EXPECTED.get((state, action))
    if expected and role in expected[1]:
        moved = act(engagement, action, user)
        assert moved.state == expected[0]
        with country_context(cast.fr):
            last = EngagementTransition.objects.filter(engagement=engagement).first()
            event = CountryEvent.objects.order_by("-sequence").first()
        assert (last.action, last.from_state, last.to_state, last.by_id, last.comment) == (
            action,
            state,
            expected[0],
            user.pk,
            "Because.",
        )
        assert event.action.startswith("engagement.") and event.actor_id == user.pk
        assert "Because" not in str(event.payload)  # comments stay off the ledger
    else:
        before = snapshot(engagement)
        with pytest.raises(ServiceError) as refused:
            act(engagement, action, user)
        assert refused.value.message
        assert snapshot(engagement) == before


def test_a_refused_transition_says_why(cast):
    engagement = engagement_in(cast, "draft")
    with pytest.raises(ServiceError, match="cannot approve an engagement that is draft"):
        act(engagement, "approve", cast.partner)
    with pytest.raises(NotAllowed, match="does not allow you to submit"):
        act(engagement, "submit", cast.member)


def test_decisions_need_a_comment(cast):
    engagement = engagement_in(cast, "submitted")
    before = snapshot(engagement)
    for action in ("reject", "request_changes"):
        with pytest.raises(ServiceError, match="Say why") as refused:
            act(engagement, action, cast.partner, comment="  ")
        assert refused.value.field == "comment"
    assert snapshot(engagement) == before


def test_request_changes_sends_it_back_to_draft_with_the_comment(cast):
    engagement = act(
        engagement_in(cast, "in_review"), "request_changes", cast.partner, comment="Narrow the sectors to education."
    )
    assert engagement.state == "draft"
    with country_context(cast.fr):
        assert (
            EngagementTransition.objects.filter(engagement=engagement).first().comment
            == "Narrow the sectors to education."
        )


# --- Four eyes ---------------------------------------------------------------------------------------


def _make_partner_of_fr(cast, user):
    """The person leaves their FR membership and becomes FR's partner manager (staff move)."""
    with country_context(cast.fr):
        Membership.objects.filter(user=user).delete()
    user.groups.add(Group.objects.get(name=PARTNER_MANAGERS_GROUP))
    assign_perm("tenants.manage_partnership", user, cast.fr)


def test_nobody_approves_what_they_submitted(cast):
    engagement = engagement_in(cast, "submitted")
    # The engagement was drafted by the owner too; a version by the officer isolates "submitted".
    with country_context(cast.fr):
        Engagement.objects.filter(pk=engagement.pk).update(state="draft")
    services.engagement_terms_create(
        engagement=engagement, by=cast.member, access=access_for(cast.member), **{**TERMS, "monthly_token_quota": 2_000}
    )
    second_admin = cast.viewer
    with country_context(cast.fr):
        Membership.objects.filter(user=second_admin).update(role="country_admin")
    engagement = act(engagement, "submit", second_admin)
    _make_partner_of_fr(cast, second_admin)
    before = snapshot(engagement)
    with pytest.raises(NotAllowed, match="You submitted this engagement"):
        act(engagement, "approve", second_admin)
    assert snapshot(engagement) == before
    assert act(engagement, "approve", cast.partner).state == "approved"


def test_nobody_approves_what_they_drafted(cast):
    engagement = engagement_in(cast, "draft")
    services.engagement_terms_create(
        engagement=engagement, by=cast.member, access=access_for(cast.member), **{**TERMS, "monthly_token_quota": 3_000}
    )
    engagement = act(engagement, "submit", cast.owner)
    _make_partner_of_fr(cast, cast.member)
    with pytest.raises(NotAllowed, match="You drafted version 2"):
        act(engagement, "approve", cast.member)
    assert fresh(engagement).state == "submitted"


def test_above_the_platform_quota_two_distinct_approvers_are_needed(cast):
    settings_row = PlatformSettings.load()
    settings_row.dual_approval_quota = 500_000
    settings_row.save()
    other = second_fr_partner(cast)
    engagement = engagement_in(cast, "in_review")
    engagement = act(engagement, "approve", cast.partner, comment="Fine by me.")
    assert engagement.state == "in_review" and engagement.approved_terms_id is None
    with pytest.raises(NotAllowed, match="already approved this version"):
        act(engagement, "approve", cast.partner)
    engagement = act(engagement, "approve", other)
    assert engagement.state == "approved"
    with country_context(cast.fr):
        actions = list(CountryEvent.objects.order_by("sequence").values_list("action", flat=True))
    assert actions[-2:] == ["engagement.approval_recorded", "engagement.approved"]


def test_below_the_quota_one_approver_is_enough(cast):
    settings_row = PlatformSettings.load()
    settings_row.dual_approval_quota = 5_000_000
    settings_row.save()
    assert act(engagement_in(cast, "in_review"), "approve", cast.partner).state == "approved"


def test_an_approval_event_carries_the_terms_it_approves(cast):
    import hashlib

    engagement = act(engagement_in(cast, "in_review"), "approve", cast.partner)
    terms = engagement.approved_terms
    with country_context(cast.fr):
        event = CountryEvent.objects.filter(action="engagement.approved").get()
    assert event.payload["terms"] == {
        "version": terms.version,
        "sectors": list(terms.sectors),
        "capabilities": list(terms.capabilities),
        "residency_region": terms.residency_region,
        "monthly_quota": terms.monthly_token_quota,
        "start_date": terms.start_date.isoformat(),
        "end_date": terms.end_date.isoformat() if terms.end_date else None,
        "economic_model": terms.economic_model,
        # The free-text conditions by their digest only: checkable against the export, not on the chain.
        "conditions_sha256": hashlib.sha256(terms.conditions.encode()).hexdigest(),
    }


# --- Terms, versions, amendments ---------------------------------------------------------------------


def test_a_change_after_approval_is_a_new_version_approved_again_while_the_old_stays_in_force(cast):
    engagement = engagement_in(cast, "active")
    v1 = engagement.approved_terms
    with pytest.raises(NotAllowed, match="amend approved terms"):
        services.engagement_terms_create(
            engagement=engagement, by=cast.member, access=access_for(cast.member), **{**TERMS, "monthly_token_quota": 9}
        )
    v2 = services.engagement_terms_create(
        engagement=engagement,
        by=cast.owner,
        access=access_for(cast.owner),
        **{**TERMS, "monthly_token_quota": 2_000_000, "sectors": ["education"]},
    )
    engagement = fresh(engagement)
    assert (engagement.state, engagement.amendment, engagement.approved_terms_id, v2.version) == (
        "active",
        "draft",
        v1.pk,
        2,
    )
    engagement = act(engagement, "submit", cast.owner)
    assert (engagement.state, engagement.amendment) == ("active", "submitted")
    with country_context(cast.fr):
        assert list(engagement_selectors.review_queue(access=access_for(cast.partner), reader=cast.partner)) == [
            engagement
        ]
    with pytest.raises(ServiceError, match="with the partner manager for review"):
        services.engagement_terms_create(
            engagement=engagement, by=cast.owner, access=access_for(cast.owner), **{**TERMS, "monthly_token_quota": 7}
        )
    engagement = act(engagement, "approve", cast.partner)
    assert (engagement.state, engagement.amendment, engagement.approved_terms_id) == ("active", "", v2.pk)
    rows = {r.label: r for r in engagement_selectors.terms_diff(v1, v2)}
    assert [label for label, r in rows.items() if r.changed] == ["Sectors in scope", "Monthly token quota"]
    assert (rows["Monthly token quota"].old, rows["Monthly token quota"].new) == ("1,000,000", "2,000,000")


def test_a_rejected_amendment_leaves_the_approved_version_in_force(cast):
    engagement = engagement_in(cast, "approved")
    v1 = engagement.approved_terms_id
    services.engagement_terms_create(
        engagement=engagement, by=cast.owner, access=access_for(cast.owner), **{**TERMS, "economic_model": "fixed"}
    )
    engagement = act(act(engagement, "submit", cast.owner), "reject", cast.partner, comment="Keep the grant.")
    assert (engagement.state, engagement.amendment, engagement.approved_terms_id) == ("approved", "", v1)


def test_terms_are_checked_and_bad_terms_change_nothing(cast):
    engagement = engagement_in(cast, "draft")
    before = snapshot(engagement)
    bad = [
        ({"sectors": []}, "sectors"),
        ({"sectors": ["mining"]}, "sectors"),
        ({"capabilities": []}, "capabilities"),
        ({"residency_region": "moon"}, "residency_region"),
        ({"monthly_token_quota": 0}, "monthly_token_quota"),
        ({"end_date": TODAY - timedelta(days=1)}, "end_date"),
        ({"economic_model": "barter"}, "economic_model"),
        ({"conditions": "x" * 10_001}, "conditions"),
        ({}, None),
    ]
    for change, field in bad:
        with pytest.raises(ServiceError) as refused:
            services.engagement_terms_create(
                engagement=engagement, by=cast.owner, access=access_for(cast.owner), **{**TERMS, **change}
            )
        assert refused.value.field == field, change
    assert snapshot(engagement) == before


def test_conditions_are_sealed_under_the_country_key(cast):
    from django.db import connection

    engagement = engagement_in(cast, "draft")
    with country_context(cast.fr), connection.cursor() as cursor:
        cursor.execute("SELECT conditions FROM tenants_engagementterms WHERE engagement_id = %s", [engagement.pk])
        stored = cursor.fetchone()[0]
        assert "confidential" not in stored
        assert EngagementTerms.objects.get(engagement=engagement).conditions == TERMS["conditions"]


# --- Applying ---------------------------------------------------------------------------------------


def test_closed_organisation_kinds_are_refused_until_opened(cast):
    with country_context(cast.fr):
        charity = Organisation.objects.create(country=cast.fr, name="Fondation Données", kind="non_profit")
    with pytest.raises(ServiceError, match="not yet open to applications") as refused:
        services.engagement_create(
            country=cast.fr, by=cast.owner, access=access_for(cast.owner), organisation=charity, **TERMS
        )
    assert refused.value.field == "organisation"
    with country_context(cast.fr):
        assert not Engagement.objects.exists()
    settings_row = PlatformSettings.load()
    settings_row.open_organisation_kinds = ["non_profit"]
    settings_row.save()
    assert (
        services.engagement_create(
            country=cast.fr, by=cast.owner, access=access_for(cast.owner), organisation=charity, **TERMS
        ).state
        == "draft"
    )


def test_one_current_engagement_per_country_and_history_kept(cast):
    first = engagement_in(cast, "rejected")
    with pytest.raises(ServiceError):
        services.engagement_create(
            country=cast.ke, by=cast.owner, access=access_for(cast.owner), organisation=cast.ke_ministry, **TERMS
        )
    second = services.engagement_create(
        country=cast.fr, by=cast.member, access=access_for(cast.member), organisation=cast.fr_agency, **TERMS
    )
    with pytest.raises(ServiceError, match="already has a current engagement"):
        services.engagement_create(
            country=cast.fr, by=cast.owner, access=access_for(cast.owner), organisation=cast.fr_ministry, **TERMS
        )
    with country_context(cast.fr):
        assert engagement_selectors.engagement_current(country=cast.fr) == second
        assert set(engagement_selectors.engagement_list(country=cast.fr)) == {first, second}


def test_viewers_and_other_countries_cannot_apply(cast):
    for user, country, org in [
        (cast.viewer, cast.fr, cast.fr_ministry),
        (cast.partner, cast.fr, cast.fr_ministry),
        (cast.outsider, cast.fr, cast.fr_ministry),
    ]:
        with pytest.raises(NotAllowed):
            services.engagement_create(country=country, by=user, access=access_for(user), organisation=org, **TERMS)
    with pytest.raises(ServiceError, match="this country's organisations"):
        services.engagement_create(
            country=cast.fr, by=cast.owner, access=access_for(cast.owner), organisation=cast.ke_ministry, **TERMS
        )


# --- Notifications, reminders, activation -------------------------------------------------------------


def test_submit_notifies_the_country_partner_managers_and_a_decision_its_admins(
    cast, django_capture_on_commit_callbacks
):
    kenya = ke_partner(cast)
    engagement = engagement_in(cast, "draft")
    with django_capture_on_commit_callbacks() as published:
        engagement = act(engagement, "submit", cast.owner)
    assert mail.outbox == [] and len(published) == 1  # the mail job leaves once the change commits
    assert notified(cast) == ["partner"]
    assert deliver_mail() == 1
    assert [m.to for m in mail.outbox] == [["partner@example.org"]]
    assert "waiting for your review" in mail.outbox[0].subject and "/c/fr/engagement/" in mail.outbox[0].body
    assert notified(cast, user=kenya) == []
    mail.outbox.clear()
    act(engagement, "request_changes", cast.partner, comment="Add the end date.")
    assert deliver_mail() == 1
    assert [m.to for m in mail.outbox] == [["owner@example.org"]]
    assert notified(cast, user=cast.owner, subject__contains="needs changes") == ["owner"]
    assert notified(cast, user=cast.member) == []


def test_a_refused_change_sends_nothing(cast, django_capture_on_commit_callbacks):
    engagement = engagement_in(cast, "draft")
    with django_capture_on_commit_callbacks() as published, pytest.raises(ServiceError):
        act(engagement, "submit", cast.member)
    assert published == [] and deliver_mail() == 0 and mail.outbox == [] and notified(cast) == []


def test_reminders_for_engagements_waiting_too_long(cast, settings):
    settings.ENGAGEMENT_REVIEW_REMINDER_DAYS = 3
    kenya = ke_partner(cast)
    fr_engagement = engagement_in(cast, "submitted")
    engagement_in(cast, "submitted", country=cast.ke, admin=cast.outsider, partner=kenya)
    now = timezone.now()
    assert services.engagement_review_remind(now=now) == 0
    deliver_mail()  # the submissions' own notices
    mail.outbox.clear()
    assert services.engagement_review_remind(now=now + timedelta(days=4)) == 2
    assert deliver_mail() == 2
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == ["kepartner@example.org", "partner@example.org"]
    assert "waited 4 days" in next(m.subject for m in mail.outbox if m.to == ["partner@example.org"])
    # Not again the next day; again once the period has passed.
    assert services.engagement_review_remind(now=now + timedelta(days=5)) == 0
    assert services.engagement_review_remind(now=now + timedelta(days=8)) == 2
    act(fr_engagement, "approve", cast.partner)
    assert services.engagement_review_remind(now=now + timedelta(days=20)) == 1


def test_activation_waits_for_the_start_date(cast):
    engagement = services.engagement_create(
        country=cast.fr,
        by=cast.owner,
        access=access_for(cast.owner),
        organisation=cast.fr_ministry,
        **{**TERMS, "start_date": TODAY + timedelta(days=10)},
    )
    engagement = act(act(engagement, "submit", cast.owner), "approve", cast.partner)
    with pytest.raises(ServiceError, match="can be activated from that day"):
        act(engagement, "activate", cast.owner)
    assert services.engagement_activate_due(today=TODAY) == 0
    assert services.engagement_activate_due(today=TODAY + timedelta(days=10)) == 1
    engagement = fresh(engagement)
    assert engagement.state == "active"
    with country_context(cast.fr):
        last = EngagementTransition.objects.filter(engagement=engagement).first()
    assert (last.action, last.by_id, last.by_role) == ("activate", None, "system")


def test_onboarding_step_follows_the_engagement(cast):
    from tenants.onboarding import task_list

    def step():
        with country_context(cast.fr):
            return engagement_selectors.onboarding_status(cast.fr)

    assert step().state == "not_started"
    engagement = engagement_in(cast, "submitted")
    assert step().state == "in_progress"
    act(engagement, "approve", cast.partner)
    assert step().state == "done" and step().url == "/c/fr/engagement/"
    with country_context(cast.fr):  # the task list reads the same step, with the others, in one query
        assert next(task for task in task_list(cast.fr) if task.key == "engagement").state == "done"
