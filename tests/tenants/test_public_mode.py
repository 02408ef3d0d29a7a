"""The public reading mode of isolation (tenants.isolation.public_country_context): the ORM is
scoped to one country, but the database sees none of its ordinary rows and nothing may be
written; the mode nests and unwinds like any country context; and the middleware serves
/register/<code>/ in it for everyone, signed in or not, whatever countries they may see."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection, transaction
from django.http import HttpResponse
from django.test import RequestFactory

from tenants.isolation import NoCountryContext, country_context, current_scope, public_country_context
from tenants.middleware import CountryScopeMiddleware
from tenants.models import Organisation

pytestmark = pytest.mark.django_db


def settings_now() -> tuple[str, str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('portal.country_id', true), current_setting('portal.country_ids', true), "
            "current_setting('portal.public_country_id', true)"
        )
        return tuple(value or "" for value in cursor.fetchone())


def test_the_database_is_told_only_the_public_country(cast):
    with public_country_context(cast.fr) as scope:
        assert scope.public and scope.country_ids == frozenset({cast.fr.pk})
        assert settings_now() == ("", "", str(cast.fr.pk))
        # The ORM would ask for FR's organisations; row-level security admits none of them,
        # because organisations publish nothing.
        assert Organisation.objects.count() == 0
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM tenants_organisation")
            assert cursor.fetchone()[0] == 0
    with country_context(cast.fr):
        assert Organisation.objects.count() == 2


def test_nothing_is_written_in_the_public_mode(cast):
    with public_country_context(cast.fr):
        with pytest.raises(NoCountryContext, match="public"), transaction.atomic():
            Organisation.objects.create(country=cast.fr, name="Written from a public page", kind="ministry")
        # Below the ORM, the database refuses too: no policy admits the row for writing.
        with pytest.raises(Exception, match="row-level security"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO tenants_organisation (country_id, name, acronym, kind, created_at) "
                    "VALUES (%s, 'Raw', '', 'ministry', now())",
                    [cast.fr.pk],
                )
    with country_context(cast.fr):
        assert not Organisation.objects.filter(name__in=["Written from a public page", "Raw"]).exists()


def test_a_nested_context_gives_the_public_mode_back(cast):
    with public_country_context(cast.fr):
        with country_context(cast.fr, cast.ke):
            assert settings_now()[2] == ""
        assert settings_now() == ("", "", str(cast.fr.pk))
        assert current_scope().public
    with country_context(cast.ke):
        with public_country_context(cast.fr):
            pass
        assert settings_now() == (str(cast.ke.pk), "", "")


def spy_on_middleware(path: str, user) -> dict:
    """Run the middleware on a request for `path` and note what the view would have been given."""
    seen = {}

    def view(request):
        seen["scope"], seen["settings"] = current_scope(), settings_now()
        seen["country"] = request.public_country
        return HttpResponse("ok")

    request = RequestFactory().get(path)
    request.user = user
    CountryScopeMiddleware(view)(request)
    return seen


@pytest.mark.parametrize("who", ["owner", "outsider", "partner", "anonymous"])
def test_the_middleware_serves_register_pages_in_the_public_mode_for_everyone(cast, who):
    user = AnonymousUser() if who == "anonymous" else getattr(cast, who)
    seen = spy_on_middleware("/register/Fr/", user)
    assert seen["country"] == cast.fr
    assert seen["scope"].public and seen["scope"].country_ids == frozenset({cast.fr.pk})
    assert seen["settings"] == ("", "", str(cast.fr.pk))


def test_an_unknown_country_in_a_register_path_sees_nothing(cast):
    seen = spy_on_middleware("/register/zz/", AnonymousUser())
    assert seen["country"] is None
    assert seen["scope"].country_ids == frozenset() and not seen["scope"].public
    assert seen["settings"] == ("", "", "")
