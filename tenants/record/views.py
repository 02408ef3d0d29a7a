"""The audit pages of one country (/audit/<code>/): its ledger with filters and keyset pages, its
latest signed checkpoints, verification on demand, and extracts that verify offline.

They are for the country's auditors and partner managers. Anyone else gets a 404, the country's
own members included (they read the same record on their activity page): the middleware resolves
`request.country` for whoever may see the country, and this module narrows it to those two roles.

The platform chain's export (/platform/ledger/) is for platform admins only: that chain holds every
country's sign-ins and the platform's own decisions, which no country's auditor may read whole
(everyone else: 403, as the platform's other pages)."""

from __future__ import annotations

import tempfile

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from tenants.access import AUDITOR, PARTNER_MANAGER
from tenants.country_state import allowed_after_exit
from tenants.models import Country
from tenants.pages import ROLE_LABELS, oversees
from tenants.record import selectors, signing
from tenants.record import services as audit
from tenants.record.events import describe_events, describe_platform_events, keyset_page
from tenants.record.exports import ExportRefused
from tenants.record.forms import AuditFilterForm, LedgerExportForm
from tenants.record.ledger import ChainReport

EVENTS_PER_PAGE = 50
CHECKPOINTS_SHOWN = 5
# Extracts up to this size stay in memory; larger ones spill to a temporary file.
SPOOL_BYTES = 8 * 1024 * 1024


def audited_country(request: HttpRequest) -> tuple[Country, str]:
    """The country of the URL and the role in which this person audits it, or a 404."""
    country = getattr(request, "country", None)
    access = request.access
    if country is None or not oversees(access, country):
        raise Http404("The audit pages of a country are for its auditors and partner managers.")
    return country, AUDITOR if country.pk in access.auditor_country_ids else PARTNER_MANAGER


def _page(request: HttpRequest, country: Country, role: str, *, report: ChainReport | None = None) -> HttpResponse:
    form = AuditFilterForm(request.GET, actions=selectors.event_actions(country=country))
    rows, newer_url, older_url, status = [], "", "", 200
    if form.is_valid():
        events = selectors.event_search(country=country, **form.search_arguments())
        rows, has_newer, has_older = keyset_page(
            events, before=form.cleaned_data["before"], after=form.cleaned_data["after"], size=EVENTS_PER_PAGE
        )
        newer_url = form.query_string(after=rows[0].sequence) if rows and has_newer else ""
        older_url = form.query_string(before=rows[-1].sequence) if rows and has_older else ""
    else:
        status = 400
    code = country.code.lower()
    chain_length = selectors.chain_length(country=country)
    return render(
        request,
        "tenants/audit/country.html",
        {
            "country": country,
            "code": code,
            "your_role_label": ROLE_LABELS[role],
            "form": form,
            "events": describe_events(rows, country, request.access),
            "newer_url": newer_url,
            "older_url": older_url,
            "paged": bool(form.is_valid() and (form.cleaned_data["before"] or form.cleaned_data["after"])),
            "chain_length": chain_length,
            "checkpoints": list(selectors.checkpoint_list(country=country)[:CHECKPOINTS_SHOWN]),
            "current_key_id": signing.public_key_id(),
            "last_verification": selectors.verification_last(country=country),
            "report": report,
            "export_form": LedgerExportForm(),
            "example_file": audit.ledger_export_filename(country=country, first=1, last=max(chain_length, 1)),
        },
        status=status,
    )


def _explain_refusal(form: LedgerExportForm, error: ExportRefused, *, head: int) -> None:
    """Put the refusal against the field that asked for more than the chain has, if one did."""
    first, last = form.cleaned_data["first"], form.cleaned_data["last"]
    if head and first and first > head:
        form.add_error(
            "first", _("The ledger has {head} events; choose a first event of at most {head}.").format(head=head)
        )
    elif head and last and last > head:
        form.add_error("last", str(error))
    else:
        form.add_error(None, str(error))


def _export_download(request: HttpRequest, form: LedgerExportForm, *, country, role: str) -> FileResponse | None:
    """For a valid POST, the zip of the chain's events in the form's range (a country's chain, or the
    platform's with None); None when there is only the form to show, a refusal put on the form."""
    if request.method != "POST" or not form.is_valid():
        return None
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
    try:
        summary = audit.ledger_export_download(
            country=country,
            by=request.user,
            actor_role=role,
            out=out,
            first=form.cleaned_data["first"],
            last=form.cleaned_data["last"],
        )
    except ExportRefused as error:
        out.close()
        head = selectors.chain_length(country=country) if country is not None else selectors.platform_chain_length()
        _explain_refusal(form, error, head=head)
        return None
    out.seek(0)
    return FileResponse(out, as_attachment=True, filename=summary["filename"], content_type="application/zip")


@allowed_after_exit
@login_required
@require_http_methods(["GET", "POST"])
def audit_country(request: HttpRequest, code: str) -> HttpResponse:
    """GET: the ledger and its checkpoints. POST ("Verify chain now"): recompute the whole chain,
    which is the only time this page walks all of it, and show the result."""
    country, role = audited_country(request)
    report = None
    if request.method == "POST":
        report = audit.chain_verify_recorded(country=country, by=request.user, actor_role=role)
    return _page(request, country, role, report=report)


@allowed_after_exit
@login_required
@require_http_methods(["GET", "POST"])
def audit_export(request: HttpRequest, code: str) -> HttpResponse:
    """The zip of events first..last (optional; default the whole chain), with checkpoints, the
    public key and the offline verifier. A range the chain does not have is explained on the form."""
    country, role = audited_country(request)
    # A download is a POST: a plain GET (a link, a prefetch, a crawler) shows the form and writes
    # nothing, so the record holds one event per export someone asked for.
    form = LedgerExportForm(request.POST if request.method == "POST" else None)
    download = _export_download(request, form, country=country, role=role)
    if download is not None:
        return download
    chain_length = selectors.chain_length(country=country)
    return render(
        request,
        "tenants/audit/export.html",
        {
            "country": country,
            "code": country.code.lower(),
            "your_role_label": ROLE_LABELS[role],
            "export_form": form,
            "chain_length": chain_length,
            "current_key_id": signing.public_key_id(),
            "example_file": audit.ledger_export_filename(country=country, first=1, last=max(chain_length, 1)),
        },
        status=400 if request.method == "POST" else 200,
    )


PLATFORM_ADMIN = "platform_admin"


@login_required
@require_http_methods(["GET", "POST"])
def platform_ledger(request: HttpRequest) -> HttpResponse:
    """The platform chain's export, as a country's: GET the form and how to check it offline, with
    its latest events in words, POST the zip (events first..last, by default the whole chain), put
    on the platform chain."""
    if not request.access.is_platform_admin:
        raise PermissionDenied(_("Only a platform admin can export the platform chain."))
    form = LedgerExportForm(request.POST if request.method == "POST" else None)
    download = _export_download(request, form, country=None, role=PLATFORM_ADMIN)
    if download is not None:
        return download
    chain_length = selectors.platform_chain_length()
    return render(
        request,
        "tenants/audit/platform_ledger.html",
        {
            "events": describe_platform_events(selectors.platform_events_latest(size=EVENTS_PER_PAGE)),
            "export_form": form,
            "export_url": request.path,
            "platform_chain": True,
            "chain_length": chain_length,
            "current_key_id": signing.public_key_id(),
            "example_file": audit.ledger_export_filename(country=None, first=1, last=max(chain_length, 1)),
        },
        status=400 if request.method == "POST" else 200,
    )
