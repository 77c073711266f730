"""The web package imports itself in one direction: no module needs another (or the package) half-initialised.

Every import counts, including those under ``if TYPE_CHECKING:`` and inside
functions, so a cycle cannot hide behind a workaround. ``from testigo.web
import x`` reads the package itself, whose ``__init__`` imports the app and
with it every route: inside the package it would close a cycle, so it counts
as an import of ``testigo.web``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import testigo.web

PACKAGE = "testigo.web"
ROOT = Path(testigo.web.__file__).parent


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join((PACKAGE, *parts[:-1])) if parts[-1] == "__init__" else ".".join((PACKAGE, *parts))
        found[name] = path
    return found


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """The modules of the package that `path` imports, wherever the import statement stands."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name in modules}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(path, modules) - {name} for name, path in modules.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of the graph (as a path that ends where it starts), or None."""
    done: set[str] = set()
    path: list[str] = []

    def visit(name: str) -> list[str] | None:
        if name in path:
            return [*path[path.index(name) :], name]
        if name in done:
            return None
        path.append(name)
        for imported in sorted(graph[name]):
            if (found := visit(imported)) is not None:
                return found
        path.pop()
        done.add(name)
        return None

    for name in sorted(graph):
        if (found := visit(name)) is not None:
            return found
    return None


def test_no_module_of_the_web_package_imports_the_package_itself() -> None:
    importers = sorted(name for name, imported in _graph().items() if PACKAGE in imported)
    assert importers == [], f"these import {PACKAGE} (half-initialised while the app is being built): {importers}"


def test_the_web_package_has_no_import_cycle() -> None:
    cycle = _cycle(_graph())
    assert cycle is None, " -> ".join(cycle or [])


def test_the_state_imports_neither_the_app_nor_a_route_nor_auth() -> None:
    above = tuple(f"{PACKAGE}.{name}" for name in ("app", "routes", "auth"))
    assert not {name for name in _graph()[f"{PACKAGE}.state"] if name.startswith(above)}
