"""Every kind of event the code records, on a country's chain or on the platform chain, reads in
words on the pages that show it (a country's activity and audit pages, the platform chain's page and
its admin): a label, a detail put in words by the app that records it (never the payload as keys and
values), and a target named as a person reads it (never "governance.policyversion record 6").

The kinds are read from the source, as tests/tenants/test_action_labels.py reads them: each call of
`event_record` or `platform_event_record` (or of a helper that passes its action on, in its own
module or another: `platform_change_record`), the actions it names literally or through a variable
set in the same function, and the families it names with an f-string (every labelled action of the
family). Each call's payload, when written as a literal, is given to the detail with values of the
same shape."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.utils import translation

from tenants.isolation import country_context
from tenants.record.events import ACTION_LABELS, DETAILS, describe_events
from tenants.record.models import CountryEvent
from tests.training.conftest import catalogue  # noqa: F401 - the fixture: the published catalogue

ROOT = Path(__file__).resolve().parent.parent.parent
APPS = ("tenants", "governance", "engagements", "deployments", "training", "portal", "gateway")
ACTION = re.compile(r"^[a-z_]+\.[a-z_]+$")


def _strings(node) -> list[str]:
    """The actions an expression can be: a literal, either branch of `a if c else b`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _strings(node.body) + _strings(node.orelse)
    return []


def _family(node) -> str | None:
    """The family of an f-string action (f"deployment.{action}" is "deployment")."""
    if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
        return str(node.values[0].value).split(".", 1)[0]
    return None


def _payload_keys(node) -> set[str] | None:
    if isinstance(node, ast.Dict):
        return {k.value for k in node.keys if isinstance(k, ast.Constant)}
    return None


RECORDERS = frozenset({"event_record", "platform_event_record"})


def _call_name(call) -> str | None:
    return getattr(call.func, "id", None) or getattr(call.func, "attr", None)


def _helpers(sources: list[str]) -> set[str]:
    """Functions that pass their own `action` on to a recorder (keyword `action=action`): the
    actions are the ones their callers give, in whichever module they call from."""
    found = set()
    for source in sources:
        for function in (n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.FunctionDef)):
            if "action" not in [a.arg for a in function.args.args + function.args.kwonlyargs]:
                continue
            for call in (n for n in ast.walk(function) if isinstance(n, ast.Call)):
                given = [k.value for k in call.keywords if k.arg == "action"]
                if _call_name(call) in RECORDERS and any(getattr(v, "id", None) == "action" for v in given):
                    found.add(function.name)
    return found


def _scan(source: str, where: str, found: dict, families: set, recorders=RECORDERS):
    tree = ast.parse(source)
    parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}
    functions = {n.name: n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}

    def enclosing(node):
        while node in parents:
            node = parents[node]
            if isinstance(node, ast.FunctionDef):
                return node
        return None

    for call in [n for n in ast.walk(tree) if isinstance(n, ast.Call)]:
        if _call_name(call) not in recorders:
            continue
        keywords = {k.arg: k.value for k in call.keywords}
        action, payload = keywords.get("action"), keywords.get("payload")
        keys = _payload_keys(payload) if payload is not None else set()
        names = _strings(action)
        if _family(action):
            families.add(_family(action))
        function = enclosing(call)
        if isinstance(action, ast.Name) and function is not None:
            for node in ast.walk(function):  # action = "…" / event = f"…" in the same function
                if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == action.id for t in node.targets):
                    names += _strings(node.value)
                    if _family(node.value):
                        families.add(_family(node.value))
            parameters = [a.arg for a in function.args.args]
            if action.id in parameters:  # a helper passing its action on: the actions its callers give
                position = parameters.index(action.id)
                for other in ast.walk(tree):
                    if isinstance(other, ast.Call) and getattr(other.func, "id", None) == function.name:
                        given = [k.value for k in other.keywords if k.arg == action.id]
                        given += other.args[position : position + 1]
                        for value in given:
                            names += _strings(value)
            if payload is not None and isinstance(payload, ast.Name) and function.name in functions:
                keys = None
        for name in names:
            if ACTION.match(name):
                found.setdefault(name, (where, keys))


def recorded() -> dict[str, tuple[str, set[str] | None]]:
    found: dict[str, tuple[str, set[str] | None]] = {}
    families: set[str] = set()
    paths = [path for app in APPS for path in (ROOT / app).rglob("*.py") if "migrations" not in path.parts]
    sources = {path: path.read_text() for path in paths}
    recorders = RECORDERS | _helpers(list(sources.values()))
    for path, source in sources.items():
        _scan(source, str(path.relative_to(ROOT)), found, families, recorders)
    for action in ACTION_LABELS:  # a family's every labelled action
        if action.split(".", 1)[0] in families:
            found.setdefault(action, ("(family)", None))
    return found


SHAPES = {
    bool: ("ok", "passed", "late", "enabled", "jit", "for_exit", "read_only", "with_key", "account_closed", "overdue"),
    list: ("keys", "fields", "roles", "attachments", "attachments_hmac", "broken", "added", "removed", "ids"),
    str: (
        "sha256",
        "export_sha256",
        "from",
        "to",
        "role",
        "kind",
        "side",
        "severity",
        "category",
        "status",
        "model",
        "source",
        "key_id",
        "previous_key_id",
        "master_key_id",
        "template",
        "requirement",
        "region",
        "sector",
        "capability",
        "step",
        "error",
        "review_by",
        "until",
        "hour",
        "before",
        "pseudonym",
        "slug",
        "state",
        "subject",
        "first",
        "last",
        "level",
        "amendment",
    ),
}


