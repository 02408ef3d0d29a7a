"""The texts the record holds digests of, checked offline: each reason given (keyed under the
country's reason digest key), each message and each file attached to one (keyed under the
conversation's digest key). The country's export carries the keys, its verifier (verify_export.py,
run here as the recipient runs it: isolated, standard library only) and the portal's own check
(country_export_verify, which the exit runs) recompute every digest, and a text or file altered in
the database after it was recorded is caught. Events recorded before a kind of text carried a
digest still verify."""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import sys
import zipfile

import pytest

from engagements.selectors import conversation_subject
from tenants import files
from tenants.access import access_for
from tenants.conversations import services as conversations
from tenants.conversations.models import Conversation, Message, MessageAttachment
from tenants.isolation import country_context
from tenants.keys.export import country_data_export_write, country_export_verify
from tenants.models import Membership
from tenants.record.chaining import chain_catch_up
from tenants.record.ledger import PayloadRefused, event_record
from tenants.record.models import ActionReason, CountryEvent, ReasonDigestKey
from tenants.record.reasons import reason_record
from tenants.services import member_remove
from tests.engagements.test_services import engagement_in
from tests.tenants.confirming import on_record

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
OTHER_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%% forged\n%%EOF\n"
REASON = "She left the ministry in May."


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def act(user) -> dict:
    return {"by": user, "access": access_for(user)}


def remove_viewer(cast, reason=REASON) -> CountryEvent:
    with country_context(cast.fr):
        viewer = Membership.objects.select_related("country").get(user=cast.viewer)
    member_remove(membership=viewer, reason=reason, **act(cast.owner))
    with country_context(cast.fr):
        return CountryEvent.objects.get(action="member.removed")


def write_with_attachment(cast, text="The signed letter.", data=PDF) -> Message:
    subject = conversation_subject(engagement=engagement_in(cast, "submitted"))
    return conversations.message_post(
        subject=subject, text=text, attachment_name="letter.pdf", attachment_data=data, **act(cast.owner)
    )


def exported(cast, path):
    with open(path, "wb") as out:
        country_data_export_write(country=cast.fr, out=out)
    return path


def run_verifier(tmp_path, export):
    """verify_export.py as its recipient runs it: the copy inside the export, isolated, without
    site-packages (standard library only)."""
    folder = tmp_path / f"unpacked-{export.stem}"
    with zipfile.ZipFile(export) as archive:
        archive.extractall(folder)
    return subprocess.run(
        [sys.executable, "-I", "-S", str(folder / "verify_export.py"), str(export)],
        capture_output=True,
        text=True,
        timeout=120,
    )


# --- Reasons on the record ------------------------------------------------------------------------


def test_an_event_names_its_reason_with_a_keyed_digest_never_a_plain_one(cast):
    event = remove_viewer(cast)
    with country_context(cast.fr):
        kept = ActionReason.objects.get(pk=event.payload["reason"])
        key = ReasonDigestKey.objects.get(country=cast.fr).digest_key
    assert kept.reason == REASON and len(key) == 64
    assert event.payload["reason_hmac"] == hmac.new(bytes.fromhex(key), REASON.encode(), hashlib.sha256).hexdigest()
    flat = json.dumps(event.payload)
    assert hashlib.sha256(REASON.encode()).hexdigest() not in flat and "ministry" not in flat


def test_one_key_per_country_made_at_its_first_reason(cast):
    with country_context([cast.fr, cast.ke]):
        assert not ReasonDigestKey.objects.exists()
        first = reason_record(country=cast.fr, action="test.one", target=None, by=cast.owner, reason="A")
        second = reason_record(country=cast.fr, action="test.two", target=None, by=cast.owner, reason="A")
        kenya = reason_record(country=cast.ke, action="test.one", target=None, by=cast.outsider, reason="A")
        assert ReasonDigestKey.objects.filter(country=cast.fr).count() == 1
    # The same text, the same key: the same digest; under Kenya's key, another.
    assert first["reason_hmac"] == second["reason_hmac"] != kenya["reason_hmac"]
    assert first["reason"] != second["reason"]


def test_an_event_naming_a_reason_without_its_digest_is_refused(cast):
    with country_context(cast.fr):
        kept = ActionReason.objects.create(country=cast.fr, action="test.x", reason="Because.", by=cast.owner)
        with pytest.raises(PayloadRefused, match="carries its digest"):
            event_record(country=cast.fr, action="member.removed", payload={"reason": kept.pk})


# --- The country's export, verified offline and by the portal ----------------------------------------


