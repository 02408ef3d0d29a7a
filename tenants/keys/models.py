"""Country data keys and re-encryption sweeps."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from tenants.models import TenantModel


class CountryKey(TenantModel):
    """A country's data key, wrapped by the master key. Destroying it (crypto-shredding) empties
    `wrapped_key`: every value sealed under it becomes unreadable for good."""

    class State(models.TextChoices):
        ACTIVE = "active", "Active"
        RETIRED = "retired", "Retired (still opens older values)"
        DESTROYED = "destroyed", "Destroyed"

    key_id = models.CharField(max_length=16)
    wrapped_key = models.BinaryField(blank=True)
    master_key_id = models.CharField(max_length=16)
    state = models.CharField(max_length=10, choices=State.choices, default=State.ACTIVE)
    created_at = models.DateTimeField(default=timezone.now)
    retired_at = models.DateTimeField(null=True, blank=True)
    destroyed_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
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
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

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
        ordering = ["-created_at"]

    @property
    def percent(self) -> int:
        return 100 if self.total == 0 and self.state == self.State.DONE else int(100 * self.done / max(self.total, 1))


class CountryExport(TenantModel):
    """A full machine-readable export of everything a country owns, built by a worker. The file
    holds the country's data in the clear: it is kept only until `expires_at`."""

    class State(models.TextChoices):
        PENDING = "pending", "Waiting for a worker"
        RUNNING = "running", "Being built"
        DONE = "done", "Ready"
        FAILED = "failed", "Failed"

    requested_by = models.ForeignKey("auth.User", on_delete=models.SET_NULL, null=True, related_name="+")
    for_exit = models.BooleanField(default=False, help_text="Made as the last step before the country leaves.")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    step = models.CharField(max_length=200, blank=True)
    percent = models.PositiveSmallIntegerField(default=0)
    file_name = models.CharField(max_length=200, blank=True)
    size = models.BigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        ordering = ["-created_at"]
