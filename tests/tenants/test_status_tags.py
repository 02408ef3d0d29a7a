"""Status tags are coloured by what a state means, from one table (tenants/status_tags.py): every
state a page shows has its colour there, and no template picks a tag colour of its own."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.template import Context, Template

from deployments.models import DeploymentRequest, Environment, ProvisioningJob
from deployments.register.models import RegisterEntry
from engagements.models import Engagement
from governance.models import ImpactAssessment, Incident, PolicyVersion, RequirementStatus
from portal.models import ComplianceReport
from tenants.keys.models import CountryExit, CountryExport, KeyRotation
from tenants.models import Country, Membership
from tenants.status_tags import GREEN, GREY, ORANGE, RED, TAG_COLOURS, YELLOW, tag_class
from training.models import Enrolment

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
# Tags that are not a status: a role, the count of unread notifications, the phase banner, allauth's badge.
NOT_A_STATUS = {"includes/role_tag.html", "base.html", "allauth/elements/badge.html"}
CHOICES = [
    Engagement.State,
    DeploymentRequest.State,
    Environment.State,
    ProvisioningJob.State,
    RegisterEntry.State,
    ImpactAssessment.Status,
    Incident.Status,
    PolicyVersion.Status,
    RequirementStatus.Status,
    ComplianceReport.State,
    CountryExit.State,
    CountryExport.State,
    KeyRotation.State,
    Country.Status,
    Membership.Status,
    Enrolment.Status,
]


def test_no_template_chooses_a_tag_colour_of_its_own():
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        name = str(path.relative_to(TEMPLATES))
        if name in NOT_A_STATUS:
            continue
        if re.search(r"govuk-tag--[a-z-]+", path.read_text()):
            offenders.append(name)
    assert offenders == []


@pytest.mark.parametrize("choices", CHOICES, ids=lambda c: c.__qualname__)
def test_every_state_a_page_shows_has_its_colour(choices):
    assert [value for value in choices.values if value not in TAG_COLOURS] == []


@pytest.mark.parametrize(
    "state,colour",
    [
        ("approved", GREEN),
        ("active", GREEN),
        ("completed", GREEN),
        ("submitted", YELLOW),
        ("in_review", YELLOW),
        ("changes_requested", ORANGE),
        ("suspended", ORANGE),
        ("rejected", RED),
        ("failed", RED),
        ("overdue", RED),
        ("draft", GREY),
        ("closed", GREY),
        ("no such state", GREY),
        ("", GREY),
        (None, GREY),
    ],
)
def test_a_state_is_coloured_by_its_meaning(state, colour):
    assert tag_class(state) == colour


def test_a_kind_gives_a_word_its_own_meaning_and_templates_use_the_filter():
    assert tag_class("open", kind="incident") == ORANGE and tag_class("removed", kind="diff") == RED
    html = Template("{% load status %}<b class='{{ s|tag_colour }} {{ d|tag_colour:\"diff\" }}'>").render(
        Context({"s": "rejected", "d": "added"})
    )
    assert html == f"<b class='{RED} {GREEN}'>"
