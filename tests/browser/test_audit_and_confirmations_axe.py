"""In Chromium, axe finds no accessibility violation on the pages this work changed: the audit
pages (reports and verification first, the filters with their hints), the compliance reports, an
assessment's review section, and the confirmation pages that ask for a reason."""

import pytest

from tests.browser.test_languages import AXE, _signed_in_context

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _violations(page) -> list:
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("async () => (await axe.run(document)).violations")
    return [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in found]


def test_the_changed_pages_have_no_axe_violation(browser, live_server, transactional_db):
    from deployments.models import CountryUpstream
    from governance import services as governance
    from tenants.access import access_for
    from tenants.isolation import country_context
    from tenants.models import Membership
    from tests.conftest import make_cast
    from tests.governance.helpers import LOW
    from training import services as training
    from training.models import Programme

    if not AXE.exists():
        pytest.fail(f"axe-core is needed at {AXE}: npm ci installs it (package.json).")
    cast = make_cast()
    draft = governance.assessment_create(
        country=cast.fr, title="Letters assistant", answers=LOW, by=cast.member, access=access_for(cast.member)
    )
    governance.assessment_complete(assessment=draft, by=cast.member, access=access_for(cast.member))
    with country_context(cast.fr):
        viewer = Membership.objects.get(user=cast.viewer)
        upstream = CountryUpstream.objects.create(
            country=cast.fr,
            region="eu-west",
            name="National server",
            base_url="https://llm.example.org/v1",
            created_by=cast.owner,
        )
    programme = Programme.objects.order_by("pk").first()
    pages = {
        cast.auditor: ["/audit/", "/audit/fr/", "/audit/fr/?date_from=2026-13-01", "/audit/fr/reports/"],
        cast.owner: [
            f"/c/fr/governance/assessments/{draft.pk}/",
            f"/c/fr/members/{viewer.pk}/remove/",
            f"/c/fr/deployments/servers/{upstream.pk}/remove/",
        ],
    }
    # The confirmations of publishing a policy version, rotating the data key, cancelling an
    # erasure and cancelling an exit (on the country's side and on the platform's).
    from django.contrib.auth import get_user_model

    from governance.models import PolicyTemplate
    from tenants.keys import erasure as erasures
    from tenants.keys import exit as exits

    owner = {"by": cast.owner, "access": access_for(cast.owner)}
    template = PolicyTemplate.objects.order_by("pk").first()
    if template is not None:
        policy = governance.policy_adopt(country=cast.fr, template=template, **owner)
        pages[cast.owner].append(f"/c/fr/governance/policies/{policy.pk}/versions/1/publish/")
    pages[cast.owner].append("/c/fr/data/key/rotate/")
    erasures.member_erasure_request(membership=viewer, reason="Their letter of 3 June.", **owner)
    pages[cast.owner].append(f"/c/fr/members/{viewer.pk}/erasure/cancel/")
    platform = get_user_model().objects.create_superuser("root", "root@example.org", "a-long-admin-password")
    exits.country_exit_request(country=cast.fr, by=platform, access=None, side=exits.PLATFORM, reason="Ends.")
    pages[cast.owner].append("/c/fr/data/exit/cancel/")
    pages[platform] = ["/platform/exits/fr/cancel/"]
    if programme is not None:
        requirement = training.requirement_add(
            country=cast.fr, by=cast.owner, access=access_for(cast.owner), programme=programme, role="viewer"
        )
        pages[cast.owner].append(f"/c/fr/training/requirements/{requirement.pk}/remove/")
    for user, paths in pages.items():
        context = _signed_in_context(browser, live_server, user)
        page = context.new_page()
        try:
            for path in paths:
                page.goto(path, timeout=120000)
                assert page.locator("h1").count() == 1, path
                assert _violations(page) == [], path
            if user == cast.owner:
                # A confirmation submitted without a reason: the error summary, still no violation.
                page.goto(f"/c/fr/members/{viewer.pk}/remove/")
                page.get_by_role("button", name="Yes, remove them").click()
                page.locator(".govuk-error-summary").wait_for()
                page.locator(".govuk-error-summary").get_by_role("link").first.click()
                assert page.evaluate("document.activeElement.name") == "comment"
                assert _violations(page) == []
        finally:
            context.close()
