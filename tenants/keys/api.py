"""The API of leaving and of people's data (DESIGN §8). A country's exit, for its country admins
(/countries/<code>/exit/…) and for platform admins (/platform/exits/<code>/…); a person's erasure
and data-subject access requests, for the country's admins. Thin: shape here, rules in
tenants.keys.exit, .erasure and .subject_access. Country admins only: other members of the country
403, other countries' and unknown objects 404, no sign-in 401."""

from __future__ import annotations

from django.http import FileResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response

from tenants import selectors
from tenants.country_state import allowed_after_exit
from tenants.isolation import country_context
from tenants.keys import erasure as erasures
from tenants.keys import exit as exits
from tenants.keys import subject_access
from tenants.keys.exit import REASON_MAX
from tenants.keys.models import CountryExit, MemberErasure, SubjectAccessExport
from tenants.models import Country
from tenants.rest import CODE_PARAMETER, ID_PARAMETER, ApiView, CountryAPIView, StrictSerializer, errors, object_id

EXIT_ACTIONS = ("request", "confirm", "cancel", "run")
EXIT_SUMMARIES = {
    "request": "Ask for the country to leave the programme",
    "confirm": "Confirm the other side's request to leave",
    "cancel": "Cancel the exit before it is run",
    "run": "Run the exit: read-only, last export, destruction of the keys",
}
EXIT_DESCRIPTIONS = {
    "request": gettext_lazy("One side asks, with a reason; the other side must confirm (four eyes)."),
    "confirm": gettext_lazy(
        "By the side that did not ask, and never by the person who asked. The waiting period set by the platform starts."
    ),
    "cancel": gettext_lazy(
        "By either side, with a reason in `reason` (kept on the record, sealed under the country's key), until the "
        "exit is run (or after a run that stopped; the country becomes writable again)."
    ),
    "run": gettext_lazy(
        "After the waiting period, by either side, with a reason. Irreversible: the country becomes read-only at once, a worker builds and verifies its last export and then destroys its keys. Answers 202; follow `state`, `step` and `percent`."
    ),
}


RECORDED = gettext_lazy("As the record keeps it (its own sealed row, named by the step's event).")
CHECKED = gettext_lazy("Whether the reason's text is the one whose digest the step's event carries.")


def _exit_reason(exit: CountryExit, name: str):
    if not hasattr(exit, "reason_shown"):
        exits.exit_reasons(exit)
    return getattr(exit, name)


def _erasure_reason(erasure: MemberErasure):
    if not hasattr(erasure, "reason_shown"):
        erasures.erasure_reason(erasure)
    return erasure.reason_shown


class ExitSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    country = serializers.CharField(source="country.code")
    state = serializers.ChoiceField(choices=CountryExit.State.choices)
    reason = serializers.SerializerMethodField(help_text=RECORDED)
    reason_checked = serializers.SerializerMethodField(help_text=CHECKED)
    requested_side = serializers.ChoiceField(choices=CountryExit.Side.choices)
    requested_by = serializers.IntegerField(source="requested_by_id", allow_null=True)
    requested_at = serializers.DateTimeField()
    confirmed_side = serializers.CharField()
    confirmed_by = serializers.IntegerField(source="confirmed_by_id", allow_null=True)
    confirmed_at = serializers.DateTimeField(allow_null=True)
    waiting_days = serializers.IntegerField()
    effective_at = serializers.DateTimeField(allow_null=True, help_text=gettext_lazy("From when it can be run."))
    run_side = serializers.CharField()
    run_reason = serializers.SerializerMethodField(help_text=RECORDED)
    run_reason_checked = serializers.SerializerMethodField(help_text=CHECKED)
    run_at = serializers.DateTimeField(allow_null=True)
    step = serializers.CharField(
        source="step_text", help_text=gettext_lazy("The step under way, in the reader's language.")
    )
    step_code = serializers.CharField(source="step", help_text=gettext_lazy("The step's stable code."))
    step_params = serializers.DictField(help_text=gettext_lazy("The values the step's text names."))
    percent = serializers.IntegerField()
    error = serializers.CharField(
        source="error_text",
        help_text=gettext_lazy("Why the run stopped, in the reader's language; empty if it did not."),
    )
    error_code = serializers.CharField(source="error", help_text=gettext_lazy("Why the run stopped: a stable code."))
    error_params = serializers.DictField(help_text=gettext_lazy("The values the reason's text names."))
    export = serializers.IntegerField(
        source="export_id", allow_null=True, help_text=gettext_lazy("The last export, once run.")
    )
    finished_at = serializers.DateTimeField(allow_null=True)

    def get_reason(self, exit) -> str:
        shown = _exit_reason(exit, "reason_shown")
        return shown.text if shown else ""

    def get_reason_checked(self, exit) -> bool:
        shown = _exit_reason(exit, "reason_shown")
        return bool(shown and shown.checked)

    def get_run_reason(self, exit) -> str:
        shown = _exit_reason(exit, "run_reason_shown")
        return shown.text if shown else ""

    def get_run_reason_checked(self, exit) -> bool:
        shown = _exit_reason(exit, "run_reason_shown")
        return bool(shown and shown.checked)


