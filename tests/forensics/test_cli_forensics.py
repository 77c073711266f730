"""`testigo forensics --json` and `--report` as a user runs them, on real 2024 rows plus one planted copy."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from testigo.forensics.report_data import REPORT_IDS

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "ve2024" / "resultados_2024_csv_v1.csv"
ROWS = 300
#: Columns of a vote vector in the resultados layout (valid, null, then the ten candidates).
VOTE_COLUMNS = ("VOTOS_VALIDOS", "VOTOS_NULOS", "EG", "NM", "LM", "JABE", "JOBR", "AE", "CF", "DC", "EM", "BERA")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "testigo", *args], capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise AssertionError(f"testigo {' '.join(args)}: exit {result.returncode}: {result.stderr}")
    return result


def mesa_id(row: dict[str, str]) -> str:
    """The ve2024 mesa id of a resultados row: the center code zero-filled to 9 digits, the mesa to 2."""
    return f"{row['CENTRO'].zfill(9)}.{row['MESA'].zfill(2)}"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str, dict[str, Any], Path]:
    """A ve2024 workspace holding the first ROWS real rows and one more mesa carrying a copy of the first's votes."""
    if not DATA.exists():
        pytest.skip(f"{DATA} not present")
    with DATA.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        fields = list(reader.fieldnames or [])
        rows = [next(reader) for _ in range(ROWS + 1)]
    original, target = rows[0], rows[ROWS]
    assert mesa_id(target) not in {mesa_id(r) for r in rows[:ROWS]}
    assert int(original["VOTOS_VALIDOS"]) + int(original["VOTOS_NULOS"]) <= int(target["RE"])  # nothing impossible
    copy = {**target, **{column: original[column] for column in VOTE_COLUMNS}}
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows([*rows[:ROWS], copy])

    root = tmp_path_factory.mktemp("forensics_cli")
    table = root / "resultados.csv"
    table.write_text(buffer.getvalue(), encoding="utf-8-sig")
    ws = root / "ws"
    run("init", "--workspace", str(ws), "--json")
    imported = json.loads(run("import", str(table), "--source", "citizen", "--workspace", str(ws), "--json").stdout)
    assert imported["summary"]["accepted"] == ROWS + 1, imported
    report = root / "informe.html"
    output = json.loads(run("forensics", "--workspace", str(ws), "--report", str(report), "--json").stdout)
    return ws, mesa_id(original), mesa_id(copy), output, report


def test_json_has_every_test_in_the_documented_shape(workspace: tuple[Path, str, str, dict[str, Any], Path]) -> None:
    _, _, _, output, _ = workspace
    ids = [t["id"] for t in output["tests"]]
    assert (
        ids
        == list(REPORT_IDS)
        == [
            "impossible",
            "duplicates",
            "siblings",
            "benford2",
            "last_digit",
            "fingerprint",
            "integer_peaks",
            "print_mismatch",
        ]
    )
    for test in output["tests"]:
        assert set(test) == {"id", "statistic", "p_value", "estimate", "flagged", "caveat"}
        assert isinstance(test["estimate"], dict) and test["caveat"]
        assert all(set(flag) == {"mesa", "reason", "score"} for flag in test["flagged"])
    by_id = {t["id"]: t for t in output["tests"]}
    assert "per_candidate" in by_id["last_digit"]["estimate"]
    assert {"incremental_fraction", "extreme_fraction"} <= set(by_id["fingerprint"]["estimate"])  # 301 mesas: fitted
    assert "excess" in by_id["integer_peaks"]["estimate"]


def test_planted_copy_is_flagged_by_duplicates(workspace: tuple[Path, str, str, dict[str, Any], Path]) -> None:
    _, original, copy, output, _ = workspace
    duplicates = next(t for t in output["tests"] if t["id"] == "duplicates")
    reasons = {flag["mesa"]: flag["reason"] for flag in duplicates["flagged"]}
    assert {original, copy} <= set(reasons)
    assert copy in reasons[original] and original in reasons[copy] and reasons[copy].startswith("same votes")
    assert not any(flag["mesa"] == copy for t in output["tests"] if t["id"] == "impossible" for flag in t["flagged"])


def test_html_report_is_self_contained_and_names_the_flagged_mesas(
    workspace: tuple[Path, str, str, dict[str, Any], Path],
) -> None:
    _, original, copy, _, report = workspace
    assert report.exists()
    page = report.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and page.endswith("</html>")
    assert not re.search(r"""\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", page, re.IGNORECASE)
    assert not re.search(r"url\(\s*[\"']?\s*(?:https?:)?//|@import", page, re.IGNORECASE)
    assert "<svg" in page and "<img" not in page and "<script" not in page
    for mesa in (original, copy):
        assert f"href='#mesa-{mesa}'" in page and f"id='mesa-{mesa}'" in page
    assert "mismos votos" in page and "same votes" in page  # the reason, in both languages
