"""`read_sheets` (`testigo read`): each simulated sheet judged alone as the simulator's truth expects, its
figures the truth's, an altered sheet held with the card named, every bad file a one-line reason."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from testigo.cli import app
from testigo.domain.printed import CERTAIN, CONFIRMED, MISMATCH
from testigo.errors import UserError
from testigo.pipeline.sheets import FileReport, read_sheets
from testigo.simulate import simulate


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    """Four photographed actas, two of them without a code, an acta altered in its print, and the bad files."""
    root = tmp_path_factory.mktemp("read") / "sim"
    truth = simulate(root, 4, seed=31, quality="photo", variant="mixed", altered=1, bad_files=True, workers=1)
    return root / "actas", json.loads(truth.read_text(encoding="utf-8"))["files"]


@pytest.fixture(scope="module")
def files(simulated: tuple[Path, list[dict[str, Any]]]) -> dict[str, list[FileReport]]:
    """The reports by the name of the file simulated (an archive's entries under the archive's)."""
    folder, _ = simulated
    found: dict[str, list[FileReport]] = {}
    for file in read_sheets([folder], "ve2024", workers=2).files:
        found.setdefault(Path(file.path.split("!")[0]).name, []).append(file)
    return found


def test_every_sheet_is_named_by_its_code_or_by_its_print_alone_with_the_truths_figures(
    simulated: tuple[Path, list[dict[str, Any]]], files: dict[str, list[FileReport]]
) -> None:
    _, truth = simulated
    sheets = [entry for entry in truth if entry["expected"] in ("accepted", "duplicate")]
    assert {entry["variant"] for entry in sheets} == {"qr", "sin_qr"}
    for entry in sheets:
        [file] = files[Path(entry["file"]).name]
        [sheet] = file.sheets
        coded = entry["variant"] == "qr" and entry["kind"] != "bad"  # the bad one's code is a web address
        assert sheet.source == ("image+print" if coded else "print"), (entry["file"], sheet.reason)
        assert sheet.reason is None and sheet.record is not None and sheet.printed is not None
        assert sheet.record.acta_id == entry["acta_id"]
        assert (list(sheet.record.counts), sheet.record.null_votes) == (entry["counts"], entry["null_votes"])
        assert sheet.printed.outcome == (CONFIRMED if coded else CERTAIN)
        assert (sheet.code is not None) == coded


def test_a_sheet_whose_print_differs_from_its_code_is_for_a_person_with_both_values(
    simulated: tuple[Path, list[dict[str, Any]]], files: dict[str, list[FileReport]]
) -> None:
    _, truth = simulated
    [entry] = [entry for entry in truth if entry["expected"] == "mismatch"]
    [file] = files[Path(entry["file"]).name]
    [sheet] = file.sheets
    card, genuine, altered = (entry["alteration"][k] for k in ("card", "genuine", "altered"))
    assert sheet.source is None and sheet.printed is not None and sheet.printed.outcome == MISMATCH
    assert sheet.record is not None and sheet.record.acta_id == entry["acta_id"]  # what the code says, not counted
    assert sheet.reason is not None and f"card_{card:02d} print {altered}, QR {genuine}" in sheet.reason


def test_bad_files_and_invalid_codes_are_one_line_reasons_and_count_nothing(
    simulated: tuple[Path, list[dict[str, Any]]], files: dict[str, list[FileReport]]
) -> None:
    _, truth = simulated
    refused = [entry for entry in truth if entry["expected"] in ("rejected", "invalid")]
    assert len(refused) >= 9
    for entry in refused:
        for file in files[Path(entry["file"]).name]:
            reasons = [file.reason] if file.reason else [sheet.reason for sheet in file.sheets]
            assert all(sheet.source is None for sheet in file.sheets)
            assert reasons and all(why and "\n" not in why for why in reasons), entry["file"]


def test_the_command_prints_the_same_report_as_json_and_refuses_a_profile_whose_sheets_span_files(
    simulated: tuple[Path, list[dict[str, Any]]], files: dict[str, list[FileReport]], tmp_path: Path
) -> None:
    folder, _ = simulated
    result = CliRunner().invoke(app, ["read", str(folder / "acta_00002.jpg"), "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["summary"]["files"] == 1 and document["summary"]["sheets"] == 1
    [sheet] = document["files"][0]["sheets"]
    [file] = files["acta_00002.jpg"]
    expected = file.sheets[0]
    assert expected.record is not None and expected.printed is not None
    assert (sheet["source"], sheet["acta"], sheet["counts"]) == (
        expected.source,
        expected.record.acta_id,
        list(expected.record.counts),
    )
    assert sheet["print"]["figures"] == expected.printed.figures
    with pytest.raises(UserError, match="bu check"):
        read_sheets([folder], "br")
