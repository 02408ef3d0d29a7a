"""A country that is leaving ("exiting") or has left ("exited") is read-only: every write to it, by
page, API, service or queryset, in any app, is refused with a clear 409 that names the exit and
changes nothing; reads of what is not sealed, and of the record, keep working; and it shows as
such: a banner on its pages, its status in the lists and the API."""

from __future__ import annotations

from html import unescape

import pytest
from django.conf import settings
from django.db.models import F

from engagements import services as engagement_services
from governance import incidents
from governance.models import Incident
from tenants import services as tenant_services
from tenants.country_state import CountryReadOnly
from tenants.isolation import country_context
from tenants.keys.rotation import country_keys_destroy
from tenants.models import Country, Membership, Organisation
from tenants.record.models import CountryEvent
from training import services as training_services
from training.models import Programme

from .leaving import act, fr_history

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture(params=["exited", "exiting"])
def gone(request, cast, media):
    """France, with a history, after it left (keys destroyed) or while its exit runs (read-only)."""
    history = fr_history(cast)
    if request.param == "exited":
        country_keys_destroy(country=cast.fr)
    else:
        Country.objects.filter(pk=cast.fr.pk).update(status="exiting")
    cast.fr.refresh_from_db()
    return history


def fr_state(cast) -> tuple:
    """Everything a refused write must leave as it was."""
    with country_context(cast.fr):
        return (
            CountryEvent.objects.count(),
            Organisation.objects.count(),
            Incident.objects.count(),
            list(Membership.objects.order_by("pk").values_list("role", "job_title")),
        )


def exit_named(cast, text: str) -> bool:
    return ("France left the programme" in text or "France is leaving the programme" in text) and (
        "Nothing was changed." in text
    )


# --- Pages and API: refused before any view runs ----------------------------------------------------


PAGE_WRITES = [
    "/c/fr/organisations/new/",  # tenants
    "/c/fr/members/{member}/",  # tenants: change a role
    "/c/fr/members/{member}/remove/",
    "/c/fr/governance/incidents/new/",  # governance
    "/c/fr/governance/assessments/new/",
    "/c/fr/engagement/{engagement}/terms/",  # engagements
    "/c/fr/engagement/{engagement}/close/",
    "/c/fr/deployments/new/",  # deployments
    "/c/fr/training/programmes/new/",  # training
    "/c/fr/training/manage/",
    "/c/fr/data/key/rotate/",  # keys
    "/c/fr/data/exports/",
]


@pytest.mark.parametrize("path", PAGE_WRITES)
def test_page_writes_are_refused_with_409_naming_the_exit(client, cast, gone, path):
    before = fr_state(cast)
    client.force_login(cast.owner)
    response = client.post(path.format(member=gone.member.pk, engagement=gone.engagement.pk), {"name": "X"})
    assert response.status_code == 409
    assert exit_named(cast, unescape(response.content.decode()))
    assert fr_state(cast) == before


API_WRITES = [
    ("post", "/api/v1/countries/FR/organisations/", {"name": "Office", "kind": "ministry"}),
    ("patch", "/api/v1/countries/FR/members/{member}/", {"role": "viewer"}),
    ("delete", "/api/v1/countries/FR/members/{member}/", None),
    ("post", "/api/v1/countries/FR/incidents/", {"title": "T", "severity": "minor", "description": "D"}),
    ("post", "/api/v1/countries/FR/engagements/{engagement}/terms/", {"conditions": "None"}),
    ("post", "/api/v1/countries/FR/engagements/{engagement}/close/", {"comment": "Bye"}),
    ("post", "/api/v1/countries/FR/deployment-requests/", {"title": "T"}),
    ("post", "/api/v1/countries/FR/training/enrolments/", {"programme": 1}),
    ("post", "/api/v1/countries/FR/policies/", {"template": "generative-ai-acceptable-use"}),
    ("post", "/api/v1/countries/FR/members/{member}/erasure/", {"reason": "Asked by letter"}),
]


@pytest.mark.parametrize("method, path, data", API_WRITES)
def test_api_writes_are_refused_with_409_naming_the_exit(api, cast, gone, method, path, data):
    before = fr_state(cast)
    api.force_login(cast.owner)
    url = path.format(member=gone.member.pk, engagement=gone.engagement.pk)
    response = getattr(api, method)(url, data, format="json")
    assert response.status_code == 409, response.content
    body = response.json()
    assert exit_named(cast, body["detail"]) and body["country_status"] == cast.fr.status
    assert fr_state(cast) == before


def test_a_write_by_another_door_is_refused_too(client, cast, media):
    """An invitation accepted after the exit: not under /c/fr/, so the middleware does not see the
    country; the services' guard refuses it, and the middleware answers 409 and undoes it all."""
    from django.contrib.auth import get_user_model

    from tenants.services import invitation_token

    membership = tenant_services.member_invite(
        country=cast.fr,
        email="new.person@numerique.gouv.fr",
        first_name="Nina",
        last_name="New",
        organisation=cast.fr_ministry,
        role="viewer",
        **act(cast.owner),
    )
    with country_context(cast.fr):
        invitation = membership.invitation
    country_keys_destroy(country=cast.fr)
    before = fr_state(cast)
    password = "a-long-and-unusual-passphrase-42"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # France's invitee would read French otherwise
    response = client.post(
        f"/accounts/invitation/{invitation_token(invitation)}/", {"password": password, "password_again": password}
    )
    assert response.status_code == 409
    assert exit_named(cast, unescape(response.content.decode()))
    assert fr_state(cast) == before
    assert not get_user_model().objects.get(email="new.person@numerique.gouv.fr").is_active  # undone as a whole


