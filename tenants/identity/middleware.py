"""The session guard, after CountryScopeMiddleware: an idle session ends (sooner for privileged
roles), and a person who needs a second factor sees nothing but its pages until they have set one
up and, when they have one, shown it in this session. Bearer-token requests are not sessions:
tokens are only issued after the second factor (tenants.identity.api, the account page)."""

from __future__ import annotations

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from tenants.identity import policy

LAST_SEEN_KEY = "portal_last_seen"
# Pages open to a signed-in person who still owes a second factor: setting one up, showing it,
# signing out, and the static files those pages need.
OPEN_PREFIXES = (
    "/accounts/2fa/",
    "/accounts/logout/",
    "/accounts/login/",
    "/accounts/reauthenticate/",
    "/accounts/password/reset/",
    "/accounts/invitation/",
    "/static/",
    "/healthz",
    "/readyz",
    "/.well-known/",
)


class SessionGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or getattr(request, "portal_bearer", None):
            return self.get_response(request)
        access = getattr(request, "access", None)
        if access is None:
            return self.get_response(request)
        now = time.time()
        last_seen = request.session.get(LAST_SEEN_KEY)
        if last_seen is not None and now - float(last_seen) > policy.idle_limit_seconds(access=access):
            logout(request)
            return self._ended(request)
        if last_seen is None or now - float(last_seen) > 60:
            # Set at sign-in (signals); refreshed at most once a minute, so most requests write nothing.
            request.session[LAST_SEEN_KEY] = now
        if settings.SECOND_FACTOR_ENFORCED and not request.path_info.startswith(OPEN_PREFIXES):
            refusal = self._second_factor(request, access)
            if refusal is not None:
                return refusal
        return self.get_response(request)

    def _ended(self, request):
        message = _("You were signed out after a while without activity. Sign in again.")
        if request.path_info.startswith("/api/"):
            return JsonResponse({"detail": message}, status=401)
        messages.info(request, message)
        return HttpResponseRedirect(f"{reverse('login')}?{urlencode({'next': request.get_full_path()})}")

    def _second_factor(self, request, access):
        has_factor = policy.has_second_factor(request.user)
        if not policy.session_second_factor_owed(request, access=access, has_factor=has_factor):
            return None
        if has_factor:
            message = _("Confirm it is you with your second factor to continue.")
            target = reverse("mfa_reauthenticate")
        else:
            message = _("Your role needs a second factor. Set one up to continue: an authenticator app or a passkey.")
            target = reverse("mfa_index")
        if request.path_info.startswith("/api/"):
            return JsonResponse({"detail": message}, status=403)
        messages.warning(request, message)
        return HttpResponseRedirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
