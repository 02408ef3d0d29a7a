"""What every item of a partner manager's review queue says, and the queue's filters, the same for
engagements (GET /api/v1/review-queue/) and deployment requests (…/review-queue/deployments/): what
the review page (/review/) tells the reviewer, in the same words for both kinds. Each app gives its
items these fields (its selector annotates them in the list's one query) and adds its own."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from tenants.models import Country
from tenants.rest import PageQuerySerializer


def waiting_days(submitted_at) -> int:
    """Whole days since it entered review (0 on the day itself)."""
    return (timezone.now() - submitted_at).days if submitted_at else 0


def person_name(user) -> str | None:
    if user is None:
        return None
    return user.get_full_name() or user.username


class ReviewItemSerializer(serializers.Serializer):
    """The fields both queues' items share. Each app's item names the kind, its state in words and
    the page where it is decided (`kind`, `review_state_label`, `page`, read from the item)."""

    country = serializers.CharField(source="country.code", help_text=gettext_lazy("ISO code of its country."))
    country_name = serializers.CharField(source="country.name")
    kind = serializers.CharField(
        source="review_kind",
        help_text=gettext_lazy('What waits: "engagement", "amendment" (a change of terms) or "deployment_request".'),
    )
    kind_label = serializers.CharField(source="review_kind_label", help_text=gettext_lazy("The kind in words."))
    review_state = serializers.CharField(
        help_text=gettext_lazy('Where its review is: "submitted" (nobody has started) or "in_review".')
    )
    review_state_label = serializers.CharField(help_text=gettext_lazy("The review's state in words."))
    organisation = serializers.CharField(source="organisation.name")
    submitted_by = serializers.SerializerMethodField(help_text=gettext_lazy("Who submitted it, by name."))
    submitted_at = serializers.DateTimeField()
    waiting_days = serializers.SerializerMethodField(help_text=gettext_lazy("Whole days since it was submitted."))
    unread_messages = serializers.IntegerField(
        help_text=gettext_lazy("Messages of its conversation, written by others, that you have not read.")
    )
    approvals = serializers.IntegerField(
        help_text=gettext_lazy("Approvals given so far in this review (a second one is needed where two are).")
    )
    approvals_needed = serializers.IntegerField(help_text=gettext_lazy("Approvals it needs in all: 1 or 2."))
    approved_by_you = serializers.BooleanField(
        source="approved_by_reader",
        help_text=gettext_lazy(
            "You have approved it already in this review: the other approval must come from another partner manager."
        ),
    )
    page = serializers.CharField(source="review_page", help_text=gettext_lazy("The page where it is reviewed."))

    def get_submitted_by(self, obj) -> str | None:
        return person_name(getattr(obj, "submitted_by", None))

    def get_waiting_days(self, obj) -> int:
        return waiting_days(obj.submitted_at)


class ReviewQueueQuery(PageQuerySerializer):
    """The queue's filters, checked as they are documented. A subclass names its states."""

    STATES: tuple[str, ...] = ()

    country = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2,
        help_text=gettext_lazy("Only this country: the ISO code of a country you review (either case)."),
        error_messages={"max_length": gettext_lazy("A country is named by its two-letter ISO code, e.g. FR.")},
    )

    def __init__(self, *args, access=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.access = access
        allowed = ", ".join(self.STATES)
        self.fields["state"] = serializers.ChoiceField(
            choices=list(self.STATES),
            required=False,
            allow_blank=True,
            help_text=gettext_lazy("Only items in this state of their review."),
            error_messages={
                "invalid_choice": _("“{value}” is not a state this queue filters on. Use one of: {allowed}.").format(
                    value="{input}", allowed=allowed
                )
            },
        )

    def validate_country(self, value: str) -> str:
        value = value.strip().upper()
        if not value:
            return ""
        reviewed = sorted(
            Country.objects.filter(pk__in=getattr(self.access, "partner_country_ids", ())).values_list(
                "code", flat=True
            )
        )
        if value not in reviewed:
            if not reviewed:
                raise serializers.ValidationError(_("You review no country: leave country out."))
            raise serializers.ValidationError(
                _("“{value}” is not a country you review. Use one of: {allowed}.").format(
                    value=value, allowed=", ".join(reviewed)
                )
            )
        return value


def review_queue_page(view, request, *, query: type[ReviewQueueQuery], queue, serializer, prepare):
    """One page of a review queue, as both apps answer it: the filters checked (a bad one is a 400
    naming what is allowed), then `queue` (the app's selector) read for the reviewer and paged with
    `serializer`, `prepare` completing the page's items in its own queries."""
    filters = query(data=request.query_params.dict(), access=request.access)
    filters.is_valid(raise_exception=True)
    items = queue(
        access=request.access,
        reader=request.user,
        country_code=filters.validated_data.get("country", ""),
        state=filters.validated_data.get("state", ""),
    )
    return view.paginate(items, serializer, prepare=prepare)
