"""A country leaving the programme, as a workflow with four eyes (DESIGN §6):

1. requested, with a reason, by one side: a country admin of the country, or a platform admin;
2. confirmed by a person of the other side (never the same person, never the same side);
3. a waiting period the platform sets (PlatformSettings.exit_waiting_days), during which either
   side can cancel and the country works as before;
4. run, with a reason, by an admin of either side once the waiting period is over: from then on
   the country is read-only ("exiting"); a worker builds the last export, verifies it as its
   recipient would, and only then destroys the country's keys (crypto-shredding): "exited".

Every step is on the country's chain; reasons stay in the exit's row (free text is never put in a
payload). The management command `exit_country`, the Data and keys page, the platform's exits page
and the API all call these services."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Case, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from tenants.access import Access
from tenants.country_state import country_leaving, country_state_changed
from tenants.errors import NotAllowed, ServiceError
from tenants.isolation import country_context, reading_context
from tenants.jobs.outbox import outbox_enqueue
from tenants.keys.export import country_export_build, country_export_request, country_export_verify_stored
from tenants.keys.models import CountryExit, CountryExport
from tenants.keys.rotation import country_keys_destroy
from tenants.languages.formatting import long_datetime
from tenants.models import Country, PlatformSettings
from tenants.notifications.mail import mail_to_user, per_reader
from tenants.notifications.services import notify_country_admins
from tenants.record.ledger import event_record
from tenants.record.reasons import reason_clean, reason_record, reasons_on_record

log = logging.getLogger(__name__)

COUNTRY = CountryExit.Side.COUNTRY.value
PLATFORM = CountryExit.Side.PLATFORM.value
SIDES = {COUNTRY, PLATFORM}
REASON_MAX = 2000
EXIT_TASK = "tenants.country_exit_proceed"
RUN_FIELDS = [
    *("state", "run_by", "run_side", "run_reason", "run_at"),
    *("previous_status", "export", "step", "step_params", "percent", "error", "error_params"),
]


class ExitRefused(ServiceError):
    """A step of the exit that the rules refuse; nothing was changed."""


def _check_side(*, country: Country, by, access: Access | None, side: str) -> str:
    """The person acts for `side`: a platform admin for the platform, a country admin of this
    country for the country. Anyone else may not take part."""
    if side not in SIDES:
        raise ExitRefused(_("Choose the side you act for: the country or the platform."), field="side")
    # The platform's power as the request carries it (a token limited to some countries carries
    # none); without a request (the operator's command), the account's.
    platform = (
        access.is_platform_admin
        if access is not None
        else getattr(by, "is_superuser", False) and getattr(by, "is_active", False)
    )
    if side == PLATFORM and not platform:
        raise NotAllowed(_("Only a platform admin can act for the platform in a country's exit."))
    if side == COUNTRY and (access is None or not access.is_country_admin(country.pk)):
        raise NotAllowed(
            _("Only a country admin of %(name)s can act for it in its exit.") % {"name": country.display_name}
        )
    return side


def _reason(text: str | None, field: str = "reason") -> str:
    text = (text or "").strip()
    if not text:
        raise ExitRefused(_("Give the reason: it is kept with the exit, for both sides to read."), field=field)
    if len(text) > REASON_MAX:
        raise ExitRefused(_("Keep the reason under %(n)d characters.") % {"n": REASON_MAX}, field=field)
    return text


def _side_label(side: str) -> str:
    return _("the platform") if side == PLATFORM else _("the country")


def _data_url(country: Country) -> str:
    return f"/c/{country.code.lower()}/data/#leaving"


def _tell(country: Country, *, subject: Callable[[], str], body: Callable[[], str]) -> None:
    """Both sides hear of every step: the country's admins in the portal and by mail, the platform
    admins by mail (through the outbox: nothing is sent unless the step commits). `subject` and
    `body` are written once per person, in the language that person reads, not in the language of
    whoever took the step."""
    subject, body = per_reader(subject), per_reader(body)
    notify_country_admins(country=country, subject=subject, body=body, url=_data_url(country))
    link = f"{settings.PORTAL_BASE_URL.rstrip('/')}/platform/exits/{country.code.lower()}/"
    for admin in get_user_model().objects.filter(is_superuser=True, is_active=True).exclude(email=""):
        mail_to_user(admin, subject=subject, body=lambda: f"{body}\n\n{link}\n")


def _locked(exit: CountryExit) -> CountryExit:
    with country_context(exit.country_id):
        return CountryExit.objects.select_for_update().select_related("country").get(pk=exit.pk)


def exit_current(*, country: Country) -> CountryExit | None:
    """The country's exit in progress, else its latest (done or cancelled), else None, with the
    reasons of its request and run as the record keeps them (exit_reasons)."""
    open_first = Case(When(state__in=CountryExit.OPEN, then=Value(0)), default=Value(1))
    with reading_context(country):
        current = (
            CountryExit.objects.filter(country=country)
            .select_related("requested_by", "confirmed_by", "run_by", "cancelled_by", "export")
            .order_by(open_first, *CountryExit._meta.ordering)
            .first()
        )
    return exit_reasons(current) if current is not None else None


def exit_reasons(exit: CountryExit) -> CountryExit:
    """Give the exit the reasons of its request and of its run from the record (`reason_shown`,
    `run_reason_shown`: tenants.record.reasons.ReasonOnRecord, opened and checked against the digest
    their events carry; None for a step not taken): what its pages and the API show, never the copy
    in the exit's own row."""
    with reading_context(exit.country):
        shown = reasons_on_record(country=exit.country, target=exit, actions=("exit.requested", "exit.started"))
    exit.reason_shown, exit.run_reason_shown = shown.get("exit.requested"), shown.get("exit.started")
    return exit


