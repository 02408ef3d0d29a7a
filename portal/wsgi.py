"""WSGI entry point (gunicorn portal.wsgi)."""

import os
import sys

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
try:
    application = get_wsgi_application()
except ImproperlyConfigured as refusal:
    # A setting missing or wrong: the operator reads what to set, not a traceback of the loader.
    print(f"The portal's settings are not complete: {refusal}", file=sys.stderr, flush=True)
    raise SystemExit(3) from None
