"""Reads of the training app, scoped to the country context and to what the asking person may see;
and the questions other apps ask (deployments: is this person or organisation trained?)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext

from tenants.access import Access
from tenants.ids import parse_id
from tenants.isolation import reading_context
from tenants.languages.catalogue import catalogue_plain
from tenants.models import Country, Membership, Organisation

from .models import (
    Certificate,
    CountryProgramme,
    CountryRequirement,
    Enrolment,
    PlatformRequirement,
    Programme,
    QuizAttempt,
    SharedProgramme,
    certificate_signature_matches,
)

EXPIRING_WITHIN_DAYS = 60
CODE_PATTERN = re.compile(r"^(?P<country>[A-Za-z]{2})-(?P<pk>[1-9][0-9]{0,17})-(?P<sig>[0-9a-fA-F]{20})$")


# --- Catalogue and the person's own training ------------------------------------------------------


def programme_list() -> QuerySet[Programme]:
    return Programme.objects.filter(is_active=True).order_by("title")


def programme_get(*, slug: str, country: Country | None = None) -> Programme | CountryProgramme | None:
    """A catalogue programme by its slug, or (with `country`) one of that country's own by its
    code `local-<id>`."""
    slug = str(slug)[:60]
    if slug.startswith("local-"):
        number = slug[6:]
        pk = parse_id(number)
        if country is None or pk is None:
            return None
        return country_programme_list(country=country).filter(pk=pk).first()
    return programme_list().filter(slug=slug).first()


def country_programme_list(*, country: Country) -> QuerySet[CountryProgramme]:
    return CountryProgramme.objects.filter(country=country).order_by("title", "id")


def shared_programme_list(*, country: Country) -> QuerySet[SharedProgramme]:
    """Other countries' shared programmes, with whether this country adopted each already."""
    adopted = CountryProgramme.objects.filter(country=country, adopted_from_id__isnull=False).values("adopted_from_id")
    return (
        SharedProgramme.objects.exclude(source_country_code=country.code)
        .filter(withdrawn_at__isnull=True)
        .annotate(adopted=Exists(adopted.filter(adopted_from_id=OuterRef("pk"))))
        .order_by("title", "id")
    )


def sees_all_enrolments(access: Access, country: Country) -> bool:
    """Country admins, the country's partner managers and auditors see everyone's training;
    officers and viewers see their own."""
    return access.role_in(country.pk) in {Membership.Role.COUNTRY_ADMIN, "partner_manager", "auditor"}


def enrolment_list_visible(*, country: Country, access: Access) -> QuerySet[Enrolment]:
    qs = (
        Enrolment.objects.filter(country=country)
        .select_related("programme", "version", "local_programme", "local_version", "user")
        .annotate(modules_done=Count("progress"))
    )
    if not sees_all_enrolments(access, country):
        qs = qs.filter(user_id=access.user_id)
    return qs.order_by("-enrolled_at", "-id")


def enrolment_get_visible(*, country: Country, access: Access, pk) -> Enrolment | None:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return enrolment_list_visible(country=country, access=access).filter(pk=pk).first()


def certificate_get_visible(*, country: Country, access: Access, pk) -> Certificate | None:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    qs = Certificate.objects.filter(country=country, pk=pk).select_related(
        "programme", "user", "country", "version", "local_programme", "local_version"
    )
    if not sees_all_enrolments(access, country):
        qs = qs.filter(user_id=access.user_id)
    return qs.first()


@dataclass(frozen=True)
class ModulePass:
    """How a module was passed: when, and the score of the attempt that passed it."""

    module: int
    passed_at: object
    correct: int
    total: int


