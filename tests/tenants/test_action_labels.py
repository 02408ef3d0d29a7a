"""Every action the code records has a label in words: read from the source (each call that
records an event with a literal action), so that a new kind of event cannot reach the activity
and audit pages as its code ("Recorded action report.downloaded"). The actors that are not a
person's role in a country (the portal itself, the platform) have a label too."""

from __future__ import annotations

import ast
from pathlib import Path

from tenants.pages import ROLE_LABELS
from tenants.record.events import ACTION_LABELS

ROOT = Path(__file__).resolve().parent.parent.parent
APPS = ("tenants", "governance", "engagements", "deployments", "training", "portal", "gateway")
RECORDERS = {"event_record", "platform_event_record"}


def recorded_actions(source: str) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name in RECORDERS:
                for keyword in node.keywords:
                    if keyword.arg in ("action", "actor_role") and isinstance(keyword.value, ast.Constant):
                        found.add((keyword.arg, keyword.value.value))
    return found


def test_every_recorded_action_and_actor_has_a_label(db):
    found: dict[tuple[str, str], str] = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" not in path.parts:
                for item in recorded_actions(path.read_text()):
                    found.setdefault(item, str(path.relative_to(ROOT)))
    actions = {value for kind, value in found if kind == "action"}
    assert len(actions) > 90
    unlabelled = sorted(
        f"{value} ({found[(kind, value)]})"
        for kind, value in found
        if (kind == "action" and value not in ACTION_LABELS) or (kind == "actor_role" and value not in ROLE_LABELS)
    )
    assert not unlabelled, "Give these a label (tenants/record/events.py, tenants/pages.py):\n" + "\n".join(unlabelled)


def test_the_scan_sees_each_way_of_recording():
    source = """
event_record(country=c, action="report.downloaded", actor_role="system")
ledger.platform_event_record(action="auth.signed_in")
event_record(country=c, action=f"engagement.{name}")
"""
    assert recorded_actions(source) == {
        ("action", "report.downloaded"),
        ("actor_role", "system"),
        ("action", "auth.signed_in"),
    }
