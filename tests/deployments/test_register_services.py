"""The register's rules: who may draft, publish and withdraw; versions and their history; what is
captured at publication; no person's name unless they chose it; bad input refused with nothing
changed; every publication and withdrawal on the country's chain."""

from __future__ import annotations

import pytest

from deployments import services as deployment_services
from deployments.register import services as register
from deployments.register.models import RegisterEntry, RegisterVersion
from tenants.errors import NotAllowed, ServiceError
from tenants.isolation import country_context
from tenants.record.models import CountryEvent
from tests.deployments.conftest import act, draft
from tests.deployments.register_helpers import TEXTS, published, running

pytestmark = pytest.mark.django_db


def state(cast) -> tuple:
    with country_context(cast.fr):
        return (
            sorted(RegisterEntry.objects.values_list("state", "public_name", "named_contact_id", "withdrawal_reason")),
            sorted(RegisterVersion.objects.values_list("number", "status", "name", "published_at")),
            CountryEvent.objects.count(),
        )


def register_events(cast) -> list[tuple[str, dict]]:
    with country_context(cast.fr):
        return list(
            CountryEvent.objects.filter(action__startswith="register.")
            .order_by("sequence")
            .values_list("action", "payload")
        )


# --- Who may do what -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "who, allowed",
    [("member", True), ("owner", True), ("viewer", False), ("partner", False), ("auditor", False), ("outsider", False)],
)
def test_officers_and_country_admins_draft_and_nobody_else(cast, ready, who, allowed):
    deployment = running(cast, ready)
    before = state(cast)
    if allowed:
        entry = register.register_entry_create(request=deployment, **act(getattr(cast, who)), **TEXTS)
        assert entry.state == "draft"
        assert register_events(cast)[-1][0] == "register.drafted"
    else:
        with pytest.raises(NotAllowed):
            register.register_entry_create(request=deployment, **act(getattr(cast, who)), **TEXTS)
        assert state(cast) == before


@pytest.mark.parametrize("who", ["member", "viewer", "partner", "auditor", "outsider"])
def test_only_a_country_admin_publishes(cast, ready, who):
    entry = register.register_entry_create(request=running(cast, ready), **act(cast.member), **TEXTS)
    with country_context(cast.fr):
        version = entry.versions.get()
    before = state(cast)
    with pytest.raises(NotAllowed):
        register.register_version_publish(version=version, reason="The service is in use.", **act(getattr(cast, who)))
    assert state(cast) == before
    register.register_version_publish(version=version, reason="The service is in use.", **act(cast.owner))
    with country_context(cast.fr):
        assert RegisterEntry.objects.get(pk=entry.pk).state == "published"


@pytest.mark.parametrize("who", ["member", "viewer", "partner", "auditor", "outsider"])
def test_only_a_country_admin_withdraws(cast, ready, who):
    entry = published(running(cast, ready), cast)
    before = state(cast)
    with pytest.raises(NotAllowed):
        register.register_entry_withdraw(entry=entry, reason="No longer used.", **act(getattr(cast, who)))
    assert state(cast) == before
    register.register_entry_withdraw(entry=entry, reason="No longer used.", **act(cast.owner))
    with country_context(cast.fr):
        entry.refresh_from_db()
    assert (entry.state, entry.withdrawal_reason) == ("withdrawn", "No longer used.")


# --- Lifecycle, versions, history ------------------------------------------------------------------


def test_publication_and_withdrawal_go_on_the_chain_with_ids_only(cast, ready):
    entry = published(running(cast, ready), cast)
    register.register_entry_withdraw(entry=entry, reason="Replaced by a new service.", **act(cast.owner))
    events = register_events(cast)
    assert [a for a, _ in events] == ["register.drafted", "register.published", "register.withdrawn"]
    published_payload = events[1][1]
    assert published_payload["entry"] == entry.pk and published_payload["version"] == 1
    flat = str(events)
    assert "Tax form helper" not in flat and "Replaced by" not in flat and "reason_sha256" in flat


def test_a_record_keeps_its_history_and_what_it_said_when_published(cast, ready):
    deployment = running(cast, ready)
    entry = published(deployment, cast)
    with country_context(cast.fr):
        first = entry.versions.get(number=1)
    assert first.drawn["conditions"]["human_review_required"] is True
    assert first.drawn["model"]["name"] == "Aurora Large" and first.drawn["assessment"]["impact_level"] == "I"

    second = register.register_version_create(entry=entry, **act(cast.member))
    assert (second.number, second.status, second.name) == (2, "draft", TEXTS["name"])
    with pytest.raises(ServiceError, match="draft version"):
        register.register_version_create(entry=entry, **act(cast.member))
    register.register_draft_save(version=second, **act(cast.member), **{**TEXTS, "summary": "Now also in Breton."})
    with pytest.raises(ServiceError, match="what changed") as error:
        register.register_version_publish(version=second, reason="The service is in use.", **act(cast.owner))
    assert error.value.field == "change_note"
    register.register_draft_save(
        version=second, change_note="Breton added.", **act(cast.member), **{**TEXTS, "summary": "Now also in Breton."}
    )
    # The deployment changes after publication: the published version keeps what it said.
    deployment_services.deployment_request_transition(
        request=deployment, action="suspend", comment="Audit", **act(cast.owner)
    )
    with country_context(cast.fr):
        first.refresh_from_db()
    assert first.drawn["phase"] == "in_service"
    with pytest.raises(ServiceError, match="in service"):
        register.register_version_publish(version=second, reason="The service is in use.", **act(cast.owner))
    deployment_services.deployment_request_transition(request=deployment, action="reinstate", **act(cast.partner))
    register.register_version_publish(version=second, reason="The service is in use.", **act(cast.owner))
    with country_context(cast.fr):
        rows = list(
            RegisterVersion.objects.filter(entry=entry)
            .order_by("number")
            .values_list("number", "status", "summary", "change_note")
        )
    assert rows == [(1, "superseded", TEXTS["summary"], ""), (2, "published", "Now also in Breton.", "Breton added.")]
    with pytest.raises(ServiceError, match="already published"):
        register.register_version_publish(version=second, reason="The service is in use.", **act(cast.owner))


