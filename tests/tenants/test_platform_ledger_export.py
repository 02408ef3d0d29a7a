"""The platform chain's export: the page, the API and the command give the zip of a country's
export (events, checkpoints, the signed range, the key and verify_ledger.py), which the same
verifier checks offline; for platform admins only, and each download on the platform chain."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from tenants.record.ledger import platform_event_record
from tenants.record.models import PlatformEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(db):
    return get_user_model().objects.create_superuser("admin", "admin@platform.example", "correct-horse-battery-staple")


@pytest.fixture
def platform_history(db):
    for n in range(4):
        platform_event_record(action="auth.signed_in", actor_role="platform", payload={"n": n})


def verified(data: bytes, tmp_path) -> subprocess.CompletedProcess:
    folder = tmp_path / f"export-{len(list(tmp_path.iterdir()))}"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(folder)
    return subprocess.run(
        [sys.executable, "-I", "-S", "verify_ledger.py", "."], cwd=folder, capture_output=True, text=True, timeout=60
    )


def downloaded(response) -> bytes:
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/zip"
    return b"".join(response.streaming_content)


def head() -> int:
    return PlatformEvent.objects.exclude(sequence=None).order_by("-sequence").values_list("sequence", flat=True)[0]


def test_the_page_exports_the_platform_chain_and_it_verifies_offline(client, admin, platform_history, tmp_path):
    client.force_login(admin)
    page = client.get("/platform/ledger/")
    assert page.status_code == 200
    html = page.content.decode()
    last = head()  # the four events, after those of the admin's account being made
    assert f"It has {last} events." in html and f"export_ledger platform platform-ledger-1-{last}.zip" in html
    response = client.post("/platform/ledger/", {"first": "", "last": ""})
    assert response["Content-Disposition"] == f'attachment; filename="platform-ledger-1-{last}.zip"'
    data = downloaded(response)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert {"events.jsonl", "checkpoints.jsonl", "segment.json", "ledger-key.pem", "verify_ledger.py"} <= set(
            archive.namelist()
        )
    result = verified(data, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Chain platform: events 1 to {last}" in result.stdout and "from the chain's start" in result.stdout
    exported = PlatformEvent.objects.get(action="ledger.exported")
    assert (exported.actor_id, exported.actor_role, exported.payload) == (
        admin.pk,
        "platform_admin",
        {"first": 1, "last": last, "events": last, "via": "page"},
    )


def test_a_range_the_platform_chain_does_not_have_is_explained(client, admin, platform_history):
    client.force_login(admin)
    response = client.post("/platform/ledger/", {"first": "", "last": "99"})
    assert response.status_code == 400
    assert f"choose a last event of at most {head()}" in response.content.decode()
    assert not PlatformEvent.objects.filter(action="ledger.exported").exists()


def test_the_api_exports_the_platform_chain(client, admin, platform_history, tmp_path):
    client.force_login(admin)
    data = downloaded(client.get("/api/v1/platform/audit-events/export/", {"first": 2}))
    result = verified(data, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"a segment of chain platform, events 2 to {head() - 1}" in result.stdout  # before its own record
    assert client.get("/api/v1/platform/audit-events/export/", {"last": 99}).status_code == 400


def test_only_platform_admins_export_the_platform_chain(client, cast, platform_history):
    assert client.get("/platform/ledger/").status_code == 302
    assert client.get("/api/v1/platform/audit-events/export/").status_code == 401
    for person in (cast.owner, cast.outsider, cast.partner, cast.auditor):
        client.force_login(person)
        assert client.get("/platform/ledger/").status_code == 403
        assert client.post("/platform/ledger/", {}).status_code == 403
        assert client.get("/api/v1/platform/audit-events/export/").status_code == 403
    assert not PlatformEvent.objects.filter(action="ledger.exported").exists()


def test_the_command_exports_the_platform_chain(platform_history, tmp_path):
    target = tmp_path / "platform.zip"
    out = io.StringIO()
    last = head()
    call_command("export_ledger", "platform", str(target), stdout=out)
    assert f"Wrote {last} events (1–{last}) of platform" in out.getvalue()
    # The export is on the chain it took, after the events it holds.
    exported = PlatformEvent.objects.get(action="ledger.exported")
    assert exported.sequence == last + 1 and exported.payload["via"] == "command"
    result = verified(target.read_bytes(), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_page_and_the_admin_show_the_platform_chains_events_in_words(
    client, admin, cast, django_assert_num_queries
):
    """Every kind of platform event reads as words there, as a country's do on its activity page
    (tests/tenants/test_event_descriptions.py holds every kind the code records to a label and a
    detail): never its code, never its payload as keys and values."""
    from html import unescape

    from tenants.record.events import describe_platform_events
    from tenants.record.selectors import platform_events_latest

    platform_event_record(action="auth.signed_in", actor=cast.owner, payload={"via": "api-token"})
    platform_event_record(
        action="auth.credentials_revoked",
        target=cast.owner,
        payload={"reason": "password_changed", "bearers_revoked": 2, "sessions_ended": 1},
    )
    platform_event_record(action="ledger.verified", payload={"chains": 3, "events": 40, "ok": False, "broken": ["KE"]})
    client.force_login(admin)
    html = unescape(client.get("/platform/ledger/").content.decode())
    assert "Latest events" in html and "Signed in" in html and "Through the API" in html
    assert "Their password changed (tokens revoked: 2; sessions ended: 1)" in html
    assert "Broken: KE (chains: 3; events: 40)" in html
    assert "auth.signed_in" not in html and "password_changed" not in html and "bearers_revoked" not in html
    with django_assert_num_queries(1):  # the latest events, in one query whatever their kinds
        describe_platform_events(platform_events_latest(size=50))
    admin_list = unescape(client.get("/admin/tenants/platformevent/").content.decode())
    assert "Their password changed (tokens revoked: 2; sessions ended: 1)" in admin_list and "Signed in" in admin_list
