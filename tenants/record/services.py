"""Services behind the audit pages and a country's "Data and keys" page: verification run by a
person, ledger extracts and data downloads, each put on the record; and the resolution of ledger
alerts by a platform admin."""

from __future__ import annotations

from typing import Any, BinaryIO

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from tenants.models import Country
from tenants.record.exports import ledger_export_write, ledger_segment_bounds
from tenants.record.ledger import ChainReport, alert_raise, chain_verify, event_record, platform_event_record
from tenants.record.models import LedgerAlert


@transaction.atomic
def chain_verify_recorded(*, country: Country, by, actor_role: str) -> ChainReport:
    """Recompute the country's chain now, put the run on that chain, and raise an alert (the
    banner admins and the country's auditors see) when it no longer verifies."""
    report = chain_verify(country=country)
    event_record(
        country=country,
        action="ledger.verified_by_auditor",
        actor=by,
        actor_role=actor_role,
        payload={"ok": report.ok, "events": report.events, "checkpoints": report.checkpoints},
    )
    alert_raise(report)
    return report


def ledger_export_filename(*, country: Country | None, first: int, last: int) -> str:
    chain = country.code.lower() if country is not None else "platform"
    return f"{chain}-ledger-{first}-{last}.zip"


# How a ledger export left the portal, as its event says (`via`).
EXPORTED_VIA = ("page", "api", "command")


@transaction.atomic
def ledger_export_download(
    *,
    country: Country | None,
    by,
    actor_role: str,
    out: BinaryIO,
    first: int | None = None,
    last: int | None = None,
    via: str = "page",
) -> dict[str, Any]:
    """Write the verifiable zip of events `first`..`last` (default: the whole chain) of `country`'s
    chain, or of the platform's with None, to `out` and record who took it on that chain. Raises
    ExportRefused, with a message for the person, for a bad range."""
    first, last = ledger_segment_bounds(country=country, first=first, last=last)
    filename = ledger_export_filename(country=country, first=first, last=last)
    summary = ledger_export_write(country=country, out=out, first=first, last=last, filename=filename, bounded=True)
    ledger_export_record(country=country, by=by, actor_role=actor_role, summary=summary, via=via)
    return {**summary, "filename": filename}


def ledger_export_record(*, country: Country | None, by, actor_role: str, summary: dict, via: str) -> None:
    """Put an export of a chain on that chain (the platform's, for None): who took it (the actor,
    or none for an operator's command), by which door (`via`: the pages, the API, a command) and
    which events (the range and their number). Numbers and codes only: no personal data."""
    if via not in EXPORTED_VIA:
        raise ValueError(f"via must be one of {EXPORTED_VIA}")
    payload = {"first": summary["first"], "last": summary["last"], "events": summary["events"], "via": via}
    if country is None:
        platform_event_record(action="ledger.exported", actor=by, actor_role=actor_role, payload=payload)
    else:
        event_record(country=country, action="ledger.exported", actor=by, actor_role=actor_role, payload=payload)


def signing_key_rotation_record(
    *, retired_key_id: str, new_key_id: str, retired_until: str, new_from: str, in_place: bool
) -> None:
    """Put a rotation of the ledger signing key on the platform chain: which fingerprint retired,
    until when its signatures verify, which took over and from when (fingerprints and times only,
    never key material). `in_place` False: the new key was written for the operator to put in the
    secret, and takes over when the processes restart with it."""
    platform_event_record(
        action="ledger.signing_key_rotated",
        actor_role="platform",
        payload={
            "retired_key_id": retired_key_id,
            "retired_valid_until": retired_until,
            "new_key_id": new_key_id,
            "new_valid_from": new_from,
            "in_place": in_place,
        },
    )


@transaction.atomic
def ledger_alerts_resolve(*, alerts: QuerySet[LedgerAlert], by) -> int:
    """Close the unresolved alerts among `alerts`; the resolution goes on the platform chain."""
    open_alerts = list(
        alerts.filter(resolved_at__isnull=True).select_for_update().order_by("pk").values_list("pk", "chain")
    )
    if not open_alerts:
        return 0
    LedgerAlert.objects.filter(pk__in=[pk for pk, _ in open_alerts]).update(resolved_at=timezone.now(), resolved_by=by)
    platform_event_record(
        action="ledger.alerts_resolved",
        actor=by,
        actor_role="platform_admin",
        payload={"alerts": [pk for pk, _ in open_alerts], "chains": sorted({chain for _, chain in open_alerts})},
    )
    return len(open_alerts)
