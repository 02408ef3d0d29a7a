"""A person's erasure from one country (the right to erasure), with four eyes: a country admin asks,
a second country admin confirms, and the erasure is carried out at once, in one transaction.

What happens to the person, in this country (tables found through tenants.keys.holdings):
- their own words and contact details (registered personal text) are emptied;
- rows that exist only for them (messages, subscriptions) are deleted, and so are files about them
  (data-subject exports), through the storage API;
- their membership is removed: they lose access to the country;
- every other row keeps its history but names them by a pseudonym (erased-<random hex>): if they
  belong to no other country (and have no platform role) their account itself is closed in place
  (names, email and password gone, inactive, renamed to the pseudonym); otherwise the account stays
  for the other countries and this country's rows are moved to a new, inactive pseudonymous one;
- on the ledger, whose hashes cover the account id but not the displayed name, the name shown for
  them (actor_label) is replaced by the pseudonym (database function portal_ledger_relabel): every
  chain still verifies, and payloads never held personal data;
- their API tokens and sessions are revoked (tenants.identity.revocation.person_access_revoke).

A certificate of erasure, signed with the portal's key, names them only by pseudonym and states
what was erased; it is kept with the erasure and mailed to the person (the mail is wiped once sent)."""

from __future__ import annotations

import json
import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from guardian.models import UserObjectPermission

from tenants import files
from tenants.access import Access, memberships_of
from tenants.errors import NotAllowed, ServiceError
from tenants.identity.models import PasswordResetRequest
from tenants.identity.revocation import person_access_revoke
from tenants.isolation import country_context, reading_context
from tenants.keys import holdings
from tenants.keys.models import MemberErasure
from tenants.languages.choice import language_for_user
from tenants.models import Country, Membership
from tenants.notifications.mail import mail_enqueue, per_reader
from tenants.notifications.models import OutgoingMail
from tenants.notifications.services import notify
from tenants.record import signing
from tenants.record.chaining import chain_lock
from tenants.record.ledger import canonical_bytes, event_record
from tenants.record.models import CountryEvent, PlatformEvent
from tenants.record.reasons import reason_clean, reason_record, reasons_on_record

COUNTRY_ADMIN = Membership.Role.COUNTRY_ADMIN.value
PSEUDONYM_PREFIX = "erased-"
REASON_MAX = 2000
DONE_FIELDS = [
    *("state", "confirmed_by", "confirmed_at", "pseudonym", "account_closed", "rows", "files_destroyed"),
    *("subject", "membership", "certificate", "certificate_signature"),
]
CERTIFICATE_STATEMENT = (
    "The personal data of the person named here by pseudonym, held in this country's part of the "
    "portal, was erased: their contact details and their own words were emptied, the rows kept only "
    "for them and the files about them were destroyed, every other record names them by this "
    "pseudonym, and their sign-ins were revoked. The record of activity still verifies."
)


def _require_admin(access: Access | None, country: Country) -> None:
    if access is None or not access.is_country_admin(country.pk):
        raise NotAllowed(
            _("Only a country admin of %(name)s can erase a person's data.") % {"name": country.display_name}
        )


def _admins_url(country: Country) -> str:
    return f"/c/{country.code.lower()}/members/"


@transaction.atomic
def member_erasure_request(*, membership: Membership, by, access: Access | None, reason: str = "") -> MemberErasure:
    country = membership.country
    _require_admin(access, country)
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX:
        raise ServiceError(_("Keep the reason under %(n)d characters.") % {"n": REASON_MAX}, field="reason")
    with country_context(country):
        if MemberErasure.objects.filter(subject_id=membership.user_id, state=MemberErasure.State.REQUESTED).exists():
            raise ServiceError(_("An erasure of this person is already waiting for a second country admin."))
        erasure = MemberErasure.objects.create(
            country=country, subject_id=membership.user_id, membership=membership, requested_by=by, reason=reason
        )
        payload: dict[str, Any] = {"member": membership.pk}
        if reason:
            # On the record as every reason is: sealed in its own row, named by id with its digest.
            payload.update(
                reason_record(
                    country=country,
                    action="member.erasure_requested",
                    target=erasure,
                    by=by,
                    reason=reason,
                    field="reason",
                )
            )
        event_record(
            country=country,
            action="member.erasure_requested",
            actor=by,
            actor_role=COUNTRY_ADMIN,
            target=erasure,
            payload=payload,
        )
        others = get_user_model().objects.filter(
            pk__in=Membership.objects.filter(role=COUNTRY_ADMIN, status=Membership.Status.ACTIVE)
            .exclude(user_id__in=[by.pk, membership.user_id])
            .values("user_id"),
            is_active=True,
        )
        notify(
            users=others,
            country=country,
            subject=per_reader(
                lambda: _("A person's erasure in %(name)s waits for your confirmation") % {"name": country.display_name}
            ),
            body=gettext_lazy("A second country admin must confirm it before anything is erased."),
            url=f"{_admins_url(country)}{membership.pk}/erasure/",
        )
    return erasure


