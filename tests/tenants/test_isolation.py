"""Layer 1 of isolation (DESIGN §4): the ORM fails closed outside a country context, sees exactly
the countries of the context inside one, and keeps the PostgreSQL setting that row-level security
reads in step with the context — nested, on error, and only for the transaction.

Every test here runs as the runtime role, so row-level security is active underneath; where a
test means to show the ORM layer on its own, it makes the two layers disagree on purpose."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from tenants.isolation import NoCountryContext, TenantManager, country_context, current_scope
from tenants.models import Country, Invitation, Membership, Organisation, TenantModel
from tenants.record.ledger import event_record
from tenants.record.models import CountryEvent

TENANT_MODELS = [Organisation, Membership, Invitation, CountryEvent]


# A model with a `country` (or any foreign key to Country) that is legitimately not tenant data
# is listed here with the reason.
NOT_TENANT_DATA: dict[str, str] = {
    "tenants.ApiToken": "a person's token, not a country's row: vouched_country names the country whose provider "
    "vouched for the second factor of the session that made it"
}


def country_owned_models(registry=apps) -> list[type[models.Model]]:
    found = []
    for model in registry.get_models():
        if model._meta.abstract or model._meta.proxy or model is Country:
            continue
        names = {f.name for f in model._meta.get_fields()}
        points_at_country = any(
            isinstance(f, models.ForeignKey) and f.related_model is Country for f in model._meta.concrete_fields
        )
        if ("country" in names or points_at_country) and model._meta.label not in NOT_TENANT_DATA:
            found.append(model)
    return found


@pytest.fixture
def world(cast):
    """The cast plus one row of every tenant table in each of FR and KE."""
    User = get_user_model()
    fr_guest = User.objects.create(username="fr-guest", email="fr-guest@example.org", is_active=False)
    ke_guest = User.objects.create(username="ke-guest", email="ke-guest@example.org", is_active=False)
    expires = timezone.now() + timedelta(days=7)
    with country_context(cast.fr):
        fr_invited = Membership.objects.create(
            country=cast.fr, user=fr_guest, organisation=cast.fr_agency, role="viewer", status="invited"
        )
        Invitation.objects.create(country=cast.fr, membership=fr_invited, nonce="a" * 32, expires_at=expires)
    with country_context(cast.ke):
        ke_invited = Membership.objects.create(
            country=cast.ke, user=ke_guest, organisation=cast.ke_ministry, role="viewer", status="invited"
        )
        Invitation.objects.create(country=cast.ke, membership=ke_invited, nonce="b" * 32, expires_at=expires)
    event_record(country=cast.fr, action="test.fr", actor=cast.owner, actor_role="country_admin")
    event_record(country=cast.ke, action="test.ke", actor=cast.outsider, actor_role="country_admin")
    return cast


def db_setting() -> tuple[str | None, str | None]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('portal.country_id', true), current_setting('portal.country_ids', true)")
        return cursor.fetchone()


def expected_setting(*countries) -> tuple[str, str]:
    ids = sorted(c.pk for c in countries)
    if len(ids) == 1:
        return (str(ids[0]), "")
    return ("", ",".join(str(i) for i in ids))


def countries_seen(model) -> set[int]:
    return set(model.objects.values_list("country_id", flat=True))


# --- Fail closed outside a context -----------------------------------------------------------------

QUERYSET_CALLS = {
    "all": lambda m: list(m.objects.all()),
    "filter": lambda m: list(m.objects.filter(pk__gt=0)),
    "exclude": lambda m: list(m.objects.exclude(pk=0)),
    "get": lambda m: m.objects.get(pk=1),
    "first": lambda m: m.objects.first(),
    "count": lambda m: m.objects.count(),
    "exists": lambda m: m.objects.exists(),
    "values_list": lambda m: list(m.objects.values_list("pk", flat=True)),
    "in_bulk": lambda m: m.objects.in_bulk([1]),
    "iterator": lambda m: list(m.objects.iterator()),
    "aggregate": lambda m: m.objects.aggregate(n=models.Count("pk")),
    "update": lambda m: m.objects.filter(pk=0).update(country_id=0),
    "delete": lambda m: m.objects.filter(pk=0).delete(),
    "base_manager": lambda m: list(m._base_manager.all()),
    "default_manager": lambda m: list(m._default_manager.all()),
}


@pytest.mark.parametrize("call", list(QUERYSET_CALLS), ids=list(QUERYSET_CALLS))
@pytest.mark.parametrize("model", TENANT_MODELS, ids=lambda m: m.__name__)
def test_tenant_managers_refuse_outside_a_context(world, model, call):
    assert current_scope() is None
    with pytest.raises(NoCountryContext):
        QUERYSET_CALLS[call](model)


def _country_owned_models_at_collection():
    return country_owned_models()


@pytest.mark.parametrize("call", list(QUERYSET_CALLS), ids=list(QUERYSET_CALLS))
@pytest.mark.parametrize("model", _country_owned_models_at_collection(), ids=lambda m: m.__name__)
def test_every_country_owned_model_refuses_outside_a_context(db, model, call):
    """The same refusals for every model with a country, today's and tomorrow's, with or without rows."""
    assert current_scope() is None
    with pytest.raises(NoCountryContext):
        QUERYSET_CALLS[call](model)


def test_create_outside_a_context_is_refused_and_writes_nothing(world):
    with pytest.raises(NoCountryContext):
        Organisation.objects.create(country=world.fr, name="Leaked", kind="ministry")
    with country_context(world.fr):
        assert not Organisation.objects.filter(name="Leaked").exists()


@pytest.mark.parametrize("write", ["create", "save", "bulk_create"])
def test_writing_another_countrys_row_inside_a_context_is_refused_before_the_database(world, write):
    """Layer 1 on writes: the ORM refuses a KE row inside a FR context itself (no INSERT is sent),
    so it holds without row-level security too (the SQLite demo mode)."""
    from django.test.utils import CaptureQueriesContext

    with country_context(world.fr):
        with (
            CaptureQueriesContext(connection) as queries,
            pytest.raises(NoCountryContext, match="was written inside a context"),
        ):
            if write == "create":
                Organisation.objects.create(country=world.ke, name="Smuggled", kind="ministry")
            elif write == "save":
                Organisation(country=world.ke, name="Smuggled", kind="ministry").save()
            else:
                Organisation.objects.bulk_create(
                    [
                        Organisation(country=world.fr, name="Fine", kind="ministry"),
                        Organisation(country=world.ke, name="Smuggled", kind="ministry"),
                    ]
                )
        assert not [q for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("INSERT")]
    with country_context(world.fr, world.ke):
        assert not Organisation.objects.filter(name__in=["Smuggled", "Fine"]).exists()
        Organisation.objects.create(country=world.ke, name="Allowed in a two-country context", kind="ministry")


def test_forward_relations_loaded_in_a_context_refuse_after_it_closes(world):
    with country_context(world.fr):
        membership = Membership.objects.get(user=world.member)
        invitation = Invitation.objects.get(membership__user__username="fr-guest")
    with pytest.raises(NoCountryContext):
        membership.organisation  # noqa: B018 - the attribute access is the query under test
    with pytest.raises(NoCountryContext):
        invitation.membership  # noqa: B018


def test_reverse_relations_refuse_outside_a_context(world):
    with country_context(world.fr):
        organisation = Organisation.objects.get(pk=world.fr_ministry.pk)
        membership = Membership.objects.get(user__username="fr-guest")
    with pytest.raises(NoCountryContext):
        list(organisation.memberships.all())
    with pytest.raises(NoCountryContext):
        organisation.memberships.count()
    with pytest.raises(NoCountryContext):
        membership.invitation  # noqa: B018 - reverse one-to-one
    with pytest.raises(NoCountryContext):
        list(world.owner.memberships.all())
    with pytest.raises(NoCountryContext):
        world.owner.memberships.exists()


def test_relations_inside_a_context_stay_in_its_scope(world):
    """A reverse relation followed from a FR user finds nothing of KE, and a FR user's memberships
    seen from a KE context are empty: the relation carries the scope, not the parent's country."""
    with country_context(world.ke):
        assert list(world.owner.memberships.all()) == []
    with country_context(world.fr):
        assert [m.country_id for m in world.owner.memberships.all()] == [world.fr.pk]
        assert {m.user_id for m in world.fr_ministry.memberships.all()} == {world.owner.pk, world.member.pk}


