"""Training fixtures on top of the cast: the published catalogue and helpers to enrol and pass."""

from __future__ import annotations

import pytest

from tenants.access import access_for
from tenants.isolation import country_context


@pytest.fixture
def catalogue(cast):
    from training import services
    from training.models import Programme

    services.catalogue_sync()
    return {p.slug: p for p in Programme.objects.all()}


def enrol(country, user, programme, *, by=None):
    from training import services

    by = by or user
    return services.enrolment_create(country=country, by=by, access=access_for(by), user=user, programme=programme)


def right_answers(enrolment, module: int) -> list[int]:
    return [q["answer"] for q in enrolment.pinned.modules[module]["quiz"]]


def complete(enrolment, user):
    from training import services

    for index in range(len(enrolment.pinned.modules)):
        services.quiz_submit(
            enrolment=enrolment, by=user, access=access_for(user), module=index, answers=right_answers(enrolment, index)
        )
    with country_context(enrolment.country_id):
        enrolment.refresh_from_db()
        return enrolment.certificate
