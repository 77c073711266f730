"""Phone-sized JPEG previews of stored files, so a mesa page does not cost a visitor a 6 MB photo.

Blobs never change (content-addressed), so a preview is computed once and
kept (a small LRU per app, keyed by the blob's SHA-256), and served as
immutable: a CDN keeps it forever. The drawing itself is
`testigo.read.previews.jpeg_preview`, shared with the published bundle:
pixels only, so no EXIF (GPS position, phone serial) of a witness's photo
ever reaches a public page.
"""

from __future__ import annotations

from functools import lru_cache

from testigo.read.previews import jpeg_preview
from testigo.store.blobs import Blobs

#: Media types a browser shows as they are (anything else is served only as a download).
BROWSER_IMAGES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"})


class Previews:
    """The previews of one blob store, the latest `size` drawn kept in memory.

    The cache lives with the app (in its state) and is keyed by the SHA-256
    alone, which names the blob's bytes: not by the store object, which need
    not be hashable (`Blobs` is a protocol) and would be kept alive by a
    module-level cache after its app is gone.
    """

    def __init__(self, blobs: Blobs, max_pixels: int, size: int = 128) -> None:
        @lru_cache(maxsize=size)
        def draw(sha256: str) -> bytes | None:
            return jpeg_preview(blobs.get(sha256), max_pixels)

        self._draw = draw

    def get(self, sha256: str) -> bytes | None:
        """The preview JPEG of a stored blob, or None if it cannot be drawn (the original stays downloadable)."""
        return self._draw(sha256)
