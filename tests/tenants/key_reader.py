"""Run as a second process by test_key_destruction: opens one sealed value over and over, as each
request of a web process would, and prints one JSON line per read (the time and what it saw).
Its key cache warms on the first read and is never cleared by the test process."""

import json
import os
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
django.setup()

from tenants.country_state import country_state_memo  # noqa: E402
from tenants.isolation import country_context  # noqa: E402
from tenants.keys.fields import Unreadable  # noqa: E402
from tenants.models import Membership  # noqa: E402


def main(country_id: int, membership_id: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with country_state_memo(), country_context(country_id):  # what each request does
            value = Membership.objects.get(pk=membership_id).phone
        print(
            json.dumps({"at": time.time(), "unreadable": isinstance(value, Unreadable), "value": str(value)}),
            flush=True,
        )
        time.sleep(0.02)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]))
