"""Governance's item of a reader's to-do list (tenants/todo.py): the current policies that apply
to their role and that they have not acknowledged, or whose acknowledgement has expired."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext

from tenants.models import Membership
from tenants.onboarding import CountOf
from tenants.todo import Todo

from .acknowledgements import _current_versions, _role_listed
from .models import Acknowledgement


def todo_facts(country, user, role: str) -> dict:
    if role not in Membership.Role.values:
        return {}
    versions = _current_versions(country).filter(roles__icontains=_role_listed(role))
    held = Acknowledgement.objects.filter(
        country=country, user=user, expires_at__gt=timezone.now(), version__in=versions
    )
    return {"required": CountOf(versions), "current": CountOf(held, fields=("version_id",))}


def todo_decide(country, values: dict) -> list[Todo]:
    missing = (values["required"] or 0) - (values["current"] or 0)
    if missing <= 0:
        return []
    text = ngettext("You have {n} policy to acknowledge.", "You have {n} policies to acknowledge.", missing).format(
        n=missing
    )
    return [Todo("policies", text, reverse("governance:policies", kwargs={"code": country.code.lower()}))]
