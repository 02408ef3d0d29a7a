"""The browser journeys' fixtures (the browser and page themselves are in tests/browser/chromium.py)."""

import pytest


@pytest.fixture
def demo(transactional_db):
    """The demo countries and accounts of seed_demo, committed so the live server sees them."""
    from django.contrib.auth import get_user_model

    from tenants import demo
    from tenants.languages.models import Preferences

    seeded = demo.seed(say=lambda _: None)
    # The journeys read English pages: each demo account chose English (France's default is French).
    for user in get_user_model().objects.all():
        Preferences.objects.update_or_create(user=user, defaults={"language": "en"})
    return seeded


# The gateway journey's fixture: the demo made ready to deploy.
from tests.browser.test_deployment_journey import ready_demo  # noqa: E402, F401
