"""The print on photos, hard photos and the hardest class: never a false accusation, never a wrong count.

What a worker does with each file (`decode_blob`: the QR code, the print, the
cross-check or the reading alone) on a few simulated sheets of each class,
genuine and altered. The reach of the reader (how many sheets it confirms or
rescues) is measured by `benchmarks/print.py`; what these tests hold on every
class is what must never happen whatever the reach: a genuine sheet held as a
mismatch, a sheet accepted from its print with a figure or mesa that is not
the truth, an altered sheet whose print was read passing as confirmed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from testigo.domain.printed import CERTAIN, CONFIRMED, MISMATCH, PrintedSheet
from testigo.pipeline.decode import decode_blob
from testigo.pipeline.printed import accepted_alone
from testigo.profiles import get_profile
from testigo.read import reader
from testigo.simulate import simulate

pytestmark = pytest.mark.slow

PROFILE = get_profile("ve2024")


def _sheets(folder: Path, quality: str, variant: str, seed: int) -> list[tuple[dict[str, Any], PrintedSheet | None]]:
    altered = 2 if variant == "qr" else 0
    truth = json.loads(simulate(folder, 2, seed, quality, variant=variant, altered=altered, workers=2).read_text())
    found = []
    for entry in truth["files"]:
        if entry["kind"] == "acta" or entry.get("alteration"):
            decoded = decode_blob(entry["acta_id"], str(folder / entry["file"]), PROFILE.name)
            found.append((entry, decoded.printed[0] if decoded.printed else None))
    return found


@pytest.mark.parametrize("quality", ["photo", "hard", "hardest"])
@pytest.mark.parametrize("variant", ["qr", "sin_qr"])
def test_no_genuine_sheet_is_accused_and_none_is_counted_wrong(tmp_path: Path, quality: str, variant: str) -> None:
    registry = PROFILE.load_registry()
    for entry, sheet in _sheets(tmp_path, quality, variant, seed=31):
        if sheet is None:
            continue  # the print was not read: nothing is claimed from it
        if entry.get("alteration"):
            assert sheet.outcome != CONFIRMED, (entry["file"], sheet.detail)
            continue
        assert sheet.outcome != MISMATCH, (entry["file"], sheet.detail)
        if sheet.outcome == CERTAIN:
            record = accepted_alone(PROFILE, registry, sheet)
            if not isinstance(record, str):
                assert record.acta_id == entry["acta_id"], entry["file"]
                assert (list(record.counts), record.null_votes) == (entry["counts"], entry["null_votes"])


def test_altered_photos_are_caught_naming_the_changed_card(tmp_path: Path) -> None:
    altered = [(e, s) for e, s in _sheets(tmp_path, "photo", "qr", seed=32) if e.get("alteration")]
    assert len(altered) == 2
    for entry, sheet in altered:
        card = f"card_{entry['alteration']['card']:02d}"
        assert sheet is not None and sheet.outcome == MISMATCH, entry["file"]
        assert card in sheet.detail, (card, sheet.detail)


def test_a_fault_in_the_print_reader_costs_the_page_its_print_never_its_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    truth = json.loads(simulate(tmp_path, 1, 33, "scan", workers=1).read_text())
    [entry] = [entry for entry in truth["files"] if entry["kind"] == "acta"]

    def faulty(*args: object, **kinds: object) -> None:
        raise ValueError("zero-size array to reduction operation minimum which has no identity")

    monkeypatch.setattr(reader, "read_print", faulty)
    decoded = decode_blob(entry["acta_id"], str(tmp_path / entry["file"]), PROFILE.name)
    assert decoded.reject is None and decoded.reading is not None
    [page] = decoded.reading.pages
    assert page.payloads == (entry["payload"],)
    assert page.print_problem is not None and "ValueError: zero-size array" in page.print_problem
    assert decoded.printed == (None,)
