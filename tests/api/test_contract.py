"""Contract tests: schemathesis drives the whole API from its published schema, as an officer, a
country admin, a partner manager and an auditor (tokens of the suite's cast), and checks every
answer: no server error, a documented status code and content type, a body that matches the
schema. Then stateful runs follow the schema's links (create → read → act) with real ids.

Bounded: a few examples per operation (each sent as every role), a few short scenarios per role;
the whole file takes a few minutes on the suite's machine."""

from __future__ import annotations

import itertools

import pytest
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tenants.identity.tokens import api_token_issue

from .conftest import InProcessApp

pytestmark = pytest.mark.django_db
ROLES = {"officer": "member", "country_admin": "owner", "partner_manager": "partner", "auditor": "auditor"}
EXAMPLES = 8
SCENARIOS = 5
BOUNDS = dict(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate],
)

schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
schema.app = InProcessApp()
# France's pages hold what the world below made; a generated country code would only ever 404.
schema.config.update(parameters={"code": "FR"})
# The examples of the schema and generated cases; the coverage phase's hundreds of boundary cases
# per operation would take the run far past a few minutes.
schema.config.phases.coverage.enabled = False
# Every check but one: a body the schema allows may still break a rule (an organisation you do not
# act for, a cursor the list never gave out) and is then refused with a 400 that says why. That
# the schema and the serializers agree is held by tests/api/test_schema.py instead.
EXCLUDED = [positive_data_acceptance]


@pytest.fixture
def tokens(cast, contract_world) -> dict[str, str]:
    return {role: api_token_issue(user=getattr(cast, who))[0] for role, who in ROLES.items()}


@pytest.fixture
def next_role(tokens):
    """The four roles in turn, so that each operation's cases are sent by every role."""
    return itertools.cycle(sorted(tokens.items())).__next__


@schema.parametrize()
@settings(max_examples=EXAMPLES, **BOUNDS)
def test_every_operation_keeps_its_contract(case, next_role):
    _, token = next_role()
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, excluded_checks=EXCLUDED)


@pytest.mark.parametrize("role", sorted(ROLES))
def test_stateful_scenarios_follow_the_links(tokens, role):
    # The role's token as the schema's configured authentication, so that schemathesis knows the
    # calls are signed in (and checks, with a token of its own making, that a wrong one is refused).
    schema.config.update(headers={"Authorization": f"Bearer {tokens[role]}"})
    try:

        class Workflow(schema.as_state_machine()):
            def validate_response(self, response, case, additional_checks=None, **kwargs):
                case.validate_response(response, excluded_checks=EXCLUDED, transport_kwargs=kwargs)

        Workflow.run(settings=settings(max_examples=SCENARIOS, stateful_step_count=6, **BOUNDS))
    finally:
        schema.config.update(headers={})