# --- Inside a context: exactly its countries --------------------------------------------------------


@pytest.mark.parametrize("model", TENANT_MODELS, ids=lambda m: m.__name__)
def test_a_context_sees_only_its_country(world, model):
    with country_context(world.fr):
        assert countries_seen(model) == {world.fr.pk}
    with country_context(world.ke.pk):  # ids are accepted as well as Country objects
        assert countries_seen(model) == {world.ke.pk}


@pytest.mark.parametrize("model", TENANT_MODELS, ids=lambda m: m.__name__)
def test_a_context_of_two_countries_sees_both(world, model):
    with country_context(world.fr, world.ke):
        assert countries_seen(model) == {world.fr.pk, world.ke.pk}
    with country_context([world.fr, world.ke]):  # a list, as the middleware passes its scope
        assert countries_seen(model) == {world.fr.pk, world.ke.pk}


@pytest.mark.parametrize("model", TENANT_MODELS, ids=lambda m: m.__name__)
def test_an_empty_context_sees_nothing(world, model):
    with country_context() as scope:
        assert scope.country_ids == frozenset()
        assert model.objects.count() == 0
        assert list(model.objects.all()) == []


def test_another_countrys_object_is_not_found_by_id_or_filter(world):
    with country_context(world.fr):
        with pytest.raises(Organisation.DoesNotExist):
            Organisation.objects.get(pk=world.ke_ministry.pk)
        assert not Organisation.objects.filter(country=world.ke).exists()
        assert not Membership.objects.filter(user=world.outsider).exists()


