"""Country data keys and re-encryption sweeps, exports, exits, erasures and subject-access exports."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy, pgettext_lazy

from tenants.jobs.steps import StepText, step_text
from tenants.keys.fields import EncryptedTextField
from tenants.models import SealedTenantModel, TenantModel


class CountryKey(TenantModel):
    """A country's data key, wrapped by the master key. Destroying it (crypto-shredding) empties
    `wrapped_key`: every value sealed under it becomes unreadable for good."""

    writable_after_exit = True

    class State(models.TextChoices):
        ACTIVE = "active", pgettext_lazy("key state", "Active")
        RETIRED = "retired", gettext_lazy("Retired (still opens older values)")
        DESTROYED = "destroyed", gettext_lazy("Destroyed")

    key_id = models.CharField(max_length=16)
    wrapped_key = models.BinaryField(blank=True)
    master_key_id = models.CharField(max_length=16)
    state = models.CharField(max_length=10, choices=State.choices, default=State.ACTIVE)
    created_at = models.DateTimeField(default=timezone.now)
    retired_at = models.DateTimeField(null=True, blank=True)
    destroyed_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        verbose_name = gettext_lazy("country key")
        verbose_name_plural = gettext_lazy("country keys")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["country", "key_id"], name="tenants_key_country_keyid_uniq"),
            models.UniqueConstraint(
                fields=["country"], condition=models.Q(state="active"), name="tenants_key_one_active_per_country"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key_id} ({self.state})"


class KeyRotation(TenantModel):
    """A re-encryption sweep after a country's data key was rotated: resumable, with progress."""

    class State(models.TextChoices):
        PENDING = "pending", gettext_lazy("Pending")
        RUNNING = "running", gettext_lazy("Running")
        DONE = "done", gettext_lazy("Done")
        FAILED = "failed", gettext_lazy("Failed")

    to_key_id = models.CharField(max_length=16)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    # Where the sweep has got to: resumes after this model and row id.
    position_model = models.CharField(max_length=100, blank=True)
    position_pk = models.BigIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        verbose_name = gettext_lazy("key rotation")
        verbose_name_plural = gettext_lazy("key rotations")
        ordering = ["-created_at"]

    @property
    def percent(self) -> int:
        return 100 if self.total == 0 and self.state == self.State.DONE else int(100 * self.done / max(self.total, 1))


