"""The partner managers' queue of deployment requests (GET /api/v1/review-queue/deployments/): the
requests waiting for a decision across the countries they review, oldest first, each with what the
review page says of it (tenants.review_queue: the same fields as the engagements' queue) and its
own: its title, risk and review round."""

from __future__ import annotations

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from tenants.rest import ApiView, CursorPage, errors
from tenants.review_queue import ReviewItemSerializer, ReviewQueueQuery, review_queue_page

from . import selectors
from .models import DeploymentRequest


class DeploymentReviewItemSerializer(ReviewItemSerializer):
    deployment_request = serializers.IntegerField(source="id")
    title = serializers.CharField()
    state = serializers.CharField(help_text=gettext_lazy("The request's state: submitted or in_review."))
    risk_category = serializers.CharField(
        help_text=gettext_lazy("From its impact assessment: high_risk needs two approvals.")
    )
    review_round = serializers.IntegerField(help_text=gettext_lazy("Which submission is under review (from 1)."))


class DeploymentQueueQuery(ReviewQueueQuery):
    STATES = (DeploymentRequest.State.SUBMITTED.value, DeploymentRequest.State.IN_REVIEW.value)


class ReviewQueueApi(ApiView):
    """Deployment requests waiting for a decision across the countries you manage, the longest-waiting
    first (engagements are at /api/v1/review-queue/)."""

    pagination_class = CursorPage
    ordering = ("submitted_at", "id")

    @extend_schema(
        operation_id="review_queue_deployments_list",
        tags=["review"],
        parameters=[DeploymentQueueQuery],
        responses={200: DeploymentReviewItemSerializer(many=True), **errors(400, 401)},
    )
    def get(self, request):
        return review_queue_page(
            self,
            request,
            query=DeploymentQueueQuery,
            queue=selectors.review_queue,
            serializer=DeploymentReviewItemSerializer,
            prepare=selectors.review_items_complete,
        )
