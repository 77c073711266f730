"""Decoding helpers for the simulator tests: plain zxing-cpp, and a read that knows where the code is."""

from __future__ import annotations

import io

import cv2
import numpy as np
import zxingcpp
from PIL import Image

from testigo.simulate.degrade import Degraded


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