class ExitStatusSerializer(serializers.Serializer):
    country = serializers.CharField()
    country_status = serializers.CharField()
    exit = ExitSerializer(allow_null=True, help_text=gettext_lazy("The exit under way, else the latest, else null."))


class ReasonSerializer(StrictSerializer):
    reason = serializers.CharField(max_length=REASON_MAX, required=False, allow_blank=True, default="")


REASON_EXAMPLE = OpenApiExample(
    "With a reason", value={"reason": "The ministry moves to a national platform."}, request_only=True
)


def _status(country: Country, exit: CountryExit | None) -> dict:
    country.refresh_from_db(fields=["status"])
    return {
        "country": country.code,
        "country_status": country.status,
        "exit": ExitSerializer(exit).data if exit else None,
    }


class _ExitView:
    """What the two doors (the country's, the platform's) share: who acts, and the services."""

    side: str = exits.COUNTRY
    action_name: str = ""

    def exit_country(self, code: str) -> Country:
        raise NotImplementedError

    def acting_access(self):
        return self.request.access if self.side == exits.COUNTRY else None

    def get(self, request, code):
        country = self.exit_country(code)
        return Response(_status(country, exits.exit_current(country=country)))

    def post(self, request, code):
        country = self.exit_country(code)
        serializer = ReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reason = serializer.validated_data["reason"]
        who = {"by": request.user, "access": self.acting_access(), "side": self.side}
        if self.action_name == "request":
            exit = exits.country_exit_request(country=country, reason=reason, **who)
            return Response(_status(country, exit), status=status.HTTP_201_CREATED)
        current = exits.exit_current(country=country)
        if current is None or not current.is_open:
            raise exceptions.NotFound(
                _("Not found: {country_name} has no exit under way.").format(country_name=country.display_name)
            )
        if self.action_name == "confirm":
            exit = exits.country_exit_confirm(exit=current, **who)
        elif self.action_name == "cancel":
            exit = exits.country_exit_cancel(exit=current, reason=reason, **who)
        else:
            exit = exits.country_exit_run(exit=current, reason=reason, **who)
            return Response(_status(country, exit), status=status.HTTP_202_ACCEPTED)
        return Response(_status(country, exit))


@allowed_after_exit
class CountryExitApi(_ExitView, CountryAPIView):
    """The country's exit, for its country admins."""

    http_method_names = ["get", "head", "options"]

    def exit_country(self, code: str) -> Country:
        self.require_country_admin()
        return self.country

    @extend_schema(
        operation_id="exit_retrieve",
        tags=["exit"],
        summary="Where the country's exit stands",
        parameters=[CODE_PARAMETER],
        responses={200: ExitStatusSerializer, **errors(401, 403, 404)},
    )
    def get(self, request, code):
        return super().get(request, code)


@allowed_after_exit
class PlatformExitApi(_ExitView, ApiView):
    """A country's exit, for platform admins."""

    side = exits.PLATFORM
    http_method_names = ["get", "head", "options"]

    def exit_country(self, code: str) -> Country:
        # The request's access, not the account: a personal token limited to some countries, or
        # read-only, carries no platform power even when its owner is a platform admin.
        if not self.request.access.is_platform_admin:
            raise exceptions.PermissionDenied(_("Only a platform admin can act for the platform in a country's exit."))
        country = Country.objects.filter(code=str(code).upper()).first() if len(str(code)) == 2 else None
        if country is None:
            raise exceptions.NotFound(_("Not found: there is no country {code}.").format(code=str(code)[:10].upper()))
        return country

    @extend_schema(
        operation_id="platform_exit_retrieve",
        tags=["exit"],
        summary="Where a country's exit stands (platform admins)",
        parameters=[CODE_PARAMETER],
        responses={200: ExitStatusSerializer, **errors(401, 403, 404)},
    )
    def get(self, request, code):
        return super().get(request, code)


