"""The print of every sheet through ingest, forensics, the bundle and verify, on simulated scans.

Four actas of a small election (two with a QR code, two printed without one,
as in May 2025) and two altered actas of mesas outside it: one with a card
changed on the paper only, one with a card changed in its QR code only. The
code alone would have counted both altered sheets and lost the two without a
code; with the print, the altered ones are held as mismatches naming the card
with both values, and the others count from their print.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from testigo.pipeline.forensics import print_mismatches
from testigo.pipeline.ingest import IngestReport, ingest
from testigo.publish import publish
from testigo.publish.tables import read_csv
from testigo.simulate import simulate
from testigo.store.workspace import Store, init_workspace
from testigo.tally import tally
from testigo.verify import verify_bundle

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, dict[str, Any], IngestReport, Path]]:
    root = tmp_path_factory.mktemp("printed")
    simulate(root / "sim", 4, seed=5, quality="scan", variant="mixed", altered=2, workers=2)
    truth = json.loads((root / "sim" / "truth.json").read_text(encoding="utf-8"))
    store = init_workspace(str(root / "ws"), "ve2024")
    report = ingest(store, [root / "sim" / "actas"], workers=2)
    yield store, truth, report, root
    store.close()


def _result(report: IngestReport, entry: dict[str, Any]) -> Any:
    [found] = [f for f in report.files if f.path.endswith(entry["file"])]
    return found


def test_every_sheet_ends_as_the_truth_expects_and_counts_exactly(
    ingested: tuple[Store, dict[str, Any], IngestReport, Path],
) -> None:
    store, truth, report, _ = ingested
    assert {e["variant"] for e in truth["files"] if e["kind"] == "acta"} == {"qr", "sin_qr"}
    for entry in truth["files"]:
        assert _result(report, entry).status == entry["expected"], entry["note"]
    genuine = {e["acta_id"]: (e["counts"], e["null_votes"]) for e in truth["files"] if e["kind"] == "acta"}
    counted = {row.id: (row.cards, row.null_votes) for row in tally(store, "mesa").rows}
    assert counted == genuine  # the sheets without a code count, figure for figure; the altered ones do not
    kinds = [e["variant"] for e in truth["files"] if e["kind"] == "acta"]
    backed = {"image+print": kinds.count("qr"), "print": kinds.count("sin_qr")}
    assert tally(store, "country").rows[0].evidence == backed


def test_an_altered_sheet_names_the_changed_card_with_both_values(
    ingested: tuple[Store, dict[str, Any], IngestReport, Path],
) -> None:
    store, truth, report, _ = ingested
    altered = [e for e in truth["files"] if e["alteration"]]
    assert {e["alteration"]["kind"] for e in altered} == {"print_altered", "qr_altered"}
    listed = {flag.mesa: flag for flag in print_mismatches(store).flagged}
    for entry in altered:
        change = entry["alteration"]
        card = f"card_{change['card']:02d}"
        printed, coded = (
            (change["altered"], change["genuine"])
            if change["kind"] == "print_altered"
            else (change["genuine"], change["altered"])
        )
        assert f"{card} print {printed}, QR {coded}" in _result(report, entry).reason
        assert [card, str(printed), str(coded)] in listed[entry["acta_id"]].params["figures"]


def test_the_bundle_says_what_backs_each_mesa_and_verifies(
    ingested: tuple[Store, dict[str, Any], IngestReport, Path],
) -> None:
    store, truth, report, root = ingested
    publish(store, root / "bundle")
    data = (root / "bundle" / "data" / "mesas.csv").read_bytes()
    rows = {row["mesa_id"]: row["evidence"] for row in read_csv(data, store.profile.election)}
    genuine = [e for e in truth["files"] if e["kind"] == "acta"]
    assert rows == {e["mesa_id"]: "image+print" if e["variant"] == "qr" else "print" for e in genuine}
    # an altered sheet is published (its image is the evidence a reviewer and the public need), not counted
    published = {p.stem for p in (root / "bundle" / "actas").iterdir()}
    altered = [_result(report, e).sha256 for e in truth["files"] if e["alteration"]]
    assert altered and set(altered) <= published
    verified = verify_bundle(root / "bundle")
    assert verified.ok, verified.problems
    [decoding] = [c for c in verified.checks if c.check == "decoding"]
    prints = len(genuine) + len(altered)
    assert f"; {prints} prints read again with the logged OCR model gave the logged figures" in decoding.detail
