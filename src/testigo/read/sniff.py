"""What a file is, from its first bytes, never from its name.

Volunteers upload whatever their phone or scanner produced, often renamed by a
messaging app (a HEIC photo called ``acta.jpg``, an HTML error page saved as
``acta.png`` by a scraper). Trusting the bytes instead of the name is what lets
each file be opened by the right decoder, and lets the ones that are no image
at all be refused with a reason a person understands.
"""

from __future__ import annotations

#: ISO base media ("ftyp") brands of the HEIF family that phones write.
_HEIF_BRANDS = {
    b"heic": "image/heic",
    b"heix": "image/heic",
    b"heim": "image/heic",
    b"heis": "image/heic",
    b"hevc": "image/heic-sequence",
    b"hevx": "image/heic-sequence",
    b"mif1": "image/heif",
    b"msf1": "image/heif-sequence",
    b"avif": "image/avif",
    b"avis": "image/avif",
}

#: Fixed signatures at offset 0, longest first where one is a prefix of another.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"II+\x00", "image/tiff"),  # BigTIFF
    (b"MM\x00+", "image/tiff"),
    (b"BM", "image/bmp"),
)

#: Non-image formats people upload by mistake, named in the refusal.
_KNOWN_OTHERS: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "a zip archive (or an Office document)"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\xd0\xcf\x11\xe0", "an old Office document"),
    (b"\x00\x00\x00\x0cjP  ", "a JPEG 2000 image, which is not supported"),
)

#: The PDF header may legally follow some junk; readers look in the first KiB.
_PDF_WINDOW = 1024


def sniff(data: bytes) -> str | None:
    """The media type of `data` (``image/jpeg``, ``application/pdf``, ...) or None if not a supported one."""
    for signature, media_type in _SIGNATURES:
        if data.startswith(signature):
            return media_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp":
        return _HEIF_BRANDS.get(data[8:12]) or _compatible_heif(data)
    if b"%PDF-" in data[:_PDF_WINDOW]:
        return "application/pdf"
    return None


def describe_unsupported(data: bytes) -> str:
    """A one-line reason why `data`, which `sniff` did not recognise, is not an image."""
    if not data:
        return "empty file (0 bytes)"
    for signature, what in _KNOWN_OTHERS:
        if data.startswith(signature):
            return f"not an image: looks like {what}"
    head = data[:4096]
    if data[4:8] == b"ftyp":
        return f"not an image: an ISO media file of brand {head[8:12].decode('latin-1')!r} (a video?)"
    text = _as_text(head)
    if text is not None:
        lowered = text.lstrip().lower()
        if lowered.startswith(("<!doctype html", "<html")) or "<head" in lowered[:512]:
            return "not an image: looks like an HTML page (a failed download?)"
        if lowered.startswith("<?xml") or lowered.startswith("<svg"):
            return "not an image: looks like XML/SVG"
        return "not an image: looks like text"
    return f"not an image: unrecognised format (starts with {head[:8].hex(' ')})"


def _compatible_heif(data: bytes) -> str | None:
    """HEIF files whose major brand is generic list the real one among the compatible brands."""
    box_size = int.from_bytes(data[0:4], "big")
    brands = data[16 : min(box_size, 256)]
    for i in range(0, len(brands) - 3, 4):
        media_type = _HEIF_BRANDS.get(brands[i : i + 4])
        if media_type is not None:
            return media_type
    return None


def _as_text(head: bytes) -> str | None:
    """`head` decoded when it is mostly printable text (UTF-8 or UTF-16 with BOM), else None."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", errors="replace")
    text = head.decode("utf-8", errors="replace")
    if not text:
        return None
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
    return text if printable / len(text) > 0.95 else None