def test_a_genuine_export_verifies_every_reason_message_and_attachment(cast, media, tmp_path):
    remove_viewer(cast)
    write_with_attachment(cast)
    export = exported(cast, tmp_path / "fr.zip")
    assert country_export_verify(export) == []
    result = run_verifier(tmp_path, export)
    assert result.returncode == 0, result.stdout + result.stderr
    # The viewer's removal and the engagement's submission (engagement_in gives a comment).
    assert "2 reasons, 1 messages, 1 attached files" in result.stdout, result.stdout
    assert "every reason, message and attached file" in result.stdout


def test_a_reason_altered_after_it_was_recorded_is_caught(cast, media, tmp_path):
    event = remove_viewer(cast)
    with country_context(cast.fr):
        kept = ActionReason.objects.get(pk=event.payload["reason"])
        kept.reason = "She asked to leave."  # sealed again, as any write through the portal would
        kept.save()
    export = exported(cast, tmp_path / "fr.zip")
    expected = f"reason {kept.pk} (event {event.sequence}) is not the text recorded (altered)"
    assert f"record: {expected}" in country_export_verify(export)
    result = run_verifier(tmp_path, export)
    assert result.returncode == 1 and expected in result.stdout, result.stdout + result.stderr


def test_a_reason_deleted_or_a_key_changed_is_caught(cast, media, tmp_path):
    event = remove_viewer(cast)
    with country_context(cast.fr):
        key = ReasonDigestKey.objects.get(country=cast.fr)
        key.digest_key = "ab" * 32
        key.save()
    changed = run_verifier(tmp_path, exported(cast, tmp_path / "key.zip"))
    assert changed.returncode == 1 and "is not the text recorded" in changed.stdout
    with country_context(cast.fr):
        ActionReason.objects.filter(pk=event.payload["reason"]).delete()
    deleted = run_verifier(tmp_path, exported(cast, tmp_path / "deleted.zip"))
    assert deleted.returncode == 1
    assert f"reason {event.payload['reason']} (event {event.sequence}) is not in the export" in deleted.stdout


def test_a_message_altered_after_it_was_recorded_is_caught(cast, media, tmp_path):
    message = write_with_attachment(cast, text="We agree to the terms.")
    with country_context(cast.fr):
        stored = Message.objects.get(pk=message.pk)
        stored.body = "We refuse the terms."
        stored.save()
        sequence = CountryEvent.objects.get(action="conversation.message_posted").sequence
    export = exported(cast, tmp_path / "fr.zip")
    expected = f"message {message.pk} (event {sequence}) is not the text recorded (altered)"
    assert f"record: {expected}" in country_export_verify(export)
    result = run_verifier(tmp_path, export)
    assert result.returncode == 1 and expected in result.stdout, result.stdout


def test_an_attachment_replaced_with_its_row_rewritten_to_match_is_caught(cast, media, tmp_path):
    """The file and the SHA-256 its row keeps both changed (so the export's own check of files
    against their rows passes): only the digest on the chain tells."""
    message = write_with_attachment(cast)
    with country_context(cast.fr):
        attachment = MessageAttachment.objects.get(message=message)
        files.file_save(row=attachment, name=attachment.path, content=OTHER_PDF, replace=True)
        MessageAttachment.objects.filter(pk=attachment.pk).update(sha256=hashlib.sha256(OTHER_PDF).hexdigest())
        sequence = CountryEvent.objects.get(action="conversation.message_posted").sequence
    export = exported(cast, tmp_path / "fr.zip")
    expected = f"the files attached to message {message.pk} (event {sequence}) are not the ones recorded"
    problems = country_export_verify(export)
    assert any(expected in problem for problem in problems), problems
    result = run_verifier(tmp_path, export)
    assert result.returncode == 1 and expected in result.stdout, result.stdout


def test_an_attachments_digest_is_keyed_never_its_plain_sha256(cast, media):
    message = write_with_attachment(cast)
    with country_context(cast.fr):
        payload = CountryEvent.objects.get(action="conversation.message_posted").payload
        key = Conversation.objects.get(pk=message.conversation_id).digest_key
    assert payload["attachments_hmac"] == [hmac.new(bytes.fromhex(key), PDF, hashlib.sha256).hexdigest()]
    assert "attachments" not in payload and hashlib.sha256(PDF).hexdigest() not in json.dumps(payload)


def test_a_text_emptied_by_its_authors_erasure_is_counted_not_failed(cast, media, tmp_path):
    event = remove_viewer(cast)
    with country_context(cast.fr):
        kept = ActionReason.objects.get(pk=event.payload["reason"])
        kept.reason = ""  # what the erasure of its author does to it (tenants.keys.holdings)
        kept.save()
    export = exported(cast, tmp_path / "fr.zip")
    assert country_export_verify(export) == []
    result = run_verifier(tmp_path, export)
    assert result.returncode == 0, result.stdout
    assert "Texts emptied by the erasure of the person who wrote them (not checkable): 1" in result.stdout


