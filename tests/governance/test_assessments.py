"""Impact assessments: drafts save and resume, completion scores and freezes them (service and
model both refuse changes), supersession, the selector deployments will ask, the onboarding step."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from governance import selectors, services
from governance.models import ImpactAssessment
from governance.onboarding import assessment_status
from tenants.errors import NotAllowed, ServiceError
from tenants.isolation import country_context

from .helpers import HIGH, LOW, act, actions, completed_assessment

pytestmark = pytest.mark.django_db


def test_a_draft_saves_and_resumes_then_completes(cast):
    draft = services.assessment_create(country=cast.fr, title="Benefit eligibility triage", **act(cast.member))
    services.assessment_save_answers(assessment=draft, answers={"purpose": "essential_services"}, **act(cast.member))
    with pytest.raises(ServiceError) as caught:
        services.assessment_complete(assessment=draft, **act(cast.member))
    assert caught.value.field == "people" and "Answer the question" in caught.value.message
    with country_context(cast.fr):
        draft.refresh_from_db()
    assert (draft.status, draft.answers) == ("draft", {"purpose": "essential_services"})
    services.assessment_save_answers(
        assessment=draft, answers={k: v for k, v in HIGH.items() if k != "purpose"}, **act(cast.member)
    )
    done = services.assessment_complete(assessment=draft, **act(cast.member))
    assert (done.status, done.impact_level, done.category, done.raw_score, done.mitigation_score) == (
        "completed",
        3,
        "high_risk",
        8,
        1,
    )
    assert done.obligations == ["human_review", "logging", "transparency_notice", "bias_evaluation", "registration"]
    assert actions(cast.fr)[-2:] == ["assessment.started", "assessment.completed"]


def test_bad_answers_are_refused_and_change_nothing(cast):
    draft = services.assessment_create(
        country=cast.fr, title="Chat", answers={"purpose": "public_information"}, **act(cast.member)
    )
    for answers in (
        {"purpose": "world_domination"},
        {"unknown": "x"},
        {"mitigations": ["prayer"]},
        ["not", "a", "dict"],
    ):
        with pytest.raises(ServiceError):
            services.assessment_save_answers(assessment=draft, answers=answers, **act(cast.member))
    with country_context(cast.fr):
        draft.refresh_from_db()
    assert draft.answers == {"purpose": "public_information"}
    with pytest.raises(ServiceError) as caught:
        services.assessment_create(country=cast.fr, title=" ", **act(cast.member))
    assert caught.value.field == "title"


def test_viewers_and_other_countries_cannot_assess(cast):
    for user in (cast.viewer, cast.outsider):
        with pytest.raises(NotAllowed):
            services.assessment_create(country=cast.fr, title="x", **act(user))


def test_a_completed_assessment_is_immutable(cast):
    done = completed_assessment(cast)
    with pytest.raises(ServiceError, match="cannot be changed"):
        services.assessment_save_answers(assessment=done, answers={"purpose": "employment"}, **act(cast.member))
    with pytest.raises(ServiceError, match="cannot be changed"):
        services.assessment_complete(assessment=done, **act(cast.member))
    # The model refuses too, whoever writes.
    with country_context(cast.fr):
        row = ImpactAssessment.objects.get(pk=done.pk)
        row.impact_level = 4
        row.category = "high_risk"
        with pytest.raises(ValidationError):
            row.save()
        row = ImpactAssessment.objects.get(pk=done.pk)
        row.status = "draft"
        with pytest.raises(ValidationError):
            row.save()
        stored = ImpactAssessment.objects.get(pk=done.pk)
        assert (stored.status, stored.category, stored.impact_level) == ("completed", "minimal", 1)


def test_superseding(cast):
    first = completed_assessment(cast)
    second = services.assessment_create(
        country=cast.fr, title="Tax form assistant v2", answers=HIGH, supersedes=first, **act(cast.member)
    )
    summary = selectors.assessment_for_use(country=cast.fr, assessment_id=first.pk)
    assert summary.ok  # still valid until the new one is completed
    services.assessment_complete(assessment=second, **act(cast.member))
    with country_context(cast.fr):
        first.refresh_from_db()
    assert first.status == "superseded"
    summary = selectors.assessment_for_use(country=cast.fr, assessment_id=first.pk)
    assert not summary.ok and "superseded" in summary.reason
    # A draft cannot be superseded, nor another country's assessment.
    draft = services.assessment_create(country=cast.fr, title="draft", **act(cast.member))
    with pytest.raises(ServiceError):
        services.assessment_create(country=cast.fr, title="x", supersedes=draft, **act(cast.member))
    kenyan = completed_assessment(cast, user=cast.outsider, country=cast.ke)
    with pytest.raises(ServiceError):
        services.assessment_create(country=cast.fr, title="x", supersedes=kenyan, **act(cast.member))


def test_assessment_for_use(cast):
    done = completed_assessment(cast, answers=HIGH)
    summary = selectors.assessment_for_use(country=cast.fr, assessment_id=done.pk)
    assert (summary.ok, summary.completed, summary.category, summary.impact_level, summary.prohibited) == (
        True,
        True,
        "high_risk",
        3,
        False,
    )
    assert "registration" in summary.obligations
    draft = services.assessment_create(country=cast.fr, title="draft", **act(cast.member))
    summary = selectors.assessment_for_use(country=cast.fr, assessment_id=draft.pk)
    assert not summary.ok and "complete it first" in summary.reason
    banned = completed_assessment(cast, answers={**LOW, "purpose": "social_scoring"}, title="Citizen score")
    summary = selectors.assessment_for_use(country=cast.fr, assessment_id=banned.pk)
    assert (summary.ok, summary.prohibited, summary.category) == (False, True, "prohibited")
    assert "cannot be deployed" in summary.reason
    # Another country's id, or no such id: None.
    kenyan = completed_assessment(cast, user=cast.outsider, country=cast.ke)
    assert selectors.assessment_for_use(country=cast.fr, assessment_id=kenyan.pk) is None
    assert selectors.assessment_for_use(country=cast.fr, assessment_id=10**12) is None


def test_onboarding_step(cast):
    with country_context(cast.fr):
        assert assessment_status(cast.fr).state == "not_started"
    draft = services.assessment_create(country=cast.fr, title="draft", **act(cast.member))
    with country_context(cast.fr):
        assert assessment_status(cast.fr).state == "in_progress"
    services.assessment_save_answers(assessment=draft, answers=LOW, **act(cast.member))
    services.assessment_complete(assessment=draft, **act(cast.member))
    with country_context(cast.fr):
        assert assessment_status(cast.fr).state == "done"
    with country_context(cast.ke):
        assert assessment_status(cast.ke).state == "not_started"