@transaction.atomic
def country_exit_request(*, country: Country, by, access: Access | None, side: str, reason: str) -> CountryExit:
    side = _check_side(country=country, by=by, access=access, side=side)
    reason = _reason(reason)
    with country_context(country):
        Country.objects.select_for_update().filter(pk=country.pk).first()
        current = Country.objects.get(pk=country.pk)
        if current.read_only:
            raise ExitRefused(
                _("%(name)s has already left the programme, or is leaving it.") % {"name": country.display_name}
            )
        if CountryExit.objects.filter(state__in=CountryExit.OPEN).exists():
            raise ExitRefused(
                _("An exit of %(name)s is already under way: confirm or cancel it first.")
                % {"name": country.display_name}
            )
        exit = CountryExit.objects.create(country=country, requested_by=by, requested_side=side, reason=reason)
        event_record(
            country=country,
            action="exit.requested",
            actor=by,
            actor_role=side,
            target=exit,
            payload={
                "side": side,
                **reason_record(
                    country=country, action="exit.requested", target=exit, by=by, reason=reason, field="reason"
                ),
            },
        )
        other = COUNTRY if side == PLATFORM else PLATFORM
        _tell(
            country,
            subject=lambda: _("%(name)s's exit from the programme was requested") % {"name": country.display_name},
            body=lambda: (
                _("It takes effect only once %(other)s confirms it. Either side can cancel it until it is run.")
                % {"other": _side_label(other)}
            ),
        )
    return exit


@transaction.atomic
def country_exit_confirm(*, exit: CountryExit, by, access: Access | None, side: str) -> CountryExit:
    country = exit.country
    side = _check_side(country=country, by=by, access=access, side=side)
    exit = _locked(exit)
    if exit.state != CountryExit.State.REQUESTED:
        state = exit.get_state_display()
        raise ExitRefused(_("This exit is not waiting for a confirmation (it is: %(state)s).") % {"state": state})
    if side == exit.requested_side:
        raise ExitRefused(
            _("The exit was requested by %(side)s: it must be confirmed by the other side.")
            % {"side": _side_label(exit.requested_side)}
        )
    if by is not None and by.pk == exit.requested_by_id:
        raise ExitRefused(_("The person who requested the exit cannot confirm it: four eyes are needed."))
    now = timezone.now()
    waiting = PlatformSettings.load().exit_waiting_days
    exit.state = CountryExit.State.CONFIRMED
    exit.confirmed_by, exit.confirmed_side, exit.confirmed_at = by, side, now
    exit.waiting_days, exit.effective_at = waiting, now + timedelta(days=waiting)
    with country_context(country):
        exit.save(
            update_fields=["state", "confirmed_by", "confirmed_side", "confirmed_at", "waiting_days", "effective_at"]
        )
        event_record(
            country=country,
            action="exit.confirmed",
            actor=by,
            actor_role=side,
            target=exit,
            payload={"side": side, "waiting_days": waiting},
        )
        _tell(
            country,
            subject=lambda: _("%(name)s's exit from the programme was confirmed") % {"name": country.display_name},
            body=lambda: (
                _("It can be run from %(date)s. Either side can cancel it until then.")
                % {"date": long_datetime(exit.effective_at)}
            ),
        )
    return exit


