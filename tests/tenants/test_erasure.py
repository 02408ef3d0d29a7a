"""A person's erasure from one country, with four eyes (one country admin asks, another confirms):
their personal data gone from every table, their files destroyed, their account closed (or, if
they belong to another country, kept and this country's rows moved to a pseudonym), their tokens
and sessions revoked, the record relabelled and still verifying, and a signed certificate."""

from __future__ import annotations

import io
import json
import zipfile
from html import unescape

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.files.storage import default_storage

from engagements.models import EngagementTransition
from governance.models import EvidenceFile, Incident
from tenants import files
from tenants.errors import NotAllowed, ServiceError
from tenants.identity.models import ApiToken
from tenants.identity.tokens import api_token_issue
from tenants.isolation import country_context
from tenants.keys import erasure as erasures
from tenants.keys.models import MemberErasure, SubjectAccessExport
from tenants.keys.subject_access import subject_access_build, subject_access_request
from tenants.languages.models import Preferences
from tenants.models import Membership
from tenants.notifications.models import Notification, OutgoingMail
from tenants.record.ledger import chain_verify
from tenants.record.models import CountryEvent, PlatformEvent
from tests.conftest import deliver_mail

from .leaving import act, export_zip, fr_history

pytestmark = pytest.mark.django_db

# What must be gone from France's data once Marc Member (officer of FR) is erased.
MARC = ["Marc", "member@example.org", "marc@numerique.gouv.fr", "+33 1 23 45 67 89", "Chef"]


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def second_admin(cast):
    user = get_user_model().objects.create_user(
        "second", "second@numerique.gouv.fr", "correct-horse-battery-staple", first_name="Sami", last_name="Second"
    )
    with country_context(cast.fr):
        Membership.objects.create(country=cast.fr, user=user, organisation=cast.fr_ministry, role="country_admin")
    Preferences.objects.create(user=user, language="en")  # English pages, like the rest of the cast
    return user


def membership_of(cast, user) -> Membership:
    with country_context(cast.fr):
        return Membership.objects.select_related("country").get(user=user)


def ask(cast, subject, by=None) -> MemberErasure:
    by = by or cast.owner
    return erasures.member_erasure_request(
        membership=membership_of(cast, subject), reason="Their letter of 3 June.", **act(by)
    )


# --- Four eyes ------------------------------------------------------------------------------------------


def test_one_admin_alone_cannot_erase_anyone(cast, second_admin):
    with pytest.raises(NotAllowed):
        ask(cast, cast.viewer, by=cast.member)  # an officer cannot even ask
    with pytest.raises(NotAllowed):
        erasures.member_erasure_request(membership=membership_of(cast, cast.viewer), **act(cast.outsider))
    asked = ask(cast, cast.member)
    with pytest.raises(ServiceError, match="the one who asked cannot"):
        erasures.member_erasure_confirm(erasure=asked, **act(cast.owner))
    with pytest.raises(ServiceError, match="already waiting"):
        ask(cast, cast.member, by=second_admin)
    own = ask(cast, second_admin)  # an admin may ask for their own erasure…
    with pytest.raises(ServiceError, match="cannot confirm their own erasure"):
        erasures.member_erasure_confirm(erasure=own, **act(second_admin))  # …but never confirm it
    with country_context(cast.fr):
        assert Membership.objects.filter(user=cast.member).exists()
        assert not MemberErasure.objects.filter(state="done").exists()
    cancelled = erasures.member_erasure_cancel(erasure=asked, reason="Asked by mistake.", **act(second_admin))
    assert cancelled.state == "cancelled"
    with pytest.raises(ServiceError, match="no longer waiting"):
        erasures.member_erasure_confirm(erasure=asked, **act(second_admin))


# --- Everything about the person, gone --------------------------------------------------------------


