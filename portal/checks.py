"""Deployment checks (`manage.py check --deploy`): the keys load, the runtime database role cannot
escape row-level security, and every country-owned table has it enabled and forced.

Settings already refuse to start without the pieces (portal.settings, "Production"); these checks
open what the settings only name: a key file that exists but does not parse, a runtime role that
was made a superuser by hand, a table whose migration forgot its policy."""

from __future__ import annotations

import os

from django.apps import apps
from django.conf import settings
from django.core.checks import Error, Warning, register
from django.db import connection

from tenants.models import TenantModel


def _key_errors() -> list[Error]:
    from deployments import published
    from tenants.keys import certificates, envelope
    from tenants.record import signing

    loaders = [
        ("portal.E101", "PORTAL_MASTER_KEY", lambda: (envelope.master_keys_reset(), envelope.master_keys())),
        ("portal.E102", "LEDGER_SIGNING_KEY", lambda: (signing.signing_key_reset(), signing.signing_key())),
        (
            "portal.E103",
            "CERTIFICATE_KEY",
            lambda: (certificates.certificate_key_reset(), certificates.certificate_keys()),
        ),
    ]
    # The gateway's key belongs to the workers and the gateway only: checked where it is given.
    if os.environ.get("GATEWAY_POLICY_KEY") or os.environ.get("GATEWAY_POLICY_KEY_FILE"):
        loaders.append(("portal.E104", "GATEWAY_POLICY_KEY", published.gateway_key_load))
    if os.environ.get("GATEWAY_POLICY_KEY_FALLBACKS") or os.environ.get("GATEWAY_POLICY_KEY_FALLBACKS_FILE"):
        loaders.append(("portal.E104", "GATEWAY_POLICY_KEY_FALLBACKS", published.gateway_key_fallbacks_load))
    errors = []
    for code, name, load in loaders:
        try:
            load()
        except Exception as error:  # noqa: BLE001 - any failure to load is the finding
            errors.append(
                Error(
                    f"{name} does not load: {type(error).__name__}: {error}"[:300],
                    hint=f"Set {name} or {name}_FILE to a key made by scripts/generate_secrets.py.",
                    id=code,
                )
            )
    return errors


def tenant_tables() -> list[str]:
    """The tables of every country-owned model (TenantModel)."""
    return sorted(
        model._meta.db_table
        for model in apps.get_models()
        if issubclass(model, TenantModel) and model._meta.managed and not model._meta.proxy
    )


def _database_errors() -> list[Error]:
    if connection.vendor != "postgresql":
        return [Error("The database is not PostgreSQL: there is no row-level security.", id="portal.E110")]
    errors = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, r.rolsuper, r.rolbypassrls FROM pg_roles r WHERE r.rolname = current_user")
        role, superuser, bypass = cursor.fetchone()
        if superuser or bypass:
            errors.append(
                Error(
                    f"The database role {role} is a superuser or has BYPASSRLS: row-level security does not bind it.",
                    hint="The web and workers connect with APP_DATABASE_URL, a plain role (portal_app) made by migrate.",
                    id="portal.E111",
                )
            )
        cursor.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND pg_has_role(current_user, c.relowner, 'MEMBER')"
        )
        owned = cursor.fetchone()[0]
        if owned:
            errors.append(
                Error(
                    f"The database role {role} owns (or inherits the owner of) {owned} tables: an owner can turn "
                    "row-level security off.",
                    hint="Run the web and workers with APP_DATABASE_URL; only migrate uses DATABASE_URL.",
                    id="portal.E112",
                )
            )
        tables = tenant_tables()
        cursor.execute(
            "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class "
            "WHERE relname = ANY(%s) AND relnamespace = current_schema()::regnamespace",
            [tables],
        )
        found = {name: (enabled, forced) for name, enabled, forced in cursor.fetchall()}
    for table in tables:
        enabled, forced = found.get(table, (False, False))
        if table not in found:
            errors.append(Error(f"Table {table} is missing: run migrate.", id="portal.E113"))
        elif not (enabled and forced):
            errors.append(
                Error(
                    f"Table {table} has row-level security {'enabled' if enabled else 'disabled'} and "
                    f"{'forced' if forced else 'not forced'}: it must be both.",
                    hint="Its migration needs tenants.db.enable_row_level_security().",
                    id="portal.E114",
                )
            )
    return errors


def _sealing_window_warnings() -> list[Warning]:
    """A sealing window still open (tenants.keys.windows): values with no seal are still accepted in
    its column. Right during a rolling upgrade; once every process runs the new release, close it."""
    from tenants.keys.windows import windows_open

    return [
        Warning(
            f"The sealing window of {window.table}.{window.column} has been open since "
            f"{window.opened_at:%Y-%m-%d %H:%M} UTC: a value with no seal in that column is still read as "
            "plain, not refused as altered.",
            hint="Once every process runs the new release, run `manage.py seal_plain_values` (beat closes it "
            "SEALING_WINDOW_HOURS after it opened).",
            id="portal.W120",
        )
        for window in windows_open()
    ]


@register(deploy=True)
def production_check(app_configs=None, **kwargs) -> list[Error]:
    """Run by `manage.py check --deploy`."""
    from portal.settings import production_refusals

    problems = production_refusals(settings) + (["DEBUG is on."] if settings.DEBUG else [])
    errors = [Error(problem, id="portal.E100") for problem in problems]
    errors += _key_errors()
    try:
        errors += _database_errors()
        if not any(error.id == "portal.E113" for error in errors):  # its table is there
            errors += _sealing_window_warnings()
    except Exception as error:  # noqa: BLE001 - an unreachable database is the finding
        errors.append(Error(f"The database does not answer: {type(error).__name__}: {error}"[:300], id="portal.E119"))
    return errors
