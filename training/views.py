"""Pages of training under /c/<code>/training/, and the public certificate check.

Like the tenants pages: the country comes from the middleware (404 when it is not visible), objects
through the selectors (another country's or another person's id is a 404), writes through the
services (ServiceError → form error with status 400, NotAllowed → 403)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from tenants.access import PARTNER_MANAGER
from tenants.confirmations import confirm_with_reason
from tenants.errors import NotAllowed, ServiceError
from tenants.ids import parse_id
from tenants.languages.headings import KEYS
from tenants.models import Country, Membership
from tenants.pages import base_context, request_country

from . import renewals, selectors, services
from .forms import QuizForm, RequirementForm, RoleEnrolForm, RosterForm
from .models import CountryRequirement


def _url(name: str, country: Country, **kwargs) -> str:
    return reverse(f"training:{name}", kwargs={"code": country.code.lower(), **kwargs})


def _enrolment(request: HttpRequest, country: Country, pk: int):
    enrolment = selectors.enrolment_get_visible(country=country, access=request.access, pk=pk)
    if enrolment is None:
        raise Http404("No such enrolment among those you can see.")
    return enrolment


@login_required
def home(request: HttpRequest, code: str) -> HttpResponse:
    country = request_country(request)
    enrolments = list(selectors.enrolment_list_visible(country=country, access=request.access)[:200])
    # The reader's own, read apart: among the first 200 of a country's enrolments, theirs may be missing.
    own = selectors.own_enrolments(country=country, user=request.user)
    return render(
        request,
        "training/home.html",
        {
            **base_context(request, country),
            "programmes": _with_own(selectors.programme_list(), own),
            "country_programmes": _with_own(selectors.country_programme_list(country=country), own),
            "enrolments": enrolments,
            "is_member": country.pk in request.access.member_country_ids,
            "sees_all": selectors.sees_all_enrolments(request.access, country),
            "can_see_cohort": _can_see_cohort(request, country),
        },
    )


def _with_own(programmes, own: dict) -> list:
    """Each programme with the reader's own enrolment in it (`mine`), if any: its card says where they
    are in it, or that they completed it, in place of offering to enrol again."""
    programmes = list(programmes)
    now = timezone.now()
    for programme in programmes:
        programme.mine = own.get(programme.slug)
        certificate = getattr(programme.mine, "certificate", None) if programme.mine else None
        # Expired, or expiring within the reminder period: the card offers to enrol again to renew it.
        programme.renewable = bool(certificate and renewals.renewable_from(certificate) <= now)
    return programmes


@login_required
@require_POST
def enrol_self(request: HttpRequest, code: str, slug: str) -> HttpResponse:
    country = request_country(request)
    programme = selectors.programme_get(slug=slug, country=country)
    if programme is None:
        raise Http404("No such programme.")
    try:
        enrolment = services.enrolment_create(
            country=country, by=request.user, access=request.access, user=request.user, programme=programme
        )
    except NotAllowed as error:
        raise PermissionDenied(error.message) from None
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect(_url("home", country))
    if enrolment.renews_id:
        messages.success(
            request,
            _("You are enrolled again in {programme_title}: complete it to renew your certificate.").format(
                programme_title=programme.plain_title
            ),
        )
    else:
        messages.success(
            request, _("You are enrolled in {programme_title}.").format(programme_title=programme.plain_title)
        )
    return redirect(_url("enrolment", country, pk=enrolment.pk))


@login_required
def enrolment_detail(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    country = request_country(request)
    enrolment = _enrolment(request, country, pk)
    done = set(enrolment.progress.values_list("module", flat=True))
    titles = enrolment.pinned.module_titles_in_reading()
    modules = [{"index": i, "title": title, "done": i in done} for i, title in enumerate(titles)]
    certificate = getattr(enrolment, "certificate", None) if enrolment.status == "completed" else None
    return render(
        request,
        "training/enrolment.html",
        {
            **base_context(request, country),
            "enrolment": enrolment,
            "modules": modules,
            "certificate": certificate,
            "is_own": enrolment.user_id == request.user.pk,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def module(request: HttpRequest, code: str, pk: int, index: int) -> HttpResponse:
    country = request_country(request)
    enrolment = _enrolment(request, country, pk)
    modules = enrolment.pinned.modules
    if not 0 <= index < len(modules):
        raise Http404("No such module in this programme.")
    content = enrolment.pinned.module_in_reading(index)
    is_own = enrolment.user_id == request.user.pk
    passed = selectors.module_passes(enrolment=enrolment).get(index)
    # A module passed shows its pass, not its quiz: an answer posted to it (an old tab) is refused by the service.
    form = QuizForm(request.POST if request.method == "POST" else None, questions=[] if passed else content["quiz"])
    status, attempt = 200, None
    if request.method == "POST":
        if not is_own:
            raise PermissionDenied(_("Only the person enrolled can answer this quiz."))
        if form.is_valid():
            try:
                attempt = services.quiz_submit(
                    enrolment=enrolment, by=request.user, access=request.access, module=index, answers=form.answers()
                )
            except NotAllowed as error:
                raise PermissionDenied(error.message) from None
            except ServiceError as error:
                form.add_service_error(error)
                status = 400
            else:
                if attempt.passed:
                    messages.success(
                        request,
                        _("You passed: {attempt_correct} of {attempt_total} correct.").format(
                            attempt_correct=attempt.correct, attempt_total=attempt.total
                        ),
                    )
                    return redirect(_url("enrolment", country, pk=enrolment.pk))
                form = QuizForm(None, questions=content["quiz"])
        else:
            status = 400
    return render(
        request,
        "training/module.html",
        {
            **base_context(request, country),
            "enrolment": enrolment,
            "module": content,
            "index": index,
            "body": content["body_html"],
            "form": form,
            "attempt": attempt,
            "is_own": is_own,
            "pass_mark": enrolment.pinned.pass_mark,
            "passed": passed,
            "certificate": getattr(enrolment, "certificate", None) if enrolment.status == "completed" else None,
            "next_index": index + 1 if index + 1 < len(modules) else None,
        },
        status=status,
    )


@login_required
def certificate(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    country = request_country(request)
    found = selectors.certificate_get_visible(country=country, access=request.access, pk=pk)
    if found is None:
        raise Http404("No such certificate among those you can see.")
    response = render(
        request,
        "training/certificate.html",
        {
            **base_context(request, country),
            "certificate": found,
            "verify_url": request.build_absolute_uri(reverse("certificate_check", kwargs={"code": found.code})),
        },
    )
    if request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="certificate-{found.code}.html"'
    return response


@login_required
@require_safe
def roster_template(request: HttpRequest, code: str) -> HttpResponse:
    """An empty roster headed in the reader's language (?headings=keys: the keys); the import reads both."""
    country = request_country(request)
    if not request.access.is_country_admin(country.pk):
        raise PermissionDenied(_("Only a country admin of this country can enrol people."))
    headings = KEYS if request.GET.get("headings") == KEYS else get_language()
    response = HttpResponse(services.roster_template(headings=headings), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="roster-{country.code.lower()}.csv"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def manage(request: HttpRequest, code: str) -> HttpResponse:
    """Enrol by role and import rosters (country admins)."""
    country = request_country(request)
    if not request.access.is_country_admin(country.pk):
        raise PermissionDenied(_("Only a country admin of this country can enrol people."))
    programmes = [*selectors.programme_list(), *selectors.country_programme_list(country=country)]
    action = request.POST.get("action") if request.method == "POST" else None
    role_form = RoleEnrolForm(request.POST if action == "role" else None, programmes=programmes)
    roster_form = RosterForm(
        request.POST if action == "roster" else None, request.FILES if action == "roster" else None
    )
    roster_errors, status = [], 200
    try:
        if action == "role" and role_form.is_valid():
            programme = selectors.programme_get(slug=role_form.cleaned_data["programme"], country=country)
            count = services.enrolment_create_for_role(
                country=country,
                by=request.user,
                access=request.access,
                programme=programme,
                role=role_form.cleaned_data["role"],
            )
            messages.success(
                request,
                ngettext(
                    "{count} person was enrolled in {programme_title}.",
                    "{count} people were enrolled in {programme_title}.",
                    count,
                ).format(count=count, programme_title=programme.plain_title),
            )
            return redirect(_url("manage", country))
        if action == "roster" and roster_form.is_valid():
            count = services.roster_import(
                country=country, by=request.user, access=request.access, data=roster_form.cleaned_data["roster"].read()
            )
            messages.success(
                request,
                ngettext(
                    "The roster was imported: {count} enrolment.", "The roster was imported: {count} enrolments.", count
                ).format(count=count),
            )
            return redirect(_url("manage", country))
    except NotAllowed as error:
        raise PermissionDenied(error.message) from None
    except services.RosterRefused as error:
        roster_form.add_service_error(error)
        roster_errors = error.errors
    except ServiceError as error:
        (roster_form if action == "roster" else role_form).add_service_error(error)
    if action:
        status = 400
    return render(
        request,
        "training/manage.html",
        {
            **base_context(request, country),
            "role_form": role_form,
            "roster_form": roster_form,
            "roster_errors": roster_errors,
            "role_options": [(v, label, "") for v, label in Membership.Role.choices],
        },
        status=status,
    )


def _can_see_cohort(request: HttpRequest, country: Country) -> bool:
    return request.access.role_in(country.pk) in {Membership.Role.COUNTRY_ADMIN, PARTNER_MANAGER}


@login_required
def cohort(request: HttpRequest, code: str) -> HttpResponse:
    country = request_country(request)
    if not _can_see_cohort(request, country):
        raise PermissionDenied(_("The cohort view is for country admins and partner managers."))
    return render(
        request,
        "training/cohort.html",
        {
            **base_context(request, country),
            "rows": selectors.cohort_summary(country=country),
            "overdue": list(selectors.overdue_enrolments(country=country)[:100]),
            "expiring": list(selectors.expiring_certificates(country=country)[:100]),
            "expiring_days": selectors.EXPIRING_WITHIN_DAYS,
        },
    )


def certificate_check(request: HttpRequest, code: str) -> HttpResponse:
    """Public: anyone holding a code may check it, without signing in."""
    check = selectors.certificate_verify(code=code)
    return render(request, "training/certificate_check.html", {"check": check, "code": code[:64]})


def _country_requirement(country: Country, pk) -> CountryRequirement:
    requirement = (
        selectors.country_requirement_list(country=country)
        .filter(pk=parse_id(pk) or 0)
        .select_related("programme")
        .first()
    )
    if requirement is None:
        raise Http404("No such requirement.")
    return requirement


@login_required
@require_http_methods(["GET", "POST"])
def requirement_remove(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """Confirm the removal of one of the country's training requirements, with a reason."""
    country = request_country(request)
    if not request.access.is_country_admin(country.pk):
        raise PermissionDenied(_("Only a country admin of this country can set training requirements."))
    requirement = _country_requirement(country, pk)
    return confirm_with_reason(
        request,
        act=lambda reason: services.requirement_remove(
            requirement=requirement, by=request.user, access=request.access, reason=reason
        ),
        template="training/requirement_remove.html",
        context={**base_context(request, country), "requirement": requirement},
        success_url=_url("requirements", country),
        success_message=_("The requirement was removed."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def requirements(request: HttpRequest, code: str) -> HttpResponse:
    """What each role must hold: the platform's (read-only here) and the country's own."""
    country = request_country(request)
    is_admin = request.access.is_country_admin(country.pk)
    form = RequirementForm(request.POST if request.method == "POST" else None, programmes=selectors.programme_list())
    status = 200
    if request.method == "POST":
        if not is_admin:
            raise PermissionDenied(_("Only a country admin of this country can set training requirements."))
        remove = request.POST.get("remove")
        if remove:
            # Removing is confirmed on a page of its own, with a reason: a bare POST removes nothing.
            requirement = _country_requirement(country, remove)
            return redirect(_url("requirement_remove", country, pk=requirement.pk), permanent=False)
        try:
            if form.is_valid():
                data = form.cleaned_data
                services.requirement_add(
                    country=country,
                    by=request.user,
                    access=request.access,
                    programme=selectors.programme_get(slug=data["programme"]),
                    role=data["role"],
                    sector=data["sector"],
                    capability=data["capability"],
                )
                messages.success(request, _("The requirement was added."))
                return redirect(_url("requirements", country))
        except NotAllowed as error:
            raise PermissionDenied(error.message) from None
        except ServiceError as error:
            form.add_service_error(error)
        status = 400
    return render(
        request,
        "training/requirements.html",
        {
            **base_context(request, country),
            "form": form,
            "platform_requirements": selectors.platform_requirement_list(),
            "country_requirements": selectors.country_requirement_list(country=country),
            "role_options": [(v, label, "") for v, label in Membership.Role.choices],
        },
        status=status,
    )
