"""Fixtures of the API contract tests: the whole API served in-process to schemathesis, the schema
as the portal publishes it, and a France with something of everything to read and act on."""

from __future__ import annotations

import pytest
from django.test.client import ClientHandler

from tests.deployments.conftest import Ready, act, active_engagement, make_model
from tests.governance.helpers import HIGH, completed_assessment, published_policy


class InProcessApp:
    """The portal as a WSGI application for schemathesis, through Django's test handler: requests
    run in the test's transaction (nothing closes its connection) and a server error comes back as
    the 500 a client would see, for schemathesis to report."""

    def __init__(self):
        self.handler = ClientHandler(enforce_csrf_checks=True)

    def __call__(self, environ, start_response):
        response = self.handler(environ)
        headers = [*response.items()]
        headers += [("Set-Cookie", cookie.output(header="").strip()) for cookie in response.cookies.values()]
        start_response(f"{response.status_code} {response.reason_phrase}", headers)
        if response.streaming:
            body = b"".join(response.streaming_content)
            response.close()
            return [body]
        return [response.content]


@pytest.fixture
def contract_world(cast):
    """France ready to deploy, with a draft, a submitted and an active request, an engagement, a
    policy, assessments, an incident and enrolments: ids for schemathesis's links to act on."""
    from deployments import provisioning, services
    from deployments.models import ProvisioningJob
    from governance import incidents
    from tenants.isolation import country_context
    from training import services as training_services
    from training.models import Programme

    model = make_model()
    active_engagement(cast.fr, cast.fr_ministry)
    _, version = published_policy(cast)
    for person in (cast.owner, cast.member):
        from governance import services as governance_services

        governance_services.acknowledgement_create(version=version, **act(person))
    ready = Ready(model, completed_assessment(cast), completed_assessment(cast, answers=HIGH, title="Triage"))
    fields = {
        "organisation": cast.fr_ministry,
        "title": "Tax form assistant",
        "purpose": "Help people fill in tax forms.",
        "sector": "public_services",
        "model": model,
        "capabilities": ["text"],
        "region": "eu-west",
        "data_classification": "internal",
        "expected_monthly_tokens": 200_000,
        "owner": cast.member,
        "assessment_id": ready.assessment.pk,
    }
    items = [services.deployment_request_create(country=cast.fr, **act(cast.member), **fields) for _ in range(3)]
    services.deployment_request_transition(request=items[1], action="submit", **act(cast.member))
    services.deployment_request_transition(request=items[2], action="submit", **act(cast.member))
    services.deployment_request_transition(request=items[2], action="approve", **act(cast.partner))
    with country_context(cast.fr):
        job = ProvisioningJob.objects.get(request=items[2])
    provisioning.provisioning_run(country_id=cast.fr.pk, job_id=job.pk)
    # The catalogue brings training requirements with it: after the requests have passed their gates.
    training_services.catalogue_sync()
    for person in (cast.owner, cast.member):
        training_services.enrolment_create(
            country=cast.fr, programme=Programme.objects.get(slug="ai-literacy"), user=person, **act(person)
        )
    incidents.incident_report(
        country=cast.fr,
        title="Leak",
        severity="major",
        description="A reply quoted another file.",
        deployment_reference="DEP-1",
        **act(cast.member),
    )
    return ready
