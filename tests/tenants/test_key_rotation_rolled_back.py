"""A rotation of a country's data key that rolls back leaves no trace in any process: the key it
made existed only in its transaction, so nothing may be sealed under it afterwards (that would be
unreadable for ever). Each process keeps copies of keys; the country's key epoch, moved in the same
transaction as the new key, is what voids them."""

from __future__ import annotations

import pytest
from django.db import transaction

from tenants.keys.envelope import active_key, country_key_create, key_by_id, seal, sealed_key_id

pytestmark = pytest.mark.django_db


class Abandoned(Exception):
    pass


def test_nothing_is_sealed_under_a_key_whose_rotation_rolled_back(cast):
    country_id = cast.fr.pk
    before = active_key(country_id).key_id
    with pytest.raises(Abandoned), transaction.atomic():
        country_key_create(country_id=country_id)
        inside = active_key(country_id).key_id  # loaded, and kept, inside the rotation
        assert inside != before
        assert sealed_key_id(seal(country_id=country_id, aad=b"t", plaintext="in the rotation")) == inside
        raise Abandoned

    assert active_key(country_id).key_id == before
    sealed = seal(country_id=country_id, aad=b"t", plaintext="after the rotation rolled back")
    assert sealed_key_id(sealed) == before
    assert key_by_id(country_id, before).key_id == before


def test_a_committed_rotation_is_used_at_once(cast):
    country_id = cast.fr.pk
    before = active_key(country_id).key_id
    made = country_key_create(country_id=country_id)
    assert made.key_id != before
    assert sealed_key_id(seal(country_id=country_id, aad=b"t", plaintext="after")) == made.key_id
