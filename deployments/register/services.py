"""Writes of the register: officers (and country admins) draft an entry for one of their country's
deployments and its later versions; only a country admin publishes a version or withdraws the
entry, with a reason the public sees. Every change is transactional and goes on the country's
chain; payloads carry ids and numbers, never the texts.

Names: the register shows roles, not people. Texts that name a member of the country, or a contact
address that is a member's own, are refused; the accountable person (the deployment's owner) may
choose to be named, and only they can make that choice."""

from __future__ import annotations

import hashlib
import re

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tenants.access import Access
from tenants.errors import NotAllowed, ServiceError
from tenants.isolation import country_context
from tenants.models import Country, Membership
from tenants.record.ledger import event_record
from tenants.record.reasons import reason_clean, reason_record

from ..models import DeploymentRequest
from .content import drawn_facts
from .models import RegisterEntry, RegisterVersion

S = DeploymentRequest.State
DRAFTABLE = frozenset({S.APPROVED, S.PROVISIONING, S.ACTIVE, S.SUSPENDED})
PUBLISHABLE = frozenset({S.ACTIVE})
WRITERS = frozenset({Membership.Role.COUNTRY_ADMIN, Membership.Role.OFFICER})
LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")
REQUIRED_MESSAGES = {
    "name": gettext_lazy(gettext_lazy("Give the system the name the public will know it by.")),
    "summary": gettext_lazy(gettext_lazy("Say what the system does, in plain words.")),
    "purpose": gettext_lazy(gettext_lazy("Say why it is used: the problem it helps with.")),
    "how_to_ask": gettext_lazy(
        gettext_lazy("Say how people can ask a question, ask for a person to review, or complain.")
    ),
    "accountable_role": gettext_lazy(gettext_lazy("Name the role that answers for the system (a role, not a person).")),
    "human_oversight": gettext_lazy(gettext_lazy("Say who reviews its outputs and how they can override it.")),
    "data_description": gettext_lazy(gettext_lazy("Describe the data it uses.")),
}


def _country(obj) -> Country:
    return Country.objects.get(pk=obj.country_id)


def _role(access: Access, country: Country, allowed: frozenset[str], doing: str) -> str:
    role = access.role_in(country.pk) or ""
    if role not in allowed:
        raise NotAllowed(doing)
    return role


def _writer(access: Access, country: Country) -> str:
    return _role(
        access, country, WRITERS, _("Only a country admin or an officer of this country can draft register entries.")
    )


def _admin(access: Access, country: Country, doing: str) -> str:
    return _role(access, country, frozenset({Membership.Role.COUNTRY_ADMIN}), doing)


def _people(country: Country) -> tuple[list[str], set[str]]:
    """The full names and the own email addresses of the country's members."""
    with country_context(country):
        users = [m.user for m in Membership.objects.filter(country=country).select_related("user")]
    names = {f"{u.first_name} {u.last_name}".strip() for u in users}
    names |= {u.get_full_name().strip() for u in users}
    return sorted(n for n in names if len(n) >= 5 and " " in n), {u.email.lower() for u in users if u.email}


def _named(text: str, names: list[str]) -> str:
    lowered = " ".join(text.lower().split())
    return next((n for n in names if re.search(rf"(?<!\w){re.escape(n.lower())}(?!\w)", lowered)), "")


def clean_texts(country: Country, texts: dict, *, language: str) -> dict:
    """The officers' texts, trimmed and checked; ServiceError names the field at fault."""
    language = (language or "").strip()
    if not LANGUAGE.match(language) or len(language) > 12:
        raise ServiceError(_("Enter the language of the texts as a tag such as fr, en or pt-BR."), field="language")
    unknown = set(texts) - set(RegisterVersion.TEXTS)
    if unknown:
        raise ServiceError(_("Unknown field: %(name)s.") % {"name": sorted(unknown)[0][:40]})
    names, emails = _people(country)
    clean = {}
    for field, limit in RegisterVersion.TEXTS.items():
        value = texts.get(field)
        value = "" if value is None else str(value).replace("\x00", "").strip()
        if not value and field not in RegisterVersion.OPTIONAL:
            raise ServiceError(str(REQUIRED_MESSAGES[field]), field=field)
        if len(value) > limit:
            raise ServiceError(_("Keep this under %(limit)s characters.") % {"limit": limit}, field=field)
        person = _named(value, names) if field not in ("contact_email", "website") else ""
        if person:
            raise ServiceError(
                _(
                    "This text names %(person)s. The register names roles, not people: write the role instead "
                    "(the accountable person can choose to be named on the entry's page)."
                )
                % {"person": person},
                field=field,
            )
        clean[field] = value
    if clean["contact_email"]:
        try:
            EmailValidator()(clean["contact_email"])
        except ValidationError:
            raise ServiceError(_("Enter a contact address like ia@ministere.gouv.fr."), field="contact_email") from None
        if clean["contact_email"].lower() in emails:
            raise ServiceError(
                _("This is a person's own address. Give a team or role mailbox the public can write to."),
                field="contact_email",
            )
    if clean["website"]:
        try:
            URLValidator(schemes=["https", "http"])(clean["website"])
        except ValidationError:
            raise ServiceError(_("Enter a full web address starting with https://."), field="website") from None
    return {**clean, "language": language}


