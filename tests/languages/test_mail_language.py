"""Mail and notices are written in the language of the person who reads them (their choice on their
account, else their country's default), never in the language of whoever caused them, nor of the
worker that writes them."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import transaction
from django.utils import formats, translation

from tenants import services
from tenants.access import access_for
from tenants.isolation import country_context
from tenants.keys import exit as exits
from tenants.languages.models import Preferences
from tenants.models import Country, Invitation
from tenants.notifications.models import Notification
from tests.conftest import deliver_mail

pytestmark = pytest.mark.django_db


def _reads(user, language: str) -> None:
    Preferences.objects.update_or_create(user=user, defaults={"language": language})


def test_an_invitation_by_a_french_admin_reaches_a_swahili_reader_in_swahili(cast, django_capture_on_commit_callbacks):
    Country.objects.filter(pk=cast.ke.pk).update(default_language="sw")
    cast.ke.refresh_from_db()
    _reads(cast.outsider, "fr")  # Kenya's admin reads the portal in French
    with translation.override("fr"), django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            invited = services.member_invite(
                country=cast.ke,
                by=cast.outsider,
                access=access_for(cast.outsider),
                email="wanjiru@example.org",
                first_name="Wanjiru",
                last_name="Kamau",
                organisation=cast.ke_ministry,
                role="officer",
            )
        with country_context(cast.ke):
            invitation = Invitation.objects.get(membership_id=invited.pk)
        # What the worker runs, here while French is active, as it would be in a French request.
        assert services.invitation_send(invitation_id=invitation.pk, country_id=cast.ke.pk)
    deliver_mail()
    [sent] = [m for m in mail.outbox if m.to == ["wanjiru@example.org"]]
    assert sent.subject == "Umealikwa kwenye tovuti ya uingizaji wa AI ya Kenya"
    assert sent.body.startswith("Habari Wanjiru")
    assert "invité" not in sent.body and "invited" not in sent.body
    # The date is in Swahili too, in Swahili's format, not strftime's English month.
    with translation.override("sw"):
        expected = formats.date_format(invitation.expires_at, "DATE_FORMAT")
    english_month = f"{invitation.expires_at:%B}"
    assert f"hadi {expected})" in sent.body
    assert english_month not in sent.body and english_month not in expected


def test_an_invited_person_who_chose_a_language_reads_it_in_theirs(cast):
    _reads(cast.viewer, "es")
    with translation.override("fr"):
        invited = services.member_invite(
            country=cast.ke,
            by=cast.outsider,
            access=access_for(cast.outsider),
            email=cast.viewer.email,
            first_name="Vera",
            last_name="Viewer",
            organisation=cast.ke_ministry,
            role="viewer",
        )
        with country_context(cast.ke):
            invitation = Invitation.objects.get(membership_id=invited.pk)
        services.invitation_send(invitation_id=invitation.pk, country_id=cast.ke.pk)
    deliver_mail()
    [sent] = [m for m in mail.outbox if m.to == [cast.viewer.email]]
    assert (
        sent.subject == "Se le invita al portal de incorporación de IA de Kenia"
    )  # the country named in the reader's language


def test_an_exit_asked_by_a_french_admin_reaches_a_swahili_platform_admin_in_swahili(cast):
    platform = get_user_model().objects.create_superuser("plat", "plat@platform.example", "correct-horse-battery")
    _reads(platform, "sw")
    _reads(cast.owner, "fr")
    with translation.override("fr"):
        exits.country_exit_request(
            country=cast.fr,
            by=cast.owner,
            access=access_for(cast.owner),
            side=exits.COUNTRY,
            reason="La mission passe sur une plateforme nationale.",
        )
    deliver_mail()
    [to_platform] = [m for m in mail.outbox if m.to == [platform.email]]
    assert to_platform.subject == "Kutoka kwa Ufaransa kwenye programu kumeombwa"
    assert "jukwaa" in to_platform.body  # "once the platform confirms it", in Swahili
    [to_admin] = [m for m in mail.outbox if m.to == [cast.owner.email]]
    assert to_admin.subject == "La sortie de France du programme a été demandée"
    with country_context(cast.fr):
        notice = Notification.objects.get(user=cast.owner)
    assert notice.subject == to_admin.subject


def test_a_ledger_break_reaches_each_reader_in_their_language(cast):
    from types import SimpleNamespace

    from tenants.record.alerts import ledger_break_notify

    french = get_user_model().objects.create_superuser("fr-admin", "fr-admin@platform.example", "x-correct-horse")
    swahili = get_user_model().objects.create_superuser("sw-admin", "sw-admin@platform.example", "x-correct-horse")
    _reads(french, "fr")
    _reads(swahili, "sw")
    with translation.override("en"):
        # The two platform admins, and France's auditor (who reads English).
        assert ledger_break_notify(reports=[SimpleNamespace(chain="FR", problem="event 7: hash mismatch")]) == 3
    deliver_mail()
    by_address = {m.to[0]: m for m in mail.outbox}
    assert by_address[french.email].subject == "La vérification du registre a détecté une rupture"
    assert by_address[swahili.email].subject == "Uhakiki wa leja umegundua kasoro"
    assert by_address[cast.auditor.email].subject == "Ledger verification found a break"
    assert "FR: event 7: hash mismatch" in by_address[swahili.email].body
