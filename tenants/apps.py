"""App config of tenants, the foundation. Its core (countries, organisations, people, access,
isolation) sits in the package's top level; its rooms (identity, record, keys, notifications, jobs)
keep their own models, admin and signals, which this config wires into the one `tenants` app.
After every migrate, the runtime role and its grants are brought up to date."""

from importlib import import_module

from django.apps import AppConfig
from django.db.models.signals import post_migrate

# The rooms of the foundation that hold tables of the tenants app.
ROOMS_WITH_MODELS = ("identity", "record", "keys", "notifications", "jobs")


def _grant_runtime_role(sender, using="default", **kwargs) -> None:
    from django.db import connections

    from tenants.db import ensure_runtime_role

    ensure_runtime_role(connections[using])


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Countries and people"

    def import_models(self) -> None:
        # Django imports tenants.models; the rooms' models belong to the same app (same label,
        # same migrations) and are registered here, without tenants.models importing them.
        super().import_models()
        for room in ROOMS_WITH_MODELS:
            import_module(f"tenants.{room}.models")

    def ready(self) -> None:
        post_migrate.connect(_grant_runtime_role, sender=self, dispatch_uid="tenants.grant_runtime_role")
        for room in ("identity", "record"):
            import_module(f"tenants.{room}.admin")
        from allauth.socialaccount.providers import registry

        from tenants.identity import signals
        from tenants.identity.oidc.provider import GovernmentProvider

        registry.register(GovernmentProvider)
        signals.connect()
