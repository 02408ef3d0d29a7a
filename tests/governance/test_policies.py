"""Policies: adoption, versions and re-acknowledgement, expiry, sharing as read-only copies, the
diff, the selector other apps use, the onboarding step, and reminders."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from governance import reminders, selectors, services
from governance.models import Acknowledgement, CountryPolicy, PolicyTemplate, PolicyVersion, SharedPolicy
from governance.onboarding import policies_status
from governance.views import diff_rows
from tenants.errors import NotAllowed, ServiceError
from tenants.isolation import country_context
from tests.conftest import deliver_mail

from .helpers import act, actions, published_policy

pytestmark = pytest.mark.django_db


def test_six_templates_and_seven_frameworks_are_loaded():
    from governance.models import Framework, Requirement

    assert PolicyTemplate.objects.count() == 6
    assert sorted(Framework.objects.values_list("slug", flat=True)) == [
        "eu-ai-act",
        "gdpr",
        "iso-42001",
        "nist-ai-rmf",
        "oecd-ai-principles",
        "sg-genai-governance",
        "unesco-ai-ethics",
    ]
    for framework in Framework.objects.all():
        assert 9 <= Requirement.objects.filter(framework=framework, assessable=True).count() <= 25


def test_adopting_a_template_gives_a_draft_version_one(cast):
    template = PolicyTemplate.objects.get(slug="human-oversight")
    policy = services.policy_adopt(country=cast.fr, template=template, **act(cast.owner))
    with country_context(cast.fr):
        version = policy.versions.get()
    assert (version.number, version.status, version.text, version.roles) == (
        1,
        "draft",
        template.text,
        ["country_admin", "officer"],
    )
    assert actions(cast.fr)[-1] == "policy.adopted"


def test_adopting_and_publishing_record_which_text_is_in_force(cast):
    import hashlib

    from tenants.record.models import CountryEvent

    policy, version = published_policy(cast)
    digest = hashlib.sha256(version.text.encode()).hexdigest()
    with country_context(cast.fr):
        adopted = CountryEvent.objects.get(action="policy.adopted").payload
        published = CountryEvent.objects.get(action="policy.version_published").payload
    assert adopted == {
        "template": "generative-ai-acceptable-use",
        "shared_policy": 0,
        "number": 1,
        "language": version.language,
        "roles": list(version.roles),
        "text_sha256": digest,
    }
    assert {k: published[k] for k in ("policy", "number", "language", "roles", "text_sha256")} == {
        "policy": policy.pk,
        "number": 1,
        "language": version.language,
        "roles": list(version.roles),
        "text_sha256": digest,
    }


def test_only_country_admins_adopt(cast):
    template = PolicyTemplate.objects.first()
    for user in (cast.member, cast.viewer, cast.outsider):
        with pytest.raises(NotAllowed):
            services.policy_adopt(country=cast.fr, template=template, **act(user))
    with country_context(cast.fr):
        assert not CountryPolicy.objects.exists()


def test_a_new_version_requires_acknowledging_again(cast):
    policy, v1 = published_policy(cast)
    assert {v.pk for v in selectors.my_pending_versions(country=cast.fr, user=cast.member, role="officer")} == {v1.pk}
    services.acknowledgement_create(version=v1, **act(cast.member))
    assert selectors.my_pending_versions(country=cast.fr, user=cast.member, role="officer") == []
    assert selectors.acknowledgements_current(organisation=cast.fr_ministry).ok is False  # owner has not

    services.acknowledgement_create(version=v1, **act(cast.owner))
    assert selectors.acknowledgements_current(organisation=cast.fr_ministry).ok is True

    v2 = services.policy_version_create(
        policy=policy,
        text=v1.text + "\n\nA new rule.",
        language="fr",
        roles=["country_admin", "officer"],
        **act(cast.owner),
    )
    # A draft asks nothing of anyone yet.
    assert selectors.acknowledgements_current(organisation=cast.fr_ministry).ok is True
    services.policy_version_publish(version=v2, reason="Reviewed and ready.", **act(cast.owner))
    gate = selectors.acknowledgements_current(organisation=cast.fr_ministry)
    assert (gate.ok, gate.missing) == (False, 2)
    assert "2 policy acknowledgements are missing or expired in Ministère du Numérique" in gate.reason
    assert [v.number for v in selectors.my_pending_versions(country=cast.fr, user=cast.member, role="officer")] == [2]
    assert actions(cast.fr)[-2:] == ["policy.version_drafted", "policy.version_published"]


def test_roles_decide_who_must_acknowledge(cast):
    # Human oversight binds admins and officers, not viewers: the agency (one viewer) owes nothing.
    _, version = published_policy(cast, slug="human-oversight")
    assert selectors.acknowledgements_current(organisation=cast.fr_agency).ok is True
    assert selectors.my_pending_versions(country=cast.fr, user=cast.viewer, role="viewer") == []


def test_acknowledgements_expire(cast, settings):
    settings.POLICY_ACK_VALIDITY_DAYS = 30
    _, version = published_policy(cast, slug="human-oversight")
    ack = services.acknowledgement_create(version=version, **act(cast.member))
    services.acknowledgement_create(version=version, **act(cast.owner))
    assert ack.expires_at - ack.at == timedelta(days=30)
    assert selectors.acknowledgements_current(organisation=cast.fr_ministry).ok
    with country_context(cast.fr):
        Acknowledgement.objects.filter(pk=ack.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    gate = selectors.acknowledgements_current(organisation=cast.fr_ministry)
    assert (gate.ok, gate.missing) == (False, 1)


def test_no_published_policy_means_not_current(cast):
    gate = selectors.acknowledgements_current(organisation=cast.fr_ministry)
    assert not gate.ok and "no published policy" in gate.reason


def test_refused_versions_change_nothing(cast):
    policy, v1 = published_policy(cast)
    for kwargs, field in [
        ({"text": " ", "language": "fr", "roles": ["officer"]}, "text"),
        ({"text": "x", "language": "f r!", "roles": ["officer"]}, "language"),
        ({"text": "x", "language": "fr", "roles": []}, "roles"),
        ({"text": "x", "language": "fr", "roles": ["king"]}, "roles"),
    ]:
        with pytest.raises(ServiceError) as caught:
            services.policy_version_create(policy=policy, **kwargs, **act(cast.owner))
        assert caught.value.field == field
    with pytest.raises(NotAllowed):
        services.policy_version_create(policy=policy, text="x", language="fr", roles=["officer"], **act(cast.member))
    with country_context(cast.fr):
        assert PolicyVersion.objects.filter(policy=policy).count() == 1


def test_sharing_gives_other_countries_a_copy_that_later_edits_do_not_change(cast):
    policy, v1 = published_policy(cast)
    services.policy_share(policy=policy, reason="Useful to other countries.", **act(cast.owner))
    shared = SharedPolicy.objects.get()
    assert (shared.source_country_code, shared.source_country_name, shared.version_number, shared.text) == (
        "FR",
        "France",
        1,
        v1.text,
    )
    # Kenya sees the library entry, not France's rows.
    assert list(selectors.shared_policy_list(exclude_country=cast.ke)) == [shared]
    assert list(selectors.shared_policy_list(exclude_country=cast.fr)) == []
    copy = services.policy_adopt(country=cast.ke, shared=shared, **act(cast.outsider))
    assert copy.read_only
    with country_context(cast.ke):
        copied_text = copy.versions.get().text
    assert copied_text == v1.text

    # France writes version 2: the library moves on, Kenya's copy does not.
    v2 = services.policy_version_create(
        policy=policy, text="Entirely new text.", language="fr", roles=["officer"], **act(cast.owner)
    )
    services.policy_version_publish(version=v2, reason="Reviewed and ready.", **act(cast.owner))
    shared.refresh_from_db()
    assert (shared.version_number, shared.text) == (2, "Entirely new text.")
    with country_context(cast.ke):
        assert list(PolicyVersion.objects.filter(policy=copy).values_list("number", "text")) == [(1, v1.text)]
    # The copy is read-only and cannot be shared on.
    with pytest.raises(ServiceError):
        services.policy_version_create(
            policy=copy, text="changed", language="en", roles=["officer"], **act(cast.outsider)
        )
    with pytest.raises(ServiceError):
        services.policy_share(policy=copy, reason="Useful to other countries.", **act(cast.outsider))
    # Withdrawing removes it from the library; Kenya keeps its copy.
    services.policy_share(policy=policy, share=False, **act(cast.owner))
    assert list(selectors.shared_policy_list(exclude_country=cast.ke)) == []
    with country_context(cast.ke):
        assert CountryPolicy.objects.filter(pk=copy.pk).exists()


def test_a_country_cannot_adopt_its_own_shared_policy_or_share_unpublished(cast):
    policy = services.policy_adopt(country=cast.fr, template=PolicyTemplate.objects.first(), **act(cast.owner))
    with pytest.raises(ServiceError, match="Publish a version"):
        services.policy_share(policy=policy, reason="Useful to other countries.", **act(cast.owner))
    policy, _ = published_policy(cast, slug="bias-and-fairness")
    services.policy_share(policy=policy, reason="Useful to other countries.", **act(cast.owner))
    with pytest.raises(ServiceError):
        services.policy_adopt(country=cast.fr, shared=SharedPolicy.objects.get(), **act(cast.owner))


def test_diff_rows_say_what_changed():
    rows = diff_rows("a\nb\nc", "a\nB\nc\nd")
    assert [(r["change"], r["old"], r["new"]) for r in rows] == [
        ("unchanged", "a", "a"),
        ("changed", "b", "B"),
        ("unchanged", "c", "c"),
        ("added", "", "d"),
    ]
    assert [r["change"] for r in diff_rows("a\nb", "a")] == ["unchanged", "removed"]


def test_onboarding_step_before_publication(cast):
    services.policy_adopt(country=cast.fr, template=PolicyTemplate.objects.first(), **act(cast.owner))
    with country_context(cast.fr):
        assert policies_status(cast.fr).state == "in_progress"


def test_onboarding_step(cast):
    with country_context(cast.fr):
        assert policies_status(cast.fr).state == "not_started"
    _, version = published_policy(cast)  # binds owner, member and viewer: 3 acknowledgements
    with country_context(cast.fr):
        assert policies_status(cast.fr).state == "in_progress"
    services.acknowledgement_create(version=version, **act(cast.owner))
    services.acknowledgement_create(version=version, **act(cast.member))
    with country_context(cast.fr):
        assert policies_status(cast.fr).state == "in_progress"  # 2 of 3 is under 80%
    services.acknowledgement_create(version=version, **act(cast.viewer))
    with country_context(cast.fr):
        status = policies_status(cast.fr)
    assert (status.state, status.detail) == ("done", "3 of 3 acknowledgements are current.")


def test_reminders_before_expiry_are_sent_once(cast):
    _, version = published_policy(cast)
    ack = services.acknowledgement_create(version=version, **act(cast.member))
    services.acknowledgement_create(version=version, **act(cast.owner))
    with country_context(cast.fr):
        Acknowledgement.objects.filter(pk=ack.pk).update(expires_at=timezone.now() + timedelta(days=3))
    assert reminders.acknowledgement_reminders_send(country_id=cast.fr.pk) == 1
    assert deliver_mail() == 1
    assert [m.to for m in mail.outbox] == [["member@example.org"]]
    assert reminders.acknowledgement_reminders_send(country_id=cast.fr.pk) == 0
    assert actions(cast.fr)[-1] == "policy.reminders_sent"


def test_no_reminder_for_a_renewed_or_replaced_acknowledgement(cast):
    policy, version = published_policy(cast)
    old = services.acknowledgement_create(version=version, **act(cast.member))
    services.acknowledgement_create(version=version, **act(cast.member))  # renewed
    stale = services.acknowledgement_create(version=version, **act(cast.owner))
    v2 = services.policy_version_create(
        policy=policy, text="v2", language="fr", roles=["country_admin"], **act(cast.owner)
    )
    services.policy_version_publish(
        version=v2, reason="Reviewed and ready.", **act(cast.owner)
    )  # the owner's ack is of a replaced version
    with country_context(cast.fr):
        Acknowledgement.objects.filter(pk__in=[old.pk, stale.pk]).update(expires_at=timezone.now() + timedelta(days=2))
    assert reminders.acknowledgement_reminders_send(country_id=cast.fr.pk) == 0
    assert deliver_mail() == 0 and mail.outbox == []
