"""A country's "Data and keys" page (/c/<code>/data/): for its country admins only (other people of
the country 403, everyone else 404); key rotation and full exports requested from it, their live
progress (progress.json) and the download of a finished export, each on the record."""

from __future__ import annotations

import base64
import hashlib
import io
import re
import zipfile
from datetime import timedelta
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tenants.isolation import country_context
from tenants.keys.export import country_export_build, country_export_request
from tenants.keys.models import CountryExport, CountryKey, KeyRotation
from tenants.keys.rotation import country_key_rotate, country_keys_destroy, key_rotation_sweep
from tenants.models import Membership
from tenants.record.models import ActionReason, CountryEvent

pytestmark = pytest.mark.django_db

READ_PAGES = ["data/", "data/progress.json"]
WRITE_PAGES = ["data/key/rotate/", "data/exports/"]


def as_user(client, user):
    client.force_login(user)
    return client


def body(response) -> str:
    return unescape(response.content.decode())


def fr_rows(cast) -> tuple:
    """Everything a refused request must leave as it was."""
    with country_context(cast.fr):
        return (
            KeyRotation.objects.count(),
            CountryExport.objects.count(),
            CountryKey.objects.count(),
            CountryEvent.objects.count(),
        )


def fr_actions(cast) -> list[str]:
    with country_context(cast.fr):
        return list(CountryEvent.objects.order_by("sequence").values_list("action", flat=True))


@pytest.fixture
def sealed(cast):
    """FR holds personal details sealed under its key (which makes the key)."""
    with country_context(cast.fr):
        for user, phone in ((cast.member, "+33 1 23 45 67 89"), (cast.owner, "+33 6 00 00 00 01")):
            membership = Membership.objects.get(user=user)
            membership.phone = phone
            membership.save()
        return CountryKey.objects.get(state="active")


def finished_export(cast) -> CountryExport:
    export = country_export_request(country=cast.fr, by=cast.owner, actor_role="country_admin")
    return country_export_build(export_id=export.pk, country_id=cast.fr.pk)


# --- Who may open the pages ------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["fr", "FR"])
def test_country_admin_opens_the_page_and_its_progress(client, cast, code):
    as_user(client, cast.owner)
    for page in READ_PAGES:
        assert client.get(f"/c/{code}/{page}").status_code == 200, page


def test_other_people_of_the_country_get_403_and_change_nothing(client, cast):
    before = fr_rows(cast)
    for user in (cast.member, cast.viewer, cast.partner, cast.auditor):
        as_user(client, user)
        for page in READ_PAGES:
            response = client.get(f"/c/fr/{page}")
            assert response.status_code == 403, (user.username, page)
        for page in WRITE_PAGES:
            assert client.post(f"/c/fr/{page}").status_code == 403, (user.username, page)
    assert fr_rows(cast) == before


def test_another_country_gets_404_and_anonymous_visitors_sign_in(client, cast):
    export = finished_export(cast)
    before = fr_rows(cast)
    as_user(client, cast.outsider)
    for page in READ_PAGES + [f"data/exports/{export.pk}/download/"]:
        assert client.get(f"/c/fr/{page}").status_code == 404, page
    for page in WRITE_PAGES:
        assert client.post(f"/c/fr/{page}").status_code == 404, page
    # France's export under Kenya's own address is no better.
    assert client.get(f"/c/ke/data/exports/{export.pk}/download/").status_code == 404
    client.logout()
    for page in READ_PAGES + [f"data/exports/{export.pk}/download/"]:
        response = client.get(f"/c/fr/{page}")
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")
    for page in WRITE_PAGES:
        assert client.post(f"/c/fr/{page}").status_code == 302
    assert fr_rows(cast) == before


def test_writes_are_posts_only(client, cast):
    as_user(client, cast.owner)
    assert client.get("/c/fr/data/exports/").status_code == 405
    assert client.get("/c/fr/data/key/rotate/").status_code == 200  # the confirmation page
    assert client.post("/c/fr/data/").status_code == 405


