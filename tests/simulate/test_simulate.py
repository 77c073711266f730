"""`simulate`: the files on disk, their truth, and the same bytes for the same seed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from testigo.errors import UserError
from testigo.profiles import CheckContext, get_profile
from testigo.read import read_file
from testigo.simulate import simulate
from testigo.simulate.plan import KINDS
from testigo.simulate.render import card_field
from testigo.simulate.style import HIRES, NARROW, STANDARD
from tests.read.samples import accept
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
    "bad_09_url_qr": "accepted",
    "bad_10_garbage_qr": "invalid",
}


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("sim")
    calls: list[tuple[int, int]] = []
    truth = simulate(
        out,
        3,
        seed=11,
        quality="scan",
        bad_files=True,
        forgeries=3,
        altered=2,
        workers=1,
        progress=lambda *a: calls.append(a),
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
    url = bad.pop("bad_09_url_qr")  # a genuine acta with a web address for a code: it counts, from its print
    assert all(e["mesa_id"] is None and e["counts"] is None for e in bad.values())
    assert url["payload"].startswith("https://") and not PROFILE.recognises(url["payload"])
    assert url["qr"] is None and url["printed"]["cards"] == url["counts"] and url["mesa_id"]
    assert PROFILE.recognises(bad["bad_10_garbage_qr"]["payload"])


def test_copy_and_forgeries_target_the_election(simulated: tuple[Path, dict[str, Any]]) -> None:
    _, truth = simulated
    genuine = {e["mesa_id"]: e for e in truth["files"] if e["kind"] == "acta"}
    [copy] = [e for e in truth["files"] if e["kind"] == "copy"]
    assert copy["expected"] == "duplicate" and copy["payload"] == genuine[copy["mesa_id"]]["payload"]
    forged = {Path(e["file"]).stem: e for e in truth["files"] if e["kind"] == "forged" and e["alteration"] is None}
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
    again = simulate(tmp_path, 3, seed=11, quality="scan", bad_files=True, forgeries=3, altered=2, workers=2)
    assert json.loads(again.read_text(encoding="utf-8")) == truth
    for entry in truth["files"]:
        assert (tmp_path / entry["file"]).read_bytes() == (out / entry["file"]).read_bytes(), entry["file"]


def test_mixed_quality_rotates_and_refuses_a_used_folder(tmp_path: Path) -> None:
    truth = json.loads(
        simulate(tmp_path, 4, seed=1, quality="mixed", without_code=1, workers=1).read_text(encoding="utf-8")
    )
    # the last acta is printed without a code and photographed, whatever the quality rotation says
    assert [(e["quality"], e["variant"]) for e in truth["files"]][-1] == ("photo", "sin_qr")
    assert truth["files"][-1]["payload"] is None and truth["files"][-1]["expected"] == "accepted"
    truth["files"] = truth["files"][:3]
    assert [e["quality"] for e in truth["files"]] == ["scan", "photo", "hard"]
    with pytest.raises(UserError, match="already holds files"):
        simulate(tmp_path, 3, seed=1, quality="mixed")
    with pytest.raises(UserError, match="unknown quality"):
        simulate(tmp_path / "other", 3, quality="blurry")


def test_every_rendered_file_says_what_is_printed_and_where(simulated: tuple[Path, dict[str, Any]]) -> None:
    _, truth = simulated
    for entry in truth["files"]:
        if entry["printed"] is None:
            assert entry["fields"] is None and entry["variant"] is None
            continue
        printed = entry["printed"]
        assert entry["variant"] == "qr" and entry["printer"] == STANDARD.describe()
        assert printed["valid_votes"] + printed["null_votes"] == printed["total_votes"] or entry["alteration"]
        assert set(entry["fields"]) >= {card_field(n) for n in range(1, 39)} | {"valid_votes", "center", "mesa"}
        assert all(len(quad) == 4 and all(len(point) == 2 for point in quad) for quad in entry["fields"].values())
        if entry["kind"] in ("acta", "copy"):
            assert entry["qr"]["cards"] == printed["cards"] == entry["counts"], entry["file"]
            mesa = REGISTRY.mesas[entry["mesa_id"]]
            assert (printed["center"], printed["mesa"], printed["registered"]) == (
                mesa.center_id,
                mesa.number,
                mesa.registered,
            )


def test_altered_actas_differ_in_one_card_between_print_and_code(simulated: tuple[Path, dict[str, Any]]) -> None:
    out, truth = simulated
    genuine = {e["mesa_id"] for e in truth["files"] if e["kind"] == "acta"}
    altered = {Path(e["file"]).stem: e for e in truth["files"] if e["alteration"] is not None}
    assert set(altered) == {"altered_001_print", "altered_002_qr"}
    for name, entry in altered.items():
        alteration, printed, qr = entry["alteration"], entry["printed"], entry["qr"]
        assert entry["expected"] == "mismatch" and entry["kind"] == "forged" and entry["mesa_id"] not in genuine
        differ = [i for i, (a, b) in enumerate(zip(printed["cards"], qr["cards"], strict=True)) if a != b]
        assert differ == [alteration["card"] - 1], name
        change = alteration["altered"] - alteration["genuine"]
        assert alteration["change"] == "digit" or alteration["change"] == f"{change:+d}"
        assert alteration["change"] == "digit" or 1 <= abs(change) <= 200
        if alteration["change"] == "digit":
            before, after = str(alteration["genuine"]), str(alteration["altered"])
            assert len(before) == len(after) and sum(a != b for a, b in zip(before, after, strict=True)) == 1
        record = PROFILE.parse(entry["payload"])  # the code carries `qr`, and passes every registry check
        assert list(record.counts) == qr["cards"] == entry["counts"]
        assert PROFILE.check(record, CheckContext(REGISTRY, 0)) == []
        [page] = read_file((out / entry["file"]).read_bytes(), accept).pages
        assert page.payloads == (entry["payload"],)
        if alteration["kind"] == "print_altered":
            assert printed["cards"][alteration["card"] - 1] == alteration["altered"]
            follows = printed["valid_votes"] == sum(printed["cards"])
            assert follows == alteration["totals_follow"], name
            assert qr["valid_votes"] == sum(qr["cards"])
        else:
            assert qr["cards"][alteration["card"] - 1] == alteration["altered"]
            assert alteration["totals_follow"] is None and printed["valid_votes"] == sum(printed["cards"])


def test_actas_without_a_code_and_other_printers(tmp_path: Path) -> None:
    printers = (STANDARD, HIRES, NARROW)
    truth = json.loads(
        simulate(tmp_path, 4, seed=3, quality="scan", variant="mixed", printers=printers, workers=1).read_text()
    )
    assert truth["variant"] == "mixed"
    entries = truth["files"]
    assert [e["variant"] for e in entries] == ["qr", "sin_qr", "qr", "sin_qr"]
    assert [e["printer"] for e in entries] == [p.describe() for p in (*printers, STANDARD)]
    for entry in entries:
        data = (tmp_path / entry["file"]).read_bytes()
        assert entry["expected"] == "accepted" and entry["mesa_id"] and entry["printed"]["cards"] == entry["counts"]
        if entry["variant"] == "sin_qr":
            assert entry["payload"] is None and entry["qr"] is None and entry["qr_quad"] is None
            assert plain_read(data) == []
        else:
            assert plain_read(data) == [entry["payload"]]
    with pytest.raises(UserError, match="unknown variant"):
        simulate(tmp_path / "other", 1, variant="none")
