"""The upgrade seals what people wrote in columns that used to be plain (tenants 0028 and the
migrations of the apps that follow it, through tenants.keys.upgrades.plain_columns_seal): each
country's values under its key (made if it had none yet), bound to their row as the field binds
them; a country whose keys were already destroyed keeps nothing of them; a value already sealed is
left as it was, so running it again changes nothing."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from tenants.isolation import country_context
from tenants.keys import envelope as keys
from tenants.keys.models import CountryKey
from tenants.keys.rotation import country_keys_destroy
from tenants.models import Membership

pytestmark = pytest.mark.django_db

migration = importlib.import_module("tenants.migrations.0028_words_sealed")


def _stored(pk: int) -> str:
    from tenants.models import Country

    with country_context(list(Country.objects.values_list("pk", flat=True))), connection.cursor() as cursor:
        cursor.execute("SELECT job_title FROM tenants_membership WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def _as_the_release_before_wrote_it(country, user, text: str) -> int:
    with country_context(country):
        pk = Membership.objects.get(user=user).pk
        with connection.cursor() as cursor:
            cursor.execute("UPDATE tenants_membership SET job_title = %s WHERE id = %s", [text, pk])
    return pk


def _migrate() -> None:
    # As the migration runs: its historical models (plain managers), in one transaction of the owner.
    state = MigrationLoader(connection).project_state(("tenants", "0028_words_sealed"))
    migration.seal(state.apps, SimpleNamespace(connection=connection))


def test_plain_values_are_sealed_in_every_country_and_emptied_where_the_keys_are_gone(cast):
    with country_context(cast.ke):
        # Kenya left before the upgrade: a key was made, then destroyed with the country's exit.
        keys.seal(country_id=cast.ke.pk, aad=b"probe", plaintext="probe")
        country_keys_destroy(country=cast.ke)
    french = _as_the_release_before_wrote_it(cast.fr, cast.member, "Head of digital services")
    kenyan = _as_the_release_before_wrote_it(cast.ke, cast.outsider, "Permanent secretary")
    with country_context(cast.fr):
        assert not CountryKey.objects.exists()  # France had sealed nothing yet: its key is made now

    _migrate()
    keys.key_cache_clear()

    stored = _stored(french)
    assert stored.startswith(f"{keys.SEAL_PREFIX}:") and "digital" not in stored
    with country_context(cast.fr):
        assert Membership.objects.get(pk=french).job_title == "Head of digital services"
        assert keys.sealed_key_id(stored) == CountryKey.objects.get(state="active").key_id
    assert _stored(kenyan) == ""

    _migrate()  # again: nothing sealed twice, nothing lost
    assert _stored(french) == stored


def test_the_value_is_bound_to_its_row(cast):
    first = _as_the_release_before_wrote_it(cast.fr, cast.member, "Officer")
    second = _as_the_release_before_wrote_it(cast.fr, cast.owner, "Director")
    _migrate()
    with country_context(cast.fr), connection.cursor() as cursor:  # the first row's value moved onto the second
        cursor.execute("UPDATE tenants_membership SET job_title = %s WHERE id = %s", [_stored(first), second])
    keys.key_cache_clear()
    with country_context(cast.fr):
        assert Membership.objects.get(pk=first).job_title == "Officer"
        assert Membership.objects.get(pk=second).job_title.startswith("[unreadable")


def test_a_plain_value_beginning_like_a_seal_is_sealed_too(cast):
    """What the column held before was plain, whatever it says: "enc1:…" is sealed like any value,
    and reads back as written."""
    text = "enc1:Draft, see:" + "A" * 60
    pk = _as_the_release_before_wrote_it(cast.fr, cast.member, text)
    _migrate()
    keys.key_cache_clear()
    stored = _stored(pk)
    assert stored != text and keys.is_sealed(stored)
    with country_context(cast.fr):
        assert Membership.objects.get(pk=pk).job_title == text
    _migrate()  # again: a seal that opens is left as it is
    assert _stored(pk) == stored
