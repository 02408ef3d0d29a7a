"""Monthly report subscriptions: subscribe, unsubscribe, and the run on the first of the month that
requests last month's report for every subscriber still assigned to the country."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tenants.access import Access, access_for
from tenants.errors import NotAllowed, ServiceError
from tenants.isolation import country_context
from tenants.models import Country
from tenants.record.ledger import event_record

from ..models import ComplianceReport, ReportSubscription
from .services import ReportUnderWay, report_request, report_role


def subscription_get(*, country: Country, user) -> ReportSubscription | None:
    with country_context(country):
        return ReportSubscription.objects.filter(country_id=country.pk, user_id=user.pk).first()


@transaction.atomic
def subscription_create(
    *, country: Country, access: Access, by, kind: str = ComplianceReport.Kind.PACK
) -> ReportSubscription:
    role = report_role(access=access, country=country)
    if kind not in ComplianceReport.Kind.values:
        raise ServiceError(_("Choose a country compliance pack or a ledger-only export."), field="kind")
    with country_context(country):
        if ReportSubscription.objects.filter(country_id=country.pk, user_id=by.pk).exists():
            raise ServiceError(
                _("You already receive a monthly report of {country_name}.").format(country_name=country.display_name)
            )
        subscription = ReportSubscription.objects.create(country=country, user=by, kind=kind)
        event_record(
            country=country,
            action="report.subscribed",
            actor=by,
            actor_role=role,
            target=subscription,
            payload={"kind": kind},
        )
    return subscription


@transaction.atomic
def subscription_delete(*, country: Country, access: Access, by) -> None:
    role = report_role(access=access, country=country)
    with country_context(country):
        subscription = ReportSubscription.objects.filter(country_id=country.pk, user_id=by.pk).first()
        if subscription is None:
            raise ServiceError(
                _("You do not receive a monthly report of {country_name}.").format(country_name=country.display_name)
            )
        event_record(
            country=country, action="report.unsubscribed", actor=by, actor_role=role, target=subscription, payload={}
        )
        subscription.delete()


def previous_month(today: dt.date) -> tuple[dt.date, dt.date]:
    end = today.replace(day=1) - dt.timedelta(days=1)
    return end.replace(day=1), end


def subscriptions_run(*, today: dt.date | None = None) -> int:
    """Request last month's report for each subscription that has not had it (idempotent: a second
    run in the same month requests nothing). A subscriber no longer assigned is skipped."""
    today = today or timezone.localdate()
    start, end = previous_month(today)
    requested = 0
    for country in Country.objects.writable().order_by("pk"):
        with country_context(country):
            pending = list(
                ReportSubscription.objects.filter(country_id=country.pk)
                .exclude(last_period_start=start)
                .values_list("pk", flat=True)
            )
        for subscription_id in pending:
            with transaction.atomic(), country_context(country):
                subscription = (
                    ReportSubscription.objects.select_for_update(skip_locked=True)
                    .select_related("user")
                    .filter(pk=subscription_id)
                    .first()
                )
                if subscription is None or subscription.last_period_start == start:
                    continue
                try:
                    report_request(
                        country=country,
                        access=access_for(subscription.user),
                        by=subscription.user,
                        kind=subscription.kind,
                        period_start=start,
                        period_end=end,
                    )
                except NotAllowed:
                    continue  # no longer assigned: their reports stop; the row stays until they unsubscribe
                except ReportUnderWay:
                    pass  # the same report is being built already: it serves this period too
                ReportSubscription.objects.filter(pk=subscription.pk).update(last_period_start=start)
                requested += 1
    return requested