def test_the_orm_filter_holds_even_when_the_database_setting_is_wider(world):
    """Layer 1 without layer 3: the context says FR, the transaction's setting is (wrongly) FR+KE.
    The ORM still returns FR only."""
    with country_context(world.fr):
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('portal.country_ids', %s, true)", [f"{world.fr.pk},{world.ke.pk}"])
            cursor.execute("SELECT count(DISTINCT country_id) FROM tenants_organisation")
            assert cursor.fetchone()[0] == 2  # the database would show both...
        for model in TENANT_MODELS:
            assert countries_seen(model) == {world.fr.pk}  # ...the ORM does not


def test_row_level_security_holds_even_when_the_orm_scope_is_wider(world):
    """Layer 3 without layer 1: the context says FR+KE, the transaction's setting is (wrongly) FR."""
    with country_context(world.fr, world.ke):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('portal.country_id', %s, true), set_config('portal.country_ids', '', true)",
                [str(world.fr.pk)],
            )
        for model in TENANT_MODELS:
            assert countries_seen(model) == {world.fr.pk}


def test_a_queryset_built_in_one_context_does_not_leak_in_another(world):
    with country_context(world.fr):
        fr_organisations = Organisation.objects.all()
    with country_context(world.ke):
        assert list(fr_organisations.all()) == []  # .all() on a queryset clones it, keeping its filter
    with country_context(world.fr, world.ke):
        assert {o.country_id for o in fr_organisations.all()} == {world.fr.pk}


def test_the_context_does_not_follow_work_into_another_thread(world):
    seen: dict[str, object] = {}

    def probe():
        seen["scope"] = current_scope()
        try:
            Organisation.objects.all()
        except NoCountryContext as error:
            seen["error"] = error

    with country_context(world.fr):
        thread = threading.Thread(target=probe)
        thread.start()
        thread.join()
    assert seen["scope"] is None
    assert isinstance(seen.get("error"), NoCountryContext)


# --- Nesting, errors and the database setting -------------------------------------------------------


def test_the_database_setting_follows_the_context(world):
    with country_context(world.fr):
        assert db_setting() == expected_setting(world.fr)
    with country_context(world.fr, world.ke):
        assert db_setting() == expected_setting(world.fr, world.ke)
    with country_context():
        assert db_setting() == ("", "")


