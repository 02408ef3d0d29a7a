"""The ledger in the API: a country's events filtered and paged, its signed checkpoints, a
verification run, and the export an auditor verifies offline (DESIGN §5)."""

from __future__ import annotations

import tempfile

from django.http import FileResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.response import Response

from tenants.access import AUDITOR, PARTNER_MANAGER
from tenants.country_state import allowed_after_exit
from tenants.record import selectors
from tenants.record import services as audit
from tenants.record.events import reasons_open
from tenants.record.exports import ExportRefused
from tenants.rest import (
    CODE_PARAMETER,
    ApiView,
    CountryAPIView,
    CursorPage,
    PageQuerySerializer,
    StrictSerializer,
    errors,
)


class AuditEventSerializer(serializers.Serializer):
    sequence = serializers.IntegerField(help_text=gettext_lazy("Position on the country's chain, from 1."))
    at = serializers.DateTimeField()
    actor_label = serializers.CharField(help_text=gettext_lazy("Username of the actor at the time, or 'system'."))
    actor_role = serializers.CharField()
    action = serializers.CharField(help_text=gettext_lazy("What happened, e.g. member.invited."))
    target_type = serializers.CharField()
    target_id = serializers.CharField()
    payload = serializers.DictField(help_text=gettext_lazy("Small, with no secrets and no personal data."))
    prev_hash = serializers.CharField(help_text=gettext_lazy("SHA-256 of the previous event (64 zeros for the first)."))
    hash = serializers.CharField(help_text=gettext_lazy("SHA-256 over this event's canonical encoding."))
    reason = serializers.CharField(
        help_text=gettext_lazy(
            "The reason the person gave, where the action asks for one (kept sealed, off the chain: "
            "the payload names it by id); empty otherwise."
        )
    )


# Verification walks the whole chain: it is for the people who answer for the record.
VERIFIERS = {AUDITOR, PARTNER_MANAGER, "country_admin"}
# Exports, like the audit pages they mirror, are for the country's auditors and partner managers.
EXPORTERS = {AUDITOR, PARTNER_MANAGER}


class EventFilterSerializer(PageQuerySerializer):
    action = serializers.RegexField(
        r"^[a-z0-9_.]{1,80}$",
        required=False,
        allow_blank=True,
        help_text=gettext_lazy('One action ("member.invited"), or a family ending in "." ("member.").'),
    )
    actor_role = serializers.CharField(
        max_length=30,
        required=False,
        allow_blank=True,
        help_text=gettext_lazy(
            'Role of the actor; "system" (or "") for events of the portal itself, with no person acting.'
        ),
    )
    since = serializers.DateTimeField(
        required=False, help_text=gettext_lazy("Events at or after this time (ISO 8601).")
    )
    before = serializers.DateTimeField(required=False, help_text=gettext_lazy("Events before this time (ISO 8601)."))
    sequence_from = serializers.IntegerField(min_value=1, max_value=2**62, required=False)
    sequence_to = serializers.IntegerField(min_value=1, max_value=2**62, required=False)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if "since" in attrs and "before" in attrs and attrs["before"] <= attrs["since"]:
            raise serializers.ValidationError({"before": [_("Choose a time after 'since'.")]})
        if attrs.get("sequence_to") and attrs.get("sequence_from") and attrs["sequence_to"] < attrs["sequence_from"]:
            raise serializers.ValidationError(
                {"sequence_to": [_("Choose a sequence number at least 'sequence_from'.")]}
            )
        return attrs


class AuditEventSearchApi(CountryAPIView):
    """The country's tamper-evident record, newest first, filtered: for its members, partner
    managers and auditors. Paged by cursor (no count of the whole chain)."""

    pagination_class = CursorPage
    ordering = "-sequence"

    @extend_schema(
        operation_id="audit_events_list",
        tags=["audit"],
        parameters=[CODE_PARAMETER, EventFilterSerializer],
        responses={200: AuditEventSerializer(many=True), **errors(400, 401, 404)},
    )
    def get(self, request, code):
        filters = EventFilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        events = selectors.event_search(
            country=self.country,
            action=data.get("action", ""),
            actor_role=data["actor_role"] if "actor_role" in data else None,
            at_from=data.get("since"),
            at_before=data.get("before"),
            sequence_from=data.get("sequence_from"),
            sequence_to=data.get("sequence_to"),
        )
        return self.paginate(events, AuditEventSerializer, prepare=lambda page: reasons_open(page, self.country))


class CheckpointSerializer(serializers.Serializer):
    sequence = serializers.IntegerField()
    head_hash = serializers.CharField()
    at = serializers.DateTimeField()
    key_id = serializers.CharField(help_text=gettext_lazy("Fingerprint of the portal key that signed it."))
    signature = serializers.CharField(
        help_text=gettext_lazy("Ed25519 signature, base64, over the canonical checkpoint.")
    )


