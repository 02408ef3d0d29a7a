"""Checks shared by the tests of confirmation pages with a required reason
(tenants.confirmations): who reaches the page, the page itself, and a POST without a reason."""

from __future__ import annotations

import hashlib
import hmac
import re
from html import unescape

from tenants.isolation import country_context
from tenants.record.models import ActionReason, CountryEvent, ReasonDigestKey


def page_text(response) -> str:
    return unescape(response.content.decode())


def confirmation_reached_by_admins_only(client, cast, path: str) -> str:
    """Anonymous → sign-in; a same-country officer → 403; another country's admin → 404; the owner
    (a country admin) → the page, in the warning pattern with a required reason. Its HTML."""
    client.logout()
    anonymous = client.get(path)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/"), path
    client.force_login(cast.member)
    assert client.get(path).status_code == 403, path
    client.force_login(cast.outsider)
    assert client.get(path).status_code == 404, path
    client.force_login(cast.owner)
    page = client.get(path)
    assert page.status_code == 200, path
    return confirmation_shown(page)


def confirmation_shown(page) -> str:
    html = page.content.decode()
    assert 'class="govuk-warning-text"' in html
    assert re.search(r'<textarea[^>]*name="comment"', html)
    assert "govuk-button--warning" in html and "No, go back" in page_text(page)
    return page_text(page)


def refused_without_reason(client, path: str, data: dict | None = None) -> str:
    """A POST with an empty reason: a 400 whose GOV.UK error summary names the reason field."""
    response = client.post(path, {**(data or {}), "comment": "  "})
    assert response.status_code == 400, path
    summary = re.search(r'<div class="govuk-error-summary".*?</ul>', response.content.decode(), re.S)
    assert summary, "the page has no GOV.UK error summary"
    assert 'href="#id_comment"' in summary.group(0) and "Say why" in unescape(summary.group(0))
    return page_text(response)


def others_refused(client, cast, path: str, *, also=()) -> None:
    """A POST with a reason by a same-country officer (403), by another country's admin (404) and
    by anyone in `also` ((person, status) pairs) does nothing; the owner is signed in again after."""
    for person, code in ((cast.member, 403), (cast.outsider, 404), *also):
        client.force_login(person)
        assert client.post(path, {"comment": "Ready."}).status_code == code, person
    client.force_login(cast.owner)


def kept_reason(country, action: str) -> tuple[CountryEvent, ActionReason]:
    """The last event of `action` and the sealed reason it names (by id only)."""
    with country_context(country):
        event = CountryEvent.objects.filter(action=action).order_by("-sequence").first()
        assert event is not None, action
        reason = ActionReason.objects.get(pk=event.payload["reason"])
        assert (reason.action, reason.target_id) == (action, event.target_id)
        str(reason.reason)  # opened here, inside the country's context
    return event, reason


def on_record(reason: ActionReason) -> dict:
    """What an event naming `reason` carries: its id and the HMAC-SHA256 of its text under its
    country's reason digest key (tenants.record.reasons)."""
    with country_context(reason.country_id):
        key = ReasonDigestKey.objects.get(country_id=reason.country_id).digest_key
        text = str(ActionReason.objects.get(pk=reason.pk).reason)
    return {"reason": reason.pk, "reason_hmac": hmac.new(bytes.fromhex(key), text.encode(), hashlib.sha256).hexdigest()}
