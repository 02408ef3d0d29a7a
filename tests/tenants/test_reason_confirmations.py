"""The foundation's irreversible or outward actions each ask first, on a page in the warning
pattern, with a required reason: rotating the country's data key, cancelling an exit (either
side), cancelling a person's erasure, and the platform admin's revocation of tokens. Without a
reason nothing is done (400, the error named); with one the action is done, the reason is kept
sealed (tenants.ActionReason) and the event names it by id only. The reasons are then shown where
the record is read, to those who may read it, and nowhere else."""

from __future__ import annotations

import json
import logging

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenants.identity.models import ApiToken
from tenants.identity.tokens import api_token_issue
from tenants.isolation import country_context
from tenants.keys import erasure as erasures
from tenants.keys import exit as exits
from tenants.keys.models import CountryExit, KeyRotation, MemberErasure
from tenants.languages.models import Preferences
from tenants.models import Membership
from tenants.record.ledger import event_record
from tenants.record.models import ActionReason, CountryEvent, PlatformEvent
from tests.tenants.confirming import (
    confirmation_reached_by_admins_only,
    confirmation_shown,
    kept_reason,
    on_record,
    others_refused,
    page_text,
    refused_without_reason,
)

from .leaving import act

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def platform_admin(db):
    return User.objects.create_superuser("root", "root@example.org", "a-long-admin-password")


@pytest.fixture
def second_admin(cast):
    user = User.objects.create_user("second", "second@numerique.gouv.fr", "x-long-password-1", first_name="Sami")
    with country_context(cast.fr):
        Membership.objects.create(country=cast.fr, user=user, organisation=cast.fr_ministry, role="country_admin")
    Preferences.objects.create(user=user, language="en")
    return user


def membership_of(cast, user) -> Membership:
    with country_context(cast.fr):
        return Membership.objects.get(user=user)


def rotations(cast) -> int:
    with country_context(cast.fr):
        return KeyRotation.objects.count()


# --- Rotating the data key ------------------------------------------------------------------------


def test_rotating_the_key_asks_first_and_keeps_the_reason(client, cast):
    path = "/c/fr/data/key/rotate/"
    page = confirmation_reached_by_admins_only(client, cast, path)
    assert "Rotate the data key of France?" in page and "Yes, rotate the key" in page
    assert 'href="/c/fr/data/"' in client.get(path).content.decode()  # back and cancel
    assert 'href="/c/fr/data/key/rotate/"' in client.get("/c/fr/data/").content.decode()  # the data page links here

    refused_without_reason(client, path)
    others_refused(client, cast, path)
    assert rotations(cast) == 0
    done = client.post(path, {"comment": "Yearly rotation, as our security policy asks."})
    assert done.status_code == 302 and done["Location"] == "/c/fr/data/"
    assert rotations(cast) == 1
    event, reason = kept_reason(cast.fr, "key.rotated")
    assert reason.reason == "Yearly rotation, as our security policy asks." and reason.by_id == cast.owner.pk
    assert "Yearly rotation, as our security policy asks." in page_text(client.get("/c/fr/activity/"))


# --- Cancelling an exit ---------------------------------------------------------------------------


def asked_exit(cast, platform_admin) -> CountryExit:
    return exits.country_exit_request(
        country=cast.fr, by=platform_admin, access=None, side=exits.PLATFORM, reason="The programme ends here."
    )


def exit_state(cast, pk: int) -> str:
    with country_context(cast.fr):
        return CountryExit.objects.get(pk=pk).state


def test_the_country_cancels_an_exit_with_a_reason(client, cast, platform_admin):
    asked = asked_exit(cast, platform_admin)
    path = "/c/fr/data/exit/cancel/"
    page = confirmation_reached_by_admins_only(client, cast, path)
    assert "Cancel the exit of France?" in page and "nothing is exported or destroyed" in page
    assert 'href="/c/fr/data/exit/cancel/"' in client.get("/c/fr/data/").content.decode()
    client.force_login(platform_admin)
    assert client.get(path).status_code == 404  # the platform cancels on its own page

    client.force_login(cast.owner)
    refused_without_reason(client, path)
    assert exit_state(cast, asked.pk) == "requested"
    done = client.post(path, {"comment": "The ministry stays in the programme."})
    assert done.status_code == 302 and done["Location"] == "/c/fr/data/#leaving"
    assert exit_state(cast, asked.pk) == "cancelled"
    event, reason = kept_reason(cast.fr, "exit.cancelled")
    assert event.payload == {"side": "country_admin", **on_record(reason)}
    assert reason.reason == "The ministry stays in the programme."
    assert client.get(path).status_code == 404  # nothing left to cancel


