"""Per-request resolution of the person's access and the country in the URL, and the
transaction in which row-level security sees exactly the countries this request may see."""

from __future__ import annotations

import re

from allauth.account.internal.flows.reauthentication import ReauthenticationRequired
from allauth.core.exceptions import ImmediateHttpResponse
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _

from tenants.access import access_for
from tenants.identity.tokens import token_scope, user_from_bearer
from tenants.isolation import country_context
from tenants.models import Country

# A country's pages (/c/FR/), its audit pages (/audit/FR/; /audit/ alone names none) and its API.
COUNTRY_IN_PATH = re.compile(r"^/(?:c|audit|api/v1/countries)/(?P<code>[A-Za-z]{2})(?:/|$)")
# Health checks and the published ledger key answer without a session, a transaction or a country
# (/healthz and the key do no I/O at all).
TOKEN_REVOKE_PATH = "/api/v1/auth/token/revoke/"
# Exceptions that only turn into an answer (a 404, a 403, allauth's "show this page" or "confirm
# it is you first"): nothing is undone for them, and the pages they lead to may still read.
REFUSALS = (Http404, PermissionDenied, ImmediateHttpResponse, ReauthenticationRequired)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
UNSCOPED_PATHS = frozenset({"/healthz", "/readyz", "/.well-known/ledger-key.pem"})


class CountryScopeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info in UNSCOPED_PATHS:
            return self.get_response(request)
        resolved = user_from_bearer(request)
        if resolved is not None:
            request.portal_bearer = resolved
            request.user = resolved[0]
        access = access_for(request.user)
        if resolved is not None:
            # A token reaches at most its own countries, and a read-only one only reads.
            country_ids, read_only = token_scope(resolved[1])
            access = access.narrowed(country_ids=country_ids, read_only=read_only)
            if read_only and request.method not in SAFE_METHODS and request.path_info != TOKEN_REVOKE_PATH:
                return JsonResponse(
                    {"detail": _("This token is read-only: it cannot change anything. Use a read-write token.")},
                    status=403,
                )
        request.access = access
        request.country = None
        scope = access.country_ids
        match = COUNTRY_IN_PATH.match(request.path_info)
        if match:
            country = Country.objects.filter(code=match["code"].upper()).first()
            # A country the person may not see is left unresolved; views answer 404 for it.
            if country is not None and access.can_view(country.pk):
                request.country = country
                scope = frozenset({country.pk})
            else:
                scope = frozenset()
        with country_context(scope):
            response = self.get_response(request)
            if response.status_code >= 500:
                transaction.set_rollback(True)
        return response

    def process_exception(self, request, exception):
        # A refusal (404, 403) changed nothing and its error page may still read; anything else
        # undoes whatever the view had written before it failed.
        if not isinstance(exception, REFUSALS) and transaction.get_connection().in_atomic_block:
            transaction.set_rollback(True)
        return None
