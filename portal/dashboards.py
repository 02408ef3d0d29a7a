"""The figures and charts of the dashboards: a country's overview, the home page of each role and
the cross-country summary. Every figure is read for all the countries on the page at once, with one
grouped query per table in the apps that own them (governance, training, deployments, engagements),
so a page holds the same number of queries whatever the data and the number of countries."""

from __future__ import annotations

import calendar
from datetime import UTC, date

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from deployments import selectors as deployment_selectors
from deployments.models import DeploymentRequest
from engagements import selectors as engagement_selectors
from engagements.models import Engagement
from governance import dashboard as governance_figures
from governance.acknowledgements import acknowledgement_totals, acknowledgements_enough
from governance.models import ImpactAssessment, Incident
from tenants import onboarding
from tenants.charts import Bar, Chart, Day, bar_chart, timeline_chart
from tenants.isolation import reading_context
from tenants.languages.formatting import long_date, month_name
from tenants.models import Country
from training import selectors as training_selectors

RISK_COLOURS = {"prohibited": "red", "high_risk": "orange", "limited": "yellow", "minimal": "green", "draft": "grey"}
SEVERITY_COLOURS = {"serious": "red", "major": "orange", "minor": "yellow"}
DEADLINE_COLOURS = {"overdue": "red", "due_soon": "orange", "on_time": "green", "reported_late": "purple"}
STEP_COUNT = len(onboarding.STEPS)


def deadline_labels() -> dict[str, str]:
    return {
        "overdue": _("Overdue: not reported, past the deadline"),
        "due_soon": _("Due within 7 days"),
        "on_time": _("On time"),
        "reported_late": _("Reported after the deadline"),
    }


def country_figures(*, country_ids: list[int]) -> dict[int, dict]:
    """Everything the dashboards show of each country, opened in one context for all of them."""
    ids = sorted(set(country_ids))
    if not ids:
        return {}
    with reading_context(ids):
        governance = governance_figures.dashboard_figures(country_ids=ids)
        trained = training_selectors.trained_counts_by_country(country_ids=ids)
        deployments = deployment_selectors.dashboard_figures(country_ids=ids)
        engagements = engagement_selectors.current_states(country_ids=ids)
    figures = {}
    for cid in ids:
        row = {**governance[cid], **deployments[cid]}
        row["trained"], row["training_total"] = trained[cid]
        row["engagement_state"] = engagements.get(cid, "")
        row["steps"] = _steps_done(row)
        figures[cid] = row
    return figures


def _steps_done(row: dict) -> dict[str, bool]:
    """Which onboarding steps are done, by the rules of their owners' onboarding steps
    (tests/portal/test_dashboards.py holds the two to the same answer)."""
    return {
        "engagement": row["engagement_state"] in (Engagement.State.APPROVED, Engagement.State.ACTIVE),
        "policies": bool(row["policies_published"])
        and acknowledgements_enough(row["ack_required"], row["ack_current"]),
        "training": bool(row["training_total"] and row["trained"] == row["training_total"]),
        "assessment": bool(row["assessments_on_record"]),
        "deployment": bool(row["environments_active"]),
    }


# --- One country ----------------------------------------------------------------------------------


