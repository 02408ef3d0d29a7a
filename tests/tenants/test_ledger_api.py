"""The ledger in the API: filtered events, checkpoints, verification and the offline export."""

import io
import json
import subprocess
import sys
import zipfile

import pytest
from django.db import connection

from tenants.isolation import country_context
from tenants.record.ledger import checkpoint_create, event_record
from tenants.record.models import CountryEvent

BASE = "/api/v1/countries/{code}/audit-events/"


@pytest.fixture
def chain(cast):
    for n in range(6):
        event_record(
            country=cast.fr,
            action="member.invited" if n % 2 else "organisation.created",
            actor=cast.owner,
            actor_role="country_admin",
            payload={"n": n},
        )
    event_record(country=cast.fr, action="key.rotated", payload={"rows": 0})
    checkpoint_create(country=cast.fr)
    event_record(country=cast.ke, action="organisation.created", actor=cast.outsider, actor_role="country_admin")


def sequences(response) -> list[int]:
    return [e["sequence"] for e in response.json()["results"]]


@pytest.mark.parametrize("who", ["owner", "member", "viewer", "partner", "auditor"])
def test_fr_readers_see_fr_events(client, cast, chain, who):
    client.force_login(getattr(cast, who))
    response = client.get(BASE.format(code="FR"))
    assert response.status_code == 200
    assert sequences(response) == [7, 6, 5, 4, 3, 2, 1]


@pytest.mark.parametrize("path", ["", "checkpoints/", "export/"])
def test_outsider_and_anonymous(client, cast, chain, path):
    assert client.get(BASE.format(code="FR") + path).status_code == 401
    client.force_login(cast.outsider)
    assert client.get(BASE.format(code="FR") + path).status_code == 404
    client.force_login(cast.auditor)
    assert client.get(BASE.format(code="KE") + path).status_code == 404


def test_filters(client, cast, chain):
    client.force_login(cast.auditor)
    url = BASE.format(code="FR")
    assert sequences(client.get(url, {"action": "member.invited"})) == [6, 4, 2]
    assert sequences(client.get(url, {"action": "member."})) == [6, 4, 2]
    assert sequences(client.get(url, {"actor_role": ""})) == [7]
    assert sequences(client.get(url, {"sequence_from": 3, "sequence_to": 5})) == [5, 4, 3]


def test_the_portal_itself_is_every_event_no_person_made(client, cast):
    event_record(country=cast.fr, action="credential.issued", actor_role="system", payload={"key_number": 1})
    event_record(country=cast.fr, action="policy.reminders_sent", payload={"count": 2})
    event_record(country=cast.fr, action="credential.revealed", actor=cast.owner, payload={"key_number": 1})
    event_record(country=cast.fr, action="member.added", actor=cast.owner, actor_role="country_admin")
    client.force_login(cast.auditor)
    url = BASE.format(code="FR")
    assert sequences(client.get(url, {"actor_role": "system"})) == [2, 1]
    assert sequences(client.get(url, {"actor_role": ""})) == [2, 1]
    assert sequences(client.get(url, {"actor_role": "country_admin"})) == [4]


@pytest.mark.parametrize(
    "params, field",
    [
        ({"since": "yesterday"}, "since"),
        ({"sequence_from": "x"}, "sequence_from"),
        ({"sequence_from": 5, "sequence_to": 2}, "sequence_to"),
        ({"action": "DROP TABLE"}, "action"),
        ({"colour": "blue"}, None),
    ],
)
def test_bad_filters_are_400_with_a_reason(client, cast, chain, params, field):
    client.force_login(cast.auditor)
    response = client.get(BASE.format(code="FR"), params)
    assert response.status_code == 400
    body = response.json()
    assert body["detail"]
    if field:
        assert field in json.dumps(body)


def test_event_list_keeps_its_query_count(client, cast, chain, django_assert_max_num_queries):
    from django.test.utils import CaptureQueriesContext

    client.force_login(cast.auditor)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(BASE.format(code="FR"), {"action": "member."}).status_code == 200
        return len(queries)

    count()  # the first request fills the access cache
    small = count()
    for n in range(30):
        event_record(country=cast.fr, action="member.invited", payload={"n": n})
    assert count() == small


def test_checkpoints_are_listed_with_their_signature(client, cast, chain):
    client.force_login(cast.partner)
    results = client.get(BASE.format(code="FR") + "checkpoints/").json()["results"]
    assert [c["sequence"] for c in results] == [7]
    assert len(results[0]["signature"]) > 60 and len(results[0]["head_hash"]) == 64


@pytest.mark.parametrize(
    "who, status",
    [("auditor", 200), ("partner", 200), ("owner", 200), ("member", 403), ("viewer", 403), ("outsider", 404)],
)
def test_verification_by_role(client, cast, chain, who, status):
    client.force_login(getattr(cast, who))
    response = client.post(BASE.format(code="FR") + "verify/")
    assert response.status_code == status
    with country_context(cast.fr):
        recorded = CountryEvent.objects.filter(action="ledger.verified_by_auditor").count()
    if status == 200:
        assert response.json() == {"chain": "FR", "events": 7, "checkpoints": 1, "ok": True, "problems": []}
        assert recorded == 1
    else:
        assert recorded == 0


def test_export_verifies_offline_and_is_recorded(client, cast, chain, tmp_path):
    client.force_login(cast.auditor)
    response = client.get(BASE.format(code="FR") + "export/", {"first": 2, "last": 5})
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert "fr-ledger-2-5.zip" in response["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    archive.extractall(tmp_path)
    events = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]
    assert [e["sequence"] for e in events] == [2, 3, 4, 5]
    result = subprocess.run(
        [sys.executable, "-I", "-S", str(tmp_path / "verify_ledger.py"), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout
    with country_context(cast.fr):
        exported = CountryEvent.objects.get(action="ledger.exported")
    assert (
        exported.payload == {"first": 2, "last": 5, "events": 4, "via": "api"} and exported.actor_id == cast.auditor.pk
    )


@pytest.mark.parametrize("params", [{"last": 99}, {"first": 0}, {"first": "a"}, {"first": 5, "last": 2}])
def test_export_bad_range_is_400(client, cast, chain, params):
    client.force_login(cast.auditor)
    response = client.get(BASE.format(code="FR") + "export/", params)
    assert response.status_code == 400 and response.json()["detail"]
    with country_context(cast.fr):
        assert not CountryEvent.objects.filter(action="ledger.exported").exists()


@pytest.mark.parametrize("who", ["owner", "member", "viewer"])
def test_export_is_for_those_the_export_page_allows(client, cast, chain, who):
    """Finding 4 of issue 12: the export API answered 200 with the zip to viewers and officers
    while the page answered them 404. Now both answer 404 to the country's own members, and
    nothing goes on the record."""
    client.force_login(getattr(cast, who))
    api = client.get(BASE.format(code="FR") + "export/")
    page = client.post("/audit/fr/export/")
    assert (api.status_code, page.status_code) == (404, 404)
    assert "Content-Disposition" not in api
    with country_context(cast.fr):
        assert not CountryEvent.objects.filter(action="ledger.exported").exists()


@pytest.mark.parametrize("who", ["auditor", "partner"])
def test_export_answers_the_auditor_and_the_partner_manager(client, cast, chain, who):
    client.force_login(getattr(cast, who))
    response = client.get(BASE.format(code="FR") + "export/")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
