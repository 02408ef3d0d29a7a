"""Governance pages of one country (under /c/<code>/governance/): the overview, policies and their
versions and acknowledgements, and impact assessments. Frameworks and incidents are in
governance.control_views.

As in tenants.views: the middleware resolved the country only if this person may see it (else
404); objects come from selectors scoped to it (another country's id is a 404); writes go to the
services, ServiceError becomes a form error with status 400 and NotAllowed a 403."""

from __future__ import annotations

import difflib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tenants.confirmations import confirm_page
from tenants.errors import NotAllowed, ServiceError
from tenants.languages.catalogue import catalogue_plain
from tenants.models import Country
from tenants.pages import ROLE_LABELS

from . import acknowledgements, questionnaire, selectors, services
from .forms import AssessmentAnswersForm, AssessmentStartForm, PolicyVersionForm
from .models import ImpactAssessment, PolicyTemplate, PolicyVersion, SharedPolicy


def country_of(request: HttpRequest) -> Country:
    country = getattr(request, "country", None)
    if country is None:
        raise Http404("No country with this code is visible to you.")
    return country


def url(name: str, country: Country, **kwargs) -> str:
    return reverse(f"governance:{name}", kwargs={"code": country.code.lower(), **kwargs})


def base_context(request: HttpRequest, country: Country) -> dict:
    role = request.access.role_in(country.pk)
    return {
        "country": country,
        "code": country.code.lower(),
        "your_role": role,
        "your_role_label": ROLE_LABELS.get(role or "", ""),
        "is_country_admin": request.access.is_country_admin(country.pk),
        "can_write": request.access.can_write(country.pk),
    }


def require_writer(request: HttpRequest, country: Country) -> None:
    if not request.access.can_write(country.pk):
        raise PermissionDenied(_("Only a country admin or an officer of this country can do this."))


def require_admin(request: HttpRequest, country: Country) -> None:
    if not request.access.is_country_admin(country.pk):
        raise PermissionDenied(_("Only a country admin of this country can do this."))


def posted(request: HttpRequest):
    return request.POST if request.method == "POST" else None


# --- Overview --------------------------------------------------------------------------------------


@login_required
def home(request: HttpRequest, code: str) -> HttpResponse:
    country = country_of(request)
    role = request.access.role_in(country.pk) or ""
    return render(
        request,
        "governance/home.html",
        {
            **base_context(request, country),
            "pending": selectors.my_pending_versions(country=country, user=request.user, role=role),
            **selectors.home_figures(country=country),
            "assessments": list(selectors.assessment_list(country=country)[:5]),
        },
    )


# --- Policies --------------------------------------------------------------------------------------


@login_required
def policies(request: HttpRequest, code: str) -> HttpResponse:
    country = country_of(request)
    role = request.access.role_in(country.pk) or ""
    policy_rows = list(selectors.policy_list(country=country))
    adopted = {p.template_id for p in policy_rows if p.template_id}
    copied = {p.shared_from_id for p in policy_rows if p.shared_from_id}
    waiting, waiting_total = acknowledgements.still_to_acknowledge(country)
    pending, renewals = acknowledgements.own_standing(country=country, user=request.user, role=role)
    return render(
        request,
        "governance/policies.html",
        {
            **base_context(request, country),
            "policies": policy_rows,
            "templates": [t for t in PolicyTemplate.objects.order_by("title") if t.pk not in adopted],
            "shared": [s for s in selectors.shared_policy_list(exclude_country=country) if s.pk not in copied],
            "pending": pending,
            "renewals": renewals,
            "waiting": waiting,
            "waiting_total": waiting_total,
        },
    )


