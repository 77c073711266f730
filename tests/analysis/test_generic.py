"""The generic profile end to end with Cyrillic column names: init → import → tally → projection → forensics."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from testigo.cli import app
from testigo.errors import UserError
from testigo.pipeline.importer import import_table
from testigo.store.workspace import open_workspace

CANDIDATES = ["Иванов", "Петров", "Сидорова"]
MAP = ("id=Территориальная комиссия,Номер УИК,registered=Число избирателей,invalid=Недействительные,"
       "ballots=Бюллетени,region=Область,Район,candidates=" + ",".join(CANDIDATES))


def _table(path: Path, stations: int = 400, seed: int = 7) -> None:
    rng = np.random.default_rng(seed)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Область", "Район", "Территориальная комиссия", "Номер УИК", "Число избирателей",
                         *CANDIDATES, "Недействительные", "Бюллетени"])
        for i in range(stations):
            registered = int(rng.integers(800, 2500))
            turnout = rng.uniform(0.4, 0.8)
            votes = rng.multinomial(int(registered * turnout), [0.55, 0.35, 0.10])
            invalid = int(rng.integers(0, 20))
            region = f"Область {i % 4}"
            writer.writerow([region, f"Район {i % 12}", f"ТИК {i % 12}", str(1000 + i), str(registered),
                             *map(str, votes), str(invalid), str(int(votes.sum()) + invalid)])
        writer.writerow(["Область 0", "Район 0", "ТИК 0", "9999", "много", "1", "2", "3", "0", "6"])


def test_generic_profile_end_to_end(tmp_path: Path, cli: Callable[..., Any]) -> None:
    runner = CliRunner()
    root = str(tmp_path / "ws")
    table = tmp_path / "итоги.csv"
    _table(table)

    def run(*args: str) -> dict[str, object]:
        result = runner.invoke(app, [*args, "--workspace", root, "--json"], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    assert run("init", "--profile", "generic")["mesas_registry"] == 0
    report = cli("import", str(table), "--map", MAP, "--workspace", root)
    assert report["summary"]["accepted"] == 400
    [problem] = report["problems"]
    assert problem["row"] == 402 and "Число избирателей is 'много'" in problem["reason"]

    country = run("tally")
    assert country["candidate_names"] == {c: c for c in CANDIDATES}
    assert country["coverage"]["mesas_covered"] == 400 == country["coverage"]["mesas_registry"]
    by_state = run("tally", "--level", "state")
    assert sorted(r["name"] for r in by_state["rows"]) == [f"Область {i}" for i in range(4)]
    parishes = run("tally", "--level", "parish")  # two region columns: parish repeats the smallest (Район)
    assert len(parishes["rows"]) == 12

    projected = run("tally", "--project")
    assert "projection" in projected
    forensics = run("forensics")
    assert {t["id"] for t in forensics["tests"]} >= {"fingerprint", "siblings", "benford2"}
    [fingerprint] = [t for t in forensics["tests"] if t["id"] == "fingerprint"]
    assert "skipped" not in fingerprint["estimate"]

    reordered = MAP.replace(",".join(CANDIDATES), ",".join(reversed(CANDIDATES)))
    with pytest.raises(UserError, match="this workspace's candidates are Иванов, Петров, Сидорова"):
        import_table(open_workspace(root), table, "citizen", reordered)