def test_erasure_removes_the_person_from_every_table_and_the_record_still_verifies(client, cast, media, second_admin):
    history = fr_history(cast)
    member = cast.member
    raw_token, _ = api_token_issue(user=member)
    client.force_login(member)  # a browser session
    assert Session.objects.count() == 1
    with country_context(cast.fr):
        assert CountryEvent.objects.filter(actor_id=member.pk, actor_label="member").exists()
    access_zip = subject_access_request(country=cast.fr, membership=membership_of(cast, member), **act(cast.owner))
    access_zip = subject_access_build(request_id=access_zip.pk, country_id=cast.fr.pk)
    assert default_storage.exists(access_zip.file_name)
    mail.outbox.clear()

    asked = ask(cast, member)
    done = erasures.member_erasure_confirm(erasure=asked, **act(second_admin))

    assert done.state == "done" and done.account_closed and done.pseudonym.startswith("erased-")
    assert done.subject_id is None and done.membership_id is None  # the row names the pseudonym only
    # The record: still verifying everywhere; the person is shown by pseudonym.
    assert chain_verify(country=cast.fr).ok and chain_verify(country=cast.ke).ok and chain_verify().ok
    with country_context(cast.fr):
        labels = set(CountryEvent.objects.filter(actor_id=member.pk).values_list("actor_label", flat=True))
        assert labels == {done.pseudonym}
        assert CountryEvent.objects.filter(action="member.erased").get().payload["pseudonym"] == done.pseudonym
    assert not PlatformEvent.objects.filter(actor_id=member.pk).exclude(actor_label=done.pseudonym).exists()
    # France's data, as a whole export sees it, no longer holds anything of Marc.
    everything = b"".join(
        archive_file for archive in [export_zip(cast.fr)] for archive_file in
        (archive.read(n) for n in archive.namelist() if n.startswith("data/"))
    ).decode()  # fmt: skip
    for trace in MARC:
        assert trace not in everything, trace
    # Rows of the country's record stay, naming the closed, pseudonymous account.
    with country_context(cast.fr):
        assert Incident.objects.get(pk=history.incident.pk).created_by_id == member.pk
        assert EvidenceFile.objects.get(pk=history.evidence.pk).uploaded_by_id == member.pk
        assert not Membership.objects.filter(user=member).exists()
        assert not Notification.objects.filter(user=member).exists()
        assert not SubjectAccessExport.objects.filter(subject=member).exists()
    assert default_storage.exists(history.evidence.path)  # evidence is the country's record: kept
    assert not default_storage.exists(access_zip.file_name)  # the copy of their data: destroyed
    assert done.files_destroyed == [access_zip.file_name.rsplit("/", 1)[-1]]
    # The account: closed, anonymous, signed out everywhere.
    member.refresh_from_db()
    assert member.username == done.pseudonym and not member.is_active and not member.has_usable_password()
    assert (member.first_name, member.last_name, member.email) == ("", "", "")
    assert ApiToken.objects.get(user=member).revoked_at is not None
    assert Session.objects.count() == 0
    assert client.get("/c/fr/").status_code == 302  # the old session no longer signs them in
    assert client.get("/api/v1/countries/", HTTP_AUTHORIZATION=f"Bearer {raw_token}").status_code == 401
    # Kenya is untouched.
    with country_context(cast.ke):
        assert Membership.objects.filter(user=cast.outsider).exists()


def test_a_certificate_signed_before_the_ledger_key_rotated_still_checks(cast, media, second_admin, key_files):
    """The certificate names the key that signed it and when: checked under that key of the keyring,
    not only under the key of the day."""
    from django.core.management import call_command

    from tenants.record import signing

    done = erasures.member_erasure_confirm(erasure=ask(cast, cast.member), **act(second_admin))
    assert erasures.erasure_certificate_valid(done.certificate, done.certificate_signature)
    call_command("rotate_signing_key", stdout=io.StringIO())
    assert erasures.erasure_certificate_valid(done.certificate, done.certificate_signature)
    # Unaltered only: a changed word, or another key named, does not check.
    altered = done.certificate.replace(done.pseudonym, "erased-000000000000")
    assert not erasures.erasure_certificate_valid(altered, done.certificate_signature)
    renamed = done.certificate.replace(json.loads(done.certificate)["key_id"], signing.public_key_id())
    assert not erasures.erasure_certificate_valid(renamed, done.certificate_signature)
    assert not erasures.erasure_certificate_valid("not a certificate", done.certificate_signature)


