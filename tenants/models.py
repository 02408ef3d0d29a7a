"""Countries (the tenants), their organisations and people, and API tokens."""

from __future__ import annotations

import functools

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import connection, models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tenants.country_state import READ_ONLY_STATUSES, writes_check
from tenants.isolation import TenantManager
from tenants.keys.fields import EncryptedTextField


class CountryQuerySet(models.QuerySet):
    def writable(self) -> CountryQuerySet:
        """Countries whose data may still change: not leaving the programme, not gone."""
        return self.exclude(status__in=READ_ONLY_STATUSES)


@functools.cache
def _time_zone_names() -> frozenset[str]:
    import zoneinfo

    return frozenset(zoneinfo.available_timezones())


def is_time_zone(name) -> bool:
    """Whether `name` is a time zone's name ("Europe/Paris"). Asked of the list of names, not of
    ZoneInfo(name): that reads the file the name points at, and a folder ("Europe"), a name too long
    for a file or a path raise errors of the file system instead of saying no."""
    return isinstance(name, str) and name in _time_zone_names()


def time_zone_validator(value: str) -> None:
    if not is_time_zone(value):
        raise ValidationError(
            _("“%(zone)s” is not a time zone. Write it as Region/City, e.g. Europe/Paris."), params={"zone": value}
        ) from None


class Country(models.Model):
    """A tenant. Not itself row-level secured: visibility of countries is decided by selectors
    (membership, or a partner-manager / auditor assignment held as a guardian object permission)."""

    class Status(models.TextChoices):
        PROSPECTIVE = "prospective", _("Prospective")
        ONBOARDING = "onboarding", _("Onboarding")
        ACTIVE = "active", pgettext_lazy("country status", "Active")
        SUSPENDED = "suspended", pgettext_lazy("country status", "Suspended")
        EXITING = "exiting", _("Leaving the programme")
        EXITED = "exited", _("Left the programme")

    class Region(models.TextChoices):
        EU_WEST = "eu-west", _("Europe (West)")
        EU_NORTH = "eu-north", _("Europe (North)")
        AF_EAST = "af-east", _("Africa (East)")
        SA_EAST = "sa-east", _("South America (East)")
        AP_SOUTH = "ap-south", _("Asia Pacific (South)")
        ME_CENTRAL = "me-central", _("Middle East (Central)")
        NA_EAST = "na-east", _("North America (East)")

    code = models.CharField(
        max_length=2,
        unique=True,
        validators=[RegexValidator(r"^[A-Z]{2}$", "Use the two capital letters of ISO 3166-1 alpha-2.")],
        help_text=_("ISO 3166-1 alpha-2 code, e.g. FR."),
    )
    name = models.CharField(max_length=100)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PROSPECTIVE)
    residency_region = models.CharField(
        _("data-residency region"), max_length=20, choices=Region.choices, default=Region.EU_WEST
    )
    default_language = models.CharField(
        max_length=12, default="en", help_text=_("BCP 47 language tag, e.g. fr, et, pt-BR.")
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default="UTC",
        db_default="UTC",
        help_text=_(
            "The IANA time zone its people read times in, e.g. Europe/Paris; each person may choose their own."
        ),
        validators=[time_zone_validator],
    )
    mfa_required = models.BooleanField(
        _("second factor for everyone"),
        default=False,
        db_default=False,
        help_text=_("Everyone of this country must use a second factor, not only its admins."),
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Bumped when the country's data keys are destroyed: every process checks it before using a key
    # it holds in memory (tenants.keys.envelope), so destruction takes effect at once everywhere.
    key_epoch = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    left_at = models.DateTimeField(null=True, blank=True, editable=False, help_text=_("When it left the programme."))

    objects = CountryQuerySet.as_manager()

    class Meta:
        verbose_name = _("country")
        verbose_name_plural = _("countries")
        ordering = ["name"]
        permissions = [
            ("manage_partnership", "Act as partner manager for this country"),
            ("audit_country", "Audit this country (read-only)"),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.code})"

    @property
    def display_name(self) -> str:
        """Its name in the reader's language (tenants.country_names); `name` is the row's."""
        from tenants.country_names import country_display_name

        return country_display_name(self.code, self.name)

    def clean(self) -> None:
        self.code = (self.code or "").upper()

    @property
    def read_only(self) -> bool:
        """Leaving or gone: its data is read, never changed (tenants.country_state)."""
        return self.status in READ_ONLY_STATUSES


