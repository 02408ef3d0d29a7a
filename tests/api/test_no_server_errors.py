"""No input gets a 5xx: the nine causes of server errors found by trying the API as an attacker
would, each refused with a 4xx that says what to do, as JSON for API callers, and changing nothing.

1. tampered or garbage pagination cursors, on every list
2. NUL bytes in query parameters
3. NUL bytes in path segments
4. NUL bytes in form fields (pages)
5. a lone surrogate in a JSON string (a choice field that echoed it into its error)
6. ids beyond what a bigint holds in a body ("assessment": 2**63)
7. type-confused nested programme content ("links": 5)
8. a link that is not a web address ("http://[abc")
9. NUL or a lone surrogate inside programme module text (stored as jsonb)
"""

from __future__ import annotations

import base64
import json

import pytest
from rest_framework.test import APIClient

from deployments.models import DeploymentRequest
from governance.models import CountryPolicy
from tenants.identity.tokens import api_token_issue
from tenants.isolation import country_context
from tests.deployments.conftest import make_model
from training.models import CountryProgramme

pytestmark = pytest.mark.django_db
FR = "/api/v1/countries/FR"


def client_for(user=None) -> APIClient:
    client = APIClient(raise_request_exception=False)
    if user is not None:
        raw, _ = api_token_issue(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def assert_refused(response, status: int = 400) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["detail"], str) and len(body["detail"]) > 10
    return body


def b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8", "surrogatepass")).decode()


# --- 1. Cursors --------------------------------------------------------------------------------

PAGINATED = [
    ("owner", "/api/v1/countries/"),
    ("owner", f"{FR}/organisations/"),
    ("owner", f"{FR}/members/"),
    ("owner", f"{FR}/engagements/"),
    ("owner", f"{FR}/policies/"),
    ("owner", f"{FR}/assessments/"),
    ("owner", f"{FR}/incidents/"),
    ("owner", f"{FR}/deployment-requests/"),
    ("owner", f"{FR}/environments/"),
    ("owner", f"{FR}/training/enrolments/"),
    ("owner", f"{FR}/audit-events/"),
    ("owner", f"{FR}/audit-events/checkpoints/"),
    ("auditor", f"{FR}/compliance-reports/"),
    ("partner", "/api/v1/review-queue/"),
    ("partner", "/api/v1/review-queue/deployments/"),
]
CURSORS = [
    "cD1hYmM=",  # "p=abc", from the report
    "not base64 at all!",
    b64("p=99999999999999999999999999"),
    b64("p=-99999999999999999999999999"),
    b64("p=2026-13-45T99:00:00"),
    b64("p=a\x00b"),
    b64("p=\ud800"),
    b64("o=-5&p=1"),
    b64("r=yes&p=1"),
    b64("\xff\xfe"),
]


@pytest.mark.parametrize("who,path", PAGINATED, ids=[p for _, p in PAGINATED])
def test_a_tampered_cursor_is_a_400_on_every_list(cast, who, path):
    client = client_for(getattr(cast, who))
    assert client.get(path).status_code == 200
    for cursor in CURSORS:
        body = assert_refused(client.get(path, {"cursor": cursor}))
        assert "cursor" in body["detail"].lower(), body


def test_a_cursor_the_list_gave_out_still_works(cast):
    client = client_for(cast.owner)
    first = client.get(f"{FR}/members/", {"page_size": 1}).json()
    assert len(first["results"]) == 1 and first["next"]
    second = client.get(first["next"])
    assert second.status_code == 200 and second.json()["results"][0]["id"] != first["results"][0]["id"]


# --- 2, 3, 4. NUL bytes ------------------------------------------------------------------------


def test_a_nul_byte_in_a_query_parameter_is_a_400(cast):
    body = assert_refused(client_for(cast.partner).get("/api/v1/review-queue/?country=%00"))
    assert body["errors"] == {"country": [body["errors"]["country"][0]]}
    assert "NUL" in body["detail"]
    assert_refused(client_for(cast.owner).get(f"{FR}/audit-events/?action=a%00b"))


def test_a_nul_byte_in_a_path_segment_is_a_json_404(cast):
    client = client_for(cast.owner)
    assert_refused(client.get(f"{FR}/frameworks/gdpr/requirements/%00/evidence/"), 404)
    assert_refused(client.get(f"{FR}/frameworks/gd%00pr/requirements/"), 404)


