"""A sheet photographed at a slant is squared by its own table before its figures are read."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from testigo.profiles import get_profile
from testigo.read.printed import perspective
from testigo.read.printed.figures import cross_check
from testigo.read.printed.lines import Frame, TextLine, Word
from testigo.read.printed.reading import PageFrames, read_print
from testigo.read.printed.structure import NotFound, locate
from testigo.simulate import simulate
from tests.read.samples import printed_figures

LAYOUT = next(layout for layout in get_profile("ve2024").layouts() if layout.code != "none")


def _rows(frame: Frame) -> tuple[Frame, list[TextLine]]:
    """The table's rows in the frame, whichever way up it lies in it (the last candidate: the table's own)."""
    for turn in (frame, frame.turned):
        try:
            return turn, locate(turn.lines, LAYOUT, turn.text_height)[-1].rows
        except NotFound:
            continue
    raise AssertionError("no table in the frame")


def _spread(rows: list[TextLine]) -> float:
    """How much wider the table's widest row is than its narrowest (key's start to figure's end)."""
    widths = [row.right - row.left for row in rows]
    return max(widths) / min(widths)


def _seen_from_below(gray: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The page photographed from below its foot, its top 0.4 as wide as its foot, and the map onto it (3x3)."""
    height, width = gray.shape
    corners = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32)
    moved = np.array([[0.3 * width, 0], [0.7 * width, 0], [width, height], [0, height]], np.float32)
    to_page = cv2.getPerspectiveTransform(corners, moved)
    return cv2.warpPerspective(gray, to_page, (width, height), borderValue=90), to_page


@pytest.fixture(scope="module")
def scan(tmp_path_factory: pytest.TempPathFactory) -> tuple[np.ndarray, dict[str, Any]]:
    out = tmp_path_factory.mktemp("slant")
    truth = json.loads(simulate(out, 1, seed=21, quality="scan", workers=1).read_text())
    [entry] = truth["files"]
    gray = cv2.imread(str(out / entry["file"]), cv2.IMREAD_GRAYSCALE)
    assert gray is not None
    return gray, entry


def test_a_slanted_sheet_is_squared_and_read_where_it_lies(scan: tuple[np.ndarray, dict[str, Any]]) -> None:
    """A scan seen from below: its rows, a third narrower at the far end, are made one width; every figure
    then reads as printed, and each field's place maps back onto the slanted page where the figure is."""
    gray, entry = scan
    page, to_page = _seen_from_below(gray)
    frame = PageFrames(page).plain
    assert frame is not None
    turn, rows = _rows(frame)
    assert _spread(rows) > 1.25, "the slant should narrow the far rows, or this test proves nothing"
    square = perspective.squared(turn, rows)
    assert square is not None
    _, square_rows = _rows(square)
    assert _spread(square_rows) < 1.03
    assert all(abs(row.slope) < 0.01 for row in square_rows)
    reading = read_print(page, LAYOUT, header=False)
    check = cross_check(reading, printed_figures(entry))
    assert check.outcome == "confirmed", check.describe()
    with pytest.MonkeyPatch.context() as patch:  # which way up the text ran in the frame, squared or not
        patch.setattr(perspective, "SLANT", math.inf)
        assert read_print(page, LAYOUT, header=False).upside_down == reading.upside_down
    for name, quad in entry["fields"].items():
        if name in reading.fields:
            truth = cv2.perspectiveTransform(np.array([quad], np.float64), to_page)[0].mean(axis=0)
            found = np.array(reading.fields[name].quad).mean(axis=0)
            assert math.dist(truth, found) < 0.02 * page.shape[1], name


def test_text_past_the_table_s_horizon_leaves_the_frame_as_it_is(scan: tuple[np.ndarray, dict[str, Any]]) -> None:
    """A word where the slanted rows would meet (a mark far off the sheet, a misfound line) is no point of the
    sheet's plane: the frame is not squared, rather than sent to infinity."""
    page, _ = _seen_from_below(scan[0])
    frame = PageFrames(page).plain
    assert frame is not None
    turn, rows = _rows(frame)
    assert perspective.squared(turn, rows) is not None
    # the rows converge upwards: far enough above the table lies its horizon, and past it this word
    far = -1000.0 * turn.image.shape[0]
    stray = TextLine((Word(100.0, far, 110.0, far + 10.0, far + 5.0, None),))
    assert perspective.squared(replace(turn, lines=[stray, *turn.lines]), rows) is None


def test_a_sheet_seen_square_on_is_read_as_framed(scan: tuple[np.ndarray, dict[str, Any]]) -> None:
    gray, _ = scan
    frame = PageFrames(gray).plain
    assert frame is not None
    turn, rows = _rows(frame)
    assert perspective.squared(turn, rows) is None


def test_a_hard_photo_tilted_is_confirmed_once_squared(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The simulator's sixth hard photo of seed 2024, tilted 30 degrees or more: squared, its print confirms
    every figure of its code; read as framed, some figures (lone zeros at the far end) are not legible enough."""
    truth = json.loads(simulate(tmp_path, 6, seed=2024, quality="hard", workers=1).read_text())
    entry = truth["files"][5]
    gray = cv2.imread(str(tmp_path / entry["file"]), cv2.IMREAD_GRAYSCALE)
    assert gray is not None
    check = cross_check(read_print(gray, LAYOUT, header=False), printed_figures(entry))
    assert check.outcome == "confirmed", check.describe()
    monkeypatch.setattr(perspective, "SLANT", math.inf)
    check = cross_check(read_print(gray, LAYOUT, header=False), printed_figures(entry))
    assert check.outcome == "partial", check.describe()
