"""The compliance reports' events on the record in words: a report named by its kind and period,
with a link to the country's reports; a subscription by its kind. Registered from
PortalConfig.ready() (tenants.record.events.events_register)."""

from __future__ import annotations

from datetime import date

from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.translation import gettext

from portal.models import ComplianceReport, ReportSubscription
from tenants.languages.formatting import long_date

SEPARATOR = "\x1f"


def _kind(code) -> str:
    return str(dict(ComplianceReport.Kind.choices).get(code, code or ""))


def _day(value) -> str:
    try:
        return long_date(date.fromisoformat(str(value)))
    except ValueError:
        return str(value)


def _period(kind, start, end) -> str:
    return gettext("%(kind)s, %(start)s to %(end)s") % {"kind": _kind(kind), "start": _day(start), "end": _day(end)}


def _detail(action: str, payload: dict) -> str:
    return _with_segment(_file_or_period(action, payload), payload)


def _file_or_period(action: str, payload: dict) -> str:
    if "from" in payload and "to" in payload:
        return _period(payload.get("kind"), payload["from"], payload["to"])
    if action in ("report.subscribed",):
        return _kind(payload.get("kind"))
    digest = payload.get("sha256")
    if not isinstance(digest, str) or not digest:
        return ""
    if isinstance(payload.get("bytes"), int):
        return gettext("SHA-256: %(digest)s; %(size)s") % {"digest": digest, "size": filesizeformat(payload["bytes"])}
    return gettext("SHA-256: %(digest)s") % {"digest": digest}


def _with_segment(text: str, payload: dict) -> str:
    """The events of the record a report's ledger export holds, after what the detail says."""
    first, last = payload.get("first"), payload.get("last")
    if not isinstance(first, int) or not isinstance(last, int):
        return text
    segment = gettext("events %(first)s to %(last)s of the record") % {"first": first, "last": last}
    return gettext("%(text)s; %(segment)s") % {"text": text, "segment": segment} if text else segment


def _report_names(country, ids: set[int]):
    return (
        ComplianceReport.objects.filter(country=country, pk__in=ids)
        .annotate(
            named=Concat(
                "kind",
                Value(SEPARATOR),
                Cast("period_start", CharField()),
                Value(SEPARATOR),
                Cast("period_end", CharField()),
                output_field=CharField(),
            )
        )
        .values_list("pk", "named")
    )


def _reports(country) -> str:
    return reverse("audit_reports", kwargs={"code": country.code.lower()})


def register() -> None:
    from tenants.record.events import Target, events_register

    events_register(
        labels={},
        targets={
            "portal.compliancereport": Target(
                _report_names,
                lambda country, pk: "",
                lambda country, pk, named: (_period(*(named.split(SEPARATOR) + ["", ""])[:3]), _reports(country)),
            ),
            "portal.reportsubscription": Target(
                lambda country, ids: ReportSubscription.objects.filter(country=country, pk__in=ids).values_list(
                    "pk", "kind"
                ),
                lambda country, pk: "",
                lambda country, pk, kind: (
                    gettext("Monthly subscription: %(kind)s") % {"kind": _kind(kind)},
                    _reports(country),
                ),
            ),
        },
        details={"report": _detail},
    )
