"""The command line as a user runs it: JSON shapes, exit codes, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from testigo.cli import app
from testigo.simulate import simulate
from tests.reference_script import load_reference


def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "testigo", *args], capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(f"exit {result.returncode}: {result.stderr}")
    return result


def run_json(*args: str) -> Any:
    return json.loads(run(*args, "--json").stdout)


def invoke(*args: str | Path) -> tuple[int, Any]:
    """The command run in this process (quicker than `run`): its exit code, and its JSON or else its text."""
    result = CliRunner().invoke(app, [str(a) for a in args])
    try:
        return result.exit_code, json.loads(result.stdout)
    except json.JSONDecodeError:
        return result.exit_code, result.stdout + result.stderr


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    root = tmp_path_factory.mktemp("cli")
    simulate(root / "sim", 5, seed=21, quality="scan", workers=1)
    (root / "sim" / "actas" / "empty.jpg").write_bytes(b"")
    (root / "sim" / "actas" / "notes.jpg").write_text("not a photo", encoding="utf-8")
    workspace = root / "ws"
    report = run_json("ingest", str(root / "sim" / "actas"), "--workspace", str(workspace), "--workers", "1")
    return workspace, report


def test_ingest_json_shape_and_outcomes(ingested: tuple[Path, dict[str, Any]]) -> None:
    _, report = ingested
    expected = {
        "files",
        "accepted",
        "duplicate",
        "conflict",
        "mismatch",
        "unreadable",
        "incomplete",
        "invalid",
        "rejected",
    }
    assert set(report["summary"]) == expected
    assert report["summary"]["files"] == 7 and report["summary"]["accepted"] == 5
    assert report["summary"]["rejected"] == 2
    by_name = {Path(f["path"]).name: f for f in report["files"]}
    assert by_name["empty.jpg"]["reason"] == "empty file (0 bytes)"
    assert by_name["notes.jpg"]["status"] == "rejected" and "not an image" in by_name["notes.jpg"]["reason"]
    for entry in report["files"]:
        assert {"path", "sha256", "status", "reason", "mesa"} <= set(entry)


def test_tally_json_at_every_level(ingested: tuple[Path, dict[str, Any]]) -> None:
    workspace, report = ingested
    accepted = {f["mesa"] for f in report["files"] if f["status"] == "accepted"}
    mesa_level = run_json("tally", "--level", "mesa", "--workspace", str(workspace))
    assert mesa_level["level"] == "mesa"
    assert {r["id"] for r in mesa_level["rows"]} == accepted
    assert all(len(r["cards"]) == 38 for r in mesa_level["rows"])
    country = run_json("tally", "--workspace", str(workspace))
    [row] = country["rows"]
    assert row["actas"] == 5
    assert row["candidates"]["gonzalez"] == sum(sum(r["cards"][33:36]) for r in mesa_level["rows"])
    assert set(country["coverage"]) >= {
        "mesas_covered",
        "mesas_registry",
        "mesas_national",
        "registered_covered",
        "registered_total",
    }
    assert country["coverage"]["mesas_covered"] == 5 and country["coverage"]["mesas_national"] == 30026
    csv_out = run("tally", "--level", "state", "--csv", "--workspace", str(workspace)).stdout
    assert csv_out.splitlines()[0].startswith("level,id,name,actas")


def test_status_and_items_json(ingested: tuple[Path, dict[str, Any]]) -> None:
    workspace, _ = ingested
    status = run_json("status", "--workspace", str(workspace))
    assert status["items"] == {"accepted": 5, "rejected": 2} and status["pending_submissions"] == 0
    rejected = run_json("items", "--status", "rejected", "--workspace", str(workspace))["items"]
    assert sorted(Path(i["path"]).name for i in rejected) == ["empty.jpg", "notes.jpg"]


def test_user_errors_are_one_line_with_exit_2(tmp_path: Path) -> None:
    workspace = str(tmp_path / "ws")
    bad_level = run("tally", "--level", "galaxy", "--workspace", workspace, check=False)
    assert bad_level.returncode == 2
    assert bad_level.stderr.strip() == (
        "testigo: unknown level 'galaxy'; choose one of country, state, municipality, parish, center, mesa"
    )
    bad_profile = run("init", "--profile", "atlantis", "--workspace", str(tmp_path / "other"), check=False)
    assert bad_profile.returncode == 2 and "unknown profile 'atlantis'" in bad_profile.stderr
    assert "Traceback" not in bad_level.stderr + bad_profile.stderr


def test_missing_path_is_reported_not_fatal(tmp_path: Path) -> None:
    report = run_json("ingest", str(tmp_path / "nowhere"), "--workspace", str(tmp_path / "ws"))
    [entry] = report["files"]
    assert entry["status"] == "rejected" and entry["reason"] == "no such file or folder"


def test_a_workspace_that_is_a_file_or_has_corrupt_settings_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "plain-file").write_text("not a workspace", encoding="utf-8")
    as_file = run("status", "--workspace", str(tmp_path / "plain-file"), check=False)
    assert as_file.returncode == 2
    assert as_file.stderr.strip() == f"testigo: workspace {tmp_path / 'plain-file'} is a file, not a folder"
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "testigo.json").write_text("{half a file", encoding="utf-8")
    corrupt = run("tally", "--workspace", str(tmp_path / "broken"), check=False)
    assert corrupt.returncode == 2 and "cannot read the workspace settings" in corrupt.stderr
    assert len(corrupt.stderr.strip().splitlines()) == 1
    assert (tmp_path / "broken" / "testigo.json").read_text(encoding="utf-8") == "{half a file"  # left as it was


@pytest.mark.slow
def test_demo_verifies_every_outcome_against_the_simulation(tmp_path: Path) -> None:
    reference = load_reference()
    report = run_json(*reference.DEMO, "--dir", str(tmp_path / "demo"))
    verified = report["verified"]
    assert verified["exact"] is True and verified["unexpected_outcomes"] == []
    # one acta of twelve is printed without a code: counted from its print, or left for reviewers, never wrong
    assert verified["mesas_expected"] == 12 and verified["wrong_reads"] == 0
    assert verified["mesas_matching"] + verified["for_review"] == 12 and verified["mesas_matching"] >= 11
    summary = report["ingest"]["summary"]
    # and among the bad files, a genuine acta (of a mesa outside the election) whose code is a web address
    assert summary["accepted"] == verified["mesas_matching"] + 1 == report["tally"]["coverage"]["mesas_covered"]
    assert summary["rejected"] > 0 and summary["conflict"] > 0
    assert summary["mismatch"] == 4  # the altered actas: a card changed on the paper or in the code only
    assert Path(report["workspace"]).is_dir()
    # docs/json.md's last section is the shape of this run's report (tests/test_reference.py checks the rest)
    section = reference.json_section(reference.DEMO_TITLE, report)
    assert reference.JSON_DOC.read_text(encoding="utf-8").endswith(f"\n{section}\n"), "run scripts/reference.py"
