"""What a data migration uses to seal a column that used to be plain: every country's values are
sealed under its active data key (one is made for a country that has none yet, as the first sealed
value of a country makes one), bound to their place as `EncryptedTextField` binds them; a country
whose keys were destroyed when it left keeps nothing of them (what the promise of its exit said:
unreadable by anyone), and a value already sealed is left as it is, so the migration can run again.

It also opens each column's sealing window (tenants.keys.windows): the release before the upgrade
keeps writing plain values there until the rollout ends, and they must read as written, not as
altered, until `seal_plain_values` seals them and closes the window.

It works on the migration's historical models (never the current ones, whose columns may be ahead
of the database being migrated) and on the envelope's primitives."""

from __future__ import annotations

import secrets

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.db.models import F, Q
from django.utils import timezone

from tenants.db import every_country_open
from tenants.keys import envelope

DESTROYED, ACTIVE = "destroyed", "active"


def _active_key(apps, country_id: int) -> envelope.DataKey:
    Country, CountryKey = apps.get_model("tenants", "Country"), apps.get_model("tenants", "CountryKey")
    row = CountryKey.objects.filter(country_id=country_id, state=ACTIVE).first()
    if row is None:
        data_key = AESGCM.generate_key(bit_length=256)
        wrapped, master_id = envelope.master_keys().wrap(data_key)
        row = CountryKey.objects.create(
            country_id=country_id,
            key_id=secrets.token_hex(6),
            wrapped_key=wrapped,
            master_key_id=master_id,
            state=ACTIVE,
        )
        Country.objects.filter(pk=country_id).update(key_epoch=F("key_epoch") + 1)
    return envelope.DataKey(row.key_id, envelope.master_keys().unwrap(bytes(row.wrapped_key), row.master_key_id))


# Columns sealed in this run of `migrate` by a migration older than the windows' table: tenants 0031
# opens their windows once the table is there (a database that sealed them in an earlier run, with
# the release that sealed them long rolled out, gets none).
_pending: list[tuple[str, str, str]] = []


# A database migrated from nothing in this run of `migrate` (tenants' first migration in its plan)
# had no release before it, so no plain value of one can come: no window is opened, and a new
# installation's `check --deploy` has no window to warn of. Set before the run, cleared after it.
_from_nothing = {"run": False}


def migrate_planned(sender, plan=None, **kwargs) -> None:
    """pre_migrate: whether this run starts from an empty database."""
    _from_nothing["run"] = any(
        migration.app_label == "tenants" and migration.name == "0001_initial" and not backwards
        for migration, backwards in plan or []
    )


def migrate_done(sender, **kwargs) -> None:
    """post_migrate: later calls (a test, a shell) open windows as asked."""
    _from_nothing["run"] = False
    _pending.clear()


def sealing_windows_open(apps, schema_editor, *, model: str, fields: list[str], by: str) -> None:
    """Open the sealing window of each of `fields` (now EncryptedTextFields) of `app_label.Model`,
    `by` the migration named: plain values the release before writes read as written until it closes.
    Nothing to open on a database migrated from nothing in this run."""
    if _from_nothing["run"]:
        return
    Model = apps.get_model(model)
    columns = [(Model._meta.db_table, Model._meta.get_field(name).column, by) for name in fields]
    try:
        SealingWindow = apps.get_model("tenants", "SealingWindow")
    except LookupError:
        _pending.extend(columns)
        return
    for table, column, opened_by in columns:
        _window_open(SealingWindow, table, column, opened_by)


def _window_open(SealingWindow, table: str, column: str, by: str) -> None:  # noqa: N803 - a model
    SealingWindow.objects.update_or_create(
        table=table,
        column=column,
        defaults={"opened_at": timezone.now(), "opened_by": by, "closed_at": None, "sealed": 0, "emptied": 0},
    )


def sealing_windows_open_pending(apps, schema_editor) -> None:
    """Open the windows of the columns sealed earlier in this run, before the windows' table existed."""
    SealingWindow = apps.get_model("tenants", "SealingWindow")
    while _pending:
        _window_open(SealingWindow, *_pending.pop(0))


def plain_columns_seal(apps, schema_editor, *, model: str, fields: list[str], by: str) -> None:
    """Seal the plain values of `fields` (now EncryptedTextFields) of the model `app_label.Model`,
    and open their sealing windows."""
    sealing_windows_open(apps, schema_editor, model=model, fields=fields, by=by)
    every_country_open(apps, schema_editor)
    Model = apps.get_model(model)
    Country, CountryKey = apps.get_model("tenants", "Country"), apps.get_model("tenants", "CountryKey")
    table = Model._meta.db_table
    columns = {name: Model._meta.get_field(name) for name in fields}
    # Every value without a seal's whole shape is plain: one the column held before, which may begin
    # "enc1:" like a seal (a person may write anything), is sealed like any other.
    filled = Q()
    for name in fields:
        filled |= ~Q(**{name: ""})
    shredded = set(CountryKey.objects.filter(state=DESTROYED).values_list("country_id", flat=True))
    for country_id, code in Country.objects.order_by("pk").values_list("pk", "code"):
        rows = Model.objects.filter(filled, country_id=country_id).order_by("pk")
        if not rows.exists():
            continue
        data_key = None if country_id in shredded else _active_key(apps, country_id)
        for pk, *values in rows.values_list("pk", *fields).iterator():
            changed = {}
            for name, value in zip(fields, values, strict=True):
                if not value or envelope.is_sealed(str(value)):
                    continue
                if data_key is None:  # the country's keys are destroyed: nothing plain is kept
                    changed[name] = ""
                else:
                    aad = envelope.associated_data(code, table, columns[name].column, pk)
                    changed[name] = envelope.seal_under(data_key, aad=aad, plaintext=str(value))
            if changed:
                Model.objects.filter(pk=pk).update(**changed)
