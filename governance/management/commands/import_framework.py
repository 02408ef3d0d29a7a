"""python manage.py import_framework FILE [FILE ...] — load framework files (docs/frameworks.md):
the portal's YAML format or CISO Assistant libraries. Every file is checked before anything is
written; then all of them are written in one transaction, or none when any problem is found."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from governance.frameworks.loading import FORMATS, max_bytes
from governance.frameworks.reading import FrameworkFileError
from governance.frameworks.services import framework_import


class Command(BaseCommand):
    help = "Import framework files (portal format or CISO Assistant libraries), all or nothing."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", help="YAML files to import, in any order.")
        parser.add_argument("--format", choices=FORMATS, default="auto", help="Default: recognise each file.")
        parser.add_argument("--dry-run", action="store_true", help="Check and report, then change nothing.")

    def handle(self, *args, files, format, dry_run, **options):
        loaded = []
        for name in files:
            path = Path(name)
            if not path.is_file():
                raise CommandError(f"{name}: no such file.")
            with path.open("rb") as handle:
                loaded.append((path.name, handle.read(max_bytes() + 1)))
            self.stdout.write(f"Read {path.name}")
        self.stdout.write("Checking and loading…")
        try:
            outcomes = framework_import(files=loaded, fmt=format, dry_run=dry_run)
        except FrameworkFileError as error:
            for problem in error.problems:
                self.stderr.write(str(problem))
            raise CommandError(
                f"Nothing was imported: {len(error.problems)} problem(s) to fix, listed above by file and line."
            ) from None
        for outcome in outcomes:
            if outcome.status == "mappings":
                self.stdout.write(f"{outcome.name}: {outcome.mappings} mappings")
            else:
                self.stdout.write(
                    f"{outcome.slug} v{outcome.version} ({outcome.name}): {outcome.status.replace('_', ' ')}, "
                    f"{outcome.requirements} requirements, {outcome.mappings} mappings"
                )
        self.stdout.write(self.style.SUCCESS("Dry run: nothing was changed." if dry_run else "Imported."))
