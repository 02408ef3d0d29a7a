"""The lifecycle (every transition of the table), the gates (each failing gate names itself), the
approval rules, and provisioning run in-process (the worker tests run it on a real worker)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import translation

from deployments import environments, gates, provisioning, services
from deployments.models import (
    Credential,
    CredentialReveal,
    DeploymentRequest,
    Environment,
    ProvisioningJob,
    job_failure,
)
from engagements.models import Engagement
from governance.models import ImpactAssessment
from tenants.isolation import country_context
from tenants.jobs.models import OutboxMessage
from tenants.notifications.models import Notification
from tenants.record.models import CountryEvent
from tests.deployments.conftest import act, draft, fields, make_model

pytestmark = pytest.mark.django_db
S = DeploymentRequest.State


def move(item, action, user, **extra):
    return services.deployment_request_transition(request=item, action=action, **act(user), **extra)


def run_jobs(cast, country=None):
    country = country or cast.fr
    with country_context(country):
        jobs = list(ProvisioningJob.objects.values_list("pk", flat=True))
    return [provisioning.provisioning_run(country_id=country.pk, job_id=pk) for pk in jobs]


def events(country):
    with country_context(country):
        return list(CountryEvent.objects.order_by("sequence").values_list("action", "payload"))


def test_the_happy_path_from_draft_to_active(cast, ready):
    item = draft(cast, ready)
    assert item.state == S.DRAFT
    item = move(item, "submit", cast.member)
    assert (item.state, item.risk_category, item.review_round) == (S.SUBMITTED, "minimal", 1)
    item = move(item, "start_review", cast.partner)
    assert item.state == S.IN_REVIEW
    item = move(
        item,
        "approve",
        cast.partner,
        quota_tokens=150_000,
        expires_on=date.today() + timedelta(days=90),
        human_review_required=True,
    )
    assert item.state == S.APPROVED
    from tenants.record.events import describe_events

    with country_context(cast.fr):
        approval = CountryEvent.objects.get(action="deployment.approve")
        # Which approval it was, of how many the request's risk needs.
        assert (approval.payload["approvals"], approval.payload["approvals_needed"]) == (1, 1)
        with translation.override("en"):
            assert describe_events([approval], cast.fr)[0].detail.startswith("Approval 1 of 1; from ")
    with country_context(cast.fr):
        job = ProvisioningJob.objects.get()
        pending = OutboxMessage.objects.filter(published_at__isnull=True)
        assert [(m.task, m.kwargs) for m in pending] == [
            ("deployments.provisioning_run", {"country_id": cast.fr.pk, "job_id": job.pk})
        ]
    assert run_jobs(cast) == ["done"]
    with country_context(cast.fr):
        item.refresh_from_db()
        environment = Environment.objects.get(request=item)
        assert item.state == S.ACTIVE
        # The conditions of approval are carried into the environment.
        assert (environment.monthly_token_quota, environment.human_review_required) == (150_000, True)
        assert environment.expires_on == date.today() + timedelta(days=90)
        assert Credential.objects.filter(environment=environment, revoked_at__isnull=True).count() == 1
    actions = [a for a, _ in events(cast.fr)]
    for expected in [
        "deployment.drafted",
        "deployment.submit",
        "deployment.start_review",
        "deployment.approve",
        "deployment.provisioning_start",
        "credential.issued",
        "deployment.provisioning_done",
    ]:
        assert expected in actions


def test_running_a_job_again_makes_nothing_twice(cast, ready):
    item = move(move(draft(cast, ready), "submit", cast.member), "approve", cast.partner)
    assert run_jobs(cast) == ["done"]
    assert run_jobs(cast) == ["done"]
    with country_context(cast.fr):
        job = ProvisioningJob.objects.get()
        # Undo the record of the last two steps, as if a worker died before committing them.
        for step in job.steps[2:]:
            step["done_at"] = None
        job.state = "running"
        job.save()
    assert run_jobs(cast) == ["done"]
    with country_context(cast.fr):
        assert Environment.objects.filter(request=item).count() == 1
        assert Credential.objects.count() == 1


def test_the_secret_is_shown_once_and_stored_hashed(cast, ready):
    item = move(move(draft(cast, ready), "submit", cast.member), "approve", cast.partner)
    run_jobs(cast)
    with country_context(cast.fr):
        environment = Environment.objects.get(request=item)
        credential = Credential.objects.get()
    assert environments.credential_reveal(environment=environment, user=cast.owner) is None  # not for them
    shown = environments.credential_reveal(environment=environment, user=cast.member)
    assert shown is not None
    _, secret = shown
    assert credential.key_hash == provisioning.secret_hash(secret) and secret not in credential.key_hash
    assert environments.credential_reveal(environment=environment, user=cast.member) is None
    with country_context(cast.fr):
        assert not CredentialReveal.objects.exists()
    assert all(secret not in str(payload) for _, payload in events(cast.fr))


def test_rotation_revokes_the_old_key_and_shows_the_new_once(cast, ready):
    item = move(move(draft(cast, ready), "submit", cast.member), "approve", cast.partner)
    run_jobs(cast)
    with country_context(cast.fr):
        environment = Environment.objects.get(request=item)
    with pytest.raises(services.ServiceError, match="Say why"):
        environments.credential_rotate(environment=environment, reason="", **act(cast.owner))
    with country_context(cast.fr):
        assert Credential.objects.count() == 1  # refused without a reason: nothing revoked
    environments.credential_rotate(environment=environment, reason="The key was pasted in a ticket.", **act(cast.owner))
    with country_context(cast.fr):
        assert Credential.objects.filter(revoked_at__isnull=True).count() == 1
        assert Credential.objects.count() == 2
    assert environments.credential_reveal(environment=environment, user=cast.owner) is not None
    with pytest.raises(services.NotAllowed):
        environments.credential_rotate(environment=environment, reason="Because.", **act(cast.viewer))


def test_usage_alerts_at_80_and_100_percent_once_each(cast, ready):
    item = move(move(draft(cast, ready), "submit", cast.member), "approve", cast.partner, quota_tokens=1000)
    run_jobs(cast)
    with country_context(cast.fr):
        environment = Environment.objects.get(request=item)
    environments.usage_report(environment=environment, tokens=500, **act(cast.member))
    environments.usage_report(environment=environment, tokens=300, **act(cast.member))
    environments.usage_report(environment=environment, tokens=10, **act(cast.member))
    environment = environments.usage_report(environment=environment, tokens=300, **act(cast.member))
    assert (environment.tokens_used, environment.alert_level) == (1110, 100)
    alerts = [p["level"] for a, p in events(cast.fr) if a == "environment.quota_alert"]
    assert alerts == [80, 100]
    with pytest.raises(services.ServiceError) as error:
        environments.usage_report(environment=environment, tokens=0, **act(cast.member))
    assert error.value.field == "tokens"


def test_a_usage_alert_reads_in_its_readers_language_of_the_moment(cast, ready):
    item = move(move(draft(cast, ready), "submit", cast.member), "approve", cast.partner, quota_tokens=1000)
    run_jobs(cast)
    with country_context(cast.fr):
        environment = Environment.objects.get(request=item)
    environments.usage_report(environment=environment, tokens=850, **act(cast.member))
    with country_context(cast.fr):
        [alert] = Notification.objects.filter(url__endswith=f"/environments/{environment.pk}/")
    with translation.override("en"):
        assert alert.shown_subject == f"{environment.name} has used 80% of its monthly quota"
    with translation.override("fr"):
        assert alert.shown_subject == f"{environment.name} a utilisé 80 % de son quota mensuel"
        assert "partenariat" in alert.shown_body
    with translation.override("sw"):
        assert alert.shown_subject == f"{environment.name} imetumia 80% ya kiwango chake cha mwezi"


# --- Gates ---------------------------------------------------------------------------------------


def failing_gates(error) -> str:
    return str(error.value).split(".")[0]


def test_every_gate_passes_for_a_ready_country(cast, ready):
    from deployments.gates import gates_check

    item = draft(cast, ready)
    assert [(g.name, g.ok) for g in gates_check(country=cast.fr, request=item)] == [
        ("engagement", True),
        ("assessment", True),
        ("policies", True),
        ("training", True),
    ]


def test_engagement_gate_names_itself_when_terms_do_not_cover_the_use(cast, ready):
    item = draft(cast, ready, sector="health")
    with pytest.raises(services.ServiceError) as error:
        move(item, "submit", cast.member)
    assert (
        failing_gates(error)
        == "The request cannot be submitted until every check passes (to do: Engagement and its terms)"
    )
    assert "sector health" in str(error.value)
    with country_context(cast.fr):
        assert DeploymentRequest.objects.get(pk=item.pk).state == S.DRAFT


def test_engagement_gate_fails_without_an_active_engagement(cast, ready):
    item = draft(cast, ready)
    with country_context(cast.fr):
        Engagement.objects.update(state="suspended")
    with pytest.raises(services.ServiceError, match=r"to do: Engagement and its terms\)\. .*no active engagement"):
        move(item, "submit", cast.member)


def test_assessment_gate_names_itself(cast, ready):
    item = draft(cast, ready, assessment_id=None)
    with pytest.raises(services.ServiceError) as error:
        move(item, "submit", cast.member)
    assert failing_gates(error) == "The request cannot be submitted until every check passes (to do: Impact assessment)"
    with country_context(cast.fr):
        ImpactAssessment.objects.filter(pk=ready.assessment.pk).update(category="prohibited")
    item = draft(cast, ready)
    with pytest.raises(services.ServiceError, match=r"to do: Impact assessment\)\. .*prohibited"):
        move(item, "submit", cast.member)


def test_policies_gate_names_itself(cast, ready):
    # The country admin may request for the agency, whose viewer has not acknowledged.
    item = draft(cast, ready, by=cast.owner, organisation=cast.fr_agency)
    with pytest.raises(services.ServiceError) as error:
        move(item, "submit", cast.owner)
    assert (
        failing_gates(error)
        == "The request cannot be submitted until every check passes (to do: Policy acknowledgements)"
    )


def test_training_gate_names_itself(cast, ready):
    from training.models import PlatformRequirement, Programme

    programme = Programme.objects.create(title="AI for officers", slug="ai-officers", summary="Basics.")
    PlatformRequirement.objects.create(programme=programme, role="officer")
    item = draft(cast, ready)
    with pytest.raises(services.ServiceError) as error:
        move(item, "submit", cast.member)
    assert failing_gates(error) == "The request cannot be submitted until every check passes (to do: Required training)"
    assert "requester" in str(error.value) and "AI for officers" in str(error.value)
    # What to do is said in the reader's language, the programme named as written.
    with translation.override("fr"):
        (training,) = [gate for gate in gates.gates_check(country=cast.fr, request=item) if gate.name == "training"]
    assert "Suivez AI for officers (ou renouvelez un certificat expiré)" in training.reason


def test_gates_are_checked_again_before_provisioning(cast, ready):
    item = move(move(draft(cast, ready), "submit", cast.member), "approve", cast.partner)
    with country_context(cast.fr):
        Engagement.objects.update(state="suspended")
    assert run_jobs(cast) == ["failed"]
    with country_context(cast.fr):
        job = ProvisioningJob.objects.get()
        assert "engagement" in job.error
        assert not Environment.objects.exists()
        assert DeploymentRequest.objects.get(pk=item.pk).state == S.APPROVED


def inbox(country, user) -> list[tuple[str, str]]:
    with country_context(country):
        return list(Notification.objects.filter(user=user).order_by("pk").values_list("subject", "url"))


def test_the_requester_hears_when_provisioning_ends_either_way(cast, ready):
    """Active: the requester is told the environment answers calls. Stopped: the requester and the
    partner managers are told, and the request's progress says why in the reader's language."""
    item = move(move(draft(cast, ready), "submit", cast.member), "approve", cast.partner)
    assert run_jobs(cast) == ["done"]
    url = f"/c/fr/deployments/{item.pk}/"
    assert ("France: your deployment request was made active", url) in inbox(cast.fr, cast.member)

    with country_context(cast.fr):
        ProvisioningJob.objects.all().delete()
        Notification.objects.all().delete()
    second = move(move(draft(cast, ready), "submit", cast.member), "approve", cast.partner)
    with country_context(cast.fr):
        Engagement.objects.update(state="suspended")
    assert run_jobs(cast) == ["failed"]
    stopped = ("France: provisioning of a deployment stopped", f"/c/fr/deployments/{second.pk}/")
    assert inbox(cast.fr, cast.member)[-1] == stopped and stopped in inbox(cast.fr, cast.partner)
    with country_context(cast.fr):
        job = ProvisioningJob.objects.get(request=second)
    assert "a gate was no longer met" in job_failure(job)
    with translation.override("fr"):
        assert "Arrêté avant le provisionnement" in job_failure(job)


# --- Approval rules and transitions ---------------------------------------------------------------


def test_high_risk_needs_two_distinct_approvers(cast, ready, django_user_model):
    from django.contrib.auth.models import Group
    from guardian.shortcuts import assign_perm

    second = django_user_model.objects.create(username="second-partner")
    second.groups.add(Group.objects.get(name="Partner managers"))
    assign_perm("tenants.manage_partnership", second, cast.fr)
    item = move(draft(cast, ready, assessment_id=ready.high_assessment.pk), "submit", cast.member)
    assert item.risk_category == "high_risk"
    item = move(item, "approve", cast.partner)
    assert item.state == S.IN_REVIEW
    with pytest.raises(services.ServiceError, match="another partner manager"):
        move(item, "approve", cast.partner)
    with country_context(cast.fr):
        assert not ProvisioningJob.objects.exists()
    item = move(item, "approve", second)
    assert item.state == S.APPROVED


def test_an_approval_event_says_what_was_approved(cast, ready):
    """The record alone tells an auditor offline what an approval covers: model, capabilities,
    region, classification, quota, rate limit, expiry and human review, for the submission it was on."""
    item = move(draft(cast, ready), "submit", cast.member)
    expiry = date.today() + timedelta(days=200)
    move(
        item,
        "approve",
        cast.partner,
        quota_tokens=150_000,
        expires_on=expiry,
        human_review_required=True,
        requests_per_minute=90,
    )
    action, payload = events(cast.fr)[-1]
    assert action == "deployment.approve"
    assert payload["review_round"] == 1
    assert payload["conditions"] == {
        "model": ready.model.slug,
        "capabilities": ["text"],
        "region": "eu-west",
        "data_classification": "internal",
        "sector": "public_services",
        "risk_category": item.risk_category,
        "monthly_quota": 150_000,
        "requests_per_minute": 90,
        "expires_on": expiry.isoformat(),
        "human_review_required": True,
    }
    with country_context(cast.fr):
        kept = DeploymentRequest.objects.get(pk=item.pk)
    assert (kept.quota_tokens, kept.expires_on, kept.human_review_required, kept.requests_per_minute) == (
        150_000,
        expiry,
        True,
        90,
    )


def test_the_requester_never_approves(cast, ready):
    from guardian.shortcuts import assign_perm

    assign_perm("tenants.manage_partnership", cast.member, cast.ke)  # a partner elsewhere does not count
    item = move(draft(cast, ready), "submit", cast.member)
    with pytest.raises(services.NotAllowed):
        move(item, "approve", cast.member)
    with pytest.raises(services.NotAllowed):
        move(item, "approve", cast.owner)  # a country admin is not a reviewer
    with pytest.raises(services.NotAllowed):
        move(item, "approve", cast.outsider)


@pytest.mark.parametrize("action", ["reject", "request_changes"])
def test_refusals_need_a_comment_and_record_the_decision(cast, ready, action):
    item = move(draft(cast, ready), "submit", cast.member)
    with pytest.raises(services.ServiceError) as error:
        move(item, action, cast.partner)
    assert error.value.field == "comment"
    item = move(item, action, cast.partner, comment="Narrow the purpose.")
    assert item.state == {"reject": S.REJECTED, "request_changes": S.CHANGES_REQUESTED}[action]
    # The reason is on the record: kept sealed, named by the event, read beside it.
    from tenants.record.events import describe_events

    with country_context(cast.fr):
        event = CountryEvent.objects.filter(action=f"deployment.{action}").get()
        assert isinstance(event.payload["reason"], int) and "Narrow" not in str(event.payload)
        assert describe_events([event], cast.fr)[0].reason == "Narrow the purpose."


def test_changes_requested_can_be_edited_and_resubmitted(cast, ready):
    item = move(move(draft(cast, ready), "submit", cast.member), "request_changes", cast.partner, comment="Why?")
    item = services.deployment_request_update(
        request=item, **act(cast.member), **fields(cast, ready, purpose="Clearer purpose.")
    )
    item = move(item, "submit", cast.member)
    assert (item.state, item.review_round) == (S.SUBMITTED, 2)
    with pytest.raises(services.ServiceError, match="can no longer be changed"):
        services.deployment_request_update(request=item, **act(cast.member), **fields(cast, ready))


def test_suspend_reinstate_and_decommission(cast, ready):
    item = move(move(draft(cast, ready), "submit", cast.member), "approve", cast.partner)
    run_jobs(cast)
    with pytest.raises(services.ServiceError, match="Say why"):
        move(item, "suspend", cast.partner)
    item = move(item, "suspend", cast.owner, comment="Incident under review")
    with country_context(cast.fr):
        assert Environment.objects.get().state == "suspended"
    with pytest.raises(services.NotAllowed):
        move(item, "reinstate", cast.owner)
    item = move(item, "reinstate", cast.partner)
    item = move(item, "decommission", cast.owner, comment="No longer needed.")
    assert item.state == S.DECOMMISSIONED
    assert sorted(run_jobs(cast)) == ["done", "done"]
    with country_context(cast.fr):
        assert Environment.objects.get().state == "decommissioned"
        assert not Credential.objects.filter(revoked_at__isnull=True).exists()
        # The secret nobody came to see is not kept for a credential that no longer opens anything.
        assert not CredentialReveal.objects.exists()


@pytest.mark.parametrize(
    "state,action",
    [
        ("draft", "approve"),
        ("draft", "start_review"),
        ("submitted", "submit"),
        ("approved", "reject"),
        ("active", "approve"),
        ("rejected", "submit"),
        ("decommissioned", "reinstate"),
        ("provisioning", "suspend"),
    ],
)
def test_moves_outside_the_table_are_refused(cast, ready, state, action):
    item = draft(cast, ready)
    with country_context(cast.fr):
        DeploymentRequest.objects.filter(pk=item.pk).update(state=state)
    user = cast.member if action == "submit" else cast.partner
    with pytest.raises(services.ServiceError, match="cannot be moved"):
        move(item, action, user)
    with country_context(cast.fr):
        assert DeploymentRequest.objects.get(pk=item.pk).state == state


def test_system_moves_are_not_for_people(cast, ready):
    item = move(move(draft(cast, ready), "submit", cast.member), "approve", cast.partner)
    with pytest.raises(services.NotAllowed):
        move(item, "provisioning_start", cast.partner)


# --- Drafting --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change,field",
    [
        ({"capabilities": ["speech"]}, "capabilities"),
        ({"region": "sa-east"}, "region"),
        ({"title": " "}, "title"),
        ({"expected_monthly_tokens": 0}, "expected_monthly_tokens"),
        ({"sector": "nope"}, "sector"),
    ],
)
def test_drafts_are_checked_field_by_field(cast, ready, change, field):
    with pytest.raises(services.ServiceError) as error:
        draft(cast, ready, **change)
    assert error.value.field == field
    with country_context(cast.fr):
        assert not DeploymentRequest.objects.exists()


def test_another_countrys_organisation_owner_or_assessment_is_refused(cast, ready):
    with pytest.raises(services.ServiceError) as error:
        draft(cast, ready, organisation=cast.ke_ministry)
    assert error.value.field == "organisation"
    with pytest.raises(services.ServiceError) as error:
        draft(cast, ready, owner=cast.outsider)
    assert error.value.field == "owner"
    with pytest.raises(services.NotAllowed):
        draft(cast, ready, by=cast.viewer)
    with pytest.raises(services.NotAllowed):
        services.deployment_request_create(country=cast.fr, **act(cast.outsider), **fields(cast, ready))


def test_a_retired_model_cannot_be_requested(cast, ready):
    retired = make_model("old-model", status="retired")
    with pytest.raises(services.ServiceError, match="retired"):
        draft(cast, ready, model=retired)
