"""Cutting a word out of a text line as an upright crop for the recogniser, and where it lies on the page.

Crops follow each line's own slope, so perspective (which makes lines
converge and shrink towards the far end of a sheet) is undone word by word
rather than by one transform for the whole page. Perspective also slants and
shrinks the glyphs differently across a sheet: a crop given the glyphs'
local lean and height (`Upright`, from `testigo.read.printed.glyphs`) stands
them upright at one scale, which both recognisers need (a slanted 0 reads as
a 6 or a 9; a template fits only a glyph of its own size). A crop keeps the margins the
recogniser was trained with: a tenth of the text's height above and below the
line's band, half of it on each side of the word.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from testigo.read.printed.lines import Frame, TextLine, Word

#: The band of a line a crop spans, in text heights (the recogniser wants some paper above and below).
BAND_HEIGHTS = 1.3
#: A word whose glyphs come within this many text heights of the page's edge may be cut by it (`cut_by_edge`):
#: a pixel where letters are 10 pixels tall.
EDGE_HEIGHTS = 0.1
#: ... or whose end comes within this many text heights of it: room for a hidden next digit's first ink to
#: show past the gap. The gaps between a figure's digits, as the frame's ink shows them on simulated scans,
#: measure 0.26 to 0.47 text heights (the median of each printer's font), 0.35 to 0.61 at the 90th
#: percentile and 0.74 at most (the built-in font's, widely spaced). At 0.8 one simulated photo in 40,
#: its figures whole and 0.67 text heights from the frame's edge, was no longer confirmed.
EDGE_ROOM = 0.6
#: Paper kept on each side of a word, in text heights.
SIDE_HEIGHTS = 0.5
#: Rows of a crop: the recogniser's input height, so it is never resampled twice.
CROP_ROWS = 48


@dataclass(frozen=True)
class Upright:
    """How the glyphs stand at one place of a frame: their vertical's lean and their height."""

    lean: float
    """Frame columns gained per row along the glyphs' verticals."""
    height: float
    """Height of a capital letter, in frame pixels."""
    blur: float = 0.0
    """How much blurrier than the sheet's keys the glyphs are here: the sigma of the Gaussian the sheet's digit
    templates are blurred by to match them (`testigo.read.printed.font`), in band pixels."""


def word_crop(
    frame: Frame, line: TextLine, first: Word, last: Word | None = None, *, upright: Upright | None = None
) -> np.ndarray:
    """The words from `first` to `last` (default: `first` alone) of `line`, upright, `CROP_ROWS` high."""
    last = last or first
    side = SIDE_HEIGHTS * (upright.height if upright else frame.text_height)
    return frame_band(frame, line, first.x0 - side, last.x1 + side, CROP_ROWS, upright=upright)


def frame_band(
    frame: Frame, line: TextLine, x0: float, x1: float, rows: int, *, upright: Upright | None = None
) -> np.ndarray:
    """The line's band between frame columns `x0` and `x1`, straightened along its slope, `rows` pixels high.

    The band spans `BAND_HEIGHTS` text heights (`upright`'s, else the
    frame's); its width keeps the aspect. Its columns follow `upright`'s
    lean (None: perpendicular to the line). Pixels outside the frame are
    paper-white.
    """
    band = BAND_HEIGHTS * (upright.height if upright else frame.text_height)
    width = max(4, int(round((x1 - x0) * rows / band)))
    matrix = _crop_to_frame(line, x0, x1, band, (width, rows), upright)
    flags = (cv2.INTER_AREA if band > 1.5 * rows else cv2.INTER_LINEAR) | cv2.WARP_INVERSE_MAP
    return cv2.warpAffine(
        frame.image, matrix, (width, rows), flags=flags, borderMode=cv2.BORDER_CONSTANT, borderValue=255
    )


