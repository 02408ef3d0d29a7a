"""A certificate that expired, or expires within the reminder period, is renewed by enrolling in its
programme again, page or API, as the reminder says: the new enrolment names the one it renews, which
stays with its certificate as the person's history. A certificate still valid longer, or a course
still in progress, is refused clearly and changes nothing; two renewals at once give one."""

from __future__ import annotations

import threading
from datetime import timedelta
from html import unescape

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from tenants.access import access_for
from tenants.errors import ServiceError
from tenants.isolation import country_context
from tenants.record.events import describe_events
from tenants.record.models import CountryEvent
from tests.conftest import deliver_mail
from training import renewals, selectors, services
from training.models import Certificate, Enrolment

from .conftest import complete, enrol

API = "/api/v1/countries/FR/training"


def _expires_in(certificate: Certificate, days: int) -> None:
    with country_context(certificate.country_id):
        Certificate.objects.filter(pk=certificate.pk).update(expires_at=timezone.now() + timedelta(days=days))


def _enrolments(cast, user) -> list[Enrolment]:
    with country_context(cast.fr):
        return list(Enrolment.objects.filter(user=user).order_by("pk"))


@pytest.mark.django_db
def test_an_expired_certificate_is_renewed_through_the_page_keeping_the_first(client, cast, catalogue):
    first = complete(enrol(cast.fr, cast.member, catalogue["ai-literacy"]), cast.member)
    _expires_in(first, -1)
    client.force_login(cast.member)
    home = unescape(client.get("/c/fr/training/").content.decode())
    assert 'data-action="renew"' in home and "enrol again to renew it" in home

    response = client.post("/c/fr/training/programmes/ai-literacy/enrol/", follow=True)
    assert response.status_code == 200
    assert "complete it to renew your certificate" in unescape(response.content.decode())
    earlier, renewal = _enrolments(cast, cast.member)
    assert (renewal.renews_id, renewal.current, renewal.status) == (earlier.pk, True, "in_progress")
    assert (earlier.current, earlier.status) == (False, "completed")
    with country_context(cast.fr):
        assert Certificate.objects.filter(pk=first.pk, enrolment=earlier).exists()  # the history stays
        event = CountryEvent.objects.filter(action="training.enrolled").order_by("-sequence", "-pk").first()
    assert event.payload["renews"] == earlier.pk
    with country_context(cast.fr):
        (described,) = describe_events([event], cast.fr)
    assert f"renews the certificate of enrolment {earlier.pk}" in described.detail

    # The card now follows the renewal; completing it issues a second certificate beside the first.
    home = unescape(client.get("/c/fr/training/").content.decode())
    assert 'data-action="renew"' not in home and f"/c/fr/training/enrolments/{renewal.pk}/" in home
    second = complete(renewal, cast.member)
    assert second.pk != first.pk and second.expires_at > timezone.now()
    assert selectors.person_meets_requirements(country=cast.fr, user=cast.member).ok


@pytest.mark.django_db
def test_an_expiring_certificate_is_renewed_through_the_api(api, cast, catalogue):
    first = complete(enrol(cast.fr, cast.member, catalogue["ai-literacy"]), cast.member)
    _expires_in(first, renewals.reminder_days() - 1)
    api.force_login(cast.member)
    response = api.post(f"{API}/enrolments/", {"programme": "ai-literacy"}, format="json")
    assert response.status_code == 201, response.content
    earlier, renewal = _enrolments(cast, cast.member)
    assert response.json()["id"] == renewal.pk and renewal.renews_id == earlier.pk


@pytest.mark.django_db
def test_a_valid_certificate_or_a_course_under_way_is_refused_and_nothing_changes(api, client, cast, catalogue):
    first = complete(enrol(cast.fr, cast.member, catalogue["ai-literacy"]), cast.member)
    _expires_in(first, renewals.reminder_days() + 5)
    api.force_login(cast.member)
    before = _enrolments(cast, cast.member)
    response = api.post(f"{API}/enrolments/", {"programme": "ai-literacy"}, format="json")
    assert response.status_code == 400
    assert "is valid until" in response.json()["detail"] and "can be renewed from" in response.json()["detail"]
    client.force_login(cast.member)
    page = unescape(client.post("/c/fr/training/programmes/ai-literacy/enrol/", follow=True).content.decode())
    assert "can be renewed from" in page and 'data-action="renew"' not in page
    assert _enrolments(cast, cast.member) == before

    under_way = enrol(cast.fr, cast.owner, catalogue["ai-literacy"])
    with pytest.raises(ServiceError, match="already enrolled"):
        enrol(cast.fr, cast.owner, catalogue["ai-literacy"])
    assert _enrolments(cast, cast.owner) == [under_way]


