"""App config of tenants, the foundation. Its core (countries, organisations, people, access,
isolation) sits in the package's top level; its rooms (identity, record, keys, notifications, jobs)
keep their own models, admin and signals, which this config wires into the one `tenants` app.
After every migrate, the runtime role and its grants are brought up to date. Deleting a row of a
country that is leaving or has left is refused (tenants.country_state), and each Celery task
answers a country's state once (as a request does)."""

from datetime import timedelta
from importlib import import_module

from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_migrate
from django.utils.translation import gettext_lazy

# The rooms of the foundation that hold tables of the tenants app.
ROOMS_WITH_MODELS = ("identity", "record", "keys", "notifications", "jobs", "languages", "conversations")


def _refuse_delete_after_exit(sender, instance, **kwargs) -> None:
    from tenants.country_state import writes_check

    writes_check(sender, [getattr(instance, "country_id", None)])


_task_memos: dict[str, object] = {}
_task_renewals: dict[str, object] = {}


def _task_memo_open(task_id=None, **kwargs) -> None:
    from tenants.access import access_changes_renewed
    from tenants.country_state import memo_open

    _task_memos[task_id] = memo_open()
    renewal = access_changes_renewed()
    renewal.__enter__()
    _task_renewals[task_id] = renewal


def _task_memo_close(task_id=None, **kwargs) -> None:
    from tenants.country_state import memo_close

    token = _task_memos.pop(task_id, None)
    if token is not None:
        memo_close(token)
    renewal = _task_renewals.pop(task_id, None)
    if renewal is not None:  # access the task changed, forgotten again now that it has committed
        renewal.__exit__(None, None, None)


def _grant_runtime_role(sender, using="default", **kwargs) -> None:
    from django.db import connections

    from tenants.db import ensure_runtime_role

    ensure_runtime_role(connections[using])


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = gettext_lazy("Countries and people")

    def import_models(self) -> None:
        # Django imports tenants.models; the rooms' models belong to the same app (same label,
        # same migrations) and are registered here, without tenants.models importing them.
        super().import_models()
        for room in ROOMS_WITH_MODELS:
            import_module(f"tenants.{room}.models")

    def ready(self) -> None:
        post_migrate.connect(_grant_runtime_role, sender=self, dispatch_uid="tenants.grant_runtime_role")
        from tenants.keys import upgrades

        pre_migrate.connect(upgrades.migrate_planned, sender=self, dispatch_uid="tenants.migrate_planned")
        post_migrate.connect(upgrades.migrate_done, sender=self, dispatch_uid="tenants.migrate_done")
        from django.apps import apps
        from django.db.models.signals import pre_delete

        from tenants.models import TenantModel

        # Per model, not for every sender: other tables keep Django's fast deletes.
        for model in apps.get_models():
            if issubclass(model, TenantModel):
                pre_delete.connect(
                    _refuse_delete_after_exit, sender=model, dispatch_uid=f"tenants.exit_guard.{model._meta.label}"
                )
        from celery.signals import task_postrun, task_prerun

        task_prerun.connect(_task_memo_open, dispatch_uid="tenants.country_state_open", weak=False)
        task_postrun.connect(_task_memo_close, dispatch_uid="tenants.country_state_close", weak=False)
        for room in ("identity", "record"):
            import_module(f"tenants.{room}.admin")
        from allauth.socialaccount.providers import registry

        from tenants.identity import signals
        from tenants.identity.oidc.provider import GovernmentProvider

        registry.register(GovernmentProvider)
        signals.connect()
        from tenants import access_signals, telemetry
        from tenants.jobs import sweep

        access_signals.connect()
        from tenants.keys import holdings

        telemetry.structlog_configure()
        telemetry.celery_signals_connect()

        # A country's export still unfinished two hours on (its hard limit is one) is run again.
        sweep.job_kind_register(
            model="tenants.CountryExport",
            task="tenants.country_export_build",
            id_argument="export_id",
            redrive_after=timedelta(hours=2),
        )
        # So is a subject-access zip (the same one-hour limit).
        sweep.job_kind_register(
            model="tenants.SubjectAccessExport",
            task="tenants.subject_access_build",
            id_argument="request_id",
            redrive_after=timedelta(hours=2),
        )

        # What a person holds in the foundation (tenants.keys.holdings: read by erasure and subject access).
        holdings.personal_text_register(
            "tenants.Membership", author="user", fields=["job_title", "phone", "contact_email"]
        )
        holdings.personal_rows_register("tenants.Notification", person="user")
        holdings.personal_text_register("tenants.ActionReason", author="by", fields=["reason"])
        holdings.files_register(
            "tenants.SubjectAccessExport", name=lambda request: request.file_name, personal_to="subject"
        )
        # Conversations (tenants.conversations): a message is its author's own words; a read marker
        # exists only for its person; attachments are stored files of the country.
        holdings.personal_text_register("tenants.Message", author="author", fields=["body"])
        holdings.personal_rows_register("tenants.ConversationRead", person="user")
        holdings.files_register("tenants.MessageAttachment", name=lambda row: row.path, sha256_field="sha256")
        # What stays readable when the country's keys are destroyed; every other text a person
        # writes in the foundation's tables is sealed (tenants.keys.holdings).
        holdings.plain_text_register(
            {"tenants.IdentityProvider": ["name"], "tenants.Organisation": ["name", "acronym"]},
            what=gettext_lazy("The names of the country's organisations and of its sign-in provider"),
            why=holdings.NAMES_READ_BY_THE_DATABASE,
        )
        holdings.plain_text_register(
            {"tenants.MessageAttachment": ["name"]},
            what=gettext_lazy("The names of files attached to messages"),
            why=holdings.FILE_NAMES,
        )
        holdings.plain_text_register(
            {"tenants.CountryEvent": ["actor_label"]},
            what=gettext_lazy("The names of the people on the activity record"),
            why=gettext_lazy(
                "The record says who did what, and is never rewritten; the name of a person whose data "
                "is erased is replaced there by a pseudonym."
            ),
        )
        from tenants.conversations import events as conversation_events
        from tenants.identity import events as identity_events
        from tenants.record import descriptions as record_descriptions

        conversation_events.register()
        record_descriptions.register()
        identity_events.register()
