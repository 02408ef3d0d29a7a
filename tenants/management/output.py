"""The file a command writes (an export, a report): written beside its place as NAME.partial and
moved into place only once whole, so that a refusal or a failure half-way leaves nothing behind
(never an empty or truncated zip under the name asked for); a place that cannot be written is said
plainly, as a CommandError, not as a traceback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.core.management.base import CommandError


@contextmanager
def written_file(path: str | Path) -> Iterator:
    output = Path(path)
    if not output.parent.is_dir():
        raise CommandError(f"The folder {output.parent} does not exist (nothing was written).")
    partial = output.with_name(output.name + ".partial")
    try:
        out = open(partial, "wb")  # noqa: SIM115 - closed below, before the move
    except OSError as error:
        raise CommandError(f"Cannot write {output}: {error.strerror} (nothing was written).") from None
    try:
        with out:
            yield out
        partial.replace(output)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
