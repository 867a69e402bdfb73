"""No import cycles among mcscope's modules, counting every import: module level, inside functions and
under ``TYPE_CHECKING`` (an import moved into a function to dodge a cycle still counts)."""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import REPO_ROOT


def package_dirs(root: Path = REPO_ROOT) -> dict[str, Path]:
    """Import package -> source folder, from pyproject.toml's package-dir (``mcscope`` = addon/, …)."""
    setup = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]
    return {pkg: root / folder for pkg, folder in setup["package-dir"].items()}


def project_modules(root: Path = REPO_ROOT) -> dict[str, Path]:
    """Every module's dotted name -> its file (packages as their ``__init__``)."""
    dirs = package_dirs(root)
    modules: dict[str, Path] = {}
    for pkg, folder in dirs.items():
        for path in folder.rglob("*.py"):
            rel = path.relative_to(folder).with_suffix("").parts
            if any(other != pkg and other.startswith(pkg + ".") and path.is_relative_to(d)
                   for other, d in dirs.items()):
                continue  # belongs to a nested package mapped to its own folder
            if rel[-1] == "__init__":
                rel = rel[:-1]
            modules[".".join((pkg, *rel))] = path
    return modules


def imported_modules(name: str, path: Path, known: set[str]) -> Iterator[str]:
    """The project modules ``name`` imports anywhere in its file, and the packages that contain them."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = name.split(".")
                anchor = parts if is_package else parts[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        for target in targets:
            parts = target.split(".")
            for i in range(1, len(parts) + 1):  # importing a.b.c runs a and a.b first
                prefix = ".".join(parts[:i])
                if prefix in known and prefix != name:
                    yield prefix


def import_graph(root: Path = REPO_ROOT) -> dict[str, set[str]]:
    modules = project_modules(root)
    known = set(modules)
    return {name: set(imported_modules(name, path, known)) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_modules_are_found() -> None:
    modules = project_modules()
    for name in ("mcscope", "mcscope.cli", "mcscope.core.session", "mcscope.core.rules.ads", "mcscope.io.har",
                 "mcscope.live.addon", "mcscope.sim.collector", "mcscope.gui", "mcscope.gui.window",
                 "mcscope.gui.timeline.paint"):
        assert name in modules, name
    assert not any(name.startswith("mcscope.gui.gui") for name in modules)


def test_no_import_cycles() -> None:
    found = cycles(import_graph())
    assert found == [], "import cycles (function-level and TYPE_CHECKING imports count):\n" + "\n".join(
        " <-> ".join(c) for c in found
    )


def test_a_cycle_hidden_in_a_function_is_found(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.setuptools]\npackage-dir = { "pkg" = "src" }\n')
    src = tmp_path / "src"
    src.mkdir()
    (src / "__init__.py").write_text("")
    (src / "a.py").write_text("from pkg import b\n")
    (src / "b.py").write_text("def f():\n    from pkg.a import thing\n    return thing\n")
    (src / "c.py").write_text("import pkg.a\n")
    assert cycles(import_graph(tmp_path)) == [["pkg.a", "pkg.b"]]
