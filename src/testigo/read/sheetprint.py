"""A sheet print: the ink of the part of a sheet just above its QR code, as a compact aligned bitmap.

Two images of the same physical sheet (re-photographed, re-scanned, or a
genuine acta with another mesa's QR code pasted on it) carry the same
handwriting and the same figures; two different actas share only the printed
form. Whole-page perceptual hashes cannot tell these apart (every acta is the
same form, so distinct scans hash a bit or two apart), so the print is taken
where sheets differ, and aligned on what every readable acta has: its QR code.

The decoder knows the code's corners (zxing's position, in the code's own
orientation, so a rotated or upside-down photo is handled). A window of
`WINDOW_WIDTH` x `WINDOW_HEIGHT` modules above the code (on the simulated
ve2024 strip: the signatures and the lines above them) is warped upright at
`_PX_PER_MODULE` pixels per module, flat-fielded (ink = 1 - pixel / local paper
brightness) and reduced to `COLUMNS` x `ROWS` cells, one bit per cell (ink or
not): 2,448 bytes. The window is measured in modules, not in code widths, so
codes of different versions printed by the same kind of printer give windows
of the same physical size.

The alignment from a 41-module code extrapolated over 140 modules is only
approximate (a few modules off on perspective photos); `testigo.forensics.
sheetprints` finishes it by registering every print on the form they all
share before comparing them.
"""

from __future__ import annotations

import cv2
import numpy as np

#: Format tag of the stored bytes (bump when the geometry or the threshold changes).
VERSION = b"SP1"
#: The window, in QR modules: centred on the code horizontally, ending just above it.
WINDOW_WIDTH, WINDOW_HEIGHT, WINDOW_GAP = 144, 136, 4
#: Cells of the stored bitmap (one module per cell).
COLUMNS, ROWS = 144, 136
#: Ink fraction of a cell above which it counts as inked.
INK_THRESHOLD = 0.2
_PX_PER_MODULE = 2
SIZE = len(VERSION) + COLUMNS * ROWS // 8


def sheet_print(gray: np.ndarray, corners: np.ndarray, modules: int) -> bytes | None:
    """The print of the sheet whose QR code has `corners` (TL, TR, BR, BL; page pixels) and `modules` per side.

    `gray` is the page at full resolution (uint8). None when the code is too
    small or degenerate to define a window.
    """
    corners = np.asarray(corners, dtype=np.float64).reshape(4, 2)
    if modules < 11 or cv2.contourArea(corners.astype(np.float32)) < (modules * 1.0) ** 2:
        return None
    window = _window(gray, corners, modules)
    ink = _ink(window)
    cells = cv2.resize(ink, (COLUMNS, ROWS), interpolation=cv2.INTER_AREA) > INK_THRESHOLD
    return VERSION + np.packbits(cells).tobytes()


def unpack(data: bytes) -> np.ndarray | None:
    """The bitmap (ROWS x COLUMNS, float32 0/1) of a stored print; None for another format."""
    if len(data) != SIZE or not data.startswith(VERSION):
        return None
    bits = np.unpackbits(np.frombuffer(data, dtype=np.uint8, offset=len(VERSION)))
    return bits[: ROWS * COLUMNS].reshape(ROWS, COLUMNS).astype(np.float32)


def _window(gray: np.ndarray, corners: np.ndarray, modules: int) -> np.ndarray:
    """The window above the code, upright, at `_PX_PER_MODULE` px per module (replicated beyond the page)."""
    n = float(modules)
    code = np.array([[0, 0], [n, 0], [n, n], [0, n]], dtype=np.float32)
    to_page = cv2.getPerspectiveTransform(code, corners.astype(np.float32)).astype(np.float64)
    x0, y0 = n / 2 - WINDOW_WIDTH / 2, -WINDOW_GAP - WINDOW_HEIGHT
    px = _PX_PER_MODULE
    out_to_modules = np.array([[1 / px, 0, x0], [0, 1 / px, y0], [0, 0, 1]])
    size = (WINDOW_WIDTH * px, WINDOW_HEIGHT * px)
    outline = np.array([[0, 0], [size[0], 0], [size[0], size[1]], [0, size[1]]], dtype=np.float64)
    on_page = cv2.perspectiveTransform(outline[None], to_page @ out_to_modules)[0]
    # work on the page crop under the window only, blurred against aliasing when it shrinks a lot
    height, width = gray.shape
    low = np.clip(np.floor(on_page.min(axis=0)) - 4, 0, [width - 1, height - 1]).astype(int)
    high = np.clip(np.ceil(on_page.max(axis=0)) + 4, low + 1, [width, height]).astype(int)
    crop = gray[low[1] : high[1], low[0] : high[0]]
    shift = np.array([[1, 0, -low[0]], [0, 1, -low[1]], [0, 0, 1]], dtype=np.float64)
    matrix = shift @ to_page @ out_to_modules
    page_px_per_module = np.sqrt(abs(np.linalg.det(to_page[:2, :2])))
    shrink = page_px_per_module / px
    if shrink > 1.5:
        crop = cv2.GaussianBlur(crop, (0, 0), 0.5 * shrink)
    return cv2.warpPerspective(
        crop, matrix, size, flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE
    )


def _ink(window: np.ndarray) -> np.ndarray:
    """Ink coverage 0..1: one minus each pixel over the local paper brightness (shadows evened out)."""
    pixels = window.astype(np.float32)
    k = 4 * _PX_PER_MODULE + 1
    paper = cv2.GaussianBlur(cv2.dilate(pixels, np.ones((k, k), np.uint8)), (0, 0), 2 * _PX_PER_MODULE)
    ink: np.ndarray = np.clip(1 - pixels / np.maximum(paper, 1), 0, 1)
    return ink
