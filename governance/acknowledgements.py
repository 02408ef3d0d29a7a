"""The acknowledgement rule, written once: every active member must hold a current (unexpired)
acknowledgement of the current version (the latest published) of each policy that applies to
their role, each person × version counted once; a country's policies step is done when at least
ACK_THRESHOLD of what is required is current.

The rule is a set of expressions the database computes (`acknowledgement_facts`), so that each
reader asks it in the query it already makes: the onboarding step with the other steps in one
query (governance/onboarding.py), the deployment gate for one organisation (selectors), the
governance page, and the dashboards for many countries at once (`country` an OuterRef to the
country's key). `acknowledgement_totals` adds the values up; `acknowledgements_enough` decides."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Exists, Expression, Max, OuterRef, Subquery
from django.utils import timezone

from tenants.models import Membership
from tenants.onboarding import CountOf

from .models import Acknowledgement, PolicyVersion

ACK_THRESHOLD = 0.8


def _current_versions(country) -> object:
    """The latest published version of each policy of `country` (a Country, its key or an OuterRef)."""
    latest = PolicyVersion.objects.filter(policy=OuterRef("policy"), status=PolicyVersion.Status.PUBLISHED).order_by(
        "-number"
    )
    return PolicyVersion.objects.filter(
        country=country, status=PolicyVersion.Status.PUBLISHED, pk=Subquery(latest.values("pk")[:1])
    )


def _role_listed(role: str) -> str:
    return f'"{role}"'  # versions list their roles as JSON: a role's key, quoted, is in the list


def acknowledgement_facts(country, *, organisation=None, now=None) -> dict[str, Expression]:
    """Role by role, the active members (of `organisation` when given), the current versions that
    apply to them, and the current acknowledgements they hold of those versions (person × version
    once). `country` is a Country, its key, or OuterRef("pk") inside a query over countries."""
    now = now or timezone.now()
    versions = _current_versions(country)
    latest_of_its_policy = (
        PolicyVersion.objects.filter(policy=OuterRef("version__policy"), status=PolicyVersion.Status.PUBLISHED)
        .order_by("-number")
        .values("pk")[:1]
    )
    people = {"organisation": organisation} if organisation is not None else {}
    facts: dict[str, Expression] = {}
    for role in Membership.Role.values:
        members = Membership.objects.filter(country=country, status=Membership.Status.ACTIVE, role=role, **people)
        holder = Membership.objects.filter(
            country=OuterRef("country"), user=OuterRef("user"), status=Membership.Status.ACTIVE, role=role, **people
        )
        facts[f"members_{role}"] = CountOf(members)
        facts[f"versions_{role}"] = CountOf(versions.filter(roles__icontains=_role_listed(role)))
        facts[f"current_{role}"] = CountOf(
            Acknowledgement.objects.filter(
                Exists(holder),
                country=country,
                expires_at__gt=now,
                version__roles__icontains=_role_listed(role),
                version=Subquery(latest_of_its_policy),
            ),
            fields=("user_id", "version_id"),
        )
    return facts


def acknowledgement_totals(values: dict) -> tuple[int, int]:
    """(required, current) from the values of `acknowledgement_facts`."""
    roles = Membership.Role.values
    required = sum((values[f"members_{role}"] or 0) * (values[f"versions_{role}"] or 0) for role in roles)
    current = sum(values[f"current_{role}"] or 0 for role in roles)
    return required, current


def acknowledgements_enough(required: int, current: int) -> bool:
    """Enough acknowledgements are current for the policies step: a programme cannot wait for the
    last person on leave, but must not start with most staff unaware of the rules."""
    return bool(required) and current / required >= ACK_THRESHOLD


def organisations_facts(country, organisations: list) -> dict[str, Expression]:
    """The acknowledgement rule for several organisations at once, as expressions one query holds
    (the deployment gate's policies): each organisation (a key, or an expression naming one; None
    leaves its place empty) as `org{i}_id`, `org{i}_name` and its acknowledgement_facts prefixed
    `org{i}_`. The versions each role must acknowledge are the same for every organisation: they are
    read once, in the first place's; organisation_values gives each place its full set of values."""
    from django.db.models import CharField, IntegerField, Value

    from tenants.models import Organisation

    facts: dict[str, Expression] = {}
    for i, organisation in enumerate(organisations):
        given = hasattr(organisation, "resolve_expression")
        facts[f"org{i}_id"] = organisation if given else Value(organisation, output_field=IntegerField())
        facts[f"org{i}_name"] = Subquery(
            Organisation.objects.filter(country=country, pk=organisation).values("name")[:1], output_field=CharField()
        )
        for name, expression in acknowledgement_facts(country, organisation=organisation).items():
            if i == 0 or not name.startswith("versions_"):
                facts[f"org{i}_{name}"] = expression
    return facts