class TenantModel(models.Model):
    """Base of every country-owned table: non-null country, scoped fail-closed manager, and
    (by migration) row-level security enabled and forced."""

    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="+")

    objects = TenantManager()

    class Meta:
        abstract = True
        base_manager_name = "objects"

    def save(self, *args, **kwargs):
        # A country that is leaving or has left is read-only, whichever door the write came in by
        # (page, API, task, shell). Queryset writes are held by TenantQuerySet, cascading deletes by
        # a pre_delete receiver (tenants.apps).
        writes_check(type(self), [self.country_id])
        return super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        writes_check(type(self), [self.country_id])
        return super().delete(*args, **kwargs)


class SealedTenantModel(TenantModel):
    """A tenant model with EncryptedTextFields. Their associated data names the row's id, so a new
    row takes its id from the sequence before it is written (PostgreSQL), or is written once
    without its sealed values and then sealed under its new id (SQLite demo mode)."""

    class Meta(TenantModel.Meta):
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None or not self._sealed_fields():
            return super().save(*args, **kwargs)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s))", [self._meta.db_table, self._meta.pk.column]
                )
                self.pk = cursor.fetchone()[0]
            kwargs["force_insert"] = True
            return super().save(*args, **kwargs)
        fields = self._sealed_fields()
        pending = {f.attname: self.__dict__.get(f.attname) for f in fields}
        for field in fields:
            self.__dict__[field.attname] = ""
        super().save(*args, **kwargs)
        self.__dict__.update(pending)
        kwargs.pop("force_insert", None)
        return super().save(update_fields=[f.attname for f in fields], using=kwargs.get("using"))

    def _sealed_fields(self) -> list[EncryptedTextField]:
        return [f for f in self._meta.concrete_fields if isinstance(f, EncryptedTextField)]


