"""Tenant tables of training: each country's enrolments, module progress, quiz attempts,
certificates and its own requirements. Row-level security and same-country keys are set by the
migrations."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy

from tenants.keys.certificates import certificate_key, certificate_keys
from tenants.models import TenantModel

from .catalogue import CAPABILITIES, ROLES, SECTORS, Programme, ProgrammeVersion
from .local import CountryProgramme, CountryProgrammeVersion

CERTIFICATE_SALT = "training.certificate"


def certificate_signature(country_code: str, pk: int, *, key: str | None = None) -> str:
    """The tamper-evident part of a certificate code: an HMAC, under the certificate key of its own
    (tenants.keys.certificates, never SECRET_KEY), of its country and id, so a changed or invented
    code is detected without any database lookup."""
    return salted_hmac(
        CERTIFICATE_SALT, f"{country_code}:{pk}", secret=key or certificate_key(), algorithm="sha256"
    ).hexdigest()[:20]


def certificate_signature_matches(country_code: str, pk: int, signature: str) -> bool:
    """Whether `signature` is the code's under the current certificate key or one it replaced (its
    fallbacks): a certificate printed before a rotation still checks. Every key is tried."""
    found = False
    for key in certificate_keys():
        found |= hmac.compare_digest(certificate_signature(country_code, pk, key=key), signature)
    return found


# Exactly one of the two kinds of programme, with its version.
ONE_COURSE = models.Q(
    programme__isnull=False, version__isnull=False, local_programme__isnull=True, local_version__isnull=True
) | models.Q(programme__isnull=True, version__isnull=True, local_programme__isnull=False, local_version__isnull=False)


class CourseMixin:
    """What enrolments and certificates share: the programme and pinned version, whichever kind."""

    @property
    def course(self):
        return self.programme if self.programme_id else self.local_programme

    @property
    def pinned(self):
        return self.version if self.version_id else self.local_version


class Enrolment(CourseMixin, TenantModel):
    class Source(models.TextChoices):
        SELF = "self", gettext_lazy("Enrolled themselves")
        INDIVIDUAL = "individual", gettext_lazy("Enrolled by an admin")
        ROLE = "role", gettext_lazy("Enrolled with their role")
        ROSTER = "roster", gettext_lazy("Enrolled from a roster")

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", gettext_lazy("In progress")
        COMPLETED = "completed", gettext_lazy("Completed")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # Either a catalogue programme and version, or one of the country's own (see CourseMixin).
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    version = models.ForeignKey(ProgrammeVersion, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    local_programme = models.ForeignKey(
        CountryProgramme, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    local_version = models.ForeignKey(
        CountryProgrammeVersion, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.SELF)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.IN_PROGRESS)
    enrolled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    due_date = models.DateField(null=True, blank=True)
    enrolled_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    # A renewal: the enrolment whose certificate (expired, or expiring soon) this one renews. That one
    # stays, with its certificate, as the person's history; this one is their current enrolment.
    renews = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="renewal",
        verbose_name=gettext_lazy("renews"),
        help_text=gettext_lazy("The earlier enrolment whose certificate this one renews."),
    )
    current = models.BooleanField(
        gettext_lazy("current"),
        default=True,
        db_default=True,
        help_text=gettext_lazy("False once a renewal took its place: it is then the person's history."),
    )

    class Meta(TenantModel.Meta):
        verbose_name = gettext_lazy("enrolment")
        verbose_name_plural = gettext_lazy("enrolments")
        ordering = ["-enrolled_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["country", "id"], name="training_enrolment_country_id_uniq"),
            # One current enrolment per person and programme; the ones renewed stay beside it.
            models.UniqueConstraint(
                fields=["country", "user", "programme"],
                condition=models.Q(current=True),
                name="training_enrolment_user_prog_uniq",
            ),
            models.UniqueConstraint(
                fields=["country", "user", "local_programme"],
                condition=models.Q(current=True),
                name="training_enrolment_user_local_uniq",
            ),
            models.CheckConstraint(condition=ONE_COURSE, name="training_enrolment_one_course"),
        ]
        indexes = [models.Index(fields=["country", "status"], name="training_enr_status_idx")]

    def __str__(self) -> str:
        return f"{self.user} in {self.programme}"


class ModuleProgress(TenantModel):
    """A module of the pinned version that the person completed (its quiz passed)."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="progress")
    module = models.PositiveSmallIntegerField(
        help_text=gettext_lazy("Position of the module in the pinned version, from 0.")
    )
    completed_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        verbose_name = gettext_lazy("module passed")
        verbose_name_plural = gettext_lazy("modules passed")
        constraints = [
            models.UniqueConstraint(fields=["country", "enrolment", "module"], name="training_progress_uniq")
        ]


class QuizAttempt(TenantModel):
    """One submission of a module's quiz, scored on the server against the pinned version."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="attempts")
    module = models.PositiveSmallIntegerField()
    answers = models.JSONField()
    correct = models.PositiveSmallIntegerField()
    total = models.PositiveSmallIntegerField()
    passed = models.BooleanField()
    submitted_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        verbose_name = gettext_lazy("quiz attempt")
        verbose_name_plural = gettext_lazy("quiz attempts")
        ordering = ["-submitted_at", "-id"]
        indexes = [models.Index(fields=["country", "enrolment", "module"], name="training_attempt_enr_idx")]


class Certificate(CourseMixin, TenantModel):
    enrolment = models.OneToOneField(Enrolment, on_delete=models.PROTECT, related_name="certificate")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    version = models.ForeignKey(ProgrammeVersion, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    local_programme = models.ForeignKey(
        CountryProgramme, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    local_version = models.ForeignKey(
        CountryProgrammeVersion, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    issued_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        verbose_name = gettext_lazy("certificate")
        verbose_name_plural = gettext_lazy("certificates")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["country", "id"], name="training_certificate_country_id_uniq"),
            models.CheckConstraint(condition=ONE_COURSE, name="training_certificate_one_course"),
        ]
        indexes = [models.Index(fields=["country", "expires_at"], name="training_cert_expiry_idx")]

    def code_for(self, country_code: str) -> str:
        return f"{country_code}-{self.pk}-{certificate_signature(country_code, self.pk)}"

    @property
    def code(self) -> str:
        return self.code_for(self.country.code)

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()


class CountryRequirement(TenantModel):
    """A programme the country's people in `role` must hold, on top of the platform's."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=20, choices=ROLES)
    sector = models.CharField(max_length=20, choices=SECTORS, blank=True)
    capability = models.CharField(max_length=20, choices=CAPABILITIES, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        verbose_name = gettext_lazy("country training requirement")
        verbose_name_plural = gettext_lazy("country training requirements")
        ordering = ["role", "programme__title"]
        constraints = [
            models.UniqueConstraint(
                fields=["country", "programme", "role", "sector", "capability"], name="training_countryreq_uniq"
            )
        ]
