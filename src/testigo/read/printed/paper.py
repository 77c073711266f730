"""The sheet of paper in a photo: its outline, to undo a perspective too strong for reading line by line.

The reader follows perspective locally (each line's own slope, slanted
margins, the glyphs' lean and height across the sheet), which holds for the
perspective of a phone held over a sheet. A receipt photographed from low
down, lying on a table, is a trapezoid instead: one edge far shorter than
the other, its rows fanning out, its far keys a few pixels wide. On 40
simulated hard photos without a code (seed 5), 9 tables could not be found
at all, most of them on such trapezoids, whose paper, brighter than the
table under it, outlines the sheet plainly; flattened, 5 of the 9 are read
(2 accepted whole, every figure right, 3 left for a reviewer).

`flattened` finds that outline (the largest bright region of the page that
is a quadrilateral) and warps it to a rectangle, with the map back to the
page, so that the reader can frame the flattened sheet as it frames any page
(`testigo.read.printed.reading.PageFrames`), as its last way. Only an outline
whose opposite sides differ in length is flattened: a sheet seen square on,
or only turned, is read as it is, and a page with no outline (a scan, paper
on a white table) gives None. A table with pale squares or glare beside the
sheet can join them into a region that is no quadrilateral, or into a wrong
one: the page is then read as before, or its flattened copy fails to read.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

#: The outline is sought on a copy of the page at most this many pixels on its longer side.
SURVEY_SIDE = 640
#: Thresholds tried for the paper, as shares of the way from Otsu's threshold to the page's brightest (99th centile).
THRESHOLDS = (0.0, 0.25, 0.5)
#: The paper's share of the page, least and most: smaller is a speck of glare, larger is not a sheet on a table.
AREA_SHARE = (0.02, 0.9)
#: The region must fill at least this share of its quadrilateral (a glare spot joined to a sheet does not).
MIN_FILL = 0.9
#: Opposite sides of the outline must differ in length by this ratio for the sheet to be flattened.
MIN_KEYSTONE = 1.05
#: Pixels of page kept around the flattened sheet on each side, as a share of its shorter side.
MARGIN = 0.03


def flattened(gray: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The sheet warped flat and the 3x3 map from its pixels back to the page's, or None (see the module)."""
    quad = outline(gray)
    if quad is None:
        return None
    sides = [float(np.linalg.norm(quad[(i + 1) % 4] - quad[i])) for i in range(4)]
    pairs = ((sides[0], sides[2]), (sides[1], sides[3]))
    if max(max(pair) / max(min(pair), 1.0) for pair in pairs) < MIN_KEYSTONE:
        return None
    # each side of the rectangle as long as the longer of its two sides on the page: the far end is enlarged,
    # never the near end reduced (its letters are the page's best)
    width, height = (max(pair) for pair in pairs)
    margin = MARGIN * min(width, height)
    target = np.array(
        [[margin, margin], [margin + width, margin], [margin + width, margin + height], [margin, margin + height]],
        dtype=np.float32,
    )
    try:
        to_flat = cv2.getPerspectiveTransform(quad.astype(np.float32), target)
        to_page = np.linalg.inv(to_flat.astype(np.float64))
    except (cv2.error, np.linalg.LinAlgError):  # three corners in a line: no sheet to flatten
        return None
    size = (math.ceil(width + 2 * margin), math.ceil(height + 2 * margin))
    image = cv2.warpPerspective(gray, to_flat, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return image, to_page


def outline(gray: np.ndarray) -> np.ndarray | None:
    """The corners of the sheet on the page (4x2, clockwise), or None when no bright quadrilateral is seen.

    The paper is brighter than what it lies on, but a pale table or glare
    beside it can pass one threshold and join it: Otsu's threshold is tried
    first, then thresholds between it and the paper's own brightness, until
    the largest bright region is a quadrilateral.
    """
    scale = min(1.0, SURVEY_SIDE / max(gray.shape))
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else gray
    smooth = cv2.GaussianBlur(small, (5, 5), 0)
    otsu, _ = cv2.threshold(smooth, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    paper = float(np.percentile(smooth, 99))
    for share in THRESHOLDS:
        quad = _bright_quad(smooth, otsu + share * (paper - otsu))
        if quad is not None:
            corners: np.ndarray = quad / scale
            return corners
    return None


def _bright_quad(smooth: np.ndarray, threshold: float) -> np.ndarray | None:
    """The largest region brighter than `threshold`, as four corners, when it is a quadrilateral of a sheet's size."""
    bright = (smooth > threshold).astype(np.uint8)
    # the print's dark lines cut the paper into strips: close them before the paper is taken whole
    closed = cv2.morphologyEx(bright, cv2.MORPH_CLOSE, np.ones((7, 7), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(closed, connectivity=4)
    if count < 2:
        return None
    biggest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    area = int(stats[biggest, cv2.CC_STAT_AREA])
    if not AREA_SHARE[0] * smooth.size <= area <= AREA_SHARE[1] * smooth.size:
        return None
    contours, _ = cv2.findContours((labels == biggest).astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    region = max(contours, key=cv2.contourArea)
    quad = _four_corners(cv2.convexHull(region))
    if quad is None or cv2.contourArea(quad.astype(np.float32)) * MIN_FILL > cv2.contourArea(region):
        return None
    return quad


def _four_corners(hull: np.ndarray) -> np.ndarray | None:
    """A convex outline simplified to four corners, clockwise on the page; None when it does not come to four."""
    perimeter = cv2.arcLength(hull, closed=True)
    for share in (0.01, 0.02, 0.03, 0.05, 0.08):
        corners = cv2.approxPolyDP(hull, share * perimeter, closed=True)
        if len(corners) == 4:
            quad = corners.reshape(4, 2).astype(np.float64)
            x, y = quad[:, 0], quad[:, 1]
            clockwise = float(x @ np.roll(y, -1) - y @ np.roll(x, -1)) > 0  # on the page, y pointing down
            return quad if clockwise else quad[::-1].copy()  # the other way round would mirror the sheet
        if len(corners) < 4:
            return None
    return None