@transaction.atomic
def country_exit_cancel(*, exit: CountryExit, by, access: Access | None, side: str, reason: str) -> CountryExit:
    """Stop an exit before it is run, with the reason given (kept sealed beside the record)."""
    country = exit.country
    side = _check_side(country=country, by=by, access=access, side=side)
    reason = reason_clean(reason)
    exit = _locked(exit)
    if exit.state not in (CountryExit.State.REQUESTED, CountryExit.State.CONFIRMED, CountryExit.State.FAILED):
        state = exit.get_state_display()
        raise ExitRefused(_("This exit can no longer be cancelled (it is: %(state)s).") % {"state": state})
    with country_context(country):
        if exit.state == CountryExit.State.FAILED and exit.previous_status:
            # The run had made the country read-only; nothing was destroyed: it works again.
            Country.objects.filter(pk=country.pk).update(status=exit.previous_status)
            country_state_changed(country.pk)
            country_leaving.send(sender=country.pk, leaving=False)
        exit.state, exit.cancelled_by, exit.cancelled_at = CountryExit.State.CANCELLED, by, timezone.now()
        exit.save(update_fields=["state", "cancelled_by", "cancelled_at"])
        event_record(
            country=country,
            action="exit.cancelled",
            actor=by,
            actor_role=side,
            target=exit,
            payload={
                "side": side,
                **reason_record(country=country, action="exit.cancelled", target=exit, by=by, reason=reason),
            },
        )
        _tell(
            country,
            subject=lambda: _("%(name)s's exit from the programme was cancelled") % {"name": country.display_name},
            body=lambda: (
                _("It was cancelled by %(side)s. Nothing was exported or destroyed.") % {"side": _side_label(side)}
            ),
        )
    return exit


@transaction.atomic
def country_exit_run(
    *, exit: CountryExit, by, access: Access | None, side: str, reason: str, schedule: bool = True
) -> CountryExit:
    """The irreversible step: the country becomes read-only and its last export is built, then its
    keys are destroyed (by the worker, in country_exit_proceed)."""
    country = exit.country
    side = _check_side(country=country, by=by, access=access, side=side)
    reason = _reason(reason, field="run_reason")
    exit = _locked(exit)
    if exit.state not in (CountryExit.State.CONFIRMED, CountryExit.State.FAILED):
        raise ExitRefused(
            _("Only a confirmed exit can be run; this one is: %(state)s.") % {"state": exit.get_state_display()}
        )
    now = timezone.now()
    if exit.effective_at and now < exit.effective_at:
        raise ExitRefused(
            _("The waiting period is not over: the exit can be run from %(date)s.")
            % {"date": long_datetime(exit.effective_at)}
        )
    with country_context(country):
        current = Country.objects.select_for_update().get(pk=country.pk)
        if exit.state == CountryExit.State.CONFIRMED:
            exit.previous_status = current.status
        country_leaving.send(sender=country.pk, leaving=True)  # while its rows may still be written
        Country.objects.filter(pk=country.pk).update(status=Country.Status.EXITING)
        country_state_changed(country.pk)
        export = country_export_request(country=country, by=by, actor_role=side, for_exit=True, schedule=False)
        exit.state, exit.run_by, exit.run_side, exit.run_reason, exit.run_at = (
            CountryExit.State.RUNNING,
            by,
            side,
            reason,
            now,
        )
        exit.export, exit.step, exit.step_params, exit.percent = export, "waiting", {}, 0
        exit.error, exit.error_params = "", {}
        exit.save(update_fields=RUN_FIELDS)
        event_record(
            country=country,
            action="exit.started",
            actor=by,
            actor_role=side,
            target=exit,
            payload={
                "side": side,
                "export": export.pk,
                **reason_record(
                    country=country, action="exit.started", target=exit, by=by, reason=reason, field="run_reason"
                ),
            },
        )
        if schedule:
            outbox_enqueue(task=EXIT_TASK, country_id=country.pk, exit_id=exit.pk)
    return exit


