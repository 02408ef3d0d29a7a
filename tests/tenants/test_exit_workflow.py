"""A country's exit as a workflow with four eyes: one side asks (the country's admin or a platform
admin), the other confirms, a waiting period set by the platform passes, then the exit is run: a
last export, verified, and the destruction of the keys. Driven here through the management
command, the pages (with the real worker) and the API, with every step on the record."""

from __future__ import annotations

import io
from datetime import timedelta
from html import unescape

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from tenants.errors import NotAllowed, ServiceError
from tenants.isolation import country_context
from tenants.keys import exit as exits
from tenants.keys.export import country_export_verify_stored, export_open
from tenants.keys.fields import Unreadable
from tenants.keys.models import CountryExit, CountryKey
from tenants.languages.models import Preferences
from tenants.models import Country, Membership, PlatformSettings
from tenants.record.ledger import chain_verify
from tests.conftest import wait_for

from .leaving import act, actions, fr_history

pytestmark = pytest.mark.django_db

REASON = "The ministry moves its AI services to a national platform."


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def admin(db):
    return get_user_model().objects.create_superuser("admin", "admin@platform.example", "correct-horse-battery-staple")


@pytest.fixture
def second_admin(cast):
    """A second country admin of France (the same side as the owner)."""
    user = get_user_model().objects.create_user("second", "second@numerique.gouv.fr", "correct-horse-battery-staple")
    with country_context(cast.fr):
        Membership.objects.create(country=cast.fr, user=user, organisation=cast.fr_ministry, role="country_admin")
    Preferences.objects.create(user=user, language="en")  # English pages, like the rest of the cast
    return user


@pytest.fixture
def no_wait(db):
    settings = PlatformSettings.load()
    settings.exit_waiting_days = 0
    settings.save()


def country_side(cast, user=None):
    return {"access": act(user or cast.owner)["access"], "by": user or cast.owner, "side": exits.COUNTRY}


def platform_side(admin):
    return {"access": None, "by": admin, "side": exits.PLATFORM}


def state(cast) -> str:
    return Country.objects.get(pk=cast.fr.pk).status


# --- Four eyes ------------------------------------------------------------------------------------------


def test_the_country_asks_and_only_the_platform_confirms(cast, admin, second_admin, no_wait):
    exit = exits.country_exit_request(country=cast.fr, reason=REASON, **country_side(cast))
    with pytest.raises(ServiceError, match="confirmed by the other side"):
        exits.country_exit_confirm(exit=exit, **country_side(cast))
    with pytest.raises(ServiceError, match="confirmed by the other side"):
        exits.country_exit_confirm(exit=exit, **country_side(cast, second_admin))  # same side, other person
    with pytest.raises(ServiceError, match="Only a confirmed exit"):
        exits.country_exit_run(exit=exit, reason=REASON, **country_side(cast))  # one side alone cannot run it
    confirmed = exits.country_exit_confirm(exit=exit, **platform_side(admin))
    assert confirmed.state == "confirmed" and confirmed.confirmed_side == "platform"
    assert actions(cast.fr)[-2:] == ["exit.requested", "exit.confirmed"]
    assert state(cast) == "active"  # nothing changes for the country until the exit is run


def test_the_platform_asks_and_only_the_country_confirms(cast, admin):
    other = get_user_model().objects.create_superuser("admin2", "admin2@platform.example", "x")
    exit = exits.country_exit_request(country=cast.fr, reason=REASON, **platform_side(admin))
    with pytest.raises(ServiceError, match="confirmed by the other side"):
        exits.country_exit_confirm(exit=exit, **platform_side(other))
    with pytest.raises(NotAllowed):
        exits.country_exit_confirm(exit=exit, **country_side(cast, cast.member))  # an officer is not an admin
    with pytest.raises(NotAllowed):
        exits.country_exit_confirm(exit=exit, **country_side(cast, cast.outsider))  # Kenya's admin
    assert exits.country_exit_confirm(exit=exit, **country_side(cast)).state == "confirmed"


