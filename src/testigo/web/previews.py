"""Phone-sized JPEG previews of stored files, so a mesa page does not cost a visitor a 6 MB photo; and the
full-resolution re-encodes reviewers read sheets from.

Reviewers never need an original (whose EXIF may hold the witness's GPS
position and the phone's serial): they read a sheet from `Previews.full`, the
same pixels at full resolution (up to `FULL_SIDE`), re-encoded without any
metadata, which their pages zoom into. Originals are for admins only, and
every fetch of one is recorded (`testigo.web.routes.public`).

Blobs never change (content-addressed), so a preview is computed once and
kept (a small LRU per app, keyed by the blob's SHA-256), and served as
immutable: a CDN keeps it forever. The drawing itself is
`testigo.read.previews.jpeg_preview`, shared with the published bundle:
pixels only, so no EXIF (GPS position, phone serial) of a witness's photo
ever reaches a public page.
"""

from __future__ import annotations

import io
import warnings
from functools import lru_cache

from PIL import Image, ImageOps

from testigo.read import sniff
from testigo.read.previews import jpeg_preview
from testigo.store.blobs import Blobs

#: Media types a browser shows as they are (anything else is served only as a download).
BROWSER_IMAGES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"})
#: Long side of a reviewer's full-resolution re-encode: a 12-megapixel phone photo (4000 × 3000) keeps every pixel.
FULL_SIDE = 4096
FULL_QUALITY = 90


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

    def __init__(self, blobs: Blobs, max_pixels: int, size: int = 128, full_size: int = 16) -> None:
        @lru_cache(maxsize=size)
        def draw(sha256: str) -> bytes | None:
            return jpeg_preview(blobs.get(sha256), max_pixels)

        @lru_cache(maxsize=full_size)  # a few MB each: only the sheets being reviewed right now
        def draw_full(sha256: str) -> bytes | None:
            return full_jpeg(blobs.get(sha256), max_pixels)

        self._draw = draw
        self._draw_full = draw_full

    def full(self, sha256: str) -> bytes | None:
        """The full-resolution, metadata-free JPEG reviewers read a sheet from, or None if it cannot be drawn."""
        return self._draw_full(sha256)

    def get(self, sha256: str) -> bytes | None:
        """The preview JPEG of a stored blob, or None if it cannot be drawn (the original stays downloadable)."""
        return self._draw(sha256)
