"""Deployments: the platform's model catalogue, a country's deployment requests and their reviews,
the provisioning jobs, and the environments (with credentials and usage) they make."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.text import format_lazy
from django.utils.translation import gettext, gettext_lazy, pgettext_lazy

from engagements.models import Capability, Sector
from tenants.keys.fields import EncryptedTextField
from tenants.models import Country, Organisation, SealedTenantModel, TenantModel


class AIModel(models.Model):
    """A model in the platform catalogue (managed by platform admins, not by countries)."""

    class Status(models.TextChoices):
        AVAILABLE = "available", gettext_lazy("Available")
        RESTRICTED = "restricted", gettext_lazy("Restricted (by agreement only)")
        RETIRED = "retired", gettext_lazy("Retired")

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    provider = models.CharField(max_length=120, blank=True)
    description = models.TextField(blank=True)
    capabilities = models.JSONField(
        default=list,
        help_text=format_lazy(
            gettext_lazy("Among: {capability_values}."), capability_values=", ".join(Capability.values)
        ),
    )
    regions = models.JSONField(
        default=list, help_text=gettext_lazy("Hosting regions (the data-residency region values).")
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.AVAILABLE)
    eu_database_url = models.URLField(
        gettext_lazy("EU database entry"),
        max_length=500,
        blank=True,
        db_default="",
        help_text=gettext_lazy(
            "The URL of the provider's entry for this system in the EU database (EU AI Act Art. 49(1)), which public deployers in the EU cite when they register their use."
        ),
    )

    class Meta:
        verbose_name = gettext_lazy("AI model")
        verbose_name_plural = gettext_lazy("AI models")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


# The rate an approval allows when its approver sets none, and the most one may allow: the gateway
# keeps one entry per admitted call of the last minute (gateway/counters.py), so a rate is bounded.
DEFAULT_REQUESTS_PER_MINUTE = 600
MAX_REQUESTS_PER_MINUTE = 10_000
MAX_TOKENS = 10**12  # above any quota a deployment may ask or be given


class DeploymentRequest(SealedTenantModel):
    class State(models.TextChoices):
        DRAFT = "draft", gettext_lazy("Draft")
        SUBMITTED = "submitted", pgettext_lazy("deployment request state", "Submitted")
        IN_REVIEW = "in_review", gettext_lazy("In review")
        CHANGES_REQUESTED = "changes_requested", gettext_lazy("Changes requested")
        REJECTED = "rejected", pgettext_lazy("deployment request state", "Rejected")
        APPROVED = "approved", pgettext_lazy("deployment request state", "Approved")
        PROVISIONING = "provisioning", gettext_lazy("Provisioning")
        ACTIVE = "active", pgettext_lazy("deployment request state", "Active")
        SUSPENDED = "suspended", pgettext_lazy("deployment request state", "Suspended")
        DECOMMISSIONED = "decommissioned", gettext_lazy("Decommissioned")

    class Classification(models.TextChoices):
        PUBLIC = "public", gettext_lazy("Public")
        INTERNAL = "internal", gettext_lazy("Internal")
        CONFIDENTIAL = "confidential", gettext_lazy("Confidential")
        PERSONAL = "personal", gettext_lazy("Personal data")

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=200)
    purpose = EncryptedTextField(gettext_lazy("purpose"))
    sector = models.CharField(max_length=20, choices=Sector.choices)
    model = models.ForeignKey(AIModel, on_delete=models.PROTECT, related_name="+")
    capabilities = models.JSONField(default=list)
    region = models.CharField(max_length=20, choices=Country.Region.choices)
    data_classification = models.CharField(max_length=12, choices=Classification.choices)
    expected_monthly_tokens = models.BigIntegerField()
    assessment = models.ForeignKey(
        "governance.ImpactAssessment", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=gettext_lazy("The person accountable for the deployment once it runs."),
    )
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Who submitted it last: the gates check this person (and their own organisation) too.
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    state = models.CharField(max_length=20, choices=State.choices, default=State.DRAFT)
    # Fixed at submission from the assessment: decides how many distinct approvals are needed.
    risk_category = models.CharField(max_length=12, blank=True)
    review_round = models.PositiveIntegerField(default=0, help_text=gettext_lazy("Incremented at each submission."))
    # Conditions set on approval, carried into the environment.
    quota_tokens = models.BigIntegerField(null=True, blank=True)
    requests_per_minute = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=gettext_lazy("Calls a minute the approval allows the environment (set when it is approved)."),
    )
    expires_on = models.DateField(null=True, blank=True)
    human_review_required = models.BooleanField(default=False)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        verbose_name = gettext_lazy("deployment request")
        verbose_name_plural = gettext_lazy("deployment requests")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["country", "id"], name="dep_request_country_id_uniq")]
        indexes = [models.Index(fields=["country", "state", "submitted_at"], name="dep_request_state_idx")]

    @property
    def risk_category_label(self) -> str:
        """The risk category in words (the assessment's categories name them)."""
        from governance.models import ImpactAssessment

        labels = dict(ImpactAssessment.Category.choices)
        return str(labels.get(self.risk_category, self.risk_category))

    def __str__(self) -> str:
        return self.title

    @property
    def capability_labels(self) -> list:
        """The capabilities asked for, in the reader's language (the field holds their codes)."""
        labels = dict(Capability.choices)
        return [labels.get(code, code) for code in self.capabilities or []]


class DeploymentDecision(SealedTenantModel):
    """One partner manager's decision on one round of review. Approvals are unique per person and
    round, so two approvals of a high-risk request are two distinct people by construction."""

    class Decision(models.TextChoices):
        APPROVE = "approve", pgettext_lazy("deployment decision", "Approved")
        REJECT = "reject", pgettext_lazy("deployment decision", "Rejected")
        REQUEST_CHANGES = "request_changes", gettext_lazy("Changes requested")

    request = models.ForeignKey(DeploymentRequest, on_delete=models.PROTECT, related_name="decisions")
    review_round = models.PositiveIntegerField()
    decision = models.CharField(max_length=20, choices=Decision.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    comment = EncryptedTextField(gettext_lazy("comment"))
    at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        verbose_name = gettext_lazy("deployment decision")
        verbose_name_plural = gettext_lazy("deployment decisions")
        ordering = ["at", "id"]
        constraints = [models.UniqueConstraint(fields=["request", "review_round", "by"], name="dep_decision_once_uniq")]
        indexes = [models.Index(fields=["country", "request"], name="dep_decision_request_idx")]


class DeploymentMove(SealedTenantModel):
    """One move of a request through its lifecycle, a person's with the reason they gave or the
    worker's (no `by`): the request's own history (the ledger records the move without the words)."""

    request = models.ForeignKey(DeploymentRequest, on_delete=models.PROTECT, related_name="moves")
    action = models.CharField(max_length=20)
    from_state = models.CharField(max_length=20)
    to_state = models.CharField(max_length=20)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    comment = EncryptedTextField(gettext_lazy("comment"))
    at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        verbose_name = gettext_lazy("deployment move")
        verbose_name_plural = gettext_lazy("deployment moves")
        ordering = ["at", "id"]
        constraints = [models.UniqueConstraint(fields=["country", "id"], name="dep_move_country_id_uniq")]
        indexes = [models.Index(fields=["country", "request", "at"], name="dep_move_request_idx")]


class ProvisioningJob(TenantModel):
    """A unit of background work, unique by key so that a repeated trigger finds the same job."""

    class Kind(models.TextChoices):
        PROVISION = "provision", gettext_lazy("Provision")
        DECOMMISSION = "decommission", gettext_lazy("Decommission")

    class State(models.TextChoices):
        PENDING = "pending", gettext_lazy("Pending")
        RUNNING = "running", gettext_lazy("Running")
        DONE = "done", gettext_lazy("Done")
        FAILED = "failed", gettext_lazy("Failed")

    key = models.CharField(max_length=80, unique=True)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    request = models.ForeignKey(DeploymentRequest, on_delete=models.PROTECT, related_name="jobs")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    steps = models.JSONField(default=list, help_text=gettext_lazy("[{name, label, done_at}] in order."))
    attempts = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        verbose_name = gettext_lazy("provisioning job")
        verbose_name_plural = gettext_lazy("provisioning jobs")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["country", "id"], name="dep_job_country_id_uniq")]
        indexes = [models.Index(fields=["country", "request"], name="dep_job_request_idx")]

    @property
    def percent(self) -> int:
        total = len(self.steps) or 1
        return round(100 * sum(1 for s in self.steps if s.get("done_at")) / total)

    @classmethod
    def fresh_steps(cls, kind: str) -> list[dict]:
        """The steps of a new job of this kind, none done. The label is kept in English on the row;
        pages and the API show it in the reader's language (step_label)."""
        with translation.override("en"):
            return [{"name": name, "label": str(label), "done_at": None} for name, label in JOB_STEPS[kind]]


