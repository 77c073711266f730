"""A sheet photographed from low down: its paper's outline found and flattened, its figures then read.

The sheet is a simulated scan (the project's simulator, narrow printer) laid
here on a dark table in strong perspective, its keys' edge far away: the
reader's line-by-line handling of perspective loses its rows, and only the
flattened sheet gives them back (`testigo.read.printed.paper`).
"""

from __future__ import annotations

import json
from typing import Any

import cv2
import numpy as np
import pytest

from testigo.domain.layout import SheetLayout
from testigo.profiles import get_profile
from testigo.read.printed.paper import flattened, outline
from testigo.read.printed.reading import PageFrames, PrintNotRead, read_print
from testigo.simulate import PRINTERS, simulate

LAYOUT: SheetLayout = next(layout for layout in get_profile("ve2024").layouts() if layout.code != "none")
TABLE = 70


@pytest.fixture(scope="module")
def sheet(tmp_path_factory: pytest.TempPathFactory) -> tuple[np.ndarray, dict[str, Any]]:
    """A scanned acta from the narrow printer, cut to its strip of paper (the truth's field corners moved along)."""
    out = tmp_path_factory.mktemp("paper")
    truth = json.loads(simulate(out, 1, seed=21, quality="scan", printers=(PRINTERS["narrow"],), workers=1).read_text())
    entry = truth["files"][0]
    gray = cv2.imread(str(out / entry["file"]), cv2.IMREAD_GRAYSCALE)
    assert gray is not None
    paper = gray > 225  # the scanner's lid is grey (200), the receipt white
    columns = np.nonzero(paper.mean(axis=0) > 0.5)[0]
    rows = np.nonzero(paper[:, columns].mean(axis=1) > 0.5)[0]
    x0, y0 = int(columns.min()), int(rows.min())
    strip = np.ascontiguousarray(gray[y0 : int(rows.max()) + 1, x0 : int(columns.max()) + 1])
    fields = {name: [[x - x0, y - y0] for x, y in corners] for name, corners in entry["fields"].items()}
    return strip, {**entry, "fields": fields}


def _on_table(strip: np.ndarray, far: float) -> tuple[np.ndarray, np.ndarray]:
    """The strip lying across a photo of a dark table, its keys' edge `far` as long as its figures' edge; the map."""
    height, width = strip.shape
    scale = 2100 / height  # the near edge as long as most of the photo, the letters not squeezed
    near, across, centre, top = scale * height, scale * width, 1200.0, 500.0
    corners = np.float32([[0, 0], [width, 0], [width, height], [0, height]])
    # clockwise as the strip's own corners are: the photo shows the sheet, not its mirror image
    placed = np.float32(
        [
            [centre + far * near / 2, top],
            [centre + near / 2, top + across],
            [centre - near / 2, top + across],
            [centre - far * near / 2, top],
        ]
    )
    to_page = cv2.getPerspectiveTransform(corners, placed)
    page = cv2.warpPerspective(strip, to_page, (2400, 1400), flags=cv2.INTER_AREA, borderValue=TABLE)
    return page, to_page


def test_a_sheet_seen_from_low_down_is_flattened_and_every_figure_read(
    sheet: tuple[np.ndarray, dict[str, Any]],
) -> None:
    strip, entry = sheet
    page, to_page = _on_table(strip, far=0.75)
    reading = read_print(page, LAYOUT, header=False)
    for number, truth in enumerate(entry["printed"]["cards"], start=1):
        field = reading.fields[f"card_{number:02d}"]
        assert field.text == str(truth), field.name
        # the field's corners are the photo's: the flattening's map back is part of the frame's
        centre = cv2.perspectiveTransform(np.array([[np.mean(entry["fields"][field.name], axis=0)]]), to_page)[0, 0]
        assert cv2.pointPolygonTest(np.array(field.quad, np.float32), (float(centre[0]), float(centre[1])), True) > -3
    assert reading.fields["valid_votes"].text == str(entry["printed"]["valid_votes"])


def test_the_outline_is_found_clockwise_whichever_way_the_sheet_lies(
    sheet: tuple[np.ndarray, dict[str, Any]],
) -> None:
    """Corners the other way round would flatten the sheet into its mirror image, which reads as nothing."""
    strip, _ = sheet
    page, to_page = _on_table(strip, far=0.75)
    for turned in (page, cv2.rotate(page, cv2.ROTATE_90_CLOCKWISE), np.ascontiguousarray(page[::-1])):
        quad = outline(turned)
        assert quad is not None
        x, y = quad[:, 0], quad[:, 1]
        assert float(x @ np.roll(y, -1) - y @ np.roll(x, -1)) > 0
    # the corners are the paper's: each within 1% of the photo's side of where the strip's corners were laid
    # (the outline is sought on a copy a quarter the size, its edges smoothed)
    height, width = strip.shape
    laid = cv2.perspectiveTransform(np.float32([[[0, 0], [width, 0], [width, height], [0, height]]]), to_page)[0]
    found = outline(page)
    assert found is not None
    misplaced = max(min(float(np.linalg.norm(corner - other)) for other in found) for corner in laid)
    assert misplaced < 0.01 * max(page.shape)


def test_a_sheet_seen_square_on_or_without_a_table_around_it_is_not_flattened(
    sheet: tuple[np.ndarray, dict[str, Any]],
) -> None:
    """A scan is all paper, a sheet seen square on is a parallelogram: neither has a perspective to undo."""
    strip, _ = sheet
    assert flattened(strip) is None
    height, width = strip.shape
    square_on = np.full((height + 400, width + 400), TABLE, np.uint8)
    square_on[200 : 200 + height, 200 : 200 + width] = strip
    assert outline(square_on) is not None
    assert flattened(square_on) is None
    assert PageFrames(square_on).flat is None


def test_a_blank_page_on_a_table_is_refused_with_the_first_way_s_reason() -> None:
    """Paper with nothing printed: flattened or not, no text; the reason is one line, not a traceback."""
    page = np.full((1400, 2400), TABLE, np.uint8)
    paper = np.int32([[300, 400], [2100, 300], [2000, 1100], [400, 1000]])
    cv2.fillConvexPoly(page, paper, 235)
    with pytest.raises(PrintNotRead, match="no printed text"):
        read_print(page, LAYOUT)
