"""Writes of the tenants app: organisations, members and invitations. Each is transactional,
checks the actor's role, and records an event on the country's chain."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tenants.access import Access, access_changed, access_for
from tenants.errors import NotAllowed, ServiceError
from tenants.identity.sso import foreign_provider_signs_in
from tenants.isolation import country_context
from tenants.jobs.outbox import outbox_enqueue
from tenants.languages.choice import language_keep
from tenants.languages.formatting import long_date
from tenants.models import Country, Invitation, Membership, Organisation, PlatformSettings
from tenants.record.ledger import event_record
from tenants.record.reasons import reason_clean, reason_record

User = get_user_model()
INVITATION_SALT = "portal.invitation"
# Separation of duties: oversight of a country and a membership of it are never held together.
OVERSIGHT_REFUSAL = gettext_lazy(
    "This person oversees %(country)s as its partner manager or auditor, and oversight cannot be "
    "combined with a membership of the same country. Ask a platform admin if their assignment should change."
)


def _require_country_admin(access: Access, country: Country) -> str:
    if not access.is_country_admin(country.pk):
        raise NotAllowed(_("Only a country admin of this country can do this."))
    return access.role_in(country.pk) or ""


# --- Organisations ---------------------------------------------------------------------------------


def organisation_kind_is_open(kind: str) -> bool:
    if kind in Organisation.ALWAYS_OPEN:
        return True
    return kind in set(PlatformSettings.load().open_organisation_kinds or [])


@transaction.atomic
def organisation_create(
    *, country: Country, by, access: Access, name: str, kind: str, acronym: str = ""
) -> Organisation:
    role = _require_country_admin(access, country)
    name = (name or "").strip()
    if not name:
        raise ServiceError(_("Enter the organisation's name."), field="name")
    if kind not in Organisation.Kind.values:
        raise ServiceError(_("Choose a kind of organisation from the list."), field="kind")
    if not organisation_kind_is_open(kind):
        raise ServiceError(
            _(
                "The programme is not yet open to {kind_label} organisations. Ministries and public agencies can join now; the platform will announce when others can."
            ).format(kind_label=Organisation.Kind(kind).label.lower()),
            field="kind",
        )
    with country_context(country):
        if Organisation.objects.filter(name__iexact=name).exists():
            raise ServiceError(
                _("{country_name} already has an organisation called {name}.").format(
                    country_name=country.display_name, name=name
                ),
                field="name",
            )
        organisation = Organisation.objects.create(
            country=country, name=name, kind=kind, acronym=(acronym or "").strip()
        )
        event_record(
            country=country,
            action="organisation.created",
            actor=by,
            actor_role=role,
            target=organisation,
            payload={"kind": kind},
        )
    return organisation


# --- Members and invitations ----------------------------------------------------------------------


def invitation_token(invitation: Invitation) -> str:
    return signing.dumps({"c": invitation.country_id, "i": invitation.pk, "n": invitation.nonce}, salt=INVITATION_SALT)


def invitation_link(invitation: Invitation) -> str:
    return f"{settings.PORTAL_BASE_URL.rstrip('/')}/accounts/invitation/{invitation_token(invitation)}/"


@transaction.atomic
def member_invite(
    *,
    country: Country,
    by,
    access: Access,
    email: str,
    first_name: str,
    last_name: str,
    organisation: Organisation,
    role: str,
    job_title: str = "",
) -> Membership:
    """Invite a person to a country. Everyone is invited, with or without an account: a person
    with an account accepts while signed in to it, anyone else gets an account that stays inactive
    until they accept and choose a password. Until then the country sees only what its admin typed,
    and the answer is the same whether the address has an account or not."""
    actor_role = _require_country_admin(access, country)
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ServiceError(_("Enter an email address in the form name@example.org."), field="email") from None
    if role not in Membership.Role.values:
        raise ServiceError(_("Choose a role: country admin, officer or viewer."), field="role")
    if organisation.country_id != country.pk:
        raise ServiceError(_("Choose one of this country's organisations."), field="organisation")
    first_name, last_name = (first_name or "").strip(), (last_name or "").strip()
    if not first_name or not last_name:
        raise ServiceError(_("Enter the person's first and last name."), field="first_name")
    accounts = list(User.objects.filter(email__iexact=email).order_by("pk"))
    # Separation of duties holds for the person, whichever of the address's accounts oversees.
    if any(country.pk in access_for(account).oversight_country_ids for account in accounts):
        raise ServiceError(OVERSIGHT_REFUSAL % {"country": country.display_name}, field="email")
    # The account the invitation is for: the address's first that no other country's provider signs
    # in to. One that another country's provider does is that country's word about the person, which
    # this country does not rely on (tenants.identity.sso): the invitation comes with an account of
    # its own, which the person takes up through the link, choosing a password.
    user = next((a for a in accounts if not foreign_provider_signs_in(a.pk, country)), None)
    if user is None:
        user = User(
            username=_free_username(email), email=email, first_name=first_name, last_name=last_name, is_active=False
        )
        user.set_unusable_password()
        user.save()
    with country_context(country):
        found = list(
            Membership.objects.filter(user__in={a.pk for a in accounts} | {user.pk}).select_related("invitation")
        )
        existing = next((m for m in found if m.user_id == user.pk), None) or next(iter(found), None)
        if existing is not None:
            invitation = getattr(existing, "invitation", None)
            pending = (
                existing.status == Membership.Status.INVITED
                and invitation is not None
                and invitation.accepted_at is None
            )
            # An invitation made before this rule to an account another country's provider signs in
            # to cannot be taken up (invitation_acceptance_refusal): it is sent again, for `user`.
            resend = pending and (
                invitation.expires_at <= timezone.now() or foreign_provider_signs_in(existing.user_id, country)
            )
            if not resend:
                raise _already_in(existing, invitation, email=email, country=country)
            # An invitation that expired unanswered is sent again, as now typed: a new link (the old
            # one no longer opens), a new expiry, the organisation and role chosen now.
            existing.organisation, existing.role, existing.job_title = organisation, role, (job_title or "").strip()
            previous_user_id, existing.user = existing.user_id, user
            existing.save(update_fields=["organisation", "role", "job_title", "user"])
            access_changed(user_ids=[previous_user_id, user.pk])
            invitation.nonce, invitation.invited_by, invitation.invited_email = secrets.token_hex(16), by, email
            invitation.invited_first_name, invitation.invited_last_name = first_name, last_name
            invitation.expires_at = timezone.now() + timedelta(days=settings.INVITATION_TTL_DAYS)
            invitation.sent_at = None
            invitation.save()
            existing.invitation = invitation
            return _invitation_sent(existing, action="member.reinvited", by=by, actor_role=actor_role)
        try:
            with transaction.atomic():
                membership = Membership.objects.create(
                    country=country,
                    user=user,
                    organisation=organisation,
                    role=role,
                    job_title=(job_title or "").strip(),
                    status=Membership.Status.INVITED,
                )
        except IntegrityError:
            raise ServiceError(
                _("%(email)s is already a member of %(country)s, or invited to it.")
                % {"email": email, "country": country.display_name},
                field="email",
            ) from None
        invitation = Invitation.objects.create(
            country=country,
            membership=membership,
            nonce=secrets.token_hex(16),
            invited_by=by,
            invited_email=email,
            invited_first_name=first_name,
            invited_last_name=last_name,
            expires_at=timezone.now() + timedelta(days=settings.INVITATION_TTL_DAYS),
        )
        membership.invitation = invitation
        return _invitation_sent(membership, action="member.invited", by=by, actor_role=actor_role)


def _already_in(membership: Membership, invitation, *, email: str, country: Country) -> ServiceError:
    """Why a person cannot be invited again, saying where they are: a member since a day (their
    page changes their role), or invited and not yet answered (until when the link holds)."""
    if membership.status == Membership.Status.INVITED and invitation is not None and invitation.accepted_at is None:
        message = _(
            "%(email)s was invited to %(country)s on %(date)s and has not answered yet: the invitation holds "
            "until %(until)s, and can be sent again once it has expired."
        ) % {
            "email": email,
            "country": country.display_name,
            "date": long_date(invitation.created_at),
            "until": long_date(invitation.expires_at),
        }
    elif membership.status == Membership.Status.ACTIVE:
        message = _(
            "%(email)s is already a member of %(country)s, since %(date)s: change their role on their page."
        ) % {"email": email, "country": country.display_name, "date": long_date(membership.created_at)}
    else:
        message = _("%(email)s is already a member of %(country)s, or invited to it.") % {
            "email": email,
            "country": country.display_name,
        }
    return ServiceError(message, field="email")


def _invitation_sent(membership: Membership, *, action: str, by, actor_role: str) -> Membership:
    """Record the invitation (new or sent again) and have a worker mail it (in the country's context)."""
    event_record(
        country=membership.country,
        action=action,
        actor=by,
        actor_role=actor_role,
        target=membership,
        payload={"role": membership.role, "organisation": membership.organisation_id},
    )
    outbox_enqueue(
        task="tenants.invitation_send", country_id=membership.country_id, invitation_id=membership.invitation.pk
    )
    return membership


def _free_username(email: str) -> str:
    base = email.split("@", 1)[0][:100] or "member"
    candidate, n = base, 1
    while User.objects.filter(username=candidate).exists():
        n += 1
        candidate = f"{base}{n}"
    return candidate


def invitation_send(*, invitation_id: int, country_id: int) -> bool:
    """Write the invitation's mail (run by a worker): it leaves through the mail outbox
    (tenants.notifications.mail), so a mail server outage delays it and never loses it. Returns
    False if there is nothing to send."""
    from tenants.languages.formatting import long_date
    from tenants.notifications.mail import mail_to_user

    with country_context(country_id):
        invitation = (
            Invitation.objects.select_related("membership__user", "membership__organisation", "country")
            .filter(pk=invitation_id, accepted_at__isnull=True)
            .first()
        )
        if invitation is None or not invitation.nonce:
            return False
        user = invitation.membership.user

        def subject() -> str:
            return _("You are invited to the {country} AI onboarding portal").format(
                country=invitation.country.display_name
            )

        def body() -> str:
            # Written in the invited person's language (their country's default until they choose),
            # not in the language of the admin who invited them.
            step = (
                _("Sign in to your account and accept the invitation here")
                if user.is_active
                else _("Choose your password here")
            )
            return _(
                "Hello {user_first_name},\n\nYou have been invited to join {organisation_name} on the Sovereign AI Onboarding Portal as {membership_get_role_display}.\n\n{step} (the link works until {invitation_expires_at}):\n{invitation_link_invitation}\n"
            ).format(
                user_first_name=invitation.invited_name or user.first_name,
                organisation_name=invitation.membership.organisation.name,
                membership_get_role_display=invitation.membership.get_role_display().lower(),
                step=step,
                invitation_expires_at=long_date(invitation.expires_at),
                invitation_link_invitation=invitation_link(invitation),
            )

        mail_to_user(user, subject=subject, body=body, country=invitation.country)
        Invitation.objects.filter(pk=invitation.pk).update(sent_at=timezone.now())
    return True


class InvitationAccepted(ServiceError):
    """The link's invitation was accepted already: its page says when, and leads to signing in."""

    def __init__(self, invitation: Invitation):
        self.accepted_at, self.country = invitation.accepted_at, invitation.country
        super().__init__(
            _("This invitation was accepted on {date}: the account it opened is ready. Sign in with it.").format(
                date=long_date(invitation.accepted_at)
            )
        )


def invitation_from_token(token: str) -> Invitation:
    """The pending invitation a link names, or ServiceError saying why the link cannot be used."""
    try:
        data = signing.loads(token, salt=INVITATION_SALT, max_age=timedelta(days=settings.INVITATION_TTL_DAYS))
        country_id, invitation_id, nonce = int(data["c"]), int(data["i"]), str(data["n"])
    except signing.SignatureExpired:
        raise ServiceError(_("This invitation has expired. Ask your country admin to invite you again.")) from None
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise ServiceError(_("This invitation link is not valid. Check that you copied all of it.")) from None
    with country_context(country_id):
        invitation = (
            Invitation.objects.select_related("membership__user", "membership__organisation", "country")
            .filter(pk=invitation_id)
            .first()
        )
        if invitation is not None and invitation.accepted_at:
            raise InvitationAccepted(invitation)
        if invitation is None or not nonce or invitation.nonce != nonce:
            raise ServiceError(_("This invitation has already been used or withdrawn. Sign in, or ask for a new one."))
        if invitation.expires_at <= timezone.now():
            raise ServiceError(_("This invitation has expired. Ask your country admin to invite you again."))
        return invitation


def invitation_acceptance_refusal(invitation: Invitation) -> str | None:
    """Why this invitation cannot be taken up by the account it is for, or None. An account another
    country's provider signs in to is that country's word about the person (tenants.identity.sso):
    a membership of this one is never held under it."""
    if foreign_provider_signs_in(invitation.membership.user_id, invitation.country):
        return _(
            "This invitation cannot be taken up by an account that another country's sign-in service signs "
            "you in to. Ask the country admin of %(country)s to invite you again: the new invitation comes "
            "with an account of its own."
        ) % {"country": invitation.country.display_name}
    return None


@transaction.atomic
def invitation_accept(*, token: str, password: str, language: str | None = None):
    """The invited person chooses their password: the account opens, the membership is in force,
    and `language` (what they read the invitation's page in) is kept as theirs unless they chose one."""
    invitation = invitation_from_token(token)
    user = invitation.membership.user
    if refusal := invitation_acceptance_refusal(invitation):
        raise ServiceError(refusal)
    if user.is_active:
        # The account exists and has its own password: only its owner, signed in, accepts.
        raise ServiceError(_("You already have an account. Sign in to it, then open the link again to accept."))
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ServiceError(" ".join(error.messages), field="password") from None
    with country_context(invitation.country_id):
        # Claim the link first, conditionally: of two accepts at once, only one changes the row.
        claimed = Invitation.objects.filter(pk=invitation.pk, nonce=invitation.nonce, accepted_at__isnull=True).update(
            accepted_at=timezone.now(), nonce=""
        )
        if not claimed:
            raise ServiceError(_("This invitation has already been used or withdrawn. Sign in, or ask for a new one."))
        user.set_password(password)
        user.is_active = True
        user.save(update_fields=["password", "is_active"])
        Membership.objects.filter(pk=invitation.membership_id).update(status=Membership.Status.ACTIVE)
        language_keep(user, language)
        access_changed(user_ids=[user.pk])
        event_record(
            country=invitation.country,
            action="member.joined",
            actor=user,
            actor_role=invitation.membership.role,
            target=invitation.membership,
        )
    return user


@transaction.atomic
def invitation_accept_signed_in(*, token: str, user, language: str | None = None):
    """A person who has an account accepts, signed in as that account (never another one); the
    language they accepted in is kept as theirs unless they chose one."""
    invitation = invitation_from_token(token)
    if invitation.membership.user_id != user.pk:
        raise ServiceError(_("This invitation is for another account. Sign out, then open the link again."))
    if invitation.country_id in access_for(user).oversight_country_ids:
        raise ServiceError(OVERSIGHT_REFUSAL % {"country": invitation.country.display_name})
    if refusal := invitation_acceptance_refusal(invitation):
        raise ServiceError(refusal)
    with country_context(invitation.country_id):
        claimed = Invitation.objects.filter(pk=invitation.pk, nonce=invitation.nonce, accepted_at__isnull=True).update(
            accepted_at=timezone.now(), nonce=""
        )
        if not claimed:
            raise ServiceError(_("This invitation has already been used or withdrawn. Sign in, or ask for a new one."))
        Membership.objects.filter(pk=invitation.membership_id).update(status=Membership.Status.ACTIVE)
        language_keep(user, language)
        access_changed(user_ids=[user.pk])
        event_record(
            country=invitation.country,
            action="member.joined",
            actor=user,
            actor_role=invitation.membership.role,
            target=invitation.membership,
        )
    return invitation


def _lock_admins_then(membership: Membership) -> Membership:
    """Lock the country's active admins (in id order, so two writers never deadlock), then the
    membership being changed: two admins demoting each other at once are serialised, and the
    second sees the first's change."""
    list(
        Membership.objects.select_for_update()
        .filter(role=Membership.Role.COUNTRY_ADMIN, status=Membership.Status.ACTIVE)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return Membership.objects.select_for_update().get(pk=membership.pk)


def _other_active_admins(membership: Membership) -> bool:
    return (
        Membership.objects.filter(role=Membership.Role.COUNTRY_ADMIN, status=Membership.Status.ACTIVE)
        .exclude(pk=membership.pk)
        .exists()
    )


@transaction.atomic
def member_change_role(*, membership: Membership, by, access: Access, role: str) -> Membership:
    country = membership.country
    actor_role = _require_country_admin(access, country)
    if role not in Membership.Role.values:
        raise ServiceError(_("Choose a role: country admin, officer or viewer."), field="role")
    with country_context(country):
        locked = _lock_admins_then(membership)
        if locked.role == role:
            return locked
        if locked.role == Membership.Role.COUNTRY_ADMIN and not _other_active_admins(locked):
            raise ServiceError(
                _("{country_name} must keep at least one country admin. Make someone else country admin first.").format(
                    country_name=country.display_name
                ),
                field="role",
            )
        previous = locked.role
        locked.role = role
        locked.save(update_fields=["role"])
        event_record(
            country=country,
            action="member.role_changed",
            actor=by,
            actor_role=actor_role,
            target=locked,
            payload={"from": previous, "to": role},
        )
    return locked


@transaction.atomic
def member_remove(*, membership: Membership, by, access: Access, reason: str) -> None:
    """Remove a person from the country, with the reason the admin gave (kept sealed beside the record)."""
    country = membership.country
    actor_role = _require_country_admin(access, country)
    reason = reason_clean(reason)
    with country_context(country):
        locked = _lock_admins_then(membership)
        if locked.role == Membership.Role.COUNTRY_ADMIN and not _other_active_admins(locked):
            raise ServiceError(
                _("{country_name} must keep at least one country admin. Make someone else country admin first.").format(
                    country_name=country.display_name
                )
            )
        event_record(
            country=country,
            action="member.removed",
            actor=by,
            actor_role=actor_role,
            target=locked,
            payload={
                "role": locked.role,
                "organisation": locked.organisation_id,
                **reason_record(country=country, action="member.removed", target=locked, by=by, reason=reason),
            },
        )
        Invitation.objects.filter(membership=locked).delete()
        locked.delete()
