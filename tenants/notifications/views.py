"""The /notifications/ page: a person's notifications, newest first, and marking them read."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from tenants.notifications.selectors import notification_list
from tenants.notifications.services import notifications_mark_read

PER_PAGE = 30


@login_required
def notification_page(request: HttpRequest) -> HttpResponse:
    page = Paginator(notification_list(user=request.user, access=request.access), PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "tenants/notifications.html", {"page": page})


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    notifications_mark_read(user=request.user, access=request.access)
    return redirect("notifications")
