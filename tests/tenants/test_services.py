"""Writes of the tenants app: who may make them, what they refuse, and that each one records the
right event on the country's chain — while a refused write records nothing and changes nothing."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import connection
from django.utils import timezone

from tenants import services
from tenants.access import access_for
from tenants.errors import NotAllowed, ServiceError
from tenants.isolation import country_context
from tenants.models import Invitation, Membership, Organisation, PlatformSettings
from tenants.record.models import ActionReason, CountryEvent
from tests.tenants.confirming import on_record

User = get_user_model()
NOT_ADMINS = ["member", "viewer", "partner", "auditor", "outsider"]
GOOD_PASSWORD = "a-long-and-unusual-passphrase-42"


# --- Helpers ------------------------------------------------------------------------------------------


def snapshot(cast) -> dict[str, list]:
    """Everything a tenants service could change, in both countries."""
    with country_context(cast.fr, cast.ke):
        state = {
            "organisations": list(Organisation.objects.order_by("pk").values_list("pk", "country_id", "name", "kind")),
            "memberships": list(
                Membership.objects.order_by("pk").values_list(
                    "pk", "country_id", "user_id", "organisation_id", "role", "status"
                )
            ),
            "invitations": list(
                Invitation.objects.order_by("pk").values_list("pk", "membership_id", "nonce", "accepted_at")
            ),
            "events": list(CountryEvent.objects.order_by("pk").values_list("pk")),
        }
    state["users"] = list(User.objects.order_by("pk").values_list("pk", "email", "is_active", "password"))
    return state


def events(country) -> list[tuple]:
    with country_context(country):
        return list(
            CountryEvent.objects.filter(country=country)
            .order_by("sequence")
            .values_list("action", "actor_id", "actor_role", "target_type", "target_id", "payload")
        )


def membership(cast, user, country=None) -> Membership:
    country = country or cast.fr
    with country_context(country):
        return Membership.objects.select_related("country").get(user=user)


def refused(cast, error: type[Exception], call, *, match: str | None = None, field: str | None = None) -> ServiceError:
    """Run `call`, expect `error`, and check that nothing at all changed."""
    before = snapshot(cast)
    with pytest.raises(error, match=match) as caught:
        call()
    assert snapshot(cast) == before
    if field is not None:
        assert caught.value.field == field
    assert caught.value.message  # a sentence a person can act on
    return caught.value


@pytest.fixture
def invite(cast):
    """Invite a new person to FR (as the owner) and return (membership, invitation, token)."""

    def make(email: str = "new.person@example.org", role: str = "viewer"):
        new = services.member_invite(
            country=cast.fr,
            by=cast.owner,
            access=access_for(cast.owner),
            email=email,
            first_name="Nadia",
            last_name="Newcomer",
            organisation=cast.fr_agency,
            role=role,
        )
        with country_context(cast.fr):
            invitation = Invitation.objects.get(membership=new)
        return new, invitation, services.invitation_token(invitation)

    return make


# --- organisation_create ---------------------------------------------------------------------------


def test_a_country_admin_creates_an_organisation(cast):
    organisation = services.organisation_create(
        country=cast.fr,
        by=cast.owner,
        access=access_for(cast.owner),
        name="  Cour des Comptes ",
        kind="public_agency",
        acronym=" CC ",
    )
    with country_context(cast.fr):
        stored = Organisation.objects.get(pk=organisation.pk)
    assert (stored.country_id, stored.name, stored.kind, stored.acronym) == (
        cast.fr.pk,
        "Cour des Comptes",
        "public_agency",
        "CC",
    )
    assert events(cast.fr) == [
        (
            "organisation.created",
            cast.owner.pk,
            "country_admin",
            "tenants.organisation",
            str(organisation.pk),
            {"kind": "public_agency"},
        )
    ]
    assert events(cast.ke) == []


@pytest.mark.parametrize("who", NOT_ADMINS)
def test_only_a_country_admin_creates_organisations(cast, who):
    actor = getattr(cast, who)
    refused(
        cast,
        NotAllowed,
        lambda: services.organisation_create(
            country=cast.fr, by=actor, access=access_for(actor), name="Shadow Ministry", kind="ministry"
        ),
    )


@pytest.mark.parametrize(
    "name, kind, field",
    [
        ("", "ministry", "name"),
        ("   ", "ministry", "name"),
        ("Agency", "embassy", "kind"),
        ("ministère du numérique", "ministry", "name"),  # an existing name, in another case
    ],
)
def test_organisation_input_is_checked(cast, name, kind, field):
    refused(
        cast,
        ServiceError,
        lambda: services.organisation_create(
            country=cast.fr, by=cast.owner, access=access_for(cast.owner), name=name, kind=kind
        ),
        field=field,
    )


def test_the_same_name_is_free_in_another_country(cast):
    services.organisation_create(
        country=cast.ke,
        by=cast.outsider,
        access=access_for(cast.outsider),
        name="Ministère du Numérique",
        kind="ministry",
    )
    assert [e[0] for e in events(cast.ke)] == ["organisation.created"]


def test_closed_organisation_kinds_open_when_the_platform_opens_them(cast):
    def create(kind, name):
        return services.organisation_create(
            country=cast.fr, by=cast.owner, access=access_for(cast.owner), name=name, kind=kind
        )

    for kind in ("public_partner", "non_profit"):
        error = refused(cast, ServiceError, lambda: create(kind, f"A {kind}"), field="kind")
        assert "not yet open" in error.message
    platform = PlatformSettings.load()
    platform.open_organisation_kinds = ["public_partner"]
    platform.save()
    assert create("public_partner", "Inria").kind == "public_partner"
    refused(cast, ServiceError, lambda: create("non_profit", "La Quadrature"), field="kind")
    assert [e[5] for e in events(cast.fr)] == [{"kind": "public_partner"}]


# --- member_invite ---------------------------------------------------------------------------------


def test_inviting_someone_with_an_account_makes_an_invitation_they_accept(cast, django_capture_on_commit_callbacks):
    """Finding 1 of issue 12: an existing account of another country is no longer added at once and
    its name is never read back; the person accepts, signed in to their own account."""
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invited = services.member_invite(
            country=cast.fr,
            by=cast.owner,
            access=access_for(cast.owner),
            email=" Outsider@Example.org ",
            first_name="Someone",
            last_name="Typed",
            organisation=cast.fr_agency,
            role="viewer",
            job_title="Liaison",
        )
    assert len(callbacks) == 1  # the invitation email, through the outbox
    with country_context(cast.fr):
        stored = Membership.objects.select_related("invitation").get(pk=invited.pk)
        invitation = stored.invitation
        assert stored.status == "invited" and invitation.accepted_at is None
        assert stored.display_name == "Someone Typed" and stored.display_email == "outsider@example.org"
    assert "Otieno" not in stored.display_name and "Outsider" not in stored.display_name
    assert events(cast.fr)[-1][0] == "member.invited"
    assert access_for(cast.outsider).role_in(cast.fr.pk) is None  # nothing until they accept
    token = services.invitation_token(invitation)
    with pytest.raises(ServiceError, match="another account"):
        services.invitation_accept_signed_in(token=token, user=cast.member)
    with pytest.raises(ServiceError, match="Sign in to it"):
        services.invitation_accept(token=token, password="a-brand-new-password-1")
    services.invitation_accept_signed_in(token=token, user=cast.outsider)
    assert access_for(cast.outsider).role_in(cast.fr.pk) == "viewer"
    assert access_for(cast.outsider).role_in(cast.ke.pk) == "country_admin"
    assert events(cast.fr)[-1][0] == "member.joined"


@pytest.mark.parametrize("overseer", ["partner", "auditor"])
def test_an_overseer_of_the_country_cannot_be_made_a_member_of_it(cast, overseer):
    """Separation of duties: a clear refusal, and nothing changes."""
    refused(
        cast,
        ServiceError,
        lambda: services.member_invite(
            country=cast.fr,
            by=cast.owner,
            access=access_for(cast.owner),
            email=getattr(cast, overseer).email,
            first_name="A",
            last_name="B",
            organisation=cast.fr_agency,
            role="viewer",
        ),
        field="email",
    )


def test_inviting_a_new_person_creates_an_inactive_account_and_an_invitation(cast, django_capture_on_commit_callbacks):
    users_before = User.objects.count()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invited = services.member_invite(
            country=cast.fr,
            by=cast.owner,
            access=access_for(cast.owner),
            email="New.Person@Example.ORG",
            first_name="Nadia",
            last_name="Newcomer",
            organisation=cast.fr_agency,
            role="officer",
        )
    assert User.objects.count() == users_before + 1
    person = User.objects.get(pk=invited.user_id)
    assert (person.email, person.first_name, person.last_name, person.is_active) == (
        "new.person@example.org",
        "Nadia",
        "Newcomer",
        False,
    )
    assert not person.has_usable_password()
    with country_context(cast.fr):
        stored = Membership.objects.get(pk=invited.pk)
        invitation = Invitation.objects.get(membership=stored)
    assert (stored.status, stored.role, stored.organisation_id) == ("invited", "officer", cast.fr_agency.pk)
    assert len(invitation.nonce) == 32 and invitation.invited_by_id == cast.owner.pk
    assert invitation.sent_at is None and invitation.accepted_at is None
    expected_expiry = timezone.now() + timedelta(days=settings.INVITATION_TTL_DAYS)
    assert abs((invitation.expires_at - expected_expiry).total_seconds()) < 60
    assert len(callbacks) == 1  # the email goes out once the invitation is committed
    recorded = events(cast.fr)
    assert recorded == [
        (
            "member.invited",
            cast.owner.pk,
            "country_admin",
            "tenants.membership",
            str(invited.pk),
            {"role": "officer", "organisation": cast.fr_agency.pk},
        )
    ]
    assert "example.org" not in str(recorded) and invitation.nonce not in str(recorded)
    assert access_for(person).country_ids == frozenset()  # not a member until they accept


def test_a_person_invited_elsewhere_but_not_yet_active_is_invited_again(cast, invite):
    invite("wanderer@example.org")
    joined = services.member_invite(
        country=cast.ke,
        by=cast.outsider,
        access=access_for(cast.outsider),
        email="wanderer@example.org",
        first_name="Wan",
        last_name="Derer",
        organisation=cast.ke_ministry,
        role="viewer",
    )
    with country_context(cast.ke):
        assert Membership.objects.get(pk=joined.pk).status == "invited"
        assert Invitation.objects.filter(membership_id=joined.pk).exists()
    assert User.objects.filter(email="wanderer@example.org").count() == 1


@pytest.mark.parametrize("who", NOT_ADMINS)
def test_only_a_country_admin_invites(cast, who):
    actor = getattr(cast, who)
    refused(
        cast,
        NotAllowed,
        lambda: services.member_invite(
            country=cast.fr,
            by=actor,
            access=access_for(actor),
            email="someone.new@example.org",
            first_name="S",
            last_name="N",
            organisation=cast.fr_ministry,
            role="viewer",
        ),
    )


@pytest.mark.parametrize(
    "email, first, last, role, organisation, field",
    [
        ("not-an-email", "A", "B", "viewer", "fr_ministry", "email"),
        ("", "A", "B", "viewer", "fr_ministry", "email"),
        ("new@example.org", "A", "B", "emperor", "fr_ministry", "role"),
        ("new@example.org", "A", "B", "viewer", "ke_ministry", "organisation"),
        ("new@example.org", "", "B", "viewer", "fr_ministry", "first_name"),
        ("new@example.org", "A", "  ", "viewer", "fr_ministry", "first_name"),
        ("member@example.org", "M", "M", "viewer", "fr_ministry", "email"),
        ("MEMBER@example.org", "M", "M", "officer", "fr_agency", "email"),
    ],
    ids=[
        "bad-email",
        "no-email",
        "bad-role",
        "other-countrys-organisation",
        "no-first-name",
        "no-last-name",
        "already-a-member",
        "already-a-member-other-case",
    ],
)
def test_invitation_input_is_checked(cast, email, first, last, role, organisation, field):
    refused(
        cast,
        ServiceError,
        lambda: services.member_invite(
            country=cast.fr,
            by=cast.owner,
            access=access_for(cast.owner),
            email=email,
            first_name=first,
            last_name=last,
            organisation=getattr(cast, organisation),
            role=role,
        ),
        field=field,
    )


def test_an_admin_of_one_country_cannot_invite_into_it_with_another_countrys_organisation(cast):
    refused(
        cast,
        ServiceError,
        lambda: services.member_invite(
            country=cast.ke,
            by=cast.outsider,
            access=access_for(cast.outsider),
            email="spy@example.org",
            first_name="S",
            last_name="P",
            organisation=cast.fr_ministry,
            role="country_admin",
        ),
        field="organisation",
    )


# --- invitation_accept -----------------------------------------------------------------------------


def test_accepting_an_invitation_activates_the_person(cast, invite):
    invited, invitation, token = invite()
    person = services.invitation_accept(token=token, password=GOOD_PASSWORD)
    person.refresh_from_db()
    assert person.pk == invited.user_id and person.is_active and person.check_password(GOOD_PASSWORD)
    with country_context(cast.fr):
        assert Membership.objects.get(pk=invited.pk).status == "active"
        stored = Invitation.objects.get(pk=invitation.pk)
    assert stored.nonce == "" and stored.accepted_at is not None
    assert events(cast.fr)[-1] == ("member.joined", person.pk, "viewer", "tenants.membership", str(invited.pk), {})
    assert access_for(person).role_in(cast.fr.pk) == "viewer"


def test_an_accepted_invitation_cannot_be_used_again(cast, invite):
    _, _, token = invite()
    services.invitation_accept(token=token, password=GOOD_PASSWORD)
    refused(
        cast,
        ServiceError,
        lambda: services.invitation_accept(token=token, password="another-long-passphrase-77"),
        match="This invitation was accepted on .*: the account it opened is ready. Sign in with it.",
    )


def test_a_tampered_link_is_refused(cast, invite):
    _, invitation, token = invite()
    flipped = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    forged_payload = signing.dumps({"c": cast.fr.pk, "i": invitation.pk, "n": "0" * 32}, salt=services.INVITATION_SALT)
    unsalted = signing.dumps({"c": cast.fr.pk, "i": invitation.pk, "n": invitation.nonce})
    refused(
        cast, ServiceError, lambda: services.invitation_accept(token=flipped, password=GOOD_PASSWORD), match="not valid"
    )
    refused(
        cast,
        ServiceError,
        lambda: services.invitation_accept(token=unsalted, password=GOOD_PASSWORD),
        match="not valid",
    )
    refused(cast, ServiceError, lambda: services.invitation_accept(token="", password=GOOD_PASSWORD), match="not valid")
    refused(
        cast,
        ServiceError,
        lambda: services.invitation_accept(token=forged_payload, password=GOOD_PASSWORD),
        match="already been used or withdrawn",
    )  # validly signed (with our key) but the wrong nonce


def test_a_token_naming_another_country_finds_nothing(cast, invite):
    _, invitation, _ = invite()
    wrong_country = signing.dumps(
        {"c": cast.ke.pk, "i": invitation.pk, "n": invitation.nonce}, salt=services.INVITATION_SALT
    )
    refused(
        cast,
        ServiceError,
        lambda: services.invitation_accept(token=wrong_country, password=GOOD_PASSWORD),
        match="already been used or withdrawn",
    )


def test_an_expired_invitation_is_refused(cast, invite):
    _, invitation, token = invite()
    with country_context(cast.fr):
        Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    refused(
        cast, ServiceError, lambda: services.invitation_accept(token=token, password=GOOD_PASSWORD), match="expired"
    )


def test_an_expired_invitation_is_sent_again_with_a_new_link_and_a_live_one_is_not(cast, invite):
    from tenants.record.models import CountryEvent

    invited, invitation, old_token = invite()
    again = dict(
        country=cast.fr,
        by=cast.owner,
        access=access_for(cast.owner),
        email="New.Person@example.org",
        first_name="Nadia",
        last_name="Newcomer",
        organisation=cast.fr_ministry,
        role="officer",
    )
    with pytest.raises(
        ServiceError, match="was invited to France on .* and has not answered yet: the invitation holds"
    ):
        services.member_invite(**again)  # still open: nothing to renew
    with country_context(cast.fr):
        Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    renewed = services.member_invite(**again)
    assert renewed.pk == invited.pk and (renewed.role, renewed.organisation_id) == ("officer", cast.fr_ministry.pk)
    with country_context(cast.fr):
        fresh = Invitation.objects.get(pk=invitation.pk)
        assert fresh.nonce != invitation.nonce and fresh.expires_at > timezone.now() + timedelta(days=1)
        assert CountryEvent.objects.filter(action="member.reinvited").count() == 1
    with pytest.raises(ServiceError):
        services.invitation_accept(token=old_token, password=GOOD_PASSWORD)  # the old link no longer opens
    services.invitation_accept(token=services.invitation_token(fresh), password=GOOD_PASSWORD)
    with country_context(cast.fr):
        assert Membership.objects.get(pk=invited.pk).status == "active"


def test_an_old_link_is_refused_by_its_signature_age(cast, invite, monkeypatch):
    _, _, token = invite()
    later = signing.time.time() + timedelta(days=settings.INVITATION_TTL_DAYS, hours=1).total_seconds()
    monkeypatch.setattr(signing.time, "time", lambda: later)
    refused(
        cast, ServiceError, lambda: services.invitation_accept(token=token, password=GOOD_PASSWORD), match="expired"
    )


def test_a_withdrawn_invitation_is_refused(cast, invite):
    invited, _, token = invite()
    services.member_remove(
        membership=membership(cast, invited.user),
        by=cast.owner,
        access=access_for(cast.owner),
        reason="No longer in the team.",
    )
    refused(
        cast, ServiceError, lambda: services.invitation_accept(token=token, password=GOOD_PASSWORD), match="withdrawn"
    )


@pytest.mark.parametrize("password", ["short", "password1234", "123456789012", "nadia-newcomer"])
def test_a_weak_password_is_refused_and_the_invitation_stays_usable(cast, invite, password):
    _, _, token = invite()
    refused(cast, ServiceError, lambda: services.invitation_accept(token=token, password=password), field="password")
    assert services.invitation_accept(token=token, password=GOOD_PASSWORD).is_active


# --- member_change_role ----------------------------------------------------------------------------


def test_a_country_admin_changes_a_role(cast):
    target = membership(cast, cast.member)
    changed = services.member_change_role(
        membership=target, by=cast.owner, access=access_for(cast.owner), role="viewer"
    )
    assert changed.role == "viewer" and membership(cast, cast.member).role == "viewer"
    assert events(cast.fr) == [
        (
            "member.role_changed",
            cast.owner.pk,
            "country_admin",
            "tenants.membership",
            str(target.pk),
            {"from": "officer", "to": "viewer"},
        )
    ]
    assert access_for(cast.member).can_write(cast.fr.pk) is False


def test_changing_to_the_same_role_records_nothing(cast):
    before = snapshot(cast)
    services.member_change_role(
        membership=membership(cast, cast.member), by=cast.owner, access=access_for(cast.owner), role="officer"
    )
    assert snapshot(cast) == before


@pytest.mark.parametrize("who", NOT_ADMINS)
def test_only_a_country_admin_changes_roles(cast, who):
    actor = getattr(cast, who)
    for target in (cast.viewer, cast.owner):
        refused(
            cast,
            NotAllowed,
            lambda: services.member_change_role(
                membership=membership(cast, target), by=actor, access=access_for(actor), role="country_admin"
            ),
        )


def test_a_role_must_be_one_of_the_three(cast):
    refused(
        cast,
        ServiceError,
        lambda: services.member_change_role(
            membership=membership(cast, cast.member), by=cast.owner, access=access_for(cast.owner), role="superuser"
        ),
        field="role",
    )


def test_the_last_country_admin_cannot_step_down(cast):
    error = refused(
        cast,
        ServiceError,
        lambda: services.member_change_role(
            membership=membership(cast, cast.owner), by=cast.owner, access=access_for(cast.owner), role="officer"
        ),
        field="role",
    )
    assert "at least one country admin" in error.message
    services.member_change_role(
        membership=membership(cast, cast.member), by=cast.owner, access=access_for(cast.owner), role="country_admin"
    )
    services.member_change_role(
        membership=membership(cast, cast.owner), by=cast.owner, access=access_for(cast.owner), role="officer"
    )
    assert membership(cast, cast.owner).role == "officer"
    assert [e[5] for e in events(cast.fr)] == [
        {"from": "officer", "to": "country_admin"},
        {"from": "country_admin", "to": "officer"},
    ]


def test_an_invited_admin_does_not_count_as_another_admin(cast, invite):
    invite(role="country_admin")
    refused(
        cast,
        ServiceError,
        lambda: services.member_change_role(
            membership=membership(cast, cast.owner), by=cast.owner, access=access_for(cast.owner), role="viewer"
        ),
    )


# --- member_remove -----------------------------------------------------------------------------------


def test_a_country_admin_removes_a_member(cast):
    target = membership(cast, cast.viewer)
    services.member_remove(
        membership=target, by=cast.owner, access=access_for(cast.owner), reason="No longer in the team."
    )
    with country_context(cast.fr):
        assert not Membership.objects.filter(pk=target.pk).exists()
        reason = ActionReason.objects.get(action="member.removed")
    assert reason.reason == "No longer in the team." and reason.by == cast.owner
    assert events(cast.fr) == [
        (
            "member.removed",
            cast.owner.pk,
            "country_admin",
            "tenants.membership",
            str(target.pk),
            {"role": "viewer", "organisation": cast.fr_agency.pk, **on_record(reason)},
        )
    ]

    assert access_for(cast.viewer).country_ids == frozenset()


@pytest.mark.parametrize("reason", ["", "   ", "x" * 2001])
def test_a_removal_without_a_usable_reason_changes_nothing(cast, reason):
    target = membership(cast, cast.viewer)
    refused(
        cast,
        ServiceError,
        lambda: services.member_remove(membership=target, by=cast.owner, access=access_for(cast.owner), reason=reason),
        match="reason",
    )


def test_removing_an_invited_member_withdraws_the_invitation(cast, invite):
    invited, invitation, _ = invite()
    services.member_remove(
        membership=membership(cast, invited.user),
        by=cast.owner,
        access=access_for(cast.owner),
        reason="No longer in the team.",
    )
    with country_context(cast.fr):
        assert not Invitation.objects.filter(pk=invitation.pk).exists()
        assert not Membership.objects.filter(pk=invited.pk).exists()


@pytest.mark.parametrize("who", NOT_ADMINS)
def test_only_a_country_admin_removes_members(cast, who):
    actor = getattr(cast, who)
    refused(
        cast,
        NotAllowed,
        lambda: services.member_remove(
            membership=membership(cast, cast.viewer),
            by=actor,
            access=access_for(actor),
            reason="No longer in the team.",
        ),
    )


def test_the_last_country_admin_cannot_be_removed(cast):
    refused(
        cast,
        ServiceError,
        lambda: services.member_remove(
            membership=membership(cast, cast.owner),
            by=cast.owner,
            access=access_for(cast.owner),
            reason="No longer in the team.",
        ),
        match="at least one country admin",
    )
    refused(
        cast,
        ServiceError,
        lambda: services.member_remove(
            membership=membership(cast, cast.outsider, cast.ke),
            by=cast.outsider,
            access=access_for(cast.outsider),
            reason="No longer in the team.",
        ),
        match="at least one country admin",
    )


def test_an_admin_of_another_country_cannot_touch_this_countrys_members(cast):
    """The actor's role is taken in the membership's own country, whatever they administer."""
    outsider = access_for(cast.outsider)
    refused(
        cast,
        NotAllowed,
        lambda: services.member_remove(
            membership=membership(cast, cast.viewer), by=cast.outsider, access=outsider, reason="No longer in the team."
        ),
    )
    refused(
        cast,
        NotAllowed,
        lambda: services.member_change_role(
            membership=membership(cast, cast.owner), by=cast.outsider, access=outsider, role="viewer"
        ),
    )


# --- Concurrency -------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_admins_demoting_each_other_at_once_leave_one_admin(cast):
    with country_context(cast.fr):
        Membership.objects.filter(user=cast.member).update(role="country_admin")
    first_done, release_first = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def demote(actor, target, key, hold: bool):
        try:
            from django.db import transaction

            with transaction.atomic():
                services.member_change_role(
                    membership=membership(cast, target), by=actor, access=access_for(actor), role="officer"
                )
                if hold:
                    first_done.set()
                    release_first.wait(timeout=10)
            outcome[key] = "demoted"
        except ServiceError as error:
            outcome[key] = f"refused: {error.message}"
        except Exception as error:  # a crash is an outcome too, and a failure of this test
            outcome[key] = f"crashed: {error!r}"
        finally:
            connection.close()

    first = threading.Thread(target=demote, args=(cast.owner, cast.member, "first", True))
    second = threading.Thread(target=demote, args=(cast.member, cast.owner, "second", False))
    first.start()
    assert first_done.wait(timeout=10)
    second.start()
    second.join(timeout=1)
    # With a correct guard the second waits for the first transaction instead of reading past it.
    waited = second.is_alive()
    release_first.set()
    first.join(timeout=10)
    second.join(timeout=10)
    with country_context(cast.fr):
        admins = list(Membership.objects.filter(role="country_admin", status="active").values_list("user", flat=True))
    assert waited, outcome
    assert outcome["first"] == "demoted", outcome
    assert outcome["second"].startswith("refused: "), outcome
    assert admins == [cast.owner.pk], outcome


@pytest.mark.django_db(transaction=True)
def test_one_invitation_accepted_twice_at_once_is_accepted_once(cast):
    guest = User.objects.create(username="twice", email="twice@example.org", is_active=False)
    with country_context(cast.fr):
        invited = Membership.objects.create(
            country=cast.fr, user=guest, organisation=cast.fr_agency, role="viewer", status="invited"
        )
        invitation = Invitation.objects.create(
            country=cast.fr, membership=invited, nonce="c" * 32, expires_at=timezone.now() + timedelta(days=7)
        )
    token = services.invitation_token(invitation)
    first_done, release_first = threading.Event(), threading.Event()
    outcome: dict[str, str] = {}

    def accept(key: str, password: str, hold: bool):
        try:
            from django.db import transaction

            with transaction.atomic():
                services.invitation_accept(token=token, password=password)
                if hold:
                    first_done.set()
                    release_first.wait(timeout=10)
            outcome[key] = "accepted"
        except ServiceError as error:
            outcome[key] = error.message
        finally:
            connection.close()

    first = threading.Thread(target=accept, args=("first", GOOD_PASSWORD, True))
    second = threading.Thread(target=accept, args=("second", "another-long-passphrase-77", False))
    first.start()
    assert first_done.wait(timeout=10)
    second.start()
    second.join(timeout=1)
    release_first.set()
    first.join(timeout=10)
    second.join(timeout=10)
    joined = [e for e in events(cast.fr) if e[0] == "member.joined"]
    assert sorted(outcome.values()).count("accepted") == 1 and len(joined) == 1, outcome
