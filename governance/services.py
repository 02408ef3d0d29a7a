"""Writes of governance: policies and acknowledgements, impact assessments, framework statuses
and incidents. Keyword-only, transactional; each checks the actor's role and records an event on
the country's chain (ids and codes only in payloads). Evidence files are in governance.evidence."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tenants.access import Access
from tenants.errors import NotAllowed, ServiceError
from tenants.isolation import country_context
from tenants.models import Country, Membership
from tenants.notifications import services as inbox
from tenants.record.ledger import event_record
from tenants.record.reasons import reason_clean, reason_record, text_digest

from . import questionnaire
from .models import (
    Acknowledgement,
    CountryPolicy,
    Framework,
    ImpactAssessment,
    PolicyTemplate,
    PolicyVersion,
    Requirement,
    RequirementStatus,
    SharedPolicy,
)
from .models.policies import ACK_ROLES

MAX_POLICY_TEXT = 100_000


def ack_validity() -> timedelta:
    return timedelta(days=getattr(settings, "POLICY_ACK_VALIDITY_DAYS", 365))


def _role(access: Access, country: Country) -> str:
    role = access.role_in(country.pk)
    if role is None:
        raise NotAllowed(_("You are not a member of this country."))
    return role


def _require_admin(access: Access, country: Country) -> str:
    if not access.is_country_admin(country.pk):
        raise NotAllowed(_("Only a country admin of this country can do this."))
    return _role(access, country)


def require_writer(access: Access, country: Country) -> str:
    if not access.can_write(country.pk):
        raise NotAllowed(_("Only a country admin or an officer of this country can do this."))
    return _role(access, country)


def _clean_roles(roles) -> list[str]:
    roles = [r for r in ACK_ROLES if r in set(roles or [])]
    unknown = set(roles or []) - set(ACK_ROLES)
    if unknown or not roles:
        raise ServiceError(_("Choose at least one role whose members must acknowledge this policy."), field="roles")
    return roles


def _clean_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ServiceError(_("Enter the text of the policy."), field="text")
    if len(text) > MAX_POLICY_TEXT:
        raise ServiceError(
            _("The policy text must be {max_policy_text:,} characters or fewer.").format(
                max_policy_text=MAX_POLICY_TEXT
            ),
            field="text",
        )
    return text


def _clean_language(language: str) -> str:
    language = (language or "").strip()
    if not language or len(language) > 12 or not all(c.isalnum() or c == "-" for c in language):
        raise ServiceError(_("Enter a language tag such as en, fr or pt-BR."), field="language")
    return language


# --- Policies --------------------------------------------------------------------------------------


@transaction.atomic
def policy_adopt(
    *, country: Country, by, access: Access, template: PolicyTemplate | None = None, shared: SharedPolicy | None = None
) -> CountryPolicy:
    """Adopt a programme template, or take a read-only copy of another country's shared policy.
    The copy holds the text as it is now: later versions shared by the source do not change it."""
    role = _require_admin(access, country)
    if (template is None) == (shared is None):
        raise ServiceError(_("Choose one template or one shared policy to adopt."), field="template")
    if shared is not None and (shared.withdrawn_at is not None or shared.source_country_code == country.code):
        raise ServiceError(_("This shared policy is not available to adopt."), field="shared")
    with country_context(country):
        if template is not None:
            policy = CountryPolicy.objects.create(
                country=country,
                title=template.title,
                template=template,
                origin=CountryPolicy.Origin.TEMPLATE,
                created_by=by,
            )
            first = PolicyVersion.objects.create(
                country=country,
                policy=policy,
                number=1,
                language=template.language,
                text=template.text,
                roles=list(template.default_roles),
            )
        else:
            policy = CountryPolicy.objects.create(
                country=country,
                title=shared.title,
                shared_from=shared,
                origin=CountryPolicy.Origin.SHARED,
                created_by=by,
            )
            first = PolicyVersion.objects.create(
                country=country,
                policy=policy,
                number=1,
                language=shared.language,
                text=shared.text,
                roles=list(ACK_ROLES[:2]),
            )
        event_record(
            country=country,
            action="policy.adopted",
            actor=by,
            actor_role=role,
            target=policy,
            # What was adopted: its first version's language, the roles that acknowledge it and
            # the SHA-256 of its text (the text is in the versioned row, in the country's export).
            payload={
                "template": template.slug if template else "",
                "shared_policy": shared.pk if shared else 0,
                **_version_terms(first),
            },
        )
    return policy


def _version_terms(version: PolicyVersion) -> dict:
    """A policy version as the events that put it in force carry it."""
    return {
        "number": version.number,
        "language": version.language,
        "roles": list(version.roles),
        "text_sha256": text_digest(version.text),
    }


@transaction.atomic
def policy_version_create(
    *, policy: CountryPolicy, by, access: Access, text: str, language: str, roles: list[str]
) -> PolicyVersion:
    """A new draft version (the country's localised text). Copies of shared policies are read-only."""
    country = Country.objects.get(pk=policy.country_id)
    role = _require_admin(access, country)
    if policy.read_only:
        raise ServiceError(
            _("This policy is a read-only copy of another country's policy; adopt a template to write your own.")
        )
    text, language, roles = _clean_text(text), _clean_language(language), _clean_roles(roles)
    with country_context(country):
        CountryPolicy.objects.select_for_update().get(pk=policy.pk)
        if PolicyVersion.objects.filter(policy=policy, status=PolicyVersion.Status.DRAFT).exists():
            raise ServiceError(_("This policy already has a draft version: edit or publish it first."), field="text")
        last = (
            PolicyVersion.objects.filter(policy=policy).order_by("-number").values_list("number", flat=True).first()
            or 0
        )
        version = PolicyVersion.objects.create(
            country=country, policy=policy, number=last + 1, language=language, text=text, roles=roles
        )
        event_record(
            country=country,
            action="policy.version_drafted",
            actor=by,
            actor_role=role,
            target=version,
            payload={"policy": policy.pk, "number": version.number},
        )
    return version


@transaction.atomic
def policy_version_publish(*, version: PolicyVersion, by, access: Access, reason: str) -> PolicyVersion:
    """Publish a draft, with the reason the admin gave (kept sealed beside the record). From now on
    the staff of its roles must acknowledge this version: earlier acknowledgements were of earlier
    text and no longer count."""
    country = Country.objects.get(pk=version.country_id)
    role = _require_admin(access, country)
    reason = reason_clean(reason)
    with country_context(country):
        version = PolicyVersion.objects.select_for_update().get(pk=version.pk)
        if version.status != PolicyVersion.Status.DRAFT:
            raise ServiceError(_("This version is already published."))
        version.status = PolicyVersion.Status.PUBLISHED
        version.published_at = timezone.now()
        version.save(update_fields=["status", "published_at"])
        policy = version.policy
        if policy.is_shared:
            _snapshot(policy, version)
        event_record(
            country=country,
            action="policy.version_published",
            actor=by,
            actor_role=role,
            target=version,
            payload={
                "policy": policy.pk,
                **_version_terms(version),
                **reason_record(
                    country=country, action="policy.version_published", target=version, by=by, reason=reason
                ),
            },
        )
    return version


def _snapshot(policy: CountryPolicy, version: PolicyVersion) -> SharedPolicy:
    source = Country.objects.get(pk=policy.country_id)
    shared, _created = SharedPolicy.objects.update_or_create(
        source_country_code=source.code,
        source_policy_id=policy.pk,
        defaults={
            "source_country_name": source.name,
            "title": policy.title,
            "language": version.language,
            "text": version.text,
            "version_number": version.number,
            "shared_at": timezone.now(),
            "withdrawn_at": None,
        },
    )
    return shared


@transaction.atomic
def policy_share(
    *, policy: CountryPolicy, by, access: Access, share: bool = True, reason: str | None = None
) -> CountryPolicy:
    """Opt in (or out) of offering the latest published version to other countries. Sharing puts
    the text in front of other countries: it takes a reason (kept sealed beside the record)."""
    country = Country.objects.get(pk=policy.country_id)
    role = _require_admin(access, country)
    reason = reason_clean(reason) if share else None
    if policy.read_only:
        raise ServiceError(_("A copy of another country's policy cannot be shared again."))
    with country_context(country):
        current = policy_current_version(policy=policy)
        if share and current is None:
            raise ServiceError(_("Publish a version before sharing this policy."))
        policy.is_shared = share
        policy.save(update_fields=["is_shared"])
        if share:
            _snapshot(policy, current)
        else:
            SharedPolicy.objects.filter(source_country_code=country.code, source_policy_id=policy.pk).update(
                withdrawn_at=timezone.now()
            )
        payload = {}
        if reason is not None:
            payload.update(reason_record(country=country, action="policy.shared", target=policy, by=by, reason=reason))
        event_record(
            country=country,
            action="policy.shared" if share else "policy.unshared",
            actor=by,
            actor_role=role,
            target=policy,
            payload=payload,
        )
    return policy


def policy_current_version(*, policy: CountryPolicy) -> PolicyVersion | None:
    return (
        PolicyVersion.objects.filter(policy=policy, status=PolicyVersion.Status.PUBLISHED).order_by("-number").first()
    )


@transaction.atomic
def acknowledgement_create(*, version: PolicyVersion, by, access: Access) -> Acknowledgement:
    """The signed-in person acknowledges a published version that applies to their role."""
    country = Country.objects.get(pk=version.country_id)
    role = _role(access, country)
    if role not in ACK_ROLES:
        raise NotAllowed(_("Only members of this country acknowledge its policies."))
    if version.status != PolicyVersion.Status.PUBLISHED:
        raise ServiceError(_("Only a published version can be acknowledged."))
    with country_context(country):
        now = timezone.now()
        ack = Acknowledgement.objects.create(
            country=country, version=version, user=by, at=now, expires_at=now + ack_validity()
        )
        event_record(
            country=country,
            action="policy.acknowledged",
            actor=by,
            actor_role=role,
            target=version,
            payload={"policy": version.policy_id, "number": version.number},
        )
    return ack


# --- Impact assessments ------------------------------------------------------------------------------


def _answers(answers: dict, *, complete: bool) -> dict:
    try:
        return questionnaire.check(answers, complete=complete)
    except questionnaire.AnswerError as error:
        raise ServiceError(str(error), field=error.field, field_errors=error.errors) from None


@transaction.atomic
def assessment_create(
    *,
    country: Country,
    by,
    access: Access,
    title: str,
    use_reference: str = "",
    answers: dict | None = None,
    supersedes: ImpactAssessment | None = None,
) -> ImpactAssessment:
    role = require_writer(access, country)
    title = (title or "").strip()
    if not title:
        raise ServiceError(_("Enter a title: the intended use being assessed."), field="title")
    if len(title) > 200:
        raise ServiceError(_("The title must be 200 characters or fewer."), field="title")
    use_reference = (use_reference or "").strip()
    if len(use_reference) > 100:
        raise ServiceError(_("The use reference must be 100 characters or fewer."), field="use_reference")
    clean = _answers(answers or {}, complete=False)
    with country_context(country):
        if supersedes is not None and (
            supersedes.country_id != country.pk or supersedes.status != ImpactAssessment.Status.COMPLETED
        ):
            raise ServiceError(_("Only a completed assessment of this country can be superseded."), field="supersedes")
        assessment = ImpactAssessment.objects.create(
            country=country,
            title=title,
            use_reference=use_reference,
            answers=clean,
            created_by=by,
            questionnaire_version=questionnaire.CURRENT_VERSION,
            supersedes=supersedes,
        )
        event_record(
            country=country,
            action="assessment.started",
            actor=by,
            actor_role=role,
            target=assessment,
            payload={"supersedes": supersedes.pk if supersedes else 0},
        )
    return assessment


def _editable(assessment: ImpactAssessment) -> ImpactAssessment:
    locked = ImpactAssessment.objects.select_for_update().get(pk=assessment.pk)
    if locked.status != ImpactAssessment.Status.DRAFT:
        raise ServiceError(_("This assessment is completed and cannot be changed. Start a new one that supersedes it."))
    return locked


@transaction.atomic
def assessment_save_answers(*, assessment: ImpactAssessment, by, access: Access, answers: dict) -> ImpactAssessment:
    """Save (part of) the answers of a draft, to resume later."""
    country = Country.objects.get(pk=assessment.country_id)
    require_writer(access, country)
    clean = _answers(answers, complete=False)
    with country_context(country):
        locked = _editable(assessment)
        locked.answers = {**locked.answers, **clean}
        locked.updated_at = timezone.now()
        locked.save(update_fields=["answers", "updated_at"])
    return locked


@transaction.atomic
def assessment_complete(*, assessment: ImpactAssessment, by, access: Access) -> ImpactAssessment:
    """Score the answers and freeze the assessment; a completed one it supersedes is retired."""
    country = Country.objects.get(pk=assessment.country_id)
    role = require_writer(access, country)
    with country_context(country):
        locked = _editable(assessment)
        _answers(locked.answers, complete=True)
        result = questionnaire.score(locked.answers, version=locked.questionnaire_version)
        locked.raw_score, locked.mitigation_score = result.raw, result.mitigation
        locked.impact_level, locked.category, locked.obligations = result.level, result.category, result.obligations
        locked.status = ImpactAssessment.Status.COMPLETED
        locked.completed_at = locked.updated_at = timezone.now()
        locked.completed_by = by
        locked.review_by = assessment_next_review(timezone.localdate())
        locked.save()
        if locked.supersedes_id:
            previous = ImpactAssessment.objects.select_for_update().get(pk=locked.supersedes_id)
            if previous.status == ImpactAssessment.Status.COMPLETED:
                previous.status = ImpactAssessment.Status.SUPERSEDED
                previous.save(update_fields=["status"])
            # A new assessment is the review of the one it replaces: its review notices are done.
            inbox.notifications_clear(country=country, url=assessment_url(previous, country))
        event_record(
            country=country,
            action="assessment.completed",
            actor=by,
            actor_role=role,
            target=locked,
            payload={"level": result.level, "category": result.category, "supersedes": locked.supersedes_id or 0},
        )
    return locked


def assessment_next_review(today: dt.date) -> dt.date:
    months = int(getattr(settings, "ASSESSMENT_REVIEW_MONTHS", 12))
    return today + timedelta(days=round(months * 365 / 12))


def assessment_url(assessment: ImpactAssessment, country: Country) -> str:
    return reverse("governance:assessment", kwargs={"code": country.code.lower(), "pk": assessment.pk})


@transaction.atomic
def assessment_review_record(*, assessment: ImpactAssessment, by, access: Access) -> ImpactAssessment:
    """Record that a completed assessment was reviewed and still describes its use: its review
    date moves on, and the notices asking for the review are done."""
    country = Country.objects.get(pk=assessment.country_id)
    role = require_writer(access, country)
    with country_context(country):
        locked = ImpactAssessment.objects.select_for_update().get(pk=assessment.pk)
        if locked.status != ImpactAssessment.Status.COMPLETED:
            raise ServiceError(
                _("Only a completed assessment that is still in force can be reviewed; this one is not.")
            )
        locked.reviewed_at = timezone.now()
        locked.review_by = assessment_next_review(timezone.localdate())
        locked.review_reminded_at = None
        locked.save(update_fields=["reviewed_at", "review_by", "review_reminded_at"])
        inbox.notifications_clear(country=country, url=assessment_url(locked, country))
        event_record(
            country=country,
            action="assessment.reviewed",
            actor=by,
            actor_role=role,
            target=locked,
            payload={"review_by": locked.review_by.isoformat()},
        )
    return locked


# --- Frameworks and controls -----------------------------------------------------------------------


def require_open(requirement: Requirement) -> None:
    """Statuses and evidence go on assessable requirements of a framework's current version; an
    earlier version stays as it was, readable."""
    framework = Framework.objects.get(pk=requirement.framework_id)  # as it is now, not as cached
    if not framework.is_current:
        raise ServiceError(
            _("This is version %(version)s of %(name)s, kept for the record: work on the current version.")
            % {"version": framework.version, "name": framework.name}
        )
    if not requirement.assessable:
        raise ServiceError(_("This is a heading that groups requirements: set statuses on the requirements under it."))


@transaction.atomic
def requirement_status_set(
    *,
    country: Country,
    requirement: Requirement,
    by,
    access: Access,
    status: str,
    owner: Membership | None = None,
    note: str = "",
) -> RequirementStatus:
    role = require_writer(access, country)
    require_open(requirement)
    if status not in RequirementStatus.Status.values:
        raise ServiceError(_("Choose a status from the list."), field="status")
    if owner is not None and owner.country_id != country.pk:
        raise ServiceError(_("Choose an owner among this country's members."), field="owner")
    note = (note or "").strip()
    if len(note) > 2000:
        raise ServiceError(_("The note must be 2,000 characters or fewer."), field="note")
    with country_context(country):
        row, _created = RequirementStatus.objects.select_for_update().get_or_create(
            country=country, requirement=requirement
        )
        previous = row.status
        row.status, row.owner, row.note = status, owner, note
        row.updated_at, row.updated_by = timezone.now(), by
        row.save()
        event_record(
            country=country,
            action="control.status_set",
            actor=by,
            actor_role=role,
            target=row,
            payload={
                "requirement": requirement.code,
                "from": previous,
                "to": status,
                "owner": owner.pk if owner else 0,
            },
        )
    return row