def job_failure(job: ProvisioningJob) -> str:
    """Why a failed job stopped, in the reader's language: the step it stopped at and, for a
    backend's refusal, the backend's own words (kept on the row as they came, for the operator)."""
    if job.state != ProvisioningJob.State.FAILED:
        return ""
    stopped = next((step for step in job.steps if not step.get("done_at")), None)
    if stopped is None:
        return gettext("The job stopped.")
    from tenants.jobs.sweep import TIMED_OUT

    if job.error == TIMED_OUT:  # ended by the sweep: no worker finished it after several chances
        return gettext(
            "Stopped at the step “%(step)s”: the job did not finish after several attempts (its worker stopped "
            "each time). Try the job again; if it stops again, tell the platform team."
        ) % {"step": step_label(job.kind, stopped)}
    if stopped["name"] == "gates":
        return gettext(
            "Stopped before provisioning: a gate was no longer met when the job ran. The gates on the request's "
            "page say which one and what to do."
        )
    return gettext("Stopped at the step “%(step)s”. What the provider answered: %(detail)s") % {
        "step": step_label(job.kind, stopped),
        "detail": job.error or gettext("nothing"),
    }


def step_label(kind: str, step: dict) -> str:
    """A step of a job in the reader's language (the stored label for a step no longer known)."""
    return str(dict(JOB_STEPS.get(kind, [])).get(step["name"], step.get("label", step["name"])))


