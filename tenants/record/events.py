"""The record as people read it: labels, targets and details of events, and keyset pages of a chain."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import CharField, QuerySet, Value
from django.utils.text import capfirst
from django.utils.translation import gettext, gettext_lazy

from tenants import selectors
from tenants.access import Access
from tenants.ids import parse_id
from tenants.isolation import reading_context
from tenants.keys.fields import Sealed
from tenants.models import Country, Organisation
from tenants.pages import ROLE_LABELS, country_url, may_open
from tenants.record.models import ActionReason, CountryEvent, PlatformEvent

ACTION_LABELS = {
    "organisation.created": gettext_lazy("Organisation added"),
    "member.invited": gettext_lazy("Person invited"),
    "member.added": gettext_lazy("Person added"),
    "member.joined": gettext_lazy("Invitation accepted"),
    "member.reinvited": gettext_lazy("Expired invitation sent again"),
    "member.role_changed": gettext_lazy("Role changed"),
    "member.removed": gettext_lazy("Person removed"),
    "assessment.started": gettext_lazy("Assessment started"),
    "assessment.completed": gettext_lazy("Assessment completed"),
    "control.status_set": gettext_lazy("Control status set"),
    "control.evidence_added": gettext_lazy("Evidence added"),
    "credential.issued": gettext_lazy("Credential issued"),
    "credential.rotated": gettext_lazy("Credential renewed"),
    "credential.revealed": gettext_lazy("Credential shown"),
    "deployment.drafted": gettext_lazy("Deployment request drafted"),
    "deployment.updated": gettext_lazy("Deployment request changed"),
    "deployment.submit": gettext_lazy("Deployment request submitted"),
    "deployment.start_review": gettext_lazy("Deployment review started"),
    "deployment.approve": gettext_lazy("Deployment approved"),
    "deployment.reject": gettext_lazy("Deployment rejected"),
    "deployment.request_changes": gettext_lazy("Changes requested to a deployment"),
    "deployment.provisioning_start": gettext_lazy("Provisioning started"),
    "deployment.provisioning_done": gettext_lazy("Deployment active"),
    "deployment.provisioning_failed": gettext_lazy("Provisioning failed"),
    "deployment.suspend": gettext_lazy("Deployment suspended"),
    "deployment.reinstate": gettext_lazy("Deployment reinstated"),
    "deployment.decommission": gettext_lazy("Deployment decommissioned"),
    "engagement.created": gettext_lazy("Engagement created"),
    "engagement.terms_versioned": gettext_lazy("Terms of the engagement changed"),
    "engagement.submitted": gettext_lazy("Engagement submitted"),
    "engagement.review_started": gettext_lazy("Engagement review started"),
    "engagement.approved": gettext_lazy("Engagement approved"),
    "engagement.rejected": gettext_lazy("Engagement rejected"),
    "engagement.changes_requested": gettext_lazy("Changes requested to the engagement"),
    "engagement.suspended": gettext_lazy("Engagement suspended"),
    "engagement.reinstated": gettext_lazy("Engagement reinstated"),
    "engagement.closed": gettext_lazy("Engagement closed"),
    "engagement.activated": gettext_lazy("Engagement in force"),
    "incident.reported": gettext_lazy("Incident reported"),
    "incident.status_changed": gettext_lazy("Incident status changed"),
    "incident.reported_to_programme": gettext_lazy("Incident reported to the programme"),
    "policy.adopted": gettext_lazy("Policy adopted"),
    "policy.version_drafted": gettext_lazy("Policy version drafted"),
    "policy.version_published": gettext_lazy("Policy version published"),
    "policy.acknowledged": gettext_lazy("Policy acknowledged"),
    "policy.shared": gettext_lazy("Policy shared"),
    "register.drafted": gettext_lazy("Register entry drafted"),
    "register.draft_saved": gettext_lazy("Register draft saved"),
    "register.published": gettext_lazy("Register entry published"),
    "register.withdrawn": gettext_lazy("Register entry withdrawn"),
    "training.enrolled": gettext_lazy("Enrolled in training"),
    "training.quiz_attempted": gettext_lazy("Quiz attempted"),
    "training.completed": gettext_lazy("Training completed"),
    "training.certificate_issued": gettext_lazy("Certificate issued"),
    "training.programme_created": gettext_lazy("Programme written"),
    "training.programme_adopted": gettext_lazy("Programme adopted"),
    "training.requirement_added": gettext_lazy("Training requirement added"),
    "ledger.verified": gettext_lazy("Chain verified"),
    "ledger.exported": gettext_lazy("Ledger exported"),
    "key.rotated": gettext_lazy("Key rotated"),
    "export.requested": gettext_lazy("Export requested"),
    "export.completed": gettext_lazy("Export ready"),
    "report.requested": gettext_lazy("Report requested"),
    "report.completed": gettext_lazy("Report ready"),
    "report.downloaded": gettext_lazy("Report downloaded"),
    "report.expired": gettext_lazy("Report deleted at the end of its keeping period"),
    "report.exported": gettext_lazy("Report written by the platform team's command"),
    "report.subscribed": gettext_lazy("Monthly report subscribed to"),
    "report.unsubscribed": gettext_lazy("Monthly report subscription ended"),
    "assessment.reviewed": gettext_lazy("Assessment reviewed"),
    "assessment.review_reminder_sent": gettext_lazy("Reminder sent: an assessment is due for review"),
    "incident.reminder_sent": gettext_lazy("Reminder sent: an incident report is due"),
    "policy.reminders_sent": gettext_lazy("Reminders sent: policies to acknowledge"),
    "training.reminders_sent": gettext_lazy("Reminders sent: training due"),
    "training.role_enrolled": gettext_lazy("People enrolled by their role"),
    "training.roster_imported": gettext_lazy("Training roster imported"),
    "training.requirement_removed": gettext_lazy("Training requirement removed"),
    "training.programme_versioned": gettext_lazy("New version of a shared programme"),
    "training.programme_shared": gettext_lazy("Programme shared with other countries"),
    "training.programme_unshared": gettext_lazy("Programme no longer shared"),
    "member.erasure_requested": gettext_lazy("Erasure of a person requested"),
    "member.erasure_cancelled": gettext_lazy("Erasure of a person cancelled"),
    "member.erased": gettext_lazy("Person erased"),
    "member.joined_by_sso": gettext_lazy("Person joined through the country's sign-in service"),
    "member.account_deleted": gettext_lazy("Account deleted by the platform team"),
    "subject_access.requested": gettext_lazy("Copy of a person's data requested"),
    "subject_access.completed": gettext_lazy("Copy of a person's data ready"),
    "subject_access.downloaded": gettext_lazy("Copy of a person's data downloaded"),
    "subject_access.expired": gettext_lazy("Copy of a person's data deleted at the end of its keeping period"),
    "export.downloaded": gettext_lazy("Export downloaded"),
    "export.expired": gettext_lazy("Export deleted at the end of its keeping period"),
    "files.resealed": gettext_lazy("Stored files sealed under the new key"),
    "key.rewrapped": gettext_lazy("Data keys sealed under the new key"),
    "key.rotation_completed": gettext_lazy("Key rotation completed"),
    "key.destroyed": gettext_lazy("Key destroyed"),
    "key.plain_values_sealed": gettext_lazy("Texts written during an upgrade sealed"),
    "exit.requested": gettext_lazy("Exit from the programme requested"),
    "exit.confirmed": gettext_lazy("Exit from the programme confirmed"),
    "exit.cancelled": gettext_lazy("Exit from the programme cancelled"),
    "exit.started": gettext_lazy("Exit from the programme started"),
    "exit.export_verified": gettext_lazy("Last export verified"),
    "exit.failed": gettext_lazy("Exit stopped"),
    "country.exited": gettext_lazy("Left the programme"),
    "country.second_factor_changed": gettext_lazy("Second-factor rule changed"),
    "identity_provider.removed": gettext_lazy("Sign-in service removed"),
    "ledger.verified_by_auditor": gettext_lazy("Record verified"),
    "gateway.upstream_set": gettext_lazy("Model server set"),
    "gateway.upstream_removed": gettext_lazy("Model server removed"),
    "gateway.captures_deleted": gettext_lazy("Captured calls deleted at the end of their keeping period"),
    "deployment.seeded": gettext_lazy("Deployment added by the demo"),
    # The platform's own chain.
    "auth.signed_in": gettext_lazy("Signed in"),
    "auth.locked_out": gettext_lazy("Sign-in locked after failed attempts"),
    "auth.api_token_issued": gettext_lazy("API token issued"),
    "auth.api_tokens_revoked": gettext_lazy("API tokens revoked"),
    "auth.personal_token_created": gettext_lazy("Personal access token created"),
    "auth.personal_token_revoked": gettext_lazy("Personal access token revoked"),
    "auth.credentials_revoked": gettext_lazy("Sessions and tokens revoked"),
    "auth.second_factor_reset": gettext_lazy("Second factor reset"),
    "framework.imported": gettext_lazy("Framework imported"),
    "ledger.alerts_resolved": gettext_lazy("Record alerts resolved"),
    "ledger.signing_key_rotated": gettext_lazy("Record signing key rotated"),
    "key.sealing_windows_closed": gettext_lazy("Upgrade finished: newly sealed columns refuse plain text"),
}


# The families of actions ("member" of "member.invited") as the record's filter groups them.
ACTION_FAMILIES = {
    "account": gettext_lazy("Accounts"),
    "assessment": gettext_lazy("Assessments"),
    "assignment": gettext_lazy("Assignments"),
    "auth": gettext_lazy("Signing in"),
    "control": gettext_lazy("Controls"),
    "conversation": gettext_lazy("Conversations"),
    "country": gettext_lazy("Country"),
    "credential": gettext_lazy("Credentials"),
    "deployment": gettext_lazy("Deployments"),
    "engagement": gettext_lazy("Engagements"),
    "environment": gettext_lazy("Environments"),
    "exit": gettext_lazy("Leaving the programme"),
    "export": gettext_lazy("Data exports"),
    "files": gettext_lazy("Files"),
    "framework": gettext_lazy("Frameworks"),
    "gateway": gettext_lazy("Gateway"),
    "identity_provider": gettext_lazy("Identity providers"),
    "incident": gettext_lazy("Incidents"),
    "key": gettext_lazy("Data keys"),
    "ledger": gettext_lazy("Record"),
    "member": gettext_lazy("People"),
    "organisation": gettext_lazy("Organisations"),
    "platform_settings": gettext_lazy("Platform settings"),
    "policy": gettext_lazy("Policies"),
    "register": gettext_lazy("Register"),
    "report": gettext_lazy("Reports"),
    "subject_access": gettext_lazy("Subject access requests"),
    "training": gettext_lazy("Training"),
}


def family_label(family: str) -> str:
    """A family of actions in the reader's words; one no module names reads as its code inside a
    sentence of the reader's language."""
    label = ACTION_FAMILIES.get(family)
    return str(label) if label is not None else gettext("Other actions ({code})").format(code=family)


