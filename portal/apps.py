from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = gettext_lazy("Portal")

    def ready(self) -> None:
        from portal import (
            checks,  # noqa: F401 - registers the deployment checks
            dashboards,
            metrics,
        )
        from portal.reports import events as report_events
        from tenants import dashboard

        report_events.register()
        from tenants.jobs import sweep
        from tenants.keys import holdings

        # Compliance reports are the country's files, exported with it; a subscription exists only
        # for its subscriber (deleted if they are erased).
        holdings.files_register(
            "portal.ComplianceReport",
            name=lambda report: f"reports/{report.file_name}" if report.file_name else "",
            sha256_field="sha256",
        )
        holdings.personal_rows_register("portal.ReportSubscription", person="user")
        # A report still unfinished two hours on (its hard limit is one) is run again by the sweeper.
        sweep.job_kind_register(
            model="portal.ComplianceReport",
            task="portal.compliance_report_build",
            id_argument="report_id",
            redrive_after=timedelta(hours=2),
        )
        metrics.celery_signals_connect()
        # The country overview's charts need every app's figures: read with its steps in one query,
        # drawn here, shown by tenants.
        dashboard.register(facts=dashboards.overview_facts, charts=dashboards.overview_charts)
