"""`simulate`: the files on disk, their truth, and the same bytes for the same seed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from testigo.errors import UserError
from testigo.profiles import get_profile
from testigo.simulate import simulate
from testigo.simulate.plan import KINDS
from tests.simulate.imaging import plain_read

PROFILE = get_profile("ve2024")
REGISTRY = PROFILE.load_registry()
EXPECTED_BAD = {
    "bad_01_empty": "rejected",
    "bad_02_truncated": "rejected",
    "bad_03_text": "rejected",
    "bad_04_bomb": "rejected",
    "bad_05_traversal": "rejected",
    "bad_06_absolute": "rejected",
    "bad_07_encrypted": "rejected",
    "bad_08_nested": "rejected",
    "bad_09_url_qr": "unreadable",
    "bad_10_garbage_qr": "invalid",
}


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("sim")
    calls: list[tuple[int, int]] = []
    truth = simulate(
        out, 3, seed=11, quality="scan", bad_files=True, forgeries=3, workers=1, progress=lambda *a: calls.append(a)
    )
    assert calls[-1] == (len(calls), len(calls))
    return out, json.loads(truth.read_text(encoding="utf-8"))


def test_truth_lists_every_file_written(simulated: tuple[Path, dict[str, Any]]) -> None:
    out, truth = simulated
    assert (truth["profile"], truth["seed"], truth["quality"]) == ("ve2024", 11, "scan")
    names = [entry["file"] for entry in truth["files"]]
    assert names == sorted(names)
    assert {f"actas/{p.name}" for p in (out / "actas").iterdir()} == set(names)
    assert [e["kind"] for e in truth["files"]].count("acta") == 3
    assert {e["kind"] for e in truth["files"]} == set(KINDS)


def test_genuine_actas_carry_their_payload(simulated: tuple[Path, dict[str, Any]]) -> None:
    out, truth = simulated
    for entry in truth["files"]:
        if entry["kind"] != "acta":
            continue
        record = PROFILE.parse(entry["payload"])
        assert entry["expected"] == "accepted" and entry["quality"] == "scan"
        assert (record.acta_id, record.mesa_id) == (entry["acta_id"], entry["mesa_id"])
        assert list(record.counts) == entry["counts"] and record.null_votes == entry["null_votes"]
        assert plain_read((out / entry["file"]).read_bytes()) == [entry["payload"]]


def test_bad_files_expect_their_outcome(simulated: tuple[Path, dict[str, Any]]) -> None:
    _, truth = simulated
    bad = {Path(e["file"]).stem: e for e in truth["files"] if e["kind"] == "bad"}
    assert {name: e["expected"] for name, e in bad.items()} == EXPECTED_BAD
    assert all(e["mesa_id"] is None and e["counts"] is None for e in bad.values())
    assert bad["bad_09_url_qr"]["payload"].startswith("https://")
    assert not PROFILE.recognises(bad["bad_09_url_qr"]["payload"])
    assert PROFILE.recognises(bad["bad_10_garbage_qr"]["payload"])


def test_copy_and_forgeries_target_the_election(simulated: tuple[Path, dict[str, Any]]) -> None:
    _, truth = simulated
    genuine = {e["mesa_id"]: e for e in truth["files"] if e["kind"] == "acta"}
    [copy] = [e for e in truth["files"] if e["kind"] == "copy"]
    assert copy["expected"] == "duplicate" and copy["payload"] == genuine[copy["mesa_id"]]["payload"]
    forged = {Path(e["file"]).stem: e for e in truth["files"] if e["kind"] == "forged"}
    assert set(forged) == {"forged_001_other_mesa", "forged_002_altered", "forged_003_over_registered"}
    for name in ("forged_001_other_mesa", "forged_002_altered"):
        entry = forged[name]
        assert entry["expected"] == "conflict" and entry["mesa_id"] in genuine
        assert entry["payload"] != genuine[entry["mesa_id"]]["payload"]
        record = PROFILE.parse(entry["payload"])
        assert record.total_votes <= REGISTRY.mesas[record.mesa_id].registered
    altered, original = forged["forged_002_altered"], genuine[forged["forged_002_altered"]["mesa_id"]]
    assert sum(altered["counts"]) == sum(original["counts"])
    over = forged["forged_003_over_registered"]
    assert over["expected"] == "invalid" and over["mesa_id"] not in genuine
    assert sum(over["counts"]) + over["null_votes"] > REGISTRY.mesas[over["mesa_id"]].registered


def test_same_seed_same_bytes(simulated: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    out, truth = simulated
    again = simulate(tmp_path, 3, seed=11, quality="scan", bad_files=True, forgeries=3, workers=2)
    assert json.loads(again.read_text(encoding="utf-8")) == truth
    for entry in truth["files"]:
        assert (tmp_path / entry["file"]).read_bytes() == (out / entry["file"]).read_bytes(), entry["file"]


def test_mixed_quality_rotates_and_refuses_a_used_folder(tmp_path: Path) -> None:
    truth = json.loads(simulate(tmp_path, 3, seed=1, quality="mixed", workers=1).read_text(encoding="utf-8"))
    assert [e["quality"] for e in truth["files"]] == ["scan", "photo", "hard"]
    with pytest.raises(UserError, match="already holds files"):
        simulate(tmp_path, 3, seed=1, quality="mixed")
    with pytest.raises(UserError, match="unknown quality"):
        simulate(tmp_path / "other", 3, quality="blurry")
