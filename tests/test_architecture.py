"""The shape of the code (DESIGN §3), held by the suite: the layers and the independence of the
three middle apps (import-linter), no import circle between files, lint and format (ruff), and no
module grown past what one concept should hold."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
APPS = ["portal", "gateway", "deployments", "engagements", "governance", "training", "tenants"]
# "A file over ~500 lines is a sign that a concept wants its own module" (STYLE): the line is drawn
# a little above, so that a module is split by meaning, not to the line.
LONGEST_MODULE = 560
# One concept however long: the settings are one flat list read top to bottom by operators.
LONG_BY_DESIGN = {"portal/settings.py"}


def run(*args: str, cwd: Path = ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_the_layers_and_the_siblings_hold():
    result = run(str(BIN / "lint-imports"), "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_an_upward_import_breaks_the_contract(tmp_path):
    """The project's own contract, over a copy of the layout in which the foundation imports the
    composition root: lint-imports must refuse it (so the test above can fail)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    for app in APPS:
        (tmp_path / app).mkdir()
        (tmp_path / app / "__init__.py").write_text("")
    (tmp_path / "tenants" / "models.py").write_text("import portal.views\n")
    (tmp_path / "portal" / "views.py").write_text("")
    (tmp_path / "governance" / "services.py").write_text("import training\n")
    contract = config["contracts"][0]
    lines = [
        "[importlinter]",
        "root_packages =",
        *[f"    {p}" for p in config["root_packages"]],
        "",
        "[importlinter:contract:layers]",
        f"name = {contract['name']}",
        "type = layers",
        "layers =",
    ]
    lines += [f"    {layer}" for layer in contract["layers"]]
    (tmp_path / ".importlinter").write_text("\n".join(lines) + "\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    result = run(
        str(BIN / "lint-imports"), "--no-cache", "--config", str(tmp_path / ".importlinter"), cwd=tmp_path, env=env
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "tenants.models -> portal.views" in result.stdout
    assert "governance.services -> training" in result.stdout


def _circles(graph: grimp.ImportGraph, roots: list[str] = APPS) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan, iterative)."""
    modules = sorted(m for m in graph.modules if m.split(".")[0] in roots)
    edges = {m: sorted(n for n in graph.find_modules_directly_imported_by(m) if n in graph.modules) for m in modules}
    index, low, on_stack, stack, found, counter = {}, {}, set(), [], [], [0]
    for root in modules:
        if root in index:
            continue
        work = [(root, iter(edges.get(root, [])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(edges.get(child, []))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        found.append(sorted(group))
    return found


def test_no_import_circle_between_files():
    graph = grimp.build_graph(*APPS, cache_dir=None)
    assert _circles(graph) == []


def test_the_circle_finder_finds_a_circle(tmp_path, monkeypatch):
    package = tmp_path / "circled"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from circled import b\n")
    (package / "b.py").write_text("from circled import c\n")
    (package / "c.py").write_text("import circled.a\n")
    (package / "d.py").write_text("import circled.a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    graph = grimp.build_graph("circled", cache_dir=None)
    assert _circles(graph, roots=["circled"]) == [["circled.a", "circled.b", "circled.c"]]


def test_ruff_finds_nothing_to_say():
    check = run(str(BIN / "ruff"), "check", "--no-cache", ".")
    assert check.returncode == 0, check.stdout + check.stderr
    formatted = run(str(BIN / "ruff"), "format", "--check", "--no-cache", ".")
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr


@pytest.mark.parametrize("app", APPS)
def test_no_module_holds_more_than_one_concept(app):
    long = {}
    for path in (ROOT / app).rglob("*.py"):
        if "migrations" in path.parts:
            continue
        lines = len(path.read_text().splitlines())
        name = str(path.relative_to(ROOT))
        if lines > LONGEST_MODULE and name not in LONG_BY_DESIGN:
            long[name] = lines
    assert long == {}, f"split these by concept: {long}"