def test_nested_contexts_restore_the_outer_scope_and_setting(world):
    with country_context(world.fr):
        with country_context(world.fr, world.ke):
            assert current_scope().country_ids == {world.fr.pk, world.ke.pk}
            assert db_setting() == expected_setting(world.fr, world.ke)
            assert countries_seen(Organisation) == {world.fr.pk, world.ke.pk}
            with country_context():
                assert db_setting() == ("", "")
                assert Organisation.objects.count() == 0
            assert db_setting() == expected_setting(world.fr, world.ke)
            assert countries_seen(Organisation) == {world.fr.pk, world.ke.pk}
        assert current_scope().country_ids == {world.fr.pk}
        assert db_setting() == expected_setting(world.fr)
        assert countries_seen(Organisation) == {world.fr.pk}
        with connection.cursor() as cursor:  # and row-level security agrees, not only the ORM
            cursor.execute("SELECT DISTINCT country_id FROM tenants_organisation")
            assert [row[0] for row in cursor.fetchall()] == [world.fr.pk]
    assert current_scope() is None
    assert db_setting() == ("", "")


def test_nested_context_that_raises_restores_the_outer_scope_and_setting(world):
    with country_context(world.fr):
        with pytest.raises(ZeroDivisionError):
            with country_context(world.ke):
                assert db_setting() == expected_setting(world.ke)
                Organisation.objects.create(country=world.ke, name="Rolled back", kind="ministry")
                1 / 0  # noqa: B018
        assert current_scope().country_ids == {world.fr.pk}
        assert db_setting() == expected_setting(world.fr)
        assert countries_seen(Organisation) == {world.fr.pk}
    with country_context(world.ke):
        assert not Organisation.objects.filter(name="Rolled back").exists()
    assert current_scope() is None


def test_nested_context_that_swallowed_a_database_error_rolls_back_quietly(world):
    """A body that catches a database error (without its own atomic block) leaves the transaction
    needing a rollback. Leaving the context must roll back its savepoint like atomic() does, not
    try to run the setting query and raise TransactionManagementError."""
    with country_context(world.fr):
        with country_context(world.fr):
            try:
                Organisation.objects.create(country=world.fr, name=world.fr_ministry.name, kind="ministry")
            except IntegrityError:
                pass
        assert db_setting() == expected_setting(world.fr)
        assert current_scope().country_ids == {world.fr.pk}
        assert Organisation.objects.filter(name=world.fr_ministry.name).count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_setting_is_transaction_local(cast):
    """Nothing survives the context's transaction: the next transaction on the same connection has
    no setting and row-level security shows it no rows."""
    with country_context(cast.fr):
        assert connection.in_atomic_block
        assert db_setting() == expected_setting(cast.fr)
    assert not connection.in_atomic_block
    assert current_scope() is None
    assert db_setting()[0] in (None, "") and db_setting()[1] in (None, "")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM tenants_organisation")
        assert cursor.fetchone()[0] == 0
    # A raw, transaction-local setting ends with its transaction too.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('portal.country_id', %s, true)", [str(cast.ke.pk)])
        cursor.execute("SELECT count(*) FROM tenants_organisation")
        assert cursor.fetchone()[0] == 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM tenants_organisation")
        assert cursor.fetchone()[0] == 0


@pytest.mark.django_db(transaction=True)
def test_nesting_in_a_real_outermost_transaction(cast):
    """The same restore rules when the outer context is the real transaction (no test wrapper)."""
    with country_context(cast.fr):
        with country_context(cast.ke):
            assert countries_seen(Organisation) == {cast.ke.pk}
        assert db_setting() == expected_setting(cast.fr)
        assert countries_seen(Organisation) == {cast.fr.pk}
        with pytest.raises(RuntimeError):
            with country_context(cast.ke):
                raise RuntimeError
        assert db_setting() == expected_setting(cast.fr)
        assert countries_seen(Organisation) == {cast.fr.pk}
    assert db_setting()[0] in (None, "")


# --- Every country-owned model is a tenant model ----------------------------------------------------


