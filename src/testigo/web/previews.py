"""Phone-sized JPEG previews of stored files, so a mesa page does not cost a visitor a 6 MB photo; and the
full-resolution re-encodes reviewers read sheets from.

Reviewers never need an original (whose EXIF may hold the witness's GPS
position and the phone's serial): they read a sheet from `Previews.full`, the
same pixels at full resolution (up to `FULL_SIDE`), re-encoded without any
metadata, which their pages zoom into, and the printed cells of a sheet whose
print was read from `Previews.cells`, cut from the page the reader read.
Originals are for admins only, and every fetch of one is recorded
(`testigo.web.routes.public`).

Blobs never change (content-addressed), so a preview is computed once and
kept (a small LRU per app, keyed by the blob's SHA-256), and served as
immutable: a CDN keeps it forever. The drawing itself is
`testigo.read.previews.jpeg_preview`, shared with the published bundle:
pixels only, so no EXIF (GPS position, phone serial) of a witness's photo
ever reaches a public page.
"""

from __future__ import annotations

import io
import math
import warnings
from collections.abc import Mapping
from functools import lru_cache

import cv2
import numpy as np
from PIL import Image, ImageOps

from testigo.domain.printed import Quad
from testigo.read import sniff
from testigo.read.errors import UnusableInput
from testigo.read.images import load_pages
from testigo.read.previews import jpeg_preview
from testigo.store.blobs import Blobs

#: Media types a browser shows as they are (anything else is served only as a download).
BROWSER_IMAGES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"})
#: Long side of a reviewer's full-resolution re-encode: a 12-megapixel phone photo (4000 × 3000) keeps every pixel.
FULL_SIDE = 4096
FULL_QUALITY = 90
#: Margin around a printed cell, in heights of its box: the whole figure shows even where the box is a little off.
CELL_MARGIN = 0.35
#: Tallest crop of a cell, in pixels (a cell is about 40 on a 12-megapixel photo; a 600-dpi scan's is bigger).
CELL_HEIGHT = 96


def cell_jpegs(data: bytes, page: int, quads: Mapping[str, Quad], max_pixels: int) -> dict[str, bytes]:
    """The printed cell of each field, cut from the page of the file the print reader read, as JPEGs.

    The quads are in that page's pixels (upright, a PDF page rendered as the
    reader renders it), so the page is loaded exactly as the reader loads it.
    Each crop follows its box — a tilted photo gives an upright cell — with a
    margin, and carries pixels only. A file or page that cannot be loaded
    gives none.
    """
    media_type = sniff(data)
    if media_type is None or not quads:
        return {}
    try:
        gray = next(
            (
                p.pixels.full
                for p in load_pages(data, media_type, max_pixels, half_first=False)
                if p.index == page and p.pixels
            ),
            None,
        )
    except UnusableInput:
        return {}
    if gray is None:
        return {}
    return {name: _cell(gray, quad) for name, quad in quads.items() if len(quad) == 4}


def _cell(gray: np.ndarray, quad: Quad) -> bytes:
    """One box (corners top-left, top-right, bottom-right, bottom-left) warped upright with its margin, as JPEG."""
    tl, tr, br, bl = (np.array(point, dtype=np.float64) for point in quad)
    width = max(1.0, float(np.linalg.norm(tr - tl)))
    height = max(1.0, float(np.linalg.norm(bl - tl)))
    along, across = (tr - tl) / width, (bl - tl) / height
    pad = CELL_MARGIN * height
    corners = [tl - pad * (along + across), tr + pad * (along - across), br + pad * (along + across)]
    scale = min(1.0, CELL_HEIGHT / (height + 2 * pad))
    size = (max(1, math.ceil((width + 2 * pad) * scale)), max(1, math.ceil((height + 2 * pad) * scale)))
    target = np.array([[0, 0], [size[0], 0], [size[0], size[1]]], dtype=np.float32)
    warp = cv2.getAffineTransform(np.array(corners, dtype=np.float32), target)
    cut = cv2.warpAffine(gray, warp, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    out = io.BytesIO()
    Image.fromarray(cut).save(out, "JPEG", quality=FULL_QUALITY)
    return out.getvalue()


def full_jpeg(data: bytes, max_pixels: int) -> bytes | None:
    """The file's first page as a JPEG of (nearly) full resolution, pixels only; None if it cannot be drawn.

    A PDF gives its preview (rendered at preview size). Orientation is applied
    from the EXIF before the EXIF is dropped, so the sheet stands upright.
    """
    media_type = sniff(data)
    if media_type is None or not media_type.startswith("image/"):
        return jpeg_preview(data, max_pixels)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            opened = Image.open(io.BytesIO(data))
            if opened.width * opened.height > max_pixels:
                return None
            image = ImageOps.exif_transpose(opened).convert("RGB")
            image.thumbnail((FULL_SIDE, FULL_SIDE))
            clean = Image.new("RGB", image.size)  # pixels only: nothing of the original's metadata travels
            clean.paste(image)
            out = io.BytesIO()
            clean.save(out, "JPEG", quality=FULL_QUALITY, optimize=True)
            return out.getvalue()
    except Exception:  # noqa: BLE001 - a file the reader refused may not open here either
        return None


class Previews:
    """The previews of one blob store, the latest `size` drawn kept in memory.

    The cache lives with the app (in its state) and is keyed by the SHA-256
    alone, which names the blob's bytes: not by the store object, which need
    not be hashable (`Blobs` is a protocol) and would be kept alive by a
    module-level cache after its app is gone.
    """

    def __init__(
        self, blobs: Blobs, max_pixels: int, size: int = 128, full_size: int = 16, cells_size: int = 64
    ) -> None:
        @lru_cache(maxsize=size)
        def draw(sha256: str) -> bytes | None:
            return jpeg_preview(blobs.get(sha256), max_pixels)

        @lru_cache(maxsize=full_size)  # a few MB each: only the sheets being reviewed right now
        def draw_full(sha256: str) -> bytes | None:
            return full_jpeg(blobs.get(sha256), max_pixels)

        @lru_cache(maxsize=cells_size)  # every cell of a sheet cut at once: its page is loaded once, not 41 times
        def draw_cells(sha256: str, page: int, quads: tuple[tuple[str, Quad], ...]) -> Mapping[str, bytes]:
            return cell_jpegs(blobs.get(sha256), page, dict(quads), max_pixels)

        self._draw = draw
        self._draw_full = draw_full
        self._draw_cells = draw_cells

    def full(self, sha256: str) -> bytes | None:
        """The full-resolution, metadata-free JPEG reviewers read a sheet from, or None if it cannot be drawn."""
        return self._draw_full(sha256)

    def cells(self, sha256: str, page: int, quads: Mapping[str, Quad]) -> Mapping[str, bytes]:
        """The printed cell of each field of page `page` of a stored file, by field (see `cell_jpegs`)."""
        return self._draw_cells(sha256, page, tuple(sorted(quads.items())))

    def get(self, sha256: str) -> bytes | None:
        """The preview JPEG of a stored blob, or None if it cannot be drawn (the original stays downloadable)."""
        return self._draw(sha256)
