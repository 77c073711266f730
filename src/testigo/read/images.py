"""Turning the bytes of an image or PDF file into upright 8-bit grayscale pages.

Everything downstream works on one representation, a 2-D ``uint8`` array with
dark ink on light paper as it appears to a person, so the oddities of formats
are dealt with here once: EXIF orientation (phones store photos sideways and
say so in a tag), CMYK, 16-bit and float samples, transparency (composited on
white, or a transparent background would turn black), palettes, multi-page
TIFF and PDF.

Size is checked from the header, before any pixel is decoded, because a small
file can declare an enormous image (a decompression bomb) that would exhaust a
worker's memory. Loading is lazy, one page at a time, so a 200-page PDF never
holds more than one rendered page.
"""

from __future__ import annotations

import io
import math
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property, partial

import cv2
import numpy as np
import pillow_heif
import pypdfium2 as pdfium
from PIL import Image, UnidentifiedImageError

from testigo.read.errors import UnusableInput

pillow_heif.register_heif_opener()

#: Pages read from one file at most. A file with more is refused rather than
#: read in part: a silent cut-off would lose actas without anyone noticing.
MAX_PAGES = 200
#: JPEGs with a long side above this many pixels are decoded at half size first.
HALF_FIRST_ABOVE = 1600
#: Resolution PDF pages are rendered at: a 200-dpi scan of an acta gives QR
#: modules of about 5 pixels, comfortably above what the decoder needs.
PDF_DPI = 200

#: Pillow plugins allowed for each sniffed type, so that a file is only ever
#: parsed by the decoder of the format its bytes announce.
_PIL_FORMATS: dict[str, tuple[str, ...]] = {
    "image/jpeg": ("JPEG", "MPO"),
    "image/png": ("PNG",),
    "image/gif": ("GIF",),
    "image/bmp": ("BMP", "DIB"),
    "image/tiff": ("TIFF",),
    "image/webp": ("WEBP",),
    "image/heic": ("HEIF",),
    "image/heic-sequence": ("HEIF",),
    "image/heif": ("HEIF",),
    "image/heif-sequence": ("HEIF",),
    "image/avif": ("AVIF", "HEIF"),
}
#: Formats whose extra frames are further pages. In the others they are not:
#: an MPO photo's second frame is a depth map, a GIF's an animation step.
_MULTI_PAGE = {"TIFF"}
#: High-bit-depth modes that Pillow would clip, not scale, when converting to 8 bits.
_WIDE_MODES = {"I", "I;16", "I;16L", "I;16B", "I;16N", "F"}
_EXIF_ORIENTATION = 0x0112
#: What each EXIF orientation needs to stand upright, on an array whose rows are y (as Pillow's `exif_transpose`).
_ORIENTATION_TURN: dict[int, Callable[[np.ndarray], np.ndarray]] = {
    2: np.fliplr,
    3: lambda a: np.rot90(a, 2),
    4: np.flipud,
    5: np.transpose,
    6: lambda a: np.rot90(a, -1),
    7: lambda a: np.rot90(a, 2).T,
    8: lambda a: np.rot90(a, 1),
}


class Pixels:
    """A page as upright grayscale at full and at half resolution, each made when first asked for.

    A large JPEG is first decoded at half size, which libjpeg does in about
    half the time by scaling in the DCT domain; the full image is decoded
    only if the cascade gets past its half-size pass. Other pages, and every
    page of a caller that needs them in full anyway (`load_pages`'
    ``half_first``), are given in full and halved on demand.
    """

    def __init__(self, shape: tuple[int, int], full: Callable[[], np.ndarray], half: np.ndarray | None = None) -> None:
        self.shape = shape
        self._full = full
        if half is not None:
            self.half = half  # takes the place of the cached property below

    @classmethod
    def of(cls, gray: np.ndarray) -> Pixels:
        """Pixels of an image already decoded in full."""
        return cls((gray.shape[0], gray.shape[1]), lambda: gray)

    @property
    def long_side(self) -> int:
        return max(self.shape)

    @cached_property
    def full(self) -> np.ndarray:
        return self._full()

    @cached_property
    def half(self) -> np.ndarray:
        return cv2.resize(self.full, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)


@dataclass(frozen=True)
class Page:
    """One page of a file: its pixels, or why this page (only) could not be loaded."""

    index: int
    pixels: Pixels | None
    problem: str | None = None


