"""Publishing a policy version is outward and cannot be undone (staff must acknowledge it, earlier
acknowledgements stop counting): it asks first, with a required reason kept sealed on the record."""

from __future__ import annotations

import pytest

from governance import services
from governance.models import PolicyTemplate, PolicyVersion
from tenants.isolation import country_context
from tests.governance.helpers import act
from tests.tenants.confirming import (
    confirmation_reached_by_admins_only,
    kept_reason,
    others_refused,
    page_text,
    refused_without_reason,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(cast) -> PolicyVersion:
    template = PolicyTemplate.objects.get(slug="generative-ai-acceptable-use")
    policy = services.policy_adopt(country=cast.fr, template=template, **act(cast.owner))
    with country_context(cast.fr):
        return policy.versions.select_related("policy").get(number=1)


def status(cast, version) -> str:
    with country_context(cast.fr):
        return PolicyVersion.objects.get(pk=version.pk).status


def test_publishing_asks_first_with_a_reason(client, cast, draft):
    detail = f"/c/fr/governance/policies/{draft.policy_id}/"
    path = f"{detail}versions/1/publish/"
    page = confirmation_reached_by_admins_only(client, cast, path)
    assert f"Publish version 1 of “{draft.policy.title}”?" in page and "cannot be changed or withdrawn" in page
    assert "Must be acknowledged by" in page
    assert f'href="{path}"' in client.get(detail).content.decode()  # the policy page links to it

    refused_without_reason(client, path)
    others_refused(client, cast, path, also=[(cast.viewer, 403)])
    assert status(cast, draft) == "draft"
    done = client.post(path, {"comment": "Reviewed by the legal team on 2 June."})
    assert done.status_code == 302 and done["Location"] == detail
    assert status(cast, draft) == "published"
    event, reason = kept_reason(cast.fr, "policy.version_published")
    assert reason.reason == "Reviewed by the legal team on 2 June."
    assert event.payload["number"] == 1 and "Reviewed" not in str(event.payload)
    assert "Reason: Reviewed by the legal team on 2 June." in page_text(client.get("/c/fr/activity/"))
    assert client.get(path).status_code == 404  # published: nothing left to confirm
    assert client.get(f"{detail}versions/9/publish/").status_code == 404


def test_the_service_refuses_a_publication_without_a_reason(cast, draft):
    from tenants.errors import ServiceError

    with pytest.raises(ServiceError, match="Say why"):
        services.policy_version_publish(version=draft, reason=" ", **act(cast.owner))
    assert status(cast, draft) == "draft"
