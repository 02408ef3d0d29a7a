"""A select shows as chosen only what is chosen: with no country in view (the review queue, the
dashboard) the country switcher offers "Choose a country", never its first country as if it were
the one shown; a form's select whose value is none of its choices does the same."""

from __future__ import annotations

import re

import pytest
from django import forms
from django.template.loader import render_to_string

pytestmark = pytest.mark.django_db

OPTION = re.compile(r'<option value="([^"]*)"([^>]*)>([^<]*)</option>')


def switcher(html: str) -> list[tuple[str, bool]]:
    select = html[html.index('id="country-switcher"') :]
    select = select[: select.index("</select>")]
    return [(value, " selected" in attrs) for value, attrs, _ in OPTION.findall(select)]


@pytest.fixture
def partner_of_two(cast):
    """The partner manager looks after Kenya too: the switcher is shown to whom it offers a choice."""
    from guardian.shortcuts import assign_perm

    from tenants.access import PARTNER_PERMISSION, access_changed

    assign_perm(f"tenants.{PARTNER_PERMISSION}", cast.partner, cast.ke)
    access_changed(user_ids=[cast.partner.pk])
    return cast.partner


@pytest.mark.parametrize("page", ["/review/", "/", "/audit/"])
def test_no_country_is_shown_chosen_where_none_is(client, partner_of_two, page):
    client.force_login(partner_of_two)
    options = switcher(client.get(page).content.decode())
    assert [value for value, chosen in options if chosen] == [""]
    assert {"FR", "KE"} <= {value for value, _ in options}


def test_the_country_in_view_is_the_one_chosen(client, partner_of_two):
    client.force_login(partner_of_two)
    options = switcher(client.get("/c/fr/").content.decode())
    assert [value for value, chosen in options if chosen] == ["FR"]


def test_go_with_no_country_chosen_leads_to_the_dashboard(client, cast):
    client.force_login(cast.partner)
    response = client.get("/?code=")
    assert response.status_code == 302 and response["Location"] == "/"


class _Pick(forms.Form):
    colour = forms.ChoiceField(choices=[("red", "Red"), ("blue", "Blue")])


@pytest.mark.parametrize(("data", "chosen"), [(None, [""]), ({"colour": "blue"}, ["blue"]), ({"colour": "x"}, [""])])
def test_a_form_select_shows_chosen_only_its_value(data, chosen):
    html = render_to_string("includes/field_select.html", {"field": _Pick(data)["colour"]})
    options = [(value, " selected" in attrs) for value, attrs, _ in OPTION.findall(html)]
    assert [value for value, on in options if on] == chosen
