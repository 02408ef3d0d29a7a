"""The conversations' API, for any subject: its messages oldest first (each saying whether it is
new to the caller), writing one (JSON, or multipart with a file), marking the conversation read,
and an attachment's bytes. The apps that own the subjects subclass these views with `subject()`,
which finds the subject for the caller (another country's: 404)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response

from tenants import files, uploads
from tenants.conversations import selectors, services
from tenants.conversations.models import MESSAGE_MAX_LENGTH
from tenants.conversations.subjects import Subject
from tenants.pages import ROLE_LABELS
from tenants.rest import CODE_PARAMETER, ID_PARAMETER, CountryAPIView, CursorPage, StrictSerializer, errors

ATTACHMENT_PARAMETER = OpenApiParameter(
    "attachment", OpenApiTypes.INT, OpenApiParameter.PATH, description=gettext_lazy("The attachment's id.")
)


class AttachmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()


class MessageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    author = serializers.SerializerMethodField()
    author_role = serializers.CharField()
    author_role_label = serializers.SerializerMethodField()
    text = serializers.CharField(source="body")
    created_at = serializers.DateTimeField()
    new = serializers.SerializerMethodField(help_text=gettext_lazy("Written by someone else since you last read."))
    attachments = AttachmentSerializer(many=True, read_only=True, source="attachments.all")

    def get_author(self, obj) -> str:
        return obj.author.get_full_name() or obj.author.get_username()

    def get_author_role_label(self, obj) -> str:
        return str(ROLE_LABELS.get(obj.author_role, ""))

    def get_new(self, obj) -> bool:
        return obj.pk > self.context.get("last_read_id", 0) and obj.author_id != self.context["request"].user.pk


class MessageInputSerializer(StrictSerializer):
    # Length and emptiness are the service's rules (one message for every door).
    text = serializers.CharField(
        allow_blank=True, trim_whitespace=False, help_text=f"Plain text, up to {MESSAGE_MAX_LENGTH} characters."
    )
    file = serializers.FileField(required=False, help_text=gettext_lazy("One file, by the evidence rules."))


class ReadSerializer(serializers.Serializer):
    unread = serializers.IntegerField()


class ConversationAPIView(CountryAPIView):
    def subject(self, id) -> Subject:
        raise NotImplementedError


class MessageListApi(ConversationAPIView):
    """The conversation, oldest first; and writing in it (country admins and officers, partner managers)."""

    pagination_class = CursorPage
    ordering = ("created_at", "id")

    def context(self) -> dict:
        return {**super().context(), "last_read_id": getattr(self, "_last_read_id", 0)}

    def get(self, request, code, id):
        subject = self.subject(id)
        conversation = selectors.conversation_get(subject=subject)
        self._last_read_id = selectors.last_read_id(conversation=conversation, user=request.user)
        return self.paginate(
            selectors.message_queryset(conversation=conversation, country=subject.country), MessageSerializer
        )

    def post(self, request, code, id):
        subject = self.subject(id)
        if not services.can_post(access=request.access, country_id=self.country.pk):
            raise exceptions.PermissionDenied(
                _("Only the country's admins and officers and its partner managers can write in this conversation.")
            )
        serializer = MessageInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data.get("file")
        message = services.message_post(
            subject=subject,
            by=request.user,
            access=request.access,
            text=serializer.validated_data["text"],
            attachment_name=upload.name if upload else "",
            attachment_data=upload.read(uploads.max_bytes() + 1) if upload else None,
        )
        found = selectors.message_queryset(conversation=message.conversation, country=subject.country).get(
            pk=message.pk
        )
        return Response(
            MessageSerializer(found, context={**self.context(), "last_read_id": found.pk}).data,
            status=status.HTTP_201_CREATED,
        )


class MessageReadApi(ConversationAPIView):
    """Mark the conversation read for the caller (what opening it on its page does)."""

    def post(self, request, code, id):
        subject = self.subject(id)
        conversation = selectors.conversation_get(subject=subject)
        services.conversation_mark_read(subject=subject, conversation=conversation, user=request.user)
        return Response({"unread": selectors.unread_count(conversation=conversation, user=request.user)})


class AttachmentApi(ConversationAPIView):
    """The bytes of a message's attachment, after the same access check as the conversation."""

    def get(self, request, code, id, attachment):
        item = selectors.attachment_get(subject=self.subject(id), pk=attachment)
        if item is None:
            raise exceptions.NotFound(_("Not found: this conversation has no attachment {id}.").format(id=attachment))
        try:
            with files.file_open(row=item, name=item.path) as handle:
                data = handle.read()
        except FileNotFoundError:
            raise exceptions.NotFound(_("Not found: this attachment is missing from storage.")) from None
        return uploads.download_response(data=data, kind=item.kind, name=item.name)


def views_for(*, tag: str, prefix: str, noun: str, subject_of):
    """The three views of a kind of subject, each with its own operations in the schema.
    `subject_of(view, id)` finds the subject for the caller or raises NotFound."""

    class Messages(MessageListApi):
        def subject(self, id):
            return subject_of(self, id)

        @extend_schema(
            operation_id=f"{prefix}_messages_list",
            summary=f"The messages on the {noun}, oldest first",
            tags=[tag],
            parameters=[CODE_PARAMETER, ID_PARAMETER],
            responses={200: MessageSerializer(many=True), **errors(401, 404)},
        )
        def get(self, request, code, id):
            return super().get(request, code, id)

        @extend_schema(
            operation_id=f"{prefix}_messages_create",
            summary=f"Write a message on the {noun} (country admins and officers, partner managers)",
            tags=[tag],
            parameters=[CODE_PARAMETER, ID_PARAMETER],
            request={"application/json": MessageInputSerializer, "multipart/form-data": MessageInputSerializer},
            responses={201: MessageSerializer, **errors(400, 401, 403, 404)},
        )
        def post(self, request, code, id):
            return super().post(request, code, id)

    class Read(MessageReadApi):
        def subject(self, id):
            return subject_of(self, id)

        @extend_schema(
            operation_id=f"{prefix}_messages_read",
            summary=f"Mark the conversation on the {noun} read",
            tags=[tag],
            parameters=[CODE_PARAMETER, ID_PARAMETER],
            request=None,
            responses={200: ReadSerializer, **errors(401, 404)},
        )
        def post(self, request, code, id):
            return super().post(request, code, id)

    class Attachment(AttachmentApi):
        def subject(self, id):
            return subject_of(self, id)

        @extend_schema(
            operation_id=f"{prefix}_messages_attachment",
            summary=f"An attachment of a message on the {noun}",
            tags=[tag],
            parameters=[CODE_PARAMETER, ID_PARAMETER, ATTACHMENT_PARAMETER],
            responses={
                (200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY, description=_("The file")),
                **errors(401, 404),
            },
        )
        def get(self, request, code, id, attachment):
            return super().get(request, code, id, attachment)

    return Messages, Read, Attachment
