"""How tall a sheet's glyphs are and how far they lean, across the sheet, measured on the glyphs themselves.

A photo changes both across a sheet: perspective makes the far end's letters
smaller and its verticals converge, a curled or folded receipt bends them. A
slanted 0 reads as a 6 or a 9, and a digit learned from the keys on the left
of the table fits a figure on the right only if both are cut upright and at
the same scale, so every crop is cut along the local vertical and as tall as
the local letters (`cells.Upright`).

The margins would give the verticals only on a flat sheet (a curled one
drifts them without slanting its letters), so both are measured where the
letters are. A word's lean: its ink is sheared by a range of leans, and the
lean whose column profile is peakiest (vertical strokes stacked in few
columns) is the word's. A word's height: its box, less the rise of its line
across it (the sheet's capitals and digits all share one height). The words
of the table (keys, names, figures) are then fitted by planes over the
frame, dropping outliers (a word of round letters has no clear lean, an
accent makes a word taller), as `lines.SlopeField` fits the lines' slopes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from testigo.read.printed.cells import Upright, frame_band, paper
from testigo.read.printed.lines import Frame, TextLine, Word

#: Leans tried, in columns per row relative to the perpendicular of the line (0.35 is about 19 degrees).
LEANS = np.linspace(-0.35, 0.35, 57)
#: Rows of the band a word's lean is measured on.
ROWS = 32
#: A word needs this many inked pixels (of its band) for its lean to be measured.
MIN_INK = 40
#: A word's lean is measured on every this many lines (`measure`).
LEAN_EVERY = 2
#: Fewer measured words than this: one value for the whole sheet (their median).
MIN_WORDS = 8
#: Columns a pixel of the band moves at most when moved back along a lean to the band's middle row.
_REACH = math.ceil(float(np.abs(LEANS).max()) * (ROWS - 1) / 2)


@dataclass(frozen=True)
class Plane:
    """A quantity over the frame, to first order: c0 + cx * x + cy * y."""

    c0: float
    cx: float = 0.0
    cy: float = 0.0

    def at(self, x: float, y: float) -> float:
        return self.c0 + self.cx * x + self.cy * y

    @classmethod
    def fit(cls, points: np.ndarray, default: float, floor: float) -> Plane:
        """The plane through (x, y, value) rows, refitted without the values far from it (`floor`: least allowed)."""
        if len(points) == 0:
            return cls(default)
        if len(points) < MIN_WORDS:
            return cls(float(np.median(points[:, 2])))
        design = np.column_stack([np.ones(len(points)), points[:, 0], points[:, 1]])
        values = points[:, 2]
        keep = np.ones(len(points), dtype=bool)
        for _ in range(3):
            coefficients, *_ = np.linalg.lstsq(design[keep], values[keep], rcond=None)
            residuals = np.abs(design @ coefficients - values)
            keep = residuals <= max(2.5 * float(np.median(residuals[keep])), floor)
        c0, cx, cy = (float(c) for c in coefficients)
        return cls(c0, cx, cy)


@dataclass(frozen=True)
class GlyphField:
    """The sheet's glyphs at any point of the frame: how far they lean and how tall they are."""

    lean: Plane
    """Frame columns gained per row along the sheet's verticals."""
    height: Plane
    """Height of a capital letter, in frame pixels."""
    heights: tuple[float, float]
    """The least and most height the field gives anywhere (beyond the table it extrapolates)."""
    blur: float = 0.0
    """How much blurrier than the keys the glyphs are (`Upright.blur`): the same everywhere, 0 but for a column."""

    def at(self, line: TextLine, x: float) -> Upright:
        """How to cut the glyphs at column `x` of `line` upright (`cells.frame_band`)."""
        y = line.y_at(x)
        return Upright(self.lean.at(x, y), float(np.clip(self.height.at(x, y), *self.heights)), self.blur)

    def adjusted(self, lean: float, factor: float, blur: float = 0.0) -> GlyphField:
        """This field with `lean` added to its lean, its heights `factor` times as tall and glyphs `blur` blurrier
        than the keys, everywhere."""
        height = Plane(factor * self.height.c0, factor * self.height.cx, factor * self.height.cy)
        heights = (factor * self.heights[0], factor * self.heights[1])
        return replace(self, lean=replace(self.lean, c0=self.lean.c0 + lean), height=height, heights=heights, blur=blur)


def measure(frame: Frame, lines: Sequence[TextLine]) -> GlyphField:
    """The glyph field of the frame, fitted to the words of `lines` (upright and `text_height` tall by default).

    Heights come from every word (its box: free); leans from the words of
    every `LEAN_EVERY`-th line only, which spread as widely over the table:
    measuring a lean is most of the cost, and a plane of three coefficients
    needs dozens of words, not the hundred-odd of a 38-row table.
    """
    leans, heights = [], []
    for index, line in enumerate(lines):
        for word in line.words:
            x, y = word.cx, line.y_at(word.cx)
            heights.append((x, y, word.height - abs(line.slope) * word.width))
            lean = _word_lean(frame, line, word) if index % LEAN_EVERY == 0 else None
            if lean is not None:
                leans.append((x, y, lean - line.slope))
    points = np.array(heights).reshape(-1, 3)
    height = Plane.fit(points, frame.text_height, 0.05 * frame.text_height)
    # the fit holds over the table; beyond it (the header) no more than a fifth past the table's extremes
    fitted = [height.at(x, y) for x, y in points[:, :2]] or [frame.text_height]
    limits = (max(0.8 * min(fitted), 0.5 * frame.text_height), min(1.25 * max(fitted), 2.0 * frame.text_height))
    if limits[0] >= limits[1]:  # a fit gone wrong: the frame's one height everywhere
        height, limits = Plane(frame.text_height), (frame.text_height, frame.text_height)
    return GlyphField(Plane.fit(np.array(leans).reshape(-1, 3), 0.0, 0.01), height, limits)


def _word_lean(frame: Frame, line: TextLine, word: Word) -> float | None:
    """The lean of one word relative to its line's perpendicular, or None when it has too little ink."""
    pad = 0.3 * frame.text_height
    band = frame_band(frame, line, word.x0 - pad, word.x1 + pad, ROWS)
    ink = np.clip(paper(band) - band.astype(np.float32), 0.0, None)
    if ink.max() <= 0:
        return None
    ys, xs = np.nonzero(ink > 0.3 * ink.max())
    if len(xs) < MIN_INK:
        return None
    weights = ink[ys, xs]
    rows = ys - (ROWS - 1) / 2
    # each lean's column profile: the ink of every pixel moved back along that lean to the band's middle row,
    # each profile `_REACH` columns wider than the band on both sides (blank columns add nothing to a peakiness)
    width = band.shape[1] + 2 * _REACH
    starts = np.arange(len(LEANS))[:, None] * width + _REACH
    shifted = (np.rint(xs[None, :] - LEANS[:, None] * rows[None, :]) + starts).astype(np.intp)
    profiles = np.bincount(shifted.ravel(), np.tile(weights, len(LEANS)), len(LEANS) * width)
    peakiness = (profiles.reshape(len(LEANS), width) ** 2).sum(axis=1)
    best = int(np.argmax(peakiness))
    if best in (0, len(LEANS) - 1):
        return None  # at the edge of the range: not a lean the search can vouch for
    left, centre, right = peakiness[best - 1 : best + 2]
    curvature = left - 2 * centre + right
    offset = 0.5 * (left - right) / curvature if curvature else 0.0
    step = float(LEANS[1] - LEANS[0])
    return float(LEANS[best] + offset * step)
