"""The suite's own rule: each test has an address of its own (tests/conftest.py), or a parallel run,
which schedules tests by address, silently runs one of those sharing it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from _pytest.nodeid import NodeId

from tests.conftest import pytest_collection_modifyitems


class _Item(SimpleNamespace):
    @property
    def nodeid(self) -> str:
        return str(self._id)


def _items(*names: str) -> list[_Item]:
    parent = SimpleNamespace(nodeid="tests/api/test_x.py")
    return [_Item(name=name, parent=parent, _id=NodeId.parse("tests/api/test_x.py::test_op")) for name in names]


def test_tests_named_apart_but_sharing_an_address_get_their_names_as_addresses():
    items = _items("test_op[GET /a/]", "test_op[POST /a/]")
    pytest_collection_modifyitems(None, None, items)
    assert [item.nodeid for item in items] == [
        "tests/api/test_x.py::test_op[GET /a/]",
        "tests/api/test_x.py::test_op[POST /a/]",
    ]


def test_an_address_still_shared_stops_the_run():
    items = _items("test_op", "test_op")
    with pytest.raises(pytest.UsageError, match="sharing one address"):
        pytest_collection_modifyitems(None, None, items)


def test_each_operation_of_the_contract_test_has_an_address_of_its_own():
    """Collected as a run collects it: one address per operation of the API's schema."""
    listed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/api/test_contract.py",
        ],
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert listed.returncode == 0, listed.stdout[-2000:] + listed.stderr[-2000:]
    operations = [line for line in listed.stdout.splitlines() if "::test_every_operation_keeps_its_contract[" in line]
    assert len(operations) > 100
    assert len(set(operations)) == len(operations)
