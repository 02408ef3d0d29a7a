"""Writes of the frameworks room: a platform admin (or the shell) imports framework files. Every
file is checked before anything is written; all of them are then written in one transaction, and
each framework loaded or changed is recorded on the platform chain."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from tenants.errors import NotAllowed
from tenants.record.ledger import platform_event_record

from .loading import FORMATS, Models, Outcome, read_file, store
from .reading import FrameworkFileError, Problem


@transaction.atomic
def framework_import(
    *, files: list[tuple[str, bytes]], by=None, fmt: str = "auto", dry_run: bool = False
) -> list[Outcome]:
    """Import framework files (name, content). `by` None is the shell (a management command).
    Raises FrameworkFileError with every problem, by file and line; nothing is then changed."""
    if by is not None and not (by.is_active and by.is_superuser):
        raise NotAllowed(_("Only a platform admin can import frameworks."))
    if fmt not in FORMATS:
        raise FrameworkFileError(
            [Problem(None, _("Choose a format among %(formats)s.") % {"formats": ", ".join(FORMATS)})]
        )
    if not files:
        raise FrameworkFileError([Problem(None, _("Choose a framework file to import."))])
    specs, problems = [], []
    for name, data in files:
        try:
            specs.append(read_file(data, name=name, fmt=fmt))
        except FrameworkFileError as error:
            problems += error.problems
    if problems:
        raise FrameworkFileError(problems)
    with transaction.atomic():
        outcomes = store(specs, models=Models.current())
        for outcome in outcomes:
            if outcome.status in ("unchanged", "mappings"):
                continue
            platform_event_record(
                action="framework.imported",
                actor=by,
                actor_role="platform_admin" if by is not None else "system",
                target=outcome.framework,
                payload={
                    "slug": outcome.slug,
                    "version": outcome.version,
                    "status": outcome.status,
                    "requirements": outcome.requirements,
                    "mappings": outcome.mappings,
                    "sha256": outcome.framework.content_sha256,
                },
            )
        if dry_run:
            transaction.set_rollback(True)
    return outcomes