def module_passes(*, enrolment: Enrolment) -> dict[int, ModulePass]:
    """The modules of this enrolment that are passed, each with its first passing attempt: one
    query. A module passed needs no other answer (services.quiz_submit refuses one)."""
    passes: dict[int, ModulePass] = {}
    attempts = (
        QuizAttempt.objects.filter(enrolment=enrolment, passed=True)
        .order_by("module", "submitted_at", "id")
        .values_list("module", "submitted_at", "correct", "total")
    )
    for module, at, correct, total in attempts:
        passes.setdefault(module, ModulePass(module, at, correct, total))
    return passes


def own_enrolments(*, country: Country, user) -> dict[str, Enrolment]:
    """The reader's own enrolments in the country, by their programme's code (the catalogue's slug,
    or local-<id>), each with its certificate if it has one: what the programme cards say in place
    of "Enrol" for a programme the person is already enrolled in. One query, whatever else the
    reader sees."""
    rows = (
        Enrolment.objects.filter(country=country, user_id=user.pk, current=True)  # not the renewed ones
        .select_related("programme", "version", "local_programme", "local_version", "certificate")
        .annotate(modules_done=Count("progress"))
        .order_by("-enrolled_at", "-id")
    )
    return {enrolment.course.slug: enrolment for enrolment in rows}


# --- Public certificate check ---------------------------------------------------------------------


@dataclass(frozen=True)
class CertificateCheck:
    state: str  # valid, expired, unknown, tampered
    holder: str = ""
    programme: str = ""
    issued_on: object = None
    expires_on: object = None


def certificate_verify(*, code: str) -> CertificateCheck:
    """What anyone may learn from a certificate code: its holder's name, programme, dates and
    validity, nothing else. The code names its country and carries an HMAC of (country, id), so a
    forged or altered code is told apart before any query, and only that country's context opens."""
    match = CODE_PATTERN.match((code or "").strip()[:64])
    if match is None:
        return CertificateCheck("unknown")
    country_code, pk, signature = match["country"].upper(), int(match["pk"]), match["sig"].lower()
    if not certificate_signature_matches(country_code, pk, signature):
        return CertificateCheck("tampered")
    country = Country.objects.filter(code=country_code).first()
    if country is None:
        return CertificateCheck("unknown")
    with reading_context(country):
        certificate = Certificate.objects.filter(pk=pk).select_related("user", "programme", "local_programme").first()
        if certificate is None:
            return CertificateCheck("unknown")
        return CertificateCheck(
            "expired" if certificate.is_expired else "valid",
            holder=certificate.user.get_full_name() or certificate.user.username,
            programme=certificate.course.plain_title,
            issued_on=certificate.issued_at.date(),
            expires_on=certificate.expires_at.date(),
        )


# --- Requirements ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequirementResult:
    ok: bool
    missing: list[str] = field(default_factory=list)  # titles of programmes still to complete
    reason: str = ""


def _applies(qs, sector: str | None, capability: str | None):
    qs = qs.filter(Q(sector="") | Q(sector=sector or "")).filter(Q(capability="") | Q(capability=capability or ""))
    return qs


def required_programmes(
    *, country: Country, role: str, sector: str | None = None, capability: str | None = None
) -> dict[int, str]:
    """Programme id → title that `role` must hold in `country`, platform's and country's together."""
    platform = _applies(PlatformRequirement.objects.filter(role=role), sector, capability)
    with reading_context(country):  # one query: the platform's and the country's requirements as subqueries
        own = _applies(CountryRequirement.objects.filter(role=role), sector, capability)
        return dict(
            Programme.objects.filter(
                Q(pk__in=platform.values("programme_id")) | Q(pk__in=own.values("programme_id"))
            ).values_list("pk", "title")
        )


def _held_programme_ids(country: Country, user_ids) -> dict[int, set[int]]:
    held: dict[int, set[int]] = {}
    with reading_context(country):
        for user_id, programme_id in Certificate.objects.filter(
            user_id__in=user_ids, programme__isnull=False, expires_at__gt=timezone.now()
        ).values_list("user_id", "programme_id"):
            held.setdefault(user_id, set()).add(programme_id)
    return held


