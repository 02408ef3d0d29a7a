"""What Django's debug page and error reports may show: the usual names hidden (KEY, SECRET, PASS,
TOKEN…), and besides, the credentials inside any URL (DATABASE_URL, APP_DATABASE_URL, REDIS_URL,
CELERY_BROKER_URL, a cache's LOCATION…), wherever it appears in the settings or the request's
environment. Named by DEFAULT_EXCEPTION_REPORTER_FILTER."""

from __future__ import annotations

import re

from django.views.debug import SafeExceptionReporterFilter

# scheme://user:password@host or scheme://:password@host or scheme://token@host
CREDENTIALS_IN_URL = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<userinfo>[^/@\s]+)@")


def mask_url_credentials(text: str, mask: str) -> str:
    return CREDENTIALS_IN_URL.sub(lambda m: f"{m['scheme']}{mask}@", text)


class CredentialMaskingFilter(SafeExceptionReporterFilter):
    hidden_settings = re.compile(
        SafeExceptionReporterFilter.hidden_settings.pattern + "|DSN|CREDENTIAL|PRIVATE", flags=re.I
    )

    def cleanse_setting(self, key, value):
        cleansed = super().cleanse_setting(key, value)
        if isinstance(cleansed, str):
            return mask_url_credentials(cleansed, self.cleansed_substitute)
        return cleansed

    def get_traceback_frame_variables(self, request, tb_frame):
        # Local variables get the settings' treatment too: hidden by name, URLs masked, recursively.
        return [
            (name, self.cleanse_setting(name, value) if isinstance(value, (str, dict, list, tuple)) else value)
            for name, value in super().get_traceback_frame_variables(request, tb_frame)
        ]
