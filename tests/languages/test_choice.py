"""The language and time zone of each request (DESIGN §8): the person's account, then (signed out)
the switcher's choice in this browser, then their country's default, then the browser's; the
switcher itself; `lang` and `dir` on every page; API messages following Accept-Language."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client

from tenants.languages.models import Preferences

pytestmark = pytest.mark.django_db

HTML_TAG = re.compile(r"<html lang=\"(?P<lang>[^\"]+)\" dir=\"(?P<dir>[^\"]+)\"")


def html_lang(response) -> tuple[str, str]:
    match = HTML_TAG.search(response.content.decode())
    assert match, "no <html lang dir>"
    return match["lang"], match["dir"]


def no_choice(user) -> None:
    Preferences.objects.filter(user=user).delete()


def signed_in(user, **headers) -> Client:
    client = Client(headers=headers)
    client.force_login(user)
    return client


def test_anonymous_reads_the_browsers_language():
    assert html_lang(Client(headers={"accept-language": "fr-FR,fr;q=0.9"}).get("/accounts/login/")) == ("fr", "ltr")
    assert html_lang(Client(headers={"accept-language": "ar"}).get("/accounts/login/")) == ("ar", "rtl")
    assert html_lang(Client(headers={"accept-language": "pt-BR"}).get("/accounts/login/")) == ("pt", "ltr")
    # A language the portal does not speak falls back to English.
    assert html_lang(Client(headers={"accept-language": "et"}).get("/accounts/login/")) == ("en", "ltr")


def test_a_member_without_a_choice_reads_their_countrys_language(cast):
    no_choice(cast.member)
    client = signed_in(cast.member, **{"accept-language": "es"})
    assert html_lang(client.get("/c/FR/")) == ("fr", "ltr")
    # Kenya's default is English: it comes before the browser's Spanish.
    no_choice(cast.outsider)
    assert html_lang(signed_in(cast.outsider, **{"accept-language": "es"}).get("/c/KE/")) == ("en", "ltr")


def test_the_account_choice_comes_first(cast):
    Preferences.objects.filter(user=cast.member).update(language="es")
    client = signed_in(cast.member, **{"accept-language": "fr"})
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "pt"
    assert html_lang(client.get("/c/FR/")) == ("es", "ltr")


def test_oversight_without_a_country_of_their_own_reads_the_browsers_language(cast):
    no_choice(cast.partner)
    assert html_lang(signed_in(cast.partner, **{"accept-language": "sw"}).get("/")) == ("sw", "ltr")


@pytest.mark.parametrize("who", ["owner", "member", "outsider", "anonymous"])
def test_the_switcher_is_on_every_page_and_works_for_everyone(cast, who):
    user = None if who == "anonymous" else getattr(cast, who)
    client = Client()
    if user is not None:
        no_choice(user)
        client.force_login(user)
    target = "/accounts/login/" if user is None else "/"
    page = client.get(target)
    assert page.status_code == 200
    body = page.content.decode()
    assert 'action="/language/"' in body and 'name="csrfmiddlewaretoken"' in body
    assert 'lang="ar"' in body and "العربية" in body

    response = client.post("/language/", {"language": "ar", "next": target})
    assert response.status_code == 302 and response["Location"] == target
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ar"
    assert html_lang(client.get(target)) == ("ar", "rtl")
    if user is not None:
        assert Preferences.objects.get(user=user).language == "ar"
        # The choice follows the person to another browser.
        assert html_lang(signed_in(user).get("/")) == ("ar", "rtl")


def test_the_switcher_refuses_what_it_does_not_offer_and_never_leaves_the_site(cast):
    client = Client()
    assert client.post("/language/", {"language": "xx"}).status_code == 400
    assert client.post("/language/", {}).status_code == 400
    assert client.get("/language/").status_code == 405
    response = client.post("/language/", {"language": "fr", "next": "https://elsewhere.example/"})
    assert response.status_code == 302 and response["Location"] == "/"
    # A word that is no path of this site (once taken for a URL name: a server error) goes home too.
    for word in ("abc", "-1", "//elsewhere.example", "c/fr/"):
        response = client.post("/language/", {"language": "fr", "next": word})
        assert response.status_code == 302 and response["Location"] == "/", word
    assert client.post("/language/", {"language": "fr", "next": "/c/fr/"})["Location"] == "/c/fr/"


def test_the_switcher_needs_the_csrf_token():
    client = Client(enforce_csrf_checks=True)
    assert client.post("/language/", {"language": "fr"}).status_code == 403


def test_api_messages_follow_accept_language(cast, api):
    response = api.get("/api/v1/countries/", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code in (401, 403)
    assert response["Content-Language"] == "fr"
    assert response.json()["detail"].startswith("Connectez-vous d’abord")
    assert api.get("/api/v1/countries/").json()["detail"].startswith("Sign in first")
    # Even for a person whose account says English: the program asked for French.
    api.force_login(cast.member)
    response = api.get("/api/v1/countries/ZZ/", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 404 and response["Content-Language"] == "fr"
    assert response.json()["detail"].startswith("Introuvable")
    response = api.get("/api/v1/countries/ZZ/")
    assert response.status_code == 404 and response["Content-Language"] == "en"


def test_api_validation_errors_follow_accept_language(cast, api):
    """A refusal with field errors, in the language the call names (whatever the account says)."""
    api.force_login(cast.auditor)
    bad = {"period_start": "2026-03-01", "period_end": "2026-02-01"}
    url = "/api/v1/countries/FR/compliance-reports/"
    for language, words in (
        ("fr", "Le dernier jour doit être identique ou postérieur au premier jour."),
        ("ar", None),
        ("en", "The last day must be the same as or after the first day."),
    ):
        response = api.post(url, bad, format="json", HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 400 and response["Content-Language"] == language
        body = response.content.decode()
        if words:
            assert words in body, body
        else:
            assert "The last day" not in body and re.search("[\u0600-\u06ff]", body), body


def test_times_are_in_the_country_zone_unless_the_person_chose_one(cast):
    cast.fr.time_zone = "Europe/Paris"
    cast.fr.save(update_fields=["time_zone"])
    client = signed_in(cast.member)
    assert client.get("/c/FR/").wsgi_request.time_zone == "Europe/Paris"
    Preferences.objects.filter(user=cast.member).update(time_zone="America/Cayenne")
    assert client.get("/c/FR/").wsgi_request.time_zone == "America/Cayenne"
    assert Client().get("/accounts/login/").wsgi_request.time_zone == "UTC"


@pytest.mark.parametrize("who", ["owner", "member", "outsider"])
def test_a_person_chooses_language_and_time_zone_on_their_account(cast, who):
    user = getattr(cast, who)
    client = signed_in(user)
    page = client.get("/accounts/")
    assert page.status_code == 200 and 'id="language-and-time-zone"' in page.content.decode()
    response = client.post("/accounts/preferences/", {"language": "pt", "time_zone": "America/Sao_Paulo"})
    assert response.status_code == 302
    assert Preferences.objects.filter(user=user, language="pt", time_zone="America/Sao_Paulo").exists()
    assert client.get("/accounts/").wsgi_request.time_zone == "America/Sao_Paulo"
    # A zone that does not exist changes nothing and says why.
    response = client.post("/accounts/preferences/", {"language": "", "time_zone": "Mars/Olympus"}, follow=True)
    assert "Mars/Olympus" in response.content.decode()
    assert Preferences.objects.get(user=user).time_zone == "America/Sao_Paulo"
    assert client.post("/accounts/preferences/", {"language": "xx"}).status_code == 400
    # Names the time-zone database holds as folders or cannot hold as files are no zones either.
    for name in ("Europe", "America", "posix", "right/..", "../../../etc/passwd", "Europe/" + "x" * 300):
        response = client.post("/accounts/preferences/", {"language": "", "time_zone": name})
        assert response.status_code == 302, name
        assert Preferences.objects.get(user=user).time_zone == "America/Sao_Paulo"
    # Empty: back to the country's.
    client.post("/accounts/preferences/", {"language": "", "time_zone": ""})
    assert Preferences.objects.get(user=user).language == ""


def test_preferences_need_a_signed_in_person():
    response = Client().post("/accounts/preferences/", {"language": "fr"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_on_a_country_page_the_choice_is_read_with_the_country_and_is_the_same(cast):
    """CountryScopeMiddleware reads the person's choice and their home country's defaults with the
    country of the URL: no query of its own, and the same answer as on a page without a country,
    whichever country the URL names."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    no_choice(cast.member)
    client = signed_in(cast.member, **{"accept-language": "es"})
    with CaptureQueriesContext(connection) as captured:
        assert html_lang(client.get("/c/FR/")) == ("fr", "ltr")
    reading = [q["sql"] for q in captured.captured_queries if '"tenants_preferences"' in q["sql"]]
    assert len(reading) == 1 and '"tenants_country"."code" =' in reading[0], reading
    assert html_lang(client.get("/")) == ("fr", "ltr")
    # Kenya's page (which answers 404 to him) is still in his own country's language, not Kenya's.
    assert html_lang(client.get("/c/KE/")) == ("fr", "ltr")
    Preferences.objects.update_or_create(user=cast.member, defaults={"language": "sw"})
    assert html_lang(client.get("/c/FR/")) == html_lang(client.get("/")) == ("sw", "ltr")


