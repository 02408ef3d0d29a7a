"""Publishing a version of a register entry puts it in front of the public: it asks first, with a
required reason that is kept sealed on the country's record (never published)."""

from __future__ import annotations

import pytest

from deployments.register import services as register
from deployments.register.models import RegisterEntry, RegisterVersion
from tenants.errors import ServiceError
from tenants.isolation import country_context
from tests.deployments.conftest import act
from tests.deployments.register_helpers import TEXTS, running
from tests.tenants.confirming import (
    confirmation_reached_by_admins_only,
    kept_reason,
    others_refused,
    page_text,
    refused_without_reason,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(cast, ready) -> RegisterEntry:
    return register.register_entry_create(request=running(cast, ready), **act(cast.member), **TEXTS)


def version_status(cast, entry) -> str:
    with country_context(cast.fr):
        return RegisterVersion.objects.get(entry=entry).status


def test_publishing_in_the_register_asks_first_with_a_reason(client, cast, entry):
    detail = f"/c/fr/register/{entry.pk}/"
    path = f"{detail}publish/"
    page = confirmation_reached_by_admins_only(client, cast, path)
    assert "Publish version 1 of “Tax form helper” in the public register?" in page
    assert "Anyone can read it at once" in page
    assert f'href="{path}"' in client.get(detail).content.decode()

    refused_without_reason(client, path)
    others_refused(client, cast, path)
    assert version_status(cast, entry) == "draft"
    client.logout()
    assert "Tax form helper" not in page_text(client.get("/register/fr/"))
    client.force_login(cast.owner)
    done = client.post(path, {"comment": "The pilot ended well; the service is open to all."})
    assert done.status_code == 302 and done["Location"] == detail
    assert version_status(cast, entry) == "published"
    event, reason = kept_reason(cast.fr, "register.published")
    assert reason.reason == "The pilot ended well; the service is open to all."
    assert "pilot" not in str(event.payload)
    assert "Reason: The pilot ended well" in page_text(client.get("/c/fr/activity/"))
    client.logout()
    public = page_text(client.get("/register/fr/"))
    assert "Tax form helper" in public and "The pilot ended well" not in public  # the reason stays inside
    client.force_login(cast.owner)
    assert client.get(path).status_code == 400  # no draft left: the entry's page says so


def test_the_service_refuses_a_publication_without_a_reason(cast, entry):
    with country_context(cast.fr):
        version = entry.versions.get()
    with pytest.raises(ServiceError, match="Say why"):
        register.register_version_publish(version=version, reason="", **act(cast.owner))
    assert version_status(cast, entry) == "draft"