def test_one_person_holding_both_roles_cannot_confirm_their_own_request(cast):
    both = get_user_model().objects.create_superuser("both", "both@example.org", "x")
    with country_context(cast.fr):
        Membership.objects.create(country=cast.fr, user=both, organisation=cast.fr_ministry, role="country_admin")
    exit = exits.country_exit_request(
        country=cast.fr, reason=REASON, by=both, access=act(both)["access"], side="platform"
    )
    with pytest.raises(ServiceError, match="four eyes"):
        exits.country_exit_confirm(exit=exit, by=both, access=act(both)["access"], side="country_admin")


def test_who_may_not_take_part_and_bad_input_change_nothing(cast, admin):
    before = actions(cast.fr)
    with pytest.raises(NotAllowed):
        exits.country_exit_request(country=cast.fr, reason=REASON, **country_side(cast, cast.member))
    with pytest.raises(NotAllowed):
        exits.country_exit_request(country=cast.fr, reason=REASON, by=cast.owner, access=None, side="platform")
    with pytest.raises(ServiceError, match="Give the reason"):
        exits.country_exit_request(country=cast.fr, reason="   ", **country_side(cast))
    with pytest.raises(ServiceError, match="Choose the side"):
        exits.country_exit_request(country=cast.fr, reason=REASON, by=admin, access=None, side="both")
    assert actions(cast.fr) == before
    with country_context(cast.fr):
        assert not CountryExit.objects.exists()
    exits.country_exit_request(country=cast.fr, reason=REASON, **country_side(cast))
    with pytest.raises(ServiceError, match="already under way"):
        exits.country_exit_request(country=cast.fr, reason=REASON, **platform_side(admin))


def test_the_waiting_period_holds_and_either_side_can_cancel_meanwhile(cast, admin):
    settings = PlatformSettings.load()
    settings.exit_waiting_days = 30
    settings.save()
    exit = exits.country_exit_request(country=cast.fr, reason=REASON, **country_side(cast))
    exit = exits.country_exit_confirm(exit=exit, **platform_side(admin))
    assert exit.waiting_days == 30 and exit.effective_at > timezone.now() + timedelta(days=29)
    with pytest.raises(ServiceError, match="waiting period is not over"):
        exits.country_exit_run(exit=exit, reason=REASON, **platform_side(admin))
    assert state(cast) == "active"
    cancelled = exits.country_exit_cancel(exit=exit, reason="The country stays.", **country_side(cast))
    assert cancelled.state == "cancelled"
    assert actions(cast.fr)[-1] == "exit.cancelled"
    with country_context(cast.fr):
        assert CountryKey.objects.exclude(state="destroyed").count() == CountryKey.objects.count()


def test_a_run_that_stops_leaves_the_keys_whole_and_can_be_cancelled(cast, admin, media, no_wait, monkeypatch):
    fr_history(cast)
    exit = exits.country_exit_request(country=cast.fr, reason=REASON, **country_side(cast))
    exits.country_exit_confirm(exit=exit, **platform_side(admin))
    running = exits.country_exit_run(exit=exit, reason="Agreed on 1 March.", schedule=False, **platform_side(admin))
    assert state(cast) == "exiting"
    # The last export does not verify (a fault injected into the verification's answer).
    monkeypatch.setattr(exits, "country_export_verify_stored", lambda export: ["ledger: event 3 was altered"])
    stopped = exits.country_exit_proceed(exit_id=running.pk, country_id=cast.fr.pk)
    assert stopped.state == "failed" and stopped.error == "exit.unverified"
    assert stopped.error_text == "the last export did not verify (ledger: event 3 was altered)"
    with country_context(cast.fr):
        assert not CountryKey.objects.filter(state="destroyed").exists()
        assert Membership.objects.get(user=cast.member).phone == "+33 1 23 45 67 89"
    assert state(cast) == "exiting" and actions(cast.fr)[-1] == "exit.failed"
    exits.country_exit_cancel(exit=stopped, reason="The country stays.", **country_side(cast))
    assert state(cast) == "active"  # writable again: nothing was destroyed


# --- The whole exit through the management command ------------------------------------------------------


