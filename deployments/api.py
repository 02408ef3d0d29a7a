"""The deployments API: the model catalogue, a country's deployment requests with their lifecycle
actions and provisioning progress, and its environments (credential shown once, rotation, usage
ingest). Thin: shape in serializers, rules in services."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response

from engagements.models import Capability, Sector
from tenants.conversations import api as conversation_api
from tenants.models import Country
from tenants.rest import (
    CODE_PARAMETER,
    ID_PARAMETER,
    ApiView,
    CountryAPIView,
    CursorPage,
    StrictSerializer,
    errors,
    object_id,
)
from tenants.selectors import organisation_get

from . import environments, gates, retries, selectors, services
from .models import MAX_REQUESTS_PER_MINUTE, AIModel, DeploymentRequest, job_failure, step_label


class AIModelSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    provider = serializers.CharField()
    capabilities = serializers.ListField(child=serializers.CharField())
    regions = serializers.ListField(child=serializers.CharField())
    status = serializers.CharField()


class DeploymentRequestSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    state = serializers.CharField(
        help_text=gettext_lazy(
            "draft, submitted, in_review, changes_requested, rejected, approved, provisioning, active, suspended or decommissioned."
        )
    )
    organisation = serializers.IntegerField(source="organisation_id")
    sector = serializers.CharField()
    model = serializers.CharField(source="model.slug")
    capabilities = serializers.ListField(child=serializers.CharField())
    region = serializers.CharField()
    data_classification = serializers.CharField()
    expected_monthly_tokens = serializers.IntegerField()
    assessment = serializers.IntegerField(source="assessment_id", allow_null=True)
    owner = serializers.IntegerField(source="owner_id")
    requested_by = serializers.IntegerField(source="requested_by_id")
    risk_category = serializers.CharField()
    quota_tokens = serializers.IntegerField(allow_null=True)
    requests_per_minute = serializers.IntegerField(
        allow_null=True,
        help_text=gettext_lazy("Calls a minute its approval allows the environment; null until it is approved."),
    )
    expires_on = serializers.DateField(allow_null=True)
    human_review_required = serializers.BooleanField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class DeploymentRequestDetailSerializer(DeploymentRequestSerializer):
    purpose = serializers.CharField()
    gates = serializers.SerializerMethodField()
    decisions = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField()
    provisioning = serializers.SerializerMethodField()

    def get_gates(self, obj) -> list[dict]:
        return [{"name": g.name, "ok": g.ok, "reason": g.reason} for g in self.context["gates"]]

    def get_decisions(self, obj) -> list[dict]:
        return [
            {"round": d.review_round, "decision": d.decision, "by": d.by_id, "comment": d.comment, "at": d.at}
            for d in self.context["decisions"]
        ]

    def get_actions(self, obj) -> list[str]:
        """The moves this person may make now, and "retry" when a stopped job may be tried again
        (each the last part of its URL, with "-" for "_")."""
        access = self.context["access"]
        allowed = services.actions_for(request=obj, access=access)
        if any(not gate.ok for gate in self.context["gates"]):  # refused while a check fails
            allowed = [action for action in allowed if action not in services.GATED]
        if retries.retry_allowed(request=obj, access=access, job=self.context["job"]):
            allowed.append("retry")
        return allowed

    def get_provisioning(self, obj) -> dict | None:
        return progress(self.context["job"])


def progress(job) -> dict | None:
    if job is None:
        return None
    return {
        "job": job.pk,
        "kind": job.kind,
        "state": job.state,
        "state_label": str(job.get_state_display()),
        "percent": job.percent,
        "error": job_failure(job),
        "steps": [
            {"name": s["name"], "label": step_label(job.kind, s), "done": bool(s.get("done_at"))} for s in job.steps
        ],
    }


class DeploymentRequestCreateSerializer(StrictSerializer):
    organisation = serializers.IntegerField(min_value=1)
    title = serializers.CharField(max_length=200)
    purpose = serializers.CharField(max_length=services.MAX_TEXT)
    sector = serializers.ChoiceField(choices=Sector.choices)
    model = serializers.SlugField(max_length=60, help_text=gettext_lazy("The catalogue slug of the model."))
    capabilities = serializers.ListField(
        child=serializers.ChoiceField(choices=Capability.choices), allow_empty=False, max_length=len(Capability.values)
    )
    region = serializers.ChoiceField(choices=Country.Region.choices)
    data_classification = serializers.ChoiceField(choices=DeploymentRequest.Classification.choices)
    expected_monthly_tokens = serializers.IntegerField(min_value=1, max_value=services.MAX_TOKENS - 1)
    assessment = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)
    owner = serializers.IntegerField(
        min_value=1, help_text=gettext_lazy("User id of the accountable owner (a member).")
    )


class ActionSerializer(StrictSerializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=services.MAX_COMMENT)
    quota_tokens = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        max_value=services.MAX_TOKENS - 1,
        help_text=gettext_lazy("Approve only."),
    )
    expires_on = serializers.DateField(
        required=False, allow_null=True, default=None, help_text=gettext_lazy("Approve only.")
    )
    human_review_required = serializers.BooleanField(
        required=False, default=False, help_text=gettext_lazy("Approve only.")
    )
    requests_per_minute = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        max_value=MAX_REQUESTS_PER_MINUTE,
        help_text=gettext_lazy(
            "Approve only: the calls a minute the gateway admits for the environment, from 1 to 10000 (by default "
            "the last approval's, else 600)."
        ),
    )


class ModelListApi(ApiView):
    """The model catalogue (read-only; platform admins manage it)."""

    @extend_schema(
        operation_id="models_list",
        summary="The model catalogue",
        tags=["deployments"],
        responses={200: AIModelSerializer(many=True), **errors(401)},
    )
    def get(self, request):
        return Response(AIModelSerializer(selectors.model_list(), many=True).data)


def _resolve_inputs(country, data: dict) -> dict:
    from django.contrib.auth import get_user_model

    organisation = organisation_get(country=country, pk=data.pop("organisation"))
    model = AIModel.objects.filter(slug=data.pop("model")).first()
    # Among the country's active members only: the answer tells nobody which ids exist elsewhere.
    owner_id, active = data.pop("owner"), {"memberships__country": country, "memberships__status": "active"}
    owner = get_user_model().objects.filter(pk=owner_id, **active).first()
    if owner is None and owner_id:
        raise exceptions.ValidationError(
            {
                "owner": [
                    _("The owner must be an active member of {country_name}.").format(country_name=country.display_name)
                ]
            }
        )
    assessment_id = data.pop("assessment")
    return {**data, "organisation": organisation, "model": model, "owner": owner, "assessment_id": assessment_id}


class RequestListApi(CountryAPIView):
    """The country's deployment requests, newest first."""

    pagination_class = CursorPage
    ordering = ("-created_at", "-id")

    @extend_schema(
        operation_id="deployment_requests_list",
        tags=["deployments"],
        parameters=[CODE_PARAMETER],
        responses={200: DeploymentRequestSerializer(many=True), **errors(401, 404)},
    )
    def get(self, request, code):
        return self.paginate(selectors.request_rows(country=self.country), DeploymentRequestSerializer)

    @extend_schema(
        operation_id="deployment_requests_create",
        tags=["deployments"],
        description=_("Draft a deployment request (country admins and officers); submit it when its gates pass."),
        parameters=[CODE_PARAMETER],
        request=DeploymentRequestCreateSerializer,
        responses={201: DeploymentRequestSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request, code):
        if not request.access.can_write(self.country.pk):
            raise exceptions.PermissionDenied(
                _("Only a country admin or officer of {country_name} can request a deployment.").format(
                    country_name=self.country.display_name
                )
            )
        serializer = DeploymentRequestCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        created = services.deployment_request_create(
            country=self.country,
            by=request.user,
            access=request.access,
            **_resolve_inputs(self.country, dict(serializer.validated_data)),
        )
        return Response(
            DeploymentRequestSerializer(selectors.request_get(country=self.country, pk=created.pk)).data,
            status=status.HTTP_201_CREATED,
        )


class RequestDetailMixin:
    def deployment_request(self, id) -> DeploymentRequest:
        found = selectors.request_get(country=self.country, pk=object_id(id))
        if found is None:
            raise exceptions.NotFound(
                _("Not found: {country_name} has no deployment request {id}.").format(
                    country_name=self.country.display_name, id=id
                )
            )
        return found

    def detail(self, found: DeploymentRequest) -> Response:
        context = {
            "access": self.request.access,
            "gates": gates.gates_check(country=self.country, request=found),
            "decisions": list(selectors.decision_list(request=found)),
            "job": selectors.job_latest(request=found),
        }
        return Response(DeploymentRequestDetailSerializer(found, context=context).data)


class RequestDetailApi(RequestDetailMixin, CountryAPIView):
    """One request with its gates (each with what to do), decisions, open actions and provisioning progress."""

    @extend_schema(
        operation_id="deployment_requests_retrieve",
        tags=["deployments"],
        parameters=[CODE_PARAMETER, ID_PARAMETER],
        responses={200: DeploymentRequestDetailSerializer, **errors(401, 404)},
    )
    def get(self, request, code, id):
        return self.detail(self.deployment_request(id))


class RequestActionApi(RequestDetailMixin, CountryAPIView):
    action_name = ""

    def post(self, request, code, id):
        found = self.deployment_request(id)
        serializer = ActionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.deployment_request_transition(
            request=found, action=self.action_name, by=request.user, access=request.access, **serializer.validated_data
        )
        return self.detail(selectors.request_get(country=self.country, pk=found.pk))


def action_view(action: str):
    """One view class per action, so that each has its own operation in the schema."""

    def post(self, request, code, id):
        return RequestActionApi.post(self, request, code, id)

    post = extend_schema(
        operation_id=f"deployment_requests_{action}",
        summary=f"{services.TRANSITIONS[action].label} (deployment request)",
        tags=["deployments"],
        parameters=[CODE_PARAMETER, ID_PARAMETER],
        description=f"{services.TRANSITIONS[action].label}"
        f"{' (a comment is required)' if action in services.COMMENT_REQUIRED else ''}.",
        request=ActionSerializer,
        responses={200: DeploymentRequestDetailSerializer, **errors(400, 401, 403, 404)},
    )(post)
    view = type(
        f"DeploymentRequest{action.title().replace('_', '')}Api",
        (RequestActionApi,),
        {"action_name": action, "post": post, "__doc__": f"{services.TRANSITIONS[action].label}."},
    )
    return action.replace("_", "-"), view.as_view()


class RequestRetryApi(RequestDetailMixin, CountryAPIView):
    """Try the request's stopped provisioning or decommissioning job again: a new job from its first
    step, through the outbox (the country's admin or its partner manager)."""

    @extend_schema(
        operation_id="deployment_requests_retry",
        summary="Try a stopped job again (deployment request)",
        tags=["deployments"],
        parameters=[CODE_PARAMETER, ID_PARAMETER],
        request=None,
        responses={200: DeploymentRequestDetailSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request, code, id):
        found = self.deployment_request(id)
        retries.job_retry(request=found, by=request.user, access=request.access)
        return self.detail(selectors.request_get(country=self.country, pk=found.pk))


# --- Environments --------------------------------------------------------------------------------


class EnvironmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    request = serializers.IntegerField(source="request_id")
    state = serializers.CharField()
    backend = serializers.CharField()
    endpoint = serializers.CharField()
    model = serializers.CharField(source="model.slug")
    region = serializers.CharField()
    monthly_token_quota = serializers.IntegerField()
    requests_per_minute = serializers.IntegerField(
        help_text=gettext_lazy("Calls a minute the gateway admits, as its approval set (0: no limit).")
    )
    tokens_used = serializers.IntegerField()
    expires_on = serializers.DateField(allow_null=True)
    human_review_required = serializers.BooleanField()
    recertify_by = serializers.DateField(allow_null=True)
    credential_prefix = serializers.SerializerMethodField(
        help_text=gettext_lazy("The first characters of the live key, if any.")
    )

    def get_credential_prefix(self, obj) -> str | None:
        live = getattr(obj, "live_credentials", None) or []
        return live[0].prefix if live else None


class SecretSerializer(serializers.Serializer):
    environment = serializers.IntegerField()
    prefix = serializers.CharField()
    secret = serializers.CharField(help_text=gettext_lazy("Shown this once: it is not stored in readable form."))


class UsageSerializer(StrictSerializer):
    tokens = serializers.IntegerField(min_value=1, max_value=environments.MAX_USAGE - 1)


class EnvironmentMixin:
    def environment(self, id):
        found = selectors.environment_get(country=self.country, pk=object_id(id))
        if found is None:
            raise exceptions.NotFound(
                _("Not found: {country_name} has no environment {id}.").format(
                    country_name=self.country.display_name, id=id
                )
            )
        return found


class EnvironmentListApi(CountryAPIView):
    """The country's environments, newest first."""

    pagination_class = CursorPage
    ordering = ("-created_at", "-id")

    @extend_schema(
        operation_id="environments_list",
        tags=["deployments"],
        parameters=[CODE_PARAMETER],
        responses={200: EnvironmentSerializer(many=True), **errors(401, 404)},
    )
    def get(self, request, code):
        return self.paginate(selectors.environment_list(country=self.country), EnvironmentSerializer)


class EnvironmentDetailApi(EnvironmentMixin, CountryAPIView):
    """One environment: where it answers, its quota and use, and its conditions."""

    @extend_schema(
        operation_id="environments_retrieve",
        tags=["deployments"],
        parameters=[CODE_PARAMETER, ID_PARAMETER],
        responses={200: EnvironmentSerializer, **errors(401, 404)},
    )
    def get(self, request, code, id):
        return Response(EnvironmentSerializer(self.environment(id)).data)


def _secret(environment, user) -> Response:
    shown = environments.credential_reveal(environment=environment, user=user)
    if shown is None:
        raise exceptions.NotFound(_("No new credential is waiting for you here: a secret is shown only once."))
    credential, secret = shown
    return Response(
        SecretSerializer({"environment": environment.pk, "prefix": credential.prefix, "secret": secret}).data
    )


class EnvironmentRevealApi(EnvironmentMixin, CountryAPIView):
    """The secret of the credential issued to you, once; afterwards 404."""

    @extend_schema(
        operation_id="environments_credential_reveal",
        tags=["deployments"],
        request=None,
        parameters=[CODE_PARAMETER, ID_PARAMETER],
        responses={200: SecretSerializer, **errors(401, 404)},
    )
    def post(self, request, code, id):
        return _secret(self.environment(id), request.user)


class EnvironmentRotateApi(EnvironmentMixin, CountryAPIView):
    """Revoke the live credential and issue a new one, whose secret this answer shows once."""

    @extend_schema(
        operation_id="environments_credential_rotate",
        tags=["deployments"],
        request=inline_serializer("CredentialRotation", fields={"reason": serializers.CharField(max_length=2000)}),
        parameters=[CODE_PARAMETER, ID_PARAMETER],
        responses={200: SecretSerializer, **errors(400, 401, 403, 404)},
        description=gettext_lazy(
            "The old credential stops working at once. Say why in `reason` (required; kept on the record)."
        ),
    )
    def post(self, request, code, id):
        environment = self.environment(id)
        data = request.data if isinstance(request.data, dict) else {}
        reason = data.get("reason") or ""
        environments.credential_rotate(
            environment=environment,
            by=request.user,
            access=request.access,
            reason=reason if isinstance(reason, str) else "",
        )
        return _secret(environment, request.user)


class EnvironmentUsageApi(EnvironmentMixin, CountryAPIView):
    """Report token usage; quota alerts go to the owner at 80 % and 100 %."""

    @extend_schema(
        operation_id="environments_usage_create",
        tags=["deployments"],
        request=UsageSerializer,
        parameters=[CODE_PARAMETER, ID_PARAMETER],
        responses={200: EnvironmentSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request, code, id):
        environment = self.environment(id)
        if not request.access.can_write(self.country.pk):
            raise exceptions.PermissionDenied(
                _("Only a country admin or officer of {country_name} can report usage.").format(
                    country_name=self.country.display_name
                )
            )
        serializer = UsageSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        environments.usage_report(
            environment=environment, by=request.user, access=request.access, tokens=serializer.validated_data["tokens"]
        )
        return Response(EnvironmentSerializer(selectors.environment_get(country=self.country, pk=environment.pk)).data)


class EnvironmentActionApi(EnvironmentMixin, CountryAPIView):
    """Suspend, reinstate or decommission the environment (moves of its request; decommissioning
    runs as a job), or recertify its use (country admins and partner managers)."""

    action_name = ""

    def post(self, request, code, id):
        from .recertification import environment_recertify

        environment = self.environment(id)
        serializer = ActionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if self.action_name == "recertify":
            environment_recertify(environment=environment, by=request.user, access=request.access)
        else:
            services.deployment_request_transition(
                request=environment.request,
                action=self.action_name,
                by=request.user,
                access=request.access,
                comment=serializer.validated_data["comment"],
            )
        return Response(EnvironmentSerializer(selectors.environment_get(country=self.country, pk=environment.pk)).data)


ENVIRONMENT_ACTIONS = ("suspend", "reinstate", "decommission", "recertify")
ENVIRONMENT_ACTION_LABELS = {
    "suspend": gettext_lazy("Suspend the environment (a comment is required)"),
    "reinstate": gettext_lazy("Reinstate a suspended environment"),
    "decommission": gettext_lazy("Decommission the environment (a job removes it)"),
    "recertify": gettext_lazy("Recertify the environment's use for another period"),
}


def environment_action_view(action: str):
    def post(self, request, code, id):
        return EnvironmentActionApi.post(self, request, code, id)

    post = extend_schema(
        operation_id=f"environments_{action}",
        summary=ENVIRONMENT_ACTION_LABELS[action],
        tags=["deployments"],
        parameters=[CODE_PARAMETER, ID_PARAMETER],
        request=ActionSerializer,
        responses={200: EnvironmentSerializer, **errors(400, 401, 403, 404)},
    )(post)
    view = type(
        f"Environment{action.title()}Api",
        (EnvironmentActionApi,),
        {"action_name": action, "post": post, "__doc__": EnvironmentActionApi.__doc__},
    )
    return action, view.as_view()


def _request_subject(view, id):
    return selectors.conversation_subject(request=RequestDetailMixin.deployment_request(view, id))


# The request's conversation (tenants.conversations).
MessageListApi, MessageReadApi, MessageAttachmentApi = conversation_api.views_for(
    tag="deployments", prefix="deployment_requests", noun="deployment request", subject_of=_request_subject
)
