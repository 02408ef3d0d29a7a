"""The identity room's tables: API bearer tokens (only a SHA-256 of each is stored) and each
country's identity provider for single sign-on (its client secret sealed under the country's key)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants.keys.fields import EncryptedTextField
from tenants.models import Membership, Organisation, SealedTenantModel


class ApiToken(models.Model):
    """An expiring bearer token for the API. Only a SHA-256 of the token is stored.

    Two kinds: issued by POST /api/v1/auth/token/ (hours, the person's whole access), and personal
    tokens made on the account page (named, limited to some countries, read or read-write)."""

    class Kind(models.TextChoices):
        ISSUED = "issued", _("Issued at sign-in")
        PERSONAL = "personal", _("Personal access token")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.ISSUED, db_default=Kind.ISSUED)
    name = models.CharField(max_length=100, blank=True, db_default="")
    # Personal tokens: the ids of the countries the token may reach (never more than the person's
    # access at the time of the request). Empty for issued tokens, which reach what the person does.
    country_ids = models.JSONField(default=list, db_default=[], blank=True)
    read_only = models.BooleanField(default=False, db_default=False)
    # The country whose provider's multi-factor sign-in stood for the second factor of the session
    # that made the token (tenants.identity.policy): it covers that membership only, as it did there.
    vouched_country = models.ForeignKey(
        "tenants.Country", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The role the person held in that country then: the vouching covers it, not one given later.
    # Empty for tokens made before it was kept, which therefore do not stand for a country admin.
    vouched_role = models.CharField(max_length=20, blank=True, default="", db_default="")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Why its owner revoked it (their own words about their own token; not on the platform chain).
    revoke_reason = models.TextField(blank=True, db_default="")

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        indexes = [models.Index(fields=["user", "expires_at"], name="tenants_token_user_exp_idx")]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class IdentityProvider(SealedTenantModel):
    """A country's OpenID Connect provider. It signs people into this country only."""

    name = models.CharField(
        _("name"), max_length=120, help_text=_("What people see on the sign-in button, e.g. ProConnect.")
    )
    issuer = models.URLField(
        _("issuer"),
        max_length=300,
        help_text=_(
            "The provider's issuer URL; its discovery document is at <issuer>/.well-known/openid-configuration."
        ),
    )
    client_id = models.CharField(_("client id"), max_length=200)
    client_secret = EncryptedTextField(_("client secret"), secret=True)
    allowed_domains = models.JSONField(
        _("allowed email domains"), default=list, help_text=_("Only addresses in these domains may sign in.")
    )
    organisation_claim = models.CharField(_("organisation claim"), max_length=100, blank=True)
    organisation_map = models.JSONField(
        _("organisation mapping"), default=dict, blank=True, help_text=_("Claim value → organisation id.")
    )
    role_claim = models.CharField(_("role claim"), max_length=100, blank=True)
    role_map = models.JSONField(_("role mapping"), default=dict, blank=True, help_text=_("Claim value → role."))
    default_organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("default organisation"),
    )
    default_role = models.CharField(
        _("default role"), max_length=20, choices=Membership.Role.choices, default=Membership.Role.VIEWER
    )
    jit_enabled = models.BooleanField(
        _("create accounts on first sign-in"),
        default=False,
        help_text=_("Otherwise only people already added to the country can sign in with it."),
    )
    trust_provider_mfa = models.BooleanField(
        _("the provider's second factor counts"),
        default=False,
        help_text=_(
            "A sign-in the provider reports as multi-factor (amr or acr) needs no second factor here for the "
            "person's membership of this country; any other role they hold still asks for the portal's own."
        ),
    )
    mfa_acr_values = models.JSONField(_("acr values that mean multi-factor"), default=list, blank=True)
    # Vouching given before this moment no longer stands (tenants.identity.policy.vouch_standing):
    # moved on by every change that withdraws trust (trust or the provider turned off, an acr value
    # taken away, another issuer), so that trust given back later does not revive old vouching.
    vouching_since = models.DateTimeField(_("vouching counts from"), default=timezone.now, db_default=Now())
    enabled = models.BooleanField(_("enabled"), default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(SealedTenantModel.Meta):
        verbose_name = _("sign-in service")
        verbose_name_plural = _("sign-in services")
        constraints = [
            models.UniqueConstraint(fields=["country"], name="tenants_idp_one_per_country"),
            models.UniqueConstraint(fields=["country", "id"], name="tenants_idp_country_id_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.country_id})"

    @property
    def provider_id(self) -> str:
        """allauth's id of this provider, also the path of its sign-in URLs."""
        return f"gov-{self.country.code.lower()}"


class PasswordResetRequest(models.Model):
    """A password reset asked for an address, answered by a worker (tenants.identity.mails): the
    request that asks for it writes this row and its job and nothing else, whether the address has
    an account or not. The address waits here as a mail's waits in the mail outbox, and the row is
    deleted once answered (a mail to each account of the address, or nothing)."""

    email = models.CharField(max_length=254)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("password reset request")
        verbose_name_plural = _("password reset requests")
        indexes = [models.Index(fields=["created_at"], name="tenants_reset_created_idx")]

    def __str__(self) -> str:
        return f"Password reset request {self.pk}"
