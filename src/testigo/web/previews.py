"""Phone-sized JPEG previews of stored files, so a mesa page does not cost a visitor a 6 MB photo.

Blobs never change (content-addressed), so a preview is computed once per
process (small LRU) and served as immutable: a CDN keeps it forever. The
drawing itself is `testigo.read.previews.jpeg_preview`, shared with the
published bundle: pixels only, so no EXIF (GPS position, phone serial) of a
witness's photo ever reaches a public page.
"""

from __future__ import annotations

from functools import lru_cache

from testigo.read.previews import jpeg_preview
from testigo.store.blobs import BlobStore

#: Media types a browser shows as they are (anything else is served only as a download).
BROWSER_IMAGES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"})


@lru_cache(maxsize=128)
def preview(blobs: BlobStore, sha256: str, max_pixels: int) -> bytes | None:
    """The preview JPEG of a blob, or None if it cannot be drawn (the original stays downloadable)."""
    return jpeg_preview(blobs.get(sha256), max_pixels)
