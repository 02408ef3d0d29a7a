"""Reads of compliance reports, scoped to one country (call inside the request's country scope)."""

from __future__ import annotations

from django.db.models import QuerySet

from tenants.models import Country

from ..models import ComplianceReport

FIELDS = (
    "id",
    "country_id",
    "kind",
    "period_start",
    "period_end",
    "requested_by_id",
    "requested_role",
    "state",
    "step",
    "step_params",
    "percent",
    "file_name",
    "size",
    "sha256",
    "created_at",
    "finished_at",
    "expires_at",
)


def report_list(*, country: Country) -> QuerySet[ComplianceReport]:
    """Newest first; one query however many reports (no per-row look-ups)."""
    return (
        ComplianceReport.objects.filter(country_id=country.pk)
        .select_related("country")
        .only(*FIELDS, "country__code", "country__name")
        .order_by("-created_at", "-id")
    )


def report_get(*, country: Country, pk: int) -> ComplianceReport | None:
    return report_list(country=country).filter(pk=pk).first()
