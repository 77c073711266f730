"""A browser-displayable JPEG of a stored original (HEIC, TIFF, PDF... which browsers do not all show).

A pure function of the original's bytes, so the published bundle and the web
application can draw the same preview. Only pixels are written: no EXIF (a
phone photo's EXIF can carry where and when it was taken, and by which
device), no ICC profile, no comment. The preview is for looking; the
original stays the verified artifact.
"""

from __future__ import annotations

import io
import warnings

import pypdfium2 as pdfium
from PIL import Image, ImageOps

from testigo.read import images as _images  # noqa: F401 - importing it registers the HEIF opener
from testigo.read.reader import DEFAULT_MAX_PIXELS
from testigo.read.sniff import sniff

#: Long side of a preview: enough to read the printed figures of an acta on a phone.
PREVIEW_SIDE = 1600
#: JPEG quality of a preview.
PREVIEW_QUALITY = 80


def jpeg_preview(data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS) -> bytes | None:
    """The preview JPEG of a file's first page, or None if it cannot be drawn (the original stays downloadable)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            image = _first_page(data, sniff(data))
            if image is None or image.width * image.height > max_pixels:
                return None
            image.draft("RGB", (PREVIEW_SIDE, PREVIEW_SIDE))
            image = ImageOps.exif_transpose(image).convert("RGB")
            image.thumbnail((PREVIEW_SIDE, PREVIEW_SIDE))
            clean = Image.new("RGB", image.size)  # pixels only: nothing of the original's metadata travels
            clean.paste(image)
            out = io.BytesIO()
            clean.save(out, "JPEG", quality=PREVIEW_QUALITY, optimize=True)
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
        rendered: Image.Image = page.render(scale=scale).to_pil()
        return rendered
    if media_type is None or not media_type.startswith("image/"):
        return None
    return Image.open(io.BytesIO(data))
