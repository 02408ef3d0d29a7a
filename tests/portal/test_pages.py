"""Pages that span countries: dashboards by role, the review and audit areas, the navigation and
country switcher, sign in and out, health checks and the error pages."""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import RequestFactory
from guardian.shortcuts import assign_perm

from tenants.access import AUDITOR_PERMISSION, PARTNER_PERMISSION
from tenants.isolation import country_context
from tenants.models import Country, Membership
from tenants.record.ledger import event_record

pytestmark = pytest.mark.django_db
User = get_user_model()
ROOT = Path(__file__).resolve().parent.parent.parent


def as_user(client, user):
    client.force_login(user)
    return client


def main_text(response) -> str:
    """The text of <main>, where a page's own content is (the frame holds navigation)."""
    html = response.content.decode()
    match = re.search(r"<main\b.*?</main>", html, re.S)
    assert match, "the page has no <main>"
    return unescape(re.sub(r"<[^>]+>", " ", match.group(0)))


def nav_links(response) -> list[str]:
    html = response.content.decode()
    match = re.search(r'<ul class="govuk-service-navigation__list".*?</ul>', html, re.S)
    assert match, "the page has no service navigation"
    return [
        unescape(text).strip()
        for text in re.findall(
            r'class="[^"]*govuk-service-navigation__link"[^>]*>\s*(?:<strong[^>]*>)?([^<]+)', match.group(0)
        )
    ]


def section_links(response) -> list[str]:
    html = response.content.decode()
    match = re.search(r'<ul class="govuk-service-navigation__list" id="country-navigation">.*?</ul>', html, re.S)
    assert match, "the page has no country navigation"
    return [
        unescape(text).strip()
        for text in re.findall(
            r'class="[^"]*govuk-service-navigation__link"[^>]*>\s*(?:<strong[^>]*>)?([^<]+)', match.group(0)
        )
    ]


def switcher_options(response) -> list[str]:
    html = response.content.decode()
    match = re.search(r'<select class="govuk-select" id="country-switcher" name="code">(.*?)</select>', html, re.S)
    return re.findall(r'<option value="([A-Z]{2})"', match.group(1)) if match else []


@pytest.fixture
def admin_user(db):
    return User.objects.create_superuser("root", "root@example.org", "a-long-admin-passphrase")


# --- Home: one dashboard per role ------------------------------------------------------------------


def test_home_sends_anonymous_visitors_to_sign_in(client, cast):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/?next=/"


def test_home_of_ministry_staff_shows_their_country_card(client, cast):
    with country_context(cast.fr):
        event_record(
            country=cast.fr,
            action="organisation.created",
            actor=cast.owner,
            actor_role="country_admin",
            target=cast.fr_agency,
            payload={"kind": "public_agency"},
        )
    for user, role in ((cast.owner, "Country admin"), (cast.member, "Officer"), (cast.viewer, "Viewer")):
        response = as_user(client, user).get("/")
        assert response.status_code == 200
        text = main_text(response)
        assert "France" in text and role in text
        assert "Kenya" not in text
        assert re.search(r"2\s+organisations", text)
        assert re.search(r"3\s+active members", text)
        assert "Organisation added" in text and "Agence des Données" in text
        assert 'href="/c/fr/activity/"' in response.content.decode()


def test_home_of_another_country_shows_only_that_country(client, cast):
    text = main_text(as_user(client, cast.outsider).get("/"))
    assert "Kenya" in text and "France" not in text and "Ministère" not in text
    assert re.search(r"1\s+organisation\b", text)


def test_home_of_partner_manager_and_auditor_lists_assigned_countries(client, cast):
    response = as_user(client, cast.partner).get("/")
    text = main_text(response)
    assert "Your assigned countries" in text and "France" in text and "Partner manager" in text
    assert "Kenya" not in text
    assert 'href="/review/"' in response.content.decode()
    response = as_user(client, cast.auditor).get("/")
    text = main_text(response)
    assert "France" in text and "Auditor" in text and "Kenya" not in text
    assert 'href="/audit/"' in response.content.decode()


def test_home_of_platform_admin_shows_the_platform_summary(client, cast, admin_user):
    response = as_user(client, admin_user).get("/")
    text = main_text(response)
    assert "Platform" in text
    assert re.search(r"2\s+countries", text)
    # One of each: the singular (a plural form per language).
    assert re.search(r"1\s+partner manager\b", text) and re.search(r"1\s+auditor\b", text)
    assert not re.search(r"1\s+auditors", text)
    assert 'href="/admin/"' in response.content.decode()
    # A platform admin holds no country by default: its pages stay closed to them.
    assert client.get("/c/fr/").status_code == 404