def country_charts(country: Country, figures: dict, *, prefix: str = "") -> list[Chart]:
    """The charts of one country: coverage, assessments by risk level, incidents by severity and by
    deadline, and this month's use of its deployments against their quotas."""
    key = f"{prefix}{country.code.lower()}-"
    risk_labels = {**dict(ImpactAssessment.Category.choices), "draft": _("Draft, not yet assessed")}
    severity_labels = dict(Incident.Severity.choices)
    charts = [
        bar_chart(
            key=f"{key}coverage",
            title=_("Policy acknowledgement and training coverage"),
            description=_(
                "Current policy acknowledgements of those required, and country admins and officers holding "
                "every certificate their role requires, of all of them."
            ),
            label_header=_("Measure"),
            value_header=_("Done of required"),
            bars=[
                Bar(_("Policy acknowledgements current"), figures["ack_current"], figures["ack_required"], "green"),
                Bar(_("Admins and officers trained"), figures["trained"], figures["training_total"], "green"),
            ],
            empty_text=_("No policy to acknowledge and nobody to train yet."),
        ),
        bar_chart(
            key=f"{key}risk",
            title=_("Impact assessments by risk level"),
            description=_("Completed impact assessments by the risk level they found, and drafts not yet completed."),
            label_header=_("Risk level"),
            value_header=_("Assessments"),
            bars=[
                Bar(str(risk_labels[k]), n, None, RISK_COLOURS[k])
                for k, n in figures["assessments_by_category"].items()
            ],
            empty_text=_("No impact assessment yet."),
        ),
        bar_chart(
            key=f"{key}severity",
            title=_("Open incidents by severity"),
            description=_("Incidents not yet resolved or closed, by severity."),
            label_header=_("Severity"),
            value_header=_("Open incidents"),
            bars=[
                Bar(str(severity_labels[k]), n, None, SEVERITY_COLOURS[k])
                for k, n in figures["incidents_by_severity"].items()
            ],
            empty_text=_("No open incident."),
        ),
        bar_chart(
            key=f"{key}deadline",
            title=_("Incidents by reporting deadline"),
            description=_(
                "Every incident by its reporting deadline: overdue, due within 7 days, on time, or reported late."
            ),
            label_header=_("Deadline"),
            value_header=_("Incidents"),
            bars=[
                Bar(deadline_labels()[k], n, None, DEADLINE_COLOURS[k])
                for k, n in figures["incidents_by_deadline"].items()
            ],
            empty_text=_("No incident reported."),
        ),
        usage_chart(key=f"{key}usage", figures=figures),
    ]
    return charts


def usage_chart(*, key: str, figures: dict, now=None) -> Chart:
    now = (now or timezone.now()).astimezone(UTC)
    days_in_month = calendar.monthrange(now.year, now.month)[1]
    month = figures["month"]
    days = [
        Day(
            f"{month}-{number:02d}",
            figures["tokens_by_day"].get(number, 0),
            str(number),
            long_date(date.fromisoformat(f"{month}-{number:02d}")),
        )
        for number in range(1, min(now.day, days_in_month) + 1)
    ]
    return timeline_chart(
        key=key,
        title=_("Tokens used this month against the quota"),
        description=_(
            "{used} tokens used in {month} through the gateway, across the active environments, of a monthly quota "
            "of {quota}."
        ).format(
            used=formats.number_format(figures["tokens_month"], force_grouping=True),
            month=month_name(month),
            quota=formats.number_format(figures["quota"], force_grouping=True),
        ),
        label_header=_("Day"),
        value_header=_("Tokens"),
        cumulative_header=_("Month so far"),
        days=days,
        slots=days_in_month,
        limit=figures["quota"] or None,
        limit_label=_("Quota"),
        empty_text=_("No active deployment and no use this month."),
    )


def overview_facts(country: Country) -> dict:
    """Registered with tenants.dashboard: the figures of the overview's charts that the steps do not
    already read, as expressions read with them in one query."""
    return {**governance_figures.overview_facts(country), **deployment_selectors.overview_facts(country)}


def overview_charts(country: Country, values: dict, steps: dict[str, dict]) -> list[Chart]:
    """Registered with tenants.dashboard for the country's overview page: the charts of
    `country_charts` from the values of `overview_facts` and the facts of the policies and training
    steps (the same rules as country_figures), plus one query for this month's use by day."""
    required, current = acknowledgement_totals(steps["policies"])
    figures = {
        "ack_required": required,
        "ack_current": current,
        "trained": steps["training"]["trained"],
        "training_total": steps["training"]["total"],
        **governance_figures.overview_figures(values),
        **deployment_selectors.usage_figures(country=country, quota=values["quota"]),
    }
    return country_charts(country, figures)


# --- Several countries ----------------------------------------------------------------------------


