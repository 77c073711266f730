"""`read_file`: bytes of any supported file in, the codes of each of its pages out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from testigo.read.decode import PageReading, read_page
from testigo.read.errors import UnusableInput
from testigo.read.images import load_pages
from testigo.read.sniff import describe_unsupported, sniff

#: Images above this many pixels are refused before decoding (a phone photo is 12-50).
DEFAULT_MAX_PIXELS = 80_000_000


@dataclass(frozen=True)
class FileReading:
    """The sniffed media type of a file and one reading per page, in page order."""

    media_type: str
    pages: tuple[PageReading, ...]


def read_file(data: bytes, accept: Callable[[str], bool], *, max_pixels: int = DEFAULT_MAX_PIXELS) -> FileReading:
    """Decode the QR codes on every page of `data`.

    `accept(text)` decides which decoded texts are payloads (for instance those
    the profile parses); it must be picklable when this runs in a worker
    process, so pass a module-level function or a `functools.partial` of one.
    A page that cannot be loaded gets a reason of its own; the file is
    unusable, and `UnusableInput` is raised, only when no page can be.
    """
    media_type = sniff(data)
    if media_type is None:
        raise UnusableInput(describe_unsupported(data))
    readings: list[PageReading] = []
    unloaded = 0
    for page in load_pages(data, media_type, max_pixels):
        if page.pixels is None:
            unloaded += 1
            readings.append(PageReading(page.index, reason=page.problem))
        else:
            readings.append(read_page(page.index, page.pixels, accept))
    if unloaded == len(readings):
        raise UnusableInput(str(readings[0].reason))
    return FileReading(media_type, tuple(readings))
