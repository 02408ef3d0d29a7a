"""The browser journeys' fixtures (the browser and page themselves are in tests/browser/chromium.py)."""

import pytest


@pytest.fixture
def demo(transactional_db):
    """The demo countries and accounts of seed_demo, committed so the live server sees them."""
    from tenants import demo

    return demo.seed(say=lambda _: None)


# The gateway journey's fixture: the demo made ready to deploy.
from tests.browser.test_deployment_journey import ready_demo  # noqa: E402, F401