def person_meets_requirements(
    *, country: Country, user, sector: str | None = None, capability: str | None = None
) -> RequirementResult:
    """Whether `user` holds a valid certificate for every programme their role in `country`
    requires (platform and country requirements, for the sector and capability when given)."""
    with reading_context(country):
        membership = Membership.objects.filter(user=user, status=Membership.Status.ACTIVE).first()
    if membership is None:
        return not_a_member(country)
    required = required_programmes(country=country, role=membership.role, sector=sector, capability=capability)
    held = _held_programme_ids(country, [user.pk]).get(user.pk, set())
    return missing_result(sorted(title for pk, title in required.items() if pk not in held))


def not_a_member(country: Country) -> RequirementResult:
    return RequirementResult(
        False, [], gettext("This person is not an active member of %(country)s.") % {"country": country.display_name}
    )


def missing_result(missing: list[str]) -> RequirementResult:
    """The answer for a person who lacks the programmes `missing` (titles, sorted): none, all is well."""
    if missing:
        return RequirementResult(
            False,
            missing,
            gettext("Complete %(programmes)s (or renew an expired certificate) in the Training section.")
            % {"programmes": ", ".join(missing)},
        )
    return RequirementResult(True, [], gettext("All required training is complete."))


def _unheld(*, user_id: int, role, sector: str | None, capability: str | None, now) -> QuerySet[Programme]:
    """The programmes `role` (a value, or an expression) requires for the sector and capability that
    person `user_id` holds no valid certificate of, in the caller's country context."""
    platform = _applies(PlatformRequirement.objects.filter(role=role), sector, capability)
    own = _applies(CountryRequirement.objects.filter(role=role), sector, capability)
    held = Certificate.objects.filter(user_id=user_id, programme__isnull=False, expires_at__gt=now)
    return Programme.objects.filter(
        Q(pk__in=platform.values("programme_id")) | Q(pk__in=own.values("programme_id"))
    ).exclude(pk__in=held.values("programme_id"))


def requirement_facts(*, user_ids: list[int], sector: str | None, capabilities: list, now) -> dict:
    """person_meets_requirements for several people and capabilities at once, as expressions one
    query holds (the deployment gate's training), in the caller's country context: each person's
    role (`role{i}`, None when they are not an active member) and, per capability, how many of the
    programmes that role requires they lack (`missing{i}_{j}`). missing_titles names them."""
    from tenants.onboarding import CountOf

    facts = {}
    for i, user_id in enumerate(user_ids):
        role = Subquery(Membership.objects.filter(user_id=user_id, status=Membership.Status.ACTIVE).values("role")[:1])
        facts[f"role{i}"] = role
        for j, capability in enumerate(capabilities):
            facts[f"missing{i}_{j}"] = CountOf(
                _unheld(user_id=user_id, role=role, sector=sector, capability=capability, now=now)
            )
    return facts


def missing_titles(*, country: Country, lacking: list[tuple[int, str, str | None, str | None]], now) -> list[list[str]]:
    """For each (user id, role, sector, capability) of `lacking`, the titles of the programmes that
    person lacks, sorted: one query, whatever their number."""
    if not lacking:
        return []
    with reading_context(country):
        each = [
            _unheld(user_id=user_id, role=role, sector=sector, capability=capability, now=now)
            for user_id, role, sector, capability in lacking
        ]
        wanted = Q()
        for programmes in each:
            wanted |= Q(pk__in=programmes.values("pk"))
        marks = {f"lacks{k}": Exists(programmes.filter(pk=OuterRef("pk"))) for k, programmes in enumerate(each)}
        rows = list(Programme.objects.filter(wanted).annotate(**marks).values("title", *marks))
    # The catalogue's titles, in the reader's language (a gate's reason names them).
    return [sorted(catalogue_plain(row["title"]) for row in rows if row[f"lacks{k}"]) for k in range(len(lacking))]


