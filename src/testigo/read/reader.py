"""`read_file`: bytes of any supported file in, the codes of each of its pages out."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial

import numpy as np

from testigo.domain.layout import SheetLayout
from testigo.read.decode import PageReading, read_page
from testigo.read.errors import UnusableInput
from testigo.read.images import load_pages
from testigo.read.ocr import OcrModelError
from testigo.read.printed.figures import rescue
from testigo.read.printed.reading import PageFrames, PrintNotRead, PrintReading, read_print
from testigo.read.sniff import describe_unsupported, sniff

#: Images above this many pixels are refused before decoding (a phone photo is 12-50).
DEFAULT_MAX_PIXELS = 80_000_000


@dataclass(frozen=True)
class FileReading:
    """The sniffed media type of a file and one reading per page, in page order."""

    media_type: str
    pages: tuple[PageReading, ...]


def read_file(
    data: bytes,
    accept: Callable[[str], bool],
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    layouts: Sequence[SheetLayout] = (),
) -> FileReading:
    """Decode the QR codes on every page of `data`, and read the printed figures when `layouts` are given.

    `accept(text)` decides which decoded texts are payloads (for instance those
    the profile parses); it must be picklable when this runs in a worker
    process, so pass a module-level function or a `functools.partial` of one.
    A page that cannot be loaded gets a reason of its own; the file is
    unusable, and `UnusableInput` is raised, only when no page can be.

    `layouts` are the printed forms the sheets may have (`testigo.domain.layout`),
    the one with a QR code first: a page whose code was read is read with the
    first layout that has one (figures only: the code names the mesa); a page
    without is tried with each layout in turn, header codes included.
    """
    media_type = sniff(data)
    if media_type is None:
        raise UnusableInput(describe_unsupported(data))
    readings: list[PageReading] = []
    unloaded = 0
    for page in load_pages(data, media_type, max_pixels, half_first=not layouts):
        if page.pixels is None:
            unloaded += 1
            readings.append(PageReading(page.index, reason=page.problem))
        else:
            found = read_page(page.index, page.pixels, accept)
            readings.append(_with_print(found, page.pixels.full, layouts) if layouts else found)
    if unloaded == len(readings):
        raise UnusableInput(str(readings[0].reason))
    return FileReading(media_type, tuple(readings))


def _sums_hold(layout: SheetLayout, reading: PrintReading) -> bool:
    """Whether the sheet's figures, read alone, are certain and keep every sum of `layout` (`rescue`)."""
    return rescue(reading, layout).certain


def _with_print(page: PageReading, gray: np.ndarray, layouts: Sequence[SheetLayout]) -> PageReading:
    """The page with its printed figures read (or the reason they could not be).

    A page showing more than one code (two actas photographed together) is
    not read: which print belongs to which code cannot be told. The print is
    a second witness: a fault in its reader (an exception other than a
    reason it could not read) is the page's print problem, named, and the
    code read stands. Caught only further up, it rejected the whole file,
    code and all (a bug met in development: an empty run of ink, December 2026).
    """
    if len(page.payloads) > 1:
        return replace(page, print_problem="several codes on one page: the print was not read")
    coded = [layout for layout in layouts if layout.code != "none"]
    tried = coded[:1] if page.payloads else list(layouts)
    problems = []
    frames = PageFrames(gray)
    for layout in tried:
        # the totals by position: the code's values prove them in the cross-check, or else the sheet's own sums
        proof = False if page.payloads else partial(_sums_hold, layout)
        try:
            printed = read_print(frames, layout, code_up=page.code_up, header=not page.payloads, labels=proof)
        except PrintNotRead as error:
            problems.append(str(error))
            continue
        except OcrModelError as error:
            return replace(page, print_problem=f"the print could not be read: {error}")
        except Exception as error:  # noqa: BLE001 - a fault of the print's reader must not cost the page its code
            return replace(page, print_problem=f"the print could not be read ({type(error).__name__}: {error})")
        return replace(page, printed=printed)
    return replace(page, print_problem=problems[0] if problems else "no layout to read the print with")
