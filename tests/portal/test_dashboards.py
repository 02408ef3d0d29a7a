"""The dashboards' charts show each country's own figures, read from the data: France and Kenya are
given different policies, assessments, incidents and use, and each chart (its bars and its table)
is checked against what was seeded and against the per-country rules the rest of the portal uses
(the onboarding task list, acknowledgement_state, country_trained_counts). Then the cross-country
summary page for every kind of visitor, with the API's figures, and its queries as data grows."""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from guardian.shortcuts import assign_perm

from deployments.models import UsageHour
from governance.models import ImpactAssessment, Incident
from governance.selectors import acknowledgement_state
from tenants.access import AUDITOR_PERMISSION, PARTNER_PERMISSION
from tenants.isolation import country_context
from tenants.models import Country
from tenants.onboarding import task_list
from tests.deployments.conftest import ready  # noqa: F401 - the fixture: FR ready to deploy
from tests.deployments.test_views import active
from training.selectors import country_trained_counts

pytestmark = pytest.mark.django_db

BAR = re.compile(r'<rect [^>]*data-label="([^"]*)" data-value="(\d+)"(?: data-of="(\d+)")?')


def chart(html: str, key: str) -> dict[str, tuple[int, int | None]]:
    """The bars of chart `key` on a page: label → (value, of); and its table says the same."""
    start = html.index(f'<div class="app-chart" id="{key}"')
    end = html.find('<div class="app-chart"', start + 1)
    part = html[start : end if end > 0 else len(html)]
    bars = {label: (int(value), int(of) if of else None) for label, value, of in BAR.findall(part)}
    table = dict(re.findall(r'<tr class="govuk-table__row" data-label="([^"]*)">.*?data-value="(\d+)"', part))
    assert {label: str(value) for label, (value, _of) in bars.items()} == table, (key, bars, table)
    return bars


def values(bars: dict) -> dict[str, int]:
    return {label: value for label, (value, _of) in bars.items()}


@pytest.fixture
def seeded(cast, ready):  # noqa: F811
    """France: `ready` (a published policy acknowledged by its admin and officer, two completed
    assessments), an active environment with use today, and more; Kenya: other figures."""
    now = timezone.now()
    _item, environment = active(cast, ready)
    hour = now.replace(minute=0, second=0, microsecond=0)
    with country_context(cast.fr):
        ImpactAssessment.objects.create(country=cast.fr, title="d", questionnaire_version=1, status="draft")
        ImpactAssessment.objects.create(
            country=cast.fr, title="m", questionnaire_version=1, status="completed", category="minimal"
        )
        common = {"country": cast.fr, "description": "d", "steps_taken": ""}
        # Open, not reported, past its deadline: overdue.
        Incident.objects.create(title="a", severity="serious", report_due_at=now - timedelta(days=2), **common)
        # Resolved, reported on time.
        Incident.objects.create(
            title="b",
            severity="minor",
            status="resolved",
            report_due_at=now + timedelta(days=60),
            reported_at=now - timedelta(days=1),
            **common,
        )
        # Closed, reported after its deadline.
        Incident.objects.create(
            title="c",
            severity="major",
            status="closed",
            report_due_at=now - timedelta(days=10),
            reported_at=now - timedelta(days=5),
            **common,
        )
        UsageHour.objects.create(country=cast.fr, environment=environment, hour=hour, calls=3, total_tokens=1200)
        if hour.day > 1:
            UsageHour.objects.create(
                country=cast.fr, environment=environment, hour=hour - timedelta(days=1), calls=1, total_tokens=300
            )
    with country_context(cast.ke):
        ImpactAssessment.objects.create(
            country=cast.ke, title="p", questionnaire_version=1, status="completed", category="prohibited"
        )
        for title in ("k1", "k2"):
            Incident.objects.create(
                country=cast.ke,
                title=title,
                severity="major",
                description="d",
                steps_taken="",
                report_due_at=now + timedelta(days=3),
            )
    return environment


