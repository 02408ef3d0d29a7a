"""The compliance report pages of one audited country (/audit/<code>/reports/): the list with a
request form and live progress, the progress JSON it polls, and the download.

Like the other audit pages they are for the country's auditors and partner managers; anyone else,
the country's own members included, gets a 404."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from tenants.country_state import allowed_after_exit
from tenants.errors import ServiceError
from tenants.fields import IsoDateField
from tenants.ids import parse_id
from tenants.pages import ROLE_LABELS
from tenants.record.views import audited_country
from tenants.status_tags import tag_class

from .models import ComplianceReport
from .reports import selectors, services, subscriptions

REPORTS_SHOWN = 50


class ReportRequestForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("What to include"),
        choices=ComplianceReport.Kind.choices,
        initial=ComplianceReport.Kind.PACK,
        error_messages={
            "required": gettext_lazy("Choose what the report includes."),
            "invalid_choice": gettext_lazy("Choose a compliance pack or a ledger-only export."),
        },
    )
    period_start = IsoDateField(
        label=gettext_lazy("First day"),
        help_text=gettext_lazy("For example, 2026-01-01"),
        error_messages={
            "required": gettext_lazy("Enter the first day of the period."),
            "invalid": gettext_lazy("Enter the first day as YYYY-MM-DD, for example 2026-01-01."),
        },
    )
    period_end = IsoDateField(
        label=gettext_lazy("Last day"),
        help_text=gettext_lazy("For example, 2026-12-31"),
        error_messages={
            "required": gettext_lazy("Enter the last day of the period."),
            "invalid": gettext_lazy("Enter the last day as YYYY-MM-DD, for example 2026-12-31."),
        },
    )


def _describe(report: ComplianceReport, code: str) -> dict:
    return {
        "id": report.pk,
        "state": report.state,
        "state_label": report.get_state_display(),
        "tag": tag_class(report.state),
        "step": report.step_text,  # stored as a code, written in the reader's language
        "percent": report.percent,
        "download_url": reverse("audit_report_download", kwargs={"code": code, "id": report.pk})
        if report.downloadable
        else "",
    }


@allowed_after_exit
@login_required
@require_http_methods(["GET", "POST"])
def report_list(request: HttpRequest, code: str) -> HttpResponse:
    country, role = audited_country(request)
    code = country.code.lower()
    status = 200
    if request.method == "POST":
        form = ReportRequestForm(request.POST)
        if form.is_valid():
            try:
                services.report_request(
                    country=country,
                    access=request.access,
                    by=request.user,
                    headings=get_language(),
                    **form.cleaned_data,
                )
            except ServiceError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                return redirect("audit_reports", code=code)
        status = 400
    else:
        today = timezone.localdate()
        # ISO strings: a date input shows nothing for a localised date.
        form = ReportRequestForm(
            initial={"period_start": today.replace(month=1, day=1).isoformat(), "period_end": today.isoformat()}
        )
    reports = list(selectors.report_list(country=country)[:REPORTS_SHOWN])
    return render(
        request,
        "portal/reports/list.html",
        {
            "country": country,
            "code": code,
            "your_role_label": ROLE_LABELS[role],
            "form": form,
            "kind_options": [(value, label, "") for value, label in ComplianceReport.Kind.choices],
            "reports": [(r, _describe(r, code)) for r in reports],
            "pending": any(r.state in ("pending", "running") for r in reports),
            "subscription": subscriptions.subscription_get(country=country, user=request.user),
            "kept_days": settings.COMPLIANCE_REPORT_TTL_DAYS,
        },
        status=status,
    )


@login_required
@require_http_methods(["POST"])
def report_subscription(request: HttpRequest, code: str) -> HttpResponse:
    """Subscribe to (or stop) a monthly compliance pack of this country."""
    country, _ = audited_country(request)
    try:
        if request.POST.get("action") == "unsubscribe":
            subscriptions.subscription_delete(country=country, access=request.access, by=request.user)
        else:
            subscriptions.subscription_create(country=country, access=request.access, by=request.user)
    except ServiceError as error:
        return HttpResponse(error.message, status=400, content_type="text/plain; charset=utf-8")
    return redirect("audit_reports", code=country.code.lower())


@login_required
@require_GET
def report_progress(request: HttpRequest, code: str) -> JsonResponse:
    country, _ = audited_country(request)
    reports = selectors.report_list(country=country)[:REPORTS_SHOWN]
    return JsonResponse({"reports": [_describe(r, country.code.lower()) for r in reports]})


@login_required
@require_GET
def report_download(request: HttpRequest, code: str, id: int) -> HttpResponse:
    country, _ = audited_country(request)
    pk = parse_id(id)  # the route takes ASCII digits only; a number past a bigint names no report
    if pk is None:
        raise Http404("No such report.")
    report = selectors.report_get(country=country, pk=pk)
    if report is None:
        raise Http404("No such report.")
    try:
        handle = services.report_download(report=report, access=request.access, by=request.user)
    except ServiceError:
        raise Http404("This report has no file to download: it is not ready, failed or expired.") from None
    return FileResponse(handle, as_attachment=True, filename=report.file_name, content_type="application/zip")