EVENTS_PER_PAGE = 50

# What the apps above the foundation add, from their ready(): labels of their actions, how to name
# their targets and how to put a payload in words ({action prefix: detail(action, payload) -> str}).
# A target type is named by `Target(names, link)`: `names(country, ids)` gives the queryset of
# (pk, name) rows of those ids, and `link(country, pk)` the page of one. The names of every kind on a
# page are read together, in one query (a UNION of those querysets), whatever the mix of kinds.
TARGETS: dict = {}
DETAILS: dict = {}


@dataclass(frozen=True)
class Target:
    """How the record names one kind of target: `names` the (pk, name) rows of the ids asked, as a
    query (every kind's are read together in one); `link` the page of one. `shown`, when given,
    turns a row's name into the (label, link) shown instead (a name read as data, such as the
    subject a message is on). `opens`, when given, says whether a reader may open the page of
    one (access, country, the row's name) beyond the page's own gate (tenants.pages.may_open):
    officers open only their own enrolments."""

    names: Callable[[Country, set[int]], QuerySet]
    link: Callable[[Country, int], str]
    shown: Callable[[Country, int, str], tuple[str, str]] | None = None
    opens: Callable[[Access, Country, str], bool] | None = None


def events_register(*, labels: dict[str, str], targets: dict | None = None, details: dict | None = None) -> None:
    ACTION_LABELS.update(labels)
    TARGETS.update(targets or {})
    DETAILS.update(details or {})