def test_home_of_someone_without_any_country_says_so(client, cast):
    nobody = User.objects.create_user("nobody", "nobody@example.org", "a-long-passphrase-here")
    text = main_text(as_user(client, nobody).get("/"))
    assert "You do not have access to any country yet." in text


# --- Navigation --------------------------------------------------------------------------------------


def test_navigation_by_role(client, cast, admin_user):
    # "Data and keys" is for the country's admins only.
    country = [
        "Overview",
        "Engagement",
        "Governance",
        "Training",
        "Deployments",
        "Register",
        "Organisations",
        "Members",
        "Activity",
    ]
    # The service header is short; a country's sections are a navigation of their own.
    response = as_user(client, cast.owner).get("/c/fr/members/")
    assert nav_links(response) == ["Home", "Notifications", "Sign out"]
    assert section_links(response) == [*country, "Data and keys"]
    response = as_user(client, cast.member).get("/c/fr/members/")
    assert nav_links(response) == ["Home", "Notifications", "Sign out"]
    assert section_links(response) == country
    # A one-country person has their country's sections on the home page too.
    assert section_links(client.get("/")) == country
    assert "Review" in nav_links(as_user(client, cast.partner).get("/"))
    assert "Audit" in nav_links(as_user(client, cast.auditor).get("/"))
    links = nav_links(as_user(client, admin_user).get("/"))
    assert links == ["Home", "Admin", "Notifications", "Sign out"]
    client.logout()
    assert nav_links(client.get("/accounts/login/")) == ["Sign in"]


def test_navigation_marks_the_current_section(client, cast):
    html = as_user(client, cast.owner).get("/c/fr/organisations/").content.decode()
    assert re.search(r'href="/c/fr/organisations/" aria-current="page"', html)
    assert 'href="/c/fr/members/" aria-current' not in html
    # Exactly one current item, on every kind of page: a section's own home page does not light up Home.
    for url in ("/c/fr/organisations/", "/c/fr/deployments/", "/c/fr/engagement/", "/", "/notifications/"):
        html = client.get(url).content.decode()
        assert html.count('aria-current="page"') == 1, url


def test_sign_out_is_a_post_form_with_a_csrf_token(client, cast):
    html = as_user(client, cast.owner).get("/").content.decode()
    form = re.search(
        r'<form class="app-navigation__form" method="post" action="/accounts/logout/">(.*?)</form>', html, re.S
    )
    assert form and 'name="csrfmiddlewaretoken"' in form.group(1)


def test_frame_is_accessible(client, cast):
    html = as_user(client, cast.owner).get("/c/fr/").content.decode()
    assert '<html lang="en"' in html
    assert '<a href="#main-content" class="govuk-skip-link"' in html and 'id="main-content"' in html
    assert "Sovereign AI Onboarding Portal" in html
    assert "govuk-phase-banner" in html and "govuk-footer" in html
    assert "/static/build/portal.css" in html
    # GOV.UK Frontend starts from a file (no inline script under the Content-Security-Policy).
    assert 'src="/static/js/govuk-init.mjs"' in html and 'src="/static/js/js-enabled.js"' in html
    starter = (ROOT / "static" / "js" / "govuk-init.mjs").read_text()
    assert "govuk-frontend.min.js" in starter and "initAll()" in starter
    # Not a GOV.UK service: no crown, no GDS Transport.
    assert "govuk-header__logotype" not in html and "Crown copyright" not in html


# --- Country switcher --------------------------------------------------------------------------------


def test_switcher_is_shown_only_with_more_than_one_country(client, cast):
    assert switcher_options(as_user(client, cast.owner).get("/")) == []
    assert switcher_options(as_user(client, cast.partner).get("/")) == []
    assign_perm(f"tenants.{PARTNER_PERMISSION}", cast.partner, cast.ke)
    response = as_user(client, cast.partner).get("/")
    assert switcher_options(response) == ["FR", "KE"]
    # On a country page, that country is the one selected.
    html = client.get("/c/ke/").content.decode()
    assert '<option value="KE" selected>' in html


def test_switcher_goes_to_the_chosen_country_without_javascript(client, cast):
    assign_perm(f"tenants.{PARTNER_PERMISSION}", cast.partner, cast.ke)
    as_user(client, cast.partner)
    for code in ("KE", "ke"):
        response = client.get("/", {"code": code})
        assert response.status_code == 302 and response["Location"] == "/c/ke/"
    assert client.get("/c/ke/").status_code == 200


