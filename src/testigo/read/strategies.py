"""The ways of looking at a page, in the order tried, that make a QR code decodable.

zxing-cpp alone reads a clean scan. Phone photos of long thermal-paper actas
defeat it in a few recurring ways, and each strategy answers one. The order
comes from running every strategy on 3,000 simulated hard photos: the first
three read about 98 % of them, and each later one rescues a few of the rest
(``zoomed`` most; ``contrast`` and ``adaptive`` none there, but they read the
faded and shadowed codes of the tests, and only ever run on pages that every
other strategy failed).

* ``downscaled``: the page at half size, four times fewer pixels. It reads
  nearly every scan and ordinary photo, and a large JPEG is even decoded at
  half size directly (see `Pixels`).
* ``full``: the page as it is, for codes whose modules are 2-3 pixels wide.
* ``upscaled``: the page enlarged twice (within a pixel budget): zxing
  samples modules of under 2.5 pixels far better after cubic enlargement.
* ``bottom-band`` / ``top-band`` (``right-band`` / ``left-band`` for a strip
  lying sideways): each end of the long axis, where the code sits on an
  acta, cut out and enlarged twice, more than the budget allows for the page.
* ``zoomed``: a generous crop around each place a code was seen (a code zxing
  found but could not decode), enlarged to 800 pixels, plain and sharpened:
  a fresh detection when the corners first found were wrong. OpenCV's QR
  detector was once asked too, as a second opinion on where codes are: on
  430 simulated pages with a code (170 of the hardest class, 170 hard
  photos, 50 photos, 40 photos re-sent at 1,280 pixels; 120 of them in
  five printers' styles) the codes read were the same without it, while it
  cost 0.1 to 0.3 s on every page without a code (a rescue's page).
* ``rectified``: each such place warped to an upright square of about 8
  pixels per module, flat-fielded and sharpened: undoes perspective.
* ``contrast``: CLAHE (local histogram equalisation) plus unsharp masking,
  for faded thermal print.
* ``rotated-N``: the page turned by N degrees; zxing looks for finder
  patterns along rows, and a blurred, skewed code is found at some angles only.
* ``adaptive``: a Gaussian adaptive threshold over a window of several
  modules (OpenCV's, its mean taken on a shrunk page), for shadows and glare
  across the code.

Every strategy yields `Attempt`s: a named image, zxing options, and the map
from its pixels back to the page's. Images derived from the page are cached in
`Views`, which also gathers where damaged codes were seen, for the strategies
that look closer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import cv2
import numpy as np
import zxingcpp

from testigo.read.images import HALF_FIRST_ABOVE, Pixels

#: Pages with a long side above this are first read at half size.
DOWNSCALE_ABOVE = HALF_FIRST_ABOVE
#: Bands and upscaled images are kept below this many pixels: beyond it the
#: enlargement costs more than it gives.
MAX_ENLARGED_PIXELS = 16_000_000
#: Fraction of the long side that each end band covers.
BAND_FRACTION = 0.4
#: How far below its neighbourhood's mean a pixel must be to count as ink in ``adaptive`` (grey levels).
ADAPTIVE_OFFSET = 4
#: Angles tried by the rotation strategy (zxing already covers 90° steps).
ROTATIONS = (45, 22, -22)

Options = dict[str, Any]
#: zxing options for a plain pass. Inverted codes (light on dark) do not occur on
#: paper and 90° steps do not matter to a QR detector, so both searches are off.
#: Damaged codes are returned too: they are never accepted, but say where a code is.
FAST: Options = {
    "formats": zxingcpp.BarcodeFormat.QRCode,
    "try_rotate": False,
    "try_downscale": False,
    "try_invert": False,
    "return_errors": True,
}
#: zxing options for an image that is already black and white.
BINARY: Options = {**FAST, "binarizer": zxingcpp.Binarizer.BoolCast}
#: zxing options with a single global threshold, which suits a rectified, flat-fielded code.
GLOBAL: Options = {**FAST, "binarizer": zxingcpp.Binarizer.GlobalHistogram}
IDENTITY = np.eye(3)


@dataclass(frozen=True)
class Attempt:
    """One image to hand to zxing, with the options to use and the name to record.

    `to_page` maps the image's pixel coordinates to those of the full-size
    page (a 3x3 homography), so that where a damaged code was seen can be
    looked at again in another view.
    """

    name: str
    image: np.ndarray
    to_page: np.ndarray = field(default_factory=lambda: IDENTITY)
    options: Options = field(default_factory=lambda: FAST)

    def page_corners(self, position: zxingcpp.Position) -> np.ndarray:
        """The corners (4x2) of a code zxing found in `image`, in page pixels."""
        corners = [position.top_left, position.top_right, position.bottom_right, position.bottom_left]
        points = np.array([[[p.x, p.y]] for p in corners], dtype=np.float64)
        return cv2.perspectiveTransform(points, self.to_page).reshape(4, 2)


class Views:
    """Images derived from one page, each computed at most once, and where damaged codes were seen."""

    def __init__(self, pixels: Pixels) -> None:
        self.pixels = pixels
        self.long_side = pixels.long_side
        #: corners (4x2, page pixels) of codes zxing found but could not decode
        self.suspects: list[np.ndarray] = []

    @property
    def gray(self) -> np.ndarray:
        """The page at full resolution (decoded on first use)."""
        return self.pixels.full

    @property
    def half(self) -> np.ndarray:
        return self.pixels.half

    @property
    def half_to_page(self) -> np.ndarray:
        """The map from `half`'s pixels to the page's."""
        return _scaling(self.long_side / max(self.half.shape))

    @property
    def working(self) -> np.ndarray:
        """The image whole-page filters run on: half size for very large pages, else the page."""
        return self.half if self._large else self.gray

    @property
    def working_to_page(self) -> np.ndarray:
        return self.half_to_page if self._large else IDENTITY

    @property
    def _large(self) -> bool:
        return self.long_side > 2 * DOWNSCALE_ABOVE

    @property
    def candidates(self) -> list[np.ndarray]:
        """Places worth a closer look: damaged codes seen so far, the latest (closest) looks first."""
        return _distinct(self.suspects[::-1])

    @cached_property
    def contrast(self) -> np.ndarray:
        clahe = cv2.createCLAHE(clipLimit=3.0, tileGridSize=(8, 8)).apply(self.working)
        blurred = cv2.GaussianBlur(clahe, (0, 0), 2.0)
        return cv2.addWeighted(clahe, 1.8, blurred, -0.8, 0)


def _scaling(factor: float) -> np.ndarray:
    return np.diag([factor, factor, 1.0])


def _shift(x: float, y: float) -> np.ndarray:
    return np.array([[1.0, 0.0, x], [0.0, 1.0, y], [0.0, 0.0, 1.0]])


def _enlarge(image: np.ndarray, factor: float) -> tuple[np.ndarray, float]:
    """`image` scaled up by `factor`, or less so as to stay under `MAX_ENLARGED_PIXELS`; and the factor used."""
    factor = min(factor, (MAX_ENLARGED_PIXELS / image.size) ** 0.5)
    if factor <= 1.05:
        return image, 1.0
    return cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC), factor


def downscaled(views: Views) -> Iterator[Attempt]:
    if views.long_side > DOWNSCALE_ABOVE:
        yield Attempt("downscaled", views.half, views.half_to_page)


def full(views: Views) -> Iterator[Attempt]:
    yield Attempt("full", views.gray)


def bands(views: Views) -> Iterator[Attempt]:
    """Both ends of the long axis, the bottom first (where an upright acta has its code)."""
    gray = views.gray
    height, width = gray.shape
    if height >= width:
        cut = int(height * BAND_FRACTION)
        ends = (("bottom-band", height - cut, 0, gray[height - cut :]), ("top-band", 0, 0, gray[:cut]))
    else:
        cut = int(width * BAND_FRACTION)
        ends = (("right-band", 0, width - cut, gray[:, width - cut :]), ("left-band", 0, 0, gray[:, :cut]))
    for name, top, left, band in ends:
        enlarged, factor = _enlarge(band, 2.0)
        yield Attempt(name, enlarged, _shift(left, top) @ _scaling(1 / factor))


def adaptive(views: Views) -> Iterator[Attempt]:
    """A Gaussian adaptive threshold whose window spans several modules, so finder centres stay solid."""
    image = views.working
    block = max(31, (min(image.shape) // 12) | 1)
    yield Attempt("adaptive", _local_threshold(image, block, ADAPTIVE_OFFSET), views.working_to_page, BINARY)


def _local_threshold(image: np.ndarray, block: int, offset: int) -> np.ndarray:
    """OpenCV's Gaussian adaptive threshold (white where a pixel is above its `block`-wide Gaussian mean less
    `offset`), with the mean taken on the page shrunk by a third of the Gaussian's width.

    A window of a twelfth of the page is wide (sigma 19 to 60 pixels): the
    mean it gives is so smooth that on the page shrunk `sigma / 3` times and
    enlarged back it is the same to within a grey level (0.1 to 0.7 % of a
    photo's pixels then fall the other side of the threshold, all within a
    grey level of it). OpenCV's own filter runs the full window over every
    pixel: 40 to 300 ms on a photo, the costliest attempt of a page without
    a code, against 10 to 30 ms this way. The mean is rounded to a grey
    level as OpenCV's is; compared unrounded, 2 % of a photo's pixels (its
    flat paper's grain) flip.
    """
    sigma = 0.3 * ((block - 1) * 0.5 - 1) + 0.8  # what OpenCV takes for a window of `block`
    shrink = max(1, int(sigma // 3))
    height, width = image.shape
    small = cv2.resize(image, (-(-width // shrink), -(-height // shrink)), interpolation=cv2.INTER_AREA)
    mean = cv2.GaussianBlur(small.astype(np.float32), (0, 0), sigma / shrink, borderType=cv2.BORDER_REPLICATE)
    level = cv2.resize(mean, (width, height), interpolation=cv2.INTER_LINEAR)
    np.rint(level, out=level)  # whole grey levels: exact in float32, as is every pixel compared with them
    level -= offset
    binary: np.ndarray = cv2.compare(image.astype(np.float32), level, cv2.CMP_GT)  # 255 where above, else 0
    return binary


def contrast(views: Views) -> Iterator[Attempt]:
    yield Attempt("contrast", views.contrast, views.working_to_page)


def upscaled(views: Views) -> Iterator[Attempt]:
    enlarged, factor = _enlarge(views.gray, 2.0)
    if factor > 1:
        yield Attempt("upscaled", enlarged, _scaling(1 / factor))


def rectified(views: Views) -> Iterator[Attempt]:
    """Each place a code was seen, warped to an upright square at about 8 pixels per module.

    zxing's detector often finds the finder patterns of a small, skewed code
    and then samples its modules in the wrong places. Undoing the perspective
    and enlarging first, then evening out the light (flat-field) and
    sharpening, turns it into an easy code.
    """
    for quad in views.candidates:
        image, to_page = _unwarp(views.gray, quad)
        sharp = _flat_sharpened(image)
        yield Attempt("rectified", image, to_page)
        yield Attempt("rectified", sharp, to_page)
        yield Attempt("rectified", sharp, to_page, GLOBAL)
        otsu = cv2.threshold(sharp, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[1]
        yield Attempt("rectified", otsu, to_page, BINARY)


def zoomed(views: Views) -> Iterator[Attempt]:
    """Generous crops around each place a code was seen, enlarged (and sharpened) for a fresh detection.

    For when the corners found were wrong (a stray dark square taken for a
    finder pattern), so rectifying them would not help: the crop still holds
    the code, now big enough for the detector to find its real corners.
    """
    gray = views.gray
    for quad in views.candidates:  # a snapshot: what these attempts find is for `rectified`
        low, high = quad.min(axis=0), quad.max(axis=0)
        for pad in ZOOM_PADS:
            margin = (high - low).max() * pad
            left, top = np.maximum(low - margin, 0).astype(int)
            right, bottom = (high + margin).astype(int)
            crop = gray[top:bottom, left:right]
            factor = ZOOM_SIDE / max(crop.shape)
            if factor <= 1:
                continue
            enlarged = cv2.resize(crop, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)
            sharp = cv2.addWeighted(enlarged, 2.0, cv2.GaussianBlur(enlarged, (0, 0), factor), -1.0, 0)
            to_page = _shift(left, top) @ _scaling(1 / factor)
            yield Attempt("zoomed", enlarged, to_page)
            yield Attempt("zoomed", sharp, to_page)
            yield Attempt("zoomed", sharp, to_page, GLOBAL)


def rotated(views: Views) -> Iterator[Attempt]:
    """The page turned by a few angles: zxing scans for finder patterns along rows, and a blurred
    code skewed by perspective is found at some angles and not at others."""
    image = views.working
    height, width = image.shape
    for degrees in ROTATIONS:
        turn = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
        cos, sin = abs(turn[0, 0]), abs(turn[0, 1])
        size = (int(height * sin + width * cos), int(height * cos + width * sin))
        turn[:, 2] += (size[0] - width) / 2, (size[1] - height) / 2
        turned = cv2.warpAffine(image, turn, size, flags=cv2.INTER_LINEAR, borderValue=255)
        back = np.linalg.inv(np.vstack([turn, [0.0, 0.0, 1.0]]))
        yield Attempt(f"rotated-{degrees}", turned, views.working_to_page @ back)


#: Geometry of a rectified code: pixels per module, the module count assumed
#: (version 6, what an acta's payload needs; other versions just get a few
#: pixels more or less per module) and the margin kept around it, in modules.
_PX, _MODULES, _MARGIN = 8, 41, 4
#: At most this many places are looked at again per page.
MAX_CANDIDATES = 6
#: A zoomed crop extends these many code sizes beyond the place on each side (the
#: place may be a fraction of the code), and is enlarged to this many pixels.
ZOOM_PADS, ZOOM_SIDE = (2.0, 1.0), 800


def _distinct(quads: list[np.ndarray]) -> list[np.ndarray]:
    """Plausible quadrilaterals, one per place, at most `MAX_CANDIDATES`.

    zxing reports a damaged code with empty corners when it gave up early, and
    the same code is seen by several strategies.
    """
    kept: list[np.ndarray] = []
    for quad in quads:
        area = cv2.contourArea(quad.astype(np.float32))
        if area < 21 * 21 or not cv2.isContourConvex(quad.astype(np.float32)):
            continue
        centre, size = quad.mean(axis=0), area**0.5
        if all(np.linalg.norm(centre - other.mean(axis=0)) > size / 4 for other in kept):
            kept.append(quad)
        if len(kept) == MAX_CANDIDATES:
            break
    return kept


def _unwarp(gray: np.ndarray, quad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The quadrilateral `quad` of `gray` as an upright square with a margin, and the map back to the page."""
    lo, hi = _MARGIN * _PX, (_MARGIN + _MODULES) * _PX
    square = np.array([[lo, lo], [hi, lo], [hi, hi], [lo, hi]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(quad.astype(np.float32), square)
    side = (_MODULES + 2 * _MARGIN) * _PX
    image = cv2.warpPerspective(gray, matrix, (side, side), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
    return image, np.linalg.inv(matrix)


def _flat_sharpened(image: np.ndarray) -> np.ndarray:
    """`image` divided by its local paper brightness (shadows and glare evened out), stretched and sharpened."""
    paper = cv2.GaussianBlur(cv2.dilate(image, np.ones((3 * _PX, 3 * _PX), np.uint8)), (0, 0), _PX)
    ratio = image.astype(np.float32) / np.maximum(paper, 1)
    low, high = float(ratio.min()), float(ratio.max())
    flat = ((ratio - low) * (255 / max(high - low, 1e-6))).astype(np.uint8)
    return cv2.addWeighted(flat, 2.0, cv2.GaussianBlur(flat, (0, 0), _PX / 2), -1.0, 0)


Strategy = Callable[[Views], Iterator[Attempt]]
#: The cascade, in the order it runs (see the module's docstring).
CASCADE: tuple[Strategy, ...] = (downscaled, full, upscaled, bands, zoomed, rectified, contrast, rotated, adaptive)
