"""The colour of every status tag, in one place: a state's meaning decides its GOV.UK tag modifier,
whichever app the state belongs to.

    green   done, approved, active, in force
    yellow  waiting for someone (submitted, in review, invited, pending)
    orange  needs attention (changes requested, suspended, due soon, open incident)
    red     rejected, failed, overdue, broken
    grey    draft, closed, withdrawn, expired, not started
    blue    under way by itself (running, provisioning, onboarding)

Templates use the `tag_colour` filter (tenants/templatetags/status.py); Python code that hands a
modifier to a template calls `tag_class`. A value can be qualified by its kind
(`tag_class("open", kind="incident")`) where the same word means different things."""

from __future__ import annotations

GREEN = "govuk-tag--green"
YELLOW = "govuk-tag--yellow"
ORANGE = "govuk-tag--orange"
RED = "govuk-tag--red"
GREY = "govuk-tag--grey"
BLUE = "govuk-tag--blue"

TAG_COLOURS: dict[str, str] = {
    # done, approved, active
    "active": GREEN,
    "approved": GREEN,
    "done": GREEN,
    "completed": GREEN,
    "published": GREEN,
    "valid": GREEN,
    "compliant": GREEN,
    "adopted": GREEN,
    "in_force": GREEN,
    "intact": GREEN,
    "allowed": GREEN,
    "passed": GREEN,
    "on_time": GREEN,
    "resolved": GREEN,
    # waiting for someone
    "submitted": YELLOW,
    "in_review": YELLOW,
    "invited": YELLOW,
    "pending": YELLOW,
    "requested": YELLOW,
    "prospective": YELLOW,
    "in_progress": YELLOW,
    "confirmed": YELLOW,
    # needs attention
    "changes_requested": ORANGE,
    "suspended": ORANGE,
    "partial": ORANGE,
    "due_soon": ORANGE,
    "investigating": ORANGE,
    "open": ORANGE,
    "exiting": ORANGE,
    "not_set_up": ORANGE,
    "to_do": ORANGE,
    # rejected, failed, overdue
    "rejected": RED,
    "failed": RED,
    "overdue": RED,
    "non_compliant": RED,
    "broken": RED,
    "missing": RED,
    "stopped": RED,
    "needed": RED,
    "expired_certificate": RED,
    # draft, closed, finished
    "draft": GREY,
    "closed": GREY,
    "withdrawn": GREY,
    "expired": GREY,
    "cancelled": GREY,
    "exited": GREY,
    "decommissioned": GREY,
    "retired": GREY,
    "destroyed": GREY,
    "superseded": GREY,
    "not_started": GREY,
    "not_assessed": GREY,
    "not_applicable": GREY,
    # under way by itself
    "running": BLUE,
    "provisioning": BLUE,
    "onboarding": BLUE,
    "new": BLUE,
}

# Where a kind of thing gives a word another meaning than the table above.
KIND_COLOURS: dict[str, str] = {
    "incident:open": ORANGE,
    "incident:closed": GREY,
    "country:active": GREEN,
    "diff:added": GREEN,
    "diff:removed": RED,
    "diff:changed": YELLOW,
}


def tag_class(state: str | None, *, kind: str = "") -> str:
    """The GOV.UK tag modifier for `state` (grey when the state is unknown, never the default blue,
    which would say nothing)."""
    value = str(state or "")
    if kind and f"{kind}:{value}" in KIND_COLOURS:
        return KIND_COLOURS[f"{kind}:{value}"]
    return TAG_COLOURS.get(value, GREY)
