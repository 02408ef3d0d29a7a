"""What a page shows of the programme's own data (the record's groups of actions, countries' names,
the frameworks' controls, notifications, the scripts' words) reads in the reader's language."""

import re

import pytest

from tenants.languages.models import Preferences
from tenants.record.ledger import event_record


def _reading(client, user, language: str):
    Preferences.objects.filter(user=user).update(language=language)
    client.force_login(user)
    return client


@pytest.mark.parametrize("language", ["fr", "es", "pt", "ar", "sw"])
def test_the_records_filter_names_its_groups_of_actions_in_the_readers_language(client, cast, language):
    from tenants.record.events import ACTION_FAMILIES

    for action in ("member.invited", "organisation.created", "key.rotated", "future.thing_done"):
        event_record(country=cast.fr, action=action, actor=cast.owner, actor_role="country_admin", chained=True)
    page = _reading(client, cast.auditor, language).get("/audit/FR/").content.decode()
    groups = re.findall(r'<optgroup label="([^"]*)"', page)
    assert len(groups) == 4, groups
    # No group is named by its code, nor by the English word, and an unknown family's code is
    # written inside a sentence of the reader's language.
    assert not {"member", "organisation", "key", "future", "People", "Data keys"} & set(groups)
    assert all(str(label) not in page for label in ("Any member action", "Any action: People"))
    assert [g for g in groups if "future" in g] and "Other actions" not in page
    assert set(ACTION_FAMILIES) >= {"member", "organisation", "key"}
