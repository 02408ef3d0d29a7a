"""An auditor requests a compliance pack in the browser, watches its progress bar move without
reloading the page (a real Celery worker builds it), and downloads the signed bundle."""

import re
import zipfile

import pytest

from tests.browser.journeys import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_auditor_requests_watches_and_downloads_a_pack(page, demo, celery_worker_process, tmp_path):
    sign_in(page, "aude")
    page.goto("/audit/fr/")
    with page.expect_navigation(url=re.compile(r"/audit/fr/reports/$")):
        page.get_by_role("link", name=re.compile("Request and download compliance reports")).click()
    assert page.get_by_role("heading", name="Compliance reports", level=1).is_visible()

    page.get_by_label("Country compliance pack").check()
    page.get_by_label("First day").fill("2026-01-01")
    with page.expect_navigation(url=re.compile(r"/audit/fr/reports/$")):
        page.get_by_role("button", name="Request the report").click()

    row = page.locator("tr[data-report]").first
    bar = row.locator("progress")
    assert bar.is_visible()
    url_before = page.url
    # The page polls progress.json: the tag turns to "Ready", the bar to 100 and the link appears
    # without a reload.
    row.locator('[data-field="state"]', has_text="Ready").wait_for(timeout=60000)
    assert bar.get_attribute("value") == "100" or bar.evaluate("b => b.value") == 100
    assert page.url == url_before
    with page.expect_download() as download_info:
        row.get_by_role("link", name="Download").click()
    download = download_info.value
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    assert target.name.startswith("fr-pack-")
    with zipfile.ZipFile(target) as archive:
        names = archive.namelist()
    assert {"manifest.json", "manifest.sig", "report.xlsx", "csv/ledger_events.csv", "verify_bundle.py"} <= set(names)