def test_navigation_offers_data_and_keys_to_country_admins_only(client, cast):
    owner_html = as_user(client, cast.owner).get("/c/fr/data/").content.decode()
    assert re.search(r'href="/c/fr/data/" aria-current="page"', owner_html)
    assert 'href="/c/fr/data/"' not in as_user(client, cast.member).get("/c/fr/members/").content.decode()


# --- The page ----------------------------------------------------------------------------------------


def test_page_shows_the_key_but_never_its_material(client, cast, sealed):
    response = as_user(client, cast.owner).get("/c/fr/data/")
    text = body(response)
    assert sealed.key_id in text and "Key in service" in text
    assert re.search(r"Retired keys\s*</dt>\s*<dd[^>]*>0", response.content.decode())
    wrapped = bytes(sealed.wrapped_key)
    for form in (wrapped.hex(), base64.b64encode(wrapped).decode()):
        assert form not in text
    assert sealed.master_key_id not in text


def test_page_warns_about_exports_and_offers_only_a_request_to_leave(client, cast):
    text = body(as_user(client, cast.owner).get("/c/fr/data/"))
    assert "govuk-warning-text" in text and "in the clear" in text and "30 days" in text
    assert "a country admin and a platform admin" in text and "This cannot be undone." in text
    forms = re.findall(r'<form method="post" action="([^"]+)"', text)
    assert "/c/fr/data/exports/" in forms and 'href="/c/fr/data/key/rotate/"' in text  # rotation asks first
    # Leaving starts with a request the platform must confirm: nothing on this page destroys a key.
    assert [action for action in forms if "exit" in action] == ["/c/fr/data/exit/request/"]
    assert "/c/fr/data/exit/run/" not in text
    assert "/static/js/data-progress.js" in text and 'type="module"' in text


def test_page_names_every_text_that_stays_readable_and_why(client, cast):
    from tenants.keys.holdings import plain_texts

    text = body(as_user(client, cast.owner).get("/c/fr/data/"))
    listed = text.split('id="plain-texts"', 1)[1].split("</dl>", 1)[0]
    for entry in plain_texts():
        assert str(entry.what) in listed and str(entry.why) in listed
    assert "The public AI register" in listed and "names of the people on the activity record" in listed
    assert 'href="#stays-readable"' in text


def test_a_country_without_a_key_yet_says_so(client, cast):
    text = body(as_user(client, cast.owner).get("/c/fr/data/"))
    assert "None yet. A key is made when the first personal detail is stored." in text


# --- Rotation ----------------------------------------------------------------------------------------


def test_rotating_the_key_records_it_and_schedules_the_sweep(client, cast, sealed, django_capture_on_commit_callbacks):
    as_user(client, cast.owner)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post("/c/fr/data/key/rotate/", {"comment": "Yearly rotation."})
    assert response.status_code == 302 and response["Location"] == "/c/fr/data/"
    assert len(callbacks) == 1  # the sweep, enqueued once the rotation is committed
    with country_context(cast.fr):
        rotation = KeyRotation.objects.get()
        assert rotation.state == "pending" and rotation.total == 2
        assert CountryKey.objects.get(state="active").key_id == rotation.to_key_id
        assert CountryKey.objects.get(pk=sealed.pk).state == "retired"
        event = CountryEvent.objects.get(action="key.rotated")
    assert event.actor_id == cast.owner.pk and event.actor_role == "country_admin"
    assert event.payload["key_id"] == rotation.to_key_id and event.payload["previous_key_id"] == sealed.key_id
    with country_context(cast.fr):
        assert ActionReason.objects.get(pk=event.payload["reason"]).reason == "Yearly rotation."

    page = client.get("/c/fr/data/")
    text = body(page)
    assert f"Key {rotation.to_key_id} is now in service. 2 values sealed under older keys" in text
    assert "0 of 2 values re-encrypted (0%)" in text and "Pending" in text
    assert re.search(r"Retired keys\s*</dt>\s*<dd[^>]*>1", page.content.decode())
    assert "Refresh</a>" in text  # without JavaScript, the way to follow the sweep

    key_rotation_sweep(rotation_id=rotation.pk, country_id=cast.fr.pk)  # what the worker would do
    text = body(client.get("/c/fr/data/"))
    assert "2 of 2 values re-encrypted (100%)" in text and "Done" in text
    assert "Refresh</a>" not in text


