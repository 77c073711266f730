"""Cutting a word out of a text line as an upright crop for the recogniser, and where it lies on the page.

Crops follow each line's own slope, so perspective (which makes lines
converge and shrink towards the far end of a sheet) is undone word by word
rather than by one transform for the whole page. A crop keeps the margins the
recogniser was trained with: a tenth of the text's height above and below the
line's band, half of it on each side of the word.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from testigo.read.printed.lines import Frame, TextLine, Word

#: The band of a line a crop spans, in text heights (the recogniser wants some paper above and below).
BAND_HEIGHTS = 1.3
#: Paper kept on each side of a word, in text heights.
SIDE_HEIGHTS = 0.5
#: Rows of a crop: the recogniser's input height, so it is never resampled twice.
CROP_ROWS = 48


def word_crop(frame: Frame, line: TextLine, first: Word, last: Word | None = None) -> np.ndarray:
    """The words from `first` to `last` (default: `first` alone) of `line`, upright, `CROP_ROWS` high."""
    last = last or first
    side = SIDE_HEIGHTS * frame.text_height
    return frame_band(frame, line, first.x0 - side, last.x1 + side, CROP_ROWS)


def frame_band(frame: Frame, line: TextLine, x0: float, x1: float, rows: int) -> np.ndarray:
    """The line's band between frame columns `x0` and `x1`, straightened along its slope, `rows` pixels high.

    The band spans `BAND_HEIGHTS` text heights; its width keeps the aspect.
    Pixels outside the frame are paper-white.
    """
    band = BAND_HEIGHTS * frame.text_height
    width = max(4, int(round((x1 - x0) * rows / band)))
    matrix = _crop_to_frame(line, x0, x1, band, (width, rows))
    flags = (cv2.INTER_AREA if band > 1.5 * rows else cv2.INTER_LINEAR) | cv2.WARP_INVERSE_MAP
    return cv2.warpAffine(
        frame.image, matrix, (width, rows), flags=flags, borderMode=cv2.BORDER_CONSTANT, borderValue=255
    )


def word_quad(frame: Frame, line: TextLine, word: Word) -> tuple[tuple[float, float], ...]:
    """The word's box on the page: corners top-left, top-right, bottom-right, bottom-left, in page pixels."""
    half = 0.5 * BAND_HEIGHTS * frame.text_height
    corners = []
    for x, dy in ((word.x0, -half), (word.x1, -half), (word.x1, half), (word.x0, half)):
        y = line.y_at(x) + dy
        px, py, pw = frame.to_page @ np.array([x, y, 1.0])
        corners.append((round(float(px / pw), 1), round(float(py / pw), 1)))
    return tuple(corners)


def _crop_to_frame(line: TextLine, x0: float, x1: float, band: float, size: tuple[int, int]) -> np.ndarray:
    """The 2x3 map from crop pixels to frame pixels: along the line's slope, its band centred on the line."""
    width, height = size
    angle = math.atan(line.slope)
    cos, sin = math.cos(angle), math.sin(angle)
    sx, sy = (x1 - x0) / width, band / height
    cx = (x0 + x1) / 2
    cy = line.y_at(cx)
    return np.array(
        [
            [cos * sx, -sin * sy, cx - cos * sx * width / 2 + sin * sy * height / 2],
            [sin * sx, cos * sy, cy - sin * sx * width / 2 - cos * sy * height / 2],
        ]
    )