def test_an_exit_driven_through_the_command(cast, admin, media, no_wait, api):
    history = fr_history(cast)
    out = io.StringIO()
    # The country asks through the API; the operator confirms and runs it as a platform admin.
    api.force_login(cast.owner)
    asked = api.post("/api/v1/countries/FR/exit/request/", {"reason": REASON}, format="json")
    assert asked.status_code == 201 and asked.json()["exit"]["state"] == "requested"
    with pytest.raises(CommandError, match="not an active platform admin"):
        call_command("exit_country", "FR", "--confirm", "--by", "owner", stdout=out)
    call_command("exit_country", "FR", "--confirm", "--by", "admin", stdout=out)
    call_command("exit_country", "FR", "--run", "--yes", "--by", "admin", "--reason", "Agreed on 1 March.", stdout=out)
    text = out.getvalue()
    assert "exit confirmed" in text and "% Exporting" in text and "Verifying the export" in text
    assert "FR has left the programme" in text and "verified; keys destroyed" in text

    assert state(cast) == "exited"
    with country_context(cast.fr):
        done = CountryExit.objects.select_related("export").get()
        assert done.state == "exited" and done.percent == 100
        assert all(key.state == "destroyed" and not bytes(key.wrapped_key) for key in CountryKey.objects.all())
        assert isinstance(Membership.objects.get(pk=history.member.pk).phone, Unreadable)
        # Why it left, as each side put it, went with the keys too.
        assert isinstance(done.reason, Unreadable) and isinstance(done.run_reason, Unreadable)
        with connection.cursor() as cursor:
            cursor.execute("SELECT reason || run_reason FROM tenants_countryexit WHERE id = %s", [done.pk])
            stored = cursor.fetchone()[0]
        assert REASON not in stored and "Agreed on 1 March." not in stored
    # The last export holds every table and every file, and verifies.
    assert country_export_verify_stored(done.export) == []
    import zipfile

    with export_open(done.export) as handle:
        names = zipfile.ZipFile(io.BytesIO(handle.read())).namelist()
    assert any(name.startswith("files/governance.evidencefile/") for name in names)
    assert any(name.startswith("files/portal.compliancereport/") for name in names)
    steps = actions(cast.fr)
    for action in ("exit.requested", "exit.confirmed", "exit.started", "export.requested", "export.completed",
                   "exit.export_verified", "country.exited", "key.destroyed"):  # fmt: skip
        assert action in steps, action
    assert steps.index("export.completed") < steps.index("key.destroyed")
    assert chain_verify(country=cast.fr).ok and chain_verify(country=cast.ke).ok
    status = io.StringIO()
    call_command("exit_country", "FR", stdout=status)
    assert "Left the programme" in status.getvalue()
    with pytest.raises(CommandError, match="no exit under way"):
        call_command("exit_country", "FR", "--cancel", "--by", "admin", stdout=out)


def test_the_command_refuses_clearly(cast, admin):
    with pytest.raises(CommandError, match="No country with code ZZ"):
        call_command("exit_country", "ZZ")
    with pytest.raises(CommandError, match="--by"):
        call_command("exit_country", "FR", "--request", "--reason", REASON)
    with pytest.raises(CommandError, match="Give the reason"):
        call_command("exit_country", "FR", "--request", "--by", "admin")
    with pytest.raises(CommandError, match="no exit under way"):
        call_command("exit_country", "FR", "--run", "--yes", "--by", "admin", "--reason", REASON)


