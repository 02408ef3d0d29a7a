"""Writes of the training app: the catalogue, enrolments (one person, a role, a CSV roster), quiz
attempts and completion, certificates (their reminders and renewals: training.renewals), and
requirements. Each is transactional,
checks the actor's role and puts the change on the country's ledger (ids and counts only)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext_lazy

from tenants.access import Access
from tenants.errors import NotAllowed, ServiceError
from tenants.isolation import country_context
from tenants.languages.formatting import long_date
from tenants.languages.headings import heading_key, headings_in
from tenants.models import Country, Membership
from tenants.record.ledger import event_record
from tenants.record.reasons import reason_clean, reason_record

from . import catalogue, renewals, selectors
from .models import (
    Certificate,
    CountryProgramme,
    CountryRequirement,
    Enrolment,
    ModuleProgress,
    PlatformRequirement,
    Programme,
    ProgrammeVersion,
    QuizAttempt,
)

User = get_user_model()
ROSTER_MAX_BYTES = 256 * 1024
ROSTER_MAX_ROWS = 2000


def certificate_valid_days() -> int:
    return int(getattr(settings, "TRAINING_CERTIFICATE_VALID_DAYS", 730))


# --- Catalogue (platform) -------------------------------------------------------------------------


@transaction.atomic
def catalogue_sync() -> int:
    """Publish the catalogue of training/catalogue.py: create missing programmes, and a new version
    of any programme whose text changed. Returns the number of versions published. Idempotent."""
    published = 0
    for entry in catalogue.PROGRAMMES:
        programme, _ = Programme.objects.update_or_create(
            slug=entry["slug"], defaults={"title": entry["title"], "summary": entry["summary"]}
        )
        content = {"modules": entry["modules"]}
        latest = programme.versions.order_by("-number").first()
        if latest is None or latest.content != content or latest.pass_mark != catalogue.PASS_MARK:
            ProgrammeVersion.objects.create(
                programme=programme,
                number=(latest.number + 1) if latest else 1,
                content=content,
                pass_mark=catalogue.PASS_MARK,
            )
            published += 1
    for slug, role in catalogue.PLATFORM_REQUIREMENTS:
        PlatformRequirement.objects.get_or_create(
            programme=Programme.objects.get(slug=slug), role=role, sector="", capability=""
        )
    return published


def _latest_version(programme: Programme | CountryProgramme):
    version = programme.versions.order_by("-number").first()
    if version is None or not getattr(programme, "is_active", True):
        raise ServiceError(
            _("{programme_title} is not open for enrolment.").format(programme_title=programme.plain_title),
            field="programme",
        )
    return version


def _course(programme: Programme | CountryProgramme, version=None) -> dict:
    """The enrolment fields naming this programme (and version), whichever kind it is."""
    if isinstance(programme, CountryProgramme):
        return {"local_programme": programme, **({"local_version": version} if version else {})}
    return {"programme": programme, **({"version": version} if version else {})}


def _course_payload(programme: Programme | CountryProgramme) -> dict:
    return {"programme": programme.pk, "kind": "country" if isinstance(programme, CountryProgramme) else "catalogue"}


# --- Enrolments ------------------------------------------------------------------------------------


def _active_membership(country: Country, user) -> Membership | None:
    return Membership.objects.filter(country=country, user=user, status=Membership.Status.ACTIVE).first()


def _enrol(country: Country, user, programme, version, *, by, source: str, due_date: date | None, renews) -> Enrolment:
    return Enrolment.objects.create(
        country=country,
        user=user,
        **_course(programme, version),
        source=source,
        enrolled_by=by,
        due_date=due_date,
        renews=renews,
    )


@transaction.atomic
def enrolment_create(
    *, country: Country, by, access: Access, user, programme: Programme | CountryProgramme, due_date: date | None = None
) -> Enrolment:
    """Enrol one person: themselves (any active member), or someone else (country admins)."""
    actor_role = access.role_in(country.pk) or ""
    own = user.pk == by.pk
    if own and country.pk not in access.member_country_ids:
        raise NotAllowed(
            _("Only members of {country_name} can enrol in its training.").format(country_name=country.display_name)
        )
    if not own and not access.is_country_admin(country.pk):
        raise NotAllowed(_("Only a country admin can enrol other people."))
    with country_context(country):
        if _active_membership(country, user) is None:
            raise ServiceError(
                _("Choose an active member of {country_name}.").format(country_name=country.display_name), field="user"
            )
        if isinstance(programme, CountryProgramme) and programme.country_id != country.pk:
            raise ServiceError(
                _("Choose one of {country_name}'s programmes.").format(country_name=country.display_name),
                field="programme",
            )
        # Enrolled already: again only to renew a certificate (training.renewals), the earlier
        # enrolment kept as history. Locked, so that two renewals at once give one.
        earlier = Enrolment.objects.select_for_update().filter(user=user, current=True, **_course(programme)).first()
        if earlier is not None:
            renewals.renewal_check(earlier)
            Enrolment.objects.filter(pk=earlier.pk).update(current=False)
        version = _latest_version(programme)
        try:
            with transaction.atomic():
                enrolment = _enrol(
                    country,
                    user,
                    programme,
                    version,
                    by=by,
                    due_date=due_date,
                    source=Enrolment.Source.SELF if own else Enrolment.Source.INDIVIDUAL,
                    renews=earlier,
                )
        except IntegrityError:  # enrolled (or renewed) by another request at the same moment
            raise ServiceError(_("This person is already enrolled in this programme."), field="programme") from None
        event_record(
            country=country,
            action="training.enrolled",
            actor=by,
            actor_role=actor_role,
            target=enrolment,
            payload={
                **_course_payload(programme),
                "version": version.number,
                "source": enrolment.source,
                **({"renews": earlier.pk} if earlier else {}),
            },
        )
    return enrolment


@transaction.atomic
def enrolment_create_for_role(
    *,
    country: Country,
    by,
    access: Access,
    programme: Programme | CountryProgramme,
    role: str,
    due_date: date | None = None,
) -> int:
    """Enrol every active member holding `role` who is not enrolled yet. Returns how many were."""
    if not access.is_country_admin(country.pk):
        raise NotAllowed(_("Only a country admin can enrol people by role."))
    if role not in Membership.Role.values:
        raise ServiceError(_("Choose a role: country admin, officer or viewer."), field="role")
    with country_context(country):
        version = _latest_version(programme)
        already = Enrolment.objects.filter(**_course(programme)).values("user_id")
        user_ids = list(
            Membership.objects.filter(country=country, role=role, status=Membership.Status.ACTIVE)
            .exclude(user_id__in=already)
            .values_list("user_id", flat=True)
        )
        Enrolment.objects.bulk_create(
            [
                Enrolment(
                    country=country,
                    user_id=uid,
                    **_course(programme, version),
                    source=Enrolment.Source.ROLE,
                    enrolled_by=by,
                    due_date=due_date,
                )
                for uid in user_ids
            ]
        )
        event_record(
            country=country,
            action="training.role_enrolled",
            actor=by,
            actor_role=access.role_in(country.pk) or "",
            target=programme,
            payload={**_course_payload(programme), "role": role, "count": len(user_ids)},
        )
    return len(user_ids)


# A roster's columns: the keys, or these headings in any of the portal's languages.
ROSTER_LABELS = {
    "email": pgettext_lazy("column heading", "Email address"),
    "programme": pgettext_lazy("column heading", "Programme code"),
    "due_date": pgettext_lazy("column heading", "Due date"),
}


def roster_template(*, headings: str) -> bytes:
    """An empty roster to fill in, headed in `headings` (a language, or KEYS); with a byte-order
    mark, so that a spreadsheet opens it as UTF-8, which the import reads as well."""
    return ("\ufeff" + ",".join(headings_in(ROSTER_LABELS, ROSTER_LABELS, headings)) + "\r\n").encode("utf-8")


@dataclass(frozen=True)
class RosterError:
    line: int
    reason: str


class RosterRefused(ServiceError):
    """The roster has bad rows: each is listed with its line; nothing was imported."""

    def __init__(self, errors: list[RosterError]):
        super().__init__(
            ngettext(
                "The roster has {count} problem; nothing was imported. Correct the row listed and upload it again.",
                "The roster has {count} problems; nothing was imported. Correct the rows listed and upload it again.",
                len(errors),
            ).format(count=len(errors)),
            field="roster",
        )
        self.errors = errors


@transaction.atomic
def roster_import(*, country: Country, by, access: Access, data: bytes) -> int:
    """Enrol the people of a CSV roster (header `email,programme`, or the same headings in any of the
    portal's languages; programme is a catalogue slug, optional `due_date` as YYYY-MM-DD). All rows
    or none: any bad row refuses the whole file."""
    if not access.is_country_admin(country.pk):
        raise NotAllowed(_("Only a country admin can import a roster."))
    if len(data) > ROSTER_MAX_BYTES:
        raise ServiceError(
            _("The file is larger than {roster_max_bytes} KB. Split it into smaller rosters.").format(
                roster_max_bytes=ROSTER_MAX_BYTES // 1024
            ),
            field="roster",
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ServiceError(
            _("The file is not UTF-8 text. Save it as 'CSV UTF-8' and upload it again."), field="roster"
        ) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [heading_key(h, ROSTER_LABELS) or h.strip().lower() for h in (reader.fieldnames or [])]
    if "email" not in header or "programme" not in header:
        raise ServiceError(
            _("The first line must name the columns: email,programme (and optionally due_date)."), field="roster"
        )
    reader.fieldnames = header
    with country_context(country):
        programmes = {p.slug: p for p in [*Programme.objects.filter(is_active=True), *CountryProgramme.objects.all()]}
    errors: list[RosterError] = []
    wanted: list[tuple[int, str, Programme, date | None]] = []
    seen: set[tuple[str, str]] = set()
    try:
        for row in reader:
            line = reader.line_num
            if len(wanted) + len(errors) >= ROSTER_MAX_ROWS:
                raise ServiceError(
                    _("A roster has at most {roster_max_rows} rows.").format(roster_max_rows=ROSTER_MAX_ROWS),
                    field="roster",
                )
            email = (row.get("email") or "").strip().lower()
            slug = (row.get("programme") or "").strip().lower()
            due = (row.get("due_date") or "").strip()
            if not email and not slug:
                continue
            if not email:
                errors.append(RosterError(line, _("The email address is missing.")))
                continue
            if slug not in programmes:
                errors.append(
                    RosterError(
                        line,
                        _("There is no programme ‘{code}’. Use a code from the catalogue, e.g. {example}.").format(
                            code=slug[:60], example=next(iter(programmes), "ai-literacy")
                        ),
                    )
                )
                continue
            try:
                due_date = date.fromisoformat(due) if due else None
            except ValueError:
                errors.append(
                    RosterError(
                        line, _("The due date ‘{due}’ is not a date in the form 2026-12-31.").format(due=due[:20])
                    )
                )
                continue
            if (email, slug) in seen:
                errors.append(RosterError(line, _("This person and programme appear twice in the roster.")))
                continue
            seen.add((email, slug))
            wanted.append((line, email, programmes[slug], due_date))
    except csv.Error as error:
        raise ServiceError(
            _("The file could not be read as CSV near line {reader_line_num}: {error}.").format(
                reader_line_num=reader.line_num, error=error
            ),
            field="roster",
        ) from None
    with country_context(country):
        members = {
            m.user.email.lower(): m
            for m in Membership.objects.filter(country=country, status=Membership.Status.ACTIVE).select_related("user")
        }
        # Enrolled already: again only to renew a certificate, as enrolment_create (training.renewals).
        enrolled = renewals.current_enrolments(user_ids=[m.user_id for m in members.values()])
        rows = []
        for line, email, programme, due_date in wanted:
            member = members.get(email)
            if member is None:
                errors.append(
                    RosterError(
                        line,
                        _("No active member of {country} has this email address.").format(country=country.display_name),
                    )
                )
            elif (earlier := enrolled.get((member.user_id, programme.slug))) and renewals.renewal_refusal(*earlier):
                errors.append(RosterError(line, renewals.renewal_refusal(*earlier)))
            else:
                rows.append((member.user_id, programme, due_date, earlier[0] if earlier else None))
        if errors:
            raise RosterRefused(sorted(errors, key=lambda e: e.line))
        if not rows:
            raise ServiceError(_("The roster has no rows to import."), field="roster")
        versions = {p.slug: _latest_version(p) for _, p, _, _ in rows}
        renewed = [earlier.pk for _, _, _, earlier in rows if earlier is not None]
        Enrolment.objects.filter(pk__in=renewed).update(current=False)
        Enrolment.objects.bulk_create(
            [
                Enrolment(
                    country=country,
                    user_id=uid,
                    **_course(p, versions[p.slug]),
                    source=Enrolment.Source.ROSTER,
                    enrolled_by=by,
                    due_date=due,
                    renews=earlier,
                )
                for uid, p, due, earlier in rows
            ]
        )
        event_record(
            country=country,
            action="training.roster_imported",
            actor=by,
            actor_role=access.role_in(country.pk) or "",
            payload={"count": len(rows), **({"renewed": len(renewed)} if renewed else {})},
        )
    return len(rows)


# --- Quizzes, completion and certificates ---------------------------------------------------------


def quiz_score(*, version, module: int, answers: list[int]) -> tuple[int, int, bool]:
    """(correct, total, passed) for answers to one module's quiz, against that version's key."""
    questions = version.modules[module]["quiz"]
    total = len(questions)
    correct = sum(1 for q, a in zip(questions, answers) if a == q["answer"])
    return correct, total, correct * 100 >= version.pass_mark * total


@transaction.atomic
def quiz_submit(*, enrolment: Enrolment, by, access: Access, module: int, answers: list) -> QuizAttempt:
    """Score an attempt on the server. A pass completes the module; the last module completes the
    enrolment and issues the certificate."""
    country = enrolment.country
    if enrolment.user_id != by.pk:
        raise NotAllowed(_("Only the person enrolled can answer this quiz."))
    version = enrolment.pinned
    modules = version.modules
    if not isinstance(module, int) or not 0 <= module < len(modules):
        raise ServiceError(_("There is no module {module} in this programme.").format(module=module), field="module")
    with country_context(country):
        passed = selectors.module_passes(enrolment=enrolment).get(module)
    if passed is not None:  # a module passed needs no other answer: its page shows the pass instead
        raise ServiceError(
            _(
                "You passed this module's quiz on {date}, with {correct} of {total} correct: it needs no other answer."
            ).format(date=long_date(passed.passed_at), correct=passed.correct, total=passed.total),
            field="module",
        )
    questions = modules[module]["quiz"]
    if (
        not isinstance(answers, list)
        or len(answers) != len(questions)
        or not all(isinstance(a, int) and 0 <= a < len(q["options"]) for a, q in zip(answers, questions))
    ):
        raise ServiceError(
            _("Answer all {questions} questions, choosing one option for each.").format(questions=len(questions)),
            field="answers",
        )
    correct, total, passed = quiz_score(version=version, module=module, answers=answers)
    with country_context(country):
        attempt = QuizAttempt.objects.create(
            country=country,
            enrolment=enrolment,
            module=module,
            answers=answers,
            correct=correct,
            total=total,
            passed=passed,
        )
        event_record(
            country=country,
            action="training.quiz_attempted",
            actor=by,
            actor_role=access.role_in(country.pk) or "",
            target=enrolment,
            payload={"module": module, "correct": correct, "total": total, "passed": passed},
        )
        if passed and enrolment.status == Enrolment.Status.IN_PROGRESS:
            ModuleProgress.objects.get_or_create(country=country, enrolment=enrolment, module=module)
            done = ModuleProgress.objects.filter(enrolment=enrolment).count()
            if done >= len(modules):
                _complete(enrolment, by=by, actor_role=access.role_in(country.pk) or "")
    return attempt


def _complete(enrolment: Enrolment, *, by, actor_role: str) -> Certificate:
    country = enrolment.country
    now = timezone.now()
    enrolment.status, enrolment.completed_at = Enrolment.Status.COMPLETED, now
    enrolment.save(update_fields=["status", "completed_at"])
    certificate = Certificate.objects.create(
        country=country,
        enrolment=enrolment,
        user_id=enrolment.user_id,
        programme_id=enrolment.programme_id,
        version_id=enrolment.version_id,
        local_programme_id=enrolment.local_programme_id,
        local_version_id=enrolment.local_version_id,
        issued_at=now,
        expires_at=now + timedelta(days=certificate_valid_days()),
    )
    event_record(
        country=country,
        action="training.completed",
        actor=by,
        actor_role=actor_role,
        target=enrolment,
        payload={**_course_payload(enrolment.course), "version": enrolment.pinned.number},
    )
    event_record(
        country=country,
        action="training.certificate_issued",
        actor=by,
        actor_role=actor_role,
        target=certificate,
        payload={"enrolment": enrolment.pk},
    )
    return certificate


# --- Requirements ---------------------------------------------------------------------------------


@transaction.atomic
def requirement_add(
    *, country: Country, by, access: Access, programme: Programme, role: str, sector: str = "", capability: str = ""
) -> CountryRequirement:
    if not access.is_country_admin(country.pk):
        raise NotAllowed(_("Only a country admin can set training requirements."))
    if role not in Membership.Role.values:
        raise ServiceError(_("Choose a role: country admin, officer or viewer."), field="role")
    with country_context(country):
        if CountryRequirement.objects.filter(
            programme=programme, role=role, sector=sector, capability=capability
        ).exists():
            raise ServiceError(_("This requirement already exists."), field="programme")
        requirement = CountryRequirement.objects.create(
            country=country, programme=programme, role=role, sector=sector, capability=capability
        )
        event_record(
            country=country,
            action="training.requirement_added",
            actor=by,
            actor_role=access.role_in(country.pk) or "",
            target=requirement,
            payload={"programme": programme.pk, "role": role, "sector": sector, "capability": capability},
        )
    return requirement


@transaction.atomic
def requirement_remove(*, requirement: CountryRequirement, by, access: Access, reason: str) -> None:
    """Remove a country requirement, with the reason the admin gave (kept sealed beside the record)."""
    country = requirement.country
    if not access.is_country_admin(country.pk):
        raise NotAllowed(_("Only a country admin can change training requirements."))
    reason = reason_clean(reason)
    with country_context(country):
        pk = requirement.pk
        kept = reason_record(
            country=country, action="training.requirement_removed", target=requirement, by=by, reason=reason
        )
        requirement.delete()
        event_record(
            country=country,
            action="training.requirement_removed",
            actor=by,
            actor_role=access.role_in(country.pk) or "",
            payload={"requirement": pk, **kept},
        )
