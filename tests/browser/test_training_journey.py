"""An officer completes a training programme module by module, quizzes included, downloads the
certificate, and the public check (no sign-in) shows it valid."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.journeys import sign_in
from training import demo as training_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def answer_quiz(page, correct: list[int]) -> None:
    for question, option in enumerate(correct):
        page.locator(f"input[name='q{question}'][value='{option}']").check()
    page.get_by_role("button", name="Submit answers").click()


def test_officer_completes_training_and_downloads_the_certificate(page, demo, tmp_path):
    training_demo.seed(countries=demo, say=lambda _: None)
    from tenants.isolation import country_context
    from training.models import Enrolment

    with country_context(demo["FR"]):
        enrolment = Enrolment.objects.get(user__username="olivier", programme__slug="ai-literacy")
        modules = enrolment.version.modules
    sign_in(page, "olivier")
    page.wait_for_url(re.compile(r"/(c/fr/?)?$", re.I))
    with page.expect_navigation(url=re.compile(r"/c/fr/training/$")):
        page.get_by_role("link", name="Training", exact=True).first.click()
    page.get_by_role("link", name="AI literacy for civil servants").first.click()

    # A first, wrong attempt is scored and refused; the right answers pass.
    page.get_by_role("link", name=modules[0]["title"]).click()
    expect(page.locator("main")).to_contain_text("Fluent is not the same as correct.")
    answer_quiz(page, [(q["answer"] + 1) % len(q["options"]) for q in modules[0]["quiz"]])
    expect(page.locator("main")).to_contain_text("you need 66% to pass")
    answer_quiz(page, [q["answer"] for q in modules[0]["quiz"]])
    expect(page.locator("body")).to_contain_text("You passed: 3 of 3 correct.")

    page.get_by_role("link", name=modules[1]["title"]).click()
    answer_quiz(page, [q["answer"] for q in modules[1]["quiz"]])
    expect(page.locator("main")).to_contain_text("Programme completed")

    page.get_by_role("link", name="View and print the certificate").click()
    expect(page.locator("main")).to_contain_text("Certificate of completion")
    code = page.locator("main code").inner_text()
    assert re.fullmatch(r"FR-\d+-[0-9a-f]{20}", code)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download certificate").click()
    saved = tmp_path / "certificate.html"
    download_info.value.save_as(saved)
    assert "Olivier" in saved.read_text() and code in saved.read_text()

    page.context.clear_cookies()  # the public check needs no sign-in
    page.goto(f"/certificates/{code}/")
    status = page.locator("#certificate-status").inner_text()
    assert status == "Valid"
    assert "AI literacy for civil servants" in page.locator("main").inner_text()
    page.goto(f"/certificates/{code[:-1]}{'0' if code[-1] != '0' else '1'}/")
    assert "Not genuine" in page.locator("#certificate-status").inner_text()
