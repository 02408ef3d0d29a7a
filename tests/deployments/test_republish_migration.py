"""The upgrade publishes every environment's policy again (deployments 0012), so that the gateway
learns which upstreams a country declared: a new policy version and a job in the country's outbox
for each environment still in service, whatever country; nothing for a decommissioned one."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from deployments.models import Environment
from tenants.isolation import country_context
from tenants.jobs.models import OutboxMessage
from tests.deployments.conftest import make_model
from tests.deployments.register_helpers import kenyan_deployment

pytestmark = pytest.mark.django_db

migration = importlib.import_module("deployments.migrations.0012_republish_policies")


def test_every_environment_in_service_is_published_again(cast):
    model = make_model()
    request = kenyan_deployment(cast, model)
    retired = kenyan_deployment(cast, model)
    with country_context(cast.ke):
        environment = Environment.objects.get(request=request)
        gone = Environment.objects.get(request=retired)
        Environment.objects.filter(pk=gone.pk).update(state="decommissioned")
        before = environment.policy_version
    # As the migration runs: its historical models (plain managers), in one transaction of the owner.
    state = MigrationLoader(connection).project_state(("deployments", "0012_republish_policies"))
    migration.republish(state.apps, SimpleNamespace(connection=connection))
    with country_context(cast.ke):
        environment.refresh_from_db()
        jobs = list(OutboxMessage.objects.filter(task="deployments.policy_publish").values_list("kwargs", flat=True))
    assert environment.policy_version == before + 1
    assert jobs == [{"country_id": cast.ke.pk, "environment_id": environment.pk}]
    assert gone.pk not in [job["environment_id"] for job in jobs]
