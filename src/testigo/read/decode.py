"""Decoding the QR codes of one page: run the cascade until a payload is accepted.

Only a payload the caller's `accept` predicate approves counts as read. zxing's
Reed-Solomon check and the profile's strict parse together make a wrong read
practically impossible; a result zxing flags with an error is never used, and
a decoded code that is not accepted (a URL, another form's code) does not stop
the cascade but is reported as *foreign*, so the caller can say what was found.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import cv2
import numpy as np
import zxingcpp

from testigo.read.images import Pixels
from testigo.read.printed.reading import PrintReading
from testigo.read.sheetprint import sheet_print
from testigo.read.strategies import CASCADE, DOWNSCALE_ABOVE, Attempt, Strategy, Views

#: Pixels per QR module the half-size page needs for a sheet print to be taken from it. Measured on
#: 56 simulated scans and photos (8 same-sheet pairs, 1,532 distinct pairs): prints from the half page
#: separate as well as full-page ones (same sheet >= 0.82 vs distinct <= 0.29, full: 0.85 vs 0.31),
#: and ingest takes 1.9 s instead of 3.3 s.
HALF_PRINT_PX_PER_MODULE = 1.0
#: How much of a foreign code's text a reason quotes.
QUOTE_CHARS = 60


@dataclass(frozen=True)
class PageReading:
    """What one page yielded.

    `page` counts from 0. `payloads` are the distinct accepted texts, in the
    order found; `foreign` the distinct decoded texts that were not accepted.
    `code_up` is the direction, in page pixels, from the first accepted
    code's bottom edge to its top edge: the way up of the sheet it is printed
    on. `printed` is the reading of the sheet's printed figures
    (`testigo.read.printed`), when a layout was given and the print could be
    read, else `print_problem` says why not.
    `strategy` names the attempt that first found an accepted payload; `reason`
    says, when nothing was accepted, why (no code, a damaged code, a code that
    is not an acta, or a page that could not be loaded). `prints` holds, for
    each payload, the sheet print of the area above its code
    (`testigo.read.sheetprint`), or None where none could be taken; derived
    data, left out of equality.
    """

    page: int
    payloads: tuple[str, ...] = ()
    foreign: tuple[str, ...] = ()
    strategy: str | None = None
    reason: str | None = None
    prints: tuple[bytes | None, ...] = field(default=(), compare=False)
    code_up: tuple[float, float] | None = field(default=None, compare=False)
    printed: PrintReading | None = field(default=None, compare=False)
    print_problem: str | None = None


@dataclass
class _Findings:
    accepted: list[str] = field(default_factory=list)
    #: per accepted text: the code's corners on the page and its size in modules
    places: list[tuple[np.ndarray, int] | None] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    damaged: bool = False
    strategy: str | None = None

    def add(
        self, attempt: Attempt, barcodes: Iterable[zxingcpp.Barcode], accept: Callable[[str], bool], views: Views
    ) -> None:
        """Sort what one attempt found; damaged codes are never used, only remembered as places to look again."""
        for barcode in barcodes:
            if not barcode.valid or barcode.error is not None:
                self.damaged = True
                views.suspects.append(attempt.page_corners(barcode.position))
                continue
            text = barcode.text
            if text in self.accepted or text in self.foreign:
                continue
            if accept(text):
                self.accepted.append(text)
                self.places.append(_place(attempt, barcode))
                self.strategy = self.strategy or attempt.name
            else:
                self.foreign.append(text)

    def reason(self) -> str:
        if self.foreign:
            quoted = ", ".join(repr(_quote(text)) for text in self.foreign)
            return f"QR code is not an acta: {quoted}"
        if self.damaged:
            return "QR code found but could not be decoded"
        return "no QR code found"


def read_page(
    index: int, pixels: Pixels | np.ndarray, accept: Callable[[str], bool], cascade: Iterable[Strategy] = CASCADE
) -> PageReading:
    """Run `cascade` on the page until a strategy yields an accepted payload.

    Every attempt of the successful strategy still runs, so that all the codes
    that strategy sees (two actas photographed together) are collected.
    """
    views = Views(pixels if isinstance(pixels, Pixels) else Pixels.of(pixels))
    findings = _Findings()
    for strategy in cascade:
        for attempt in strategy(views):
            findings.add(attempt, zxingcpp.read_barcodes(attempt.image, **attempt.options), accept, views)
        if findings.accepted:
            prints = tuple(_print(views, place) for place in findings.places)
            return PageReading(
                index,
                tuple(findings.accepted),
                tuple(findings.foreign),
                findings.strategy,
                prints=prints,
                code_up=_up(findings.places[0]),
            )
    return PageReading(index, (), tuple(findings.foreign), None, findings.reason())


def _place(attempt: Attempt, barcode: zxingcpp.Barcode) -> tuple[np.ndarray, int] | None:
    """Where an accepted code lies on the page (corners TL, TR, BR, BL) and its modules per side."""
    extra = barcode.extra
    try:
        modules = 4 * int(extra["Version"]) + 17 if isinstance(extra, dict) else None
    except (KeyError, TypeError, ValueError):
        return None
    if modules is None:
        return None
    return attempt.page_corners(barcode.position), modules


def _up(place: tuple[np.ndarray, int] | None) -> tuple[float, float] | None:
    """The direction from a code's bottom-left corner to its top-left one (corners TL, TR, BR, BL)."""
    if place is None:
        return None
    corners = np.asarray(place[0], dtype=np.float64)
    up = corners[0] - corners[3]
    return float(up[0]), float(up[1])


def _print(views: Views, place: tuple[np.ndarray, int] | None) -> bytes | None:
    """The sheet print above an accepted code, from the half-size page when the page has one.

    A large page is read at half size first (a JPEG decoded at reduced scale),
    so its full page is often never decoded; the print needs only about one
    pixel per QR module, and decoding the full page just for it made ingest
    1.7 times slower. The full page is used when the half one is too coarse,
    and for small pages, which are decoded in full anyway.
    """
    if place is None:
        return None
    corners, modules = place
    try:
        if views.long_side > DOWNSCALE_ABOVE:
            scale = max(views.half.shape) / views.long_side
            modules_px = np.sqrt(abs(cv2.contourArea(np.asarray(corners, dtype=np.float32)))) / max(modules, 1)
            if modules_px * scale >= HALF_PRINT_PX_PER_MODULE:
                return sheet_print(views.half, np.asarray(corners) * scale, modules)
        return sheet_print(views.gray, corners, modules)
    except cv2.error:  # a degenerate quadrilateral: no print, the reading stands
        return None


def _quote(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= QUOTE_CHARS else flat[: QUOTE_CHARS - 1] + "…"