def _sample(key: str):
    for kind, keys in SHAPES.items():
        if key in keys:
            return {bool: True, list: ["a", "b"], str: "x"}[kind]
    return 7


def test_the_scan_sees_each_way_of_recording():
    found: dict = {}
    families: set = set()
    _scan(
        """
def helper(country, action, by):
    event_record(country=country, action=action, actor=by, payload={"n": 1})
def caller():
    helper(country, "register.published", by)
def other(share):
    event_record(country=c, action="policy.shared" if share else "policy.unshared", payload=payload)
    action = "identity_provider.created" if x else "identity_provider.changed"
    event_record(country=c, action=action)
    event_record(country=c, action=f"deployment.{name}")
""",
        "x.py",
        found,
        families,
    )
    assert set(found) == {
        "register.published",
        "policy.shared",
        "policy.unshared",
        "identity_provider.created",
        "identity_provider.changed",
    }
    assert families == {"deployment"} and found["register.published"][1] == {"n"}


def test_the_scan_sees_the_platform_chain_and_helpers_in_other_modules():
    helper = """
def platform_change_record(*, action, by, target, changes):
    if changes:
        platform_event_record(action=action, actor=by, target=target, payload=changes)
"""
    caller = """
def save_model(change):
    platform_change_record(action="country.changed" if change else "country.created", by=u, target=o, changes={})
    ledger.platform_event_record(action="auth.signed_in", payload={"via": "browser"})
"""
    found: dict = {}
    families: set = set()
    recorders = RECORDERS | _helpers([helper, caller])
    assert recorders == RECORDERS | {"platform_change_record"}
    _scan(caller, "x.py", found, families, recorders)
    assert set(found) == {"country.changed", "country.created", "auth.signed_in"}
    assert found["auth.signed_in"][1] == {"via"}


def test_every_platform_action_is_found():
    """The platform chain's kinds are among those held to a label and a detail (above)."""
    found = recorded()
    platform = {"auth.signed_in", "auth.locked_out", "framework.imported", "ledger.verified", "country.changed"}
    platform |= {"platform_settings.changed", "account.flags_changed", "ledger.signing_key_rotated"}
    assert platform <= set(found), platform - set(found)


def test_every_recorded_action_has_a_label_and_a_detail_in_words():
    found = recorded()
    assert len(found) > 100
    problems = []
    with translation.override("fr"):
        for action, (where, keys) in sorted(found.items()):
            if action not in ACTION_LABELS:
                problems.append(f"{action} ({where}): no label")
            describe = DETAILS.get(action.split(".", 1)[0])
            if describe is None:
                problems.append(f"{action} ({where}): no detail registered for its family")
                continue
            payload = {key: _sample(key) for key in keys or ()} if keys is not None else {}
            payload.pop("reason", None)  # the reason is shown as its own text, never among the details
            text = describe(action, payload)
            if not isinstance(text, str):
                problems.append(f"{action} ({where}): the detail is {type(text).__name__}, not text")
            elif re.search(r"[{}\[\]]|%\(|\b[a-z]+_[a-z_]+\b", text):
                problems.append(f"{action} ({where}): the detail reads like data: {text!r}")
    assert not problems, "Describe these (each app's events.py, through events_register):\n" + "\n".join(problems)


@pytest.mark.django_db
def test_every_target_is_named_in_words_never_by_its_table(cast):
    """Any row of the portal's own tables an event may name: a registered name (here, a row that no
    longer exists), else the kind of thing in the reader's language."""
    models = [m for m in apps.get_models() if m._meta.app_label in APPS]
    events = [
        CountryEvent(sequence=n, action="organisation.created", target_type=m._meta.label_lower, target_id="987654")
        for n, m in enumerate(models)
    ]
    with translation.override("fr"), country_context(cast.fr):
        described = describe_events(events, cast.fr)
    raw = [
        f"{e.target_type}: {e.target_label!r}"
        for e in described
        if not e.target_label or e.target_type in e.target_label or e.target_type.split(".")[1] in e.target_label
    ]
    assert not raw, "\n".join(raw)


@pytest.mark.django_db
def test_the_activity_page_names_governance_training_and_engagement_events(client, cast, catalogue):  # noqa: F811
    from tenants.languages.models import Preferences
    from tests.engagements.test_services import engagement_in
    from tests.governance.helpers import completed_assessment, published_policy
    from tests.training.conftest import complete, enrol

    policy, version = published_policy(cast)
    assessment = completed_assessment(cast)
    engagement_in(cast, "submitted")
    complete(enrol(cast.fr, cast.owner, catalogue["ai-literacy"]), cast.owner)
    Preferences.objects.filter(user=cast.owner).update(language="fr")
    client.force_login(cast.owner)
    html = client.get("/c/fr/activity/").content.decode()
    assert (
        f"{policy.title}, version {version.number}" in html and f'href="/c/fr/governance/policies/{policy.pk}/"' in html
    )
    assert assessment.title in html and "Niveau d’impact" in html
    assert "Engagement de " in html and "Culture de l’IA pour les agents publics" in html
    assert "record" not in html.lower().replace("enregistr", "") and "policyversion" not in html
    assert not re.search(r"\b[a-z]+_[a-z]+: ", html)  # no payload written as keys and values
