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
MAP = (
    "id=Территориальная комиссия,Номер УИК,registered=Число избирателей,invalid=Недействительные,"
    "ballots=Бюллетени,region=Область,Район,candidates=" + ",".join(CANDIDATES)
)


HEADER = [
    "Область",
    "Район",
    "Территориальная комиссия",
    "Номер УИК",
    "Число избирателей",
    *CANDIDATES,
    "Недействительные",
    "Бюллетени",
]
#: The station whose declared ballots are 7 more than its votes plus invalid ones.
MISCOUNTED = "ТИК 5-1005"


def _rows(stations: int = 400, seed: int = 7) -> list[list[str]]:
    """Stations in 12 districts whose support for the leader differs by district (so projection has work)."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(stations):
        registered = int(rng.integers(800, 2500))
        turnout = rng.uniform(0.4, 0.8)
        lead = 0.4 + 0.025 * (i % 12)
        votes = rng.multinomial(int(registered * turnout), [lead, 0.9 - lead, 0.10])
        invalid = int(rng.integers(0, 20))
        ballots = int(votes.sum()) + invalid + (7 if f"ТИК {i % 12}-{1000 + i}" == MISCOUNTED else 0)
        rows.append(
            [
                f"Область {i % 4}",
                f"Район {i % 12}",
                f"ТИК {i % 12}",
                str(1000 + i),
                str(registered),
                *map(str, votes),
                str(invalid),
                str(ballots),
            ]
        )
    return rows


def _write(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> None:
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle).writerows([HEADER, *rows])


def _table(path: Path, stations: int = 400, seed: int = 7) -> None:
    _write(path, [*_rows(stations, seed), ["Область 0", "Район 0", "ТИК 0", "9999", "много", "1", "2", "3", "0", "6"]])


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

    forensics = run("forensics")
    assert {t["id"] for t in forensics["tests"]} >= {"fingerprint", "siblings", "benford2"}
    [impossible] = [t for t in forensics["tests"] if t["id"] == "impossible"]
    assert impossible["estimate"]["total_mismatch"] == 1
    [miscounted] = impossible["flagged"]
    assert miscounted["mesa"] == MISCOUNTED and miscounted["score"] == 7
    assert "declared total" in miscounted["reason"]
    [fingerprint] = [t for t in forensics["tests"] if t["id"] == "fingerprint"]
    assert "skipped" not in fingerprint["estimate"]

    reordered = MAP.replace(",".join(CANDIDATES), ",".join(reversed(CANDIDATES)))
    with pytest.raises(UserError, match="this workspace's candidates are Иванов, Петров, Сидорова"):
        import_table(open_workspace(root), table, "citizen", reordered)


def test_generic_projection_interval_holds_the_truth(tmp_path: Path, cli: Callable[..., Any]) -> None:
    """All stations enter as the official source (the registry); 60% of them, fewer where the leader is
    strong, as citizen rows. The projected totals' 95% intervals must hold the full table's true totals."""
    root = str(tmp_path / "ws")
    rows = _rows(stations=600, seed=11)
    everything, covered = tmp_path / "all.csv", tmp_path / "covered.csv"
    _write(everything, rows)
    rng = np.random.default_rng(2)  # one draw of coverage; see the projection benchmark for rates
    keep = [row for i, row in enumerate(rows) if rng.random() < (0.8 if i % 12 < 6 else 0.4)]
    _write(covered, keep)
    runner = CliRunner()
    assert runner.invoke(app, ["init", "--profile", "generic", "--workspace", root]).exit_code == 0
    assert (
        cli("import", str(everything), "--source", "official", "--map", MAP, "--workspace", root)["summary"]["accepted"]
        == 600
    )
    assert cli("import", str(covered), "--map", MAP, "--workspace", root)["summary"]["accepted"] == len(keep)
    result = runner.invoke(app, ["tally", "--project", "--workspace", root, "--json"], catch_exceptions=False)
    projection = json.loads(result.stdout)["projection"]
    assert projection["coverage"]["mesas_covered"] == len(keep) < projection["coverage"]["mesas_total"] == 600
    columns = [*CANDIDATES, "null"]  # "null" is the invalid ballots, the column after the candidates
    truth = {name: sum(int(row[5 + k]) for row in rows) for k, name in enumerate(columns)}
    covered_only = {name: sum(int(row[5 + k]) for row in keep) for k, name in enumerate(columns)}
    assert set(projection["votes"]) == set(columns)
    for name, interval in projection["votes"].items():
        assert interval["low"] <= truth[name] <= interval["high"], (name, truth[name], interval)
        if name in CANDIDATES:  # informative, not a blanket (invalid ballots are few and noisy: wider)
            assert interval["high"] - interval["low"] < 0.05 * truth[name]
        assert interval["low"] > covered_only[name]  # it did extrapolate beyond the covered stations
    valid = sum(truth[name] for name in CANDIDATES)
    margin = (truth[projection["leader"]] - truth[projection["runner_up"]]) / valid
    assert projection["margin"]["low"] <= margin <= projection["margin"]["high"], (margin, projection)


@pytest.mark.parametrize(
    ("encoding", "forced", "reported"),
    [("cp1251", None, "cp1251"), ("utf-16-le", None, "utf-16-le"), ("koi8-r", "koi8-r", "koi8-r")],
)
def test_cyrillic_tables_in_legacy_encodings(
    tmp_path: Path, cli: Callable[..., Any], encoding: str, forced: str | None, reported: str
) -> None:
    """Windows-1251 is detected (it used to be read as cp1252 gibberish and fail on the Cyrillic --map);
    BOM-less UTF-16 is recognised; --encoding forces a code page."""
    root = str(tmp_path / "ws")
    table = tmp_path / "итоги.csv"
    _write(table, _rows(stations=60), encoding)
    assert CliRunner().invoke(app, ["init", "--profile", "generic", "--workspace", root]).exit_code == 0
    extra = ["--encoding", forced] if forced else []
    report = cli("import", str(table), "--map", MAP, *extra, "--workspace", root)
    assert report["encoding"] == reported
    assert report["summary"]["accepted"] == 60 and not report["problems"]
    stations = CliRunner().invoke(app, ["tally", "--level", "state", "--workspace", root, "--json"])
    assert sorted(r["name"] for r in json.loads(stations.stdout)["rows"]) == [f"Область {i}" for i in range(4)]


def test_a_wrong_forced_encoding_is_a_usage_error(tmp_path: Path) -> None:
    table = tmp_path / "t.csv"
    _write(table, _rows(stations=3), "utf-16-le")
    root = str(tmp_path / "ws")
    runner = CliRunner()
    assert runner.invoke(app, ["init", "--profile", "generic", "--workspace", root]).exit_code == 0
    for wrong in ("no-such-codec", "utf-8"):
        result = runner.invoke(app, ["import", str(table), "--map", MAP, "--encoding", wrong, "--workspace", root])
        assert isinstance(result.exception, UserError), result.output  # `main` turns it into exit code 2