def _event(country: Country, action: str, by, role: str, target, **payload) -> None:
    event_record(country=country, action=action, actor=by, actor_role=role, target=target, payload=payload)


@transaction.atomic
def register_entry_create(*, request: DeploymentRequest, by, access: Access, language: str, **texts) -> RegisterEntry:
    """Draft the register entry of an approved or running deployment (version 1, a draft)."""
    country = _country(request)
    role = _writer(access, country)
    clean = clean_texts(country, texts, language=language)
    with country_context(country):
        request = DeploymentRequest.objects.select_for_update().get(pk=request.pk)
        if request.state not in DRAFTABLE:
            raise ServiceError(
                _("Only an approved or running deployment can have a register entry; this one is %(state)s.")
                % {"state": request.get_state_display().lower()}
            )
        if RegisterEntry.objects.filter(request=request).exists():
            raise ServiceError(_("This deployment already has a register entry: open it to draft a new version."))
        entry = RegisterEntry.objects.create(country=country, request=request, created_by=by)
        version = RegisterVersion.objects.create(country=country, entry=entry, number=1, drafted_by=by, **clean)
        _event(country, "register.drafted", by, role, version, entry=entry.pk, version=1, request=request.pk)
    return entry


@transaction.atomic
def register_draft_save(
    *, version: RegisterVersion, by, access: Access, language: str, change_note: str = "", **texts
) -> RegisterVersion:
    country = _country(version)
    role = _writer(access, country)
    clean = clean_texts(country, texts, language=language)
    change_note = _change_note(country, change_note)
    with country_context(country):
        version = RegisterVersion.objects.select_for_update().get(pk=version.pk)
        if version.status != RegisterVersion.Status.DRAFT:
            raise ServiceError(_("This version is published and cannot change: draft a new version."))
        for field, value in clean.items():
            setattr(version, field, value)
        version.change_note, version.updated_at = change_note, timezone.now()
        version.save()
        _event(country, "register.draft_saved", by, role, version, entry=version.entry_id, version=version.number)
    return version


def _change_note(country: Country, text: str) -> str:
    text = " ".join(str(text or "").split())
    if len(text) > 500:
        raise ServiceError(_("Keep this under %(limit)s characters.") % {"limit": 500}, field="change_note")
    person = _named(text, _people(country)[0])
    if person:
        raise ServiceError(
            _("This text names %(person)s: the register names roles, not people.") % {"person": person},
            field="change_note",
        )
    return text


@transaction.atomic
def register_version_create(*, entry: RegisterEntry, by, access: Access) -> RegisterVersion:
    """A new draft version, starting from the latest version's texts."""
    country = _country(entry)
    role = _writer(access, country)
    with country_context(country):
        entry = RegisterEntry.objects.select_for_update().get(pk=entry.pk)
        versions = RegisterVersion.objects.filter(entry=entry)
        if versions.filter(status=RegisterVersion.Status.DRAFT).exists():
            raise ServiceError(_("This entry already has a draft version: edit it, or publish it first."))
        latest = versions.order_by("-number").first()
        version = RegisterVersion.objects.create(
            country=country,
            entry=entry,
            number=latest.number + 1,
            drafted_by=by,
            language=latest.language,
            **latest.texts(),
        )
        _event(
            country,
            "register.drafted",
            by,
            role,
            version,
            entry=entry.pk,
            version=version.number,
            request=entry.request_id,
        )
    return version


