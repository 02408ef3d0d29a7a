"""The language switcher's door: POST /language/ with a language and the page to go back to. A
signed-in person's choice is kept on their account; everyone's is kept in a cookie for this browser."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tenants.languages.choice import supported, valid_time_zone
from tenants.languages.models import Preferences


@require_POST
def language_switch(request):
    language = supported(request.POST.get("language"))
    if language is None or language not in dict(settings.LANGUAGES):
        raise BadRequest(_("Choose one of the languages offered."))
    back = request.POST.get("next") or "/"
    if not back.startswith("/") or not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = "/"  # a path of this site only; redirect() would take any other word for a URL name
    if request.user.is_authenticated:
        Preferences.objects.update_or_create(user=request.user, defaults={"language": language})
    response = HttpResponseRedirect(back)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


@login_required
@require_POST
def preferences_save(request):
    """One's language and time zone, from the account page. Empty means "my country's"."""
    language = request.POST.get("language", "")
    zone = request.POST.get("time_zone", "").strip()
    if language and supported(language) not in dict(settings.LANGUAGES):
        raise BadRequest(_("Choose one of the languages offered."))
    if zone and valid_time_zone(zone) is None:
        messages.error(
            request,
            _("“%(zone)s” is not a time zone. Write it as Region/City, e.g. Europe/Paris.")
            % {"zone": zone if len(zone) <= 60 else zone[:60] + "…"},
        )
        return redirect("account_home")
    Preferences.objects.update_or_create(
        user=request.user, defaults={"language": supported(language) or "", "time_zone": zone}
    )
    if language:
        translation.activate(supported(language))
    messages.success(request, _("Your language and time zone were saved."))
    response = redirect("account_home")
    if language:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            supported(language),
            max_age=settings.LANGUAGE_COOKIE_AGE,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    return response