# --- The whole exit through the pages, with the real worker -----------------------------------------------


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_an_exit_driven_through_the_pages(client, cast, admin, celery_worker_process):
    PlatformSettings.objects.update_or_create(pk=1, defaults={"exit_waiting_days": 0})
    with country_context(cast.fr):
        member = Membership.objects.get(user=cast.member)
        member.phone = "+33 1 23 45 67 89"
        member.save()
    # The platform asks.
    client.force_login(admin)
    assert client.get("/platform/exits/").status_code == 200
    response = client.post("/platform/exits/fr/", {"action": "request", "reason": REASON})
    assert response.status_code == 302
    # The country's admin confirms on its Data and keys page.
    client.force_login(cast.owner)
    page = unescape(client.get("/c/fr/data/").content.decode())
    assert "Confirm the exit" in page and REASON in page
    assert client.post("/c/fr/data/exit/confirm/").status_code == 302
    # The irreversible step: a page of its own, a reason and a confirmation are required.
    run_page = client.get("/c/fr/data/exit/run/")
    assert run_page.status_code == 200 and "This cannot be undone." in unescape(run_page.content.decode())
    refused = client.post("/c/fr/data/exit/run/", {"run_reason": ""})
    text = unescape(refused.content.decode())
    assert refused.status_code == 400 and "Give the reason" in text and "Confirm that you understand" in text
    assert state(cast) == "active"
    ran = client.post("/c/fr/data/exit/run/", {"run_reason": "Agreed on 1 March.", "understood": "on"})
    assert ran.status_code == 302 and state(cast) in ("exiting", "exited")

    def finished():
        with country_context(cast.fr):
            return CountryExit.objects.filter(state__in=["exited", "failed"]).select_related("export").first()

    done = wait_for(finished, timeout=120)
    assert done.state == "exited", done.error
    assert state(cast) == "exited"
    progress = client.get("/c/fr/data/progress.json").json()
    assert progress["exit"]["state"] == "exited" and progress["exit"]["percent"] == 100
    page = unescape(client.get("/c/fr/data/").content.decode())
    assert "Left the programme" in page and "Read only" in page
    download = client.get(f"/c/fr/data/exports/{done.export_id}/download/")
    assert download.status_code == 200  # the last export is the country's to take after it left
    assert country_export_verify_stored(done.export) == []
    with country_context(cast.fr):
        assert isinstance(Membership.objects.get(user=cast.member).phone, Unreadable)


# --- The whole exit through the API ------------------------------------------------------------------------


def test_an_exit_driven_through_the_api(api, cast, admin, media, no_wait):
    fr_history(cast)
    api.force_login(admin)
    asked = api.post("/api/v1/platform/exits/FR/request/", {"reason": REASON}, format="json")
    assert asked.status_code == 201, asked.content
    api.force_login(cast.owner)
    assert api.get("/api/v1/countries/FR/exit/").json()["exit"]["requested_side"] == "platform"
    confirmed = api.post("/api/v1/countries/FR/exit/confirm/", {}, format="json")
    assert confirmed.status_code == 200 and confirmed.json()["exit"]["state"] == "confirmed"
    refused = api.post("/api/v1/countries/FR/exit/run/", {"reason": ""}, format="json")
    assert refused.status_code == 400 and "reason" in refused.json()["detail"].lower()
    ran = api.post("/api/v1/countries/FR/exit/run/", {"reason": "Agreed."}, format="json")
    assert ran.status_code == 202 and ran.json()["country_status"] == "exiting"
    # What the worker does with the job the run enqueued.
    done = exits.country_exit_proceed(exit_id=ran.json()["exit"]["id"], country_id=cast.fr.pk)
    assert done.state == "exited"
    status = api.get("/api/v1/countries/FR/exit/").json()
    assert status["country_status"] == "exited" and status["exit"]["percent"] == 100
    assert country_export_verify_stored(done.export) == []
    # After the exit, another request is refused clearly (400), not a 500.
    again = api.post("/api/v1/countries/FR/exit/request/", {"reason": REASON}, format="json")
    assert again.status_code == 400 and "already left" in again.json()["detail"]


def test_api_input_is_checked(api, cast, admin):
    api.force_login(cast.owner)
    unknown = api.post("/api/v1/countries/FR/exit/request/", {"reason": REASON, "when": "now"}, format="json")
    assert unknown.status_code == 400 and "when" in unknown.json()["errors"]
    long = api.post("/api/v1/countries/FR/exit/request/", {"reason": "x" * 3000}, format="json")
    assert long.status_code == 400
    nothing = api.post("/api/v1/countries/FR/exit/confirm/", {}, format="json")
    assert nothing.status_code == 404 and "no exit under way" in nothing.json()["detail"]
    with country_context(cast.fr):
        assert not CountryExit.objects.exists()


