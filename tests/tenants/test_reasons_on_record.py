"""The exit and erasure pages and API show the reason the record keeps (its own sealed row, named by
the step's event, its text checked against the digest that event carries), never the copy in the
exit's or erasure's own row; a reason that fails its check is shown with a warning."""

from __future__ import annotations

import secrets
from html import unescape

import pytest

from tenants.isolation import country_context
from tenants.keys import erasure as erasures
from tenants.keys import exit as exits
from tenants.keys.models import CountryExit, MemberErasure
from tenants.models import Membership
from tenants.record.models import ReasonDigestKey

from .leaving import act
from .test_erasure import second_admin  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db
REASON = "The ministry moves its AI services to a national platform."
RUN = "Agreed with the ministry on 3 June."
UNCHECKED = "Does not match the digest on the record"


def _copy_changed(model, pk, **values) -> None:
    """Change the copy a row keeps of a reason, as a writer other than the services could."""
    row = model.objects.get(pk=pk)
    for name, value in values.items():
        setattr(row, name, value)
    row.save(update_fields=list(values))


def _digest_key_replaced(country) -> None:
    with country_context(country):
        ReasonDigestKey.objects.filter(country=country).update(digest_key=secrets.token_hex(32))


def test_the_exit_pages_and_api_show_the_reasons_on_the_record(client, cast):
    owner = {"access": act(cast.owner)["access"], "by": cast.owner, "side": exits.COUNTRY}
    exit = exits.country_exit_request(country=cast.fr, reason=REASON, **owner)
    with country_context(cast.fr):
        _copy_changed(CountryExit, exit.pk, reason="A copy nobody recorded.")

    client.force_login(cast.owner)
    page = unescape(client.get("/c/fr/data/").content.decode())
    assert REASON in page and "A copy nobody recorded." not in page and UNCHECKED not in page
    status = client.get("/api/v1/countries/FR/exit/").json()["exit"]
    assert (status["reason"], status["reason_checked"]) == (REASON, True)
    assert (status["run_reason"], status["run_reason_checked"]) == ("", False)

    # A reason whose text is not the one the record's digest was made of is flagged, page and API.
    _digest_key_replaced(cast.fr)
    page = unescape(client.get("/c/fr/data/").content.decode())
    assert REASON in page and UNCHECKED in page
    assert client.get("/api/v1/countries/FR/exit/").json()["exit"]["reason_checked"] is False


def test_the_erasure_page_and_api_show_the_reason_on_the_record(client, cast, second_admin):  # noqa: F811
    with country_context(cast.fr):
        member = Membership.objects.select_related("country").get(user=cast.member)
    erasure = erasures.member_erasure_request(membership=member, reason="Their letter of 3 June.", **act(cast.owner))
    with country_context(cast.fr):
        _copy_changed(MemberErasure, erasure.pk, reason="A copy nobody recorded.")

    client.force_login(second_admin)
    page = unescape(client.get(f"/c/fr/members/{member.pk}/erasure/").content.decode())
    assert "Their letter of 3 June." in page and "A copy nobody recorded." not in page and UNCHECKED not in page
    shown = client.get(f"/api/v1/countries/FR/erasures/{erasure.pk}/").json()
    assert (shown["reason"], shown["reason_checked"]) == ("Their letter of 3 June.", True)

    _digest_key_replaced(cast.fr)
    page = unescape(client.get(f"/c/fr/members/{member.pk}/erasure/").content.decode())
    assert UNCHECKED in page
    assert client.get(f"/api/v1/countries/FR/erasures/{erasure.pk}/").json()["reason_checked"] is False


def test_an_erasure_asked_without_a_reason_says_none_was_given(client, cast, second_admin):  # noqa: F811
    with country_context(cast.fr):
        member = Membership.objects.select_related("country").get(user=cast.member)
    erasure = erasures.member_erasure_request(membership=member, reason="", **act(cast.owner))
    client.force_login(second_admin)
    page = unescape(client.get(f"/c/fr/members/{member.pk}/erasure/").content.decode())
    assert "None given" in page and UNCHECKED not in page
    shown = client.get(f"/api/v1/countries/FR/erasures/{erasure.pk}/").json()
    assert (shown["reason"], shown["reason_checked"]) == ("", False)


def test_a_reason_unreadable_once_the_keys_are_destroyed_says_so_without_a_warning(client, cast):
    from django.template.loader import render_to_string

    from tenants.keys import envelope
    from tenants.keys.rotation import country_keys_destroy

    owner = {"access": act(cast.owner)["access"], "by": cast.owner, "side": exits.COUNTRY}
    exits.country_exit_request(country=cast.fr, reason=REASON, **owner)
    country_keys_destroy(country=cast.fr)
    envelope.key_cache_clear()
    shown = exits.exit_current(country=cast.fr).reason_shown
    assert (shown.readable, shown.checked) == (False, False) and "unreadable" in shown.text
    html = render_to_string("includes/reason_on_record.html", {"reason": shown})
    assert "unreadable" in html and UNCHECKED not in html
