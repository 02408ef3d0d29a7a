"""A rolling upgrade that seals a column which used to be plain (tenants.keys.windows): while the
column's sealing window is open, the plain values the release before still writes read as written
and the pages that show them work; `seal_plain_values` (or beat, once SEALING_WINDOW_HOURS have
passed) seals what was left, says how many, records it, and closes the window, after which a value
with no seal is refused as altered again. Every migration that seals a plain column opens a window.

The release before is played by raw SQL on the real database, writing what it writes: the plain text."""

from __future__ import annotations

import importlib
from datetime import timedelta
from io import StringIO
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.urls import reverse
from django.utils import timezone

from tenants.isolation import country_context
from tenants.keys import envelope as keys
from tenants.keys import upgrades, windows
from tenants.keys.fields import EncryptedTextField, Unreadable
from tenants.keys.models import SealingWindow
from tenants.keys.rotation import country_keys_destroy
from tenants.keys.tasks import sealing_windows_close_due
from tenants.models import Country, Membership
from tenants.record.models import CountryEvent, PlatformEvent

pytestmark = pytest.mark.django_db


def _open_window(model: str = "tenants.Membership", fields: tuple[str, ...] = ("job_title",)) -> None:
    # As the migration that seals the column opens it (here on the current models).
    upgrades.sealing_windows_open(apps, None, model=model, fields=list(fields), by="tests.sealing_windows")