def test_the_platform_cancels_an_exit_with_a_reason(client, cast, platform_admin):
    asked = asked_exit(cast, platform_admin)
    path = "/platform/exits/fr/cancel/"
    client.logout()
    assert client.get(path)["Location"].startswith("/accounts/login/")
    for person in (cast.owner, cast.member, cast.outsider, cast.auditor):
        client.force_login(person)
        assert client.get(path).status_code == 403, person
        assert client.post(path, {"comment": "Not mine."}).status_code == 403, person
    client.force_login(platform_admin)
    page = confirmation_shown(client.get(path))
    assert "Cancel the exit of France?" in page
    assert 'href="/platform/exits/fr/cancel/"' in client.get("/platform/exits/fr/").content.decode()
    refused_without_reason(client, path)
    assert exit_state(cast, asked.pk) == "requested"
    assert client.post(path, {"comment": "Asked for the wrong country."}).status_code == 302
    assert exit_state(cast, asked.pk) == "cancelled"
    event, reason = kept_reason(cast.fr, "exit.cancelled")
    assert event.payload["side"] == "platform" and reason.reason == "Asked for the wrong country."
    assert client.get("/platform/exits/zz/cancel/").status_code == 404


def test_the_api_cancels_an_exit_only_with_a_reason(api, cast, platform_admin):
    asked = asked_exit(cast, platform_admin)
    api.force_login(cast.owner)
    refused = api.post("/api/v1/countries/FR/exit/cancel/", {}, format="json")
    assert refused.status_code == 400 and "Say why" in str(refused.json())
    assert exit_state(cast, asked.pk) == "requested"
    done = api.post("/api/v1/countries/FR/exit/cancel/", {"reason": "We stay."}, format="json")
    assert done.status_code == 200 and exit_state(cast, asked.pk) == "cancelled"
    assert kept_reason(cast.fr, "exit.cancelled")[1].reason == "We stay."


# --- Cancelling an erasure ------------------------------------------------------------------------


def test_cancelling_an_erasure_asks_for_a_reason(client, cast, second_admin):
    subject = membership_of(cast, cast.viewer)
    asked = erasures.member_erasure_request(membership=subject, reason="Their letter of 3 June.", **act(second_admin))
    path = f"/c/fr/members/{subject.pk}/erasure/cancel/"
    page = confirmation_reached_by_admins_only(client, cast, path)
    assert "Cancel the erasure of" in page and "Yes, cancel the erasure" in page
    assert f'href="{path}"' in client.get(f"/c/fr/members/{subject.pk}/erasure/").content.decode()

    refused_without_reason(client, path)
    with country_context(cast.fr):
        assert MemberErasure.objects.get(pk=asked.pk).state == "requested"
    # The old form's action no longer cancels anything on the erasure page itself, nor does any other.
    for action in ("cancel", "anything"):
        refused = client.post(f"/c/fr/members/{subject.pk}/erasure/", {"action": action})
        assert refused.status_code == 400 and "Choose what to do" in page_text(refused)
    with country_context(cast.fr):
        assert MemberErasure.objects.get(pk=asked.pk).state == "requested"

    done = client.post(path, {"comment": "The person withdrew the request."})
    assert done.status_code == 302 and done["Location"] == f"/c/fr/members/{subject.pk}/erasure/"
    with country_context(cast.fr):
        assert MemberErasure.objects.get(pk=asked.pk).state == "cancelled"
    assert kept_reason(cast.fr, "member.erasure_cancelled")[1].reason == "The person withdrew the request."
    assert client.get(path).status_code == 404  # no erasure waits any more
    nothing_asked = client.post(f"/c/fr/members/{subject.pk}/erasure/", {"action": "anything"})
    assert nothing_asked.status_code == 400 and "Choose what to do" in page_text(nothing_asked)
    other = membership_of(cast, cast.member)
    assert client.get(f"/c/fr/members/{other.pk}/erasure/cancel/").status_code == 404  # none asked


# --- The platform admin revokes tokens ------------------------------------------------------------