def exit_action_view(action: str, *, platform: bool):
    """The view of one action of one side: a class of its own, so each is one operation in the schema."""
    base = PlatformExitApi if platform else CountryExitApi
    prefix = "platform_exit" if platform else "exit"
    codes = {"request": 201, "run": 202}.get(action, 200)

    def post(self, request, code):
        return _ExitView.post(self, request, code)

    post = extend_schema(
        operation_id=f"{prefix}_{action}",
        tags=["exit"],
        summary=EXIT_SUMMARIES[action] + (" (platform admins)" if platform else ""),
        description=EXIT_DESCRIPTIONS[action],
        parameters=[CODE_PARAMETER],
        request=ReasonSerializer,
        examples=[REASON_EXAMPLE] if action in ("request", "run") else [],
        responses={codes: ExitStatusSerializer, **errors(400, 401, 403, 404)},
    )(post)
    view = type(
        f"{base.__name__[:-3]}{action.title()}Api",
        (base,),
        {"action_name": action, "post": post, "http_method_names": ["post", "options"], "__doc__": base.__doc__},
    )
    return allowed_after_exit(view).as_view()


# --- A person's erasure -----------------------------------------------------------------------------


class ErasureSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    state = serializers.ChoiceField(choices=MemberErasure.State.choices)
    member = serializers.IntegerField(
        source="membership_id", allow_null=True, help_text=gettext_lazy("Until it is done.")
    )
    reason = serializers.SerializerMethodField(help_text=RECORDED)
    reason_checked = serializers.SerializerMethodField(help_text=CHECKED)
    requested_by = serializers.IntegerField(source="requested_by_id", allow_null=True)
    requested_at = serializers.DateTimeField()
    confirmed_by = serializers.IntegerField(source="confirmed_by_id", allow_null=True)
    confirmed_at = serializers.DateTimeField(allow_null=True)
    pseudonym = serializers.CharField(help_text=gettext_lazy("How the record names the person once erased."))
    account_closed = serializers.BooleanField()
    rows = serializers.DictField(child=serializers.IntegerField(), help_text=gettext_lazy("Rows changed, per table."))
    files_destroyed = serializers.ListField(child=serializers.CharField())
    certificate = serializers.CharField(
        help_text=gettext_lazy("The certificate of erasure (canonical JSON text), once done.")
    )
    certificate_signature = serializers.CharField(
        help_text=gettext_lazy(
            "Ed25519 signature (base64) of `certificate`'s exact text by the key at /.well-known/ledger-key.pem."
        )
    )

    def get_reason(self, erasure) -> str:
        shown = _erasure_reason(erasure)
        return shown.text if shown else ""

    def get_reason_checked(self, erasure) -> bool:
        shown = _erasure_reason(erasure)
        return bool(shown and shown.checked)


class _CountryAdminApi(CountryAPIView):
    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.require_country_admin()

    def member(self, id: str):
        membership = selectors.membership_get(country=self.country, pk=object_id(id))
        if membership is None:
            raise exceptions.NotFound(
                _("Not found: {country_name} has no member {id}.").format(country_name=self.country.display_name, id=id)
            )
        return membership

    def erasure(self, id: str) -> MemberErasure:
        with country_context(self.country):
            found = erasures.erasure_get(country=self.country, pk=object_id(id))
        if found is None:
            raise exceptions.NotFound(
                _("Not found: {country_name} has no erasure {id}.").format(
                    country_name=self.country.display_name, id=id
                )
            )
        return found


class MemberErasureApi(_CountryAdminApi):
    """Ask for a person's erasure (a second country admin confirms it)."""

    @extend_schema(
        operation_id="members_erasure_request",
        tags=["members"],
        summary="Ask for a person's erasure",
        description=_(
            "A second country admin must confirm it (POST …/erasures/<id>/confirm/) before anything is erased."
        ),
        parameters=[CODE_PARAMETER, ID_PARAMETER],
        request=ReasonSerializer,
        examples=[
            OpenApiExample("With a reason", value={"reason": "Their request of 3 March, by letter."}, request_only=True)
        ],
        responses={201: ErasureSerializer, **errors(400, 401, 403, 404, 409)},
    )
    def post(self, request, code, id):
        membership = self.member(id)
        serializer = ReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        erasure = erasures.member_erasure_request(
            membership=membership, by=request.user, access=request.access, reason=serializer.validated_data["reason"]
        )
        return Response(ErasureSerializer(erasure).data, status=status.HTTP_201_CREATED)


class ErasureDetailApi(_CountryAdminApi):
    """One erasure: waiting for a confirmation, cancelled, or done with its signed certificate."""

    @extend_schema(
        operation_id="erasures_retrieve",
        tags=["members"],
        summary="One erasure and its certificate",
        parameters=[CODE_PARAMETER, ID_PARAMETER],
        responses={200: ErasureSerializer, **errors(401, 403, 404)},
    )
    def get(self, request, code, id):
        return Response(ErasureSerializer(self.erasure(id)).data)