def test_the_certificate_is_signed_names_no_one_and_reaches_the_person(cast, media, second_admin):
    fr_history(cast)
    mail.outbox.clear()
    done = erasures.member_erasure_confirm(erasure=ask(cast, cast.member), **act(second_admin))
    certificate = json.loads(done.certificate)
    assert erasures.erasure_certificate_valid(done.certificate, done.certificate_signature)
    assert not erasures.erasure_certificate_valid(
        done.certificate.replace(done.pseudonym, "erased-000000000000"), done.certificate_signature
    )
    for trace in MARC:
        assert trace not in done.certificate
    assert certificate["pseudonym"] == done.pseudonym and certificate["account"] == "closed"
    with country_context(cast.fr):
        event = CountryEvent.objects.get(action="member.erased")
    assert certificate["ledger"] == {"chain": "FR", "sequence": event.sequence, "hash": event.hash}
    assert certificate["rows"]["tenants.Membership"] >= 1
    deliver_mail()
    sent = [m for m in mail.outbox if m.to == ["member@example.org"]]
    assert len(sent) == 1 and done.pseudonym in sent[0].body and done.certificate_signature in sent[0].body
    assert not OutgoingMail.objects.exclude(to="").exclude(sent_at=None).exists()  # wiped once sent


def test_their_own_words_are_emptied(cast, media, second_admin):
    """Olga (admin) wrote the comment on the engagement's submission; she asks for her own erasure."""
    history = fr_history(cast)
    done = erasures.member_erasure_confirm(erasure=ask(cast, cast.owner, by=cast.owner), **act(second_admin))
    with country_context(cast.fr):
        comments = list(
            EngagementTransition.objects.filter(engagement=history.engagement).values_list("comment", flat=True)
        )
    assert "Olga's own words about the plan." not in comments and "" in comments
    assert done.rows["engagements.EngagementTransition"] == 1


def test_a_person_of_another_country_keeps_their_account_there(cast, media, second_admin):
    history = fr_history(cast)
    with country_context(cast.ke):
        Membership.objects.create(country=cast.ke, user=cast.member, organisation=cast.ke_ministry, role="viewer")
    done = erasures.member_erasure_confirm(erasure=ask(cast, cast.member), **act(second_admin))
    assert not done.account_closed
    cast.member.refresh_from_db()
    assert cast.member.username == "member" and cast.member.is_active  # Kenya still needs it
    stand_in = get_user_model().objects.get(username=done.pseudonym)
    assert not stand_in.is_active and not stand_in.has_usable_password() and stand_in.email == ""
    with country_context(cast.fr):
        assert Incident.objects.get(pk=history.incident.pk).created_by_id == stand_in.pk  # moved to the pseudonym
        assert not Incident.objects.filter(created_by=cast.member).exists()
        assert set(CountryEvent.objects.filter(actor_id=cast.member.pk).values_list("actor_label", flat=True)) == {
            done.pseudonym
        }
    with country_context(cast.ke):
        assert Membership.objects.filter(user=cast.member).exists()
    assert chain_verify(country=cast.fr).ok and chain_verify().ok