def fr_expected(cast) -> dict:
    with country_context(cast.fr):
        categories = Counter(
            a.category for a in ImpactAssessment.objects.filter(country=cast.fr) if a.status == "completed"
        )
        drafts = sum(1 for a in ImpactAssessment.objects.filter(country=cast.fr) if a.status == "draft")
        required, current = acknowledgement_state(country=cast.fr)
        done_steps = sum(task.done for task in task_list(cast.fr))
    trained, total = country_trained_counts(country=cast.fr)
    return {
        "risk": {
            "Prohibited": categories["prohibited"],
            "High-risk": categories["high_risk"],
            "Limited risk (transparency)": categories["limited"],
            "Minimal risk": categories["minimal"],
            "Draft, not yet assessed": drafts,
        },
        "acks": (current, required),
        "trained": (trained, total),
        "steps": done_steps,
    }


DEADLINE = ["Overdue: not reported, past the deadline", "Due within 7 days", "On time", "Reported after the deadline"]


def test_the_overview_of_each_country_charts_its_own_figures(client, cast, seeded):
    expected = fr_expected(cast)
    client.force_login(cast.member)
    html = client.get("/c/fr/").content.decode()
    assert 'role="img" aria-labelledby="fr-risk-title fr-risk-desc"' in html
    assert "Show the figures as a table" in html
    coverage = chart(html, "fr-coverage")
    assert coverage["Policy acknowledgements current"] == expected["acks"]
    assert coverage["Admins and officers trained"] == expected["trained"]
    assert values(chart(html, "fr-risk")) == expected["risk"]
    assert expected["risk"]["Minimal risk"] >= 1 and expected["risk"]["Draft, not yet assessed"] == 1
    assert values(chart(html, "fr-severity")) == {"Serious": 1, "Major": 0, "Minor": 0}
    assert values(chart(html, "fr-deadline")) == dict(zip(DEADLINE, [1, 0, 1, 1], strict=True))
    usage = values(chart(html, "fr-usage"))
    today = timezone.now()
    assert usage[today.strftime("%Y-%m-%d")] == 1200
    assert sum(usage.values()) == (1500 if today.day > 1 else 1200)
    assert f'data-limit="{seeded.monthly_token_quota}"' in html
    assert 'id="ke-' not in html  # another country's charts never show

    client.force_login(cast.outsider)  # Kenya's admin
    html = client.get("/c/ke/").content.decode()
    assert values(chart(html, "ke-risk")) == {
        "Prohibited": 1,
        "High-risk": 0,
        "Limited risk (transparency)": 0,
        "Minimal risk": 0,
        "Draft, not yet assessed": 0,
    }
    assert values(chart(html, "ke-severity")) == {"Serious": 0, "Major": 2, "Minor": 0}
    assert values(chart(html, "ke-deadline")) == dict(zip(DEADLINE, [0, 2, 0, 0], strict=True))
    assert "No active deployment and no use this month." in html  # Kenya has no environment
    assert chart(html, "ke-coverage")["Policy acknowledgements current"] == (0, 0)
    assert 'id="fr-' not in html


def test_a_members_home_charts_their_country(client, cast, seeded):
    expected = fr_expected(cast)
    client.force_login(cast.member)
    html = client.get("/").content.decode()
    assert values(chart(html, "home-fr-risk")) == expected["risk"]
    assert chart(html, "home-fr-coverage")["Admins and officers trained"] == expected["trained"]
    assert values(chart(html, "home-fr-severity")) == {"Serious": 1, "Major": 0, "Minor": 0}
    assert "home-ke-" not in html and 'id="countries-figures"' not in html
    assert 'id="summary-link"' not in html  # the summary is not theirs


