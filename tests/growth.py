"""Grow a country's data tenfold, for the tests that hold a page's number of queries constant as the
data grows (DESIGN §9): the people (new accounts with their memberships), the organisations, the
events of the record (naming targets of several kinds, as real events do), and copies of the main
rows of each app. A kind of row that cannot be copied as it is (a uniqueness that copying breaks) is
left as it was and named in the result, so a test can say what it did not grow."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import IntegrityError, models, transaction

from tenants.isolation import country_context
from tenants.models import Country, Membership, Organisation
from tenants.record.chaining import chain_pending_now
from tenants.record.ledger import event_record
from tenants.record.models import CountryEvent

# The rows the country pages list, count or summarise, copied as they are (new keys, and a suffix on
# any field that must be unique on its own).
COPIED = (
    "engagements.EngagementTransition",
    "governance.CountryPolicy",
    "governance.Acknowledgement",
    "governance.ImpactAssessment",
    "governance.Incident",
    "governance.RequirementStatus",
    "training.Enrolment",
    "training.Certificate",
    "deployments.DeploymentRequest",
    "deployments.DeploymentDecision",
    "deployments.UsageHour",
)


@dataclass
class Grown:
    before: dict[str, int] = field(default_factory=dict)
    after: dict[str, int] = field(default_factory=dict)
    not_grown: dict[str, str] = field(default_factory=dict)  # label -> why


def _copy(row: models.Model, n: int, copies: dict) -> models.Model:
    """The n-th copy of `row`: a new key, a suffix on any field unique on its own, and each foreign
    key that names a copied row (a person, an enrolment, a request) pointed at that row's n-th copy,
    so that copies of children follow copies of their parents and keep their uniqueness."""
    copy = type(row).objects.get(pk=row.pk)  # a fresh instance: sealed fields opened, nothing cached
    copy.pk = None
    copy.id = None
    for f in type(row)._meta.concrete_fields:
        if f.unique and not f.primary_key and isinstance(f, models.CharField):
            setattr(copy, f.attname, f"{getattr(row, f.attname)}-{n}"[: f.max_length])
        elif f.many_to_one or f.one_to_one:
            followed = copies.get((f.related_model._meta.label_lower, getattr(row, f.attname)))
            if followed:
                setattr(copy, f.attname, followed[n - 1])
    return copy


def session_kept_fresh(client) -> None:
    """Mark the client's session as seen an hour ahead. A signed-in request rewrites its session
    (three queries) when the last one is over a minute old (tenants.identity.middleware), and a
    comparison of N and 10N that runs for minutes would count that rewrite on one side only: it is
    a matter of the clock, not of the data's size."""
    import time

    from tenants.identity.middleware import LAST_SEEN_KEY

    session = client.session
    if session.session_key:
        session[LAST_SEEN_KEY] = time.time() + 3600
        session.save()


def name_every_kind(country: Country) -> None:
    """Record three events naming an organisation, a person and a deployment request, so that the
    newest events already show the mix of kinds of target a grown record shows: what a comparison of
    N and 10N then measures is the size of the data, not the kinds on the page."""
    with country_context(country):
        chain_pending_now()  # the events on the chain, as a commit would leave them
        for target in (
            Organisation.objects.filter(country=country).first(),
            Membership.objects.filter(country=country).first(),
            apps.get_model("deployments.DeploymentRequest").objects.filter(country=country).first(),
        ):
            if target is not None:
                event_record(country=country, action="test.seen", target=target)


def grow(country: Country, factor: int) -> Grown:
    """Multiply the country's organisations, members, events and main rows by about `factor`."""
    grown = Grown()
    users = get_user_model()
    with country_context(country):
        chain_pending_now()  # the events below are chained as they are written, as a commit would
        organisations = list(Organisation.objects.filter(country=country))
        members = Membership.objects.filter(country=country).count()
        events = CountryEvent.objects.filter(country=country).count()
        grown.before.update(organisations=len(organisations), members=members, events=events)
        new_orgs = Organisation.objects.bulk_create(
            Organisation(country=country, name=f"Agence {i}", kind="agency")
            for i in range(len(organisations) * (factor - 1))
        )
        copies: dict[tuple[str, object], list] = {}  # (model, key) -> the keys of its copies, in order
        user_label = users._meta.label_lower
        new_members = []
        for n in range(1, factor):
            for j, member in enumerate(Membership.objects.filter(country=country).order_by("pk")[:members]):
                user = users.objects.create_user(username=f"grown-{country.code}-{n}-{j}", password=None)
                copies.setdefault((user_label, member.user_id), []).append(user.pk)
                new_members.append(
                    Membership.objects.create(
                        country=country,
                        user=user,
                        organisation=new_orgs[len(new_members) % len(new_orgs)],
                        role=member.role,
                    )
                )
        for label in COPIED:
            model = apps.get_model(label)
            rows = list(model.objects.filter(country=country).order_by("pk"))
            grown.before[label] = len(rows)
            try:
                with transaction.atomic():
                    for n in range(1, factor):
                        for row in rows:
                            copy = _copy(row, n, copies)
                            copy.save()
                            copies.setdefault((model._meta.label_lower, row.pk), []).append(copy.pk)
            except (IntegrityError, ValueError) as error:
                grown.not_grown[label] = str(error).splitlines()[0][:120]
            grown.after[label] = model.objects.filter(country=country).count()
        requests = list(apps.get_model("deployments.DeploymentRequest").objects.filter(country=country))
        kinds = [targets for targets in (new_orgs, new_members, requests) if targets]
        for i in range(events * (factor - 1)):  # one kind after the other, as a busy country's record reads
            targets = kinds[i % len(kinds)]
            event_record(
                country=country, action="test.grown", target=targets[(i // len(kinds)) % len(targets)], payload={"i": i}
            )
        grown.after.update(
            organisations=Organisation.objects.filter(country=country).count(),
            members=Membership.objects.filter(country=country).count(),
            events=CountryEvent.objects.filter(country=country, sequence__isnull=False).count(),
        )
    return grown