def organisation_meets_requirements(
    *, organisation: Organisation, sector: str | None = None, capability: str | None = None
) -> RequirementResult:
    """Whether every active member of the organisation meets their role's requirements."""
    country = organisation.country
    with reading_context(country):
        members = list(
            Membership.objects.filter(organisation=organisation, status=Membership.Status.ACTIVE).values_list(
                "user_id", "role"
            )
        )
    by_role = {
        role: required_programmes(country=country, role=role, sector=sector, capability=capability)
        for role in {r for _, r in members}
    }
    held = _held_programme_ids(country, [uid for uid, _ in members])
    missing: set[str] = set()
    short = 0
    for user_id, role in members:
        gaps = {title for pk, title in by_role[role].items() if pk not in held.get(user_id, set())}
        if gaps:
            short += 1
            missing |= gaps
    if missing:
        return RequirementResult(
            False,
            sorted(missing),
            f"{short} of {len(members)} people at {organisation.name} "
            "still need to complete " + ", ".join(sorted(missing)) + ".",
        )
    return RequirementResult(True, [], f"Everyone at {organisation.name} has the required training.")


def country_trained_counts(*, country: Country) -> tuple[int, int]:
    """(trained, total) over the active country admins and officers: the onboarding step's rule,
    read as the step reads it (one query)."""
    from tenants.onboarding import read_facts

    with reading_context(country):
        facts = read_facts(country, onboarding_facts(country))
    return facts["trained"], facts["total"]


def onboarding_facts(country: Country) -> dict:
    """What the "Staff trained" step reads (with the other steps, in one query): the active country
    admins and officers, how many of them hold a valid certificate for every programme their role
    requires (platform and country requirements: an own requirement or the platform's), and
    whether anyone has enrolled."""
    from tenants.onboarding import CountOf

    people = Membership.objects.filter(
        country=country,
        status=Membership.Status.ACTIVE,
        role__in=[Membership.Role.COUNTRY_ADMIN, Membership.Role.OFFICER],
    )
    unheld = ~Exists(
        Certificate.objects.filter(
            country=country,
            user_id=OuterRef(OuterRef("user_id")),
            programme_id=OuterRef("programme_id"),
            expires_at__gt=timezone.now(),
        )
    )
    missing = Exists(
        _applies(PlatformRequirement.objects.filter(role=OuterRef("role")), None, None).filter(unheld)
    ) | Exists(
        _applies(CountryRequirement.objects.filter(country=country, role=OuterRef("role")), None, None).filter(unheld)
    )
    return {
        "total": CountOf(people),
        "trained": CountOf(people.filter(~missing)),
        "started": Exists(Enrolment.objects.filter(country=country)),
    }