def _organisation_names(country: Country, ids: set[int]) -> QuerySet:
    return Organisation.objects.filter(country=country, pk__in=ids).values_list("pk", "name")


TARGETS["tenants.organisation"] = Target(
    _organisation_names, lambda country, pk: country_url("organisation", country, pk=pk)
)


REASONS = "tenants.actionreason"


def _registered_targets(
    events: list[CountryEvent], country: Country, reason_ids: set[int], access: Access | None = None
) -> tuple[dict[tuple[str, int], tuple[str, str]], dict[int, str]]:
    """(type, id) -> (name, link) of the events' targets of registered types, and id -> text of
    the reasons they name (opened): one query. Only this country's reasons are read, whatever a
    payload says. The link is kept only when `access` may open its page ("" otherwise)."""
    wanted: dict[str, set[int]] = {}
    for event in events:
        target_id = parse_id(event.target_id)
        if event.target_type in TARGETS and target_id is not None:
            wanted.setdefault(event.target_type, set()).add(target_id)
    if not wanted and not reason_ids:
        return {}, {}
    with reading_context(country):
        parts = []
        for target_type, ids in wanted.items():
            names = TARGETS[target_type].names(country, ids).order_by()
            tagged = names.annotate(target_type=Value(target_type, output_field=CharField()))
            # The row's own columns, then a name computed in SQL (an annotation) where it has one.
            columns = [*names.query.values_select, *names.query.annotation_select]
            parts.append(tagged.values_list("target_type", *columns))
        if reason_ids:  # last: the rows take the converters of the first part, so these come stored
            sealed = ActionReason.objects.filter(country=country, pk__in=reason_ids).order_by()
            # ActionReason has a target_type of its own: the kind goes by another name (a union
            # matches columns by position).
            tagged = sealed.annotate(kind=Value(REASONS, output_field=CharField()))
            parts.append(tagged.values_list("kind", "pk", "reason"))
        rows = list(parts[0].union(*parts[1:], all=True)) if len(parts) > 1 else list(parts[0])
    described, reasons = {}, {}
    for kind, pk, name in rows:
        if kind == REASONS:
            reasons[pk] = _reason_opened(country, pk, name)
            continue
        target = TARGETS[kind]
        label, link = target.shown(country, pk, name) if target.shown else (str(name), target.link(country, pk))
        if link and not _opens(access, country, link, target, str(name)):
            link = ""
        described[(kind, pk)] = (label, link)
    return described, reasons