@transaction.atomic
def register_version_publish(*, version: RegisterVersion, by, access: Access, reason: str) -> RegisterVersion:
    """Publish a draft: the portal's facts are captured into it, the version it replaces is kept in
    the entry's public history, and the entry is public (again, if it had been withdrawn). The
    admin's reason is kept sealed beside the record (it is not published)."""
    country = _country(version)
    role = _admin(access, country, _("Only a country admin of this country can publish to the register."))
    reason = reason_clean(reason)
    with country_context(country):
        version = RegisterVersion.objects.select_for_update().get(pk=version.pk)
        entry = RegisterEntry.objects.select_for_update().get(pk=version.entry_id)
        request = DeploymentRequest.objects.select_related("organisation", "model").get(pk=entry.request_id)
        if version.status != RegisterVersion.Status.DRAFT:
            raise ServiceError(_("This version is already published."))
        if request.state not in PUBLISHABLE:
            raise ServiceError(
                _("Only a deployment in service is published; this one is %(state)s.")
                % {"state": request.get_state_display().lower()}
            )
        # The texts are checked again: a member's name may have become a name since the draft.
        clean_texts(country, version.texts(), language=version.language)
        if version.number > 1 and not version.change_note:
            raise ServiceError(
                _("Say what changed since the last version: the public sees it in the history."), field="change_note"
            )
        now = timezone.now()
        replaced = RegisterVersion.objects.filter(entry=entry, status=RegisterVersion.Status.PUBLISHED)
        replaced_number = replaced.values_list("number", flat=True).first() or 0
        replaced.update(status=RegisterVersion.Status.SUPERSEDED)
        version.drawn = drawn_facts(country=country, request=request)
        version.status, version.published_at, version.published_by = RegisterVersion.Status.PUBLISHED, now, by
        version.save()
        entry.state = RegisterEntry.State.PUBLISHED
        entry.public_name, entry.public_language = version.name, version.language
        entry.first_published_at = entry.first_published_at or now
        entry.last_published_at = now
        entry.withdrawn_at, entry.withdrawal_reason = None, ""
        entry.save()
        _event(
            country,
            "register.published",
            by,
            role,
            version,
            entry=entry.pk,
            version=version.number,
            replaces=replaced_number,
            request=request.pk,
            **reason_record(country=country, action="register.published", target=version, by=by, reason=reason),
        )
    return version


@transaction.atomic
def register_entry_withdraw(*, entry: RegisterEntry, by, access: Access, reason: str) -> RegisterEntry:
    """Take a published entry out of the register; the public then sees its name, its dates and
    the reason only."""
    country = _country(entry)
    role = _admin(access, country, _("Only a country admin of this country can withdraw a register entry."))
    reason = " ".join(str(reason or "").split())
    if not reason:
        raise ServiceError(_("Give the reason: the public sees it in place of the entry."), field="reason")
    if len(reason) > 1000:
        raise ServiceError(_("Keep this under %(limit)s characters.") % {"limit": 1000}, field="reason")
    person = _named(reason, _people(country)[0])
    if person:
        raise ServiceError(
            _("This text names %(person)s: the register names roles, not people.") % {"person": person}, field="reason"
        )
    with country_context(country):
        entry = RegisterEntry.objects.select_for_update().get(pk=entry.pk)
        if entry.state != RegisterEntry.State.PUBLISHED:
            raise ServiceError(_("Only a published entry can be withdrawn."))
        entry.state, entry.withdrawn_at, entry.withdrawal_reason = RegisterEntry.State.WITHDRAWN, timezone.now(), reason
        entry.save()
        current = RegisterVersion.objects.filter(entry=entry, status=RegisterVersion.Status.PUBLISHED).first()
        _event(
            country,
            "register.withdrawn",
            by,
            role,
            entry,
            entry=entry.pk,
            version=current.number if current else 0,
            reason_sha256=hashlib.sha256(reason.encode()).hexdigest(),
        )
    return entry


@transaction.atomic
def register_contact_name(*, entry: RegisterEntry, by, access: Access, named: bool) -> RegisterEntry:
    """The accountable person (the deployment's owner) chooses to be named as the entry's public
    contact, or withdraws that choice; a country admin may also remove the name, never add it."""
    country = _country(entry)
    role = access.role_in(country.pk) or ""
    with country_context(country):
        entry = RegisterEntry.objects.select_for_update().select_related("request").get(pk=entry.pk)
        is_owner = entry.request.owner_id == by.pk and role in (*WRITERS, Membership.Role.VIEWER)
        if named and not is_owner:
            raise NotAllowed(_("Only the person accountable for this deployment can choose to be named."))
        if not named and not (is_owner or entry.named_contact_id == by.pk or role == Membership.Role.COUNTRY_ADMIN):
            raise NotAllowed(_("Only the person named, or a country admin, can remove the name."))
        entry.named_contact, entry.named_contact_at = (by, timezone.now()) if named else (None, None)
        entry.save(update_fields=["named_contact", "named_contact_at"])
        _event(
            country, "register.contact_named" if named else "register.contact_unnamed", by, role, entry, entry=entry.pk
        )
    return entry
