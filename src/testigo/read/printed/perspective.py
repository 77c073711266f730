"""A sheet seen at a slant, squared by its own table: its rows and margins say where its horizon is.

The frame a sheet is read in is the page turned and scaled (`lines.turn_text`):
it follows each line's slope, but a sheet photographed at a slant still
converges in it, and its glyphs change size and shape across the table. The
keys' digits, from which the sheet's own font is learned
(`testigo.read.printed.font`), are then not shaped as the figures at the
other end of their rows: on simulated hard photos tilted 30 to 45 degrees
(a fifth of that class) 87 % of the figures read exactly, against 97 to
98 % on the others, most of the misread ones lone zeros read as 8 or 9.

A plane seen in perspective keeps its straight lines straight, and lines
that are parallel on it meet, in the photo, on one line: its horizon. Once
the table is located, its rows are such parallels (each a line from its
key to its figure's last ink), and so are its two margins (the keys' start,
the figures' end). The rows' meeting point and the margins' meeting point
give the horizon, and the homography that sends the horizon to infinity
makes the rows parallel again and the margins too: what is left is one
affine map for the whole sheet, the same for the keys as for the figures,
which the glyph field's lean and height and the font model absorb. The
frame warped so is read again; where the warped frame does not read, the
first reading stands (`reading._read_frame`).

Only where the slant is strong (`SLANT`): the squared frame's lines are
found again, and a scan gains nothing. The rows it is squared by are the
table's as the lines alone place it (`structure.locate`), before any key
is read: a squared frame that reads then costs no key read on the first
(on 80 simulated hard photos, with every key read only until their median
is settled, `reading._median_from`: 3 PP-OCR runs a sheet fewer, 20 ms).
On 120 simulated hard photos, squared from a slant of 1.3: 97.9 % of
figures read exactly (96.5 % before), 7 more sheets whose every figure
the code confirms, for 11 ms more a sheet (7 ms on photos); from 1.45,
3 fewer; from 1.15, 2 more, for 27 ms (39 ms on photos).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np

from testigo.read.printed.lines import Frame, NotPrint, TextLine, frame_in

#: How many times, by area, the table's nearest corner must be as large as its farthest (as the squaring
#: measures them) for the sheet to be squared; a fifth of simulated photos (tilted up to 20 degrees) reach it.
SLANT = 1.3
#: Text heights of margin kept around the lines in the squared frame.
MARGIN_HEIGHTS = 3.0
#: The squared frame is made only when it holds at most this many times the frame's pixels (lines that
#: nearly meet within the page would send part of it far away).
MAX_GROWTH = 2.5


def squared(frame: Frame, rows: Sequence[TextLine]) -> Frame | None:
    """The frame with the table's rows, and its margins, made parallel and its rows level, its lines found
    again; None when the table is not slanted enough to gain from it (or its lines are no plane's).

    Each row runs from its first word's start (the key) to its last ink (the figure's end).
    """
    if len(rows) < 4:
        return None
    height, width = frame.image.shape[:2]
    unit = float(max(height, width))
    # homogeneous coordinates about the frame's centre in frame widths: the lines' meeting points stay in reach
    to_unit = np.array([[1 / unit, 0.0, -width / 2 / unit], [0.0, 1 / unit, -height / 2 / unit], [0.0, 0.0, 1.0]])
    starts = _homogeneous([(row.left, row.y_at(row.left)) for row in rows], to_unit)
    ends = _homogeneous([(row.right, row.y_at(row.right)) for row in rows], to_unit)
    along = _meeting(np.cross(starts, ends))  # where the rows meet (at infinity when they are parallel)
    across = np.cross(_through(starts), _through(ends))  # where the margins meet
    horizon = np.cross(along, across)
    corners = np.vstack([starts[[0, -1]], ends[[0, -1]]])
    sides = corners @ horizon
    if not (np.all(sides > 0) or np.all(sides < 0)):
        return None  # the table straddles its own horizon: these lines are not a slanted plane's
    horizon = horizon / sides.mean()  # the table's scale kept on average: 1 over its corners
    sides = corners @ horizon
    if (sides.max() / sides.min()) ** 3 < SLANT:  # a point's area scales as the cube of its side's inverse
        return None
    homography = np.linalg.inv(to_unit) @ np.vstack([np.eye(3)[:2], horizon]) @ to_unit
    step = _moved(ends, to_unit, homography) - _moved(starts, to_unit, homography)
    angle = -math.atan2(float(np.median(step[:, 1])), float(np.median(step[:, 0])))
    level = np.array([[math.cos(angle), -math.sin(angle), 0.0], [math.sin(angle), math.cos(angle), 0.0], [0, 0, 1]])
    homography = level @ homography
    extent = [(x, word.cy) for line in frame.lines for word in line.words for x in (word.x0, word.x1)]
    if not np.all(_homogeneous(extent, to_unit) @ horizon > 0):
        return None  # text beyond the table's horizon: no plane seen from one side holds it all
    moved = cv2.perspectiveTransform(np.array([extent], np.float64), homography)[0]
    margin = MARGIN_HEIGHTS * frame.text_height
    low, high = moved.min(axis=0) - margin, moved.max(axis=0) + margin
    if not np.isfinite(high - low).all() or float(np.prod(high - low)) > MAX_GROWTH * frame.image.size:
        return None
    size = (int(math.ceil(high[0] - low[0])), int(math.ceil(high[1] - low[1])))
    homography = np.array([[1.0, 0.0, -low[0]], [0.0, 1.0, -low[1]], [0.0, 0.0, 1.0]]) @ homography
    image = cv2.warpPerspective(frame.image, homography, size, flags=cv2.INTER_LINEAR, borderValue=255)
    try:
        return frame_in(image, frame.to_page @ np.linalg.inv(homography), page_size=frame.page_size)
    except NotPrint:  # a frame that held print, squared: grown past what print holds, it is no plane's
        return None


def _homogeneous(points: Sequence[tuple[float, float]], to_unit: np.ndarray) -> np.ndarray:
    """Frame points in the unit frame's homogeneous coordinates, one per row."""
    moved: np.ndarray = np.hstack([np.array(points, np.float64), np.ones((len(points), 1))]) @ to_unit.T
    return moved


def _moved(points: np.ndarray, to_unit: np.ndarray, homography: np.ndarray) -> np.ndarray:
    """Homogeneous unit-frame points, in frame pixels, moved by `homography` (frame pixels to frame pixels)."""
    back = points @ (homography @ np.linalg.inv(to_unit)).T
    pixels: np.ndarray = back[:, :2] / back[:, 2:]
    return pixels


def _meeting(lines: np.ndarray) -> np.ndarray:
    """The point nearest to lying on every one of `lines` (homogeneous, one per row), by least squares."""
    lengths = np.linalg.norm(lines[:, :2], axis=1, keepdims=True)
    point: np.ndarray = np.linalg.svd(lines / np.maximum(lengths, 1e-12))[2][-1]
    return point


def _through(points: np.ndarray) -> np.ndarray:
    """The line nearest to passing through every one of `points` (homogeneous, w = 1), by total least squares."""
    centre = points[:, :2].mean(axis=0)
    direction = np.linalg.svd(points[:, :2] - centre)[2][0]
    normal = np.array([-direction[1], direction[0]])
    return np.array([normal[0], normal[1], -float(normal @ centre)])