@pytest.mark.django_db
def test_the_reminder_leads_to_a_renewal_and_is_not_sent_once_renewed(cast, catalogue):
    first = complete(enrol(cast.fr, cast.member, catalogue["ai-literacy"]), cast.member)
    second = complete(enrol(cast.fr, cast.viewer, catalogue["ai-literacy"]), cast.viewer)
    _expires_in(first, 10)
    _expires_in(second, 10)
    enrol(cast.fr, cast.viewer, catalogue["ai-literacy"])  # the viewer renews before any reminder
    assert renewals.certificate_reminders_send(country_id=cast.fr.pk) == 1
    assert deliver_mail() == 1
    assert [m.to for m in mail.outbox] == [["member@example.org"]]
    assert "enrol in the programme again" in mail.outbox[0].body
    with country_context(cast.fr):
        assert [c.pk for c in selectors.expiring_certificates(country=cast.fr)] == [first.pk]


@pytest.mark.django_db(transaction=True)
def test_two_renewals_at_once_give_one(cast, catalogue):
    first = complete(enrol(cast.fr, cast.member, catalogue["ai-literacy"]), cast.member)
    _expires_in(first, -1)
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def renew() -> None:
        try:
            barrier.wait()
            outcomes.append(
                services.enrolment_create(
                    country=cast.fr,
                    by=cast.member,
                    access=access_for(cast.member),
                    user=cast.member,
                    programme=catalogue["ai-literacy"],
                ).pk
            )
        except BaseException as error:  # noqa: BLE001 - looked at below
            outcomes.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=renew) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    made = [o for o in outcomes if isinstance(o, int)]
    refused = [o for o in outcomes if isinstance(o, ServiceError)]
    assert len(made) == 1 and len(refused) == 1, outcomes
    enrolments = _enrolments(cast, cast.member)
    assert len(enrolments) == 2 and [e.current for e in enrolments] == [False, True]


@pytest.mark.django_db
def test_a_roster_renews_an_expired_or_expiring_certificate_and_refuses_a_valid_one(cast, catalogue):
    """The roster follows the same rule as enrolling one person: an expired certificate (the member's)
    and one expiring within the reminder period (the viewer's) are renewed, each new enrolment naming
    the one it renews; a certificate valid longer refuses the whole file, saying from when."""
    expired = complete(enrol(cast.fr, cast.member, catalogue["ai-literacy"]), cast.member)
    expiring = complete(enrol(cast.fr, cast.viewer, catalogue["ai-literacy"]), cast.viewer)
    _expires_in(expired, -1)
    _expires_in(expiring, 10)
    data = b"email,programme\nmember@example.org,ai-literacy\nviewer@example.org,ai-literacy\n"
    owner = {"country": cast.fr, "by": cast.owner, "access": access_for(cast.owner)}
    assert services.roster_import(data=data, **owner) == 2
    for user in (cast.member, cast.viewer):
        earlier, renewal = _enrolments(cast, user)
        assert (renewal.renews_id, renewal.current, renewal.source) == (earlier.pk, True, "roster")
        assert (earlier.current, earlier.status) == (False, "completed")
    with country_context(cast.fr):
        event = CountryEvent.objects.filter(action="training.roster_imported").order_by("-sequence", "-pk").first()
    assert event.payload == {"count": 2, "renewed": 2}

    valid = complete(_enrolments(cast, cast.member)[-1], cast.member)  # renewed: valid for its full term
    with pytest.raises(services.RosterRefused) as refused:
        services.roster_import(data=b"email,programme\nmember@example.org,ai-literacy\n", **owner)
    assert "it can be renewed from" in refused.value.errors[0].reason
    assert len(_enrolments(cast, cast.member)) == 2 and valid.expires_at > timezone.now()