def test_a_partner_managers_home_charts_their_countries_and_only_theirs(client, cast, seeded):
    expected = fr_expected(cast)
    client.force_login(cast.partner)  # France only
    html = client.get("/").content.decode()
    onboarding = chart(html, "countries-onboarding")
    assert onboarding == {"France": (expected["steps"], 5)}
    assert chart(html, "countries-acknowledgements") == {"France": expected["acks"]}
    assert chart(html, "countries-training") == {"France": expected["trained"]}
    assert values(chart(html, "countries-severity")) == {"Serious": 1, "Major": 0, "Minor": 0}
    usage = chart(html, "countries-usage")["France"]
    assert usage[1] == seeded.monthly_token_quota and usage[0] in (1200, 1500)
    assert "Kenya" not in html and 'href="/summary/"' in html

    assign_perm(f"tenants.{PARTNER_PERMISSION}", cast.partner, cast.ke)
    html = client.get("/").content.decode()
    with country_context(cast.ke):
        ke_steps = sum(task.done for task in task_list(cast.ke))
    assert chart(html, "countries-onboarding") == {"France": (expected["steps"], 5), "Kenya": (ke_steps, 5)}
    # Both countries' incidents together: France's serious one and Kenya's two major ones.
    assert values(chart(html, "countries-severity")) == {"Serious": 1, "Major": 2, "Minor": 0}
    assert values(chart(html, "countries-deadline")) == dict(zip(DEADLINE, [1, 2, 1, 1], strict=True))


def test_the_onboarding_progress_follows_the_task_lists_rules(client, cast, ready):  # noqa: F811
    """The dashboards count done steps from grouped figures; the overview's task list asks each app.
    Both must agree at every stage: nothing, then France made ready, then deployed."""
    client.force_login(cast.partner)
    assign_perm(f"tenants.{PARTNER_PERMISSION}", cast.partner, cast.ke)
    for stage in ("ready", "active"):
        if stage == "active":
            active(cast, ready)
        html = client.get("/").content.decode()
        with country_context(cast.fr):
            fr_steps = [task.key for task in task_list(cast.fr) if task.done]
        with country_context(cast.ke):
            ke_steps = [task.key for task in task_list(cast.ke) if task.done]
        assert chart(html, "countries-onboarding") == {"France": (len(fr_steps), 5), "Kenya": (len(ke_steps), 5)}
    assert "deployment" in fr_steps


# --- The summary page ------------------------------------------------------------------------------

TODAY = timezone.localdate()
API = f"/api/v1/compliance-summary/?period_start={TODAY - timedelta(days=7)}&period_end={TODAY}"


def summary_rows(html: str) -> dict[str, dict[str, str]]:
    rows = {}
    for code, body in re.findall(r'<tr class="govuk-table__row" data-country="(\w\w)">(.*?)</tr>', html, re.S):
        cells = dict(re.findall(r'data-field="(\w+)">(.*?)</td>', body, re.S))
        rows[code] = {key: re.sub(r"<[^>]+>", "", value).strip() for key, value in cells.items()}
    return rows


def test_the_summary_page_gives_the_apis_figures_to_partner_managers_and_auditors(client, cast, seeded):
    assign_perm(f"tenants.{AUDITOR_PERMISSION}", cast.auditor, cast.ke)
    for who, codes in ((cast.partner, ["FR"]), (cast.auditor, ["FR", "KE"])):
        client.force_login(who)
        response = client.get("/summary/")
        assert response.status_code == 200
        rows = summary_rows(response.content.decode())
        assert sorted(rows) == codes
        api = {row["country"]: row for row in client.get(API).json()["countries"]}
        for code in codes:
            row, figures = rows[code], api[code]
            assert row["policies_published"] == str(figures["policies_published"])
            assert row["assessments"] == f"{figures['assessments_completed']} ({figures['assessments_high_risk']})"
            assert row["incidents"] == f"{figures['incidents_open']} ({figures['incidents_late']})"
    # The numbers themselves, from what was seeded.
    assert rows["KE"]["incidents"] == "2 (0)" and rows["KE"]["assessments"] == "1 (0)"
    assert rows["FR"]["incidents"] == "1 (2)"  # one open; one overdue and one reported late
    expected = fr_expected(cast)
    assert rows["FR"]["acknowledgements"] == "{} / {}".format(*expected["acks"])
    assert rows["FR"]["training"] == "{} / {}".format(*expected["trained"])
    assert rows["FR"]["steps"] == f"{expected['steps']} / 5"
    assert rows["FR"]["deployments"] == "1 (0)" and rows["KE"]["deployments"] == "0 (0)"
    assert rows["FR"]["engagement"] == "Active"