JOB_STEPS = {
    ProvisioningJob.Kind.PROVISION: [
        ("gates", gettext_lazy("Check the gates again")),
        ("environment", gettext_lazy("Create the environment")),
        ("credential", gettext_lazy("Issue the credential")),
        ("quota", gettext_lazy("Apply quotas and conditions")),
        ("activate", gettext_lazy("Activate")),
    ],
    ProvisioningJob.Kind.DECOMMISSION: [
        ("revoke", gettext_lazy("Revoke credentials")),
        ("remove", gettext_lazy("Remove the environment")),
    ],
}


class Environment(SealedTenantModel):
    class State(models.TextChoices):
        ACTIVE = "active", pgettext_lazy("environment state", "Active")
        SUSPENDED = "suspended", pgettext_lazy("environment state", "Suspended")
        DECOMMISSIONED = "decommissioned", gettext_lazy("Decommissioned")

    request = models.OneToOneField(DeploymentRequest, on_delete=models.PROTECT, related_name="environment")
    name = models.CharField(max_length=120)
    backend = models.CharField(max_length=20)
    external_id = models.CharField(
        max_length=100, blank=True, help_text=gettext_lazy("The backend's id, e.g. an OpenAI project.")
    )
    endpoint = models.CharField(max_length=300)
    model = models.ForeignKey(AIModel, on_delete=models.PROTECT, related_name="+")
    region = models.CharField(max_length=20, choices=Country.Region.choices)
    monthly_token_quota = models.BigIntegerField()
    tokens_used = models.BigIntegerField(default=0, help_text=gettext_lazy("Tokens reported this month."))
    alert_level = models.PositiveSmallIntegerField(
        default=0, help_text=gettext_lazy("Highest quota alert sent this month (80, 100).")
    )
    expires_on = models.DateField(null=True, blank=True)
    human_review_required = models.BooleanField(default=False)
    state = models.CharField(max_length=16, choices=State.choices, default=State.ACTIVE)
    recertify_by = models.DateField(null=True, blank=True, help_text=gettext_lazy("When the use must be recertified."))
    recertification_reminded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # What the governed gateway enforces is published from here (deployments.policy); every change
    # of the environment, its request's conditions or its credentials moves the version on.
    policy_version = models.PositiveIntegerField(default=0, db_default=0)
    requests_per_minute = models.PositiveIntegerField(
        default=DEFAULT_REQUESTS_PER_MINUTE,
        db_default=DEFAULT_REQUESTS_PER_MINUTE,
        help_text=gettext_lazy("Calls a minute the gateway admits for this environment (0: no limit)."),
    )
    gateway_stopped_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=gettext_lazy("Set by the kill switch: the gateway refuses every call while set."),
    )
    usage_month = models.CharField(
        max_length=7, blank=True, db_default="", help_text=gettext_lazy("The month tokens_used counts (YYYY-MM).")
    )
    # The key of the environment's own upstream (an OpenAI project's service account, made by the
    # provisioner): sealed under the country's key, used by the gateway only, never shown.
    upstream_key = EncryptedTextField(gettext_lazy("upstream key"), secret=True, db_default="")
    # Prompts and outputs are stored only when the country turns it on, for this long.
    capture_calls = models.BooleanField(default=False, db_default=False)
    capture_retention_days = models.PositiveSmallIntegerField(default=30, db_default=30)

    class Meta(TenantModel.Meta):
        verbose_name = gettext_lazy("environment")
        verbose_name_plural = gettext_lazy("environments")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["country", "id"], name="dep_env_country_id_uniq")]

    def __str__(self) -> str:
        return self.name


