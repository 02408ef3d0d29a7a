"""The review queue tells a partner manager the same thing on the page (/review/) and in the API
(/api/v1/review-queue/ and …/deployments/), with the same fields for engagements and deployment
requests: the kind, the review's state in words, who submitted it and how long it has waited, the
approvals given and needed, and whether the reader has given one already (then the page offers no
approval again, and the item's own page says when they gave it). The filters are checked as the
schema documents them: a value nothing can match is a 400 naming the values that can."""

from __future__ import annotations

import pytest
from django.utils import timezone
from django.utils.formats import date_format

from deployments import services as deployment_services
from engagements import services as engagement_services
from engagements.models import Engagement
from tenants.access import access_for
from tenants.isolation import country_context
from tenants.models import PlatformSettings
from tests.deployments.conftest import act as deployment_act
from tests.deployments.conftest import draft, ready  # noqa: F401  (the fixture: France ready to deploy)
from tests.engagements.test_services import TERMS, second_fr_partner
from tests.engagements.test_services import act as engagement_act
from tests.languages.pseudo import visible_text

pytestmark = pytest.mark.django_db

ENGAGEMENTS, DEPLOYMENTS = "/api/v1/review-queue/", "/api/v1/review-queue/deployments/"
SHARED = {
    "country",
    "country_name",
    "kind",
    "kind_label",
    "review_state",
    "review_state_label",
    "organisation",
    "submitted_by",
    "submitted_at",
    "waiting_days",
    "unread_messages",
    "approvals",
    "approvals_needed",
    "approved_by_you",
    "page",
}


def words(response) -> str:
    return " ".join(visible_text(response.content.decode()).split())


def today() -> str:
    return date_format(timezone.now(), "DATE_FORMAT")


@pytest.fixture
def first_of_two(cast, ready):  # noqa: F811
    """A change of France's engagement terms and a high-risk deployment request of France, each
    needing two approvals, each approved once by the cast's partner manager; a second partner
    manager of France."""
    row = PlatformSettings.load()
    row.dual_approval_quota = 20_000_000  # the change asks 50,000,000 tokens a month
    row.save()
    with country_context(cast.fr):
        engagement = Engagement.objects.get()
    engagement_services.engagement_terms_create(
        engagement=engagement,
        by=cast.owner,
        access=access_for(cast.owner),
        **{**TERMS, "monthly_token_quota": 50_000_000},
    )
    engagement = engagement_act(engagement, "submit", cast.owner)
    engagement = engagement_act(engagement, "approve", cast.partner)
    assert engagement.amendment == "submitted"
    request = deployment_services.deployment_request_transition(
        request=draft(cast, ready, assessment_id=ready.high_assessment.pk),
        action="submit",
        **deployment_act(cast.member),
    )
    request = deployment_services.deployment_request_transition(
        request=request, action="approve", **deployment_act(cast.partner)
    )
    assert request.state == "in_review" and request.risk_category == "high_risk"
    return {"engagement": engagement, "request": request, "second": second_fr_partner(cast)}


def test_both_queues_give_the_same_fields(client, cast, first_of_two):
    client.force_login(cast.partner)
    [engagement] = client.get(ENGAGEMENTS).json()["results"]
    [request] = client.get(DEPLOYMENTS).json()["results"]
    assert set(engagement) - SHARED == {"engagement", "state", "amendment"}
    assert set(request) - SHARED == {"deployment_request", "title", "state", "risk_category", "review_round"}
    assert SHARED <= set(engagement) and SHARED <= set(request)


def test_the_api_says_who_approved_as_the_page_does(client, cast, first_of_two):
    engagement, request = first_of_two["engagement"], first_of_two["request"]
    client.force_login(cast.partner)
    [item] = client.get(ENGAGEMENTS).json()["results"]
    assert {k: item[k] for k in ("kind", "kind_label", "review_state", "review_state_label", "state")} == {
        "kind": "amendment",
        "kind_label": "Change of terms",
        "review_state": "submitted",
        "review_state_label": "Submitted",
        "state": "active",
    }
    assert (item["approvals"], item["approvals_needed"], item["approved_by_you"]) == (1, 2, True)
    assert item["engagement"] == engagement.pk and item["page"] == "/c/fr/engagement/"
    assert item["submitted_by"] == "Olga Owner" and item["waiting_days"] == 0 and item["amendment"] == "submitted"
    [item] = client.get(DEPLOYMENTS).json()["results"]
    assert {k: item[k] for k in ("kind", "kind_label", "review_state", "review_state_label")} == {
        "kind": "deployment_request",
        "kind_label": "Deployment request",
        "review_state": "in_review",
        "review_state_label": "In review",
    }
    assert (item["approvals"], item["approvals_needed"], item["approved_by_you"]) == (1, 2, True)
    assert item["deployment_request"] == request.pk and item["page"] == f"/c/fr/deployments/{request.pk}/"
    assert item["submitted_by"] == "Marc Member" and item["waiting_days"] == 0

    # The page says the same, for both kinds.
    page = client.get("/review/")
    text = words(page)
    assert text.count("1 of 2 You approved it: another partner manager gives the second approval.") == 2
    html = page.content.decode()
    assert f"/c/fr/engagement/{engagement.pk}/approve/" not in html

    # The other partner manager of France has not approved: both say so, and the page offers it.
    client.force_login(first_of_two["second"])
    for url in (ENGAGEMENTS, DEPLOYMENTS):
        [item] = client.get(url).json()["results"]
        assert (item["approvals"], item["approvals_needed"], item["approved_by_you"]) == (1, 2, False), url
    page = client.get("/review/")
    assert "You approved it" not in words(page) and words(page).count("1 of 2") == 2
    assert f"/c/fr/engagement/{engagement.pk}/approve/" in page.content.decode()


