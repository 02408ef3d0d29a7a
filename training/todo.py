"""Training's item of a reader's to-do list (tenants/todo.py): the courses they are enrolled in
and have not finished, and how many of them are past their due date."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext

from tenants.models import Membership
from tenants.onboarding import CountOf
from tenants.todo import Todo

from .models import Enrolment


def todo_facts(country, user, role: str) -> dict:
    if role not in Membership.Role.values:
        return {}
    open_ = Enrolment.objects.filter(country=country, user=user, status=Enrolment.Status.IN_PROGRESS)
    return {"open": CountOf(open_), "late": CountOf(open_.filter(due_date__lt=timezone.localdate()))}


def todo_decide(country, values: dict) -> list[Todo]:
    courses, late = values["open"] or 0, values["late"] or 0
    if not courses:
        return []
    text = ngettext("You have {n} course to finish.", "You have {n} courses to finish.", courses).format(n=courses)
    if late:
        text += " " + ngettext(
            "{n} of them is past its due date.", "{n} of them are past their due date.", late
        ).format(n=late)
    return [Todo("training", text, reverse("training:home", kwargs={"code": country.code.lower()}))]
