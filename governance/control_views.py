"""Governance pages for frameworks and controls (status, owner, evidence files and the coverage
per framework) and for incidents. Same conventions as governance.views."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tenants import selectors as tenant_selectors
from tenants import uploads
from tenants.errors import NotAllowed, ServiceError
from tenants.languages.formatting import long_date

from . import evidence as evidence_service
from . import incidents as incident_services
from . import selectors, services
from .forms import AdvanceForm, EvidenceForm, IncidentForm, RequirementStatusForm
from .views import base_context, country_of, posted, require_writer, url

# --- Frameworks ------------------------------------------------------------------------------------


@login_required
def frameworks(request: HttpRequest, code: str) -> HttpResponse:
    country = country_of(request)
    frameworks = list(selectors.framework_list())
    covered = selectors.coverages(country=country, frameworks=frameworks)
    rows = [(f, covered[f.pk]) for f in frameworks]
    return render(request, "governance/frameworks.html", {**base_context(request, country), "rows": rows})


def _framework(slug: str, request: HttpRequest | None = None):
    """The framework of the URL: its current version, or the one named by ?version=N; with every
    version of it (one query)."""
    version = request.GET.get("version") if request is not None else None
    framework, versions = selectors.framework_with_versions(slug=slug, version=version)
    if framework is None:
        raise Http404(_("No such framework, or no such version of it."))
    return framework, versions


def _version_context(framework, versions: list) -> dict:
    return {
        "versions": versions if len(versions) > 1 else [],
        "current_version": next((v for v in versions if v.is_current), framework),
        "version_query": "" if framework.is_current else f"?version={framework.version}",
    }


@login_required
def framework_detail(request: HttpRequest, code: str, slug: str) -> HttpResponse:
    country = country_of(request)
    framework, versions = _framework(slug, request)
    context = base_context(request, country)
    context["can_write"] = context["can_write"] and framework.is_current
    rows = selectors.framework_rows(country=country, framework=framework)
    return render(
        request,
        "governance/framework_detail.html",
        {
            **context,
            **_version_context(framework, versions),
            "framework": framework,
            "requirements": rows,
            "coverage": selectors.rows_coverage(rows),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def requirement_detail(request: HttpRequest, code: str, slug: str, req: str) -> HttpResponse:
    country = country_of(request)
    framework, versions = _framework(slug, request)
    requirement = selectors.requirement_get(framework=framework, code=req)
    if requirement is None:
        raise Http404(_("No such requirement in this framework."))
    current = selectors.requirement_status_get(country=country, requirement=requirement)
    context = base_context(request, country)
    # The owner to choose from, for the status form that only those who may write see or send.
    members = (
        list(tenant_selectors.membership_list(country=country).filter(status="active")) if context["can_write"] else []
    )
    initial = {"status": current.status, "owner": current.owner_id, "note": current.note} if current else {}
    status_form = RequirementStatusForm(
        request.POST if request.method == "POST" and "status" in request.POST else None,
        members=members,
        initial=initial,
    )
    evidence_form = EvidenceForm(
        request.POST if request.method == "POST" and "status" not in request.POST else None, request.FILES or None
    )
    status = 200
    if request.method == "POST":
        require_writer(request, country)
        try:
            if "status" in request.POST:
                if status_form.is_valid():
                    owner = next((m for m in members if m.pk == status_form.cleaned_data["owner"]), None)
                    services.requirement_status_set(
                        country=country,
                        requirement=requirement,
                        by=request.user,
                        access=request.access,
                        status=status_form.cleaned_data["status"],
                        owner=owner,
                        note=status_form.cleaned_data["note"],
                    )
                    messages.success(request, _("The status was saved."))
                    return redirect(url("requirement", country, slug=framework.slug, req=requirement.code))
            elif evidence_form.is_valid():
                upload = evidence_form.cleaned_data["file"]
                limit = evidence_service.max_bytes()
                data = upload.read(limit + 1)
                stored = evidence_service.evidence_upload(
                    country=country,
                    requirement=requirement,
                    by=request.user,
                    access=request.access,
                    name=upload.name,
                    data=data,
                )
                messages.success(
                    request,
                    _("{stored_name} (version {stored_version}) was added.").format(
                        stored_name=stored.name, stored_version=stored.version
                    ),
                )
                return redirect(url("requirement", country, slug=framework.slug, req=requirement.code))
        except NotAllowed as error:
            raise PermissionDenied(error.message) from None
        except ServiceError as error:
            (status_form if "status" in request.POST else evidence_form).add_service_error(error)
        status = 400
    context["can_write"] = context["can_write"] and framework.is_current and requirement.assessable
    related, covering = selectors.requirement_links(requirement=requirement)
    return render(
        request,
        "governance/requirement_detail.html",
        {
            **context,
            **_version_context(framework, versions),
            "framework": framework,
            "requirement": requirement,
            "related": related,
            "mapped_evidence": selectors.mapped_evidence(country=country, requirement=requirement, sources=covering),
            "current": current,
            "status_form": status_form,
            "evidence_form": evidence_form,
            "evidence": selectors.evidence_list(country=country, requirement=requirement),
        },
        status=status,
    )


@login_required
def evidence_download(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """The only way to a stored evidence file: after the country and the row were found for this person."""
    country = country_of(request)
    item = selectors.evidence_get(country=country, pk=pk)
    if item is None:
        raise Http404("No such evidence file in this country.")
    try:
        # A file whose key was destroyed raises tenants.files.FileGone: the middleware answers 410.
        with evidence_service.evidence_open(item) as handle:
            data = handle.read()  # at most EVIDENCE_MAX_BYTES
    except FileNotFoundError:
        raise Http404("This evidence file is missing from storage.") from None
    return uploads.download_response(data=data, kind=item.kind, name=item.name)


# --- Incidents -------------------------------------------------------------------------------------


@login_required
def incidents(request: HttpRequest, code: str) -> HttpResponse:
    country = country_of(request)
    return render(
        request,
        "governance/incidents.html",
        {**base_context(request, country), "incidents": selectors.incident_list(country=country)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def incident_new(request: HttpRequest, code: str) -> HttpResponse:
    country = country_of(request)
    require_writer(request, country)
    assessments = list(selectors.assessment_list(country=country).exclude(status="draft"))
    form = IncidentForm(posted(request), assessments=assessments)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = dict(form.cleaned_data)
            data["assessment"] = next((a for a in assessments if a.pk == data["assessment"]), None)
            try:
                incident = incident_services.incident_report(
                    country=country, by=request.user, access=request.access, **data
                )
            except NotAllowed as error:
                raise PermissionDenied(error.message) from None
            except ServiceError as error:
                form.add_service_error(error)
            else:
                messages.success(
                    request,
                    _("The incident is recorded. Report it by {incident_report_due_at}.").format(
                        incident_report_due_at=long_date(incident.report_due_at)
                    ),
                )
                return redirect(url("incident", country, pk=incident.pk))
        status = 400
    return render(
        request, "governance/incident_new.html", {**base_context(request, country), "form": form}, status=status
    )


@login_required
def incident_detail(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    country = country_of(request)
    incident = selectors.incident_get(country=country, pk=pk)
    if incident is None:
        raise Http404("No such incident in this country.")
    return render(
        request,
        "governance/incident_detail.html",
        {
            **base_context(request, country),
            "incident": incident,
            "form": AdvanceForm(),
            "next_status": incident.NEXT.get(incident.status),
        },
    )


@login_required
@require_POST
def incident_advance(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    country = country_of(request)
    incident = selectors.incident_get(country=country, pk=pk)
    if incident is None:
        raise Http404("No such incident in this country.")
    require_writer(request, country)
    form = AdvanceForm(request.POST)
    if form.is_valid():
        try:
            changed = incident_services.incident_advance(
                incident=incident,
                by=request.user,
                access=request.access,
                steps_taken=form.cleaned_data["steps_taken"] or None,
            )
        except NotAllowed as error:
            raise PermissionDenied(error.message) from None
        except ServiceError as error:
            form.add_service_error(error)
        else:
            messages.success(
                request,
                _("The incident is now {changed_get_status_display}.").format(
                    changed_get_status_display=changed.get_status_display().lower()
                ),
            )
            return redirect(url("incident", country, pk=pk))
    return render(
        request,
        "governance/incident_detail.html",
        {
            **base_context(request, country),
            "incident": incident,
            "form": form,
            "next_status": incident.NEXT.get(incident.status),
        },
        status=400,
    )


@login_required
@require_POST
def incident_mark_reported(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    country = country_of(request)
    incident = selectors.incident_get(country=country, pk=pk)
    if incident is None:
        raise Http404("No such incident in this country.")
    require_writer(request, country)
    try:
        incident_services.incident_mark_reported(incident=incident, by=request.user, access=request.access)
    except NotAllowed as error:
        raise PermissionDenied(error.message) from None
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The incident is recorded as reported."))
    return redirect(url("incident", country, pk=pk))
