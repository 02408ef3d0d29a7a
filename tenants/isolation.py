"""Country scoping: the fail-closed ORM manager and the transaction-scoped setting that
PostgreSQL row-level security reads (DESIGN §4).

Three layers hold a country's rows apart, and none of them trusts the others:
1. this module's `country_context`, without which tenant querysets raise instead of returning rows;
2. the ORM filter that every tenant queryset carries (`country_id IN <scope>`);
3. PostgreSQL row-level security, which admits a row only when its `country_id` is in the
   transaction's `portal.country_id` / `portal.country_ids` setting.

The public pages (a country's AI register, read by anyone) open `public_country_context` instead:
the ORM is scoped to that one country, but the database is told only `portal.public_country_id`.
No ordinary policy admits a row then; only tables that hold published material add a read-only
policy of their own (`tenants.db.public_rows`) that admits that country's published rows, so a
public page can read nothing else, whatever its code asks for, and can write nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import connection, models, transaction

from tenants.country_state import CountryReadOnly, country_state, read_only_ids, writable_after_exit


class NoCountryContext(RuntimeError):
    """A tenant table was queried outside `country_context`: refusing rather than leaking."""


@dataclass(frozen=True)
class Scope:
    country_ids: frozenset[int]
    public: bool = False  # the public reading mode: published rows of one country, read-only


_scope: ContextVar[Scope | None] = ContextVar("portal_country_scope", default=None)


def current_scope() -> Scope | None:
    return _scope.get()


def scoped_country_ids() -> frozenset[int]:
    scope = _scope.get()
    if scope is None:
        raise NoCountryContext(
            "Tenant data was queried outside a country context. Wrap the work in "
            "tenants.isolation.country_context(...); Celery tasks open it from their country argument."
        )
    return scope.country_ids


def _ids(countries: Iterable[object]) -> frozenset[int]:
    ids = set()
    for country in countries:
        ids.add(int(getattr(country, "pk", country)))
    return frozenset(ids)


def _flat(countries: Iterable[object]) -> list[object]:
    """Countries given one by one or in lists, as one list."""
    flat: list[object] = []
    for country in countries:
        if isinstance(country, (list, tuple, set, frozenset)):
            flat.extend(country)
        else:
            flat.append(country)
    return flat


def _apply_database_setting(scope: Scope | None) -> None:
    """Set the row-level-security settings for the current transaction only (is_local = true)."""
    if connection.vendor != "postgresql":
        return
    ordered = sorted(scope.country_ids) if scope is not None else []
    public = str(ordered[0]) if scope is not None and scope.public and ordered else ""
    if public:
        ordered = []
    single = str(ordered[0]) if len(ordered) == 1 else ""
    several = ",".join(str(i) for i in ordered) if len(ordered) > 1 else ""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('portal.country_id', %s, true), set_config('portal.country_ids', %s, true), "
            "set_config('portal.public_country_id', %s, true)",
            [single, several, public],
        )


@contextmanager
def country_context(*countries: object) -> Iterator[Scope]:
    """Open a transaction in which the given countries' rows (Country objects or ids) are visible.

    With no argument the scope is empty: tenant queries run but see no rows. Contexts nest; the
    inner one replaces the outer for its duration and the outer setting comes back after it.
    """
    with _scoped(Scope(_ids(_flat(countries)))) as scope:
        yield scope


@contextmanager
def reading_context(*countries: object) -> Iterator[Scope]:
    """For reads only: the given countries' rows, as `country_context` gives them, but read inside
    the enclosing transaction when it already holds exactly that scope (a selector called from a
    country's page, which the middleware opened): no savepoint and no setting, since a read has
    nothing to undo and row-level security already reads the right setting. Anything else (another
    scope, or no transaction) opens `country_context`. Never write inside it: a write needs the
    savepoint that undoes it on failure."""
    scope = Scope(_ids(_flat(countries)))
    if _scope.get() == scope and connection.in_atomic_block and not connection.needs_rollback:
        yield scope
        return
    with _scoped(scope) as scope:
        yield scope


@contextmanager
def joined_context(*countries: object) -> Iterator[Scope]:
    """For writes that need no savepoint of their own (each is one statement, or a failure of any
    of them must undo the whole change anyway): inside a transaction that already holds exactly
    that scope, they join it, as Django's `atomic(savepoint=False)` joins the enclosing block; a
    failure then marks the enclosing transaction (or its nearest savepoint) for rollback, so nothing
    half done is ever kept, and no SAVEPOINT and RELEASE are paid for each write. Anything else
    (another scope, or no transaction) opens `country_context`. Never catch a failure inside it and
    go on using the database: the transaction is lost then (use `country_context` for that)."""
    scope = Scope(_ids(_flat(countries)))
    if _scope.get() == scope and connection.in_atomic_block and not connection.needs_rollback:
        with transaction.atomic(savepoint=False):
            yield scope
        return
    with _scoped(scope) as scope:
        yield scope


@contextmanager
def public_country_context(country: object) -> Iterator[Scope]:
    """Open a transaction for the public pages of one country: the ORM is scoped to it, the
    database admits only its published rows of the tables that publish (see the module's
    docstring), and nothing may be written."""
    with _scoped(Scope(_ids([country]), public=True)) as scope:
        yield scope


@contextmanager
def _scoped(scope: Scope) -> Iterator[Scope]:
    outer = _scope.get()
    token = _scope.set(scope)
    # The same scope nested in a transaction that already set it (a selector or a step of the
    # onboarding list opening its country inside the request's): the setting is already right.
    same = outer == scope and connection.in_atomic_block
    try:
        with transaction.atomic():
            if not same:
                _apply_database_setting(scope)
            yield scope
            # On success, give the enclosing transaction its own setting back. On failure the
            # savepoint rollback already restores it; so does the rollback that atomic() performs
            # when the body swallowed a database error (needs_rollback), where no query may run.
            if not same and len(connection.atomic_blocks) > 1 and not connection.needs_rollback:
                _apply_database_setting(outer)
    finally:
        _scope.reset(token)


class TenantQuerySet(models.QuerySet):
    def _insert(self, objs, fields, *args, **kwargs):
        """Every INSERT of a tenant row (save, create, bulk_create) goes through here: a row of a
        country outside the context is refused before it reaches the database, so the ORM keeps
        countries apart on writes too, without relying on row-level security (SQLite demo mode)."""
        allowed = scoped_country_ids()
        scope = _scope.get()
        if scope is not None and scope.public:
            raise NoCountryContext(
                f"A {self.model._meta.label} row was written from a public page: the public reading mode writes nothing."
            )
        for obj in objs:
            if getattr(obj, "country_id", None) not in allowed:
                raise NoCountryContext(
                    f"A {self.model._meta.label} row of country {getattr(obj, 'country_id', None)} was written "
                    f"inside a context of {sorted(allowed) or 'no country'}: open that country's context to write it."
                )
        return super()._insert(objs, fields, *args, **kwargs)

    _insert.queryset_only = False  # as Django marks QuerySet._insert: managers proxy it

    def _refuse_read_only_rows(self) -> None:
        """An UPDATE through the queryset touching rows of a country that is leaving or has left."""
        if writable_after_exit(self.model):
            return
        blocked = read_only_ids(scoped_country_ids())
        if not blocked:
            return
        hit = self.filter(country_id__in=blocked).values_list("country_id", flat=True).first()
        if hit is not None:
            raise CountryReadOnly(country_state(hit))

    def update(self, **kwargs):
        self._refuse_read_only_rows()
        return super().update(**kwargs)

    def delete(self):
        # Checked before Django's collector opens its transaction, so a refusal leaves the caller's
        # transaction usable; the pre_delete receiver (tenants.apps) still holds cascades.
        self._refuse_read_only_rows()
        return super().delete()

    delete.alters_data = True
    delete.queryset_only = True

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        if not writable_after_exit(self.model):
            blocked = read_only_ids({obj.country_id for obj in objs if getattr(obj, "country_id", None)})
            if blocked:
                raise CountryReadOnly(country_state(blocked[0]))
        return super().bulk_create(objs, *args, **kwargs)


class TenantManager(models.Manager.from_queryset(TenantQuerySet)):  # type: ignore[misc]
    """The manager of every tenant table: scoped to the current country context, and failing
    closed (NoCountryContext) outside one."""

    use_in_migrations = False

    def get_queryset(self) -> TenantQuerySet:
        country_ids = scoped_country_ids()
        return super().get_queryset().filter(country_id__in=country_ids)

    def _for_insert(self) -> TenantQuerySet:
        """The queryset of an INSERT, which reads no rows: the scope's filter would be built (a
        third of an event's recording) and thrown away. Outside a context it fails closed as
        get_queryset does; TenantQuerySet._insert still refuses a row of a country outside it."""
        scoped_country_ids()
        return self._queryset_class(model=self.model, using=self._db, hints=self._hints)

    def create(self, **kwargs):
        return self._for_insert().create(**kwargs)

    def _insert(self, objs, fields, *args, **kwargs):
        # What Model.save() calls for a new row (through the manager, as Django's _do_insert does).
        return self._for_insert()._insert(objs, fields, *args, **kwargs)