def load_pages(data: bytes, media_type: str, max_pixels: int, *, half_first: bool = True) -> Iterator[Page]:
    """Yield the pages of a sniffed file in order, as upright grayscale.

    Raises `UnusableInput` when the file as a whole cannot be opened (corrupt
    header, encrypted PDF, too many pages); a page that fails on its own is
    yielded with its `problem` so that the other pages still count.

    `half_first` False is for a caller that needs every page in full
    whatever its QR code shows (one that reads the print, or cuts cells out
    of it): a large JPEG is then decoded once, in full, and halved by
    averaging when the half is asked for. Decoded at half size first, a
    12-megapixel photo cost 13 ms of CPU for the half and 17 for the full,
    where averaging the full one down takes under 1 ms.
    """
    if media_type == "application/pdf":
        yield from _pdf_pages(data, max_pixels)
    else:
        yield from _raster_pages(data, media_type, max_pixels, half_first)


def _raster_pages(data: bytes, media_type: str, max_pixels: int, half_first: bool) -> Iterator[Page]:
    label = media_type.removeprefix("image/").split("-")[0].upper()
    with _parsing(label, max_pixels):
        image = Image.open(io.BytesIO(data), formats=_PIL_FORMATS[media_type])
    with image:
        pages, broken = _frames(image, label, max_pixels) if image.format in _MULTI_PAGE else (1, None)
        for index in range(pages):
            try:
                with _parsing(label, max_pixels):
                    pixels = _raster_page(image, index, max_pixels, data, half_first)
            except UnusableInput as error:
                yield Page(index, None, str(error))
            else:
                yield Page(index, pixels)
        if broken is not None:
            yield Page(pages, None, broken)


def _frames(image: Image.Image, label: str, max_pixels: int) -> tuple[int, str | None]:
    """How many frames have a readable header, and what is wrong with the next one, if anything.

    Pillow's own count gives up on the whole file at the first broken frame
    (a multi-page scan cut short in transfer); counting by hand keeps the
    frames before it. A warning while reading a further frame's directory
    marks it broken: libtiff would otherwise hand back the previous frame's
    pixels for it, so a page would repeat another.
    """
    for count in range(MAX_PAGES + 1):
        try:
            with _parsing(label, max_pixels, strict=count > 0):
                try:
                    image.seek(count)
                except EOFError:
                    return count, None
        except UnusableInput as error:
            if count == 0:
                raise
            return count, str(error)
    raise _too_many_pages(label)


def _raster_page(image: Image.Image, index: int, max_pixels: int, data: bytes, half_first: bool) -> Pixels:
    """Frame `index` of an open image as upright grayscale pixels (a large JPEG at half size first if
    `half_first`)."""
    image.seek(index)
    width, height = image.size
    if width * height > max_pixels:
        raise UnusableInput(
            f"image too large: {width}x{height} pixels ({width * height / 1e6:.3g} megapixels), "
            f"above the limit of {max_pixels / 1e6:.3g} megapixels"
        )
    if image.format in ("JPEG", "MPO") and image.mode in ("L", "RGB"):
        orientation = _orientation(image)
        if half_first and max(width, height) > HALF_FIRST_ABOVE:
            # the half-size decode reads the whole stream, so a damaged file fails here, not later
            half = _jpeg_gray(data, orientation, half=True)
            return Pixels(_upright_shape(orientation, (height, width)), partial(_jpeg_gray, data, orientation), half)
        return Pixels.of(_jpeg_gray(data, orientation))
    return Pixels.of(_decode(image))


def _jpeg_gray(data: bytes, orientation: int, half: bool = False) -> np.ndarray:
    """A grayscale or YCbCr JPEG's luminance, upright, decoded by OpenCV's libjpeg-turbo (at half size if `half`).

    Why not Pillow, which parsed the header: OpenCV decodes straight into an
    array, with the chroma planes skipped and the DCT scaled as Pillow's draft
    mode does, but in 12 ms instead of 20 for a 12-megapixel phone photo — the
    largest cost of reading one. Like Pillow it refuses a truncated stream;
    it is more lenient with corrupt bytes inside one (decoding what it can),
    which is harmless: only a QR code that decodes to a valid payload counts.
    CMYK JPEGs stay with Pillow, which knows Adobe's inverted ink.
    """
    flags = cv2.IMREAD_IGNORE_ORIENTATION | (cv2.IMREAD_REDUCED_GRAYSCALE_2 if half else cv2.IMREAD_GRAYSCALE)
    gray = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), flags)
    if gray is None:
        raise UnusableInput("truncated or corrupt JPEG image (the image data cannot be decoded)")
    return _upright(gray, orientation)


