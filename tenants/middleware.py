"""Per-request resolution of the person's access and the country in the URL, the transaction in
which row-level security sees exactly the countries this request may see, and the refusal (409)
of every change to a country that is leaving or has left the programme."""

from __future__ import annotations

import re

from allauth.account.internal.flows.reauthentication import ReauthenticationRequired
from allauth.core.exceptions import ImmediateHttpResponse
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.urls import get_resolver
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from tenants.access import access_changes_renewed, access_for
from tenants.country_state import CountryReadOnly, country_state, country_state_memo
from tenants.files import FileUnreadable
from tenants.identity.tokens import token_scope, user_from_bearer
from tenants.isolation import country_context, public_country_context
from tenants.languages.choice import in_language_of, reading_columns, reading_read
from tenants.models import Country
from tenants.queries import CompiledQuery

# A country's pages (/c/FR/), its audit pages (/audit/FR/; /audit/ alone names none) and its API.
COUNTRY_IN_PATH = re.compile(r"^/(?:c|audit|api/v1/countries)/(?P<code>[A-Za-z]{2})(?:/|$)")
# A country's public pages (its AI register): anyone may read them, signed in or not, and what
# they show does not depend on who asks. They are served in the public reading mode for exactly
# the country of the URL (tenants.isolation.public_country_context), never in the person's scope.
PUBLIC_COUNTRY_IN_PATH = re.compile(r"^/register/(?P<code>[A-Za-z]{2})(?:/|$)")
# Health checks and the published ledger key answer without a session, a transaction or a country
# (/healthz and the key do no I/O at all).
TOKEN_REVOKE_PATH = "/api/v1/auth/token/revoke/"
# Exceptions that only turn into an answer (a 404, a 403, allauth's "show this page" or "confirm
# it is you first"): nothing is undone for them, and the pages they lead to may still read.
REFUSALS = (Http404, PermissionDenied, ImmediateHttpResponse, ReauthenticationRequired)
UNSCOPED_PATHS = frozenset({"/healthz", "/readyz", "/.well-known/ledger-key.pem"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
EXITED_STATUS = 409  # Conflict: the request is well formed, the country's state refuses it


def refusal_response(request, error: CountryReadOnly) -> HttpResponse:
    """409 naming the exit: JSON for the API, a page for people."""
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": error.message, "country_status": error.state.status}, status=EXITED_STATUS)
    html = render_to_string(
        "tenants/country_read_only.html", {"message": error.message, "state": error.state}, request=request
    )
    return HttpResponse(html, status=EXITED_STATUS)


def file_refusal_response(request, error: FileUnreadable) -> HttpResponse:
    """410 for a file whose key was destroyed, 409 for one that does not open here: never a 500."""
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": str(error)}, status=error.status)
    html = render_to_string("tenants/file_unreadable.html", {"message": str(error)}, request=request)
    return HttpResponse(html, status=error.status)


def _allowed_after_exit(view_func) -> bool:
    view_class = getattr(view_func, "view_class", None) or getattr(view_func, "cls", None)
    return bool(getattr(view_func, "allowed_after_exit", False) or getattr(view_class, "allowed_after_exit", False))


# Placeholders of the country lookup, compiled once for each shape (tenants.queries).
_CODE, _USER, _HOME = "\x00code", -911_000_001, -911_000_002
_LOOKUPS: dict[tuple[bool, bool], CompiledQuery] = {}


def _country_lookup(signed_in: bool, has_home: bool) -> CompiledQuery:
    """The country of the URL by its code; for a signed-in person, with their language and time
    zone riding along (ReadingMiddleware then makes no query of its own)."""
    key = (signed_in, has_home)
    if key not in _LOOKUPS:
        found = Country.objects.filter(code=_CODE)
        placeholders: dict = {"code": _CODE}
        if signed_in:
            found = found.annotate(**reading_columns(_USER, home_country_id=_HOME if has_home else None))
            placeholders["user"] = _USER
            if has_home:
                placeholders["home"] = _HOME
        _LOOKUPS[key] = CompiledQuery(found.order_by("pk")[:1], placeholders)
    return _LOOKUPS[key]


API_PREFIX = "/api/"


def _second_factor_missing(user, token) -> bool:
    """Whether the token opens nothing until the portal's own second factor is dealt with
    (tenants.identity.policy.token_second_factor_owed: the same rule as the session guard's).
    Cached per person and what the token stands on, made stale by any change of their roles,
    assignments, account or second factors, of a country's rule or of a provider
    (tenants.access_signals)."""
    from django.conf import settings

    from tenants.access import cache_for_person, cached_for_person
    from tenants.identity import policy

    if not settings.SECOND_FACTOR_ENFORCED:
        return False
    # A vouched token stands on when it was made too (tenants.identity.policy.vouch_standing).
    made = f"{token.pk}" if token.vouched_country_id is not None else "0"
    key = f"portal:second-factor-missing:{user.pk}:{token.vouched_country_id or 0}:{token.vouched_role}:{made}"
    missing = cached_for_person(key)
    if missing is None:
        missing = policy.token_second_factor_owed(access=access_for(user), user=user, token=token)
        cache_for_person(key, missing, user_id=user.pk)
    return missing


def _token_refused(user, message) -> JsonResponse:
    """A token's refusal, answered before the reader's language is applied to the request: written
    in the language of the person the token is theirs (what their browser asks for plays no part)."""
    with in_language_of(user):
        return JsonResponse({"detail": str(message)}, status=403, headers={"Content-Language": get_language()})


def _unseen_country_not_found(request, access) -> HttpResponse | None:
    """A 404 in place of a view's 405 (wrong method) when the URL names a country this signed-in
    person may not see: whether the route exists there is nothing they may learn (DESIGN §4), so
    the answer is the one the right method gets. Made here, in the request's scope, for every route."""
    match = COUNTRY_IN_PATH.match(request.path_info)
    if match is None or request.country is not None or access.user_id is None:
        return None
    if request.path_info.startswith(API_PREFIX):
        detail = _("Not found: there is no country {code} among those you can see.").format(code=match["code"].upper())
        return JsonResponse({"detail": detail}, status=404)
    return get_resolver().resolve_error_handler(404)(request, Http404("No country with this code is visible to you."))


class CountryScopeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info in UNSCOPED_PATHS:
            return self.get_response(request)
        # A token opens the API only (DESIGN §8): pages, the account area and the admin need a session,
        # so a token cannot mint a longer-lived one or reach the admin without the session's limits.
        resolved = user_from_bearer(request) if request.path_info.startswith(API_PREFIX) else None
        if resolved is not None:
            request.portal_bearer = resolved
            request.user = resolved[0]
        access = access_for(request.user)
        if resolved is not None:
            # A token reaches at most its own countries, and a read-only one only reads.
            country_ids, read_only = token_scope(resolved[1])
            access = access.narrowed(country_ids=country_ids, read_only=read_only)
            if _second_factor_missing(request.user, resolved[1]):
                if resolved[1].vouched_country_id is not None:
                    message = gettext_lazy(
                        "This token was made on your country's sign-in service's second factor, which no "
                        "longer covers your roles: sign in in the browser, show the portal's own second "
                        "factor, then make a new token."
                    )
                else:
                    message = gettext_lazy(
                        "Your role now needs a second factor, and this account has none: sign in in the "
                        "browser, set one up, then ask for a new token."
                    )
                return _token_refused(request.user, message)
            if read_only and request.method not in SAFE_METHODS and request.path_info != TOKEN_REVOKE_PATH:
                return _token_refused(
                    request.user,
                    gettext_lazy("This token is read-only: it cannot change anything. Use a read-write token."),
                )
        request.access = access
        request.country = None
        request.public_country = None
        public = PUBLIC_COUNTRY_IN_PATH.match(request.path_info)
        if public:
            # An unknown code is left unresolved (the views answer 404) and sees no country at all.
            country = Country.objects.filter(code=public["code"].upper()).first()
            request.public_country = country
            context = public_country_context(country) if country is not None else country_context()
        else:
            context = country_context(self._scope(request, access))
        # The country's state (read-only? key epoch?) is taken once per request, from the row read
        # above: tenants.country_state.
        # Access changed by this request is forgotten again once its transaction has committed.
        with access_changes_renewed(), country_state_memo(request.country), context:
            response = self.get_response(request)
            if response.status_code == 405:
                response = _unseen_country_not_found(request, access) or response
            if response.status_code >= 500 or getattr(response, "portal_rollback", False):
                transaction.set_rollback(True)
        return response

    @staticmethod
    def _scope(request, access) -> frozenset[int]:
        match = COUNTRY_IN_PATH.match(request.path_info)
        if not match:
            return access.country_ids
        signed_in = access.user_id is not None
        if not signed_in:
            country = _country_lookup(False, False).first(code=match["code"].upper())
        elif access.member_country_ids:
            lookup = _country_lookup(True, True)
            country = lookup.first(code=match["code"].upper(), user=access.user_id, home=min(access.member_country_ids))
        else:
            country = _country_lookup(True, False).first(code=match["code"].upper(), user=access.user_id)
        if country is not None and signed_in:
            request.portal_reading = reading_read(country, member_country_ids=access.member_country_ids)
        # A country the person may not see is left unresolved; views answer 404 for it.
        if country is not None and access.can_view(country.pk):
            request.country = country
            return frozenset({country.pk})
        return frozenset()

    def process_view(self, request, view_func, view_args, view_kwargs):
        """A country that is leaving or has left is read-only: every change to it is refused here,
        before any view runs, unless the view only reads (tenants.country_state.allowed_after_exit)."""
        country = getattr(request, "country", None)
        if country is None or request.method in SAFE_METHODS or _allowed_after_exit(view_func):
            return None
        state = country_state(country.pk)
        if state is not None and state.read_only:
            return refusal_response(request, CountryReadOnly(state))
        return None

    def process_exception(self, request, exception):
        if isinstance(exception, CountryReadOnly):
            # A write reached a country that left by another door (a review queue, a shared page):
            # undo whatever the request wrote and answer 409 naming the exit.
            response = refusal_response(request, exception)
            response.portal_rollback = True
            return response
        if isinstance(exception, FileUnreadable):
            # Reading a file whose key is gone: say so, and keep nothing the request had written
            # (a download's record of being taken, for one).
            response = file_refusal_response(request, exception)
            response.portal_rollback = True
            return response
        # A refusal (404, 403) changed nothing and its error page may still read; anything else
        # undoes whatever the view had written before it failed.
        if not isinstance(exception, REFUSALS) and transaction.get_connection().in_atomic_block:
            transaction.set_rollback(True)
        return None
