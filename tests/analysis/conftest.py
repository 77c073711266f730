"""Fixtures of the analysis tests: small excerpts of the two real 2024 tables and a CLI runner."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from testigo.cli import app

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "ve2024"
EXCERPT_ROWS = 200


def excerpt(name: str, rows: int = EXCERPT_ROWS) -> bytes:
    """The header and first `rows` rows of a real table, byte for byte (BOM included)."""
    path = DATA / name
    if not path.exists():
        pytest.skip(f"{path} not present")
    with path.open("rb") as handle:
        return b"".join(handle.readline() for _ in range(rows + 1))


@pytest.fixture
def resultados(tmp_path: Path) -> Path:
    path = tmp_path / "resultados.csv"
    path.write_bytes(excerpt("resultados_2024_csv_v1.csv"))
    return path


@pytest.fixture
def actas(tmp_path: Path) -> Path:
    path = tmp_path / "actas.csv"
    path.write_bytes(excerpt("actas_2024_presidential.csv"))
    return path


@pytest.fixture
def cli() -> Callable[..., Any]:
    """Run a `testigo` command with --json and return its parsed output."""
    import json

    runner = CliRunner()

    def run(*args: str) -> Any:
        result = runner.invoke(app, [*args, "--json"], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    return run