class _Unverified(Exception):
    def __init__(self, problems: list[str]):
        super().__init__("the last export did not verify")
        self.problems = problems


def _progress(exit_id: int, country_id: int, step: str, percent: int, params: dict) -> None:
    with country_context(country_id):
        CountryExit.objects.filter(pk=exit_id).update(step=step, step_params=params, percent=percent)


def country_exit_proceed(
    *, exit_id: int, country_id: int, progress: Callable[[str, int], None] | None = None
) -> CountryExit:
    """The worker's part of the run: build the last export, verify it, destroy the keys. Safe to run
    again: a finished exit is left alone, a finished export is not rebuilt. A failure leaves the
    keys whole and the exit 'failed' (it can be run again, or cancelled)."""

    def say(step: str, percent: int, **params: str) -> None:
        _progress(exit_id, country_id, step, percent, params)
        if progress:
            progress(step, percent, **params)

    with country_context(country_id):
        exit = CountryExit.objects.select_related("country", "run_by", "export").get(pk=exit_id)
    if exit.state != CountryExit.State.RUNNING:
        return exit
    country = exit.country
    try:
        export = country_export_build(
            export_id=exit.export_id,
            country_id=country_id,
            progress=lambda step, percent, **params: say(step, int(percent * 0.8), **params),
        )
        say("exit.verifying", 85)
        problems = country_export_verify_stored(export)
        if problems:
            raise _Unverified(problems)
        with country_context(country_id):
            event_record(
                country=country,
                action="exit.export_verified",
                target=exit,
                payload={"export": export.pk, "sha256": export.sha256},
            )
        say("exit.destroying", 95)
        with transaction.atomic():
            country_exit(country=country, export=export, by=exit.run_by, actor_role=exit.run_side or PLATFORM)
            with country_context(country_id):
                CountryExit.objects.filter(pk=exit_id).update(
                    state=CountryExit.State.EXITED,
                    step="exit.left",
                    step_params={},
                    percent=100,
                    finished_at=timezone.now(),
                )
                _tell(
                    country,
                    subject=lambda: _("%(name)s has left the programme") % {"name": country.display_name},
                    body=lambda: _(
                        "Its last export is ready to download from its Data and keys page, and its keys were "
                        "destroyed: what was encrypted under them can no longer be read by anyone."
                    ),
                )
    except Exception as error:
        log.warning("The exit %s of country %s stopped: %s", exit_id, country_id, type(error).__name__)
        # The reason as a code and its values, worded for each reader (tenants.jobs.steps), never
        # the error's own text: it can hold paths and values that are for the log's readers only.
        if isinstance(error, _Unverified):
            code, params = "exit.unverified", {"problems": "; ".join(error.problems[:3])[:400]}
        else:
            code, params = "exit.stopped", {"kind": type(error).__name__}
        with transaction.atomic(), country_context(country_id):
            CountryExit.objects.filter(pk=exit_id).update(
                state=CountryExit.State.FAILED, error=code, error_params=params
            )
            event_record(country=country, action="exit.failed", target=exit, payload={"error": type(error).__name__})
    with country_context(country_id):
        return CountryExit.objects.select_related("country", "export").get(pk=exit_id)


@transaction.atomic
def country_exit(*, country: Country, export: CountryExport, by=None, actor_role: str = "platform") -> int:
    """The last step of leaving: after a finished export made for exit, destroy the keys."""
    with country_context(country):
        current = CountryExport.objects.filter(pk=export.pk).first()
        if current is None or not current.for_exit or current.state != CountryExport.State.DONE:
            raise ExitRefused(
                _(
                    "Build the exit export first and make sure it finished: it is the country's only "
                    "readable copy once its keys are destroyed."
                )
            )
        event_record(
            country=country,
            action="country.exited",
            actor=by,
            actor_role=actor_role,
            target=current,
            payload={"export_sha256": current.sha256},
        )
    return country_keys_destroy(country=country, by=by, actor_role=actor_role)
