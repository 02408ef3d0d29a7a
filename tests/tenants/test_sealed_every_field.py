"""Rotation and crypto-shredding on every sealed field, generated from the models (DESIGN §6).

For each sealed field of a model the demo fills (seed_demo, built once for the module in a
transaction rolled back at its end; each test in a savepoint of its own): a value is sealed in
France and one in Kenya; France's key is rotated and swept, and the value is stored under the new
key and reads back; then France's keys are destroyed, and its value becomes unreadable while
Kenya's still reads."""

from __future__ import annotations

import pytest
from django.db import connection

from tenants.isolation import country_context
from tenants.keys import envelope as keys
from tenants.keys.fields import Unreadable
from tenants.keys.rotation import country_key_rotate, country_keys_destroy, key_rotation_sweep, sealed_models

SEALED = [(model, field) for model, fields in sealed_models() for field in fields]
# Sealed fields of tables the access world (the demo and what tests/access/objects.py adds) leaves empty: their rotation is tried in tests/tenants/test_keys.py
# and their own modules' tests, not here. A sealed field not listed here and not filled fails below.
NOT_IN_THE_DEMO = {
    "gateway.CapturedCall.prompt",
    "gateway.CapturedCall.output",
    "gateway.CapturedCall.review",
    "tenants.IdentityProvider.client_secret",
    # An exit's reasons: shredded with the rest in tests/tenants/test_exit_workflow.py.
    "tenants.CountryExit.reason",
    "tenants.CountryExit.run_reason",
}


def _label(model, field) -> str:
    return f"{model._meta.label}.{field.name}"


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    from django.db import transaction

    from tests.access.world import build_world

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            keys.key_cache_clear()


def _countries():
    from tenants.models import Country

    return Country.objects.get(code="FR"), Country.objects.get(code="KE")


def _stored(model, field, pk) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {connection.ops.quote_name(field.column)} FROM {connection.ops.quote_name(model._meta.db_table)} "
            f"WHERE {connection.ops.quote_name(model._meta.pk.column)} = %s",
            [pk],
        )
        return cursor.fetchone()[0]


def _seal(model, field, country, value: str):
    with country_context(country):
        row = model.objects.order_by("pk").first()
        if row is None:
            return None
        setattr(row, field.attname, value)
        row.save(update_fields=[field.name])
        return row.pk


@pytest.mark.parametrize("model,field", SEALED, ids=[_label(m, f) for m, f in SEALED])
def test_rotation_and_shredding_reach_the_field(demo, db, model, field):
    fr, ke = _countries()
    label = _label(model, field)
    fr_value, ke_value = f"France's {label}", f"Kenya's {label}"
    fr_pk = _seal(model, field, fr, fr_value)
    if fr_pk is None:
        assert label in NOT_IN_THE_DEMO, f"{label}: no row in the demo; fill one, or list it in NOT_IN_THE_DEMO"
        pytest.skip(f"{label}: the demo has no row (listed in NOT_IN_THE_DEMO)")
    assert label not in NOT_IN_THE_DEMO, f"{label} has a row now: take it out of NOT_IN_THE_DEMO"
    ke_pk = _seal(model, field, ke, ke_value)
    with country_context(fr):
        old_key = keys.sealed_key_id(_stored(model, field, fr_pk))
        assert fr_value not in _stored(model, field, fr_pk)

    rotation = country_key_rotate(country=fr)
    key_rotation_sweep(rotation_id=rotation.pk, country_id=fr.pk)
    with country_context(fr):
        assert keys.sealed_key_id(_stored(model, field, fr_pk)) == rotation.to_key_id != old_key
        assert getattr(model.objects.get(pk=fr_pk), field.attname) == fr_value

    try:
        country_keys_destroy(country=fr)
        with country_context(fr):
            shredded = getattr(model.objects.get(pk=fr_pk), field.attname)
            assert isinstance(shredded, Unreadable) and fr_value not in shredded
        if ke_pk is not None:
            with country_context(ke):
                assert getattr(model.objects.get(pk=ke_pk), field.attname) == ke_value
    finally:
        keys.key_cache_clear()