def _upright(gray: np.ndarray, orientation: int) -> np.ndarray:
    turn = _ORIENTATION_TURN.get(orientation)
    return gray if turn is None else np.ascontiguousarray(turn(gray))


def _orientation(image: Image.Image) -> int:
    return int(image.getexif().get(_EXIF_ORIENTATION, 1))


def _decode(image: Image.Image) -> np.ndarray:
    """The current frame as upright 8-bit grayscale (JPEGs reach here only when CMYK: see `_jpeg_gray`)."""
    gray = _to_gray(image)
    # read after decoding: decoders that apply the orientation themselves (libtiff, libheif) then drop the tag
    return _upright(np.asarray(gray), _orientation(image))


def _upright_shape(orientation: int, shape: tuple[int, int]) -> tuple[int, int]:
    """`shape` (height, width) once the EXIF `orientation` is applied: swapped by the quarter turns."""
    return (shape[1], shape[0]) if orientation in (5, 6, 7, 8) else shape


@contextmanager
def _parsing(label: str, max_pixels: int, *, strict: bool = False) -> Iterator[None]:
    """Run a step of Pillow's parsing, turning whatever hostile bytes make it raise into `UnusableInput`.

    Pillow's warnings ("corrupt EXIF data") are silenced, since a damaged tag
    that does not stop decoding is no reason to refuse a photo, unless
    `strict`, when they count as errors. Its decompression-bomb warning is
    always silenced: the size is checked against our own limit.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error" if strict else "ignore")
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            yield
        except UnusableInput:
            raise
        except Image.DecompressionBombError:
            raise UnusableInput(
                f"image too large: its declared size is far above the limit of {max_pixels / 1e6:.3g} megapixels"
            ) from None
        except UnidentifiedImageError:
            raise UnusableInput(f"truncated or corrupt {label} image (header not recognised)") from None
        except Exception as error:  # noqa: BLE001 - any parser step can fail on hostile bytes
            raise UnusableInput(f"truncated or corrupt {label} image ({_one_line(error)})") from None


def _to_gray(image: Image.Image) -> Image.Image:
    """An 8-bit luminance copy of any Pillow mode, with ink dark and paper light."""
    if image.mode in _WIDE_MODES:
        samples = np.asarray(image, dtype=np.float32)
        low, high = float(samples.min()), float(samples.max())
        scaled = (samples - low) * (255.0 / (high - low)) if high > low else np.zeros_like(samples)
        return Image.fromarray(scaled.astype(np.uint8))
    if image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("L")
    if image.mode in ("L", "1", "P", "RGB", "CMYK", "YCbCr"):
        return image.convert("L")
    return image.convert("RGB").convert("L")  # LAB, HSV and other rarities


def _pdf_pages(data: bytes, max_pixels: int) -> Iterator[Page]:
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as error:
        if "password" in str(error).lower():
            raise UnusableInput("encrypted PDF: it needs a password to open") from None
        raise UnusableInput(f"corrupt PDF: {_one_line(error)}") from None
    try:
        pages = len(document)
        if pages == 0:
            raise UnusableInput("PDF has no pages")
        if pages > MAX_PAGES:
            raise _too_many_pages("PDF")
        for index in range(pages):
            yield _pdf_page(document, index, max_pixels)
    finally:
        document.close()


def _pdf_page(document: pdfium.PdfDocument, index: int, max_pixels: int) -> Page:
    """Render one page at `PDF_DPI`, or lower when that would exceed `max_pixels`.

    A PDF page is vector data, so unlike a raster image its size in pixels is
    ours to choose: a huge page is rendered smaller instead of being refused.
    """
    try:
        page = document[index]
        try:
            width_pt, height_pt = page.get_size()
            scale = PDF_DPI / 72
            if width_pt * height_pt * scale * scale > max_pixels:
                scale = math.sqrt(max_pixels / (width_pt * height_pt)) * 0.999
            bitmap = page.render(scale=scale, grayscale=True)
            gray = np.array(bitmap.to_numpy()).reshape(bitmap.height, bitmap.width)
        finally:
            page.close()
    except pdfium.PdfiumError as error:
        return Page(index, None, f"corrupt PDF page: {_one_line(error)}")
    return Page(index, Pixels.of(gray))


def _too_many_pages(label: str) -> UnusableInput:
    return UnusableInput(
        f"{label} has more than {MAX_PAGES} pages, the most read from one file; split it into smaller files"
    )


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text[:160]