def erasure_reason(erasure: MemberErasure) -> MemberErasure:
    """Give the erasure the reason of its request from the record (`reason_shown`:
    tenants.record.reasons.ReasonOnRecord, opened and checked against the digest its event carries;
    None when none was given): what its pages and the API show, never the copy in its own row."""
    with reading_context(erasure.country_id):
        shown = reasons_on_record(country=erasure.country, target=erasure, actions=("member.erasure_requested",))
    erasure.reason_shown = shown.get("member.erasure_requested")
    return erasure


@transaction.atomic
def member_erasure_cancel(*, erasure: MemberErasure, by, access: Access | None, reason: str) -> MemberErasure:
    """Stop an erasure that waits for its second admin, with the reason given (kept sealed beside
    the record)."""
    country = erasure.country
    _require_admin(access, country)
    reason = reason_clean(reason)
    with country_context(country):
        erasure = MemberErasure.objects.select_for_update().get(pk=erasure.pk)
        if erasure.state != MemberErasure.State.REQUESTED:
            raise ServiceError(_("This erasure is no longer waiting: it cannot be cancelled."))
        erasure.state, erasure.cancelled_by = MemberErasure.State.CANCELLED, by
        erasure.save(update_fields=["state", "cancelled_by"])
        event_record(
            country=country,
            action="member.erasure_cancelled",
            actor=by,
            actor_role=COUNTRY_ADMIN,
            target=erasure,
            payload={
                **reason_record(
                    country=country, action="member.erasure_cancelled", target=erasure, by=by, reason=reason
                )
            },
        )
    return erasure


def _closing(user, country: Country) -> bool:
    """Close the account only when nothing else needs it: no membership of another country, no
    platform role (partner manager, auditor, staff)."""
    elsewhere = set(memberships_of(user.pk)) - {country.pk}
    return not (elsewhere or user.is_superuser or user.is_staff or user.groups.exists())


def _close_account(user, pseudonym: str) -> None:
    user.username, user.first_name, user.last_name, user.email = pseudonym, "", "", ""
    user.is_active = user.is_staff = user.is_superuser = False
    user.set_unusable_password()
    user.save()
    user.groups.clear()
    user.user_permissions.clear()
    UserObjectPermission.objects.filter(user=user).delete()


def _relabel(country: Country | None, actor_id: int, pseudonym: str) -> int:
    """Replace the name shown for the person on a chain; the hashed fields are untouched."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT portal_ledger_relabel(%s, %s, %s)", [country.pk if country else None, actor_id, pseudonym]
            )
            return cursor.fetchone()[0]
    # SQLite demo mode: no trigger guards the chain there.
    events = CountryEvent.objects.filter(country_id=country.pk) if country else PlatformEvent.objects.all()
    return events.filter(actor_id=actor_id).exclude(actor_label=pseudonym).update(actor_label=pseudonym)


def _add(counts: dict[str, int], label: str, n: int) -> None:
    if n:
        counts[label] = counts.get(label, 0) + n


def _erase_rows(country: Country, subject) -> tuple[dict[str, int], list[str]]:
    """Empty their words, delete their rows and files, remove their membership. Inside the
    country's context. Returns the rows changed per table and the SHA-256 of destroyed files."""
    counts: dict[str, int] = {}
    destroyed: list[str] = []
    for text in holdings.personal_texts():
        queryset = text.model.objects.filter(country_id=country.pk, **{text.author: subject})
        _add(counts, text.label, queryset.update(**dict.fromkeys(text.fields, "")))
    for kind in holdings.stored_files():
        if not kind.personal_to:
            continue
        rows = list(kind.model.objects.filter(country_id=country.pk, **{kind.personal_to: subject}))
        for row in rows:
            name = kind.name(row)
            recorded = getattr(row, kind.sha256_field, "") if kind.sha256_field else ""
            if files.file_delete(name):
                destroyed.append(recorded or name.rsplit("/", 1)[-1])
        # A file about the person is its row's reason to be: both go.
        _add(counts, kind.label, kind.model.objects.filter(pk__in=[r.pk for r in rows]).delete()[0])
    for personal in holdings.personal_rows():
        queryset = personal.model.objects.filter(country_id=country.pk, **{personal.person: subject})
        _add(counts, personal.label, queryset.delete()[0])
    _add(counts, "tenants.Membership", Membership.objects.filter(country_id=country.pk, user=subject).delete()[0])
    return counts, destroyed


def _repoint(country: Country, subject, stand_in, counts: dict[str, int]) -> None:
    """Every row of the country that names the person names the stand-in instead."""
    for model, keys in holdings.person_links():
        for key in keys:
            moved = model.objects.filter(country_id=country.pk, **{key.name: subject}).update(**{key.name: stand_in})
            _add(counts, model._meta.label, moved)


def _certificate(erasure: MemberErasure, event: CountryEvent, country: Country) -> tuple[str, str]:
    document: dict[str, Any] = {
        "certificate": "erasure",
        "version": 1,
        "country": country.code,
        "country_name": country.name,
        "pseudonym": erasure.pseudonym,
        "requested_at": erasure.requested_at.isoformat(),
        "erased_at": erasure.confirmed_at.isoformat(),
        "account": "closed" if erasure.account_closed else "removed from this country",
        "rows": erasure.rows,
        "files_destroyed": erasure.files_destroyed,
        "ledger": {"chain": country.code, "sequence": event.sequence, "hash": event.hash},
        "key_id": signing.public_key_id(),
        "statement": CERTIFICATE_STATEMENT,
    }
    text = canonical_bytes(document).decode("utf-8")
    return text, signing.sign(text.encode("utf-8"))


