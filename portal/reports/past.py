"""The state a compliance pack reports for a period that may be past: what held at the period's
end, rebuilt from the record (each deployment decision's event, with its state and, since they
carry them, its conditions) and from the versioned rows (engagement transitions and terms, policy
versions and acknowledgements, the dates of assessments and incidents). What cannot be rebuilt
(today's members, a control's status, an environment's state) is labelled as of the report's
generation, never passed off as the period's."""

from __future__ import annotations

import datetime as dt

from engagements.models import EngagementTerms, EngagementTransition
from tenants.ids import parse_id
from tenants.models import Country
from tenants.record.models import CountryEvent

AT_PERIOD_END = "period_end"
AT_GENERATION = "generation"


def engagement_states_at(country: Country, end: dt.datetime) -> dict[int, dict]:
    """Engagement id → its state, amendment, approved terms (id) and last change at `end`, from its
    transitions before then (one query for the transitions, one for the terms' ids)."""
    states: dict[int, dict] = {}
    transitions = (
        EngagementTransition.objects.filter(country_id=country.pk, at__lt=end)
        .order_by("at", "pk")
        .values_list("engagement_id", "action", "from_state", "to_state", "amendment", "terms_version", "at")
    )
    for engagement_id, action, from_state, to_state, amendment, version, at in transitions:
        state = states.setdefault(
            engagement_id, {"state": "", "amendment": "", "approved_version": None, "updated_at": None}
        )
        state["amendment" if amendment else "state"] = to_state
        if action == "approve" and to_state != from_state:  # not the first of two approvals
            state["approved_version"] = version
        if action == "submit" and not amendment:
            state["submitted_at"] = at
        state["updated_at"] = at
    terms = {
        (e, v): pk
        for e, v, pk in EngagementTerms.objects.filter(country_id=country.pk).values_list(
            "engagement_id", "version", "id"
        )
    }
    for engagement_id, state in states.items():
        state["approved_terms_id"] = terms.get((engagement_id, state["approved_version"]))
    return states


def deployment_states_at(country: Country, end: dt.datetime) -> dict[int, dict]:
    """Deployment request id → {"state", "conditions"} at `end`, from the chain: every move of a
    request is an event naming the state it went to, and an approval's event its conditions (the
    events recorded before approvals carried them have none: `conditions` None)."""
    states: dict[int, dict] = {}
    events = (
        CountryEvent.objects.filter(
            country_id=country.pk,
            sequence__isnull=False,
            at__lt=end,
            target_type="deployments.deploymentrequest",
            action__startswith="deployment.",
        )
        .order_by("sequence")
        .values_list("target_id", "action", "payload")
    )
    for target_id, action, payload in events:
        request_id = parse_id(target_id)
        if request_id is None or not isinstance(payload, dict):
            continue
        state = states.setdefault(request_id, {"state": "draft", "conditions": None})
        if isinstance(payload.get("to"), str):
            state["state"] = payload["to"]
        if action == "deployment.approve" and isinstance(payload.get("conditions"), dict):
            state["conditions"] = payload["conditions"]
    return states


def before(moment: dt.datetime | None, end: dt.datetime) -> dt.datetime | None:
    """`moment` if it came before `end`, else None (it had not happened yet)."""
    return moment if moment is not None and moment < end else None