class Credential(TenantModel):
    """An API key of an environment. Only its SHA-256 is kept; at most one is live at a time."""

    environment = models.ForeignKey(Environment, on_delete=models.PROTECT, related_name="credentials")
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        verbose_name = gettext_lazy("credential")
        verbose_name_plural = gettext_lazy("credentials")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["country", "id"], name="dep_cred_country_id_uniq"),
            models.UniqueConstraint(
                fields=["environment"], condition=Q(revoked_at__isnull=True), name="dep_cred_one_live_uniq"
            ),
        ]


class CredentialReveal(SealedTenantModel):
    """The plaintext of a new credential, sealed under the country's key, for its one showing to
    the person it is for: the row is deleted when shown."""

    credential = models.OneToOneField(Credential, on_delete=models.CASCADE, related_name="reveal")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    secret = EncryptedTextField(gettext_lazy("secret"), secret=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        verbose_name = gettext_lazy("credential reveal")
        verbose_name_plural = gettext_lazy("credential reveals")
        constraints = [models.UniqueConstraint(fields=["country", "id"], name="dep_reveal_country_id_uniq")]


class UsageReport(TenantModel):
    environment = models.ForeignKey(Environment, on_delete=models.PROTECT, related_name="usage")
    tokens = models.BigIntegerField()
    period_start = models.DateTimeField()
    reported_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        verbose_name = gettext_lazy("usage report")
        verbose_name_plural = gettext_lazy("usage reports")
        ordering = ["-reported_at", "-id"]
        indexes = [models.Index(fields=["country", "environment", "reported_at"], name="dep_usage_env_idx")]


class UsageHour(TenantModel):
    """One hour of an environment's calls through the gateway, folded from the gateway's counters
    by a worker. Once the hour is over its figures go on the country's chain (`recorded_at`)."""

    environment = models.ForeignKey(Environment, on_delete=models.PROTECT, related_name="usage_hours")
    hour = models.DateTimeField(help_text=gettext_lazy("Start of the hour (UTC)."))
    calls = models.BigIntegerField(default=0, help_text=gettext_lazy("Calls admitted and forwarded upstream."))
    input_tokens = models.BigIntegerField(default=0)
    output_tokens = models.BigIntegerField(default=0)
    total_tokens = models.BigIntegerField(default=0)
    estimated_tokens = models.BigIntegerField(
        default=0,
        help_text=gettext_lazy("Part of the total counted without the upstream's figure (a stream cut short)."),
    )
    reviewed_calls = models.BigIntegerField(default=0, help_text=gettext_lazy("Calls that declared a human review."))
    outcomes = models.JSONField(default=dict, help_text=gettext_lazy("Admitted calls by how they ended."))
    refusals = models.JSONField(default=dict, help_text=gettext_lazy("Refused calls by the rule that refused them."))
    updated_at = models.DateTimeField(default=timezone.now)
    recorded_at = models.DateTimeField(
        null=True, blank=True, help_text=gettext_lazy("When the hour went on the ledger.")
    )

    class Meta(TenantModel.Meta):
        verbose_name = gettext_lazy("hour of usage")
        verbose_name_plural = gettext_lazy("hours of usage")
        ordering = ["hour", "id"]
        constraints = [
            models.UniqueConstraint(fields=["country", "id"], name="dep_usagehour_country_id_uniq"),
            models.UniqueConstraint(fields=["environment", "hour"], name="dep_usagehour_env_hour_uniq"),
        ]
        indexes = [models.Index(fields=["country", "environment", "hour"], name="dep_usagehour_env_idx")]

    @property
    def refused(self) -> int:
        return sum(int(v) for v in (self.refusals or {}).values())


class CountryUpstream(SealedTenantModel):
    """A country's own OpenAI-compatible model server for one region (a vLLM it hosts, say): the
    gateway sends that region's calls of the country's environments there. Its key is sealed under
    the country's key and never shown again, to anyone."""

    region = models.CharField(max_length=20, choices=Country.Region.choices)
    name = models.CharField(max_length=120)
    base_url = models.CharField(max_length=300, help_text=gettext_lazy("OpenAI-compatible base URL, ending in /v1."))
    api_key = EncryptedTextField(gettext_lazy("API key"), secret=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        verbose_name = gettext_lazy("model server")
        verbose_name_plural = gettext_lazy("model servers")
        ordering = ["region", "id"]
        constraints = [
            models.UniqueConstraint(fields=["country", "id"], name="dep_upstream_country_id_uniq"),
            models.UniqueConstraint(fields=["country", "region"], name="dep_upstream_region_uniq"),
        ]

    def __str__(self) -> str:
        return self.name
