"""`duplicates` on real ingested images: one physical sheet behind two mesas is flagged, distinct actas are not.

Thirty distinct simulated actas (scan and photo quality) and one genuine acta
photographed twice, the second time with another mesa's QR code and printed
figures pasted over its own (a forger's trick: pasting the code alone is now
caught by the print cross-check, which the test also shows): both mesas are
accepted with different votes, so only the sheet images can tell.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from testigo.forensics import sheetprints
from testigo.forensics.duplicates import duplicates
from testigo.forensics.sheetprints import SAME_SHEET, same_sheets
from testigo.pipeline.analysis import accepted_table
from testigo.pipeline.ingest import ingest
from testigo.read.sheetprint import SIZE, unpack
from testigo.simulate import draw_sheets, render_acta
from testigo.simulate.degrade import degrade_image
from testigo.store.workspace import Store, init_workspace

pytestmark = pytest.mark.slow
DISTINCT = 30


def _paste_code(sheet: Image.Image, donor: Image.Image, *, print_too: bool = True) -> Image.Image:
    """`sheet` with `donor`'s QR code (and its quiet zone) pasted at native size over its own.

    With `print_too`, the donor's printed header and results (every printed
    figure's band, full width) are pasted as well, leaving the signatures.
    """
    out = sheet.copy()
    if print_too:
        boxes = [field.box for field in donor.info["fields"].values()]
        band = (0, min(b[1] for b in boxes) - 8, donor.width, max(b[3] for b in boxes) + 8)
        out.paste(donor.crop(band), band[:2])
    x0, y0, x1, y1 = sheet.info["qr_box"]
    dx0, dy0, dx1, dy1 = donor.info["qr_box"]
    side, pad = dx1 - dx0, 16
    left, top = (x0 + x1) // 2 - side // 2, (y0 + y1) // 2 - side // 2
    out.paste(donor.crop((dx0 - pad, dy0 - pad, dx1 + pad, dy1 + pad)), (left - pad, top - pad))
    out.info["qr_box"], out.info["qr_modules"] = (left, top, left + side, top + side), donor.info["qr_modules"]
    return out


def _write(job: tuple[str, int, str, Path]) -> None:
    kind, i, quality, folder = job
    sheets = draw_sheets(DISTINCT + 2, 31)
    if kind == "distinct":
        image = render_acta(sheets[i], np.random.default_rng(100 + i))
    else:  # sheets[DISTINCT] photographed twice: as itself, then with the code of sheets[DISTINCT + 1]
        image = render_acta(sheets[DISTINCT], np.random.default_rng(7))
        if kind in ("forged", "code_only"):
            donor = render_acta(sheets[DISTINCT + 1], np.random.default_rng(8))
            image = _paste_code(image, donor, print_too=kind == "forged")
    degraded = degrade_image(image, quality, np.random.default_rng(1000 + i + (500 if kind == "forged" else 0)))
    (folder / f"{kind}_{i:02d}.jpg").write_bytes(degraded.data)


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, list[str]]]:
    root = tmp_path_factory.mktemp("sheetprints")
    folder = root / "actas"
    folder.mkdir()
    jobs = [("distinct", i, "scan" if i % 2 else "photo", folder) for i in range(DISTINCT)]
    jobs += [("genuine", 0, "scan", folder), ("forged", 0, "photo", folder), ("code_only", 0, "photo", folder)]
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(_write, jobs))
    store = init_workspace(str(root / "ws"), "ve2024", "")
    report = ingest(store, [folder], workers=2)
    accepted = [f.mesa for f in report.files if f.status == "accepted"]
    code_only = next(f for f in report.files if Path(f.path).name.startswith("code_only"))
    assert code_only.status == "mismatch"  # the pasted code disagrees with the print under it
    yield store, accepted
    store.close()


def test_one_sheet_behind_two_mesas_is_flagged_and_distinct_actas_are_not(
    ingested: tuple[Store, list[str]],
) -> None:
    store, accepted = ingested
    sheets = draw_sheets(DISTINCT + 2, 31)
    genuine, donor = sheets[DISTINCT].mesa_id, sheets[DISTINCT + 1].mesa_id
    assert {sheets[DISTINCT].acta_id, sheets[DISTINCT + 1].acta_id} <= set(accepted)
    assert len(accepted) == DISTINCT + 2
    table = accepted_table(store)
    assert table.sheet_prints is not None and all(p is not None and len(p) == SIZE for p in table.sheet_prints)
    result = duplicates(table)
    image_flags = {f.mesa: f for f in result.flagged if "same sheet" in f.reason}
    assert set(image_flags) == {genuine, donor}
    assert f"mesa {donor}" in image_flags[genuine].reason and image_flags[genuine].score >= SAME_SHEET
    assert not [f for f in result.flagged if f.mesa not in (genuine, donor)]  # no vote-vector flag either
    assert result.estimate["same_sheet_pairs"] == 1 and result.estimate["sheet_prints_compared"] == DISTINCT + 2


def test_separation_margin_and_the_fewest_prints(
    ingested: tuple[Store, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, _ = ingested
    monkeypatch.setattr(sheetprints, "CANDIDATE", -2.0)  # compare every pair exactly
    table = accepted_table(store)
    prints = list(table.sheet_prints)  # type: ignore[arg-type]
    every = same_sheets(prints, threshold=-1.0)
    ranked = sorted(every.pairs, key=lambda p: -p[2])
    # the forged pair stands far above the best pair of distinct actas
    assert ranked[0][2] >= SAME_SHEET + 0.1 and ranked[1][2] <= SAME_SHEET - 0.1
    assert unpack(b"junk") is None
    few = same_sheets(prints[:5])
    assert not few.compared and few.pairs == []
