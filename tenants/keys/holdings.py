"""What a country holds beyond its rows, and where a person is in it: the map that a country's
export, a person's erasure and a data-subject access request all read.

tenants sits at the bottom of the layers and cannot import the apps above it, so each app
registers what it holds from its AppConfig.ready():

    from tenants.keys.holdings import files_register, personal_text_register
    files_register("governance.EvidenceFile", name=lambda row: row.path, sha256_field="sha256")
    personal_text_register("engagements.EngagementTransition", author="by", fields=["comment"])

- files_register: rows that name a stored file (exported with the country; destroyed with the
  person when `personal_to` names them);
- personal_text_register: columns holding a person's own words or contact details (emptied);
- personal_rows_register: rows that exist only for a person (deleted);
- linked_rows_register: rows that are a person's through a parent row (shown to them);
- plain_text_register: free text that stays plain, not sealed under the country's key, and why (it
  outlives the destruction of the country's keys: the "Data and keys" page lists it; every other
  text a person writes is an EncryptedTextField, which tests/tenants/test_words_sealed.py holds).

Found without registration: every file field of a country-owned table (read through the field's
own storage), and every foreign key from a country-owned table to the user model (the rows that
name a person). Files are always read and deleted through the file room (tenants/files.py: Django's
default storage, sealed under the country's key), so the backend (local disk, object storage) can
change without this module or its callers changing; a FileField of a country-owned table must use
the default storage for the same reason."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps
from django.conf import settings
from django.core.files.storage import Storage, default_storage
from django.db import models
from django.utils.translation import gettext_lazy

from tenants.models import TenantModel

# The chain is never rewritten: an erased person's name on it is relabelled by the database
# (portal_ledger_relabel), never by updating its rows.
NOT_REWRITTEN = frozenset({"tenants.CountryEvent", "tenants.CountryCheckpoint"})


def _default_storage() -> Storage:
    return default_storage


@dataclass(frozen=True)
class StoredFiles:
    """Rows of `label` that name a stored file. `name(row)` is the file's name in its storage ("" for
    none); `sha256_field`, a column recording its SHA-256 when it was stored; `personal_to`, the
    foreign key naming the person the file is about (destroyed when that person is erased)."""

    label: str
    name: Callable[[models.Model], str]
    storage: Callable[[], Storage] = _default_storage
    sha256_field: str = ""
    personal_to: str = ""

    @property
    def model(self) -> type[models.Model]:
        return apps.get_model(self.label)


@dataclass(frozen=True)
class PersonalText:
    """Columns of `label` that hold a person's own words or contact details, the person being the
    one the foreign key `author` names: emptied when they are erased, shown to them on request."""

    label: str
    author: str
    fields: tuple[str, ...] = field(default_factory=tuple)

    @property
    def model(self) -> type[models.Model]:
        return apps.get_model(self.label)


@dataclass(frozen=True)
class PersonalRows:
    """Rows of `label` that exist only for the person `person` names (messages to them, their
    subscriptions): deleted when they are erased."""

    label: str
    person: str

    @property
    def model(self) -> type[models.Model]:
        return apps.get_model(self.label)


@dataclass(frozen=True)
class LinkedRows:
    """Rows of `label` that are a person's through their parent row (`via`, a foreign key to a table
    that names the person): shown to them on request; their parent's pseudonym covers them."""

    label: str
    via: str

    @property
    def model(self) -> type[models.Model]:
        return apps.get_model(self.label)


@dataclass(frozen=True)
class PlainText:
    """Free text kept plain on purpose in `columns` ({label: field names}): `what` it is and `why`
    it stays readable when the country's keys are destroyed, in words for the data page."""

    what: object
    why: object
    columns: tuple[tuple[str, tuple[str, ...]], ...]


# Why the names of things stay plain (several apps give it).
NAMES_READ_BY_THE_DATABASE = gettext_lazy(
    "They name things in every list and on the activity record, where the database reads and sorts "
    "them. Write no personal details in them."
)
# Why the name of an uploaded file stays plain (evidence, attachments).
FILE_NAMES = gettext_lazy(
    "A file is listed by its name before anyone opens it. The file itself is encrypted under the "
    "key, and unreadable once the key is destroyed."
)
# Why the country's documents stay plain (policies, its own training).
SHAREABLE_DOCUMENTS = gettext_lazy(
    "They are the programme's documents, which the country may share with other countries (a shared "
    "copy is kept in the platform's catalogue). Write no personal details in them."
)

_files: dict[str, StoredFiles] = {}
_texts: dict[str, PersonalText] = {}
_rows: dict[str, PersonalRows] = {}
_linked: dict[str, LinkedRows] = {}
_plain: list[PlainText] = []


def _check(label: str, *names: str) -> None:
    model = apps.get_model(label)  # raises LookupError for a misspelt label: better at start than at erasure
    for name in names:
        model._meta.get_field(name)


def files_register(
    label: str,
    *,
    name: Callable[[models.Model], str],
    storage: Callable[[], Storage] | None = None,
    sha256_field: str = "",
    personal_to: str = "",
) -> None:
    _check(label, *(f for f in (sha256_field, personal_to) if f))
    _files[label] = StoredFiles(label, name, storage or _default_storage, sha256_field, personal_to)


def personal_text_register(label: str, *, author: str, fields: list[str] | tuple[str, ...]) -> None:
    _check(label, author, *fields)
    _texts[label] = PersonalText(label, author, tuple(fields))


def personal_rows_register(label: str, *, person: str) -> None:
    _check(label, person)
    _rows[label] = PersonalRows(label, person)


def linked_rows_register(label: str, *, via: str) -> None:
    _check(label, via)
    _linked[label] = LinkedRows(label, via)


def plain_text_register(columns: dict[str, list[str]], *, what, why) -> None:
    for label, names in columns.items():
        _check(label, *names)
    entry = PlainText(what, why, tuple((label, tuple(names)) for label, names in sorted(columns.items())))
    if entry not in _plain:
        _plain.append(entry)


def plain_texts() -> list[PlainText]:
    return list(_plain)


def _tenant_models() -> list[type[models.Model]]:
    found = [m for m in apps.get_models() if issubclass(m, TenantModel)]
    return sorted(found, key=lambda m: m._meta.label)


def stored_files() -> list[StoredFiles]:
    """Every kind of stored file a country holds: the registered ones and every FileField."""
    found = dict(_files)
    for model in _tenant_models():
        for model_field in model._meta.concrete_fields:
            if isinstance(model_field, models.FileField) and model._meta.label not in found:
                attname = model_field.attname
                found[model._meta.label] = StoredFiles(
                    model._meta.label,
                    name=lambda row, attname=attname: str(getattr(row, attname) or ""),
                    storage=lambda model_field=model_field: model_field.storage,
                )
    return [found[label] for label in sorted(found)]


def personal_texts() -> list[PersonalText]:
    return [_texts[label] for label in sorted(_texts)]


def personal_rows() -> list[PersonalRows]:
    return [_rows[label] for label in sorted(_rows)]


def linked_rows() -> list[LinkedRows]:
    return [_linked[label] for label in sorted(_linked)]


def person_links() -> list[tuple[type[models.Model], list[models.ForeignKey]]]:
    """Every country-owned table with foreign keys to the user model, and those keys; the chain
    excepted (it is never rewritten)."""
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    found = []
    for model in _tenant_models():
        if model._meta.label in NOT_REWRITTEN:
            continue
        keys = [
            f
            for f in model._meta.concrete_fields
            if isinstance(f, models.ForeignKey) and f.remote_field.model is user_model
        ]
        if keys:
            found.append((model, keys))
    return found