def test_a_nul_byte_in_a_form_field_is_a_400_page_that_changes_nothing(cast, client):
    client.raise_request_exception = False
    client.force_login(cast.owner)
    response = client.post(
        "/c/fr/governance/policies/adopt/", "template=%00", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert b"NUL" in response.content
    with country_context(cast.fr):
        assert not CountryPolicy.objects.exists()


# --- 5. Lone surrogates ------------------------------------------------------------------------


def test_a_lone_surrogate_in_a_json_body_is_a_400_naming_the_field(cast):
    make_model()
    client = client_for(cast.member)
    raw = '{"title": "x", "sector": "\\ud800", "nested": {"list": ["ok", "\\udfff"]}}'
    body = assert_refused(client.post(f"{FR}/deployment-requests/", raw, content_type="application/json"))
    assert set(body["errors"]) == {"sector", "nested.list[1]"}
    raw_key = '{"\\ud800": 1}'
    assert_refused(client.post(f"{FR}/deployment-requests/", raw_key, content_type="application/json"))
    with country_context(cast.fr):
        assert not DeploymentRequest.objects.exists()


# --- 6. Ids beyond a bigint --------------------------------------------------------------------


def request_body(cast, **change) -> dict:
    return {
        "organisation": cast.fr_ministry.pk,
        "title": "Tax form assistant",
        "purpose": "Help people fill in tax forms.",
        "sector": "public_services",
        "model": "aurora-large",
        "capabilities": ["text"],
        "region": "eu-west",
        "data_classification": "internal",
        "expected_monthly_tokens": 200_000,
        "owner": cast.member.pk,
        **change,
    }


@pytest.mark.parametrize("field", ["assessment", "organisation", "owner"])
def test_an_id_beyond_a_bigint_in_a_body_is_a_400_on_that_field(cast, field):
    make_model()
    client = client_for(cast.member)
    for value in (2**63, 2**64 + 7, 10**40):
        body = assert_refused(
            client.post(f"{FR}/deployment-requests/", request_body(cast, **{field: value}), format="json")
        )
        assert list(body["errors"]) == [field], body
    with country_context(cast.fr):
        assert not DeploymentRequest.objects.exists()


def test_every_integer_of_an_input_serializer_is_bounded_to_a_bigint():
    """The class behind cause 6: no integer an input serializer accepts can overflow a bigint."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    inputs = {
        content["schema"]["$ref"].rsplit("/", 1)[1]
        for item in schema["paths"].values()
        for operation in item.values()
        for content in operation.get("requestBody", {}).get("content", {}).values()
    }
    assert len(inputs) > 20
    unbounded = []
    for name in sorted(inputs):
        for field, spec in schema["components"]["schemas"][name].get("properties", {}).items():
            items = spec.get("items", {})
            for where, node in ((field, spec), (f"{field}[]", items)):
                if node.get("type") == "integer" and (
                    node.get("maximum", 2**63) > 2**63 - 1 or node.get("minimum", -(2**63) - 1) < -(2**63)
                ):
                    unbounded.append(f"{name}.{where}")
    assert unbounded == []


# --- 7, 8, 9. Programme content ----------------------------------------------------------------


def module(**change) -> dict:
    return {
        "title": "Basics",
        "body": "What a model is.",
        "links": [{"title": "Guide", "url": "https://example.org/guide"}],
        "quiz": [{"question": "Pick one", "options": ["a", "b"], "answer": 0}],
        **change,
    }


def programme_post(cast, content, raw: str | None = None):
    client = client_for(cast.owner)
    payload = {"title": "Local course", "content": content}
    if raw is not None:
        return client.post(f"{FR}/training/programmes/", raw, content_type="application/json")
    return client.post(f"{FR}/training/programmes/", payload, format="json")


@pytest.mark.parametrize(
    "content,path",
    [
        ({"modules": [module(links=5)]}, "content.modules[0].links"),
        ({"modules": [module(links=[5])]}, "content.modules[0].links[0]"),
        ({"modules": [module(links=[{"title": "x", "url": 5}])]}, "content.modules[0].links[0].url"),
        ({"modules": [module(quiz="yes")]}, "content.modules[0].quiz"),
        (
            {"modules": [module(quiz=[{"question": "q", "options": "ab", "answer": 0}])]},
            "content.modules[0].quiz[0].options",
        ),
        (
            {"modules": [module(quiz=[{"question": "q", "options": ["a", "b"], "answer": "0"}])]},
            "content.modules[0].quiz[0].answer",
        ),
        (
            {"modules": [module(quiz=[{"question": "q", "options": ["a", "b"], "answer": 2}])]},
            "content.modules[0].quiz[0].answer",
        ),
        ({"modules": [module(), module(title=["x"])]}, "content.modules[1].title"),
        ({"modules": [module(body={"a": 1})]}, "content.modules[0].body"),
        ({"modules": "all"}, "content.modules"),
        ([1, 2], "content"),
        ({"modules": [module(extra=1)]}, "content.modules[0].extra"),
    ],
)
def test_type_confused_programme_content_is_a_400_with_the_field_path(cast, content, path):
    body = assert_refused(programme_post(cast, content))
    assert path in body["errors"], body
    with country_context(cast.fr):
        assert not CountryProgramme.objects.exists()


@pytest.mark.parametrize(
    "url", ["http://[abc", "https://[::1", "javascript:alert(1)", "https://", "ftp://example.org/x"]
)
def test_a_link_that_is_not_a_web_address_is_a_400_with_the_field_path(cast, url):
    body = assert_refused(programme_post(cast, {"modules": [module(links=[{"title": "x", "url": url}])]}))
    assert "content.modules[0].links[0].url" in body["errors"], body


@pytest.mark.parametrize("text", ["\\u0000", "a\\u0000b", "\\ud800", "x\\udfffy"])
def test_nul_or_a_lone_surrogate_in_module_text_is_a_400(cast, text):
    raw = json.dumps({"title": "Local course", "content": {"modules": [module()]}})
    raw = raw.replace("What a model is.", text)
    body = assert_refused(programme_post(cast, None, raw=raw))
    assert "content.modules[0].body" in body["errors"], body
    with country_context(cast.fr):
        assert not CountryProgramme.objects.exists()


def test_nul_in_module_text_is_refused_by_the_service_too(cast):
    """The service stores jsonb: it refuses such text whatever the door (page or API)."""
    from tenants.errors import ServiceError
    from training.authoring import content_validate

    with pytest.raises(ServiceError) as refusal:
        content_validate({"modules": [module(body="a\x00b")]})
    assert refusal.value.field == "content.modules[0].body"
    assert "NUL" in refusal.value.message


def test_valid_content_is_still_accepted(cast):
    response = programme_post(cast, {"modules": [module(), module(title="Two", links=[])]})
    assert response.status_code == 201, response.content
