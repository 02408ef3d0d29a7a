"""The commands that write a file say plainly where they cannot write it, and leave nothing behind
when they refuse or fail: never a traceback, never an empty zip under the name asked for."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "command",
    [
        ["export_country", "FR"],
        ["export_ledger", "FR"],
        ["compliance_report", "FR", "--from", "2026-01-01", "--to", "2026-01-31", "--output"],
    ],
)
def test_a_folder_that_does_not_exist_is_said_plainly(cast, command):
    with pytest.raises(CommandError, match="does not exist .nothing was written."):
        call_command(*command, "/nonexistent/folder/out.zip", stdout=io.StringIO())


def test_a_folder_that_cannot_be_written_is_said_plainly(cast):
    # /proc takes no new file, whoever asks (the suite may run as root, whom permissions do not stop).
    with pytest.raises(CommandError, match="Cannot write /proc/fr.zip: .*nothing was written"):
        call_command("export_country", "FR", "/proc/fr.zip", stdout=io.StringIO())


def test_a_refused_export_leaves_no_file(cast, tmp_path):
    target = tmp_path / "fr.zip"
    with pytest.raises(CommandError):
        call_command("export_ledger", "FR", str(target), "--first", "10", "--last", "2", stdout=io.StringIO())
    assert list(tmp_path.iterdir()) == []


def test_generate_keys_says_where_it_cannot_write():
    with pytest.raises(CommandError, match="Cannot make the folder /proc/nope"):
        call_command("generate_keys", "--dir", "/proc/nope", stdout=io.StringIO())
