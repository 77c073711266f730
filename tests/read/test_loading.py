"""Every supported format loads upright and decodes; every kind of bad input is refused with its reason."""

from __future__ import annotations

import io
import re
from functools import cache

import cv2
import numpy as np
import pytest
from PIL import Image, ImageOps

from testigo.read import FileReading, UnusableInput, read_file
from testigo.read.images import MAX_PAGES, load_pages
from tests.read.samples import (
    accept,
    blank_pdf,
    encode,
    encrypted_pdf,
    multipage,
    payloads,
    png_header_only,
    qr,
    strip,
)

[PAYLOAD, SECOND, THIRD] = payloads(3)
STRIP = strip(PAYLOAD)


def _read(data: bytes, **options: int) -> FileReading:
    return read_file(data, accept, **options)


@pytest.mark.parametrize(
    ("fmt", "media_type", "options"),
    [
        ("JPEG", "image/jpeg", {"quality": 85}),
        ("PNG", "image/png", {}),
        ("WEBP", "image/webp", {"quality": 90}),
        ("HEIF", "image/heic", {"quality": 90}),
        ("TIFF", "image/tiff", {"compression": "tiff_lzw"}),
        ("BMP", "image/bmp", {}),
        ("GIF", "image/gif", {}),
        ("PDF", "application/pdf", {"resolution": 200.0}),
    ],
)
def test_each_format_loads_and_its_code_is_read(fmt: str, media_type: str, options: dict[str, object]) -> None:
    reading = _read(encode(STRIP, fmt, **options))
    assert reading.media_type == media_type
    [page] = reading.pages
    assert page.payloads == (PAYLOAD,) and page.reason is None and page.strategy


def test_a_heic_photo_named_jpg_is_still_read_as_heic() -> None:
    """Nothing depends on a name: only bytes are given, and they say HEIC."""
    assert _read(encode(STRIP, "HEIF")).media_type == "image/heic"


@pytest.mark.parametrize("fmt", ["TIFF", "PDF"])
def test_every_page_of_a_multipage_file_is_read_in_order(fmt: str) -> None:
    reading = _read(multipage([strip(PAYLOAD), np.full((800, 600), 255, np.uint8), strip(SECOND)], fmt))
    assert [page.page for page in reading.pages] == [0, 1, 2]
    assert [page.payloads for page in reading.pages] == [(PAYLOAD,), (), (SECOND,)]
    assert reading.pages[1].reason == "no QR code found"


def test_a_truncated_later_tiff_page_is_reported_without_losing_the_earlier_ones() -> None:
    data = multipage([strip(PAYLOAD), strip(SECOND), strip(THIRD)], "TIFF")
    reading = _read(data[: len(data) - 60])  # cut into the last page's directory
    assert [page.payloads for page in reading.pages[:2]] == [(PAYLOAD,), (SECOND,)]
    assert reading.pages[2].payloads == ()
    assert (reading.pages[2].reason or "").startswith("truncated or corrupt TIFF image")


@pytest.mark.parametrize("orientation", [3, 6, 8])
@pytest.mark.parametrize("fmt", ["JPEG", "HEIF"])
def test_exif_orientation_is_applied(fmt: str, orientation: int) -> None:
    """A phone stores the strip sideways and says so in a tag; the page must come out upright."""
    stored = np.ascontiguousarray({3: np.rot90(STRIP, 2), 6: np.rot90(STRIP, 1), 8: np.rot90(STRIP, -1)}[orientation])
    exif = Image.Exif()
    exif[0x0112] = orientation
    reading = _read(encode(stored, fmt, exif=exif.tobytes(), quality=90))
    [page] = reading.pages
    assert page.payloads == (PAYLOAD,)
    assert page.strategy in ("full", "downscaled")  # upright: read by a plain pass


