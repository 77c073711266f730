"""The layers of DESIGN.md hold: each package imports only those below it (the contract in pyproject.toml)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import testigo

ROOT = Path(__file__).resolve().parents[1]


def _layers() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    [contract] = config["tool"]["importlinter"]["contracts"]
    return [name.strip() for layer in contract["layers"] for name in layer.split("|")]


def test_every_package_and_module_has_a_layer() -> None:
    """A new package must be placed in the contract, or nothing would stop it importing anything."""
    package = Path(testigo.__file__).parent
    found = {
        f"testigo.{path.stem if path.is_file() else path.name}"
        for path in package.iterdir()
        if (path.is_dir() and (path / "__init__.py").exists()) or (path.suffix == ".py" and path.stem[0] != "_")
    }
    assert found == set(_layers())


def test_no_package_imports_a_layer_above_it() -> None:
    code = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(no_cache=True))"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "1 kept, 0 broken" in result.stdout
