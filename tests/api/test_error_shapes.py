"""One error shape everywhere: refusals that name no field read as themselves (never
"detail: detail: …"), every 4xx of the API is JSON, and the debug page never shows a credential,
not even one inside a URL."""

from __future__ import annotations

import datetime
import sys
import uuid

import pytest
from django.test import RequestFactory
from django.views.debug import technical_500_response
from rest_framework.test import APIClient

from deployments.models import DeploymentRequest
from engagements import services as engagement_services
from tenants.access import access_for
from tenants.identity.tokens import api_token_issue
from tenants.isolation import country_context
from tests.deployments.conftest import draft, make_model, ready  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db
FR = "/api/v1/countries/FR"


def client_for(user) -> APIClient:
    client = APIClient(raise_request_exception=False)
    raw, _ = api_token_issue(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_a_deployment_refusal_without_a_field_reads_as_itself(cast, ready):  # noqa: F811
    request = draft(cast, ready)
    client = client_for(cast.member)
    client.post(f"{FR}/deployment-requests/{request.pk}/submit/", {}, format="json")
    again = client.post(f"{FR}/deployment-requests/{request.pk}/submit/", {}, format="json")
    assert again.status_code == 400
    body = again.json()
    assert not body["detail"].startswith("detail:"), body
    assert body["detail"].startswith("A request that is submitted cannot be moved")
    assert body["errors"] == {"non_field_errors": [body["detail"]]}
    with country_context(cast.fr):
        assert DeploymentRequest.objects.get(pk=request.pk).state == "submitted"


def test_an_engagement_refusal_without_a_field_reads_as_itself(cast):
    engagement = engagement_services.engagement_create(
        country=cast.fr,
        by=cast.owner,
        access=access_for(cast.owner),
        organisation=cast.fr_ministry,
        sectors=["public_services"],
        capabilities=["text"],
        residency_region="eu-west",
        monthly_token_quota=1000,
        start_date=datetime.date(2027, 1, 1),
        end_date=None,
        economic_model="grant",
        conditions="",
    )
    response = client_for(cast.partner).post(f"{FR}/engagements/{engagement.pk}/approve/", {}, format="json")
    assert response.status_code == 400, response.content
    body = response.json()
    assert not body["detail"].startswith("detail:"), body
    assert body["errors"] == {"non_field_errors": [body["detail"]]}


def test_a_policy_without_a_version_to_acknowledge_reads_as_itself(cast):
    from governance import services
    from governance.models import PolicyTemplate

    policy = services.policy_adopt(
        country=cast.fr,
        by=cast.owner,
        access=access_for(cast.owner),
        template=PolicyTemplate.objects.get(slug="generative-ai-acceptable-use"),
    )
    response = client_for(cast.member).post(f"{FR}/policies/{policy.pk}/acknowledge/")
    assert response.status_code == 400
    assert response.json()["detail"] == "This policy has no published version to acknowledge yet."


@pytest.mark.parametrize("path", ["/api/", "/api/v2/countries/", "/api/nothing"])
def test_api_paths_outside_the_router_answer_json_404(cast, path):
    response = client_for(cast.owner).get(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert "/api/v1/docs/" in response.json()["detail"]


def test_a_malformed_request_to_the_api_is_json(cast, settings):
    """A request Django refuses before any view (a host it does not serve) is JSON for the API."""
    settings.ALLOWED_HOSTS = ["testserver"]
    response = APIClient(raise_request_exception=False).get(f"{FR}/members/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"]


def test_the_debug_page_masks_credentials_inside_urls(settings):
    # Made at run time, so that the page's own source excerpts of this test cannot contain them.
    secret = {name: f"{name}-{uuid.uuid4().hex}" for name in ("owner", "app", "redis", "broker", "cache", "env", "tok")}
    settings.DEBUG = True
    settings.DATABASE_URL = f"postgres://owner:{secret['owner']}@db.internal:5432/portal"
    settings.APP_DATABASE_URL = f"postgres://portal_app:{secret['app']}@db.internal:5432/portal"
    settings.REDIS_URL = f"redis://:{secret['redis']}@cache.internal:6379/0"
    settings.CELERY_BROKER_URL = f"redis://default:{secret['broker']}@cache.internal:6379/0"
    settings.CACHES = {"default": {"BACKEND": "x", "LOCATION": f"redis://u:{secret['cache']}@cache.internal:6379/1"}}
    request = RequestFactory().get(
        "/c/fr/",
        DATABASE_URL=f"postgres://owner:{secret['env']}@db.internal/portal",
        SENTRY=f"https://{secret['tok']}@s.io/1",
    )
    urls = [settings.DATABASE_URL, {"broker": settings.CELERY_BROKER_URL}]
    try:
        raise RuntimeError(f"could not reach {len(urls)} services")
    except RuntimeError:
        page = technical_500_response(request, *sys.exc_info()).content.decode()
    assert "DATABASE_URL" in page and "db.internal" in page  # still useful: the host shows
    for value in secret.values():
        assert value not in page, page[max(0, page.find(value) - 300) : page.find(value) + 50]


def test_a_method_the_endpoint_lacks_is_a_405_for_everyone_before_any_other_check(cast):
    """Found by schemathesis: an officer's PUT on compliance reports was a 404 (the role check ran first)."""
    for who in ("member", "auditor"):
        response = client_for(getattr(cast, who)).put(f"{FR}/compliance-reports/", {}, format="json")
        assert response.status_code == 405, (who, response.content)
        assert response["Content-Type"].startswith("application/json")


def test_a_session_post_without_its_csrf_token_is_a_json_refusal_under_the_api(cast, client):
    """Found by schemathesis: a session POST to an unknown API path got Django's HTML CSRF page."""
    client.raise_request_exception = False
    client.handler.enforce_csrf_checks = True
    client.force_login(cast.owner)
    response = client.post("/api/v1/countries/FR/frameworks/%22/requirements/x/status/", {"status": "met"})
    assert response.status_code == 404 and response["Content-Type"].startswith("application/json")
    page = client.post("/c/fr/governance/policies/adopt/", {"template": "x"})
    assert page.status_code == 403 and page["Content-Type"].startswith("text/html")


def test_nested_field_errors_are_flat_field_paths(cast):
    """Found by schemathesis: a bad item of a list answered {"capabilities": {"0": [...]}}, not the
    documented {field: [messages]}."""
    make_model()
    response = client_for(cast.member).post(
        f"{FR}/deployment-requests/", {"capabilities": ["text", "AAA"]}, format="json"
    )
    body = response.json()
    assert body["errors"]["capabilities[1]"] == ['"AAA" is not a valid choice.']
    assert all(isinstance(m, list) and all(isinstance(x, str) for x in m) for m in body["errors"].values())
