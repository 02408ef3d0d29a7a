"""A country's control over its keys: rotation with a resumable re-encryption sweep, re-wrapping
under a new master key, and crypto-shredding when it leaves. Every operation is on its chain."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from django.apps import apps
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone

from tenants.country_state import country_state_changed
from tenants.isolation import country_context
from tenants.jobs.outbox import outbox_enqueue
from tenants.keys import envelope as keys
from tenants.keys.fields import EncryptedTextField, Sealed, Unreadable
from tenants.keys.models import CountryKey, KeyRotation
from tenants.models import Country
from tenants.record.ledger import event_record
from tenants.record.reasons import reason_clean, reason_record

SWEEP_BATCH = 500


def sealed_models() -> list[tuple[type[models.Model], list[EncryptedTextField]]]:
    """Every installed model with sealed columns, whichever app it belongs to."""
    found = []
    for model in apps.get_models():
        fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if fields:
            found.append((model, fields))
    return sorted(found, key=lambda item: item[0]._meta.label)


def _stale_rows(model, fields, active_key_id: str) -> models.QuerySet:
    """Rows with a value sealed under another key than the active one."""
    stale = models.Q()
    for field in fields:
        stale |= models.Q(**{f"{field.attname}__startswith": f"{keys.SEAL_PREFIX}:"}) & ~models.Q(
            **{f"{field.attname}__startswith": f"{keys.SEAL_PREFIX}:{active_key_id}:"}
        )
    return model.objects.filter(stale)


@transaction.atomic
def country_key_rotate(
    *, country: Country, by=None, actor_role: str = "platform", schedule_sweep: bool = True, reason: str | None = None
) -> KeyRotation:
    """Put a new data key in service; older values are re-encrypted by the sweep that follows.
    Until then they stay readable under their retired key. A person who rotates from the portal
    gives a reason (kept sealed beside the record); an operator's or a schedule's rotation has none."""
    reason = reason_clean(reason) if reason is not None else None
    with country_context(country):
        previous = CountryKey.objects.filter(state=CountryKey.State.ACTIVE).values_list("key_id", flat=True).first()
        if CountryKey.objects.filter(state=CountryKey.State.DESTROYED).exists():
            raise ValueError(f"{country.name}'s keys were destroyed; there is nothing to rotate.")
        if previous:
            # A process that cannot open the key in service (another master key than the running
            # portal's) must not put a new one in service: it would be wrapped under a master key
            # the portal lacks, and every write of the country would fail from then on.
            keys.active_key(country.pk)
        new_key = keys.country_key_create(country_id=country.pk)
        total = sum(_stale_rows(model, fields, new_key.key_id).count() for model, fields in sealed_models())
        rotation = KeyRotation.objects.create(country=country, to_key_id=new_key.key_id, total=total)
        event_record(
            country=country,
            action="key.rotated",
            actor=by,
            actor_role=actor_role,
            target=rotation,
            payload={
                "key_id": new_key.key_id,
                "previous_key_id": previous or "",
                "rows": total,
                **(
                    reason_record(country=country, action="key.rotated", target=rotation, by=by, reason=reason)
                    if reason is not None
                    else {}
                ),
            },
        )
        if schedule_sweep:
            outbox_enqueue(task="tenants.key_rotation_sweep", country_id=country.pk, rotation_id=rotation.pk)
    return rotation


def _iterate_batches(rotation: KeyRotation) -> Iterator[tuple[type[models.Model], list[EncryptedTextField], list]]:
    started = not rotation.position_model
    for model, fields in sealed_models():
        if not started:
            started = model._meta.label == rotation.position_model
            if not started:
                continue
        last_pk = rotation.position_pk if model._meta.label == rotation.position_model else 0
        while True:
            with country_context(rotation.country_id):
                batch = list(
                    _stale_rows(model, fields, rotation.to_key_id).filter(pk__gt=last_pk).order_by("pk")[:SWEEP_BATCH]
                )
            if not batch:
                break
            yield model, fields, batch
            last_pk = batch[-1].pk


def key_rotation_sweep(
    *, rotation_id: int, country_id: int, progress: Callable[[KeyRotation], None] | None = None
) -> KeyRotation:
    """Re-encrypt every value of the country under the rotation's key, one committed batch at a
    time, so that a sweep stopped at any point resumes where it was and repeats nothing."""
    with country_context(country_id):
        rotation = KeyRotation.objects.get(pk=rotation_id)
        if rotation.state == KeyRotation.State.DONE:
            return rotation
        KeyRotation.objects.filter(pk=rotation_id).update(state=KeyRotation.State.RUNNING)
    try:
        for model, fields, batch in _iterate_batches(rotation):
            with country_context(country_id):
                for row in batch:
                    changed = []
                    for field in fields:
                        value = getattr(row, field.attname)  # opens it under its old key
                        if isinstance(value, Unreadable):
                            continue  # left exactly as stored; nothing can re-seal it
                        stored = row.__dict__.get(field.sealed_attname)
                        if isinstance(stored, Sealed) and keys.sealed_key_id(stored) != rotation.to_key_id:
                            changed.append(field.attname)  # saving seals it under the active key
                    if changed:
                        row.save(update_fields=changed)
                rotation.done += len(batch)
                rotation.position_model, rotation.position_pk = model._meta.label, batch[-1].pk
                KeyRotation.objects.filter(pk=rotation_id).update(
                    done=rotation.done, position_model=rotation.position_model, position_pk=rotation.position_pk
                )
            if progress:
                progress(rotation)
    except Exception as error:
        with country_context(country_id):
            KeyRotation.objects.filter(pk=rotation_id).update(state=KeyRotation.State.FAILED, error=str(error)[:500])
        raise
    with country_context(country_id):
        KeyRotation.objects.filter(pk=rotation_id).update(
            state=KeyRotation.State.DONE, finished_at=timezone.now(), error=""
        )
        country = Country.objects.get(pk=country_id)
        event_record(
            country=country,
            action="key.rotation_completed",
            target=rotation,
            payload={"key_id": rotation.to_key_id, "rows": rotation.done},
        )
        # Then the stored files, in batches of their own (tenants.keys.resealing).
        outbox_enqueue(task="tenants.files_reseal", country_id=country_id, kind="", after=0, sealed=0, deleted=0)
        rotation.refresh_from_db()
    return rotation


def country_keys_rewrap(*, by=None) -> int:
    """Re-wrap every country's data keys under the current master key (after a master-key change)."""
    provider = keys.master_keys()
    count = 0
    for country in Country.objects.order_by("pk"):
        with country_context(country):
            rows = list(
                CountryKey.objects.exclude(state=CountryKey.State.DESTROYED)
                .exclude(master_key_id=provider.current_id)
                .select_for_update()
            )
            for row in rows:
                data_key = provider.unwrap(bytes(row.wrapped_key), row.master_key_id)
                row.wrapped_key, row.master_key_id = provider.wrap(data_key)
                row.save(update_fields=["wrapped_key", "master_key_id"])
            if rows:
                event_record(
                    country=country,
                    action="key.rewrapped",
                    actor=by,
                    actor_role="platform",
                    payload={"keys": len(rows), "master_key_id": provider.current_id},
                )
            count += len(rows)
    keys.key_cache_clear()
    return count