def page_cells(figures: dict) -> dict[str, str]:
    """What the summary page shows of one country, written from the API's figures of it."""
    from engagements.models import Engagement

    state = figures["engagement_state"]
    return {
        "engagement": str(Engagement.State(state).label) if state else "None",
        "steps": f"{figures['steps_done']} / {figures['steps']}",
        "policies_published": str(figures["policies_published"]),
        "acknowledgements": f"{figures['ack_current']} / {figures['ack_required']}",
        "assessments": f"{figures['assessments_completed']} ({figures['assessments_high_risk']})",
        "training": f"{figures['trained']} / {figures['training_total']}",
        "deployments": f"{figures['environments_active']} ({figures['requests_waiting']})",
        "incidents": f"{figures['incidents_open']} ({figures['incidents_late']})",
    }


def test_the_summary_api_and_page_give_the_same_countries_and_figures_to_everyone_who_reads_them(client, cast, seeded):
    """The platform admin (every country, including one with nothing yet), a partner manager and an
    auditor: the API lists the page's countries, and every figure of the page is the API's."""
    Country.objects.create(code="EE", name="Estonia", status="prospective", residency_region="eu-north")
    assign_perm(f"tenants.{AUDITOR_PERMISSION}", cast.auditor, cast.ke)
    admin = get_user_model().objects.create_superuser("root", "root@example.org", "x")
    for who, codes in ((admin, ["EE", "FR", "KE"]), (cast.partner, ["FR"]), (cast.auditor, ["FR", "KE"])):
        client.force_login(who)
        rows = summary_rows(client.get("/summary/").content.decode())
        api = {row["country"]: row for row in client.get(API).json()["countries"]}
        assert sorted(rows) == sorted(api) == codes, who.username
        for code in codes:
            assert rows[code] == page_cells(api[code]), (who.username, code)
    # And the figures are the data's, not two agreeing mistakes.
    assert api["FR"]["incidents_open"] == 1 and api["FR"]["incidents_late"] == 2
    assert (api["FR"]["environments_active"], api["KE"]["environments_active"]) == (1, 0)
    assert api["FR"]["engagement_state"] == "active"


def test_the_summary_page_for_every_other_visitor(client, cast, seeded):
    response = client.get("/summary/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    for person in (cast.owner, cast.member, cast.viewer, cast.outsider):
        client.force_login(person)
        assert client.get("/summary/").status_code == 404, person.username
        assert 'href="/summary/"' not in client.get("/").content.decode()
    # The platform admin reads every country's figures (without links to pages that are not theirs).
    Country.objects.create(code="EE", name="Estonia", status="prospective", residency_region="eu-north")
    admin = get_user_model().objects.create_superuser("root", "root@example.org", "x")
    client.force_login(admin)
    html = client.get("/summary/").content.decode()
    assert sorted(summary_rows(html)) == ["EE", "FR", "KE"]
    assert 'href="/c/fr/"' not in html
    assert chart(client.get("/").content.decode(), "countries-onboarding").keys() == {"Estonia", "France", "Kenya"}


def count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries.captured_queries)


def test_the_summary_and_the_dashboards_hold_their_queries_as_data_grows(client, cast, seeded):
    assign_perm(f"tenants.{PARTNER_PERMISSION}", cast.partner, cast.ke)
    urls = ["/summary/", "/"]
    client.force_login(cast.partner)
    for url in urls:
        client.get(url)
    at_n = {url: count(client, url) for url in urls}
    now = timezone.now()
    for country in (cast.fr, cast.ke):
        with country_context(country):
            ImpactAssessment.objects.bulk_create(
                ImpactAssessment(
                    country=country, title=f"g{i}", questionnaire_version=1, status="completed", category="limited"
                )
                for i in range(30)
            )
            for i in range(20):
                Incident.objects.create(
                    country=country,
                    title=f"g{i}",
                    severity="minor",
                    description="d",
                    steps_taken="",
                    report_due_at=now + timedelta(days=i),
                )
    at_10n = {url: count(client, url) for url in urls}
    print("\nqueries at N and 10N:", {url: (at_n[url], at_10n[url]) for url in urls})
    assert at_10n == at_n
