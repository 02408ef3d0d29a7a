"""Engagements' items of a reader's to-do list (tenants/todo.py): for a country admin, an
engagement or a change of its terms still in draft (new, or sent back with changes requested); for
a partner manager, what of the country's engagements waits for a decision."""

from __future__ import annotations

from django.db.models import Exists, Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tenants.access import PARTNER_MANAGER
from tenants.models import Membership
from tenants.onboarding import CountOf
from tenants.todo import Todo

from .models import Engagement
from .selectors import WAITING


def todo_facts(country, user, role: str) -> dict:
    engagements = Engagement.objects.filter(country=country)
    if role == PARTNER_MANAGER:
        return {"to_decide": CountOf(engagements.filter(WAITING))}
    if role != Membership.Role.COUNTRY_ADMIN:
        return {}
    draft = Q(state=Engagement.State.DRAFT) | Q(amendment=Engagement.Amendment.DRAFT)
    return {"draft": Exists(engagements.filter(draft))}


def todo_decide(country, values: dict) -> list[Todo]:
    home = reverse("engagement:home", kwargs={"code": country.code.lower()})
    if values.get("to_decide"):
        n = values["to_decide"]
        return [
            Todo(
                "engagements_to_decide",
                ngettext(
                    "{n} engagement or change of terms waits for a decision.",
                    "{n} engagements or changes of terms wait for a decision.",
                    n,
                ).format(n=n),
                f"{reverse('review')}?country={country.code}",
            )
        ]
    if values.get("draft"):
        return [
            Todo(
                "engagement_draft",
                _("The engagement's terms are in draft: finish them and submit them for review."),
                home,
            )
        ]
    return []