def test_rotation_is_refused_once_the_keys_are_destroyed(client, cast, sealed):
    country_keys_destroy(country=cast.fr)
    before = fr_rows(cast)
    response = as_user(client, cast.owner).post("/c/fr/data/key/rotate/")
    # A country that left is read-only: the refusal names the exit, before the view runs.
    assert response.status_code == 409
    assert "France left the programme on" in body(response) and "Nothing was changed." in body(response)
    assert fr_rows(cast) == before
    assert "Rotate the key" not in body(client.get("/c/fr/data/"))


# --- Exports -----------------------------------------------------------------------------------------


def test_requesting_an_export_records_it_and_schedules_the_build(client, cast, django_capture_on_commit_callbacks):
    as_user(client, cast.owner)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post("/c/fr/data/exports/")
    assert response.status_code == 302 and response["Location"] == "/c/fr/data/"
    assert len(callbacks) == 1
    with country_context(cast.fr):
        export = CountryExport.objects.get()
    assert export.state == "pending" and export.requested_by_id == cast.owner.pk and not export.for_exit
    assert fr_actions(cast)[-1] == "export.requested"
    text = body(client.get("/c/fr/data/"))
    assert "The export of France's data has been requested." in text
    assert "Waiting for a worker" in text and "by Olga Owner" in text
    assert f"/c/fr/data/exports/{export.pk}/download/" not in text


def test_an_export_is_refused_after_the_country_left(client, cast):
    country_keys_destroy(country=cast.fr)
    before = fr_rows(cast)
    response = as_user(client, cast.owner).post("/c/fr/data/exports/")
    assert response.status_code == 409
    assert "France left the programme on" in body(response)
    assert fr_rows(cast) == before
    # The page no longer offers what cannot be done.
    text = body(client.get("/c/fr/data/"))
    assert "Request a full export" not in text and "Rotate the key" not in text
    assert "nothing readable is left to export" in text


def test_progress_json_follows_rotations_and_exports(client, cast, sealed, django_capture_on_commit_callbacks):
    as_user(client, cast.owner)
    assert client.get("/c/fr/data/progress.json").json() == {
        "pending": False,
        "rotations": [],
        "exports": [],
        "exit": None,
    }
    with django_capture_on_commit_callbacks(execute=False):
        rotation = country_key_rotate(country=cast.fr, by=cast.owner, actor_role="country_admin")
        export = country_export_request(country=cast.fr, by=cast.owner, actor_role="country_admin")
    response = client.get("/c/fr/data/progress.json")
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    assert response.json() == {
        "pending": True,
        "rotations": [
            {
                "id": rotation.pk,
                "state": "pending",
                "state_label": "Pending",
                "tag": "govuk-tag--yellow",
                "done": 0,
                "total": 2,
                "percent": 0,
            }
        ],
        "exports": [
            {
                "id": export.pk,
                "state": "pending",
                "state_label": "Waiting for a worker",
                "tag": "govuk-tag--yellow",
                "step": "",
                "percent": 0,
                "download_url": None,
            }
        ],
        "exit": None,
    }
    # A worker half-way through the export.
    with country_context(cast.fr):
        CountryExport.objects.filter(pk=export.pk).update(
            state="running", step="export.table", step_params={"table": "tenants.membership"}, percent=40
        )
    running = client.get("/c/fr/data/progress.json").json()["exports"][0]
    assert (running["state"], running["step"], running["percent"]) == (
        "running",
        "Exporting the table tenants.membership",
        40,
    )

    key_rotation_sweep(rotation_id=rotation.pk, country_id=cast.fr.pk)
    country_export_build(export_id=export.pk, country_id=cast.fr.pk)
    progress = client.get("/c/fr/data/progress.json").json()
    assert progress["pending"] is False
    assert progress["rotations"][0] | {"id": 0} == {
        "id": 0,
        "state": "done",
        "state_label": "Done",
        "tag": "govuk-tag--green",
        "done": 2,
        "total": 2,
        "percent": 100,
    }
    assert progress["exports"][0]["state"] == "done" and progress["exports"][0]["percent"] == 100
    assert progress["exports"][0]["download_url"] == f"/c/fr/data/exports/{export.pk}/download/"


