"""What the gateway keeps in the portal's database: captured calls, only for environments whose
country turned capture on, sealed under the country's key and deleted after their retention."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy

from deployments.models import Environment
from tenants.keys.fields import EncryptedTextField
from tenants.models import SealedTenantModel, TenantModel


class CapturedCall(SealedTenantModel):
    environment = models.ForeignKey(Environment, on_delete=models.PROTECT, related_name="+")
    call_id = models.CharField(max_length=32)
    at = models.DateTimeField()
    endpoint = models.CharField(max_length=40)
    model = models.CharField(max_length=100)
    prompt = EncryptedTextField(gettext_lazy("prompt"))
    output = EncryptedTextField(gettext_lazy("output"))
    review = EncryptedTextField(gettext_lazy("human review reference"))
    tokens = models.BigIntegerField(default=0)
    outcome = models.CharField(max_length=20)
    expires_at = models.DateTimeField(help_text=gettext_lazy("Deleted from then on (the environment's retention)."))

    class Meta(TenantModel.Meta):
        verbose_name = gettext_lazy("captured call")
        verbose_name_plural = gettext_lazy("captured calls")
        ordering = ["-at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["country", "id"], name="gw_captured_country_id_uniq"),
            models.UniqueConstraint(fields=["environment", "call_id"], name="gw_captured_call_uniq"),
        ]
        indexes = [models.Index(fields=["country", "expires_at"], name="gw_captured_expiry_idx")]