def test_the_ledger_accepts_no_other_relabelling(cast):
    """The one change the chain admits is a pseudonym of an erased (inactive) account: a name, or a
    pseudonym nobody holds, is refused by the database."""
    from django.db import DatabaseError, connection, transaction

    with country_context(cast.fr):
        for label in ("Someone Else", "erased-abcdef123456"):
            with pytest.raises(DatabaseError, match="pseudonym"), transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT portal_ledger_relabel(%s, %s, %s)", [cast.fr.pk, cast.owner.pk, label])
        # The runtime role holds no UPDATE on the chain, flag or not: only the function can relabel.
        with (
            pytest.raises(DatabaseError, match="permission denied"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute("SELECT set_config('portal.relabel', 'on', true)")
            cursor.execute("UPDATE tenants_countryevent SET actor_label = 'x' WHERE country_id = %s", [cast.fr.pk])
    with country_context(cast.ke):
        get_user_model().objects.create(username="erased-abcdef123456", is_active=False)
        with pytest.raises(DatabaseError, match="scope"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT portal_ledger_relabel(%s, %s, %s)", [cast.fr.pk, cast.owner.pk, "erased-abcdef123456"]
            )


# --- Pages ---------------------------------------------------------------------------------------------------


def test_erasure_through_the_pages(client, cast, media, second_admin):
    fr_history(cast)
    member = membership_of(cast, cast.member)
    path = f"/c/fr/members/{member.pk}/erasure/"
    client.force_login(cast.owner)
    assert "Erase their personal data" in unescape(client.get(f"/c/fr/members/{member.pk}/").content.decode())
    assert client.post(path, {"action": "request", "reason": "Their letter."}).status_code == 302
    page = unescape(client.get(path).content.decode())
    assert "Waiting for another country admin to confirm." in page and "Yes, erase their data" not in page
    client.force_login(second_admin)
    refused = client.post(path, {"action": "confirm"})
    assert refused.status_code == 400 and "Confirm that you understand" in unescape(refused.content.decode())
    assert membership_of(cast, cast.member)
    confirmed = client.post(path, {"action": "confirm", "understood": "on"})
    assert confirmed.status_code == 302
    with country_context(cast.fr):
        done = MemberErasure.objects.get(state="done")
    assert confirmed["Location"] == f"/c/fr/data/erasures/{done.pk}/"
    detail = unescape(client.get(confirmed["Location"]).content.decode())
    assert done.pseudonym in detail and "Certificate of erasure" in detail
    document = client.get(f"/c/fr/data/erasures/{done.pk}/certificate/").json()
    assert erasures.erasure_certificate_valid(document["certificate"], document["signature"])
    assert done.pseudonym in unescape(client.get("/c/fr/data/").content.decode())


@pytest.mark.parametrize(
    "page", ["members/{member}/erasure/", "data/erasures/{erasure}/", "data/erasures/{erasure}/certificate/"]
)
def test_erasure_pages_by_person(client, cast, second_admin, page):
    viewer = membership_of(cast, cast.viewer)
    done = erasures.member_erasure_confirm(erasure=ask(cast, cast.viewer), **act(second_admin))
    target = membership_of(cast, cast.member)
    path = "/c/fr/" + page.format(member=target.pk, erasure=done.pk)
    assert client.get(path).status_code == 302
    client.force_login(cast.member)
    assert client.get(path).status_code == 403
    client.force_login(cast.outsider)
    assert client.get(path).status_code == 404
    assert client.get(path.replace("/c/fr/", "/c/ke/")).status_code == 404  # not Kenya's
    platform = get_user_model().objects.create_superuser("admin", "admin@platform.example", "x")
    client.force_login(platform)
    assert client.get(path).status_code == 404  # the platform is not a member of France
    client.force_login(cast.owner)
    assert client.get(path).status_code == 200
    assert client.get(f"/c/fr/members/{viewer.pk}/erasure/").status_code == 404  # erased: no longer a member


# --- API -----------------------------------------------------------------------------------------------------


def test_erasure_through_the_api(api, cast, media, second_admin):
    fr_history(cast)
    member = membership_of(cast, cast.member)
    api.force_login(cast.member)
    assert api.post(f"/api/v1/countries/FR/members/{member.pk}/erasure/", {}, format="json").status_code == 403
    api.force_login(cast.outsider)
    assert api.post(f"/api/v1/countries/FR/members/{member.pk}/erasure/", {}, format="json").status_code == 404
    api.logout()
    assert api.post(f"/api/v1/countries/FR/members/{member.pk}/erasure/", {}, format="json").status_code == 401
    api.force_login(cast.owner)
    asked = api.post(f"/api/v1/countries/FR/members/{member.pk}/erasure/", {"reason": "Letter."}, format="json")
    assert asked.status_code == 201 and asked.json()["state"] == "requested"
    erasure_id = asked.json()["id"]
    same = api.post(f"/api/v1/countries/FR/erasures/{erasure_id}/confirm/", format="json")
    assert same.status_code == 400 and "second country admin" in same.json()["detail"]
    api.force_login(second_admin)
    confirmed = api.post(f"/api/v1/countries/FR/erasures/{erasure_id}/confirm/", format="json")
    assert confirmed.status_code == 200, confirmed.content
    body = confirmed.json()
    assert body["state"] == "done" and erasures.erasure_certificate_valid(
        body["certificate"], body["certificate_signature"]
    )
    assert api.get(f"/api/v1/countries/FR/erasures/{erasure_id}/").json()["pseudonym"] == body["pseudonym"]
    assert api.get("/api/v1/countries/FR/erasures/999999/").status_code == 404
    assert api.get("/api/v1/countries/FR/erasures/abc/").status_code == 404
    api.force_login(cast.outsider)
    assert api.get(f"/api/v1/countries/FR/erasures/{erasure_id}/").status_code == 404
    assert api.get(f"/api/v1/countries/KE/erasures/{erasure_id}/").status_code == 404


def test_subject_access_zip_is_destroyed_with_the_person(cast, media, second_admin):
    """The zip of everything about them is the one file about them: it goes, its hash stays."""
    fr_history(cast)
    built = subject_access_build(
        request_id=subject_access_request(
            country=cast.fr, membership=membership_of(cast, cast.member), **act(cast.owner)
        ).pk,
        country_id=cast.fr.pk,
    )
    data = files.file_read(row=built, name=built.file_name)
    assert "Marc" in zipfile.ZipFile(io.BytesIO(data)).read("person.json").decode()
    erasures.member_erasure_confirm(erasure=ask(cast, cast.member), **act(second_admin))
    assert not default_storage.exists(built.file_name)


@pytest.mark.parametrize("method, suffix", [("get", ""), ("post", "confirm/"), ("post", "cancel/")])
def test_erasure_api_by_person(api, cast, second_admin, method, suffix):
    asked = ask(cast, cast.viewer)
    path = f"/api/v1/countries/FR/erasures/{asked.pk}/{suffix}"
    assert getattr(api, method)(path, format="json").status_code == 401
    for person, code in ((cast.member, 403), (cast.viewer, 403), (cast.outsider, 404), (cast.auditor, 403)):
        api.force_login(person)
        assert getattr(api, method)(path, format="json").status_code == code, person
    platform = get_user_model().objects.create_superuser("admin", "admin@platform.example", "x")
    api.force_login(platform)
    assert getattr(api, method)(path, format="json").status_code == 404  # not a member of France
    with country_context(cast.fr):
        assert MemberErasure.objects.get(pk=asked.pk).state == "requested"  # nobody above changed it
    api.force_login(second_admin)
    if suffix == "cancel/":  # a cancelling says why
        refused = api.post(path, {}, format="json")
        assert refused.status_code == 400 and "Say why" in str(refused.json()), refused.json()
        with country_context(cast.fr):
            assert MemberErasure.objects.get(pk=asked.pk).state == "requested"
        assert api.post(path, {"reason": "Asked by mistake."}, format="json").status_code == 200
        return
    assert getattr(api, method)(path, format="json").status_code == 200
