"""python manage.py jobs_health [--beat] [--json] — the workers, beat's relay heartbeat and the
outbox, reported apart from the web's /readyz. Exit status 1 when something is down:
no worker answers, or (with --beat alone) the relay has not run for two minutes."""

import json

from django.core.management.base import BaseCommand

from tenants.jobs.health import jobs_health


class Command(BaseCommand):
    help = "Report the workers, the beat's relay heartbeat and the outbox; exit 1 when they are down."

    def add_arguments(self, parser):
        parser.add_argument("--beat", action="store_true", help="Judge only the relay heartbeat (beat's health check).")
        parser.add_argument("--json", action="store_true", help="Print the report as JSON.")
        parser.add_argument("--timeout", type=float, default=2.0, help="Seconds to wait for workers to answer.")

    def handle(self, *args, beat: bool, json: bool, timeout: float, **options):
        report = jobs_health(ping_timeout=0.0 if beat else timeout)
        healthy = not report["relay_stale"] if beat else bool(report["workers"]) and not report["relay_stale"]
        if json:
            self.stdout.write(_dumps(report))
        else:
            self.stdout.write(f"workers answering: {', '.join(report['workers']) or 'none'}")
            age = report["relay_heartbeat_age_seconds"]
            self.stdout.write(f"relay last ran: {'never' if age is None else f'{age} s ago'}")
            oldest = report["outbox_oldest_pending_seconds"]
            self.stdout.write(
                f"outbox: {report['outbox_pending']} waiting"
                + ("" if oldest is None else f", the oldest for {oldest} s")
            )
        if not healthy:
            raise SystemExit(1)


def _dumps(report: dict) -> str:
    return json.dumps(report, sort_keys=True)