def test_the_admin_revokes_tokens_after_a_page_that_asks_why(client, cast, platform_admin):
    _raw, first = api_token_issue(user=cast.member)
    _raw, second = api_token_issue(user=cast.viewer)
    changelist = "/admin/tenants/apitoken/"
    chosen = {"action": "revoke", "_selected_action": [first.pk, second.pk]}
    client.force_login(platform_admin)
    page = client.post(changelist, chosen)
    assert page.status_code == 200
    html = page_text(page)
    assert "Revoke these tokens?" in html and first.prefix in html and second.prefix in html
    assert 'name="comment"' in html and "Yes, revoke the tokens" in html
    assert ApiToken.objects.filter(revoked_at__isnull=False).count() == 0  # the page revoked nothing

    refused = client.post(changelist, {**chosen, "confirm": "yes", "comment": ""})
    assert refused.status_code == 400 and "Say why" in page_text(refused)
    assert ApiToken.objects.filter(revoked_at__isnull=False).count() == 0

    done = client.post(changelist, {**chosen, "confirm": "yes", "comment": "Both left the programme's pilot."})
    assert done.status_code == 302
    for token in (first, second):
        token.refresh_from_db()
        assert token.revoked_at is not None and token.revoke_reason == "Both left the programme's pilot."
    event = PlatformEvent.objects.filter(action="auth.api_tokens_revoked").get()
    assert event.payload == {"ids": sorted([first.pk, second.pk])} and event.actor_id == platform_admin.pk
    client.force_login(cast.owner)  # not a platform admin: the admin sends them to its sign-in
    assert client.post(changelist, {**chosen, "confirm": "yes", "comment": "x"})["Location"].startswith("/admin/login/")


# --- Where the reasons are read -------------------------------------------------------------------

SECRET_REASON = "Camille Martin asked for it after the incident of 3 June."


def test_reasons_are_shown_where_the_record_is_read_and_only_there(client, cast, caplog):
    caplog.set_level(logging.DEBUG)
    client.force_login(cast.owner)
    assert client.post("/c/fr/data/key/rotate/", {"comment": SECRET_REASON}).status_code == 302

    # The country's own people read it on the activity page; its auditor and partner on the audit page.
    for person in (cast.owner, cast.member, cast.viewer):
        client.force_login(person)
        assert f"Reason: {SECRET_REASON}" in page_text(client.get("/c/fr/activity/")), person
    with CaptureQueriesContext(connection) as queries:
        client.get("/c/fr/activity/")
    # Read with the names of the events' targets, in their one query.
    assert sum("tenants_actionreason" in query["sql"] for query in queries.captured_queries) == 1
    for person in (cast.auditor, cast.partner):
        client.force_login(person)
        assert f"Reason: {SECRET_REASON}" in page_text(client.get("/audit/fr/")), person

    # The API's record gives the same text beside the event, whose payload keeps the id only; an
    # event that names no reason has none.
    with country_context(cast.fr):
        event_record(country=cast.fr, action="member.invited", actor=cast.owner, payload={"role": "member"})
    for person in (cast.owner, cast.auditor):
        client.force_login(person)
        listed = client.get("/api/v1/countries/FR/audit-events/?action=key.rotated").json()["results"]
        assert [event["reason"] for event in listed] == [SECRET_REASON], person
        assert SECRET_REASON not in json.dumps(listed[0]["payload"])
        listed = client.get("/api/v1/countries/FR/audit-events/").json()["results"]
        others = [event for event in listed if event["action"] != "key.rotated"]
        assert others and {event["reason"] for event in others} == {""}

    # Another country's admin reaches neither page, and their own country's pages do not show it.
    client.force_login(cast.outsider)
    assert client.get("/c/fr/activity/").status_code == 404
    assert client.get("/audit/fr/").status_code == 404
    assert client.get("/api/v1/countries/FR/audit-events/").status_code == 404
    for page in ("/c/ke/activity/", "/c/ke/", "/"):
        assert SECRET_REASON not in page_text(client.get(page)), page

    # An event of Kenya naming France's reason by id shows nothing of it.
    with country_context(cast.fr):
        french = ActionReason.objects.get()
    with country_context(cast.ke):
        event_record(
            country=cast.ke,
            action="key.rotated",
            actor=cast.outsider,
            payload={"reason": french.pk, "reason_hmac": "0" * 64},
        )
    text = page_text(client.get("/c/ke/activity/"))
    assert "Key rotated" in text and SECRET_REASON not in text and "Reason:" not in text
    listed = client.get("/api/v1/countries/KE/audit-events/?action=key.rotated").json()["results"]
    assert [event["reason"] for event in listed] == [""]

    # Never on the chain, never in a log line.
    payloads = ""
    for country in (cast.fr, cast.ke):
        with country_context(country):
            payloads += json.dumps(list(CountryEvent.objects.values_list("payload", flat=True)))
    assert SECRET_REASON not in payloads and "Camille" not in payloads
    assert SECRET_REASON not in json.dumps(list(PlatformEvent.objects.values_list("payload", flat=True)))
    assert not [record for record in caplog.records if "Camille" in record.getMessage()]
    # Stored sealed: the column does not hold the text.
    with country_context(cast.fr):
        stored = ActionReason.objects.filter(pk=french.pk).values_list("reason", flat=True).get()
    assert "Camille" not in str(stored)
