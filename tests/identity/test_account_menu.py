"""Every account page (the portal's own and allauth's) shows the account menu, so that API tokens,
sessions, the password and government sign-in can be reached from any of them."""

from __future__ import annotations

import pytest

from tests.identity.helpers import second_factor_shown

pytestmark = pytest.mark.django_db

MENU = ["/accounts/", "/accounts/tokens/", "/accounts/password/change/", "/accounts/2fa/", "/accounts/sessions/"]


@pytest.mark.parametrize("path", MENU)
def test_the_account_menu_is_on_every_account_page(client, cast, path):
    client.force_login(cast.member)
    second_factor_shown(client)
    page = client.get(path)
    assert page.status_code == 200
    html = page.content.decode()
    for target in ("/accounts/tokens/", "/accounts/sessions/", "/accounts/password/change/", "/accounts/3rdparty/"):
        assert f'href="{target}"' in html, (path, target)
    # The layout is kept as well: the page sits in the portal's column.
    assert "govuk-grid-column-two-thirds" in html