def onboarding_decide(country: Country, facts: dict):
    """Done when every active country admin and officer is trained; in progress when at least one
    is or anyone has enrolled."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from tenants.onboarding import DONE, IN_PROGRESS, NOT_STARTED, StepStatus

    trained, total = facts["trained"], facts["total"]
    url = reverse("training:home", kwargs={"code": country.code.lower()})
    if total and trained == total:
        return StepStatus(
            DONE,
            _("All {total} country admins and officers have completed their required training.").format(total=total),
            url,
        )
    if trained or facts["started"]:
        return StepStatus(
            IN_PROGRESS,
            _("{trained} of {total} country admins and officers have completed their required training.").format(
                trained=trained, total=total
            ),
            url,
        )
    return StepStatus(NOT_STARTED, _("Enrol your country admins and officers in the required programmes."), url)


# --- Cohort ---------------------------------------------------------------------------------------


@dataclass
class CohortRow:
    organisation: str
    role: str
    enrolled: int
    completed: int

    @property
    def percent(self) -> int:
        return round(100 * self.completed / self.enrolled) if self.enrolled else 0


def cohort_summary(*, country: Country) -> list[CohortRow]:
    """Enrolments and completions by organisation and role: one grouped query."""
    membership = Membership.objects.filter(country=country, user_id=OuterRef("user_id"))
    rows = (
        Enrolment.objects.filter(country=country, current=True)  # a renewal counts once, not with what it renewed
        .annotate(
            org=Subquery(membership.values("organisation__name")[:1]), role=Subquery(membership.values("role")[:1])
        )
        .values("org", "role")
        .order_by("org", "role")
        .annotate(enrolled=Count("id"), completed=Count("id", filter=Q(status=Enrolment.Status.COMPLETED)))
    )
    labels = dict(Membership.Role.choices)
    return [
        CohortRow(r["org"] or gettext("Former members"), labels.get(r["role"], "—"), r["enrolled"], r["completed"])
        for r in rows
    ]


def overdue_enrolments(*, country: Country) -> QuerySet[Enrolment]:
    return (
        Enrolment.objects.filter(
            country=country, status=Enrolment.Status.IN_PROGRESS, due_date__lt=timezone.localdate()
        )
        .select_related("user", "programme", "local_programme")
        .order_by("due_date", "id")
    )


def expiring_certificates(*, country: Country) -> QuerySet[Certificate]:
    now = timezone.now()
    return (
        Certificate.objects.filter(
            country=country,
            expires_at__lte=now + timedelta(days=EXPIRING_WITHIN_DAYS),
            enrolment__current=True,  # not one renewed already
        )
        .select_related("user", "programme", "local_programme")
        .order_by("expires_at", "id")
    )


def platform_requirement_list() -> QuerySet[PlatformRequirement]:
    return PlatformRequirement.objects.select_related("programme").order_by("role", "programme__title", "id")


def country_requirement_list(*, country: Country) -> QuerySet[CountryRequirement]:
    return (
        CountryRequirement.objects.filter(country=country)
        .select_related("programme")
        .order_by("role", "programme__title", "id")
    )


def trained_counts_by_country(*, country_ids: list[int]) -> dict[int, tuple[int, int]]:
    """country_trained_counts for several countries at once, in the caller's country context (which
    must open all of them): (trained, total) over each country's active country admins and officers,
    in four queries whatever the number of countries and people."""
    counts = dict.fromkeys(country_ids, (0, 0))
    if not country_ids:
        return counts
    roles = [Membership.Role.COUNTRY_ADMIN, Membership.Role.OFFICER]
    people = list(
        Membership.objects.filter(country_id__in=country_ids, status=Membership.Status.ACTIVE, role__in=roles)
        .values_list("country_id", "user_id", "role")
        .order_by()
    )
    platform: dict[str, set[int]] = {}
    for role, programme_id in _applies(PlatformRequirement.objects.filter(role__in=roles), None, None).values_list(
        "role", "programme_id"
    ):
        platform.setdefault(role, set()).add(programme_id)
    own: dict[tuple[int, str], set[int]] = {}
    for country_id, role, programme_id in _applies(
        CountryRequirement.objects.filter(country_id__in=country_ids, role__in=roles), None, None
    ).values_list("country_id", "role", "programme_id"):
        own.setdefault((country_id, role), set()).add(programme_id)
    held: dict[tuple[int, int], set[int]] = {}
    for country_id, user_id, programme_id in Certificate.objects.filter(
        country_id__in=country_ids,
        user_id__in={user_id for _c, user_id, _r in people},
        programme__isnull=False,
        expires_at__gt=timezone.now(),
    ).values_list("country_id", "user_id", "programme_id"):
        held.setdefault((country_id, user_id), set()).add(programme_id)
    totals: dict[int, list[int]] = {cid: [0, 0] for cid in country_ids}
    for country_id, user_id, role in people:
        required = platform.get(role, set()) | own.get((country_id, role), set())
        totals[country_id][1] += 1
        if required <= held.get((country_id, user_id), set()):
            totals[country_id][0] += 1
    return {cid: (trained, total) for cid, (trained, total) in totals.items()}
