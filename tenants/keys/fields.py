"""EncryptedTextField: a text column sealed with AES-GCM under the row's country key, bound to
`country|table|column|pk`, so that a ciphertext copied to another row, column or country does not
open. Values are opened lazily, on first access, and an unreadable one says so instead of raising.

A stored value with no seal is refused as altered, except in a column an upgrade has just sealed
while its sealing window is open (tenants.keys.windows): during a rolling upgrade the release before
still writes plain values there, which read as written until `seal_plain_values` seals them."""

from __future__ import annotations

from django.apps import apps
from django.db import models
from django.db.models.query_utils import DeferredAttribute

from tenants.keys import envelope as keys


class Sealed(str):
    """The stored form of an encrypted value, as loaded from the database."""


class Unreadable(str):
    """Stands in for a value that cannot be opened. Renders as a clear notice."""

    def __new__(cls, reason: str):
        return super().__new__(cls, f"[unreadable: {reason}]")


DESTROYED = "this country's data key was destroyed when it left the programme"
ALTERED = "this value does not belong to this record or was altered"


def _country_code(country_id: int) -> str:
    # Looked up by name: tenants.models uses this field, so this module cannot import it.
    Country = apps.get_model("tenants", "Country")
    codes = _country_code.cache  # type: ignore[attr-defined]
    if country_id not in codes:
        codes[country_id] = Country.objects.values_list("code", flat=True).get(pk=country_id)
    return codes[country_id]


_country_code.cache = {}  # type: ignore[attr-defined]


def plain_accepted(table: str, column: str) -> bool:
    """Whether a value with no seal in `table.column` is one the release before an upgrade wrote:
    the column's sealing window is open. Asked only for such values, never for sealed ones."""
    SealingWindow = apps.get_model("tenants", "SealingWindow")
    return SealingWindow.objects.filter(table=table, column=column, closed_at__isnull=True).exists()


def aad_for(instance: models.Model, field: models.Field) -> bytes:
    return keys.associated_data(_country_code(instance.country_id), instance._meta.db_table, field.column, instance.pk)


class _OpeningAttribute(DeferredAttribute):
    """A data descriptor (it defines __set__), so that reads always pass through __get__ even
    though the value lives in the instance's __dict__."""

    def __set__(self, instance, value):
        instance.__dict__[self.field.attname] = value

    def __get__(self, instance, cls=None):
        if instance is None:
            return self
        value = super().__get__(instance, cls)
        if isinstance(value, Sealed):
            # Keep the stored form beside the opened value: an unreadable value is written back
            # exactly as it was stored.
            instance.__dict__[self.field.sealed_attname] = value
            value = self.field.open_value(instance, value)
            instance.__dict__[self.field.attname] = value
        return value


class EncryptedTextField(models.TextField):
    descriptor_class = _OpeningAttribute

    def __init__(self, *args, secret: bool = False, **kwargs):
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        # A means of access (a credential, an upstream's or a provider's key), not the country's
        # data: exports say whether it is set, never what it is. Not a column property, so no
        # migration carries it.
        self.secret = secret
        super().__init__(*args, **kwargs)

    @property
    def sealed_attname(self) -> str:
        return f"_sealed_{self.attname}"

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return Sealed(value)

    def open_value(self, instance, sealed: Sealed) -> str:
        if not keys.is_sealed(sealed):
            return self.open_plain(instance, sealed)
        try:
            return keys.open_sealed(country_id=instance.country_id, aad=aad_for(instance, self), sealed=sealed)
        except keys.KeyDestroyed:
            return Unreadable(DESTROYED)
        except keys.CannotOpen:
            return Unreadable(ALTERED)

    def open_plain(self, instance, stored: Sealed) -> str:
        """A value with no seal: the release before an upgrade wrote it while the column's sealing
        window is open (saving it again seals it), or it was put there behind the portal's back."""
        if keys.country_keys_destroyed(instance.country_id):
            return Unreadable(DESTROYED)
        if plain_accepted(instance._meta.db_table, self.column):
            return str(stored)
        return Unreadable(ALTERED)

    def pre_save(self, instance, add):
        value = instance.__dict__.get(self.attname)
        if value is None or value == "":
            return value
        if isinstance(value, Sealed):
            if keys.is_sealed(value):
                return str(value)
            # Stored with no seal and never read: sealed now if its column's window admits it,
            # written back exactly as it was otherwise.
            value = self.open_plain(instance, value)
            if isinstance(value, Unreadable):
                return str(instance.__dict__[self.attname])
        if isinstance(value, Unreadable):
            # Never overwrite what is stored with the notice that stands in for it.
            return str(instance.__dict__.get(self.sealed_attname) or "")
        if instance.pk is None:
            raise RuntimeError("EncryptedTextField needs the row's id before sealing; use EncryptedModel.")
        return keys.seal(country_id=instance.country_id, aad=aad_for(instance, self), plaintext=str(value))

    def get_prep_value(self, value):
        # Lookups on sealed columns are meaningless; values reaching here were sealed by pre_save.
        return None if value is None else str(value)
