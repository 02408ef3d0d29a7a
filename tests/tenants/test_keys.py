"""Envelope encryption: sealed fields bound to their place, rotation, re-wrapping, crypto-shredding."""

import base64
import secrets

import pytest
from django.db import connection

from tenants.country_state import CountryReadOnly
from tenants.isolation import country_context
from tenants.keys import envelope as keys
from tenants.keys.fields import Unreadable
from tenants.keys.models import CountryKey, KeyRotation
from tenants.keys.rotation import country_key_rotate, country_keys_destroy, country_keys_rewrap, key_rotation_sweep
from tenants.models import Country, Membership, Organisation
from tenants.record.models import CountryEvent


def stored(membership: Membership, column: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM tenants_membership WHERE id = %s", [membership.pk])
        return cursor.fetchone()[0]


def write_raw(membership: Membership, column: str, value: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE tenants_membership SET {column} = %s WHERE id = %s", [value, membership.pk])


@pytest.fixture
def sealed(cast):
    """FR's officer and KE's admin with contact details."""
    with country_context(cast.fr):
        fr = Membership.objects.get(user=cast.member)
        fr.phone, fr.contact_email = "+33 1 23 45 67 89", "marc.member@numerique.gouv.fr"
        fr.save()
        fr_owner = Membership.objects.get(user=cast.owner)
        fr_owner.phone = "+33 6 00 00 00 01"
        fr_owner.save()
    with country_context(cast.ke):
        ke = Membership.objects.get(user=cast.outsider)
        ke.phone = "+254 20 000 0000"
        ke.save()
    return fr, fr_owner, ke


def test_values_are_stored_sealed_and_read_back(cast, sealed):
    fr, _, _ = sealed
    with country_context(cast.fr):
        raw = stored(fr, "phone")
        assert raw.startswith("enc1:") and "+33" not in raw
        again = Membership.objects.get(pk=fr.pk)
        assert again.phone == "+33 1 23 45 67 89"
        assert again.contact_email == "marc.member@numerique.gouv.fr"


def test_new_rows_are_sealed_under_their_own_id(cast):
    with country_context(cast.fr):
        membership = Membership.objects.create(
            country=cast.fr, user=cast.partner, organisation=cast.fr_agency, role="viewer", phone="+33 7 77 77 77 77"
        )
        assert stored(membership, "phone").startswith("enc1:")
        assert Membership.objects.get(pk=membership.pk).phone == "+33 7 77 77 77 77"


def test_ciphertext_copied_to_another_row_does_not_open(cast, sealed):
    fr, fr_owner, _ = sealed
    with country_context(cast.fr):
        moved = stored(fr, "phone")
        write_raw(fr_owner, "phone", moved)
        reloaded = Membership.objects.get(pk=fr_owner.pk)
        value = reloaded.phone
        assert isinstance(value, Unreadable)
        assert "does not belong" in value and "+33" not in value
        reloaded.job_title = "Archivist"
        reloaded.save()
        assert stored(fr_owner, "phone") == moved  # the notice never replaces the stored value


def test_ciphertext_copied_to_another_column_does_not_open(cast, sealed):
    fr, _, _ = sealed
    with country_context(cast.fr):
        write_raw(fr, "contact_email", stored(fr, "phone"))
        reloaded = Membership.objects.get(pk=fr.pk)
        assert isinstance(reloaded.contact_email, Unreadable)
        assert reloaded.phone == "+33 1 23 45 67 89"


def test_ciphertext_copied_to_another_country_does_not_open(cast, sealed):
    fr, _, ke = sealed
    with country_context(cast.fr):
        fr_cipher = stored(fr, "phone")
    with country_context(cast.ke):
        write_raw(ke, "phone", fr_cipher)
        assert isinstance(Membership.objects.get(pk=ke.pk).phone, Unreadable)


def test_altered_ciphertext_does_not_open(cast, sealed):
    fr, _, _ = sealed
    with country_context(cast.fr):
        prefix, key_id, blob = stored(fr, "phone").split(":", 2)
        raw = bytearray(base64.b64decode(blob))
        raw[-1] ^= 1
        write_raw(fr, "phone", f"{prefix}:{key_id}:{base64.b64encode(bytes(raw)).decode()}")
        assert isinstance(Membership.objects.get(pk=fr.pk).phone, Unreadable)


def test_each_country_has_its_own_key(cast, sealed):
    with country_context(cast.fr, cast.ke):
        active = dict(CountryKey.objects.filter(state="active").values_list("country_id", "key_id"))
    assert set(active) == {cast.fr.pk, cast.ke.pk}
    assert active[cast.fr.pk] != active[cast.ke.pk]
    with country_context(cast.fr, cast.ke):
        wrapped = list(CountryKey.objects.values_list("wrapped_key", flat=True))
    assert all(len(bytes(w)) == 40 for w in wrapped)  # AES key wrap of a 256-bit key


def test_rotation_leaves_every_value_readable_under_the_new_key(cast, sealed):
    fr, fr_owner, ke = sealed
    with country_context(cast.fr):
        old_key = keys.sealed_key_id(stored(fr, "phone"))
    rotation = country_key_rotate(country=cast.fr)
    assert rotation.to_key_id != old_key
    assert rotation.total == 2  # the two FR memberships with sealed values
    # Before the sweep, old values still open under the retired key.
    with country_context(cast.fr):
        assert Membership.objects.get(pk=fr.pk).phone == "+33 1 23 45 67 89"
    done = key_rotation_sweep(rotation_id=rotation.pk, country_id=cast.fr.pk)
    assert done.state == KeyRotation.State.DONE and done.done == 2 and done.percent == 100
    with country_context(cast.fr):
        for membership, column in ((fr, "phone"), (fr, "contact_email"), (fr_owner, "phone")):
            assert keys.sealed_key_id(stored(membership, column)) == rotation.to_key_id
        reloaded = Membership.objects.get(pk=fr.pk)
        assert reloaded.phone == "+33 1 23 45 67 89"
        assert reloaded.contact_email == "marc.member@numerique.gouv.fr"
        assert Membership.objects.get(pk=fr_owner.pk).phone == "+33 6 00 00 00 01"
        assert CountryKey.objects.get(key_id=old_key).state == "retired"
        actions = list(CountryEvent.objects.values_list("action", flat=True))
        assert "key.rotated" in actions and "key.rotation_completed" in actions
    # Kenya is untouched.
    with country_context(cast.ke):
        assert Membership.objects.get(pk=ke.pk).phone == "+254 20 000 0000"


def test_rotation_sweep_resumes_where_it_stopped(cast, sealed, monkeypatch):
    from tenants.keys import rotation as sovereignty

    with country_context(cast.fr):
        for n in range(5):
            organisation = Organisation.objects.create(country=cast.fr, name=f"Office {n}", kind="public_agency")
            from django.contrib.auth import get_user_model

            user = get_user_model().objects.create(username=f"person{n}")
            Membership.objects.create(country=cast.fr, user=user, organisation=organisation, phone=f"+33 {n}")
    rotation = country_key_rotate(country=cast.fr)
    assert rotation.total == 7
    monkeypatch.setattr(sovereignty, "SWEEP_BATCH", 3)
    calls = []

    def stop_after_first_batch(progress):
        calls.append(progress.done)
        raise RuntimeError("worker stopped")

    with pytest.raises(RuntimeError):
        key_rotation_sweep(rotation_id=rotation.pk, country_id=cast.fr.pk, progress=stop_after_first_batch)
    with country_context(cast.fr):
        halfway = KeyRotation.objects.get(pk=rotation.pk)
    assert halfway.done == 3 and halfway.state == KeyRotation.State.FAILED
    finished = key_rotation_sweep(rotation_id=rotation.pk, country_id=cast.fr.pk)
    assert finished.done == 7 and finished.state == KeyRotation.State.DONE
    with country_context(cast.fr):
        for membership in Membership.objects.exclude(phone=""):
            assert keys.sealed_key_id(stored(membership, "phone")) == rotation.to_key_id
            assert not isinstance(membership.phone, Unreadable)


def test_master_key_rewrap_keeps_values_readable(cast, sealed):
    fr, _, ke = sealed
    old = keys.master_keys()
    new_master = secrets.token_bytes(32)
    old_master = next(iter(old.keys.values()))
    keys.master_keys_reset(keys.LocalMasterKeys([new_master, old_master]))
    try:
        assert country_keys_rewrap() == 2
        keys.master_keys_reset(keys.LocalMasterKeys([new_master]))  # the old master is gone
        keys.key_cache_clear()
        with country_context(cast.fr):
            assert Membership.objects.get(pk=fr.pk).phone == "+33 1 23 45 67 89"
        with country_context(cast.ke):
            assert Membership.objects.get(pk=ke.pk).phone == "+254 20 000 0000"
    finally:
        keys.master_keys_reset(None)
        keys.key_cache_clear()


def test_the_master_keys_being_retired_come_from_a_file_as_every_secret(tmp_path, monkeypatch):
    import base64

    from tenants.keys.envelope import _load_master_keys

    current, first, second = (secrets.token_bytes(32) for _ in range(3))
    monkeypatch.setenv("PORTAL_MASTER_KEY", base64.b64encode(current).decode())
    monkeypatch.delenv("PORTAL_OLD_MASTER_KEYS", raising=False)
    old_file = tmp_path / "old_master_keys"
    old_file.write_text(f"{base64.b64encode(first).decode()}\n{base64.b64encode(second).decode()}\n")
    monkeypatch.setenv("PORTAL_OLD_MASTER_KEYS_FILE", str(old_file))
    loaded = _load_master_keys()
    assert set(loaded.keys.values()) == {current, first, second}
    assert loaded.current_id == keys.LocalMasterKeys([current]).current_id


def test_rewrap_names_no_country(cast, sealed):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="run it without --country"):
        call_command("rotate_keys", "--rewrap", "--country", "FR")


def test_crypto_shredding_makes_only_that_country_unreadable(cast, sealed):
    fr, _, ke = sealed
    destroyed = country_keys_destroy(country=cast.fr)
    assert destroyed == 1
    with country_context(cast.fr):
        reloaded = Membership.objects.select_related("user", "organisation").get(pk=fr.pk)
        assert isinstance(reloaded.phone, Unreadable)
        assert "destroyed" in reloaded.phone
        # Everything else can still be read: the row, its relations, non-sealed fields. Nothing
        # can be changed any more: the country left (tenants.country_state).
        assert reloaded.organisation.name == "Ministère du Numérique"
        assert reloaded.role == "officer"
        sealed_before = stored(fr, "phone")
        reloaded.job_title = "Archivist"
        with pytest.raises(CountryReadOnly, match="France left the programme"):
            reloaded.save()
        assert stored(fr, "phone") == sealed_before
        assert all(not bytes(k.wrapped_key) for k in CountryKey.objects.all())
        assert CountryEvent.objects.filter(action="key.destroyed").exists()
        with pytest.raises(keys.KeyDestroyed):
            keys.active_key(cast.fr.pk)  # and no new key is ever made for it
    assert Country.objects.get(pk=cast.fr.pk).status == Country.Status.EXITED
    with country_context(cast.ke):
        assert Membership.objects.get(pk=ke.pk).phone == "+254 20 000 0000"


def test_generate_keys_creates_files_once_and_they_load(tmp_path, monkeypatch):
    from django.core.management import call_command

    from tenants.record import signing

    call_command("generate_keys", dir=str(tmp_path))
    master, pem = (tmp_path / "master_key").read_bytes(), (tmp_path / "ledger_signing_key").read_bytes()
    assert oct((tmp_path / "master_key").stat().st_mode & 0o777) == "0o600"
    call_command("generate_keys", dir=str(tmp_path))  # never overwrites
    assert (tmp_path / "master_key").read_bytes() == master and (tmp_path / "ledger_signing_key").read_bytes() == pem
    monkeypatch.setenv("PORTAL_MASTER_KEY_FILE", str(tmp_path / "master_key"))
    monkeypatch.setenv("LEDGER_SIGNING_KEY_FILE", str(tmp_path / "ledger_signing_key"))
    try:
        provider = keys._load_master_keys()
        assert provider.current_id == keys._key_id(base64.b64decode(master))
        signing.signing_key_reset(None)
        assert signing.public_key_id() != ""
        assert "BEGIN PUBLIC KEY" in signing.public_key_pem()
    finally:
        signing.signing_key_reset(None)


def test_a_malformed_master_key_is_refused_clearly(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    monkeypatch.setenv("PORTAL_MASTER_KEY", "not base64!")
    with pytest.raises(ImproperlyConfigured, match="base64 of 32 random bytes"):
        keys._load_master_keys()
    monkeypatch.setenv("PORTAL_MASTER_KEY", base64.b64encode(b"short").decode())
    with pytest.raises(ImproperlyConfigured, match="32 bytes"):
        keys._load_master_keys()


def test_a_rotation_from_a_process_without_the_master_key_in_service_is_refused_and_changes_nothing(cast, sealed):
    """Run from a shell holding another master key, a rotation would put in service a key the
    portal cannot open: it is refused before anything is written."""
    from django.core.exceptions import ImproperlyConfigured

    with country_context(cast.fr):
        before = list(CountryKey.objects.values_list("key_id", "state"))
    keys.key_cache_clear()
    keys.master_keys_reset(keys.LocalMasterKeys([secrets.token_bytes(32)]))
    try:
        with pytest.raises(ImproperlyConfigured, match="not configured"):
            country_key_rotate(country=cast.fr)
    finally:
        keys.master_keys_reset(None)
        keys.key_cache_clear()
    with country_context(cast.fr):
        assert list(CountryKey.objects.values_list("key_id", "state")) == before