class PlatformSettings(models.Model):
    """Programme-wide switches a platform admin edits in the admin (one row)."""

    open_organisation_kinds = models.JSONField(
        default=list,
        blank=True,
        help_text=_(
            'Organisation kinds open to applications besides ministries and public agencies, e.g. ["public_partner", "non_profit"].'
        ),
    )
    exit_waiting_days = models.PositiveIntegerField(
        default=30,
        db_default=30,
        help_text=_(
            "Days between the confirmation of a country's exit (by its admin and a platform admin) and the moment its data can be exported for the last time and its keys destroyed. Either side can cancel until then."
        ),
    )
    dual_approval_quota = models.BigIntegerField(
        null=True,
        blank=True,
        help_text=_(
            "Engagements whose monthly token quota is above this need two distinct approvers. Empty: one approver is enough."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("platform settings")
        verbose_name_plural = _("platform settings")

    def __str__(self) -> str:
        return "Platform settings"

    @classmethod
    def load(cls) -> PlatformSettings:
        obj, _ = cls.objects.get_or_create(pk=1)
        return obj


class Organisation(TenantModel):
    class Kind(models.TextChoices):
        MINISTRY = "ministry", _("Ministry")
        PUBLIC_AGENCY = "public_agency", _("Public agency")
        PUBLIC_PARTNER = "public_partner", _("Public partner")
        NON_PROFIT = "non_profit", _("Non-profit")

    ALWAYS_OPEN = frozenset({Kind.MINISTRY, Kind.PUBLIC_AGENCY})

    name = models.CharField(max_length=200)
    acronym = models.CharField(max_length=20, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.MINISTRY)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        verbose_name = pgettext_lazy("kind of record", "organisation")
        verbose_name_plural = pgettext_lazy("kind of record", "organisations")
        ordering = ["name"]
        constraints = [
            # Target of the composite foreign keys that keep children in their parent's country.
            models.UniqueConstraint(fields=["country", "id"], name="tenants_org_country_id_uniq"),
            models.UniqueConstraint(fields=["country", "name"], name="tenants_org_country_name_uniq"),
        ]

    def __str__(self) -> str:
        return self.name


class Membership(SealedTenantModel):
    """A person's place in one country: their organisation and role there."""

    class Role(models.TextChoices):
        COUNTRY_ADMIN = "country_admin", _("Country admin")
        OFFICER = "officer", _("Officer")
        VIEWER = "viewer", _("Viewer")

    class Status(models.TextChoices):
        INVITED = "invited", _("Invited")
        ACTIVE = "active", pgettext_lazy("membership status", "Active")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.VIEWER)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    job_title = EncryptedTextField(_("job title"))
    # Contact details are personal data: sealed under the country's key.
    phone = EncryptedTextField(_("work phone"))
    contact_email = EncryptedTextField(
        _("contact email"), help_text=_("Where colleagues reach this person, if not the sign-in address.")
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["user__last_name", "user__first_name", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["country", "user"], name="tenants_membership_country_user_uniq"),
            models.UniqueConstraint(fields=["country", "id"], name="tenants_membership_country_id_uniq"),
        ]
        indexes = [models.Index(fields=["country", "organisation"], name="tenants_mem_country_org_idx")]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()}"

    @property
    def display_name(self) -> str:
        """The name to show. Until an invitation is accepted, only what the inviting admin typed:
        the account's own name would tell them who has an account."""
        if self.status == self.Status.INVITED:
            invitation = getattr(self, "invitation", None)
            if invitation is not None and (invitation.invited_name or invitation.invited_email):
                return invitation.invited_name or invitation.invited_email
            return ""
        return self.user.get_full_name() or self.user.username

    @property
    def invited_at(self):
        """When the invitation still waiting to be accepted was made (None for one never invited)."""
        invitation = getattr(self, "invitation", None)
        return invitation.created_at if invitation is not None else self.created_at

    @property
    def member_since(self):
        """When the person became a member: the invitation's acceptance, else the membership's making
        (a person added directly, or by the country's sign-in service)."""
        invitation = getattr(self, "invitation", None)
        accepted = invitation.accepted_at if invitation is not None else None
        return accepted or self.created_at

    @property
    def display_email(self) -> str:
        if self.status == self.Status.INVITED:
            invitation = getattr(self, "invitation", None)
            return invitation.invited_email if invitation is not None else ""
        return self.user.email

    def clean(self) -> None:
        if self.organisation_id and self.country_id and self.organisation.country_id != self.country_id:
            raise ValidationError({"organisation": _("The organisation belongs to another country.")})


class Invitation(SealedTenantModel):
    """A pending invitation. The emailed link is signed with the portal's secret over (country,
    invitation, nonce): the database alone cannot produce it, and accepting clears the nonce.
    It keeps the address and name the admin typed, which is all the country sees until the person
    accepts (sealed: personal data)."""

    membership = models.OneToOneField(Membership, on_delete=models.CASCADE, related_name="invitation")
    nonce = models.CharField(max_length=32, blank=True)
    invited_email = EncryptedTextField(_("address invited"), db_default="")
    invited_first_name = EncryptedTextField(_("first name typed by the inviting admin"), db_default="")
    invited_last_name = EncryptedTextField(_("last name typed by the inviting admin"), db_default="")

    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [models.UniqueConstraint(fields=["country", "id"], name="tenants_invitation_country_id_uniq")]

    def __str__(self) -> str:
        return f"Invitation {self.pk}"

    @property
    def invited_name(self) -> str:
        return f"{self.invited_first_name} {self.invited_last_name}".strip()
