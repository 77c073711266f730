"""Helpers for the simulator tests: plain zxing-cpp, a read that knows where the code is, and a reader of figures."""

from __future__ import annotations

import io

import cv2
import numpy as np
import zxingcpp
from PIL import Image

from testigo.simulate import geometry
from testigo.simulate.degrade import Degraded
from testigo.simulate.glyphs import glyph
from testigo.simulate.render import PrintedField
from testigo.simulate.style import Cell


def pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)))


def plain_read(data: bytes) -> list[str]:
    """What zxing-cpp finds on the whole image with its default options."""
    return [code.text for code in zxingcpp.read_barcodes(pixels(data))]


def read_where_the_code_is(image: Degraded, modules: int) -> str | None:
    """Decode with the code's true position: rectify at 8 px/module, flatten the light, try thresholds.

    This is "decodable in principle": what a careful pipeline can reach once it
    has located the code, with no knowledge of its content.
    """
    px = 8
    gray = pixels(image.data)
    if gray.ndim == 3:
        gray = cv2.cvtColor(gray, cv2.COLOR_RGB2GRAY)
    target = np.array([[4, 4], [4 + modules, 4], [4 + modules, 4 + modules], [4, 4 + modules]], np.float32) * px
    matrix = cv2.getPerspectiveTransform(np.array(image.qr_quad, np.float32), target)
    side = (modules + 8) * px
    code = cv2.warpPerspective(gray, matrix, (side, side), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
    light = cv2.GaussianBlur(cv2.dilate(code, np.ones((3 * px, 3 * px), np.uint8)), (0, 0), px)
    flat = cv2.normalize(code.astype(np.float32) / np.maximum(light, 1), None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
    candidates = [code, flat]
    candidates += [cv2.threshold(c, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[1] for c in (code, flat)]
    candidates.append(cv2.adaptiveThreshold(flat, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, 6 * px + 1, 0))
    for candidate in candidates:
        for binarizer in (zxingcpp.Binarizer.LocalAverage, zxingcpp.Binarizer.GlobalHistogram):
            found = zxingcpp.read_barcodes(candidate, formats=zxingcpp.BarcodeFormat.QRCode, binarizer=binarizer)
            if found:
                return found[0].text
    return None


def gray(data: bytes) -> np.ndarray:
    """The image as 8-bit grey levels (colour converted by luma)."""
    return np.asarray(Image.open(io.BytesIO(data)).convert("L"))


def field_patch(image: np.ndarray, matrix: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """The output image's pixels under a strip box, warped back to strip pixels (one per printer dot)."""
    x0, y0, x1, y1 = box
    to_output = matrix @ np.array([[1.0, 0, x0], [0, 1, y0], [0, 0, 1]])
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    patch: np.ndarray = cv2.warpPerspective(
        image, to_output, (x1 - x0, y1 - y0), flags=flags, borderMode=cv2.BORDER_REPLICATE
    )
    return patch


def tell_digits(image: np.ndarray, clean: np.ndarray, matrix: np.ndarray, field: PrintedField, cell: Cell) -> str:
    """What an ideal observer reads in `field` of a degraded `image`, knowing the image's geometry.

    For each character cell it renders the clean strip with each of the ten
    digits in that cell, takes it through the same resampling as the photo
    (area reduction, then the homography `matrix`), and picks the digit
    whose prediction correlates best with the pixels seen there. Blur, noise,
    fading and JPEG are left for it to overcome, as for a person: a digit it
    cannot tell from the nine others is one a person could misread too.
    """
    x0, y0, _, y1 = field.box
    read = ""
    for k in range(len(field.text)):
        cell_box = (x0 + k * cell.width, y0, x0 + (k + 1) * cell.width, y1)
        quad = geometry.apply(matrix, geometry.box_corners(cell_box))
        lo = np.floor(quad.min(axis=0)).astype(int) - 1
        hi = np.ceil(quad.max(axis=0)).astype(int) + 1
        seen = image[lo[1] : hi[1], lo[0] : hi[0]].astype(np.float32)
        mask = np.zeros(seen.shape, np.uint8)
        cv2.fillConvexPoly(mask, np.round(quad - lo).astype(np.int32), 1)
        inside = mask.astype(bool)
        observed = _standardised(seen[inside])
        scores = {
            digit: float(
                (observed * _standardised(_predicted(clean, matrix, cell_box, digit, cell, lo, hi)[inside])).mean()
            )
            for digit in "0123456789"
        }
        read += max(scores, key=scores.__getitem__)
    return read


def _predicted(
    clean: np.ndarray,
    matrix: np.ndarray,
    cell_box: tuple[int, int, int, int],
    digit: str,
    cell: Cell,
    lo: np.ndarray,
    hi: np.ndarray,
) -> np.ndarray:
    """The clean strip with `digit` printed in `cell_box`, seen through `matrix` over output pixels lo..hi."""
    x0, y0, x1, y1 = cell_box
    pad = 8
    crop = clean[y0 - pad : y1 + pad, x0 - pad : x1 + pad].astype(np.float32)
    paper, ink = np.percentile(clean[max(y0 - 40, 0) : y1 + 40, max(x0 - 40, 0) : x1 + 40], [90, 2])
    dots = cv2.GaussianBlur(glyph(digit, cell).astype(np.float32), (0, 0), 0.55)  # the print's dot gain
    crop[pad:-pad, pad:-pad] = paper + (ink - paper) * np.clip(dots, 0, 1)
    to_window = (
        np.array([[1.0, 0, -lo[0]], [0, 1, -lo[1]], [0, 0, 1]])
        @ matrix
        @ np.array([[1.0, 0, x0 - pad], [0, 1, y0 - pad], [0, 0, 1]])
    )
    shrink = geometry.mean_scale(to_window, crop.shape)
    if shrink < 0.9:  # as the degradation does: area reduction first, then the warp
        crop = cv2.resize(crop, None, fx=shrink, fy=shrink, interpolation=cv2.INTER_AREA)
        to_window = to_window @ geometry.scaling(1 / shrink)
    size = (int(hi[0] - lo[0]), int(hi[1] - lo[1]))
    predicted: np.ndarray = cv2.warpPerspective(crop, to_window, size, flags=cv2.INTER_LINEAR, borderValue=float(paper))
    return predicted


def _standardised(values: np.ndarray) -> np.ndarray:
    centred: np.ndarray = (values - values.mean()) / (values.std() + 1e-6)
    return centred