# --- Who may reach each route ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path, owner_status",
    [
        ("/c/fr/data/exit/request/", 400),  # reached: the empty reason is refused
        ("/c/fr/data/exit/confirm/", 404),  # reached: there is no exit under way
        ("/c/fr/data/exit/cancel/", 404),
        ("/c/fr/data/exit/run/", 404),
    ],
)
def test_country_exit_pages_by_person(client, cast, admin, path, owner_status):
    assert client.post(path).status_code == 302  # anonymous: to the sign-in page
    client.force_login(cast.member)
    assert client.post(path).status_code == 403  # same country, not an admin
    client.force_login(cast.outsider)
    assert client.post(path).status_code == 404  # another country's admin
    client.force_login(admin)
    assert client.post(path).status_code == 404  # the platform acts on its own pages
    client.force_login(cast.owner)
    assert client.post(path).status_code == owner_status
    with country_context(cast.fr):
        assert not CountryExit.objects.exists()


@pytest.mark.parametrize("path", ["/platform/exits/", "/platform/exits/fr/", "/platform/exits/fr/run/"])
def test_platform_exit_pages_by_person(client, cast, admin, path):
    assert client.get(path).status_code == 302
    for person in (cast.owner, cast.member, cast.outsider, cast.auditor):
        client.force_login(person)
        assert client.get(path).status_code == 403
    client.force_login(admin)
    expected = 404 if path.endswith("/run/") else 200  # no exit under way to run
    assert client.get(path).status_code == expected
    assert client.get("/platform/exits/zz/").status_code == 404


def test_exit_api_by_person(api, cast, admin):
    assert api.get("/api/v1/countries/FR/exit/").status_code == 401
    assert api.get("/api/v1/platform/exits/FR/").status_code == 401
    api.force_login(cast.member)
    assert api.get("/api/v1/countries/FR/exit/").status_code == 403
    assert api.post("/api/v1/countries/FR/exit/request/", {"reason": REASON}, format="json").status_code == 403
    assert api.get("/api/v1/platform/exits/FR/").status_code == 403
    api.force_login(cast.outsider)
    assert api.get("/api/v1/countries/FR/exit/").status_code == 404
    assert api.post("/api/v1/countries/FR/exit/request/", {"reason": REASON}, format="json").status_code == 404
    assert api.get("/api/v1/countries/KE/exit/").status_code == 200
    api.force_login(admin)
    assert api.get("/api/v1/countries/FR/exit/").status_code == 404  # not a member: the platform's door is its own
    assert api.get("/api/v1/platform/exits/FR/").status_code == 200
    assert api.get("/api/v1/platform/exits/ZZ/").status_code == 404
    api.force_login(cast.owner)
    body = api.get("/api/v1/countries/FR/exit/").json()
    assert body == {"country": "FR", "country_status": "active", "exit": None}
    with country_context(cast.fr):
        assert not CountryExit.objects.exists()


def test_a_platform_admins_token_limited_to_a_country_or_read_only_carries_no_platform_power(api, cast, admin):
    """A platform admin who is also a member of France makes personal tokens: one for France only,
    one read-only for every country they see. Neither acts, nor reads, for the platform in another
    country's exit; the admin's own session still does."""
    from tenants.access import access_for
    from tenants.identity.tokens import personal_token_create

    with country_context(cast.fr):
        Membership.objects.create(country=cast.fr, user=admin, organisation=cast.fr_ministry, role="viewer")
    access = access_for(admin)
    limited, _ = personal_token_create(
        user=admin, access=access, name="France only", country_ids=[cast.fr.pk], read_only=False, days=1
    )
    reading, _ = personal_token_create(
        user=admin, access=access, name="Reads", country_ids=sorted(access.country_ids), read_only=True, days=1
    )
    for raw in (limited, reading):
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        assert api.get("/api/v1/platform/exits/KE/").status_code == 403
        refused = api.post("/api/v1/platform/exits/KE/request/", {"reason": REASON}, format="json")
        assert refused.status_code == 403, refused.content
    api.credentials()
    with country_context(cast.ke):
        assert not CountryExit.objects.exists()
    # The service holds the same line whatever door a call comes by.
    with pytest.raises(NotAllowed):
        exits.country_exit_request(
            country=cast.ke,
            reason=REASON,
            by=admin,
            side=exits.PLATFORM,
            access=access.narrowed(country_ids=frozenset({cast.fr.pk}), read_only=False),
        )
    api.force_login(admin)
    assert api.get("/api/v1/platform/exits/KE/").status_code == 200
