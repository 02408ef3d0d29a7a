"""Pages about a country's own programmes: write one, see it, publish a new version, share it, and
adopt what other countries share. Country admins write; every member of the country reads."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from tenants.confirmations import confirm_page
from tenants.errors import NotAllowed, ServiceError
from tenants.fields import GroupedIntegerField
from tenants.forms import ServiceErrorMixin
from tenants.pages import base_context, request_country

from . import selectors, sharing
from .authoring import content_parse, content_to_text
from .models import SharedProgramme
from .rendering import render_markdown
from .views import _url

CONTENT_HELP = gettext_lazy(
    "Start each module with a line '# Title', then its text in Markdown. Add links as "
    "'link: Title | https://…'. Each quiz question is a line '? Question', followed by its options "
    "on lines '- option', with the right one marked '* option'."
)


class ProgrammeForm(ServiceErrorMixin, forms.Form):
    title = forms.CharField(
        label=gettext_lazy("Title"), max_length=200, error_messages={"required": gettext_lazy("Enter a title.")}
    )
    summary = forms.CharField(
        label=gettext_lazy("Summary (optional)"), required=False, max_length=1000, widget=forms.Textarea
    )
    pass_mark = GroupedIntegerField(
        label=gettext_lazy("Pass mark (per cent)"),
        min_value=1,
        max_value=100,
        initial=80,
        error_messages={
            "required": gettext_lazy("Enter a pass mark between 1 and 100."),
            "invalid": gettext_lazy("Enter a pass mark between 1 and 100."),
            "min_value": gettext_lazy("Enter a pass mark between 1 and 100."),
            "max_value": gettext_lazy("Enter a pass mark between 1 and 100."),
        },
    )
    content = forms.CharField(
        label=gettext_lazy("Modules and quizzes"),
        help_text=CONTENT_HELP,
        max_length=200000,
        widget=forms.Textarea(attrs={"rows": 20}),
        error_messages={"required": gettext_lazy("Write at least one module with its quiz.")},
    )

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["title"], self.fields["summary"]


def _programme(request: HttpRequest, country, pk: int):
    programme = selectors.country_programme_list(country=country).filter(pk=pk).first()
    if programme is None:
        raise Http404("No such programme in this country.")
    return programme


def _require_admin(request: HttpRequest, country) -> None:
    if not request.access.is_country_admin(country.pk):
        raise PermissionDenied(_("Only a country admin of this country can write, share or adopt programmes."))


@login_required
@require_http_methods(["GET", "POST"])
def programme_new(request: HttpRequest, code: str) -> HttpResponse:
    country = request_country(request)
    _require_admin(request, country)
    form = ProgrammeForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                content = content_parse(form.cleaned_data["content"])
                programme = sharing.country_programme_create(
                    country=country,
                    by=request.user,
                    access=request.access,
                    title=form.cleaned_data["title"],
                    summary=form.cleaned_data["summary"],
                    content=content,
                    pass_mark=form.cleaned_data["pass_mark"],
                )
            except NotAllowed as error:
                raise PermissionDenied(error.message) from None
            except ServiceError as error:
                form.add_service_error(error)
            else:
                messages.success(
                    request, _("{programme_title} is ready for enrolments.").format(programme_title=programme.title)
                )
                return redirect(_url("programme", country, pk=programme.pk))
        status = 400
    return render(
        request, "training/programme_form.html", {**base_context(request, country), "form": form}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def programme_detail(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    country = request_country(request)
    programme = _programme(request, country, pk)
    version = programme.versions.order_by("-number").first()
    form, status = None, 200
    if request.access.is_country_admin(country.pk) and not programme.is_adopted:
        initial = {"content": content_to_text(version.content), "pass_mark": version.pass_mark}
        form = ProgrammeForm(request.POST if request.method == "POST" else None, editing=True, initial=initial)
    if request.method == "POST":
        if form is None:
            raise PermissionDenied(_("Only a country admin can change this programme, and adopted copies not at all."))
        if form.is_valid():
            try:
                new = sharing.country_programme_publish(
                    programme=programme,
                    by=request.user,
                    access=request.access,
                    content=content_parse(form.cleaned_data["content"]),
                    pass_mark=form.cleaned_data["pass_mark"],
                )
            except ServiceError as error:
                form.add_service_error(error)
            else:
                messages.success(
                    request,
                    _(
                        "Version {new_number} is published. People already enrolled keep the version they started."
                    ).format(new_number=new.number),
                )
                return redirect(_url("programme", country, pk=programme.pk))
        status = 400
    modules = [{**m, "html": render_markdown(m["body"])} for m in version.modules]
    return render(
        request,
        "training/programme_detail.html",
        {
            **base_context(request, country),
            "programme": programme,
            "version": version,
            "modules": modules,
            "form": form,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def programme_share(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """Sharing with other countries asks first, with a reason (GET, then a POST with `comment`);
    stopping is posted from the programme's page (`share=0`)."""
    country = request_country(request)
    programme = _programme(request, country, pk)
    back = _url("programme", country, pk=programme.pk)
    if request.POST.get("share") != "0":
        _require_admin(request, country)
        if programme.is_adopted or programme.is_shared:
            raise Http404("There is nothing to share here.")
        return confirm_page(
            request,
            country,
            act=lambda reason: sharing.country_programme_share(
                programme=programme, by=request.user, access=request.access, reason=reason
            ),
            back=back,
            caption=programme.title,
            heading=_("Share “{programme_title}” with other countries?").format(programme_title=programme.title),
            warning=_(
                "Every country of the programme can read its latest version at once and adopt a copy of it. Copies "
                "already adopted stay with those countries if you stop sharing."
            ),
            button=_("Yes, share it"),
            success_message=_("{programme_title} is now shared with other countries.").format(
                programme_title=programme.title
            ),
        )
    try:
        sharing.country_programme_unshare(programme=programme, by=request.user, access=request.access)
    except NotAllowed as error:
        raise PermissionDenied(error.message) from None
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("{programme_title} is no longer shared with other countries.").format(programme_title=programme.title),
        )
    return redirect(back)


@login_required
def shared_list(request: HttpRequest, code: str) -> HttpResponse:
    country = request_country(request)
    return render(
        request,
        "training/shared_list.html",
        {**base_context(request, country), "shared": selectors.shared_programme_list(country=country)},
    )


@login_required
@require_POST
def shared_adopt(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    country = request_country(request)
    shared = selectors.shared_programme_list(country=country).filter(pk=pk).first()
    if shared is None:
        raise Http404("No such shared programme.")
    try:
        programme = sharing.shared_programme_adopt(
            country=country, by=request.user, access=request.access, shared=SharedProgramme.objects.get(pk=shared.pk)
        )
    except NotAllowed as error:
        raise PermissionDenied(error.message) from None
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect(_url("shared", country))
    messages.success(
        request,
        _("{programme_title} was added to {country_name}'s programmes.").format(
            programme_title=programme.title, country_name=country.display_name
        ),
    )
    return redirect(_url("programme", country, pk=programme.pk))
