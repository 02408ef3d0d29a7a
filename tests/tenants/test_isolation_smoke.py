import pytest
from django.db import connection

from tenants.isolation import NoCountryContext, country_context
from tenants.models import Organisation


def test_runs_as_runtime_role(cast):
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0] == "portal_app"


def test_fail_closed(cast):
    with pytest.raises(NoCountryContext):
        list(Organisation.objects.all())
    with country_context(cast.fr):
        assert {o.name for o in Organisation.objects.all()} == {"Ministère du Numérique", "Agence des Données"}