def erasure_certificate_valid(certificate: str, signature: str) -> bool:
    """Whether a certificate of erasure is the portal's, unaltered: under the key it names, which
    signed it when it says (a certificate signed before the ledger key's rotation still checks)."""
    try:
        document = json.loads(certificate)
    except ValueError:
        return False
    if not isinstance(document, dict):
        return False
    return signing.document_signature_valid(
        certificate.encode("utf-8"), signature, key_id=document.get("key_id"), signed_at=document.get("erased_at")
    )


@transaction.atomic
def member_erasure_confirm(*, erasure: MemberErasure, by, access: Access | None) -> MemberErasure:
    """The second country admin confirms: the person is erased now."""
    country = erasure.country
    _require_admin(access, country)
    User = get_user_model()
    with country_context(country):
        erasure = MemberErasure.objects.select_for_update().get(pk=erasure.pk)
        if erasure.state != MemberErasure.State.REQUESTED:
            raise ServiceError(_("This erasure is no longer waiting for a confirmation."))
        if by.pk == erasure.requested_by_id:
            raise ServiceError(_("A second country admin must confirm: the one who asked cannot."))
        if by.pk == erasure.subject_id:
            raise ServiceError(_("A person cannot confirm their own erasure: another country admin must."))
        subject = User.objects.select_for_update().get(pk=erasure.subject_id)
        email = subject.email
        # The person is told in the language they read, known before their preferences are erased.
        language = language_for_user(subject)
        closing = _closing(subject, country)
        pseudonym = f"{PSEUDONYM_PREFIX}{secrets.token_hex(6)}"

        counts, destroyed = _erase_rows(country, subject)
        if closing:
            _close_account(subject, pseudonym)
            stand_in = subject
        else:
            stand_in = User(username=pseudonym, is_active=False)
            stand_in.set_unusable_password()
            stand_in.save()
            _repoint(country, subject, stand_in, counts)
        # The country chain's lock first: the chaining of another writer's events must not wait on
        # rows relabelled here while this transaction waits on that lock to chain the certificate's
        # event (a deadlock). The platform chain is not chained here, so its chaining only waits.
        chain_lock(country=country)
        relabelled = _relabel(country, subject.pk, pseudonym)
        if closing:
            relabelled += _relabel(None, subject.pk, pseudonym)
        revoked = person_access_revoke(user=subject)
        if closing and email:
            OutgoingMail.objects.filter(to=email, sent_at__isnull=True).delete()
            PasswordResetRequest.objects.filter(email__iexact=email).delete()

        now = timezone.now()
        erasure.state, erasure.confirmed_by, erasure.confirmed_at = MemberErasure.State.DONE, by, now
        erasure.pseudonym, erasure.account_closed = pseudonym, closing
        erasure.rows, erasure.files_destroyed = dict(sorted(counts.items())), destroyed
        erasure.subject, erasure.membership = None, None
        event = event_record(
            country=country,
            action="member.erased",
            actor=by,
            actor_role=COUNTRY_ADMIN,
            target=erasure,
            payload={
                "pseudonym": pseudonym,
                "account_closed": closing,
                "rows": sum(counts.values()),
                "files": len(destroyed),
                "relabelled": relabelled,
                "revoked": sum(revoked.values()),
            },
            chained=True,  # the certificate names the event's place on the chain
        )
        erasure.certificate, erasure.certificate_signature = _certificate(erasure, event, country)
        # Named fields only: the row's other keys may just have moved to the stand-in.
        erasure.save(update_fields=DONE_FIELDS)
        if email:
            with translation.override(language):
                erased_subject = _("Your personal data in %(name)s's programme was erased") % {
                    "name": country.display_name
                }
                erased_body = _(
                    "Your personal data held in %(name)s's part of the portal was erased. The record now "
                    "names you as %(pseudonym)s. Your certificate of erasure, signed by the portal, follows; "
                    "check it with the public key at /.well-known/ledger-key.pem.\n\n%(certificate)s\n\n"
                    "Signature (Ed25519, base64): %(signature)s\n"
                ) % {
                    "name": country.display_name,
                    "pseudonym": pseudonym,
                    "certificate": json.dumps(json.loads(erasure.certificate), indent=2, ensure_ascii=False),
                    "signature": erasure.certificate_signature,
                }
            mail_enqueue(to=email, subject=erased_subject, body=erased_body)
    return erasure


def erasure_list(*, country: Country):
    return MemberErasure.objects.filter(country=country).select_related("requested_by", "confirmed_by")


def erasure_get(*, country: Country, pk) -> MemberErasure | None:
    try:
        return erasure_list(country=country).filter(pk=int(pk)).first()
    except (TypeError, ValueError):
        return None