def test_a_withdrawn_entry_can_be_published_again(cast, ready):
    entry = published(running(cast, ready), cast)
    with pytest.raises(ServiceError, match="reason") as error:
        register.register_entry_withdraw(entry=entry, reason="   ", **act(cast.owner))
    assert error.value.field == "reason"
    register.register_entry_withdraw(entry=entry, reason="Paused for an audit.", **act(cast.owner))
    with pytest.raises(ServiceError, match="Only a published entry"):
        register.register_entry_withdraw(entry=entry, reason="Again.", **act(cast.owner))
    version = register.register_version_create(entry=entry, **act(cast.member))
    register.register_draft_save(version=version, change_note="Back after the audit.", **act(cast.member), **TEXTS)
    register.register_version_publish(version=version, reason="The service is in use.", **act(cast.owner))
    with country_context(cast.fr):
        entry.refresh_from_db()
    assert (entry.state, entry.withdrawal_reason, entry.withdrawn_at) == ("published", "", None)


def test_only_approved_or_running_deployments_get_an_entry_and_only_running_ones_are_published(cast, ready):
    drafted = draft(cast, ready)
    with pytest.raises(ServiceError, match="approved or running"):
        register.register_entry_create(request=drafted, **act(cast.member), **TEXTS)
    deployment = running(cast, ready)
    register.register_entry_create(request=deployment, **act(cast.member), **TEXTS)
    with pytest.raises(ServiceError, match="already has a register entry"):
        register.register_entry_create(request=deployment, **act(cast.member), **TEXTS)


# --- Names ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["summary", "accountable_role", "human_oversight", "how_to_ask"])
def test_texts_that_name_a_member_are_refused(cast, ready, field):
    deployment = running(cast, ready)
    before = state(cast)
    with pytest.raises(ServiceError, match="Marc Member") as error:
        register.register_entry_create(
            request=deployment, **act(cast.member), **{**TEXTS, field: "Ask marc  member about it."}
        )
    assert error.value.field == field
    assert state(cast) == before


def test_a_members_own_address_is_refused_as_the_contact(cast, ready):
    with pytest.raises(ServiceError, match="own address") as error:
        register.register_entry_create(
            request=running(cast, ready), **act(cast.member), **{**TEXTS, "contact_email": "Owner@example.org"}
        )
    assert error.value.field == "contact_email"


def test_only_the_accountable_person_chooses_to_be_named(cast, ready):
    entry = published(running(cast, ready), cast)  # the deployment's owner is cast.owner
    for who in ("member", "viewer", "partner", "outsider"):
        with pytest.raises(NotAllowed):
            register.register_contact_name(entry=entry, named=True, **act(getattr(cast, who)))
    register.register_contact_name(entry=entry, named=True, **act(cast.owner))
    with country_context(cast.fr):
        entry.refresh_from_db()
    assert entry.named_contact == cast.owner
    with pytest.raises(NotAllowed):
        register.register_contact_name(entry=entry, named=False, **act(cast.member))
    register.register_contact_name(entry=entry, named=False, **act(cast.owner))
    with country_context(cast.fr):
        entry.refresh_from_db()
    assert entry.named_contact is None
    assert [a for a, _ in register_events(cast)][-2:] == ["register.contact_named", "register.contact_unnamed"]


# --- Bad input -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change, field",
    [
        ({"name": ""}, "name"),
        ({"summary": "   "}, "summary"),
        ({"how_to_ask": ""}, "how_to_ask"),
        ({"accountable_role": ""}, "accountable_role"),
        ({"human_oversight": ""}, "human_oversight"),
        ({"data_description": ""}, "data_description"),
        ({"name": "x" * 201}, "name"),
        ({"summary": "x" * 2001}, "summary"),
        ({"language": "not a tag"}, "language"),
        ({"language": ""}, "language"),
        ({"contact_email": "nobody"}, "contact_email"),
        ({"website": "javascript:alert(1)"}, "website"),
        ({"website": "not a url"}, "website"),
    ],
)
def test_bad_input_names_its_field_and_changes_nothing(cast, ready, change, field):
    deployment = running(cast, ready)
    before = state(cast)
    with pytest.raises(ServiceError) as error:
        register.register_entry_create(request=deployment, **act(cast.member), **{**TEXTS, **change})
    assert error.value.field == field and error.value.message
    assert state(cast) == before


def test_nul_bytes_and_odd_text_are_kept_harmless(cast, ready):
    entry = register.register_entry_create(
        request=running(cast, ready), **act(cast.member), **{**TEXTS, "summary": "<script>alert(1)</script>\x00 done"}
    )
    with country_context(cast.fr):
        assert entry.versions.get().summary == "<script>alert(1)</script> done"