def _stored(pk: int) -> str:
    ids = list(Country.objects.values_list("pk", flat=True))
    with country_context(*ids), connection.cursor() as cursor:
        cursor.execute("SELECT job_title FROM tenants_membership WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def _as_the_release_before_writes(country, user, text: str) -> int:
    with country_context(country):
        pk = Membership.objects.get(user=user).pk
        with connection.cursor() as cursor:
            cursor.execute("UPDATE tenants_membership SET job_title = %s WHERE id = %s", [text, pk])
    return pk


def _job_title(country, pk: int) -> str:
    keys.key_cache_clear()
    with country_context(country):
        return Membership.objects.get(pk=pk).job_title


def test_a_plain_value_reads_as_written_while_the_window_is_open_and_is_sealed_by_the_command(cast, client):
    _open_window()
    pk = _as_the_release_before_writes(cast.fr, cast.member, "Head of digital services")

    assert _job_title(cast.fr, pk) == "Head of digital services"
    client.force_login(cast.owner)
    page = client.get(reverse("tenants:members", kwargs={"code": "fr"}))
    assert page.status_code == 200
    assert "Head of digital services" in page.content.decode() and "unreadable" not in page.content.decode()

    out = StringIO()
    call_command("seal_plain_values", "--check", stdout=out)
    assert "tenants_membership.job_title" in out.getvalue() and "1 plain values waiting" in out.getvalue()
    assert _stored(pk) == "Head of digital services"  # --check changes nothing

    out = StringIO()
    call_command("seal_plain_values", stdout=out)
    assert "tenants_membership.job_title: 1 sealed, 0 emptied" in out.getvalue()

    stored = _stored(pk)
    assert stored.startswith(f"{keys.SEAL_PREFIX}:") and "digital" not in stored
    assert _job_title(cast.fr, pk) == "Head of digital services"
    window = SealingWindow.objects.get(table="tenants_membership", column="job_title")
    assert window.closed_at is not None and (window.sealed, window.emptied) == (1, 0)
    with country_context(cast.fr):
        event = CountryEvent.objects.get(action="key.plain_values_sealed")
    assert event.payload == {"sealed": 1, "emptied": 0}
    closing = PlatformEvent.objects.get(action="key.sealing_windows_closed")
    assert "tenants_membership.job_title" in closing.payload["columns"] and closing.payload["sealed"] == 1

    # The window is closed: a value with no seal can only have been put there behind the portal's back.
    _as_the_release_before_writes(cast.fr, cast.member, "Written after the upgrade")
    refused = _job_title(cast.fr, pk)
    assert isinstance(refused, Unreadable) and "altered" in refused
    out = StringIO()
    call_command("seal_plain_values", stdout=out)
    assert "No sealing window is open" in out.getvalue()
    assert _stored(pk) == "Written after the upgrade"  # not laundered into a sealed value


def test_without_a_window_a_plain_value_is_refused_as_altered(cast):
    SealingWindow.objects.filter(table="tenants_membership").delete()
    pk = _as_the_release_before_writes(cast.fr, cast.member, "Officer")
    refused = _job_title(cast.fr, pk)
    assert isinstance(refused, Unreadable) and "altered" in refused


def test_a_value_read_in_the_window_is_sealed_when_saved(cast):
    _open_window()
    pk = _as_the_release_before_writes(cast.fr, cast.member, "Officer")
    with country_context(cast.fr):
        membership = Membership.objects.get(pk=pk)
        membership.role = "viewer"
        membership.save()
    assert _stored(pk).startswith(f"{keys.SEAL_PREFIX}:")
    assert _job_title(cast.fr, pk) == "Officer"


def test_a_country_whose_keys_were_destroyed_keeps_nothing_of_its_plain_values(cast):
    _open_window()
    with country_context(cast.ke):
        keys.seal(country_id=cast.ke.pk, aad=b"probe", plaintext="probe")
        country_keys_destroy(country=cast.ke)
    pk = _as_the_release_before_writes(cast.ke, cast.outsider, "Permanent secretary")
    read = _job_title(cast.ke, pk)
    assert isinstance(read, Unreadable) and "destroyed" in read  # never the plain text, even in the window

    [closed] = windows.windows_close([SealingWindow.objects.get(table="tenants_membership", column="job_title")])
    assert (closed.sealed, closed.emptied) == (0, 1)
    assert _stored(pk) == ""
    with country_context(cast.ke):
        assert CountryEvent.objects.get(action="key.plain_values_sealed").payload == {"sealed": 0, "emptied": 1}


def test_beat_closes_the_windows_open_longer_than_the_setting(cast, settings):
    settings.SEALING_WINDOW_HOURS = 24
    _open_window()
    _open_window("deployments.DeploymentRequest", ("purpose",))
    SealingWindow.objects.filter(table="tenants_membership").update(opened_at=timezone.now() - timedelta(hours=25))
    SealingWindow.objects.filter(table="deployments_deploymentrequest").update(opened_at=timezone.now())
    pk = _as_the_release_before_writes(cast.fr, cast.member, "Officer")

    assert sealing_windows_close_due() >= 1
    assert SealingWindow.objects.get(table="tenants_membership").closed_at is not None
    assert SealingWindow.objects.get(table="deployments_deploymentrequest").closed_at is None
    assert _stored(pk).startswith(f"{keys.SEAL_PREFIX}:")


def test_a_column_sealed_in_a_run_before_the_windows_table_gets_its_window():
    """tenants 0028 ran before the windows' table existed: 0031 opens its columns' windows."""
    SealingWindow.objects.all().delete()
    loader = MigrationLoader(connection)
    sealing = importlib.import_module("tenants.migrations.0028_words_sealed")
    sealing.seal(loader.project_state(("tenants", "0028_words_sealed")).apps, SimpleNamespace(connection=connection))
    assert not SealingWindow.objects.exists()
    upgrades.sealing_windows_open_pending(loader.project_state(("tenants", "0031_sealing_windows")).apps, None)
    assert set(SealingWindow.objects.filter(closed_at__isnull=True).values_list("table", "column")) == {
        ("tenants_countryexit", "reason"),
        ("tenants_countryexit", "run_reason"),
        ("tenants_membererasure", "reason"),
        ("tenants_membership", "job_title"),
    }
    assert set(SealingWindow.objects.values_list("opened_by", flat=True)) == {"tenants.0028_words_sealed"}


def _migration_plan(loader: MigrationLoader):
    plan: dict = {}
    for leaf in sorted(loader.graph.leaf_nodes()):
        plan.update(dict.fromkeys(loader.graph.forwards_plan(leaf)))
    return [(node, loader.graph.nodes[node]) for node in plan]


def _calls_the_sealing(operation) -> bool:
    from django.db import migrations

    if not isinstance(operation, migrations.RunPython):
        return False
    names = set(operation.code.__code__.co_names)
    return bool(names & {"plain_columns_seal", "sealing_windows_open"})


def test_every_migration_that_seals_a_plain_column_opens_its_window():
    """A column turned from plain into an EncryptedTextField by a migration must have its values
    sealed and its window opened in the same migration (tenants.keys.upgrades.plain_columns_seal),
    or the release before writes plain values into it during the rollout that read as altered."""
    from django.db import migrations
    from django.db.migrations.state import ProjectState

    loader = MigrationLoader(None, ignore_no_migrations=True)
    state = ProjectState()
    converted, missing = [], []
    for (app, name), migration in _migration_plan(loader):
        for operation in migration.operations:
            if isinstance(operation, migrations.AlterField) and isinstance(operation.field, EncryptedTextField):
                before = state.models[app, operation.model_name_lower].fields[operation.name]
                if not isinstance(before, EncryptedTextField):
                    converted.append(f"{app}.{name}: {operation.model_name}.{operation.name}")
                    if not any(_calls_the_sealing(other) for other in migration.operations):
                        missing.append(converted[-1])
            operation.state_forwards(app, state)
    assert len(converted) >= 9  # the words sealed in tenants, deployments, engagements and governance
    assert missing == [], f"columns sealed without plain_columns_seal (no sealing window): {missing}"


def test_a_plain_value_beginning_like_a_seal_is_plain_in_the_window_and_sealed_when_it_closes(cast):
    """The release before may write anything, "enc1:…" too: while the window is open such a value
    reads as written, --check counts it, and closing the window seals it. A seal's whole shape that
    does not open (one moved from another row) is still refused as altered, and left as it is."""
    _open_window()
    with country_context(cast.fr):
        other = Membership.objects.get(user=cast.owner)
        other.job_title = "Another row's title"
        other.save()
    texts = ("enc1:draft: budget notes", "enc1:", "enc1:x:" + "A" * 36, "enc1:ab:" + "A" * 40 + "!")
    for text in texts:
        pk = _as_the_release_before_writes(cast.fr, cast.member, text)
        assert _job_title(cast.fr, pk) == text
        out = StringIO()
        call_command("seal_plain_values", "--check", stdout=out)
        assert "1 plain values waiting" in out.getvalue(), out.getvalue()
    out = StringIO()
    call_command("seal_plain_values", stdout=out)
    assert "tenants_membership.job_title: 1 sealed, 0 emptied" in out.getvalue()
    stored = _stored(pk)
    assert stored != texts[-1] and keys.is_sealed(stored)
    assert _job_title(cast.fr, pk) == texts[-1]
    assert _job_title(cast.fr, other.pk) == "Another row's title"  # a seal that opens is left as it is

    _open_window()
    moved = _as_the_release_before_writes(cast.fr, cast.member, _stored(other.pk))
    refused = _job_title(cast.fr, moved)
    assert isinstance(refused, Unreadable) and "altered" in refused


def test_check_deploy_warns_while_a_sealing_window_is_open(cast):
    from portal.checks import production_check

    SealingWindow.objects.filter(closed_at__isnull=True).update(closed_at=timezone.now())
    assert not [found for found in production_check() if found.id == "portal.W120"]
    _open_window()
    warned = [found for found in production_check() if found.id == "portal.W120"]
    assert len(warned) == 1 and "tenants_membership.job_title" in warned[0].msg
    assert "seal_plain_values" in warned[0].hint
    windows.windows_close()
    assert not [found for found in production_check() if found.id == "portal.W120"]
