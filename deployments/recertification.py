"""Recertification: an environment's use is certified again every DEPLOYMENTS_RECERTIFY_MONTHS
months. Owners are reminded from 30 days before the date (once a week at most), and a country
admin or partner manager recertifies, which moves the date on."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tenants.access import PARTNER_MANAGER, Access
from tenants.errors import NotAllowed
from tenants.isolation import country_context
from tenants.languages.formatting import long_date
from tenants.models import Country, Membership
from tenants.notifications.mail import per_reader
from tenants.notifications.services import notification_write
from tenants.record.ledger import event_record

from .models import Environment

REMIND_BEFORE = timedelta(days=30)
REMIND_EVERY = timedelta(days=7)


def next_date(today: date) -> date:
    months = int(getattr(settings, "DEPLOYMENTS_RECERTIFY_MONTHS", 12))
    return today + timedelta(days=round(months * 365 / 12))


@transaction.atomic
def environment_recertify(*, environment: Environment, by, access: Access) -> Environment:
    country = Country.objects.get(pk=environment.country_id)
    role = access.role_in(country.pk) or ""
    if role not in (Membership.Role.COUNTRY_ADMIN, PARTNER_MANAGER):
        raise NotAllowed(
            _("Only a country admin of {country_name} or its partner manager can recertify.").format(
                country_name=country.display_name
            )
        )
    with country_context(country):
        environment = Environment.objects.select_for_update().get(pk=environment.pk)
        environment.recertify_by = next_date(timezone.localdate())
        environment.recertification_reminded_at = None
        environment.save(update_fields=["recertify_by", "recertification_reminded_at"])
        event_record(
            country=country,
            action="environment.recertified",
            actor=by,
            actor_role=role,
            target=environment,
            payload={"environment": environment.pk, "until": environment.recertify_by.isoformat()},
        )
    return environment


def recertification_remind_due(*, now=None) -> int:
    """Remind the owners of active environments whose recertification is near or past (beat, daily)."""
    now = now or timezone.now()
    sent = 0
    for country in Country.objects.writable().order_by("pk"):
        with country_context(country):
            due = list(
                Environment.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("request__owner")
                .filter(state=Environment.State.ACTIVE, recertify_by__lte=now.date() + REMIND_BEFORE)
                .exclude(recertification_reminded_at__gt=now - REMIND_EVERY)
            )
            for environment in due:
                owner = environment.request.owner
                # In each language, read in the owner's of the moment (not the worker's).
                notification_write(
                    user=owner,
                    country=country,
                    subject=per_reader(
                        lambda environment=environment: (
                            _("%(name)s is due for recertification by %(date)s")
                            % {"name": environment.name, "date": long_date(environment.recertify_by)}
                        )
                    ),
                    body=gettext_lazy(
                        "Check that the use still matches its impact assessment, then ask a country admin to "
                        "recertify it."
                    ),
                    url=f"/c/{country.code.lower()}/deployments/environments/{environment.pk}/",
                )
                environment.recertification_reminded_at = now
                environment.save(update_fields=["recertification_reminded_at"])
                event_record(
                    country=country,
                    action="environment.recertification_reminded",
                    actor_role="system",
                    target=environment,
                    payload={"environment": environment.pk},
                )
                sent += 1
    return sent
