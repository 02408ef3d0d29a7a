"""Applies the reading rules (tenants.languages.choice) to each request, after the person and their
access are known. Django's LocaleMiddleware runs earlier with the cookie and Accept-Language (so
that even a refusal answered before this point is in the browser's language); this middleware
then puts the account's and the country's choice first, and turns on the person's time zone."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone, translation

from tenants.access import ANONYMOUS
from tenants.languages.choice import reading_for, supported


class ReadingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        access = getattr(request, "access", ANONYMOUS)
        header = request.headers.get("Accept-Language", "")
        api_asks = request.path_info.startswith("/api/") and supported(header.split(",")[0].split(";")[0])
        reading = reading_for(
            request.user,
            member_country_ids=access.member_country_ids,
            cookie_language=request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME),
            read=getattr(request, "portal_reading", None),  # carried by the country's lookup, when there was one
        )
        if reading.language and not api_asks:
            translation.activate(reading.language)
            request.LANGUAGE_CODE = translation.get_language()
        timezone.activate(reading.time_zone)
        request.time_zone = reading.time_zone
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
