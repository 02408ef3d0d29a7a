"""Unread messages in the partner managers' review queue, page and API: for each engagement and
deployment request waiting, how many messages of its conversation the reader has not read (others'
messages past their read mark), read for the whole queue in the same queries whatever it holds."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from guardian.shortcuts import assign_perm

from deployments import selectors as deployment_selectors
from deployments import services as deployment_services
from engagements import selectors as engagement_selectors
from tenants.access import access_for
from tenants.conversations import selectors as conversations
from tenants.conversations.services import conversation_mark_read, message_post
from tests.deployments.conftest import draft, ready  # noqa: F401 - the fixture: FR ready to deploy
from tests.engagements.test_api import _assigned_countries, _engagement_of
from tests.engagements.test_services import engagement_in, ke_partner

pytestmark = pytest.mark.django_db


def say(subject, user, times: int = 1) -> None:
    for n in range(times):
        message_post(subject=subject, by=user, access=access_for(user), text=f"Message {n} from {user.username}.")


def page_unread(html: str, table: str) -> list[str]:
    part = html[html.index(f'id="{table}"') :]
    part = part[: part.index("</table>")]
    return [re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r'data-field="unread">(.*?)</td>', part)]


def test_the_queue_counts_each_items_unread_messages_for_its_reader(client, cast, ready):  # noqa: F811
    # Kenya's engagement waits (France's is active, `ready`), France's deployment request waits.
    kenya_pm = ke_partner(cast)
    engagement = engagement_in(cast, "submitted", country=cast.ke, admin=cast.outsider, partner=kenya_pm)
    assign_perm("tenants.manage_partnership", cast.partner, cast.ke)
    engagement_subject = engagement_selectors.conversation_subject(engagement=engagement)
    request = deployment_services.deployment_request_transition(
        request=draft(cast, ready), action="submit", by=cast.member, access=access_for(cast.member)
    )
    request_subject = deployment_selectors.conversation_subject(request=request)
    say(engagement_subject, cast.partner)  # their own message is not unread for them (writing reads)
    say(engagement_subject, cast.outsider, 3)
    say(request_subject, cast.member, 2)
    client.force_login(cast.partner)

    html = client.get("/review/").content.decode()
    assert page_unread(html, "review-queue") == ["3"] and page_unread(html, "deployment-queue") == ["2"]
    assert [r["unread_messages"] for r in client.get("/api/v1/review-queue/").json()["results"]] == [3]
    assert [r["unread_messages"] for r in client.get("/api/v1/review-queue/deployments/").json()["results"]] == [2]

    # Read: nothing unread; a new message from the country: one.
    conversation_mark_read(
        subject=engagement_subject,
        conversation=conversations.conversation_get(subject=engagement_subject),
        user=cast.partner,
    )
    say(engagement_subject, cast.outsider)
    html = client.get("/review/").content.decode()
    assert page_unread(html, "review-queue") == ["1"] and page_unread(html, "deployment-queue") == ["2"]
    assert [r["unread_messages"] for r in client.get("/api/v1/review-queue/").json()["results"]] == [1]

    # Counts are the reader's own: Kenya's other partner manager has read nothing, and reads
    # the partner manager's message as unread too.
    client.force_login(kenya_pm)
    assert [r["unread_messages"] for r in client.get("/api/v1/review-queue/").json()["results"]] == [5]


def test_the_counts_cost_no_query_per_row(client, cast):
    """More items, each with messages: the page and the API hold their query counts."""

    def count(url: str) -> int:
        client.get(url)  # the first request fills the access cache: count the next
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    urls = ["/review/", "/api/v1/review-queue/", "/api/v1/review-queue/deployments/"]
    _tag(_assigned_countries(cast, 2))
    client.force_login(cast.partner)
    small = {url: count(url) for url in urls}
    _tag(_assigned_countries(cast, 4, start=2))
    client.force_login(cast.partner)
    assert {url: count(url) for url in urls} == small
    html = client.get("/review/").content.decode()
    assert page_unread(html, "review-queue") == ["2"] * 6


def _tag(countries):
    """Each country's admin writes twice on its engagement."""
    from django.contrib.auth import get_user_model

    for country in countries:
        admin = get_user_model().objects.get(username=f"admin{country.code[1:]}")
        subject = engagement_selectors.conversation_subject(engagement=_engagement_of(country))
        say(subject, admin, 2)


def test_the_countrys_list_of_requests_counts_unread_messages_too(client, cast, ready):  # noqa: F811
    """The requester's list: a partner manager's messages are unread until the request is opened;
    more requests with messages cost no more queries; another country's member gets 404."""
    first = deployment_services.deployment_request_transition(
        request=draft(cast, ready), action="submit", by=cast.member, access=access_for(cast.member)
    )
    say(deployment_selectors.conversation_subject(request=first), cast.partner, 2)
    client.force_login(cast.member)

    def unread() -> dict[str, str]:
        html = client.get("/c/fr/deployments/").content.decode()
        rows = re.findall(r'data-request="(\d+)">(.*?)</tr>', html, re.S)
        return {
            pk: re.sub(r"<[^>]+>", "", re.search(r'data-field="unread">(.*?)</td>', row).group(1)) for pk, row in rows
        }

    def count() -> int:
        client.get("/c/fr/deployments/")
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/c/fr/deployments/").status_code == 200
        return len(queries)

    assert unread() == {str(first.pk): "2"}
    small = count()
    for n in range(3):
        more = draft(cast, ready, title=f"Use {n}")
        say(deployment_selectors.conversation_subject(request=more), cast.owner)
    assert count() == small
    assert unread()[str(first.pk)] == "2" and sorted(unread().values()) == ["1", "1", "1", "2"]
    client.get(f"/c/fr/deployments/{first.pk}/")  # opening the request reads its conversation
    assert unread()[str(first.pk)] == "0"
    client.force_login(cast.outsider)
    assert client.get("/c/fr/deployments/").status_code == 404
