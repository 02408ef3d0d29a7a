"""App config of tenants: after every migrate, the runtime role and its grants are brought up to date."""
from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _grant_runtime_role(sender, using="default", **kwargs) -> None:
    from django.db import connections

    from .db import ensure_runtime_role

    ensure_runtime_role(connections[using])


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Countries and people"

    def ready(self) -> None:
        post_migrate.connect(_grant_runtime_role, sender=self, dispatch_uid="tenants.grant_runtime_role")
        from . import signals

        signals.connect()
        from . import engagement_selectors, engagement_tasks, onboarding  # noqa: F401 (tasks register with Celery)

        onboarding.register("engagement", status=engagement_selectors.onboarding_status)
