"""Recertification: the date set at provisioning, reminders to the owner near it (not more than
once a week), and recertifying (country admin or partner manager only) moving it on."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from deployments import recertification, services
from deployments.models import Environment
from tenants.isolation import country_context
from tenants.notifications.models import Notification
from tests.deployments.conftest import act
from tests.deployments.test_views import active

pytestmark = pytest.mark.django_db


def test_reminders_near_the_date_once_a_week_and_recertifying(cast, ready, settings):
    settings.DEPLOYMENTS_RECERTIFY_MONTHS = 12
    _, environment = active(cast, ready)
    assert environment.recertify_by == recertification.next_date(timezone.localdate())
    assert recertification.recertification_remind_due() == 0  # a year away
    with country_context(cast.fr):
        Environment.objects.filter(pk=environment.pk).update(recertify_by=timezone.localdate() + timedelta(days=20))
    now = timezone.now()
    assert recertification.recertification_remind_due(now=now) == 1
    assert recertification.recertification_remind_due(now=now + timedelta(days=1)) == 0
    assert recertification.recertification_remind_due(now=now + timedelta(days=8)) == 1
    with country_context(cast.fr):
        assert Notification.objects.filter(user=cast.owner, subject__contains="recertification").count() == 2
    with pytest.raises(services.NotAllowed):
        recertification.environment_recertify(environment=environment, **act(cast.member))
    with pytest.raises(services.NotAllowed):
        recertification.environment_recertify(environment=environment, **act(cast.outsider))
    environment = recertification.environment_recertify(environment=environment, **act(cast.partner))
    assert environment.recertify_by > timezone.localdate() + timedelta(days=300)
    assert recertification.recertification_remind_due(now=now + timedelta(days=20)) == 0