class ErasureConfirmApi(_CountryAdminApi):
    """The second country admin confirms: the person is erased now."""

    @extend_schema(
        operation_id="erasures_confirm",
        tags=["members"],
        summary="Confirm a person's erasure (a second country admin)",
        description=_("Not by the admin who asked, nor by the person erased. Irreversible."),
        parameters=[CODE_PARAMETER, ID_PARAMETER],
        request=None,
        responses={200: ErasureSerializer, **errors(400, 401, 403, 404, 409)},
    )
    def post(self, request, code, id):
        erasure = erasures.member_erasure_confirm(erasure=self.erasure(id), by=request.user, access=request.access)
        return Response(ErasureSerializer(erasure).data)


class ErasureCancelApi(_CountryAdminApi):
    """Cancel an erasure that waits for its confirmation."""

    @extend_schema(
        operation_id="erasures_cancel",
        tags=["members"],
        summary="Cancel a person's erasure before it is confirmed",
        description=_("Say why in `reason` (required; kept on the record, sealed under the country's key)."),
        parameters=[CODE_PARAMETER, ID_PARAMETER],
        request=ReasonSerializer,
        responses={200: ErasureSerializer, **errors(400, 401, 403, 404, 409)},
    )
    def post(self, request, code, id):
        erasure = self.erasure(id)
        serializer = ReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        erasure = erasures.member_erasure_cancel(
            erasure=erasure, by=request.user, access=request.access, reason=serializer.validated_data["reason"]
        )
        return Response(ErasureSerializer(erasure).data)


# --- Data-subject access ----------------------------------------------------------------------------


class SubjectAccessSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    subject = serializers.IntegerField(source="subject_id")
    state = serializers.ChoiceField(choices=SubjectAccessExport.State.choices)
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True)
    download_url = serializers.SerializerMethodField()

    def get_download_url(self, obj) -> str | None:
        if not subject_access.subject_access_downloadable(obj):
            return None
        return reverse("api-subject-access-download", kwargs={"code": obj.country.code, "id": obj.pk})


@allowed_after_exit
class MemberSubjectAccessApi(_CountryAdminApi):
    """Ask for everything the country holds about one person, as a zip built by a worker."""

    @extend_schema(
        operation_id="members_subject_access",
        tags=["members"],
        summary="Ask for all the data held about a person (subject access)",
        description=_(
            "Answers 202: follow …/subject-access/<id>/ until `download_url` is set. The zip holds the person's account and membership, every row naming them, the files on those rows and the events they caused, with a signed manifest. Every request and download is on the record."
        ),
        parameters=[CODE_PARAMETER, ID_PARAMETER],
        request=None,
        responses={202: SubjectAccessSerializer, **errors(401, 403, 404)},
    )
    def post(self, request, code, id):
        made = subject_access.subject_access_request(
            country=self.country, membership=self.member(id), by=request.user, access=request.access
        )
        return Response(SubjectAccessSerializer(made).data, status=status.HTTP_202_ACCEPTED)


class _SubjectAccessView(_CountryAdminApi):
    def found(self, id: str) -> SubjectAccessExport:
        with country_context(self.country):
            made = subject_access.subject_access_get(country=self.country, pk=object_id(id))
        if made is None:
            raise exceptions.NotFound(
                _("Not found: {country_name} has no subject-access request {id}.").format(
                    country_name=self.country.display_name, id=id
                )
            )
        return made


class SubjectAccessDetailApi(_SubjectAccessView):
    """One subject-access request and its progress."""

    @extend_schema(
        operation_id="subject_access_retrieve",
        tags=["members"],
        summary="One subject-access request",
        parameters=[CODE_PARAMETER, ID_PARAMETER],
        responses={200: SubjectAccessSerializer, **errors(401, 403, 404)},
    )
    def get(self, request, code, id):
        return Response(SubjectAccessSerializer(self.found(id)).data)


class SubjectAccessDownloadApi(_SubjectAccessView):
    """The zip of one subject-access request, once built and until it expires."""

    @extend_schema(
        operation_id="subject_access_download",
        tags=["members"],
        summary="Download the zip of a subject-access request",
        parameters=[CODE_PARAMETER, ID_PARAMETER],
        responses={
            (200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY, description=_("The zip.")),
            **errors(401, 403, 404, 410),
        },
    )
    def get(self, request, code, id):
        made = self.found(id)
        if not subject_access.subject_access_downloadable(made):
            raise exceptions.NotFound(_("Not found: this request's zip is not ready, or no longer kept."))
        handle = subject_access.subject_access_open(
            country=self.country, request=made, by=request.user, actor_role="country_admin"
        )
        return FileResponse(
            handle,
            as_attachment=True,
            filename=f"{self.country.code.lower()}-subject-access-{made.pk}.zip",
            content_type="application/zip",
        )
