"""The newsrooms' 2024 statement, reproduced from testigo's own numbers: the whole opposition table imported
(24,532 actas), `testigo tally --json` says González leads even if every missing mesa voted only for Maduro."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import testigo
from testigo.cli import app
from tests.test_cli import run_json

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "ve2024" / "resultados_2024_csv_v1.csv"
#: The contest's roll: Venezuelans on the CNE's definitive register (Gaceta Electoral 1057, 1 June 2024).
ROLL = 21_392_464
#: Mesas in the country (CNE).
MESAS = 30_026

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ve2024 workspace holding every row of the opposition's table, imported as ``testigo import`` does."""
    if not DATA.exists():
        pytest.skip(f"{DATA} not present")
    path = tmp_path_factory.mktemp("ve2024") / "eleccion"
    testigo.init(path, profile="ve2024").close()
    # the command a user runs, in its own process: outside coverage's tracing (43 s here; 90 s traced in CI)
    report = run_json("import", str(DATA), "--workspace", str(path))
    assert report["summary"]["accepted"] == 24_532
    return path


def table_figures() -> dict[str, int]:
    """The table's sums in plain Python: González's and Maduro's votes, the rows and their registered voters."""
    with DATA.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {
        "rows": len(rows),
        "registered": sum(int(r["RE"]) for r in rows),
        "gonzalez": sum(int(r["EG"]) for r in rows),
        "maduro": sum(int(r["NM"]) for r in rows),
    }


def test_gonzalez_leads_whatever_the_missing_mesas_contain(workspace: Path) -> None:
    figures = table_figures()
    runner = CliRunner()
    result = runner.invoke(app, ["tally", "--json", "--workspace", str(workspace)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    [national] = json.loads(result.stdout)["bounds"]["areas"]
    missing_voters = ROLL - figures["registered"]
    margin = figures["gonzalez"] - figures["maduro"] - missing_voters
    assert (figures["rows"], missing_voters, margin) == (24_532, 3_647_225, 267_776)
    assert national["counted"]["gonzalez"] == figures["gonzalez"]
    assert national["counted"]["maduro"] == figures["maduro"]
    assert (national["leader"], national["runner_up"]) == ("gonzalez", "maduro")
    assert national["mesas_counted"] == figures["rows"] and national["mesas_missing"] == MESAS - figures["rows"]
    line = national["registered"]
    assert (line["voters"], line["margin"], line["decided"]) == (missing_voters, margin, True)
    worst = line["scenarios"]["maduro"]
    assert (worst["votes"], worst["leader"], worst["margin"]) == (
        figures["maduro"] + missing_voters,
        "gonzalez",
        margin,
    )
    # at each parish's highest turnout fewer voters are left, so the lead only grows
    turnout = national["parish_turnout"]
    assert turnout["decided"] and missing_voters > turnout["voters"] > 0 and turnout["margin"] > margin

    human = runner.invoke(app, ["tally", "--workspace", str(workspace)], catch_exceptions=False).stdout
    first, arithmetic = human.splitlines()[:2]
    assert first == (
        "decided: even if all 5,494 missing mesas (3,647,225 registered voters in all) voted only for Nicolás "
        "Maduro, Edmundo González leads by 267,776"
    )
    assert arithmetic.strip() == (
        f"Nicolás Maduro {figures['maduro']:,} counted + 3,647,225 missing registered voters = "
        f"{figures['maduro'] + missing_voters:,}; Edmundo González {figures['gonzalez']:,} counted; "
        f"{figures['gonzalez']:,} - {figures['maduro'] + missing_voters:,} = 267,776"
    )


def test_the_api_gives_the_same_bounds_by_state(workspace: Path) -> None:
    states = testigo.bounds(workspace, level="state")
    table = states.to_arrow()
    assert table.num_rows == len(states.areas) == 24
    assert set(table.column("leader").to_pylist()) <= {"gonzalez", "maduro"}
    # the 2,920,101 voters the registry cannot place could be in any state: each state's line includes them
    unplaced = set(table.column("unplaced").to_pylist())
    assert len(unplaced) == 1 and unplaced.pop() > 0
    assert sum(table.column("gonzalez").to_pylist()) == table_figures()["gonzalez"]
    assert states.sentences()["01"].startswith("not decided")