def test_the_items_own_pages_say_when_the_reader_approved(client, cast, first_of_two):
    engagement_page = "/c/fr/engagement/"
    request_page = f"/c/fr/deployments/{first_of_two['request'].pk}/"
    client.force_login(cast.partner)
    text = words(client.get(engagement_page))
    assert (
        f"You approved version 2 on {today()}. It needs a second approval, by another partner manager, "
        "before it takes effect." in text
    )
    assert 'data-action="approve"' not in client.get(engagement_page).content.decode()
    text = words(client.get(request_page))
    assert (
        f"You approved this request on {today()} (review round 1). It needs a second approval, by another "
        "partner manager, before it is provisioned." in text
    )
    assert (
        f'action="/c/fr/deployments/{first_of_two["request"].pk}/approve/"'
        not in client.get(request_page).content.decode()
    )
    # Nobody else reads "You approved": not the other partner manager (who may approve), nor the
    # country's people, nor its auditor.
    for who in (first_of_two["second"], cast.owner, cast.member, cast.auditor):
        client.force_login(who)
        for page in (engagement_page, request_page):
            response = client.get(page)
            assert response.status_code == 200 and "You approved" not in words(response), (who, page)
    client.force_login(first_of_two["second"])
    assert 'data-action="approve"' in client.get(engagement_page).content.decode()
    assert (
        f'action="/c/fr/deployments/{first_of_two["request"].pk}/approve/"' in client.get(request_page).content.decode()
    )


# --- Filters -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url, value, message",
    [
        (
            ENGAGEMENTS,
            "approved",
            "“approved” is not a state this queue filters on. Use one of: submitted, in_review, amendment.",
        ),
        (
            DEPLOYMENTS,
            "amendment",
            "“amendment” is not a state this queue filters on. Use one of: submitted, in_review.",
        ),
        (DEPLOYMENTS, "nonsense", "“nonsense” is not a state this queue filters on. Use one of: submitted, in_review."),
    ],
)
def test_a_state_nothing_can_be_in_is_refused_naming_the_states(client, cast, first_of_two, url, value, message):
    client.force_login(cast.partner)
    response = client.get(url, {"state": value})
    assert response.status_code == 400
    assert response.json()["errors"] == {"state": [message]}


@pytest.mark.parametrize("url", [ENGAGEMENTS, DEPLOYMENTS])
def test_the_country_filter_takes_a_country_you_review(client, cast, first_of_two, url):
    client.force_login(cast.partner)
    assert len(client.get(url, {"country": "fr"}).json()["results"]) == 1
    assert len(client.get(url, {"country": "FR", "state": ""}).json()["results"]) == 1
    for value in ("KE", "ZZ"):
        response = client.get(url, {"country": value})
        assert response.status_code == 400
        assert response.json()["errors"] == {"country": [f"“{value}” is not a country you review. Use one of: FR."]}
    response = client.get(url, {"country": "France"})
    assert response.status_code == 400
    assert response.json()["errors"] == {"country": ["A country is named by its two-letter ISO code, e.g. FR."]}
    client.force_login(cast.owner)  # reviews nothing
    response = client.get(url, {"country": "FR"})
    assert response.status_code == 400
    assert response.json()["errors"] == {"country": ["You review no country: leave country out."]}
    assert client.get(url).json()["results"] == []


@pytest.mark.parametrize(
    "url, state, count", [(ENGAGEMENTS, "submitted", 1), (DEPLOYMENTS, "in_review", 1), (DEPLOYMENTS, "submitted", 0)]
)
def test_a_state_keeps_the_items_in_it(client, cast, first_of_two, url, state, count):
    client.force_login(cast.partner)
    response = client.get(url, {"state": state})
    assert response.status_code == 200 and len(response.json()["results"]) == count


def test_the_schema_documents_the_filters_and_the_fields(client, cast):
    client.force_login(cast.partner)
    schema = client.get("/api/v1/schema/?format=json").json()
    for path, states in (
        (ENGAGEMENTS, ["submitted", "in_review", "amendment"]),
        (DEPLOYMENTS, ["submitted", "in_review"]),
    ):
        parameters = {p["name"]: p for p in schema["paths"][path]["get"]["parameters"] if p["in"] == "query"}
        assert set(parameters) == {"cursor", "page_size", "country", "state"}, path
        assert [s for s in parameters["state"]["schema"]["enum"] if s] == states, path
        assert parameters["country"]["schema"]["maxLength"] == 2
    components = schema["components"]["schemas"]
    for name in ("EngagementReviewItem", "DeploymentReviewItem"):
        properties = components[name]["properties"]
        assert SHARED <= set(properties), name
        assert properties["approved_by_you"]["type"] == "boolean" and properties["approved_by_you"]["description"]
