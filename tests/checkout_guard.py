"""A pytest plugin (loaded by tests/conftest.py): no test writes into the checkout.

What a run makes for people to look at (screenshots, reports, drafts) goes to the run's own
`artefacts` directory (tests/conftest.py), its files to its own VAR_DIR (tests/pytest_env.py); the
checkout is read, never written. The process that runs the session (under xdist, the controlling
one, after its workers are done) lists the checkout's files before the first test and after the
last, and a run that left a file new, changed or gone fails, naming each one.

Not counted: `.git`; the environment the suite runs in (`.venv`, `node_modules`); Python's bytecode
caches (`__pycache__`); pytest's own cache (`.pytest_cache`, which `-p no:cacheprovider` turns off).
A file you edit in the checkout while the suite runs is named too: the guard cannot tell who wrote it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SKIPPED = {".git", ".venv", "node_modules", "__pycache__", ".pytest_cache"}
_before = pytest.StashKey[dict]()


class Written:
    """One file written into the checkout, as the terminal's last line counts it."""

    count_towards_summary = True

    def __init__(self, line: str):
        self.line = line


def checkout_files(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under `root` (relative path -> size and modification time), without following
    links to directories and without the SKIPPED directories."""
    found = {}
    for folder, directories, files in os.walk(root):
        directories[:] = [name for name in directories if name not in SKIPPED]
        for name in files:
            path = os.path.join(folder, name)
            try:
                status = os.lstat(path)
            except FileNotFoundError:
                continue
            found[os.path.relpath(path, root)] = (status.st_size, status.st_mtime_ns)
    return found


def checkout_changes(before: dict, after: dict) -> list[str]:
    lines = [f"new: {path}" for path in sorted(set(after) - set(before))]
    lines += [f"changed: {path}" for path in sorted(set(before) & set(after)) if before[path] != after[path]]
    lines += [f"gone: {path}" for path in sorted(set(before) - set(after))]
    return lines


def _runs_the_session(config) -> bool:
    return not hasattr(config, "workerinput")  # an xdist worker: its controller checks for the run


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session):
    if _runs_the_session(session.config):
        session.config.stash[_before] = checkout_files(session.config.rootpath)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session, exitstatus):
    config = session.config
    if not _runs_the_session(config) or _before not in config.stash:
        return
    changes = checkout_changes(config.stash[_before], checkout_files(config.rootpath))
    if not changes:
        return
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    message = (
        f"the run wrote into the checkout ({config.rootpath}), which no test may do: use the `artefacts` "
        "fixture for files people look at, `tmp_path` for the rest"
    )
    if reporter is not None:
        reporter.ensure_newline()
        reporter.write_sep("=", "files written into the checkout", red=True)
        reporter.write_line(message)
        for line in changes[:50]:
            reporter.write_line(f"  {line}")
        if len(changes) > 50:
            reporter.write_line(f"  … and {len(changes) - 50} more")
        # Counted in the run's last line too ("… passed, 3 written into the checkout").
        reporter.stats.setdefault("written into the checkout", []).extend(Written(line) for line in changes)
    if session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