# --- Services and querysets: the guard underneath -------------------------------------------------------


def test_services_of_every_app_refuse_to_write(cast, gone):
    training_services.catalogue_sync()
    programme = Programme.objects.filter(is_active=True).first()
    attempts = [
        lambda: tenant_services.organisation_create(country=cast.fr, name="Office", kind="ministry", **act(cast.owner)),
        lambda: incidents.incident_report(
            country=cast.fr, title="T", severity="minor", description="D", deployment_reference="X", **act(cast.member)
        ),
        lambda: engagement_services.engagement_transition(
            engagement=gone.engagement, action="close", comment="Bye", **act(cast.owner)
        ),
        lambda: training_services.enrolment_create(
            country=cast.fr, user=cast.member, programme=programme, **act(cast.member)
        ),
    ]
    before = fr_state(cast)
    for attempt in attempts:
        with pytest.raises(CountryReadOnly, match="Nothing was changed"):
            attempt()
    assert fr_state(cast) == before


def test_querysets_refuse_update_insert_and_delete(cast, gone):
    with country_context(cast.fr):
        with pytest.raises(CountryReadOnly):
            Organisation.objects.update(name=F("name"))
        with pytest.raises(CountryReadOnly):
            Organisation.objects.bulk_create([Organisation(country=cast.fr, name="Bulk")])
        with pytest.raises(CountryReadOnly):
            Incident.objects.all().delete()
        with pytest.raises(CountryReadOnly):
            Membership.objects.get(user=cast.viewer).delete()
    # Kenya, in the same scope, is untouched by France's state.
    with country_context(cast.fr, cast.ke):
        assert Organisation.objects.filter(country=cast.ke).update(acronym="MICT") == 1


def test_the_record_bookkeeping_still_writes(cast, gone):
    """The chain, checkpoints and notifications go on after the exit."""
    from tenants.record.ledger import checkpoint_create, event_record

    event_record(country=cast.fr, action="test.after_exit", actor=cast.auditor, actor_role="auditor")
    assert checkpoint_create(country=cast.fr) is not None


# --- Reads still work, and the exit shows everywhere ------------------------------------------------


def test_reads_of_pages_and_api_still_work(client, api, cast, gone):
    client.force_login(cast.owner)
    for path in ("/c/fr/", "/c/fr/governance/incidents/", f"/c/fr/governance/incidents/{gone.incident.pk}/",
                 "/c/fr/organisations/", "/c/fr/members/", "/c/fr/activity/", "/c/fr/data/"):  # fmt: skip
        response = client.get(path)
        assert response.status_code == 200, path
        assert "Read only" in response.content.decode() and 'data-country-exit="' in response.content.decode()
    detail = unescape(client.get(f"/c/fr/governance/incidents/{gone.incident.pk}/").content.decode())
    assert "Wrong benefit refusals" in detail  # not sealed: still readable
    if cast.fr.status == "exited":
        assert "Mme X was refused twice." not in detail and "[unreadable" in detail
    api.force_login(cast.owner)
    assert api.get("/api/v1/countries/FR/incidents/").status_code == 200
    country = api.get("/api/v1/countries/FR/").json()
    assert country["status"] == cast.fr.status
    listed = {c["code"]: c["status"] for c in api.get("/api/v1/countries/").json()["results"]}
    assert listed["FR"] == cast.fr.status


def test_the_record_can_still_be_verified_and_exported(client, api, cast, gone):
    client.force_login(cast.auditor)
    response = client.post("/audit/fr/")  # "Verify chain now": a read by POST
    assert response.status_code == 200
    api.force_login(cast.auditor)
    verified = api.post("/api/v1/countries/FR/audit-events/verify/")
    assert verified.status_code == 200 and verified.json()["ok"] is True
    exported = client.post("/audit/fr/export/", {})
    assert exported.status_code == 200 and exported["Content-Type"] == "application/zip"


def test_the_status_shows_in_the_lists(client, cast, gone):
    client.force_login(cast.auditor)
    text = unescape(client.get("/audit/").content.decode())
    label = "Left the programme" if cast.fr.status == "exited" else "Leaving the programme"
    assert label in text


def test_kenya_keeps_writing(client, api, cast, gone):
    api.force_login(cast.outsider)
    response = api.post(
        "/api/v1/countries/KE/organisations/", {"name": "Data Office", "kind": "public_agency"}, format="json"
    )
    assert response.status_code == 201, response.content
    page = client.get("/c/ke/")
    assert "Read only" not in page.content.decode()


def test_the_refusal_page_is_a_page_a_person_can_act_on(client, cast, gone):
    client.force_login(cast.owner)
    response = client.post("/c/fr/organisations/new/", {"name": "X", "kind": "ministry"})
    text = unescape(response.content.decode())
    assert response.status_code == 409 and "<h1" in text and 'href="/c/fr/"' in text