def test_a_finished_export_is_downloaded_and_the_download_recorded(client, cast, sealed):
    export = finished_export(cast)
    as_user(client, cast.owner)
    text = body(client.get("/c/fr/data/"))
    assert f'href="/c/fr/data/exports/{export.pk}/download/"' in text and "Ready" in text
    response = client.get(f"/c/fr/data/exports/{export.pk}/download/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == f'attachment; filename="fr-export-{export.pk}.zip"'
    data = b"".join(response.streaming_content)
    assert hashlib.sha256(data).hexdigest() == export.sha256
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert {"manifest.json", "manifest.sig", "data/tenants.membership.jsonl"} <= set(archive.namelist())
    assert "+33 1 23 45 67 89" in archive.read("data/tenants.membership.jsonl").decode()  # the country's data, opened
    with country_context(cast.fr):
        event = CountryEvent.objects.filter(action="export.downloaded").get()
    assert event.actor_id == cast.owner.pk and event.actor_role == "country_admin"
    assert event.target_id == str(export.pk) and event.payload == {"sha256": export.sha256, "bytes": export.size}
    # Only country admins download it.
    for user in (cast.member, cast.auditor):
        assert as_user(client, user).get(f"/c/fr/data/exports/{export.pk}/download/").status_code == 403


def test_unfinished_expired_and_unknown_exports_are_not_downloadable(client, cast, django_capture_on_commit_callbacks):
    expired = finished_export(cast)
    with django_capture_on_commit_callbacks(execute=False):
        pending = country_export_request(country=cast.fr, by=cast.owner, actor_role="country_admin")
    with country_context(cast.fr):
        CountryExport.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    as_user(client, cast.owner)
    for pk in (pending.pk, expired.pk, 999999):
        assert client.get(f"/c/fr/data/exports/{pk}/download/").status_code == 404, pk
    assert client.get("/c/fr/data/exports/abc/download/").status_code == 404
    assert "export.downloaded" not in fr_actions(cast)
    text = body(client.get("/c/fr/data/"))
    assert "Expired" in text and f"/c/fr/data/exports/{expired.pk}/download/" not in text


def test_an_export_made_by_the_platform_is_listed_too(client, cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        country_export_request(country=cast.fr, for_exit=True)  # as the operator's command does
    response = as_user(client, cast.owner).get("/c/fr/data/")
    assert response.status_code == 200
    assert "by the platform team · for leaving the programme" in body(response)


def test_page_and_progress_query_counts_do_not_grow_with_history(client, cast, sealed):
    def make(count):
        for _ in range(count):
            rotation = country_key_rotate(
                country=cast.fr, by=cast.owner, actor_role="country_admin", schedule_sweep=False
            )
            key_rotation_sweep(rotation_id=rotation.pk, country_id=cast.fr.pk)
            with country_context(cast.fr):
                CountryExport.objects.create(country=cast.fr, requested_by=cast.owner)

    def queries(path):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path).status_code == 200
        return len(captured)

    as_user(client, cast.owner)
    make(2)
    small = queries("/c/fr/data/"), queries("/c/fr/data/progress.json")
    make(12)
    assert (queries("/c/fr/data/"), queries("/c/fr/data/progress.json")) == small
    # The page lists the latest ten exports and five rotations, however many there were.
    html = client.get("/c/fr/data/").content.decode()
    assert html.count("data-export=") == 10 and html.count("data-rotation=") == 5