def tenant_model_problems(model: type[models.Model]) -> list[str]:
    """What keeps this country-owned model from failing closed (empty when nothing does)."""
    label = model._meta.label
    problems = []
    if not issubclass(model, TenantModel):
        problems.append(f"{label} does not inherit tenants.models.TenantModel")
    country = model._meta.get_field("country") if "country" in {f.name for f in model._meta.get_fields()} else None
    if not (isinstance(country, models.ForeignKey) and country.related_model is Country and not country.null):
        problems.append(f"{label}.country is not a non-null foreign key to Country")
    for manager in model._meta.managers:
        if not isinstance(manager, TenantManager):
            problems.append(f"{label}.{manager.name} is a {type(manager).__name__}, not a TenantManager")
    for role, manager in (("default", model._default_manager), ("base", model._base_manager)):
        try:
            manager.all()
        except NoCountryContext:
            continue
        problems.append(f"{label}'s {role} manager ({type(manager).__name__}) works outside a country context")
    if model._meta.managed is False:
        problems.append(f"{label} is unmanaged: its table would escape the row-level security migrations")
    return problems


def test_every_country_owned_model_is_scoped_and_fails_closed(db):
    """A future model with a country that forgets TenantModel (or its Meta, or adds a plain second
    manager) fails here."""
    found = country_owned_models()
    assert set(TENANT_MODELS) <= set(found)
    problems = [problem for model in found for problem in tenant_model_problems(model)]
    assert not problems, "\n".join(problems)


def test_the_model_check_catches_models_that_would_leak(db):
    """The check is not vacuous: it finds models that would not fail closed."""
    from django.test.utils import isolate_apps

    with isolate_apps("tenants") as registry:

        class Leaky(models.Model):  # a country, but a plain manager
            country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="+")

            class Meta:
                app_label = "tenants"

        class LeakyBase(TenantModel):  # related access (instance.parent) through a plain manager
            plain = models.Manager()

            class Meta(TenantModel.Meta):
                app_label = "tenants"
                base_manager_name = "plain"

        class SecondDoor(TenantModel):  # a second, unscoped manager
            everything = models.Manager()

            class Meta(TenantModel.Meta):
                app_label = "tenants"

        class Sound(TenantModel):
            class Meta(TenantModel.Meta):
                app_label = "tenants"

        assert set(country_owned_models(registry)) == {Leaky, LeakyBase, SecondDoor, Sound}
        assert any("does not inherit" in p for p in tenant_model_problems(Leaky))
        assert any("base manager" in p for p in tenant_model_problems(LeakyBase))
        assert any("everything" in p for p in tenant_model_problems(SecondDoor))
        assert tenant_model_problems(Sound) == []

        class NoMetaOfItsOwn(TenantModel):  # a Meta that forgets TenantModel.Meta still fails closed
            class Meta:
                app_label = "tenants"

        assert tenant_model_problems(NoMetaOfItsOwn) == []


# --- reading_context: the selectors' way in ---------------------------------------------------------


def _setting() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('portal.country_id', true)")
        return cursor.fetchone()[0] or ""


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
def test_reading_in_the_same_scope_adds_no_query_and_keeps_row_security(cast):
    from django.test.utils import CaptureQueriesContext

    from tenants.isolation import reading_context

    with country_context(cast.fr):
        with CaptureQueriesContext(connection) as queries:
            with reading_context(cast.fr):
                with connection.cursor() as cursor:  # raw SQL: only row-level security filters it
                    cursor.execute("SELECT DISTINCT country_id FROM tenants_organisation")
                    seen = {row[0] for row in cursor.fetchall()}
        assert len(queries.captured_queries) == 1  # the read itself: no savepoint, no setting
        assert seen == {cast.fr.pk} and _setting() == str(cast.fr.pk)
        with reading_context(cast.ke):  # another scope: a context of its own, with its own setting
            assert _setting() == str(cast.ke.pk)
            assert set(Organisation.objects.values_list("country_id", flat=True)) == {cast.ke.pk}
        assert _setting() == str(cast.fr.pk)  # and the page's setting back after it


def test_reading_outside_any_context_opens_one(cast):
    from tenants.isolation import current_scope, reading_context

    assert current_scope() is None
    with reading_context(cast.ke):
        assert set(Organisation.objects.values_list("country_id", flat=True)) == {cast.ke.pk}
    assert current_scope() is None
    with pytest.raises(NoCountryContext):
        Organisation.objects.count()
