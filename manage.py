#!/usr/bin/env python
"""Django's command-line entry point for the portal."""

import os
import sys

# Commands that change the schema or the database roles run as the owning role
# (DATABASE_URL); everything else, the web and the workers included, runs as the
# runtime role (APP_DATABASE_URL), which row-level security applies to.
OWNER_COMMANDS = {"migrate", "makemigrations", "setup_database", "sqlmigrate", "showmigrations"}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    if len(sys.argv) > 1 and sys.argv[1] in OWNER_COMMANDS:
        os.environ.setdefault("PORTAL_DB_ROLE", "owner")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as refusal:
        # A setting missing or wrong: the operator reads what to set, not a traceback.
        sys.exit(f"The portal's settings are not complete: {refusal}")


if __name__ == "__main__":
    main()