def countries_charts(countries: list[Country], figures: dict[int, dict]) -> list[Chart]:
    """The charts of a partner manager's, an auditor's or the platform's dashboard: each country's
    onboarding progress, coverage and use, and its incidents and assessments."""
    rows = [(c, figures[c.pk]) for c in countries]
    risk_labels = {**dict(ImpactAssessment.Category.choices), "draft": _("Draft, not yet assessed")}
    severity_labels = dict(Incident.Severity.choices)

    def totals(field: str) -> dict[str, int]:
        summed: dict[str, int] = {}
        for _country, row in rows:
            for k, n in row[field].items():
                summed[k] = summed.get(k, 0) + n
        return summed

    return [
        bar_chart(
            key="countries-onboarding",
            title=_("Onboarding progress"),
            description=_("Onboarding steps completed by each country, of {steps}.").format(steps=STEP_COUNT),
            label_header=_("Country"),
            value_header=_("Steps completed"),
            bars=[
                Bar(c.name, sum(row["steps"].values()), STEP_COUNT, "green" if all(row["steps"].values()) else "blue")
                for c, row in rows
            ],
        ),
        bar_chart(
            key="countries-acknowledgements",
            title=_("Policy acknowledgements current"),
            description=_("Each country's current policy acknowledgements, of those its policies require."),
            label_header=_("Country"),
            value_header=_("Current of required"),
            bars=[Bar(c.name, row["ack_current"], row["ack_required"], "green") for c, row in rows],
            empty_text=_("No policy to acknowledge yet in these countries."),
        ),
        bar_chart(
            key="countries-training",
            title=_("Admins and officers trained"),
            description=_("Each country's country admins and officers holding every certificate their role requires."),
            label_header=_("Country"),
            value_header=_("Trained of all"),
            bars=[Bar(c.name, row["trained"], row["training_total"], "green") for c, row in rows],
            empty_text=_("No country admin or officer to train yet in these countries."),
        ),
        bar_chart(
            key="countries-risk",
            title=_("Impact assessments by risk level"),
            description=_("Impact assessments of all these countries by the risk level they found."),
            label_header=_("Risk level"),
            value_header=_("Assessments"),
            bars=[
                Bar(str(risk_labels[k]), n, None, RISK_COLOURS[k]) for k, n in totals("assessments_by_category").items()
            ],
            empty_text=_("No impact assessment yet."),
        ),
        bar_chart(
            key="countries-severity",
            title=_("Open incidents by severity"),
            description=_("Incidents of all these countries not yet resolved or closed, by severity."),
            label_header=_("Severity"),
            value_header=_("Open incidents"),
            bars=[
                Bar(str(severity_labels[k]), n, None, SEVERITY_COLOURS[k])
                for k, n in totals("incidents_by_severity").items()
            ],
            empty_text=_("No open incident."),
        ),
        bar_chart(
            key="countries-deadline",
            title=_("Incidents by reporting deadline"),
            description=_("Incidents of all these countries by their reporting deadline."),
            label_header=_("Deadline"),
            value_header=_("Incidents"),
            bars=[
                Bar(deadline_labels()[k], n, None, DEADLINE_COLOURS[k])
                for k, n in totals("incidents_by_deadline").items()
            ],
            empty_text=_("No incident reported."),
        ),
        bar_chart(
            key="countries-usage",
            title=_("Tokens used this month against the quota"),
            description=_(
                "Each country's tokens used this month through the gateway, of its active environments' quotas."
            ),
            label_header=_("Country"),
            value_header=_("Tokens of the quota"),
            bars=[
                Bar(c.name, row["tokens_month"], row["quota"], "red" if row["tokens_month"] > row["quota"] else "blue")
                for c, row in rows
            ],
        ),
    ]


WAITING_REQUESTS = (DeploymentRequest.State.SUBMITTED, DeploymentRequest.State.IN_REVIEW)


def summary_rows(countries: list[Country], figures: dict[int, dict]) -> list[dict]:
    """One row of the summary page per country."""
    engagement_labels = dict(Engagement.State.choices)
    rows = []
    for country in countries:
        row = figures[country.pk]
        requests = row["requests_by_state"]
        rows.append(
            {
                "country": country,
                "code": country.code.lower(),
                "engagement_state": row["engagement_state"],
                "engagement_label": engagement_labels.get(row["engagement_state"], ""),
                "steps_done": sum(row["steps"].values()),
                "steps": STEP_COUNT,
                "policies_published": row["policies_published"],
                "ack_current": row["ack_current"],
                "ack_required": row["ack_required"],
                "assessments_completed": row["assessments_completed"],
                "assessments_high_risk": row["assessments_high_risk"],
                "trained": row["trained"],
                "training_total": row["training_total"],
                "environments_active": row["environments_active"],
                "requests_waiting": sum(requests.get(state, 0) for state in WAITING_REQUESTS),
                "incidents_open": row["incidents_open"],
                "incidents_late": row["incidents_late"],
            }
        )
    return rows