def _opens(access: Access | None, country: Country, link: str, target: Target | None, name: str) -> bool:
    """Whether the reader would be let into the page a target links to: the checks its view makes."""
    if access is None or not may_open(access, country, link):
        return False
    return target is None or target.opens is None or target.opens(access, country, name)


def _reason_opened(country: Country, pk: int, stored: str) -> str:
    """A reason as read in the union above, opened as its row would open it (same key, same
    associated data); an unreadable one (the country's key destroyed) says so."""
    row = ActionReason(pk=pk, country_id=country.pk)
    row.__dict__["reason"] = Sealed(str(stored))
    return str(row.reason)


def _reason_id(event: CountryEvent) -> int | None:
    """The id of the sealed reason an event names (tenants.record.reasons), if it names one."""
    value = (event.payload or {}).get("reason")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def reasons_open(events: list[CountryEvent], country: Country) -> list[CountryEvent]:
    """Give each event the text of the reason it names (`event.reason`, opened; "" for none), in
    one query whatever the number of events: for the API, which shows the record as stored."""
    _targets, reasons = _registered_targets([], country, {rid for rid in map(_reason_id, events) if rid is not None})
    for event in events:
        reason_id = _reason_id(event)
        event.reason = reasons.get(reason_id, "") if reason_id is not None else ""
    return events


def _humanise_action(action: str) -> str:
    """The action in words; one no module has named yet is shown as its code inside a sentence of
    the reader's language, never as English made from the code."""
    label = ACTION_LABELS.get(action)
    return str(label) if label else gettext("Recorded action %(code)s") % {"code": action}


def _kind_named(target_type: str, target_id: str) -> str:
    """A target of a kind no app names: the kind in the reader's language (the model's own name),
    and its number; never the table's code."""
    from django.apps import apps

    try:
        kind = apps.get_model(target_type)._meta.verbose_name
    except (LookupError, ValueError):  # a kind this release does not know: its code, inside a sentence
        return gettext("%(kind)s record %(id)s") % {"kind": target_type, "id": target_id}
    return gettext("%(kind)s no. %(id)s") % {"kind": capfirst(str(kind)), "id": target_id}