class CheckpointListApi(CountryAPIView):
    """The signed checkpoints of the country's chain, newest first."""

    pagination_class = CursorPage
    ordering = "-sequence"

    @extend_schema(
        operation_id="audit_checkpoints_list",
        tags=["audit"],
        parameters=[CODE_PARAMETER],
        responses={200: CheckpointSerializer(many=True), **errors(401, 404)},
    )
    def get(self, request, code):
        return self.paginate(selectors.checkpoint_list(country=self.country), CheckpointSerializer)


class VerificationSerializer(serializers.Serializer):
    chain = serializers.CharField()
    events = serializers.IntegerField()
    checkpoints = serializers.IntegerField()
    ok = serializers.BooleanField()
    problems = serializers.ListField(child=serializers.CharField())


@allowed_after_exit
class ChainVerifyApi(CountryAPIView):
    """Recompute the country's chain now and check every checkpoint; the run goes on the record."""

    @extend_schema(
        operation_id="audit_chain_verify",
        tags=["audit"],
        parameters=[CODE_PARAMETER],
        request=None,
        responses={200: VerificationSerializer, **errors(401, 403, 404)},
    )
    def post(self, request, code):
        role = request.access.role_in(self.country.pk)
        if role not in VERIFIERS:
            raise exceptions.PermissionDenied(
                _("Verification is run by the country's auditors, partner managers and country admins.")
            )
        report = audit.chain_verify_recorded(country=self.country, by=request.user, actor_role=role)
        return Response(
            VerificationSerializer(
                {
                    "chain": report.chain,
                    "events": report.events,
                    "checkpoints": report.checkpoints,
                    "ok": report.ok,
                    "problems": report.problems,
                }
            ).data
        )


class ExportRangeSerializer(StrictSerializer):
    first = serializers.IntegerField(min_value=1, max_value=2**62, required=False)
    last = serializers.IntegerField(min_value=1, max_value=2**62, required=False)


def _export_response(request, *, country, role: str, bounds: ExportRangeSerializer) -> FileResponse:
    """The zip of a chain's events in the range asked (a country's, or the platform's with None)."""
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    try:
        summary = audit.ledger_export_download(
            country=country,
            by=request.user,
            actor_role=role,
            out=out,
            first=bounds.validated_data.get("first"),
            last=bounds.validated_data.get("last"),
            via="api",
        )
    except ExportRefused as refusal:
        out.close()
        raise exceptions.ValidationError(str(refusal)) from None
    out.seek(0)
    return FileResponse(out, as_attachment=True, filename=summary["filename"], content_type="application/zip")


class LedgerExportApi(CountryAPIView):
    """A zip of events first..last (default: all) with their checkpoints, the portal's public key
    and verify_ledger.py, which checks it offline with Python's standard library."""

    @extend_schema(
        operation_id="audit_ledger_export",
        summary="Export the ledger for offline verification",
        tags=["audit"],
        parameters=[CODE_PARAMETER, ExportRangeSerializer],
        responses={
            (200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY, description=_("The export")),
            **errors(400, 401, 404),
        },
        description=_("For the country's auditors and partner managers (anyone else: 404, as the export page)."),
    )
    def get(self, request, code):
        role = request.access.role_in(self.country.pk)
        if role not in EXPORTERS:
            # As on the export page: the ledger's exports are for the people who audit the country.
            raise exceptions.NotFound(
                _("Not found: {country_name}'s ledger export is for its auditors and partner managers.").format(
                    country_name=self.country.display_name
                )
            )
        bounds = ExportRangeSerializer(data=request.query_params.dict())
        bounds.is_valid(raise_exception=True)
        return _export_response(request, country=self.country, role=role, bounds=bounds)


class PlatformLedgerExportApi(ApiView):
    """The platform chain as a zip, in the format of a country's export and checked by the same
    verify_ledger.py: for platform admins (a personal token limited to countries, or read-only,
    carries no platform power)."""

    http_method_names = ["get", "head", "options"]

    @extend_schema(
        operation_id="platform_ledger_export",
        summary="Export the platform chain for offline verification",
        tags=["audit"],
        parameters=[ExportRangeSerializer],
        responses={
            (200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY, description=_("The export")),
            **errors(400, 401, 403),
        },
        description=_("For platform admins (anyone else: 403, as the platform chain's export page)."),
    )
    def get(self, request):
        if not request.access.is_platform_admin:
            raise exceptions.PermissionDenied(_("Only a platform admin can export the platform chain."))
        bounds = ExportRangeSerializer(data=request.query_params.dict())
        bounds.is_valid(raise_exception=True)
        return _export_response(request, country=None, role="platform_admin", bounds=bounds)