def paper(band: np.ndarray) -> float:
    """The median gray level of an 8-bit band: its paper's, since most of a word's band is paper.

    Read off the histogram of its 256 levels: the value `np.median` gives
    (the mean of the two middle levels when there are two), for a fifth of
    its cost on a band, and bands are cut for every word of a sheet.
    """
    counts = np.bincount(band.ravel(), minlength=256).cumsum()
    low = int(np.searchsorted(counts, (band.size - 1) // 2, side="right"))
    high = int(np.searchsorted(counts, band.size // 2, side="right"))
    return (low + high) / 2


def word_quad(
    frame: Frame, line: TextLine, word: Word, *, upright: Upright | None = None
) -> tuple[tuple[float, float], ...]:
    """The word's box on the page: corners top-left, top-right, bottom-right, bottom-left, in page pixels."""
    half = 0.5 * BAND_HEIGHTS * (upright.height if upright else frame.text_height)
    across = np.array(_across(line, upright))
    corners = []
    for x, side in ((word.x0, -half), (word.x1, -half), (word.x1, half), (word.x0, half)):
        point = np.array([x, line.y_at(x)]) + side * across
        px, py, pw = frame.to_page @ np.array([*point, 1.0])
        corners.append((round(float(px / pw), 1), round(float(py / pw), 1)))
    return tuple(corners)


def cut_by_edge(
    quad: Sequence[tuple[float, float]], page_size: tuple[int, int] | None, room: float = EDGE_ROOM
) -> bool:
    """Whether a word (its box from `word_quad`) may run past the page's edge: its glyphs come within
    `EDGE_HEIGHTS` text heights of the edge, or its end within `room` text heights.

    Past the page the frame is paper-white, so a figure the photo's edge
    cuts through reads as the digits left on the page: on a simulated hard
    photo of a sheet running off the frame's bottom, one-digit figures cut
    there read as 81 (a 0), 17 (a 1) and nothing (two 0s); on a scan cut
    three pixels inside its figures, a total of 437 read as 43 to both
    readers, and the genuine sheet was held as a mismatch. A digit cut off
    whole leaves the figure ending a digit's gap or more before the edge,
    so its end needs `room` for the next digit to show: the gap and a
    stroke (none where the figure ends where its column does: see
    `reading._read_fields`). The glyphs, not the band, are measured
    across the line: a row's band reaches past its letters, and on whole
    rows a pixel from a photo's edge it reached past the page.
    """
    if page_size is None:
        return False
    corners = np.asarray(quad, dtype=np.float64)
    top, bottom = corners[[0, 1]], corners[[3, 2]]
    inset = 0.5 * (1 - 1 / BAND_HEIGHTS) * (bottom - top)
    glyphs = np.vstack([top + inset, bottom - inset])  # top-left, top-right, bottom-left, bottom-right
    height = float(np.linalg.norm(bottom[0] - top[0])) / BAND_HEIGHTS
    along = top[1] - top[0]
    length = float(np.linalg.norm(along))
    ends = glyphs[[1, 3]] + (along / length * room * height if length else 0.0)
    width, page_height = page_size
    low, high = EDGE_HEIGHTS * height, np.array([width - 1, page_height - 1]) - EDGE_HEIGHTS * height
    return bool((glyphs < low).any() or (glyphs > high).any() or (ends < 0).any() or (ends > high).any())


def _across(line: TextLine, upright: Upright | None) -> tuple[float, float]:
    """The frame step of one unit of band height: perpendicular to the line, or along the glyphs' vertical."""
    angle = math.atan(line.slope)
    cos, sin = math.cos(angle), math.sin(angle)
    if upright is None:
        return -sin, cos
    return upright.lean * cos, cos  # as tall across the line as the perpendicular, slanted


def _crop_to_frame(
    line: TextLine, x0: float, x1: float, band: float, size: tuple[int, int], upright: Upright | None
) -> np.ndarray:
    """The 2x3 map from crop pixels to frame pixels: along the line's slope, its band centred on the line.

    Worked out in Python floats, one coordinate at a time: a crop is cut for
    every word, and NumPy's two-element arrays cost more than the arithmetic.
    """
    width, height = size
    angle = math.atan(line.slope)
    along = [math.cos(angle) * (x1 - x0) / width, math.sin(angle) * (x1 - x0) / width]
    across = [step * band / height for step in _across(line, upright)]
    cx = (x0 + x1) / 2
    centre = [cx, line.y_at(cx)]
    origin = [c - a * width / 2 - b * height / 2 for c, a, b in zip(centre, along, across, strict=True)]
    return np.array([along, across, origin]).T
