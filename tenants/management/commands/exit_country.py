"""python manage.py exit_country FR [--request | --confirm | --cancel | --run] --by ADMIN --reason TEXT

A country's exit from the programme, driven by an operator acting as a platform admin (--by names
the account, which must be one). With no action it shows where the exit stands. Four eyes: the
platform's side requests or confirms; the country's side (a country admin, on the Data and keys
page or the API) does the other. --run is the irreversible step: it asks for the country's code
to be typed back (or --yes), then builds the last export, verifies it and destroys the keys here,
printing progress."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from tenants.errors import ServiceError
from tenants.jobs.steps import step_text
from tenants.keys import exit as exits
from tenants.models import Country

ACTIONS = ("request", "confirm", "cancel", "run")


class Command(BaseCommand):
    help = "Request, confirm, cancel or run a country's exit as a platform admin, or show where it stands."

    def add_arguments(self, parser):
        parser.add_argument("country", help="ISO code, e.g. FR")
        group = parser.add_mutually_exclusive_group()
        for action in ACTIONS:
            group.add_argument(f"--{action}", action="store_true", help=f"{action.capitalize()} the exit")
        parser.add_argument("--by", help="Username of the platform admin acting (needed for every action)")
        parser.add_argument("--reason", default="", help="Why (needed for --request, --cancel and --run)")
        parser.add_argument("--yes", action="store_true", help="With --run: do not ask to type the code back")

    def handle(self, *args, country: str, by: str | None, reason: str, yes: bool, **options):
        found = Country.objects.filter(code=country.upper()).first()
        if found is None:
            raise CommandError(f"No country with code {country.upper()}.")
        action = next((a for a in ACTIONS if options.get(a)), None)
        if action is None:
            self.show(found)
            return
        admin = self.platform_admin(by)
        current = exits.exit_current(country=found)
        try:
            if action == "request":
                done = exits.country_exit_request(
                    country=found, by=admin, access=None, side=exits.PLATFORM, reason=reason
                )
                self.stdout.write(self.style.SUCCESS(f"{found.code}: exit requested (#{done.pk})."))
                self.stdout.write("A country admin must now confirm it on the Data and keys page or the API.")
            elif current is None or not current.is_open:
                raise CommandError(f"{found.code} has no exit under way. Request one with --request.")
            elif action == "confirm":
                done = exits.country_exit_confirm(exit=current, by=admin, access=None, side=exits.PLATFORM)
                self.stdout.write(
                    self.style.SUCCESS(f"{found.code}: exit confirmed; it can run from {done.effective_at}.")
                )
            elif action == "cancel":
                exits.country_exit_cancel(exit=current, by=admin, access=None, side=exits.PLATFORM, reason=reason)
                self.stdout.write(
                    self.style.SUCCESS(f"{found.code}: exit cancelled. Nothing was exported or destroyed.")
                )
            else:
                self.run(found, current, admin, reason, yes)
        except ServiceError as error:
            raise CommandError(error.message) from None

    def platform_admin(self, username: str | None):
        if not username:
            raise CommandError("Name the platform admin who acts: --by USERNAME.")
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None or not user.is_superuser:
            raise CommandError(f"{username} is not an active platform admin.")
        return user

    def run(self, country: Country, current, admin, reason: str, yes: bool) -> None:
        if not yes:
            self.stdout.write(
                f"This exports {country.name}'s data for the last time and then destroys its keys: what is "
                "encrypted under them can never be read again. This cannot be undone."
            )
            typed = input(f"Type {country.code} to go on: ").strip().upper()
            if typed != country.code:
                raise CommandError("Stopped: nothing was changed.")
        running = exits.country_exit_run(
            exit=current, by=admin, access=None, side=exits.PLATFORM, reason=reason, schedule=False
        )
        self.stdout.write(f"{country.code}: read-only from now; building the last export…")
        done = exits.country_exit_proceed(
            exit_id=running.pk,
            country_id=country.pk,
            progress=lambda step, percent, **params: self.stdout.write(f"  {percent:3d}% {step_text(step, params)}"),
        )
        if done.state != done.State.EXITED:
            raise CommandError(f"{country.code}: the exit stopped: {done.error}. The keys are untouched; run it again.")
        self.stdout.write(
            self.style.SUCCESS(
                f"{country.code} has left the programme. Last export: {done.export.file_name} "
                f"(SHA-256 {done.export.sha256}), verified; keys destroyed."
            )
        )

    def show(self, country: Country) -> None:
        current = exits.exit_current(country=country)
        self.stdout.write(f"{country.name} ({country.code}): {country.get_status_display()}")
        if current is None:
            self.stdout.write("No exit was ever requested.")
            return
        self.stdout.write(f"Exit #{current.pk}: {current.get_state_display()}")
        self.stdout.write(f"  requested by {current.requested_by} for {current.get_requested_side_display()}")
        if current.confirmed_at:
            self.stdout.write(
                f"  confirmed by {current.confirmed_by} for {current.get_confirmed_side_display()}; "
                f"can run from {current.effective_at}"
            )
        if current.run_at:
            self.stdout.write(
                f"  run by {current.run_by} at {current.run_at}: {current.step_text} ({current.percent}%)"
            )
        if current.error:
            self.stdout.write(f"  stopped: {current.error}")