def test_the_signed_in_message_is_in_the_persons_language_not_the_anonymous_browsers(cast):
    """Signing in is a request begun in the browser's language; what it says once the person is
    known ("Successfully signed in…") is in theirs."""
    from django.contrib.messages import get_messages

    Preferences.objects.filter(user=cast.member).update(language="fr")
    client = Client(headers={"accept-language": "en"})
    response = client.post("/accounts/login/", {"login": "member", "password": cast.password})
    assert response.status_code == 302
    said = [str(message) for message in get_messages(response.wsgi_request)]
    assert said and all("Successfully" not in text for text in said), said


def test_the_switchers_language_chosen_before_signing_in_is_kept_and_spoken_at_once(cast):
    """A person with no language of their own picks one with the switcher on the sign-in page: it
    is saved on their account at sign-in, and "Successfully signed in" is in it, as the next page."""
    from django.contrib.messages import get_messages
    from django.utils import translation

    no_choice(cast.member)
    client = Client(headers={"accept-language": "en"})
    client.post("/language/", {"language": "pt", "next": "/accounts/login/"})
    response = client.post("/accounts/login/", {"login": "member", "password": cast.password})
    assert response.status_code == 302
    assert Preferences.objects.get(user=cast.member).language == "pt"
    said = [str(message) for message in get_messages(response.wsgi_request)]
    with translation.override("pt"):
        opening = translation.gettext("Successfully signed in as %(name)s.").split("%(name)s")[0]
    assert opening and not opening.startswith("Successfully")
    assert any(text.startswith(opening) for text in said), said
    assert html_lang(client.get(response["Location"], follow=True)) == ("pt", "ltr")


def test_the_switcher_at_sign_in_never_overrides_a_choice_already_made(cast):
    Preferences.objects.update_or_create(user=cast.member, defaults={"language": "fr"})
    client = Client()
    client.post("/language/", {"language": "pt", "next": "/accounts/login/"})
    response = client.post("/accounts/login/", {"login": "member", "password": cast.password})
    assert response.status_code == 302
    assert Preferences.objects.get(user=cast.member).language == "fr"
    assert html_lang(client.get("/")) == ("fr", "ltr")
