"""The engagements API: a country's engagements (with history), one engagement with its current
terms and versions, new versions of the terms, the lifecycle actions, and the partner managers'
review queue across their countries. Thin: shape in serializers, rules in engagement_services."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from engagements import selectors, services
from engagements.models import Capability, EconomicModel, Engagement, Sector
from tenants.conversations import api as conversation_api
from tenants.models import Country, Membership
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
from tenants.review_queue import ReviewItemSerializer, ReviewQueueQuery, review_queue_page
from tenants.selectors import organisation_get

DRAFTERS = {Membership.Role.COUNTRY_ADMIN, Membership.Role.OFFICER}


class TermsSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    sectors = serializers.ListField(child=serializers.CharField())
    capabilities = serializers.ListField(child=serializers.CharField())
    residency_region = serializers.CharField()
    monthly_token_quota = serializers.IntegerField()
    start_date = serializers.DateField()
    end_date = serializers.DateField(allow_null=True)
    economic_model = serializers.CharField()
    conditions = serializers.CharField()
    created_by = serializers.IntegerField(source="created_by_id", allow_null=True)
    created_at = serializers.DateTimeField()


class EngagementSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    state = serializers.ChoiceField(choices=Engagement.State.choices)
    amendment = serializers.CharField(
        help_text=gettext_lazy("The review state of a change of terms after approval; empty if none.")
    )
    organisation = serializers.IntegerField(source="organisation_id")
    approved_version = serializers.SerializerMethodField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()

    def get_approved_version(self, obj) -> int | None:
        return obj.approved_terms.version if obj.approved_terms_id else None


class TransitionSerializer(serializers.Serializer):
    action = serializers.CharField()
    from_state = serializers.CharField()
    to_state = serializers.CharField()
    amendment = serializers.BooleanField()
    terms_version = serializers.IntegerField(allow_null=True)
    by = serializers.IntegerField(source="by_id", allow_null=True)
    by_role = serializers.CharField()
    comment = serializers.CharField()
    at = serializers.DateTimeField()


class EngagementDetailSerializer(EngagementSerializer):
    current_terms = serializers.SerializerMethodField()
    versions = serializers.SerializerMethodField()
    transitions = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField(help_text=gettext_lazy("The actions open to you now."))

    def get_current_terms(self, obj) -> dict | None:
        versions = self.context["versions"]
        return TermsSerializer(versions[0]).data if versions else None

    def get_versions(self, obj) -> list[dict]:
        return TermsSerializer(self.context["versions"], many=True).data

    def get_transitions(self, obj) -> list[dict]:
        return TransitionSerializer(self.context["transitions"], many=True).data

    def get_actions(self, obj) -> list[str]:
        return services.actions_for(engagement=obj, access=self.context["access"])


class TermsInputSerializer(StrictSerializer):
    sectors = serializers.ListField(
        child=serializers.ChoiceField(choices=Sector.choices), allow_empty=False, max_length=len(Sector.values)
    )
    capabilities = serializers.ListField(
        child=serializers.ChoiceField(choices=Capability.choices), allow_empty=False, max_length=len(Capability.values)
    )
    residency_region = serializers.ChoiceField(choices=Country.Region.choices)
    monthly_token_quota = serializers.IntegerField(min_value=1, max_value=services.MAX_QUOTA - 1)
    start_date = serializers.DateField()
    end_date = serializers.DateField(required=False, allow_null=True, default=None)
    economic_model = serializers.ChoiceField(choices=EconomicModel.choices)
    conditions = serializers.CharField(required=False, allow_blank=True, default="", max_length=services.MAX_CONDITIONS)


class EngagementCreateSerializer(TermsInputSerializer):
    organisation = serializers.IntegerField(min_value=1, help_text=gettext_lazy("Id of the applying organisation."))


class CommentSerializer(StrictSerializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=services.MAX_COMMENT)


class EngagementListApi(CountryAPIView):
    """The country's engagements, newest first: the current one and the history."""

    pagination_class = CursorPage
    ordering = ("-created_at", "-id")

    @extend_schema(
        operation_id="engagements_list",
        tags=["engagements"],
        parameters=[CODE_PARAMETER],
        responses={200: EngagementSerializer(many=True), **errors(401, 404)},
    )
    def get(self, request, code):
        return self.paginate(selectors.engagement_rows(country=self.country), EngagementSerializer)

    @extend_schema(
        operation_id="engagements_create",
        summary="Apply for an engagement",
        tags=["engagements"],
        parameters=[CODE_PARAMETER],
        description=_("Apply: a draft engagement with its first version of terms (country admins and officers)."),
        request=EngagementCreateSerializer,
        responses={201: EngagementSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request, code):
        if request.access.role_in(self.country.pk) not in DRAFTERS:
            raise exceptions.PermissionDenied(
                _("Only a country admin or officer of {country_name} can apply.").format(
                    country_name=self.country.display_name
                )
            )
        serializer = EngagementCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        organisation = organisation_get(country=self.country, pk=data.pop("organisation"))
        if organisation is None:
            raise exceptions.ValidationError(
                {
                    "organisation": [
                        _("{country_name} has no such organisation.").format(country_name=self.country.display_name)
                    ]
                }
            )
        engagement = services.engagement_create(
            country=self.country, by=request.user, access=request.access, organisation=organisation, **data
        )
        engagement = selectors.engagement_get(country=self.country, pk=engagement.pk)
        return Response(EngagementSerializer(engagement).data, status=status.HTTP_201_CREATED)


class EngagementDetailMixin:
    def engagement(self, id) -> Engagement:
        engagement = selectors.engagement_get(country=self.country, pk=object_id(id))
        if engagement is None:
            raise exceptions.NotFound(
                _("Not found: {country_name} has no engagement {id}.").format(
                    country_name=self.country.display_name, id=id
                )
            )
        return engagement

    def detail(self, engagement: Engagement, code=status.HTTP_200_OK) -> Response:
        context = {
            "access": self.request.access,
            "versions": list(selectors.terms_list(engagement=engagement)),
            "transitions": list(selectors.transition_list(engagement=engagement)),
        }
        return Response(EngagementDetailSerializer(engagement, context=context).data, status=code)


class EngagementDetailApi(EngagementDetailMixin, CountryAPIView):
    """One engagement with its current terms, every version and its history."""

    @extend_schema(
        operation_id="engagements_retrieve",
        tags=["engagements"],
        parameters=[CODE_PARAMETER, ID_PARAMETER],
        responses={200: EngagementDetailSerializer, **errors(401, 404)},
    )
    def get(self, request, code, id):
        return self.detail(self.engagement(id))


class EngagementTermsApi(EngagementDetailMixin, CountryAPIView):
    """A new version of the terms (a change after approval must be approved again)."""

    @extend_schema(
        operation_id="engagements_terms_create",
        tags=["engagements"],
        parameters=[CODE_PARAMETER, ID_PARAMETER],
        request=TermsInputSerializer,
        responses={201: EngagementDetailSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request, code, id):
        engagement = self.engagement(id)
        if not request.access.can_write(self.country.pk):
            raise exceptions.PermissionDenied(
                _("Only a country admin or officer of {country_name} can change terms.").format(
                    country_name=self.country.display_name
                )
            )
        serializer = TermsInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.engagement_terms_create(
            engagement=engagement, by=request.user, access=request.access, **serializer.validated_data
        )
        return self.detail(selectors.engagement_get(country=self.country, pk=engagement.pk), status.HTTP_201_CREATED)


class EngagementActionApi(EngagementDetailMixin, CountryAPIView):
    """Move the engagement: submit, start-review, approve, reject, request-changes, suspend, reinstate, close
    or activate, with a comment (required to reject, request changes or suspend)."""

    action_name = ""

    @extend_schema(
        tags=["engagements"],
        parameters=[CODE_PARAMETER, ID_PARAMETER],
        request=CommentSerializer,
        responses={200: EngagementDetailSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request, code, id):
        engagement = self.engagement(id)
        serializer = CommentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.engagement_transition(
            engagement=engagement,
            action=self.action_name,
            by=request.user,
            access=request.access,
            comment=serializer.validated_data["comment"],
        )
        return self.detail(selectors.engagement_get(country=self.country, pk=engagement.pk))


def action_view(action: str):
    """The view of one action: its own class and post(), so that each has its own operation in the schema."""
    name = action.replace("_", "-")

    def post(self, request, code, id):
        return EngagementActionApi.post(self, request, code, id)

    post = extend_schema(
        operation_id=f"engagements_{action}",
        summary=f"{services.ACTION_LABELS[action]} (engagement)",
        tags=["engagements"],
        parameters=[CODE_PARAMETER, ID_PARAMETER],
        description=_("{action_labels_action}, with a comment{comment_required_else}.").format(
            action_labels_action=services.ACTION_LABELS[action],
            comment_required_else=" (required)" if action in services.COMMENT_REQUIRED else "",
        ),
        request=CommentSerializer,
        responses={200: EngagementDetailSerializer, **errors(400, 401, 403, 404)},
    )(post)
    view = type(
        f"Engagement{action.title().replace('_', '')}Api",
        (EngagementActionApi,),
        {"action_name": action, "post": post, "__doc__": EngagementActionApi.__doc__},
    )
    return name, view.as_view()


class EngagementReviewItemSerializer(ReviewItemSerializer):
    engagement = serializers.IntegerField(source="id")
    state = serializers.CharField(
        help_text=gettext_lazy("The engagement's own state (a change of terms is reviewed while it stays in force).")
    )
    amendment = serializers.CharField(
        help_text=gettext_lazy("The state of a change of its terms under review, or empty when none is.")
    )


class EngagementQueueQuery(ReviewQueueQuery):
    STATES = (Engagement.State.SUBMITTED.value, Engagement.State.IN_REVIEW.value, "amendment")


class ReviewQueueApi(ApiView):
    """What waits for your decision across the countries you manage, the longest-waiting first."""

    permission_classes = [IsAuthenticated]
    pagination_class = CursorPage
    ordering = ("submitted_at", "id")

    @extend_schema(
        operation_id="review_queue_list",
        tags=["review"],
        description=_(
            "Engagements, and changes of their terms, waiting for your decision across the countries you "
            'manage, the longest-waiting first; state "amendment" keeps the changes of terms only '
            "(deployment requests are at /api/v1/review-queue/deployments/)."
        ),
        parameters=[EngagementQueueQuery],
        responses={200: EngagementReviewItemSerializer(many=True), **errors(400, 401)},
    )
    def get(self, request):
        return review_queue_page(
            self,
            request,
            query=EngagementQueueQuery,
            queue=selectors.review_queue,
            serializer=EngagementReviewItemSerializer,
            prepare=selectors.review_items_complete,
        )


def _engagement_subject(view, id):
    engagement = EngagementDetailMixin.engagement(view, id)
    return selectors.conversation_subject(engagement=engagement)


# The engagement's conversation (tenants.conversations).
MessageListApi, MessageReadApi, MessageAttachmentApi = conversation_api.views_for(
    tag="engagements", prefix="engagements", noun="engagement", subject_of=_engagement_subject
)