@transaction.atomic
def country_keys_destroy(*, country: Country, by=None, actor_role: str = "platform") -> int:
    """Crypto-shredding: destroy every data key of the country. Its sealed values can never be
    opened again; everything else (its record, its structure) stays. Irreversible."""
    with country_context(country):
        rows = list(CountryKey.objects.exclude(state=CountryKey.State.DESTROYED).select_for_update())
        now = timezone.now()
        for row in rows:
            row.wrapped_key = b""
            row.state = CountryKey.State.DESTROYED
            row.destroyed_at = now
            row.save(update_fields=["wrapped_key", "state", "destroyed_at"])
        if not CountryKey.objects.exists():
            # A country that never sealed anything still gets a destroyed marker, so that no new
            # key is ever created for it.
            CountryKey.objects.create(
                country=country,
                key_id="none",
                wrapped_key=b"",
                master_key_id="",
                state=CountryKey.State.DESTROYED,
                destroyed_at=now,
            )
        # The epoch tells every other process, at its next use of a key, that its copy is void.
        Country.objects.filter(pk=country.pk).update(
            status=Country.Status.EXITED, key_epoch=F("key_epoch") + 1, left_at=now
        )
        country_state_changed(country.pk)
        event_record(
            country=country,
            action="key.destroyed",
            actor=by,
            actor_role=actor_role,
            payload={"keys": [row.key_id for row in rows]},
        )
    keys.key_cache_clear(country.pk)
    return len(rows)
