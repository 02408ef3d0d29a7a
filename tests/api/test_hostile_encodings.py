"""Refusals found by trying the API as an attacker would, each a class: a body in a charset the
input guard does not read, dates at the calendar's ends, pages of the schema asked for with other
methods, a refusal worded in the language of the request before, a renderer picked by the URL, an
id that tells whether an account exists elsewhere, a far-future expiry. Each is a 4xx in the
API's JSON shape, in the reader's language, and changes nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from rest_framework.test import APIClient

from deployments import services as deployment_services
from deployments.policy import _expires_at
from governance.models import Incident
from tenants.errors import ServiceError
from tenants.identity.tokens import api_token_issue
from tenants.isolation import country_context
from tenants.languages.models import Preferences
from tests.deployments.conftest import act, ready  # noqa: F401 - a fixture
from tests.deployments.test_services import draft, move

pytestmark = pytest.mark.django_db
FR = "/api/v1/countries/FR"


def client_for(user=None) -> APIClient:
    client = APIClient(raise_request_exception=False)
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_issue(user=user)[0]}")
    return client


def refused(response, status: int = 400) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:400])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    return response.json()


@pytest.mark.parametrize(
    "charset, body",
    [
        ("utf-7", b'{"username": "nobody", "password": "x", "+2AA-": 1}'),
        ("unicode_escape", b'{"username": "nobody", "password": "x", "\\\\ud800": 1}'),
        ("latin-1", b'{"username": "nobody", "password": "x"}'),
        ("rot13", b"{}"),
    ],
)
def test_a_json_body_in_another_charset_than_utf8_is_refused_for_anyone(db, charset, body):
    response = client_for().generic(
        "POST", "/api/v1/auth/token/", body, content_type=f"application/json; charset={charset}"
    )
    assert "UTF-8" in refused(response)["detail"]


def test_a_form_the_guard_never_read_is_checked_when_it_is_parsed(cast):
    """Django fills request.POST (which the input guard reads) for POST only: a PATCH form is
    parsed by the API alone, which checks it the same way, and refuses any charset but UTF-8."""
    with country_context(cast.fr):
        membership = cast.member.memberships.get(country=cast.fr)
    url = f"{FR}/members/{membership.pk}/"
    owner = client_for(cast.owner)
    body = refused(
        owner.generic("PATCH", url, "role=viewer&na%00me=1", content_type="application/x-www-form-urlencoded")
    )
    assert [message for messages in body["errors"].values() for message in messages if "NUL" in message]
    assert (
        "UTF-8"
        in refused(
            owner.generic(
                "PATCH", url, "role=viewer&%2B2AA-=1", content_type="application/x-www-form-urlencoded; charset=utf-7"
            )
        )["detail"]
    )
    with country_context(cast.fr):
        membership.refresh_from_db()
    assert membership.role == "officer"  # nothing changed


def test_malformed_json_is_told_in_the_readers_language(cast):
    owner = client_for(cast.owner)
    Preferences.objects.update_or_create(user=cast.owner, defaults={"language": "fr"})
    detail = refused(owner.generic("POST", f"{FR}/incidents/", "{", content_type="application/json"))["detail"]
    assert "JSON" in detail and "ligne 1" in detail and "Expecting" not in detail


@pytest.mark.parametrize(
    "query", [{"since": "0001-01-01T00:00:00"}, {"before": "9999-12-31T23:59:59"}, {"since": "1850-06-01T00:00:00Z"}]
)
def test_dates_at_the_calendars_ends_are_refused_not_a_500(cast, query):
    Preferences.objects.update_or_create(
        user=cast.auditor, defaults={"language": "en", "time_zone": "America/Sao_Paulo"}
    )
    body = refused(client_for(cast.auditor).get(f"{FR}/audit-events/", query))
    assert body["errors"][next(iter(query))] == ["Choose a date between the years 1900 and 2999."]


@pytest.mark.parametrize(
    "detected_at, message",
    [
        ("0001-01-01T00:00:00", "Choose a date between the years 1900 and 2999."),
        ("1999-12-31T23:00:00Z", "The detection date must be in the year 2000 or later."),
    ],
)
def test_an_incident_dated_long_ago_is_refused(cast, detected_at, message):
    body = {
        "title": "Misrouted answers",
        "severity": "minor",
        "description": "A chatbot answered in the wrong language.",
        "deployment_reference": "chat-1",
        "detected_at": detected_at,
    }
    answer = refused(client_for(cast.owner).post(f"{FR}/incidents/", body, format="json"))
    assert answer["errors"]["detected_at"] == [message]
    with country_context(cast.fr):
        assert not Incident.objects.exists()


@pytest.mark.parametrize("path", ["/api/v1/docs/", "/api/v1/schema/"])
@pytest.mark.parametrize("method", ["OPTIONS", "POST", "PUT", "DELETE"])
def test_the_schema_and_its_docs_refuse_other_methods_in_json(cast, path, method):
    body = refused(client_for(cast.owner).generic(method, path), 405)
    assert method in body["detail"]


def test_a_refusal_of_the_input_guard_is_in_the_language_the_request_asks_for(cast):
    client = client_for(cast.owner)
    french = refused(client.get(f"{FR}/incidents/", {"q": "a\x00b"}, HTTP_ACCEPT_LANGUAGE="fr"))
    english = refused(client.get(f"{FR}/incidents/", {"q": "a\x00b"}, HTTP_ACCEPT_LANGUAGE="en"))
    assert "Retirez" in french["detail"] and english["detail"].startswith("q: Remove the NUL character")


def test_answers_and_errors_are_json_whatever_the_url_or_accept_header_asks(cast):
    client = client_for(cast.owner)
    assert client.get(f"{FR}/incidents/", {"format": "xml"}).status_code == 200
    refused(client.get(f"{FR}/incidents/999999/", HTTP_ACCEPT="text/html"), 406)  # no HTML page of DRF's
    refused(client.get(f"{FR}/incidents/999999/", {"format": "api"}), 404)


def test_an_owner_id_from_elsewhere_answers_as_one_that_does_not_exist(cast, ready):  # noqa: F811
    """As FR's admin, naming Kenya's admin as owner or an id nobody has: the same answer."""
    from tests.deployments.test_api import request_body

    client = client_for(cast.owner)
    answers = [
        refused(client.post(f"{FR}/deployment-requests/", request_body(cast, ready, owner=owner), format="json"))
        for owner in (cast.outsider.pk, 987_654_321)
    ]
    assert answers[0] == answers[1]
    assert answers[0]["errors"]["owner"] == ["The owner must be an active member of France."]


def test_an_approval_expires_within_ten_years_and_the_policy_survives_any_date(cast, ready):  # noqa: F811
    item = move(move(draft(cast, ready), "submit", cast.member), "start_review", cast.partner)
    with pytest.raises(ServiceError, match="within 10 years"):
        deployment_services.deployment_request_transition(
            request=item, action="approve", expires_on=date.today() + timedelta(days=4000), **act(cast.partner)
        )

    class Far:
        expires_on = date.max

    assert _expires_at(Far()) > 0
