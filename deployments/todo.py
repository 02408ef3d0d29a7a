"""Deployments' items of a reader's to-do list (tenants/todo.py): for those who request, the
requests sent back to them with changes requested and their drafts not yet submitted; for a
partner manager, the requests of the country that wait for a decision."""

from __future__ import annotations

from django.db.models import Q, Subquery
from django.urls import reverse
from django.utils.translation import ngettext

from tenants.access import PARTNER_MANAGER
from tenants.models import Membership
from tenants.onboarding import CountOf
from tenants.todo import Todo

from .models import DeploymentRequest
from .selectors import WAITING

S = DeploymentRequest.State
DRAFTERS = {Membership.Role.COUNTRY_ADMIN, Membership.Role.OFFICER}


def todo_facts(country, user, role: str) -> dict:
    requests = DeploymentRequest.objects.filter(country=country)
    if role == PARTNER_MANAGER:
        return {"to_decide": CountOf(requests.filter(state__in=WAITING))}
    if role not in DRAFTERS:
        return {}
    theirs = requests.filter(Q(requested_by=user) | Q(owner=user) | Q(submitted_by=user))
    sent_back = theirs.filter(state=S.CHANGES_REQUESTED).order_by("-updated_at", "-pk")
    return {
        "sent_back": CountOf(sent_back),
        "sent_back_first": Subquery(sent_back.values("pk")[:1]),
        "drafts": CountOf(requests.filter(state=S.DRAFT, requested_by=user)),
    }


def todo_decide(country, values: dict) -> list[Todo]:
    code = country.code.lower()
    home = reverse("deployments:home", kwargs={"code": code})
    found = []
    if values.get("to_decide"):
        n = values["to_decide"]
        found.append(
            Todo(
                "deployments_to_decide",
                ngettext(
                    "{n} deployment request waits for a decision.", "{n} deployment requests wait for a decision.", n
                ).format(n=n),
                f"{reverse('review')}?country={country.code}",
            )
        )
    if values.get("sent_back"):
        n = values["sent_back"]
        one = reverse("deployments:detail", kwargs={"code": code, "pk": values["sent_back_first"]})
        found.append(
            Todo(
                "deployments_sent_back",
                ngettext(
                    "{n} deployment request was sent back to you with changes requested.",
                    "{n} deployment requests were sent back to you with changes requested.",
                    n,
                ).format(n=n),
                one if n == 1 else home,
            )
        )
    if values.get("drafts"):
        n = values["drafts"]
        found.append(
            Todo(
                "deployments_drafts",
                ngettext(
                    "You have {n} draft deployment request not yet submitted.",
                    "You have {n} draft deployment requests not yet submitted.",
                    n,
                ).format(n=n),
                home,
            )
        )
    return found
