"""File types are recognised by their bytes, and what is no image is named in the reason."""

from __future__ import annotations

import numpy as np
import pytest

from testigo.read import sniff
from testigo.read.sniff import describe_unsupported
from tests.read.samples import encode, qr

CODE = qr("sniff")


@pytest.mark.parametrize(
    ("fmt", "media_type"),
    [
        ("JPEG", "image/jpeg"),
        ("PNG", "image/png"),
        ("GIF", "image/gif"),
        ("BMP", "image/bmp"),
        ("TIFF", "image/tiff"),
        ("WEBP", "image/webp"),
        ("HEIF", "image/heic"),
        ("PDF", "application/pdf"),
    ],
)
def test_each_format_is_recognised_by_its_bytes(fmt: str, media_type: str) -> None:
    assert sniff(encode(CODE, fmt)) == media_type


def test_avif_is_recognised() -> None:
    pytest.importorskip("PIL.AvifImagePlugin")
    assert sniff(encode(CODE, "AVIF")) == "image/avif"


def test_heif_with_generic_major_brand_is_found_among_compatible_brands() -> None:
    box = b"\x00\x00\x00\x18ftypmif2\x00\x00\x00\x00mif1heic"
    assert sniff(box + b"\x00" * 16) == "image/heif"


def test_pdf_header_after_leading_junk() -> None:
    assert sniff(b"\r\n\x00junk" + encode(CODE, "PDF")) == "application/pdf"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file (0 bytes)"),
        (b"mesa 1: 120 votos\nmesa 2: 98 votos\n", "not an image: looks like text"),
        (b"<!DOCTYPE html><html><head>", "not an image: looks like an HTML page (a failed download?)"),
        (b"PK\x03\x04\x14\x00" + b"\x00" * 40, "not an image: looks like a zip archive (or an Office document)"),
        (b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp41", "not an image: an ISO media file of brand 'mp42' (a video?)"),
        (bytes(range(7, 200)), "not an image: unrecognised format (starts with 07 08 09 0a 0b 0c 0d 0e)"),
    ],
)
def test_what_is_not_an_image_is_described(data: bytes, reason: str) -> None:
    assert sniff(data) is None
    assert describe_unsupported(data) == reason


def test_random_bytes_are_not_an_image() -> None:
    data = np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8).tobytes()
    data = b"\x01" + data  # no signature can start with this byte
    assert sniff(data) is None
    assert describe_unsupported(data).startswith("not an image: unrecognised format")