@pytest.mark.parametrize("orientation", range(1, 9))
def test_a_large_jpeg_is_turned_as_pillow_turns_it_at_full_and_half_size(orientation: int) -> None:
    """Large JPEGs are decoded by OpenCV, at half size first; every EXIF tag must turn both as Pillow's
    `exif_transpose` (the reference) does, flips included."""
    blocks = np.random.default_rng(orientation).integers(0, 2, (17, 24)).astype(np.uint8) * 255
    stored = np.kron(blocks, np.ones((100, 100), np.uint8))  # 1700 x 2400: above the half-size-first limit
    exif = Image.Exif()
    exif[0x0112] = orientation
    buffer = io.BytesIO()
    Image.fromarray(stored).convert("RGB").save(buffer, "JPEG", quality=95, exif=exif.tobytes())
    data = buffer.getvalue()
    expected = np.asarray(ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("L")).astype(int)
    [page] = load_pages(data, "image/jpeg", max_pixels=50_000_000)
    assert page.pixels is not None and page.pixels.shape == expected.shape
    assert np.abs(page.pixels.full.astype(int) - expected).mean() < 1
    half = cv2.resize(expected.astype(np.uint8), None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    assert page.pixels.half.shape == half.shape and np.abs(page.pixels.half.astype(int) - half).mean() < 4


def test_a_caller_that_needs_the_full_page_gets_a_large_jpeg_decoded_once_in_full() -> None:
    """`half_first` False: the full page as the default gives it, and the half averaged down from it (a reader
    of the print needs the full page whatever the QR code shows: the half-size decode would be a second one)."""
    stored = np.kron(np.random.default_rng(3).integers(0, 2, (17, 24)).astype(np.uint8) * 255, np.ones((100, 100)))
    buffer = io.BytesIO()
    Image.fromarray(stored.astype(np.uint8)).save(buffer, "JPEG", quality=90)
    data = buffer.getvalue()
    [halved] = load_pages(data, "image/jpeg", max_pixels=50_000_000)
    [whole] = load_pages(data, "image/jpeg", max_pixels=50_000_000, half_first=False)
    assert halved.pixels is not None and whole.pixels is not None
    assert "half" not in vars(whole.pixels)  # nothing decoded at half size, nor halved before it is asked for
    assert np.array_equal(whole.pixels.full, halved.pixels.full)
    averaged = cv2.resize(whole.pixels.full, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    assert np.array_equal(whole.pixels.half, averaged)
    assert np.abs(halved.pixels.half.astype(int) - averaged[: halved.pixels.half.shape[0]]).mean() < 2


@cache
def _mode_variants() -> dict[str, Image.Image]:
    code = qr(PAYLOAD)
    ink = code < 128
    rgba = np.zeros((*code.shape, 4), np.uint8)
    rgba[..., 3] = np.where(ink, 255, 0)  # black modules on a transparent background
    return {
        "cmyk": Image.fromarray(code).convert("CMYK"),
        "16-bit": Image.fromarray(code.astype(np.uint16) * 257),
        "12-bit in 16": Image.fromarray(code.astype(np.uint16) * 16),
        "rgba": Image.fromarray(rgba, "RGBA"),
        "la": Image.fromarray(rgba, "RGBA").convert("LA"),
        "palette": Image.fromarray(code).convert("P"),
        "bilevel": Image.fromarray(code).convert("1"),
    }


@pytest.mark.parametrize(
    ("variant", "fmt"),
    [(variant, fmt) for variant in _mode_variants() for fmt in ("TIFF", "PNG") if (variant, fmt) != ("cmyk", "PNG")],
)
def test_unusual_pixel_modes_are_converted_with_ink_dark(variant: str, fmt: str) -> None:
    image = _mode_variants()[variant]
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    assert _read(buffer.getvalue()).pages[0].payloads == (PAYLOAD,)


def test_cmyk_jpeg() -> None:
    buffer = io.BytesIO()
    Image.fromarray(qr(PAYLOAD)).convert("CMYK").save(buffer, "JPEG", quality=95)
    assert _read(buffer.getvalue()).pages[0].payloads == (PAYLOAD,)


def test_transparent_gif_palette() -> None:
    code = qr(PAYLOAD)
    image = Image.fromarray(np.where(code < 128, 1, 0).astype(np.uint8), "P")
    image.putpalette([255, 255, 255, 0, 0, 0])
    buffer = io.BytesIO()
    image.save(buffer, "GIF", transparency=0)
    assert _read(buffer.getvalue()).pages[0].payloads == (PAYLOAD,)


@cache
def _bad_inputs() -> dict[str, tuple[bytes, str]]:
    jpeg, png, pdf = encode(STRIP, "JPEG"), encode(STRIP, "PNG"), encode(STRIP, "PDF")
    return {
        "empty": (b"", "empty file (0 bytes)"),
        "text named .jpg": (b"mesa;votos\n1;120\n2;98\n", "not an image: looks like text"),
        "html error page": (b"<html><head><title>403</title></head></html>", "not an image: looks like an HTML page"),
        "truncated jpeg": (jpeg[: len(jpeg) // 2], "truncated or corrupt JPEG image"),
        "jpeg header only": (jpeg[:300], "truncated or corrupt JPEG image"),
        "truncated png": (png[: len(png) // 2], "truncated or corrupt PNG image"),
        "corrupt png header": (png[:16] + b"\xff" * 64, "truncated or corrupt PNG image"),
        "truncated webp": (encode(STRIP, "WEBP")[:400], "truncated or corrupt WEBP image"),
        "truncated heic": (encode(STRIP, "HEIF")[:400], "truncated or corrupt HEIC image"),
        "bomb": (
            png_header_only(10_000, 10_000),
            "image too large: 10000x10000 pixels (100 megapixels), above the limit of 80 megapixels",
        ),
        "huge bomb": (
            png_header_only(40_000, 40_000),
            "image too large: its declared size is far above the limit of 80 megapixels",
        ),
        "corrupt pdf": (b"%PDF-1.7\n" + b"\x00garbage" * 50, "corrupt PDF"),
        "truncated pdf": (pdf[: len(pdf) // 3], "corrupt PDF"),
        "encrypted pdf": (encrypted_pdf(), "encrypted PDF: it needs a password to open"),
        "too many pdf pages": (blank_pdf(MAX_PAGES + 1), f"PDF has more than {MAX_PAGES} pages"),
        "too many tiff pages": (
            multipage([np.full((8, 8), 255, np.uint8)] * (MAX_PAGES + 1), "TIFF"),
            f"TIFF has more than {MAX_PAGES} pages",
        ),
    }


@pytest.mark.parametrize("case", list(_bad_inputs()))
def test_bad_input_raises_unusable_input_with_its_reason(case: str) -> None:
    data, reason = _bad_inputs()[case]
    with pytest.raises(UnusableInput) as raised:
        _read(data)
    message = str(raised.value)
    assert message.startswith(reason)
    assert "\n" not in message and not re.search(r"0x[0-9a-f]{6}", message)  # one line, no memory addresses


def test_the_pixel_limit_is_the_callers() -> None:
    with pytest.raises(UnusableInput, match=r"630x2400 pixels \(1.51 megapixels\), above the limit of 1 megapixels"):
        _read(encode(STRIP, "PNG"), max_pixels=1_000_000)
    assert _read(encode(STRIP, "PNG"), max_pixels=2_000_000).pages[0].payloads == (PAYLOAD,)


def test_a_huge_pdf_page_is_rendered_smaller_instead_of_refused() -> None:
    reading = _read(encode(STRIP, "PDF", resolution=20.0), max_pixels=2_000_000)  # a 31 x 120 inch page
    assert reading.pages[0].payloads == (PAYLOAD,)
