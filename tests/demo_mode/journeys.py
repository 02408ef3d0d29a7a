"""The demo mode's smoke journeys, run as a script in a process of its own (see test_demo_mode.py):
no DATABASE_URL, so an embedded SQLite file and jobs run in-process, as `make run` does by default.

Migrates, seeds the demo, then walks through it with the test client: the officer signs in with the
demo password and reads France's pages, takes an API token and reports an incident through the
API (its notification jobs run in-process, leaving no message waiting), and an anonymous visitor
reads France's public register. Prints one line per journey; exits non-zero on the first failure."""

import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
sys.path.insert(0, os.getcwd())
django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402


def check(condition: bool, what: str) -> None:
    if not condition:
        print(f"FAILED: {what}", flush=True)
        sys.exit(1)
    print(f"ok: {what}", flush=True)


setup_test_environment()
check(settings.EMBEDDED and connection.vendor == "sqlite", "embedded SQLite database")
check(settings.CELERY_TASK_ALWAYS_EAGER, "jobs run in-process")
call_command("migrate", interactive=False, verbosity=0)
call_command("seed_demo", stdout=open(os.devnull, "w"))
call_command("seed_demo", stdout=open(os.devnull, "w"))  # idempotent
check(True, "migrate and seed_demo (twice)")

ready = Client().get("/readyz")
check(ready.status_code == 200 and ready.json() == {"database": "ok", "redis": "not used"}, f"readyz {ready.content!r}")

officer = Client()
signed_in = officer.post("/accounts/login/", {"login": "olivier", "password": settings.DEMO_PASSWORD})
check(signed_in.status_code == 302 and "/accounts/login" not in signed_in["Location"], "olivier signs in")
for path in ("/", "/c/fr/", "/c/fr/governance/", "/c/fr/deployments/", "/c/fr/training/", "/c/fr/engagement/"):
    page = officer.get(path)
    check(page.status_code == 200 and "France" in page.content.decode(), f"olivier reads {path}")
check(officer.get("/c/ke/").status_code == 404, "olivier cannot see Kenya")

token = Client().post(
    "/api/v1/auth/token/", {"username": "olivier", "password": settings.DEMO_PASSWORD}, content_type="application/json"
)
check(token.status_code == 200, f"olivier takes an API token ({token.status_code})")
api = Client(HTTP_AUTHORIZATION=f"Bearer {token.json()['token']}")
before = len(api.get("/api/v1/countries/FR/incidents/").json().get("results", []))
reported = api.post(
    "/api/v1/countries/FR/incidents/",
    {
        "title": "Chatbot answered with another pupil's name",
        "severity": "minor",
        "description": "Seen once.",
        "deployment_reference": "Homework helper",
    },
    content_type="application/json",
)
check(reported.status_code == 201, f"olivier reports an incident ({reported.status_code} {reported.content[:300]!r})")
after = len(api.get("/api/v1/countries/FR/incidents/").json().get("results", []))
check(after == before + 1, "the incident is listed")

from tenants.isolation import country_context  # noqa: E402
from tenants.jobs.models import OutboxMessage  # noqa: E402
from tenants.models import Country  # noqa: E402

with country_context(Country.objects.get(code="FR")):
    waiting = OutboxMessage.objects.filter(published_at__isnull=True).count()
check(waiting == 0, f"no job left waiting in the outbox ({waiting})")

public = Client().get("/register/fr/")
check(public.status_code == 200 and "France" in public.content.decode(), "an anonymous visitor reads France's register")
print("demo mode: every journey passed", flush=True)
