"""python manage.py jobs_health [--beat | --worker NAME] [--json] — the workers, beat and the outbox,
reported apart from the web's /readyz. Exit status 1 when what is judged is down:

- no option: no worker answers, or the relay has not run for two minutes (beat or every worker down);
- --beat (beat's liveness probe): this host's beat has not ticked for BEAT_STALE_SECONDS;
- --worker NAME (a worker's liveness probe): the worker NAME does not answer a ping."""

import json

from django.core.management.base import BaseCommand

from tenants.jobs.health import beat_stale_seconds, jobs_health


class Command(BaseCommand):
    help = "Report the workers, beat's heartbeat, the relay and the outbox; exit 1 when they are down."
    requires_system_checks = []  # a probe: quick, and independent of the database

    def add_arguments(self, parser):
        judged = parser.add_mutually_exclusive_group()
        judged.add_argument(
            "--beat", action="store_true", help="Judge only this host's beat heartbeat (beat's health check)."
        )
        judged.add_argument("--worker", metavar="NAME", help="Judge only the worker NAME (its health check).")
        parser.add_argument("--json", action="store_true", help="Print the report as JSON.")
        parser.add_argument("--timeout", type=float, default=2.0, help="Seconds to wait for workers to answer.")

    def handle(self, *args, beat: bool, worker: str | None, json: bool, timeout: float, **options):
        probe = beat or bool(worker)  # a liveness probe: judged without the database
        report = jobs_health(ping_timeout=0.0 if beat else timeout, worker=worker, outbox=not probe)
        if beat:
            healthy = not report["beat_stale"]
        elif worker:
            healthy = worker in report["workers"]
        else:
            healthy = bool(report["workers"]) and not report["relay_stale"]
        if json:
            self.stdout.write(_dumps(report))
        else:
            if not beat:
                self.stdout.write(f"workers answering: {', '.join(report['workers']) or 'none'}")
            if beat:  # the probe of a beat's own container: this host's beat
                beat_age = report["beat_heartbeat_age_seconds"]
                self.stdout.write(
                    f"beat on this host last ticked: {'never' if beat_age is None else f'{beat_age} s ago'}"
                    f" (stale after {beat_stale_seconds():g} s)"
                )
            else:  # asked from any container: the latest tick of any beat, and where it runs
                latest = report["beat_latest_age_seconds"]
                self.stdout.write(
                    "beat last ticked: "
                    + ("never" if latest is None else f"{latest} s ago, on {report['beat_latest_host']}")
                )
            age = report["relay_heartbeat_age_seconds"]
            self.stdout.write(f"relay last ran: {'never' if age is None else f'{age} s ago'}")
            oldest = report["outbox_oldest_pending_seconds"]
            if not probe:
                self.stdout.write(
                    f"outbox: {report['outbox_pending']} waiting"
                    + ("" if oldest is None else f", the oldest for {oldest} s")
                )
                if report["mail_interrupted"]:
                    self.stdout.write(
                        f"mail interrupted mid-send (not sent again; check with the mail server): "
                        f"{report['mail_interrupted']}"
                    )
        if not healthy:
            raise SystemExit(1)


def _dumps(report: dict) -> str:
    return json.dumps(report, sort_keys=True)
