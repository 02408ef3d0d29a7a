"""A query compiled once (tenants.queries) reads what the ORM would have read, for any values, and
does not compile again; the country lookup every country request makes is one of them."""

from __future__ import annotations

import pytest
from django.db.models.sql.compiler import SQLCompiler

from tenants.languages.models import Preferences
from tenants.middleware import _country_lookup
from tenants.models import Country
from tenants.queries import CompiledQuery

pytestmark = pytest.mark.django_db


def test_a_compiled_query_reads_what_the_orm_reads_for_other_values(cast):
    compiled = CompiledQuery(Country.objects.filter(code="\x00code").order_by("pk")[:1], {"code": "\x00code"})
    for code in ("FR", "KE", "ZZ"):
        expected = Country.objects.filter(code=code).order_by("pk").first()
        found = compiled.first(code=code)
        assert (
            (found.pk, found.name, found.status) == (expected.pk, expected.name, expected.status)
            if expected
            else found is None
        )


def test_it_compiles_once(cast, monkeypatch):
    compiled = CompiledQuery(Country.objects.filter(code="\x00code")[:1], {"code": "\x00code"})
    compilations = []
    original = SQLCompiler.as_sql
    monkeypatch.setattr(SQLCompiler, "as_sql", lambda self, *a, **k: compilations.append(1) or original(self, *a, **k))
    assert compiled.first(code="FR").code == "FR" and compiled.first(code="KE").code == "KE"
    assert compilations == []
    Country.objects.filter(code="FR").first()
    assert compilations  # the check can see a compilation


def test_placeholders_are_checked_when_it_is_built_and_run(cast):
    query = Country.objects.filter(code="\x00a", name="\x00b")
    with pytest.raises(ValueError, match="not among"):
        CompiledQuery(query, {"code": "\x00a", "name": "\x00b", "other": -5})
    with pytest.raises(ValueError, match="share the value"):
        CompiledQuery(Country.objects.filter(code="\x00a", name="\x00a"), {"code": "\x00a", "name": "\x00a"})
    compiled = CompiledQuery(query, {"code": "\x00a", "name": "\x00b"})
    with pytest.raises(TypeError):
        compiled.first(code="FR")


def test_the_country_lookup_carries_the_readers_language_and_home_defaults(cast):
    Preferences.objects.update_or_create(user=cast.member, defaults={"language": "sw", "time_zone": "Africa/Nairobi"})
    ke = Country.objects.get(code="KE")
    found = _country_lookup(True, True).first(code="KE", user=cast.member.pk, home=cast.fr.pk)
    assert found.pk == ke.pk
    assert (found.reading_language, found.reading_zone) == ("sw", "Africa/Nairobi")
    assert (found.reading_home_language, found.reading_home_zone) == (cast.fr.default_language, cast.fr.time_zone)
    Preferences.objects.filter(user=cast.viewer).delete()
    plain = _country_lookup(True, False).first(code="FR", user=cast.viewer.pk)
    assert plain.pk == cast.fr.pk and plain.reading_language is None and plain.reading_home_language is None
    assert _country_lookup(False, False).first(code="XX") is None