def test_switcher_refuses_countries_you_cannot_see(client, cast):
    Country.objects.create(code="EE", name="Estonia")
    as_user(client, cast.owner)
    for code in ("KE", "EE", "ZZ", "../admin", "FRA"):
        assert client.get("/", {"code": code}).status_code == 404, code
    # "Choose a country" (no code) is no country: back to one's dashboard, never a country's page.
    response = client.get("/", {"code": ""})
    assert response.status_code == 302 and response["Location"] == "/"
    client.logout()
    response = client.get("/", {"code": "FR"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_switcher_for_a_member_who_also_audits_another_country(client, cast):
    assign_perm(f"tenants.{AUDITOR_PERMISSION}", cast.auditor, cast.ke)
    response = as_user(client, cast.auditor).get("/")
    assert switcher_options(response) == ["FR", "KE"]
    assert client.get("/", {"code": "KE"})["Location"] == "/c/ke/"


# --- Review and audit areas --------------------------------------------------------------------------


def test_review_area_is_for_partner_managers(client, cast):
    response = as_user(client, cast.partner).get("/review/")
    assert response.status_code == 200
    text = main_text(response)
    assert "France" in text and "Kenya" not in text
    assert "Review queue" in text
    for user in (cast.owner, cast.member, cast.outsider, cast.auditor):
        assert as_user(client, user).get("/review/").status_code == 404, user.username
    client.logout()
    assert client.get("/review/")["Location"] == "/accounts/login/?next=/review/"


def test_audit_area_is_for_auditors(client, cast):
    with country_context(cast.fr):
        for _ in range(3):
            event_record(
                country=cast.fr,
                action="organisation.created",
                actor=cast.owner,
                actor_role="country_admin",
                target=cast.fr_ministry,
                payload={"kind": "ministry"},
            )
    with country_context(cast.ke):
        event_record(
            country=cast.ke,
            action="organisation.created",
            actor=cast.outsider,
            actor_role="country_admin",
            target=cast.ke_ministry,
            payload={"kind": "ministry"},
        )
    response = as_user(client, cast.auditor).get("/audit/")
    assert response.status_code == 200
    text = main_text(response)
    assert "France" in text and "Kenya" not in text
    assert re.search(r"France.*\b3\b", text, re.S)
    assert 'href="/c/fr/activity/"' in response.content.decode()
    assert 'href="/audit/fr/"' in response.content.decode()
    # Partner managers audit the ledgers of the countries they look after, too.
    partner = as_user(client, cast.partner).get("/audit/")
    assert partner.status_code == 200 and 'href="/audit/fr/"' in partner.content.decode()
    assert "Partner manager" in main_text(partner) and "Kenya" not in main_text(partner)
    for user in (cast.owner, cast.member, cast.outsider):
        assert as_user(client, user).get("/audit/").status_code == 404, user.username
    client.logout()
    assert client.get("/audit/")["Location"] == "/accounts/login/?next=/audit/"


# --- Sign in and out ---------------------------------------------------------------------------------


def test_sign_in_page_and_a_successful_sign_in(client, cast):
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'for="id_username">Username' in html and 'for="id_password">Password' in html
    response = client.post("/accounts/login/", {"username": "member", "password": cast.password})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_wrong_password_shows_an_error_summary(client, cast):
    response = client.post("/accounts/login/", {"username": "member", "password": "wrong"})
    assert response.status_code == 200
    html = unescape(response.content.decode())
    assert "govuk-error-summary" in html and "Enter a correct username and password." in html
    assert client.get("/")["Location"].startswith("/accounts/login/")
    empty = client.post("/accounts/login/", {"username": "", "password": ""})
    assert "Enter your username." in unescape(empty.content.decode())


def test_sign_out_only_by_post(client, cast):
    as_user(client, cast.owner)
    assert client.get("/accounts/logout/").status_code == 405
    assert client.get("/").status_code == 200
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_login_redirects_back_to_the_page_asked_for(client, cast):
    response = client.post(
        "/accounts/login/?next=/c/fr/members/",
        {"username": "owner", "password": cast.password, "next": "/c/fr/members/"},
    )
    assert response["Location"] == "/c/fr/members/"


# --- Health ------------------------------------------------------------------------------------------


def test_healthz_answers_anonymous_visitors(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.content == b"ok"
    assert response["Content-Type"].startswith("text/plain")


def test_readyz_is_ready_when_the_database_and_redis_answer(client, db):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    # Workers are reported apart (manage.py jobs_health): only what the web process needs.
    assert json.loads(response.content) == {"database": "ok", "redis": "ok"}


def test_readyz_is_not_ready_when_redis_is_unreachable(client, db, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/readyz")
    assert response.status_code == 503
    body = json.loads(response.content)
    assert body["database"] == "ok" and body["redis"].startswith("error:")


def test_readyz_is_not_ready_when_the_database_is_unreachable(client, db, monkeypatch):
    from django.db import connection

    def refuse(*args, **kwargs):
        raise OSError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get("/readyz")
    assert response.status_code == 503 and json.loads(response.content)["database"].startswith("error:")


def test_without_redis_pages_answer_and_sign_in_waits_with_a_503(client, cast):
    """Sign-in attempts are counted in Redis: without it none is let through uncounted, and the
    person is told to wait, never shown a 500. A signed-in person's pages still answer."""
    from django.conf import settings
    from django.test import override_settings

    client.force_login(cast.owner)
    away = {"default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:1/0"}}
    with override_settings(CACHES=away):
        _without_redis(client, cast)


def _without_redis(client, cast):
    assert client.get("/c/fr/").status_code == 200
    client.logout()
    response = client.post("/accounts/login/", {"login": "owner", "password": cast.password})
    assert response.status_code == 503 and response["Retry-After"] == "30"
    assert "not answering for a moment" in response.content.decode()
    response = client.post(
        "/api/v1/auth/token/", {"username": "owner", "password": cast.password}, content_type="application/json"
    )
    assert response.status_code == 503 and response["Retry-After"] == "30", response.content
    assert "not answering for a moment" in response.json()["detail"]


def test_readyz_in_embedded_mode_needs_no_redis(client, db, settings):
    settings.EMBEDDED = True
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/readyz")
    assert response.status_code == 200
    assert json.loads(response.content) == {"database": "ok", "redis": "not used"}


def test_readyz_stays_ready_when_no_worker_answers(client, db, settings):
    """A worker outage delays jobs; it never takes the web out of the load balancer."""
    from portal.celery import app

    assert app.control.ping(destination=["nobody@nowhere"], timeout=0.2) == []
    response = client.get("/readyz")
    assert response.status_code == 200 and "worker" not in json.loads(response.content)


# --- Error pages -------------------------------------------------------------------------------------


def test_not_found_page(client, cast):
    response = as_user(client, cast.owner).get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in main_text(response)
    client.logout()
    assert "Page not found" in main_text(client.get("/no-such-page/"))


def test_forbidden_page(client, cast):
    response = as_user(client, cast.member).get("/c/fr/organisations/new/")
    assert response.status_code == 403
    assert "You cannot do this" in main_text(response)


def test_server_error_page_touches_no_database(django_assert_num_queries):
    from portal.views import server_error

    request = RequestFactory().get("/boom/")
    with django_assert_num_queries(0):
        response = server_error(request)
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in response.content.decode()


def test_an_error_in_a_view_gives_the_500_page_and_keeps_nothing(client, cast, monkeypatch):
    from tenants import services

    def boom(**kwargs):
        with country_context(kwargs["country"]):
            Membership.objects.filter(user=cast.member).update(job_title="half-done")
        raise RuntimeError("simulated fault")

    monkeypatch.setattr(services, "organisation_create", boom)
    client.raise_request_exception = False
    response = as_user(client, cast.owner).post("/c/fr/organisations/new/", {"name": "Cour", "kind": "ministry"})
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in response.content.decode()
    with country_context(cast.fr):
        assert Membership.objects.get(user=cast.member).job_title == ""


def test_server_error_answers_json_to_api_callers_and_html_to_pages(rf):
    import json

    from portal.views import server_error

    api = server_error(rf.get("/api/v1/countries/"))
    assert api.status_code == 500 and api["Content-Type"] == "application/json"
    assert "nothing you sent was changed" in json.loads(api.content)["detail"]
    page = server_error(rf.get("/c/fr/"))
    assert page.status_code == 500 and b"<html" in page.content


def test_the_probes_answer_whatever_the_host_header_says(client, db, settings):
    """Kubernetes' probes and an in-cluster Prometheus call a pod by its address: the Host header is
    that address, which ALLOWED_HOSTS does not list (and the HTTPS redirect would send them away)."""
    settings.ALLOWED_HOSTS = ["portal.example.org"]
    settings.SECURE_SSL_REDIRECT = True
    settings.METRICS_TOKEN = "a-metrics-token-of-the-test-0123456789"
    pod = {"HTTP_HOST": "10.0.0.5:8000"}
    assert client.get("/healthz", **pod).status_code == 200
    assert client.get("/readyz", **pod).status_code == 200
    metrics = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {settings.METRICS_TOKEN}", **pod)
    assert metrics.status_code == 200 and b"portal_http_requests_total" in metrics.content
    # Everything else keeps the host check and the redirect; /metrics without its token is no door.
    assert client.get("/metrics", **pod).status_code == 400
    assert client.get("/accounts/login/", **pod).status_code == 400
    assert client.post("/healthz", **pod).status_code == 400
    assert client.get("/accounts/login/", HTTP_HOST="portal.example.org").status_code == 301
