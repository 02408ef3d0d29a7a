"""python manage.py seal_plain_values [--check] — the last step of an upgrade that sealed columns
which used to be plain (tenants.keys.windows): once every web process and worker runs the new
release, seal the plain values the release before wrote during the rollout, say how many, record it,
and close the columns' sealing windows, so that a value with no seal is refused as altered again.
Safe to run again: with no window open it does nothing. Beat does it by itself SEALING_WINDOW_HOURS
after a window opened."""

from django.core.management.base import BaseCommand

from tenants.keys import windows


class Command(BaseCommand):
    help = (
        "After an upgrade has rolled out: seal the plain values the release before wrote into newly "
        "sealed columns, and close their sealing windows."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--check", action="store_true", help="Only say which windows are open and how many plain values wait"
        )

    def handle(self, *args, check: bool = False, **options):
        opened = windows.windows_open()
        if not opened:
            self.stdout.write(
                self.style.SUCCESS("No sealing window is open: every sealed column refuses plain values.")
            )
            return
        if check:
            for window in opened:
                self.stdout.write(
                    f"  {window.table}.{window.column}: open since {window.opened_at:%Y-%m-%d %H:%M} UTC "
                    f"({window.opened_by}), {windows.plain_values_left(window)} plain values waiting"
                )
            self.stdout.write(f"{len(opened)} sealing windows open; run without --check once the rollout is over.")
            return

        def said(closed: windows.Closed) -> None:
            if closed.missing:
                self.stdout.write(f"  {closed.name}: the column is gone; window closed")
            else:
                self.stdout.write(f"  {closed.name}: {closed.sealed} sealed, {closed.emptied} emptied (keys destroyed)")

        results = windows.windows_close(opened, progress=said)
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(results)} sealing windows closed: {sum(r.sealed for r in results)} values sealed, "
                f"{sum(r.emptied for r in results)} emptied. A value with no seal is refused as altered from now on."
            )
        )
