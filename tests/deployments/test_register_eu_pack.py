"""The EU database registration pack (EU AI Act Art. 49(3), Annex VIII Section C): made for the
high-risk deployments of EU member states, filled from the portal, with what is missing listed;
as a printable page and as JSON, for the people who may see the country only."""

from __future__ import annotations

from html import unescape

import pytest
from django.core.management import call_command

from deployments.models import AIModel, DeploymentRequest
from tenants.isolation import country_context
from tests.deployments.conftest import act, make_model
from tests.deployments.register_helpers import kenyan_deployment, running

pytestmark = pytest.mark.django_db


@pytest.fixture
def high_risk(cast, ready, django_user_model):
    """A French high-risk deployment, approved by two distinct partner managers."""
    from django.contrib.auth.models import Group
    from guardian.shortcuts import assign_perm

    from deployments import provisioning, services
    from deployments.models import ProvisioningJob
    from tests.deployments.conftest import draft

    second = django_user_model.objects.create(username="second-partner", first_name="Sam", last_name="Second")
    second.groups.add(Group.objects.get(name="Partner managers"))
    assign_perm("tenants.manage_partnership", second, cast.fr)
    item = draft(
        cast, ready, title="Benefits triage", assessment_id=ready.high_assessment.pk, data_classification="personal"
    )
    item = services.deployment_request_transition(request=item, action="submit", **act(cast.member))
    for partner in (cast.partner, second):
        item = services.deployment_request_transition(
            request=item, action="approve", human_review_required=True, **act(partner)
        )
    with country_context(cast.fr):
        job = ProvisioningJob.objects.get(request=item)
    provisioning.provisioning_run(country_id=cast.fr.pk, job_id=job.pk)
    return item


def test_the_pack_is_filled_from_the_portal_and_lists_what_is_missing(client, cast, high_risk):
    client.force_login(cast.viewer)
    pack = client.get(f"/c/fr/register/eu/{high_risk.pk}/pack.json").json()
    assert pack["basis"].startswith("Regulation (EU) 2024/1689, Art. 49(3)")
    fields = {f["key"]: f for f in pack["fields"]}
    assert set(fields) == {"system", "deployer", "submitter", "provider_entry", "fria", "dpia"}
    assert any("Annex III area: point 5" in line for line in fields["system"]["lines"])
    assert fields["fria"]["missing"] is False and "impact level III" in fields["fria"]["lines"][0]
    assert "Human review of outputs" in " ".join(fields["fria"]["lines"])
    # The high-risk answers in the tests name no DPIA while the data is personal.
    assert fields["dpia"]["missing"] is True
    assert {m["key"] for m in pack["missing"]} == {"deployer", "submitter", "provider_entry", "dpia"}
    assert pack["complete"] is False and pack["secure_section"] is False
    page = unescape(client.get(f"/c/fr/register/eu/{high_risk.pk}/").content.decode())
    assert "4 items are missing" in page and "Annex VIII, Section C, point 3" in page


def test_the_provider_entry_is_taken_from_the_catalogue_when_known(client, cast, high_risk):
    AIModel.objects.filter(pk=high_risk.model_id).update(eu_database_url="https://ec.europa.eu/ai-database/entry/123")
    client.force_login(cast.owner)
    pack = client.get(f"/c/fr/register/eu/{high_risk.pk}/pack.json").json()
    provider = next(f for f in pack["fields"] if f["key"] == "provider_entry")
    assert (provider["missing"], provider["value"]) == (False, "https://ec.europa.eu/ai-database/entry/123")


@pytest.mark.parametrize(
    "who, expected",
    [
        ("owner", 200),
        ("member", 200),
        ("viewer", 200),
        ("partner", 200),
        ("auditor", 200),
        ("outsider", 404),
        ("anonymous", 302),
    ],
)
def test_the_pack_for_each_visitor(client, cast, high_risk, who, expected):
    if who != "anonymous":
        client.force_login(getattr(cast, who))
    for path in (f"/c/fr/register/eu/{high_risk.pk}/", f"/c/fr/register/eu/{high_risk.pk}/pack.json"):
        response = client.get(path)
        assert response.status_code == expected, (who, path)
        assert "Benefits triage" not in response.content.decode() or expected == 200


def test_no_pack_for_a_use_that_is_not_high_risk_or_a_country_outside_the_eu(client, cast, ready):
    minimal = running(cast, ready)
    client.force_login(cast.owner)
    assert client.get(f"/c/fr/register/eu/{minimal.pk}/").status_code == 404
    # Kenya is not an EU member state: no pack even for its own high-risk use.
    kenyan = kenyan_deployment(cast, make_model("ke-model", regions=["af-east"]))
    with country_context(cast.ke):
        DeploymentRequest.objects.filter(pk=kenyan.pk).update(risk_category="high_risk")
    client.force_login(cast.outsider)
    assert client.get(f"/c/ke/register/eu/{kenyan.pk}/").status_code == 404
    assert client.get(f"/c/ke/deployments/{kenyan.pk}/").status_code == 200


def test_the_pack_of_the_high_risk_demo_deployment(client):
    """France's pre-screening of social aid applications, as seed_demo leaves it."""
    call_command("seed_demo", force=True, stdout=open("/dev/null", "w"))
    from django.contrib.auth import get_user_model

    from tenants.models import Country

    fr = Country.objects.get(code="FR")
    with country_context(fr):
        item = DeploymentRequest.objects.get(title="Pré-instruction des demandes d'aide sociale")
    amelie = get_user_model().objects.get(username="amelie")
    from tenants.languages.models import Preferences

    Preferences.objects.update_or_create(user=amelie, defaults={"language": "en"})  # France reads French by default
    client.force_login(amelie)
    detail = unescape(client.get(f"/c/fr/deployments/{item.pk}/").content.decode())
    assert "EU database registration pack" in detail and "Its entry in the public register" in detail
    pack = client.get(f"/c/fr/register/eu/{item.pk}/pack.json").json()
    fields = {f["key"]: f for f in pack["fields"]}
    assert pack["country"] == {"code": "FR", "name": "France"}
    assert fields["deployer"]["lines"][0].startswith("Ministère de l'Éducation nationale")
    assert "aides-sociales@education.gouv.fr" in fields["deployer"]["lines"]  # from the drafted register entry
    assert "impact level III" in fields["fria"]["lines"][0] and fields["dpia"]["missing"] is True
    page = client.get(f"/c/fr/register/eu/{item.pk}/")
    assert page.status_code == 200 and "EU database registration pack" in page.content.decode()
