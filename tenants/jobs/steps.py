"""The progress steps of long jobs (compliance reports, data exports, exits): a row stores a step's
code and its parameters, never its words, and each reader sees the step in their own language.

Rows written before steps had codes were given theirs by a data migration (English words known
to it became codes); a text no code matches is shown as it was written."""

from __future__ import annotations

import re
from typing import Any

from django.utils import translation
from django.utils.translation import gettext_lazy

from tenants.db import every_country_open

STEPS = {
    "starting": gettext_lazy("Starting"),
    "waiting": gettext_lazy("Waiting for a worker"),
    "ready": gettext_lazy("Ready"),
    "failed": gettext_lazy("Failed"),
    "expired": gettext_lazy("Expired: the file was deleted"),
    "timed_out": gettext_lazy(
        "The job did not finish after several attempts. Request it again; if it fails again, tell the platform team."
    ),
    "report.sections": gettext_lazy("Reading the sections"),
    "report.csv": gettext_lazy("Writing the CSV files"),
    "report.ledger_events": gettext_lazy("Streaming the ledger events"),
    "report.json": gettext_lazy("Writing the JSON document"),
    "report.workbook": gettext_lazy("Writing the workbook"),
    "report.ledger_export": gettext_lazy("Exporting the signed ledger segment"),
    "report.manifest": gettext_lazy("Signing the manifest"),
    # {table}: the table's label ("training.enrolment"), the name of its files in the export.
    "export.table": gettext_lazy("Exporting the table {table}"),
    "export.files": gettext_lazy("Exporting the files of the table {table}"),
    "export.ledger": gettext_lazy("Exporting the ledger"),
    "exit.verifying": gettext_lazy("Verifying the export as its recipient will"),
    "exit.destroying": gettext_lazy("Destroying the keys"),
    "exit.left": gettext_lazy("Left the programme"),
    # Why an exit stopped (CountryExit.error), read inside "It stopped: …". {problems}: the
    # verifier's findings; {kind}: the name of the unexpected error, the rest of it is in the log.
    "exit.unverified": gettext_lazy("the last export did not verify ({problems})"),
    "exit.stopped": gettext_lazy("an unexpected error ({kind}) stopped the run"),
}


def step_text(code: str, params: dict[str, Any] | None = None) -> str:
    """The step in the active language; text that is no known code (an old row's) as it is."""
    message = STEPS.get(code)
    if message is None:
        return code
    try:
        return str(message).format(**(params or {}))
    except (KeyError, IndexError, ValueError):
        return str(message)


class StepText:
    """For a job row with `step` (a code of STEPS) and `step_params` (a JSONField)."""

    @property
    def step_text(self) -> str:
        return step_text(self.step, self.step_params)


# --- Rows written before steps had codes (the data migrations portal 0003 and tenants 0024) -------
_ENGLISH = {str(message): code for code, message in STEPS.items() if "{" not in str(message)}
_ENGLISH_PATTERNS = (
    (re.compile(r"^Exporting the files of (?P<things>.+)$"), "export.files"),
    (re.compile(r"^Exporting (?P<things>.+)$"), "export.table"),
)


def step_code_of(text: str, tables: dict[str, str]) -> tuple[str, dict[str, str]]:
    """The code and parameters of a step stored as English words; `tables` names each table's
    label by its English plural ("enrolments": "training.enrolment"). Unknown text stays as it is."""
    if text in STEPS or not text:
        return text, {}
    if text in _ENGLISH:
        return _ENGLISH[text], {}
    for pattern, code in _ENGLISH_PATTERNS:
        found = pattern.match(text)
        if found and found["things"] in tables:
            return code, {"table": tables[found["things"]]}
    return text, {}


def steps_to_codes(apps, schema_editor, *labels: str) -> None:
    """Give every row of the named job models the code of its English step (a data migration)."""
    with translation.override("en"):
        tables = {str(m._meta.verbose_name_plural): m._meta.label_lower for m in apps.get_models()}
    every_country_open(apps, schema_editor)
    for label in labels:
        rows = apps.get_model(label).objects  # a migration's models: plain managers, every country
        for pk, text in rows.exclude(step="").values_list("pk", "step").iterator():
            code, params = step_code_of(text, tables)
            if code != text:
                rows.filter(pk=pk).update(step=code, step_params=params)
