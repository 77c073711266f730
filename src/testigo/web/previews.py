"""Phone-sized JPEG previews of stored files, so a mesa page does not cost a visitor a 6 MB photo.

Blobs never change (content-addressed), so a preview is computed once per
process (small LRU) and served as immutable: a CDN keeps it forever. HEIC,
TIFF and PDF files, which browsers do not all show, get a preview too.
"""

from __future__ import annotations

import io
import warnings
from functools import lru_cache

import pypdfium2 as pdfium
from PIL import Image, ImageOps

from testigo.read import images as _images  # noqa: F401 - importing it registers the HEIF opener
from testigo.read import sniff
from testigo.store.blobs import BlobStore

#: Long side of a preview: enough to read the printed figures of an acta on a phone.
PREVIEW_SIDE = 1600
#: Media types a browser shows as they are (anything else is served only as a download).
BROWSER_IMAGES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"})


@lru_cache(maxsize=128)
def preview(blobs: BlobStore, sha256: str, max_pixels: int) -> bytes | None:
    """The preview JPEG of a blob, or None if it cannot be drawn (the original stays downloadable)."""
    data = blobs.get(sha256)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            image = _first_page(data, sniff(data))
            if image is None or image.width * image.height > max_pixels:
                return None
            image.draft("RGB", (PREVIEW_SIDE, PREVIEW_SIDE))
            image = ImageOps.exif_transpose(image).convert("RGB")
            image.thumbnail((PREVIEW_SIDE, PREVIEW_SIDE))
            out = io.BytesIO()
            image.save(out, "JPEG", quality=80, optimize=True)
            return out.getvalue()
    except Exception:  # noqa: BLE001 - a file the reader refused may not open here either
        return None


def _first_page(data: bytes, media_type: str | None) -> Image.Image | None:
    if media_type == "application/pdf":
        document = pdfium.PdfDocument(data)
        if not len(document):
            return None
        page = document[0]
        scale = PREVIEW_SIDE / max(page.get_size())  # rendered at preview size, whatever size the page declares
        return page.render(scale=scale).to_pil()
    if media_type is None or not media_type.startswith("image/"):
        return None
    return Image.open(io.BytesIO(data))
