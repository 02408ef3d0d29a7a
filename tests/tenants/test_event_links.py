"""The record's targets link to their page only for a reader that page lets in (the check its
view makes), and are plain text for everyone else: the activity feed, the overview, the audit
page and the dashboards show the same words to everyone, and a link only where it opens."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tenants.isolation import country_context
from tenants.keys.models import KeyRotation
from tenants.record.ledger import event_record
from tests.training.conftest import catalogue, enrol  # noqa: F401 - the fixture: the published catalogue

pytestmark = pytest.mark.django_db


def _links(html: str) -> set[str]:
    return set(re.findall(r'href="(/c/fr/[^"]*)"', html))


def _record(cast, catalogue):  # noqa: F811
    programme = next(iter(catalogue.values()))
    owner_enrolment = enrol(cast.fr, cast.owner, programme)
    viewer_enrolment = enrol(cast.fr, cast.viewer, programme)
    with country_context(cast.fr):
        rotation = KeyRotation.objects.create(country=cast.fr, to_key_id="k2")
        event_record(
            country=cast.fr, action="key.rotated", actor=cast.owner, actor_role="country_admin", target=rotation
        )
    return owner_enrolment, viewer_enrolment


@pytest.mark.parametrize(
    ("who", "data", "viewers", "owners"),
    [
        ("owner", True, True, True),
        ("member", False, False, False),
        ("viewer", False, True, False),
        ("partner", False, True, True),
    ],
)
def test_activity_links_only_to_pages_the_reader_may_open(client, cast, catalogue, who, data, viewers, owners):  # noqa: F811
    owner_enrolment, viewer_enrolment = _record(cast, catalogue)
    reader = getattr(cast, who)
    client.force_login(reader)
    page = client.get(reverse("tenants:activity", kwargs={"code": "fr"}))
    assert page.status_code == 200
    html = page.content.decode()
    links = _links(html)
    data_url = reverse("tenants:data", kwargs={"code": "fr"})
    viewer_url = reverse("training:enrolment", kwargs={"code": "fr", "pk": viewer_enrolment.pk})
    owner_url = reverse("training:enrolment", kwargs={"code": "fr", "pk": owner_enrolment.pk})
    assert (data_url in links) is data
    assert (viewer_url in links) is viewers
    assert (owner_url in links) is owners
    # Each link shown opens; the target is still named in words where it is not a link.
    assert "Rotation to key k2" in html
    for url in links & {data_url, viewer_url, owner_url}:
        assert client.get(url).status_code == 200, url
    for url in {data_url, viewer_url, owner_url} - links:
        assert client.get(url).status_code in {403, 404}, url
