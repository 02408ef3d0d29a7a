"""Fixtures of the API contract tests: the whole API served in-process to schemathesis, the schema
as the portal publishes it, and a France with something of everything to read and act on."""

from __future__ import annotations

import pytest
from django.test.client import ClientHandler

from tests.deployments.conftest import act, active_engagement, make_model
from tests.governance.helpers import completed_assessment, published_policy


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
            # Django's handler closes the response once its content is read (a close of our own
            # would fire request_finished, which closes the test's database connection).
            return [b"".join(response.streaming_content)]
        return [response.content]


@pytest.fixture
def contract_world(cast):
    """France ready to deploy (a model, an active engagement, a policy acknowledged, a completed
    assessment) and a draft request: real objects for the stateful runs to create more of and act
    on. Kept small: the contract tests build it once per operation."""
    from deployments import services
    from governance import services as governance_services

    model = make_model()
    active_engagement(cast.fr, cast.fr_ministry)
    _, version = published_policy(cast)
    for person in (cast.owner, cast.member):
        governance_services.acknowledgement_create(version=version, **act(person))
    assessment = completed_assessment(cast)
    services.deployment_request_create(
        country=cast.fr,
        organisation=cast.fr_ministry,
        title="Tax form assistant",
        purpose="Help people fill in tax forms.",
        sector="public_services",
        model=model,
        capabilities=["text"],
        region="eu-west",
        data_classification="internal",
        expected_monthly_tokens=200_000,
        owner=cast.member,
        assessment_id=assessment.pk,
        **act(cast.member),
    )
    return assessment
