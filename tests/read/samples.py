"""Images for the read tests, made on the spot: QR codes, acta-like strips, every file format."""

from __future__ import annotations

import functools
import io
import struct
import zlib
from typing import Any

import cv2
import numpy as np
import pypdfium2 as pdfium
import segno
from PIL import Image, ImageDraw

from testigo.pipeline.decode import accepts
from tests.conftest import payload_for, small_mesas

URL = "https://example.org/acta/123"


#: What the pipeline counts as read: a payload the ve2024 profile recognises and parses.
accept = functools.partial(accepts, "ve2024")


def printed_figures(entry: dict[str, Any]) -> dict[str, int]:
    """What a simulated acta's print truly shows (its `truth.json` entry), by the layout's field names, the header
    codes left out."""
    printed = entry["printed"]
    figures = {f"card_{i:02d}": value for i, value in enumerate(printed["cards"], start=1)}
    figures.update({name: printed[name] for name in ("valid_votes", "null_votes", "total_votes")})
    return figures


def payloads(count: int) -> list[str]:
    """`count` distinct well-formed ve2024 payloads of registry mesas."""
    return [payload_for(mesa, gonzalez=200 + i) for i, mesa in enumerate(small_mesas(count))]


def qr(text: str, *, scale: int = 5, border: int = 4) -> np.ndarray:
    """The code for `text` as a grayscale array, `scale` pixels per module."""
    buffer = io.BytesIO()
    segno.make(text, error="m", micro=False).save(buffer, kind="png", scale=scale, border=border)
    return np.asarray(Image.open(buffer).convert("L"))


def strip(*codes: str, scale: int = 5, width: int = 630, height: int = 2400) -> np.ndarray:
    """An acta-like thermal strip: lines of text, then the codes stacked near the bottom."""
    page = Image.new("L", (width, height), 250)
    draw = ImageDraw.Draw(page)
    for line, y in enumerate(range(40, height - 420 * len(codes), 26)):
        draw.text((30, y), f"{line:02d} PSUV ........ {line * 37 % 997:4d}  ACTA DE ESCRUTINIO", fill=25)
    bottom = height - 60
    for text in reversed(codes):
        code = Image.fromarray(qr(text, scale=scale, border=0))
        bottom -= code.height
        page.paste(code, ((width - code.width) // 2, bottom))
        bottom -= 80
    return np.asarray(page)


def encode(gray: np.ndarray, fmt: str, **options: object) -> bytes:
    """`gray` saved by Pillow in `fmt` (RGB where the format wants colour)."""
    image = Image.fromarray(gray)
    if fmt in ("JPEG", "WEBP", "HEIF", "AVIF"):
        image = image.convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def multipage(pages: list[np.ndarray], fmt: str) -> bytes:
    """A multi-page TIFF or PDF of `pages`."""
    images = [Image.fromarray(page) for page in pages]
    buffer = io.BytesIO()
    options = {"resolution": 200.0} if fmt == "PDF" else {}
    images[0].save(buffer, fmt, save_all=True, append_images=images[1:], **options)
    return buffer.getvalue()


def blank_pdf(pages: int) -> bytes:
    """A PDF of `pages` empty letter-size pages."""
    document = pdfium.PdfDocument.new()
    for _ in range(pages):
        document.new_page(612, 792)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def encrypted_pdf() -> bytes:
    """A PDF whose standard security handler refuses the empty password."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
        b"<< /Filter /Standard /V 1 /R 2 /O <" + b"11" * 32 + b"> /U <" + b"22" * 32 + b"> /P -4 >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    ident = b"<" + b"33" * 16 + b">"
    out += b"trailer\n<< /Size %d /Root 1 0 R /Encrypt 4 0 R /ID [%s %s] >>\n" % (len(objects) + 1, ident, ident)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares `width` x `height` pixels but holds almost no data (a decompression bomb)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    body = chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body


def rotate(gray: np.ndarray, degrees: float) -> np.ndarray:
    """`gray` turned by `degrees` on a canvas that keeps every corner, padded with paper white."""
    height, width = gray.shape
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    size = (int(height * sin + width * cos), int(height * cos + width * sin))
    matrix[0, 2] += size[0] / 2 - width / 2
    matrix[1, 2] += size[1] / 2 - height / 2
    return cv2.warpAffine(gray, matrix, size, flags=cv2.INTER_LINEAR, borderValue=250)
