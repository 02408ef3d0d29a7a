"""The browser journeys read the page their last action caused, never the one before it.

A click that posts a form or follows a link can return before the next page has arrived on a busy
machine. A read that does not wait (`is_visible()`, `count()`, `all_inner_texts()`, `page.url`)
then reads the old page, and `wait_for_url` returns at once when the old page already has that
address. This reads every journey's source for those reads on the line right after an action
(outside `page.expect_navigation()`), which must wait for what they check instead (`expect(...)`).
Reads that wait for their element (`inner_text()` of an element only the new page has) are left
to the journeys; a read of an element both pages have goes through `expect` too."""

import re
from pathlib import Path

HERE = Path(__file__).parent
ACTION = re.compile(r"\.(click|press|dblclick)\(")
NO_WAIT = re.compile(
    r"\.(is_visible|is_hidden|is_checked|is_enabled|count|all_inner_texts|all_text_contents)\(\)|\bpage\.url\b|page\.wait_for_url\("
)


def lines_after_actions(source: str):
    lines = source.splitlines()
    for number, line in enumerate(lines[:-1]):
        stripped = line.strip()
        if stripped.startswith("#") or not ACTION.search(stripped):
            continue
        if stripped.startswith("with ") or lines[number - 1].strip().startswith("with page.expect_navigation"):
            continue
        following = lines[number + 1].strip()
        yield number + 2, following


def test_no_journey_reads_the_page_before_its_action_has_landed():
    found = []
    for path in sorted(HERE.glob("test_*.py")):
        if path.name == Path(__file__).name:
            continue
        for line, following in lines_after_actions(path.read_text()):
            if NO_WAIT.search(following):
                found.append(f"{path.name}:{line}: {following}")
    assert not found, "Reads that do not wait for the page the action caused:\n" + "\n".join(found)


def test_the_scan_finds_a_read_that_does_not_wait():
    racy = 'page.get_by_role("button").click()\nassert page.locator(".govuk-error-summary").is_visible()\n'
    waits = 'page.get_by_role("button").click()\nexpect(page.locator(".govuk-error-summary")).to_be_visible()\n'
    wrapped = 'with page.expect_navigation(url=u):\n    page.get_by_role("button").click()\nassert page.url == u\n'
    assert [NO_WAIT.search(f) is not None for _, f in lines_after_actions(racy)] == [True]
    assert [NO_WAIT.search(f) is not None for _, f in lines_after_actions(waits)] == [False]
    assert list(lines_after_actions(wrapped)) == []