def describe_events(events: list[CountryEvent], country: Country, access: Access | None = None) -> list[CountryEvent]:
    """Give each event a label, a readable target, a short detail and the reason given for it (if
    any, opened), with at most two queries whatever the number of events and kinds of target:
    the people named, and the names of every other kind of target together with the reasons.
    A target links to its page only when `access` (the reader) may open it; with no reader, never."""
    member_ids = {parse_id(e.target_id) for e in events if e.target_type == "tenants.membership"} - {None}
    members = {}
    if member_ids:
        members = {m.pk: m for m in selectors.membership_list(country=country).filter(pk__in=member_ids)}
    registered, reasons = _registered_targets(
        events, country, {rid for rid in map(_reason_id, events) if rid is not None}, access
    )
    for event in events:
        event.label = _humanise_action(event.action)
        reason_id = _reason_id(event)
        event.reason = reasons.get(reason_id, "") if reason_id is not None else ""
        role = ROLE_LABELS.get(event.actor_role)
        event.actor_role_label = (
            role if role or not event.actor_role else gettext("role %(code)s") % {"code": event.actor_role}
        )
        event.target_label, event.target_url = "", ""
        target_id = parse_id(event.target_id)
        if event.target_type == "tenants.membership" and target_id is not None:
            membership = members.get(target_id)
            if membership is not None:
                event.target_label = membership.display_name or membership.display_email
                link = country_url("member", country, pk=membership.pk)
                event.target_url = link if _opens(access, country, link, None, "") else ""
            else:
                event.target_label = gettext("Membership %(id)s (removed)") % {"id": event.target_id}
        elif event.target_type in TARGETS and target_id is not None:
            named = registered.get((event.target_type, target_id))
            gone = (
                gettext("Organisation %(id)s (no longer exists)") % {"id": event.target_id}
                if event.target_type == "tenants.organisation"
                else gettext("“%(id)s” (deleted)") % {"id": event.target_id}
            )
            event.target_label, event.target_url = named or (gone, "")
        elif event.target_type:
            event.target_label = _kind_named(event.target_type, event.target_id)
        # The reason's id is shown as its text (event.reason), not among the details.
        payload = {k: v for k, v in (event.payload or {}).items() if not (k == "reason" and reason_id is not None)}
        detail = DETAILS.get(event.action.split(".", 1)[0])
        # Each app puts its own payloads in words (tests/tenants/test_event_descriptions.py holds every
        # action the code records to it); a family nobody describes shows no detail, never keys and values.
        event.detail = detail(event.action, payload) if detail is not None else ""
    return events


def describe_platform_events(events: list[PlatformEvent]) -> list[PlatformEvent]:
    """Give each event of the platform chain a label, its actor's role and a detail in words, as
    describe_events does for a country's (no query: the platform chain names no reason, and its
    targets, accounts and countries, are shown by the events' own words)."""
    for event in events:
        event.label = _humanise_action(event.action)
        role = ROLE_LABELS.get(event.actor_role)
        event.actor_role_label = (
            role if role or not event.actor_role else gettext("role %(code)s") % {"code": event.actor_role}
        )
        event.target_label, event.target_url, event.reason = "", "", ""
        detail = DETAILS.get(event.action.split(".", 1)[0])
        event.detail = detail(event.action, event.payload or {}) if detail is not None else ""
    return events


def keyset_page(
    events: QuerySet[CountryEvent], *, before: int | None, after: int | None, size: int
) -> tuple[list[CountryEvent], bool, bool]:
    """One page of events, newest first, keyed on the sequence number: those just before `before`
    or just after `after` (else the newest). Returns the rows and whether there are newer and older
    ones. One query whatever the length of the chain: no COUNT(*) and no OFFSET."""
    if after is not None:
        rows = list(events.filter(sequence__gt=after).order_by("sequence")[: size + 1])
        return rows[:size][::-1], len(rows) > size, True
    if before is not None:
        events = events.filter(sequence__lt=before)
    rows = list(events.order_by("-sequence")[: size + 1])
    return rows[:size], before is not None, len(rows) > size
