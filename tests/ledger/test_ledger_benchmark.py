"""The ledger benchmark still runs (at a small size), so it cannot rot between releases."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

BENCHMARK = Path(__file__).parents[2] / "benchmarks" / "ledger.py"


def test_benchmark_runs_at_small_size(capsys: pytest.CaptureFixture[str]) -> None:
    main = runpy.run_path(str(BENCHMARK))["main"]
    # 0 or 1: whether a speed target is met depends on the machine, which a test must not judge
    assert main(["--size", "3000", "--samples", "20", "--database-size", "2000"]) in (0, 1)
    output = capsys.readouterr().out
    for figure in (
        "appends/s",
        "x faster",
        "inclusion proof, verify",
        "consistency proof, generate",
        "inclusion proof from the database",
    ):
        assert figure in output
