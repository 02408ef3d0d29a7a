"""The upgrade forgets the reveals of revoked credentials that databases still hold from before a
rotation and a decommissioning deleted them (deployments 0013): in every country, a reveal is kept
only for the newest live credential of its environment."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from deployments.models import Credential, CredentialReveal, DeploymentRequest, Environment
from deployments.provisioning import credential_issue
from tenants.isolation import country_context
from tests.deployments.conftest import make_model

pytestmark = pytest.mark.django_db

migration = importlib.import_module("deployments.migrations.0013_forget_revoked_reveals")


def _environment(country, organisation, person, model) -> Environment:
    with country_context(country):
        request = DeploymentRequest.objects.create(
            country=country,
            organisation=organisation,
            title="Helpline",
            purpose="Answers on the phone.",
            sector="public_services",
            model=model,
            capabilities=["text"],
            region="eu-west",
            data_classification="internal",
            expected_monthly_tokens=1000,
            owner=person,
            requested_by=person,
            state="active",
        )
        return Environment.objects.create(
            country=country,
            request=request,
            name=request.title,
            backend="local",
            endpoint="http://local",
            model=model,
            region="eu-west",
            monthly_token_quota=1000,
        )


def _issued(environment, person, *, revoked: bool) -> Credential:
    """A credential and its reveal, revoked as the release before revoked one: its reveal left in place."""
    with country_context(environment.country_id):
        credential = credential_issue(environment=environment, for_user_id=person.pk)
        if revoked:
            Credential.objects.filter(pk=credential.pk).update(revoked_at=timezone.now())
    return credential


def test_only_the_newest_live_credentials_reveal_is_kept_in_every_country(cast):
    model = make_model()
    rotated = _environment(cast.ke, cast.ke_ministry, cast.outsider, model)
    rotated_old = _issued(rotated, cast.outsider, revoked=True)
    rotated_new = _issued(rotated, cast.outsider, revoked=False)
    decommissioned = _environment(cast.ke, cast.ke_ministry, cast.outsider, model)
    decommissioned_last = _issued(decommissioned, cast.outsider, revoked=True)
    french = _environment(cast.fr, cast.fr_ministry, cast.member, model)
    french_old = _issued(french, cast.member, revoked=True)
    french_live = _issued(french, cast.member, revoked=False)
    with country_context([cast.fr.pk, cast.ke.pk]):
        assert CredentialReveal.objects.count() == 5

    # As the migration runs: its historical models (plain managers), in one transaction of the owner.
    state = MigrationLoader(connection).project_state(("deployments", "0013_forget_revoked_reveals"))
    migration.forget_revoked_reveals(state.apps, SimpleNamespace(connection=connection))

    with country_context([cast.fr.pk, cast.ke.pk]):
        kept = set(CredentialReveal.objects.values_list("credential_id", flat=True))
        credentials = Credential.objects.count()
    assert kept == {rotated_new.pk, french_live.pk}
    assert not kept & {rotated_old.pk, decommissioned_last.pk, french_old.pk}
    assert credentials == 5  # the credentials themselves (their hashes, the record's keys) stay