def organisation_values(values: dict, i: int) -> dict:
    """Place `i`'s values of organisations_facts, named as acknowledgement_facts names them."""
    prefix = f"org{i}_"
    found = {name[len(prefix) :]: value for name, value in values.items() if name.startswith(prefix)}
    for name, value in values.items():
        if name.startswith("org0_versions_"):
            found.setdefault(name[len("org0_") :], value)
    return found


def published_fact(country) -> Expression:
    """Whether any policy of `country` has a published version, as an expression."""
    return Exists(_current_versions(country))


def still_to_acknowledge(country, *, limit: int = 50, now=None) -> tuple[list[Membership], int]:
    """The active members who lack a current acknowledgement of at least one current version that
    applies to their role (the people the deployment gate and the policies step wait for), by
    organisation and name: the first `limit` of them, each with `required` and `current` counted,
    and how many there are in all. Three queries, however many members and policies."""
    from django.db.models import Case, F, IntegerField, Value, When

    now = now or timezone.now()
    versions = list(_current_versions(country).values_list("pk", "roles"))
    by_role = {role: [pk for pk, roles in versions if role in (roles or [])] for role in Membership.Role.values}
    if not any(by_role.values()):
        return [], 0
    held = Acknowledgement.objects.filter(country=country, user=OuterRef("user"), expires_at__gt=now)
    waiting = (
        Membership.objects.filter(country=country, status=Membership.Status.ACTIVE)
        .annotate(
            required=Case(
                *(When(role=role, then=Value(len(ids))) for role, ids in by_role.items()),
                default=Value(0),
                output_field=IntegerField(),
            ),
            current=Case(
                *(
                    When(role=role, then=CountOf(held.filter(version_id__in=ids), fields=("version_id",)))
                    for role, ids in by_role.items()
                    if ids
                ),
                default=Value(0),
                output_field=IntegerField(),
            ),
        )
        .filter(current__lt=F("required"))
    )
    total = waiting.count()
    people = list(
        waiting.select_related("user", "organisation")
        .only("pk", "role", "country_id", "user__username", "user__first_name", "user__last_name", "organisation__name")
        .order_by("organisation__name", "user__last_name", "user__first_name", "pk")[:limit]
    )
    return people, total


# An acknowledgement may be renewed in the last days of its validity: its holder is reminded then
# (governance.reminders), and their policy's page offers to acknowledge again from that day on.
RENEW_WITHIN_DAYS = 14


@dataclass(frozen=True)
class OwnAcknowledgement:
    """A person's latest acknowledgement of one version, as their page shows it."""

    at: object
    expires_at: object
    current: bool  # not expired
    renewable_from: object  # the day its holder may acknowledge again

    @property
    def renewable(self) -> bool:
        return not self.current or timezone.now() >= self.renewable_from


def own_acknowledgement(*, version: PolicyVersion, user) -> OwnAcknowledgement | None:
    """The person's latest acknowledgement of `version` (one query), or None if they never gave one:
    their policy's page says when they gave it and until when it holds, instead of asking again."""
    ack = (
        Acknowledgement.objects.filter(country_id=version.country_id, version=version, user_id=user.pk)
        .order_by("-expires_at", "-at")
        .values("at", "expires_at")
        .first()
    )
    if ack is None:
        return None
    return OwnAcknowledgement(
        at=ack["at"],
        expires_at=ack["expires_at"],
        current=ack["expires_at"] > timezone.now(),
        renewable_from=ack["expires_at"] - timedelta(days=RENEW_WITHIN_DAYS),
    )


def own_standing(*, country, user, role: str) -> tuple[list[PolicyVersion], list[tuple[PolicyVersion, object]]]:
    """The reader's standing with the current versions that apply to `role`, in two queries: those
    they must acknowledge (none given, or theirs expired), and those whose acknowledgement is valid
    but ends within RENEW_WITHIN_DAYS, each with the day it ends (the policies page asks them to
    acknowledge these again: the reminder they were sent links there)."""
    now = timezone.now()
    versions = [v for v in _current_versions(country).select_related("policy") if role in (v.roles or [])]
    ends = (
        dict(
            Acknowledgement.objects.filter(user_id=user.pk, version_id__in=[v.pk for v in versions])
            .values("version_id")
            .annotate(last=Max("expires_at"))
            .values_list("version_id", "last")
        )
        if versions
        else {}
    )
    horizon = now + timedelta(days=RENEW_WITHIN_DAYS)
    pending = [v for v in versions if not (v.pk in ends and ends[v.pk] > now)]
    renewals = [(v, ends[v.pk]) for v in versions if v.pk in ends and now < ends[v.pk] <= horizon]
    return pending, renewals