def test_events_recorded_before_the_digests_still_verify(cast, media, tmp_path):
    """A reason named by id only, a message with the plain SHA-256 of its text and of its file: the
    chain is never rewritten, so an export holding them verifies (the plain digests are checked)."""
    message = write_with_attachment(cast, text="Yes")
    with country_context(cast.fr):
        kept = ActionReason.objects.create(country=cast.fr, action="member.removed", reason="Old.", by=cast.owner)
        conversation = Conversation.objects.get(pk=message.conversation_id)
        old = {
            "message": message.pk,
            "subject": conversation.subject,
            "subject_id": conversation.subject_id,
            "sha256": hashlib.sha256(b"Yes").hexdigest(),
            "attachments": [hashlib.sha256(PDF).hexdigest()],
        }
        # As the release before recorded them (inserted unchained, then chained as any event is).
        for action, payload in (("member.removed", {"reason": kept.pk}), ("conversation.message_posted", old)):
            CountryEvent.objects.create(
                country=cast.fr, action=action, at=message.created_at, payload=payload, prev_hash="", hash=""
            )
        chain_catch_up(country=cast.fr)
    export = exported(cast, tmp_path / "fr.zip")
    assert country_export_verify(export) == []
    result = run_verifier(tmp_path, export)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Reasons named by events recorded before reasons carried a digest: 1" in result.stdout
    assert "1 reasons, 2 messages, 2 attached files" in result.stdout, result.stdout

    # The plain SHA-256 an old event holds still catches a changed text.
    with country_context(cast.fr):
        stored = Message.objects.get(pk=message.pk)
        stored.body = "No"
        stored.save()
    changed = run_verifier(tmp_path, exported(cast, tmp_path / "changed.zip"))
    assert changed.returncode == 1 and f"message {message.pk}" in changed.stdout


# --- Every reason a person writes goes the same way: exits and erasures too ------------------------------


@pytest.fixture
def platform_admin(db):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_superuser("admin", "admin@platform.example", "correct-horse-battery-staple")


def named_reason(country, action: str) -> tuple[CountryEvent, ActionReason]:
    with country_context(country):
        event = CountryEvent.objects.get(action=action)
        return event, ActionReason.objects.get(pk=event.payload["reason"])


def test_an_exits_reasons_are_on_the_record_with_their_digests(cast, platform_admin):
    from tenants.keys import exit as exits
    from tenants.keys.models import CountryExit
    from tenants.models import PlatformSettings

    settings = PlatformSettings.load()
    settings.exit_waiting_days = 0
    settings.save()
    asked = exits.country_exit_request(
        country=cast.fr, reason="The ministry moves to a national platform.", by=cast.owner, **_country(cast)
    )
    exits.country_exit_confirm(exit=asked, by=platform_admin, access=None, side=exits.PLATFORM)
    exits.country_exit_run(
        exit=asked,
        reason="Agreed at the steering committee.",
        by=platform_admin,
        access=None,
        side=exits.PLATFORM,
        schedule=False,
    )
    for action, text in (
        ("exit.requested", "The ministry moves to a national platform."),
        ("exit.started", "Agreed at the steering committee."),
    ):
        event, kept = named_reason(cast.fr, action)
        assert (kept.reason, kept.action, kept.target_id) == (text, action, str(asked.pk))
        assert {k: event.payload[k] for k in ("reason", "reason_hmac")} == on_record(kept)
        assert text not in json.dumps(event.payload)
    with country_context(cast.fr):  # the exit's own page still reads them where it did
        stored = CountryExit.objects.get(pk=asked.pk)
        assert (stored.reason, stored.run_reason) == (
            "The ministry moves to a national platform.",
            "Agreed at the steering committee.",
        )


def test_an_erasures_reason_is_on_the_record_with_its_digest_when_one_is_given(cast):
    from tenants.keys import erasure as erasures

    with country_context(cast.fr):
        viewer = Membership.objects.select_related("country").get(user=cast.viewer)
        member = Membership.objects.select_related("country").get(user=cast.member)
    erasures.member_erasure_request(membership=viewer, reason="Their letter of 3 June.", **act(cast.owner))
    event, kept = named_reason(cast.fr, "member.erasure_requested")
    assert kept.reason == "Their letter of 3 June." and event.payload == {"member": viewer.pk, **on_record(kept)}
    # Without a reason (it is optional here), the event names none.
    erasures.member_erasure_request(membership=member, reason="", **act(cast.owner))
    with country_context(cast.fr):
        events = CountryEvent.objects.filter(action="member.erasure_requested").order_by("sequence")
        assert events.last().payload == {"member": member.pk}


def _country(cast) -> dict:
    from tenants.keys import exit as exits

    return {"access": access_for(cast.owner), "side": exits.COUNTRY}
