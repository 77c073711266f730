"""Printer and paper: the physical choices that change how an acta looks without changing what it says.

The reader of printed figures will be checked on actas rendered by other
means than this simulator, so the simulator must not let it lean on one
printer's quirks. A `PrintStyle` names what varies between receipt printers:
the font (the built-in one or any TrueType file), the head's resolution (8 or
12 dots per mm: 203 or 300 dpi), the paper and printable widths with the
number of columns they hold (80 mm paper with 72 mm printed in 48 columns, or
a 58 mm printer with 32), and where the printed area sits on the paper. All
sizes are derived from these, so the layout code never hard-codes a dot count.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

#: The 2024 voting machines' printer: 203 dpi head on 80 mm paper.
BASE_DOTS_PER_MM = 8
#: Debian's monospaced TrueType font (package fonts-dejavu-core), the usual choice of printer emulators.
DEJAVU_SANS_MONO = Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf")
#: A QR module is half a millimetre whatever the head: 4 dots at 8 dots/mm, 6 at 12.
QR_MODULE_MM = 0.5


@dataclass(frozen=True)
class Cell:
    """A printer font at one size: every character fills one `width` x `height` dot cell.

    `font` is a TrueType file, or None for Pillow's built-in font.
    """

    width: int
    height: int
    font: str | None = None


@dataclass(frozen=True)
class PrintStyle:
    """How one printer lays an acta out on its paper.

    `columns` is the number of Font A characters per line; Font A's cell is
    the printable width divided by it (12 x 24 dots on the standard printer),
    Font B's is three quarters of that (9 x 17). `offset_mm` moves the
    printed area off the paper's centre (positive: to the right), as a
    printer with a loose paper guide does.
    """

    font: Path | None = None
    dots_per_mm: int = BASE_DOTS_PER_MM
    paper_mm: float = 80.0
    print_mm: float = 72.0
    columns: int = 48
    offset_mm: float = 0.0

    def __post_init__(self) -> None:
        if self.dots_per_mm <= 0 or self.columns < 16:
            raise ValueError(f"a printer needs a positive resolution and at least 16 columns, not {self}")
        if not 0 < self.print_mm <= self.paper_mm:
            raise ValueError(f"the printed width must fit on the paper: {self.print_mm} mm on {self.paper_mm} mm")
        if abs(self.offset_mm) > (self.paper_mm - self.print_mm) / 2:
            raise ValueError(f"an offset of {self.offset_mm} mm pushes the print off the paper")
        if self.print_dots // self.columns < 6:
            raise ValueError(f"{self.columns} columns in {self.print_dots} dots leave no room for a character")

    @property
    def scale(self) -> float:
        """Dots of this printer per dot of the standard 8-dots/mm one (for feeds and pen strokes)."""
        return self.dots_per_mm / BASE_DOTS_PER_MM

    @property
    def paper_dots(self) -> int:
        return round(self.paper_mm * self.dots_per_mm)

    @property
    def print_dots(self) -> int:
        return round(self.print_mm * self.dots_per_mm)

    @property
    def left_margin(self) -> int:
        """Blank paper left of the printed area, in dots."""
        return (self.paper_dots - self.print_dots) // 2 + round(self.offset_mm * self.dots_per_mm)

    @property
    def font_a(self) -> Cell:
        width = self.print_dots // self.columns
        return Cell(width, 2 * width, self._font_name)

    @property
    def font_b(self) -> Cell:
        a = self.font_a
        return Cell(round(a.width * 0.75), round(a.height * 17 / 24), self._font_name)

    @property
    def qr_module_dots(self) -> int:
        return max(round(QR_MODULE_MM * self.dots_per_mm), 1)

    @property
    def _font_name(self) -> str | None:
        return str(self.font) if self.font is not None else None

    def dots(self, base: float) -> int:
        """`base` dots of the standard printer, in this printer's dots."""
        return round(base * self.scale)

    def describe(self) -> str:
        """A short name for notes and the truth file, e.g. ``80mm 8dpmm 48col builtin``."""
        font = self.font.stem if self.font is not None else "builtin"
        offset = f" offset {self.offset_mm:+g}mm" if self.offset_mm else ""
        return f"{self.paper_mm:g}mm {self.dots_per_mm}dpmm {self.columns}col {font}{offset}"


#: The 2024 voting machines' printer: 80 mm paper, 203 dpi, 48 columns of Font A, built-in font.
STANDARD = PrintStyle()
#: A 300-dpi head on the same paper: every cell 1.5 times finer (18 x 36 dots).
HIRES = PrintStyle(dots_per_mm=12)
#: A 58 mm printer: 432 printable dots in 32 columns, so long lines wrap.
NARROW = PrintStyle(paper_mm=58.0, print_mm=54.0, columns=32)
#: The standard printer in Debian's monospaced TrueType font: narrower glyphs in their cells, a dotted zero.
DEJAVU = PrintStyle(font=DEJAVU_SANS_MONO)
#: A 300-dpi head whose loose paper guide let the print drift 3 mm right: the figures end a character's width
#: from the paper's edge, and a photo shows what lies under the sheet just past them.
OFFSET = PrintStyle(dots_per_mm=12, offset_mm=3.0)
#: Named printers for the command line.
PRINTERS = {"standard": STANDARD, "hires": HIRES, "narrow": NARROW, "dejavu": DEJAVU, "offset": OFFSET}