@login_required
@require_POST
def policy_adopt(request: HttpRequest, code: str) -> HttpResponse:
    country = country_of(request)
    require_admin(request, country)
    template = PolicyTemplate.objects.filter(slug=request.POST.get("template", "")[:60]).first()
    shared_id = selectors.parse_id(request.POST.get("shared"))
    shared = SharedPolicy.objects.filter(pk=shared_id).first() if shared_id else None
    try:
        policy = services.policy_adopt(
            country=country, by=request.user, access=request.access, template=template, shared=shared
        )
    except NotAllowed as error:
        raise PermissionDenied(error.message) from None
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect(url("policies", country))
    messages.success(
        request,
        _("{policy_title} was adopted. Review the text, then publish it.").format(
            policy_title=catalogue_plain(template.title) if template else policy.title
        ),
    )
    return redirect(url("policy", country, pk=policy.pk))


def paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]


@login_required
def policy_detail(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    country = country_of(request)
    policy = selectors.policy_get(country=country, pk=pk)
    if policy is None:
        raise Http404("No such policy in this country.")
    versions = list(selectors.version_list(policy=policy))
    current = next((v for v in versions if v.status == PolicyVersion.Status.PUBLISHED), None)
    draft = next((v for v in versions if v.status == PolicyVersion.Status.DRAFT), None)
    role = request.access.role_in(country.pk) or ""
    pending = {v.pk for v in selectors.my_pending_versions(country=country, user=request.user, role=role)}
    shown = current or draft
    return render(
        request,
        "governance/policy_detail.html",
        {
            **base_context(request, country),
            "policy": policy,
            "versions": versions,
            "current": current,
            "draft": draft,
            "shown": shown,
            "paragraphs": paragraphs(shown.text) if shown else [],
            "must_acknowledge": current is not None and current.pk in pending,
            "applies": current is not None and role in (current.roles or []),
            # What the reader gave already: when, until when, and from when they may renew it.
            "own": acknowledgements.own_acknowledgement(version=current, user=request.user) if current else None,
            "role_labels": dict(ROLE_LABELS),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def policy_version_new(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    country = country_of(request)
    policy = selectors.policy_get(country=country, pk=pk)
    if policy is None:
        raise Http404("No such policy in this country.")
    require_admin(request, country)
    latest = selectors.version_list(policy=policy).first()
    initial = {"text": latest.text, "language": latest.language, "roles": latest.roles} if latest else {}
    form = PolicyVersionForm(posted(request), initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                version = services.policy_version_create(
                    policy=policy, by=request.user, access=request.access, **form.cleaned_data
                )
            except NotAllowed as error:
                raise PermissionDenied(error.message) from None
            except ServiceError as error:
                form.add_service_error(error)
            else:
                messages.success(
                    request,
                    _("Version {version_number} was saved as a draft. Publish it when ready.").format(
                        version_number=version.number
                    ),
                )
                return redirect(url("policy", country, pk=policy.pk))
        status = 400
    return render(
        request,
        "governance/policy_version_form.html",
        {**base_context(request, country), "policy": policy, "form": form},
        status=status,
    )


def _version_of(request, country, pk, number) -> PolicyVersion:
    policy = selectors.policy_get(country=country, pk=pk)
    version = selectors.version_list(policy=policy).filter(number=number).first() if policy else None
    if version is None:
        raise Http404("No such policy version in this country.")
    return version


@login_required
@require_http_methods(["GET", "POST"])
def policy_version_publish(request: HttpRequest, code: str, pk: int, number: int) -> HttpResponse:
    """Confirm, with a reason, the publication of a draft: the staff of its roles must then
    acknowledge it, and earlier acknowledgements no longer count."""
    country = country_of(request)
    version = _version_of(request, country, pk, number)
    require_admin(request, country)
    if version.status != PolicyVersion.Status.DRAFT:
        raise Http404("There is nothing to publish here.")
    back = url("policy", country, pk=pk)
    return confirm_page(
        request,
        country,
        act=lambda reason: services.policy_version_publish(
            version=version, by=request.user, access=request.access, reason=reason
        ),
        back=back,
        caption=version.policy.title,
        heading=_("Publish version {version_number} of “{policy_title}”?").format(
            version_number=version.number, policy_title=version.policy.title
        ),
        warning=_(
            "Once published, a version cannot be changed or withdrawn. The staff of the roles it names must "
            "acknowledge it, and their acknowledgements of earlier versions no longer count."
        ),
        button=_("Yes, publish this version"),
        success_message=_(
            "Version {version_number} is published. Staff of the roles it names must acknowledge it."
        ).format(version_number=version.number),
        details=[
            (_("Must be acknowledged by"), ", ".join(str(ROLE_LABELS.get(r, r)) for r in version.roles)),
            (_("Language"), version.language),
        ],
    )


@login_required
@require_POST
def policy_acknowledge(request: HttpRequest, code: str, pk: int, number: int) -> HttpResponse:
    country = country_of(request)
    version = _version_of(request, country, pk, number)
    try:
        services.acknowledgement_create(version=version, by=request.user, access=request.access)
    except NotAllowed as error:
        raise PermissionDenied(error.message) from None
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("You acknowledged version {version_number} of {policy_title}.").format(
                version_number=version.number, policy_title=version.policy.title
            ),
        )
    return redirect(url("policy", country, pk=pk))


@login_required
@require_http_methods(["GET", "POST"])
def policy_share(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """Sharing with other countries asks first, with a reason (GET, then a POST with `comment`);
    stopping is posted from the policy's page (`share=0`)."""
    country = country_of(request)
    policy = selectors.policy_get(country=country, pk=pk)
    if policy is None:
        raise Http404("No such policy in this country.")
    require_admin(request, country)
    if request.POST.get("share") != "0":
        current = services.policy_current_version(policy=policy)
        if policy.read_only or policy.is_shared or current is None:
            raise Http404("There is nothing to share here.")
        back = url("policy", country, pk=pk)
        return confirm_page(
            request,
            country,
            act=lambda reason: services.policy_share(
                policy=policy, by=request.user, access=request.access, share=True, reason=reason
            ),
            back=back,
            caption=policy.title,
            heading=_("Share “{policy_title}” with the other countries?").format(policy_title=policy.title),
            warning=_(
                "Every country of the programme can read version {version_number} at once and adopt a copy of it. "
                "Copies already adopted stay with those countries if you stop sharing."
            ).format(version_number=current.number),
            button=_("Yes, share it"),
            success_message=_("The policy is shared with the other countries."),
        )
    try:
        services.policy_share(policy=policy, by=request.user, access=request.access, share=False)
    except NotAllowed as error:
        raise PermissionDenied(error.message) from None
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The policy is no longer offered to other countries."))
    return redirect(url("policy", country, pk=pk))


def diff_rows(old: str, new: str) -> list[dict]:
    """Line-by-line comparison for an accessible two-column table: each row says what changed."""
    rows = []
    a, b = old.splitlines(), new.splitlines()
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            rows += [{"change": "unchanged", "old": a[i], "new": b[j1 + k]} for k, i in enumerate(range(i1, i2))]
            continue
        olds, news = a[i1:i2], b[j1:j2]
        for k in range(max(len(olds), len(news))):
            old_line = olds[k] if k < len(olds) else None
            new_line = news[k] if k < len(news) else None
            change = (
                "changed"
                if old_line is not None and new_line is not None
                else ("removed" if new_line is None else "added")
            )
            rows.append({"change": change, "old": old_line or "", "new": new_line or ""})
    return rows


@login_required
def policy_diff(request: HttpRequest, code: str, pk: int, number: int) -> HttpResponse:
    country = country_of(request)
    version = _version_of(request, country, pk, number)
    previous = selectors.version_list(policy=version.policy).filter(number__lt=version.number).first()
    if previous is None:
        raise Http404("This is the first version: there is nothing to compare it with.")
    rows = diff_rows(previous.text, version.text)
    return render(
        request,
        "governance/policy_diff.html",
        {
            **base_context(request, country),
            "policy": version.policy,
            "version": version,
            "previous": previous,
            "rows": rows,
            "changes": sum(1 for r in rows if r["change"] != "unchanged"),
        },
    )


# --- Impact assessments ----------------------------------------------------------------------------


@login_required
def assessments(request: HttpRequest, code: str) -> HttpResponse:
    country = country_of(request)
    return render(
        request,
        "governance/assessments.html",
        {**base_context(request, country), "assessments": selectors.assessment_list(country=country)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def assessment_new(request: HttpRequest, code: str) -> HttpResponse:
    country = country_of(request)
    require_writer(request, country)
    supersedes = selectors.assessment_get(
        country=country, pk=request.GET.get("supersedes") or request.POST.get("supersedes")
    )
    form = AssessmentStartForm(posted(request))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                assessment = services.assessment_create(
                    country=country,
                    by=request.user,
                    access=request.access,
                    supersedes=supersedes,
                    answers=dict(supersedes.answers) if supersedes else None,
                    **form.cleaned_data,
                )
            except NotAllowed as error:
                raise PermissionDenied(error.message) from None
            except ServiceError as error:
                form.add_service_error(error)
            else:
                return redirect(url("assessment", country, pk=assessment.pk))
        status = 400
    return render(
        request,
        "governance/assessment_new.html",
        {**base_context(request, country), "form": form, "supersedes": supersedes},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def assessment_detail(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    country = country_of(request)
    assessment = selectors.assessment_get(country=country, pk=pk)
    if assessment is None:
        raise Http404("No such assessment in this country.")
    is_draft = assessment.status == ImpactAssessment.Status.DRAFT
    status = 200
    form = None
    if is_draft:
        form = AssessmentAnswersForm(
            posted(request),
            initial=assessment.answers,
            version=assessment.questionnaire_version,
            completing=request.method == "POST" and request.POST.get("action") == "complete",
        )
    if request.method == "POST":
        require_writer(request, country)
        if form is None and request.POST.get("action") == "reviewed":
            try:
                reviewed = services.assessment_review_record(
                    assessment=assessment, by=request.user, access=request.access
                )
            except NotAllowed as error:
                raise PermissionDenied(error.message) from None
            except ServiceError as error:
                messages.error(request, error.message)
            else:
                messages.success(
                    request,
                    _("The review is recorded. The next one is due by {date}.").format(
                        date=date_format(reviewed.review_by, "DATE_FORMAT")
                    ),
                )
            return redirect(url("assessment", country, pk=assessment.pk))
        if form is None:
            raise PermissionDenied(_("A completed assessment cannot be changed; start a new one that supersedes it."))
        if form.is_valid():
            try:
                saved = services.assessment_save_answers(
                    assessment=assessment, by=request.user, access=request.access, answers=form.answers()
                )
                if request.POST.get("action") == "complete":
                    saved = services.assessment_complete(assessment=saved, by=request.user, access=request.access)
            except NotAllowed as error:
                raise PermissionDenied(error.message) from None
            except ServiceError as error:
                form.add_service_error(error)
            else:
                if saved.status == ImpactAssessment.Status.COMPLETED:
                    messages.success(request, _("The assessment is complete."))
                else:
                    messages.success(request, _("Your answers are saved. You can come back and finish later."))
                return redirect(url("assessment", country, pk=assessment.pk))
        status = 400
    return render(
        request,
        "governance/assessment_detail.html",
        {
            **base_context(request, country),
            "assessment": assessment,
            "form": form,
            "obligations": selectors.obligation_labels(assessment.obligations or []),
            "summary": selectors.assessment_for_use(country=country, assessment_id=assessment.pk),
            "answer_rows": _answer_rows(assessment),
        },
        status=status,
    )


def _answer_rows(assessment: ImpactAssessment) -> list[tuple[str, str]]:
    rows = []
    for question in questionnaire.questions(assessment.questionnaire_version):
        labels = {value: label for value, label, _ in question["options"]}
        answer = assessment.answers.get(question["key"])
        if isinstance(answer, list):
            shown = ", ".join(str(labels.get(a, a)) for a in answer) or _("None")
        else:
            shown = labels.get(answer, _("Not answered"))
        rows.append((question["text"], shown))
    return rows
