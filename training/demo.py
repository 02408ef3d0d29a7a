"""Demo data of training for seed_demo: the catalogue, and per country enrolments in progress and
some completed programmes with certificates, all through the services (so all on the ledger)."""

from __future__ import annotations

from collections.abc import Callable

from tenants.access import access_for
from tenants.isolation import country_context
from tenants.models import Country, Membership

from . import services
from .models import Enrolment, Programme


def _complete(enrolment: Enrolment, user) -> None:
    access = access_for(user)
    for index, module in enumerate(enrolment.pinned.modules):
        services.quiz_submit(
            enrolment=enrolment, by=user, access=access, module=index, answers=[q["answer"] for q in module["quiz"]]
        )


def seed(*, countries: dict[str, Country], say: Callable[[str], None] = print) -> None:
    if services.catalogue_sync():
        say("  training catalogue published")
    literacy = Programme.objects.get(slug="ai-literacy")
    review = Programme.objects.get(slug="prompt-output-review")
    for code, country in countries.items():
        with country_context(country):
            members = list(
                Membership.objects.filter(status=Membership.Status.ACTIVE).select_related("user").order_by("pk")
            )
            if Enrolment.objects.exists():
                continue
        for membership in members:
            user = membership.user
            access = access_for(user)
            # The country admin has completed AI literacy; everyone else has started it.
            enrolment = services.enrolment_create(
                country=country, by=user, access=access, user=user, programme=literacy
            )
            if membership.role == Membership.Role.COUNTRY_ADMIN:
                _complete(enrolment, user)
                services.enrolment_create(country=country, by=user, access=access, user=user, programme=review)
        say(f"  training for {code}: {len(members)} enrolments")