class CountryExport(StepText, TenantModel):
    """A full machine-readable export of everything a country owns, built by a worker. The file
    holds the country's data in the clear: it is kept only until `expires_at`."""

    writable_after_exit = True  # the exit's own export finishes, and expires, after the country left

    class State(models.TextChoices):
        PENDING = "pending", gettext_lazy("Waiting for a worker")
        RUNNING = "running", gettext_lazy("Being built")
        DONE = "done", gettext_lazy("Ready")
        FAILED = "failed", gettext_lazy("Failed")

    requested_by = models.ForeignKey("auth.User", on_delete=models.SET_NULL, null=True, related_name="+")
    for_exit = models.BooleanField(
        default=False, help_text=gettext_lazy("Made as the last step before the country leaves.")
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    step = models.CharField(max_length=200, blank=True, help_text=gettext_lazy("The code of the step under way."))
    step_params = models.JSONField(default=dict, db_default={}, blank=True)
    percent = models.PositiveSmallIntegerField(default=0)
    file_name = models.CharField(max_length=200, blank=True)
    size = models.BigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        verbose_name = gettext_lazy("country export")
        verbose_name_plural = gettext_lazy("country exports")
        ordering = ["-created_at"]
        # Target of the same-country key from the exit that made it.
        constraints = [models.UniqueConstraint(fields=["country", "id"], name="tenants_export_country_id_uniq")]


class CountryExit(StepText, SealedTenantModel):
    """A country leaving the programme, with four eyes: requested by one side (the country's admin or
    a platform admin) and confirmed by a person of the other side; then a waiting period the
    platform sets, during which either side can cancel; then the irreversible run: a last export,
    verified, handed to the country, and the destruction of its keys (tenants.keys.exit)."""

    writable_after_exit = True

    class State(models.TextChoices):
        REQUESTED = "requested", gettext_lazy("Waiting for the other side to confirm")
        CONFIRMED = "confirmed", gettext_lazy("Confirmed: waiting period")
        RUNNING = "running", gettext_lazy("Leaving: last export being made")
        FAILED = "failed", gettext_lazy("Stopped: can be run again or cancelled")
        EXITED = "exited", gettext_lazy("Left the programme")
        CANCELLED = "cancelled", pgettext_lazy("exit state", "Cancelled")

    class Side(models.TextChoices):
        COUNTRY = "country_admin", gettext_lazy("The country")
        PLATFORM = "platform", gettext_lazy("The platform")

    OPEN = (State.REQUESTED, State.CONFIRMED, State.RUNNING, State.FAILED)

    state = models.CharField(max_length=10, choices=State.choices, default=State.REQUESTED)
    reason = EncryptedTextField(
        gettext_lazy("reason"), help_text=gettext_lazy("Why the country leaves, as the side that asked put it.")
    )
    requested_by = models.ForeignKey("auth.User", on_delete=models.SET_NULL, null=True, related_name="+")
    requested_side = models.CharField(max_length=16, choices=Side.choices)
    requested_at = models.DateTimeField(default=timezone.now)
    confirmed_by = models.ForeignKey("auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    confirmed_side = models.CharField(max_length=16, choices=Side.choices, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    waiting_days = models.PositiveIntegerField(default=0)
    effective_at = models.DateTimeField(null=True, blank=True, help_text=gettext_lazy("From when it can be run."))
    run_by = models.ForeignKey("auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    run_side = models.CharField(max_length=16, choices=Side.choices, blank=True)
    run_reason = EncryptedTextField(
        gettext_lazy("reason for running it"), help_text=gettext_lazy("Why the irreversible step was taken now.")
    )
    run_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey("auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    cancelled_at = models.DateTimeField(null=True, blank=True)
    previous_status = models.CharField(
        max_length=20, blank=True, help_text=gettext_lazy("The country's status before it left.")
    )
    export = models.ForeignKey(CountryExport, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    step = models.CharField(max_length=200, blank=True, help_text=gettext_lazy("The code of the step under way."))
    step_params = models.JSONField(default=dict, db_default={}, blank=True)
    percent = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(
        max_length=500, blank=True, help_text=gettext_lazy("Why the run stopped: a code of tenants.jobs.steps.")
    )
    error_params = models.JSONField(default=dict, db_default={}, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        verbose_name = gettext_lazy("exit from the programme")
        verbose_name_plural = gettext_lazy("exits from the programme")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["country"],
                condition=models.Q(state__in=["requested", "confirmed", "running", "failed"]),
                name="tenants_exit_one_open_per_country",
            )
        ]

    def __str__(self) -> str:
        return f"Exit {self.pk} ({self.state})"

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN

    @property
    def error_text(self) -> str:
        """Why the run stopped, in the reader's language ("" if it did not)."""
        return step_text(self.error, self.error_params) if self.error else ""


class MemberErasure(SealedTenantModel):
    """One person's erasure from one country, with four eyes: asked by a country admin, confirmed
    (and so carried out) by another. Once done, the row names the person only by pseudonym: it
    keeps what was erased (counts per table, hashes of destroyed files) and the signed certificate."""

    class State(models.TextChoices):
        REQUESTED = "requested", gettext_lazy("Waiting for a second country admin")
        DONE = "done", gettext_lazy("Erased")
        CANCELLED = "cancelled", pgettext_lazy("erasure state", "Cancelled")

    state = models.CharField(max_length=10, choices=State.choices, default=State.REQUESTED)
    # Cleared once the erasure is done: then only the pseudonym names the person.
    subject = models.ForeignKey("auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    membership = models.ForeignKey(
        "tenants.Membership", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = EncryptedTextField(gettext_lazy("reason"))
    requested_by = models.ForeignKey("auth.User", on_delete=models.SET_NULL, null=True, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    confirmed_by = models.ForeignKey("auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey("auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    pseudonym = models.CharField(max_length=40, blank=True)
    account_closed = models.BooleanField(default=False)
    rows = models.JSONField(default=dict, blank=True, help_text=gettext_lazy("Rows changed, per table."))
    files_destroyed = models.JSONField(
        default=list, blank=True, help_text=gettext_lazy("SHA-256 of each destroyed file.")
    )
    certificate = models.TextField(blank=True, help_text=gettext_lazy("The signed certificate of erasure (JSON)."))
    certificate_signature = models.CharField(max_length=128, blank=True)

    class Meta(TenantModel.Meta):
        verbose_name = gettext_lazy("erasure of a person")
        verbose_name_plural = gettext_lazy("erasures of people")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["country", "subject"],
                condition=models.Q(state="requested"),
                name="tenants_erasure_one_open_per_person",
            )
        ]

    def __str__(self) -> str:
        return f"Erasure {self.pk} ({self.state})"


class SubjectAccessExport(TenantModel):
    """Everything one country holds about one person (a data-subject access request), built by a
    worker as a zip for the country admin to hand over. It is that person's data: it is destroyed
    when they are erased, and expires like any export."""

    writable_after_exit = True  # a read of what is left: the person may still ask after the exit

    class State(models.TextChoices):
        PENDING = "pending", gettext_lazy("Waiting for a worker")
        RUNNING = "running", gettext_lazy("Being built")
        DONE = "done", gettext_lazy("Ready")
        FAILED = "failed", gettext_lazy("Failed")

    subject = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="+")
    requested_by = models.ForeignKey("auth.User", on_delete=models.SET_NULL, null=True, related_name="+")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    file_name = models.CharField(max_length=200, blank=True, help_text=gettext_lazy("Its name in the default storage."))
    size = models.BigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        verbose_name = gettext_lazy("copy of a person's data")
        verbose_name_plural = gettext_lazy("copies of people's data")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Subject access {self.pk} ({self.state})"


class SealingWindow(models.Model):
    """A column that an upgrade turned from plain text into a sealed one (EncryptedTextField), while
    the release before it may still write plain values into it: the release that seals it and the
    one before run side by side during a rolling upgrade. While the window is open, a value of that
    column with no seal reads as the plain value the release before wrote; once `seal_plain_values`
    (or beat, SEALING_WINDOW_HOURS after it opened) has sealed what was left and closed it, a value
    with no seal is refused as altered again (tenants.keys.windows). Not a country's row: one per
    column, for the whole platform."""

    table = models.CharField(gettext_lazy("table"), max_length=63)
    column = models.CharField(gettext_lazy("column"), max_length=63)
    opened_at = models.DateTimeField(gettext_lazy("opened at"), default=timezone.now)
    opened_by = models.CharField(
        gettext_lazy("opened by"), max_length=200, help_text=gettext_lazy("The migration that sealed the column.")
    )
    closed_at = models.DateTimeField(gettext_lazy("closed at"), null=True, blank=True)
    sealed = models.PositiveIntegerField(gettext_lazy("values sealed when it closed"), default=0, db_default=0)
    emptied = models.PositiveIntegerField(
        gettext_lazy("values emptied when it closed"),
        default=0,
        db_default=0,
        help_text=gettext_lazy("Plain values of countries whose keys were destroyed when they left."),
    )

    class Meta:
        verbose_name = gettext_lazy("sealing window")
        verbose_name_plural = gettext_lazy("sealing windows")
        ordering = ["table", "column"]
        constraints = [models.UniqueConstraint(fields=["table", "column"], name="tenants_sealingwindow_column_uniq")]

    def __str__(self) -> str:
        return f"{self.table}.{self.column}"
