"""Render an acta as the voting machine printed it: a long thermal-paper strip.

The 2024 actas came out of an 80 mm thermal receipt printer (8 dots per mm,
576 printable dots) in its fixed-cell bitmap fonts, with the QR code printed in
whole dots per module. The renderer works in those printer dots: text is laid
out on a character grid from a glyph atlas (`testigo.simulate.glyphs`), the
QR is a dot-exact bitmap, and only then is the strip turned into paper and ink
(with signatures in pen on top). Working in dots keeps the geometry of the QR
and of every printed figure exactly known, which the degradation step uses to
keep "hard" images decodable in principle and tests use to crop any figure.

The figures people must read (header codes, per-card votes, totals) are in
the printer's standard Font A (12 x 24 dots), as receipt printers print
them; only the machine's fine print (the digest line, the acta id, the end
mark) is in the condensed Font B. Other printers (resolution, paper width,
font, margins) are a `PrintStyle`; the May 2025 actas, printed without a QR
code, are the ``sin_qr`` variant.
"""

from __future__ import annotations

import hashlib
import itertools
import textwrap
from typing import NamedTuple

import cv2
import numpy as np
import segno
from PIL import Image

from testigo.simulate.glyphs import text_ink
from testigo.simulate.sheet import ActaSheet
from testigo.simulate.style import STANDARD, Cell, PrintStyle

#: The standard printer's figures, for callers that assume it.
DOTS_PER_MM = STANDARD.dots_per_mm
QR_MODULE_DOTS = STANDARD.qr_module_dots
#: Blank paper fed before the first line (in the standard printer's dots).
TOP_DOTS = 48
#: Quiet zone the printer leaves around the QR, in modules (the standard's minimum).
QR_QUIET_MODULES = 4
QR_ERROR_LEVEL = "m"
#: With the QR code and the acta id under it (2024), or without either (May 2025).
VARIANTS = ("qr", "sin_qr")
#: Width of the votes column: five digits (no card holds more than 10,000) after a space.
VOTES_WIDTH = 6
#: Column where header values start, after their label ("PARROQUIA: ").
VALUE_COLUMN = 11

_SIGNERS = ("PRESIDENTE(A)", "MIEMBRO", "SECRETARIO(A)", "TESTIGO", "TESTIGO")
_SIGNATURE_DOTS = 96


class PrintedField(NamedTuple):
    """A figure printed on the strip: its character cells (x0, y0, x1, y1) in strip pixels, and its text."""

    box: tuple[int, int, int, int]
    text: str


def card_field(number: int) -> str:
    """The name of the field holding card `number`'s votes (``card_01`` ... ``card_38``)."""
    return f"card_{number:02d}"


def render_acta(
    sheet: ActaSheet, rng: np.random.Generator, *, variant: str = "qr", style: PrintStyle = STANDARD
) -> Image.Image:
    """The printed, signed strip as an RGB image, one pixel per printer dot.

    ``image.info`` says where things are, so later steps never detect them:

    * ``fields``: every printed figure (`card_field` names, ``valid_votes``,
      ``null_votes``, ``total_votes``, ``center``, ``mesa``, ``registered``
      when known) as a `PrintedField`;
    * ``table_box``: the results table between its rules (x0, y0, x1, y1);
    * ``qr_box`` and ``qr_modules``: the QR symbol's box and size in modules
      (absent in the ``sin_qr`` variant);
    * ``module_dots``: the QR module's size in dots, printed or not (the scale
      degradation aims at); ``dots_per_mm``; ``print_box``: the printed area
      (x0, x1) between the paper margins.
    """
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; one of {', '.join(VARIANTS)}")
    layout = PrinterLayout(style)
    _print_header(layout, sheet, rng)
    table_top = layout.y
    _print_table(layout, sheet)
    table_box = (layout.left, table_top, layout.left + style.print_dots, layout.y)
    _print_totals(layout, sheet)
    signature_rows = _print_signature_lines(layout)
    qr: tuple[tuple[int, int, int, int], int] | None = None
    if variant == "qr":
        qr = print_qr(layout, sheet.payload)
        layout.centred(sheet.acta_id, style.font_b)
    layout.feed(40)
    layout.centred("*** FIN DEL ACTA ***", style.font_b)
    layout.feed(120)
    pixels = ink_to_paper(layout.strip(), rng, style)
    for y in signature_rows:
        _scribble(pixels, y, rng, style)
    image = Image.fromarray(pixels, "RGB")
    image.info["fields"] = dict(layout.fields)
    image.info["table_box"] = table_box
    image.info["module_dots"] = style.qr_module_dots
    image.info["dots_per_mm"] = style.dots_per_mm
    image.info["print_box"] = (layout.left, layout.left + style.print_dots)
    if qr is not None:
        image.info["qr_box"], image.info["qr_modules"] = qr
    return image


class PrinterLayout:
    """Rows of printer dots, stacked top to bottom as the paper feeds, and where each figure went.

    `y` is always in final strip pixels (the blank lead-in is the first row);
    feeds and spacings are given in the standard printer's dots and scaled.
    """

    def __init__(self, style: PrintStyle) -> None:
        self.style = style
        self.left = style.left_margin
        top = style.dots(TOP_DOTS)
        self._rows: list[np.ndarray] = [np.zeros((top, style.print_dots), dtype=bool)]
        self.y = top
        self.fields: dict[str, PrintedField] = {}

    def block(self, ink: np.ndarray, x: int = 0) -> int:
        """Append a block of ink (bool, at most the printable width) at column `x`; returns its top y."""
        row = np.zeros((ink.shape[0], self.style.print_dots), dtype=bool)
        row[:, x : x + ink.shape[1]] = ink
        self._rows.append(row)
        top, self.y = self.y, self.y + ink.shape[0]
        return top

    def feed(self, dots: int) -> None:
        self.block(np.zeros((self.style.dots(dots), self.style.print_dots), dtype=bool))

    def columns(self, cell: Cell) -> int:
        return self.style.print_dots // cell.width

    def text(self, line: str, cell: Cell, align: str = "left", scale: int = 1, spacing: int = 4) -> int:
        """Print one line in `cell`'s font ("left" or "center"), `scale` times larger, then feed `spacing` dots.

        Returns the line's top y. A line longer than the paper is cut: callers wrap what must survive.
        """
        width = self.columns(cell) // scale
        line = (line.center(width) if align == "center" else line.ljust(width))[:width]
        ink = text_ink(line, cell)
        if scale > 1:
            ink = ink.repeat(scale, axis=0).repeat(scale, axis=1)
        top = self.block(ink)
        self.feed(spacing)
        return top

    def centred(self, text: str, cell: Cell, scale: int = 1, spacing: int = 4) -> None:
        """Print `text` centred, wrapped over as many lines as the paper needs."""
        for part in textwrap.wrap(text, self.columns(cell) // scale) or [""]:
            self.text(part, cell, "center", scale, spacing)

    def rule(self, char: str = "-") -> None:
        cell = self.style.font_a
        self.text(char * self.columns(cell), cell)

    def field(self, name: str, y: int, column: int, text: str, cell: Cell) -> None:
        """Record that `text` was printed from `column` of the line whose top is `y`."""
        x0 = self.left + column * cell.width
        self.fields[name] = PrintedField((x0, y, x0 + len(text) * cell.width, y + cell.height), text)

    def labelled(self, label: str, value: str, field: str | None = None) -> None:
        """``LABEL:    value`` in Font A, the value wrapped under itself when it is long."""
        cell = self.style.font_a
        parts = textwrap.wrap(value, self.columns(cell) - VALUE_COLUMN) or [""]
        for i, part in enumerate(parts):
            y = self.text(f"{label + ':' if i == 0 else '':<{VALUE_COLUMN}}{part}", cell)
            if i == 0 and field is not None:
                self.field(field, y, VALUE_COLUMN, part, cell)

    def pair(self, left: str, right: str, right_field: tuple[str, str] | None = None) -> int:
        """`left` and `right` on one Font A line (`right` flush right), or on two when they do not fit.

        `right_field` names the figure that ends `right` and its text. Returns the first line's top y.
        """
        cell = self.style.font_a
        columns = self.columns(cell)
        if len(left) + 1 + len(right) <= columns:
            top = right_top = self.text(left + right.rjust(columns - len(left)), cell)
        else:
            top = self.text(left, cell)
            right_top = self.text(right.rjust(columns), cell)
        if right_field is not None:
            name, text = right_field
            self.field(name, right_top, columns - len(text), text, cell)
        return top

    def strip(self) -> np.ndarray:
        """The whole strip including the paper margins, as bool ink."""
        printed = np.concatenate(self._rows, axis=0)
        right = self.style.paper_dots - self.style.print_dots - self.left
        return np.pad(printed, ((0, 0), (self.left, right)))


def _print_header(layout: PrinterLayout, sheet: ActaSheet, rng: np.random.Generator) -> None:
    font_a = layout.style.font_a
    layout.centred("REPÚBLICA BOLIVARIANA DE VENEZUELA", font_a)
    layout.centred("CONSEJO NACIONAL ELECTORAL", font_a)
    layout.feed(8)
    layout.centred("ACTA DE ESCRUTINIO", font_a, scale=2, spacing=10)
    layout.centred("ELECCIÓN PRESIDENCIAL", font_a)
    layout.centred("28 DE JULIO DE 2024", font_a)
    layout.rule("=")
    for label, value in (("ESTADO", sheet.state), ("MUNICIPIO", sheet.municipality), ("PARROQUIA", sheet.parish)):
        layout.labelled(label, value)
    layout.labelled("CENTRO", sheet.center_code, "center")
    for part in textwrap.wrap(sheet.center_name, layout.columns(font_a) - VALUE_COLUMN):
        layout.text(" " * VALUE_COLUMN + part, font_a)
    mesa = str(sheet.mesa_number)
    if sheet.registered is not None:
        registered = str(sheet.registered)
        top = layout.pair(f"{'MESA:':<{VALUE_COLUMN}}{mesa}", f"ELECTORES: {registered}", ("registered", registered))
    else:
        top = layout.text(f"{'MESA:':<{VALUE_COLUMN}}{mesa}", font_a)
    layout.field("mesa", top, VALUE_COLUMN, mesa, font_a)
    hour, minute, second = int(rng.integers(18, 23)), int(rng.integers(0, 60)), int(rng.integers(0, 60))
    layout.pair("FECHA: 28/07/2024", f"HORA: {hour:02d}:{minute:02d}:{second:02d}")
    layout.rule()


def _print_table(layout: PrinterLayout, sheet: ActaSheet) -> None:
    """Each candidate's name, then one line per card of theirs: number, party, votes flush right."""
    font_a = layout.style.font_a
    columns = layout.columns(font_a)
    party_width = columns - 3 - VOTES_WIDTH
    layout.text(f"{'TJ':<3}{'ORGANIZACIÓN':<{party_width}}{'VOTOS':>{VOTES_WIDTH}}", font_a)
    for candidate, cards in itertools.groupby(sheet.cards, key=lambda card: card.candidate):
        for part in textwrap.wrap(candidate, columns):
            layout.text(part, font_a)
        for card in cards:
            votes = str(card.votes)
            party = card.party[: party_width - 1]  # a narrow printer cuts the name, never the votes
            top = layout.text(f"{card.number:02d} {party:<{party_width}}{votes:>{VOTES_WIDTH}}", font_a)
            layout.field(card_field(card.number), top, columns - len(votes), votes, font_a)
    layout.rule()


def _print_totals(layout: PrinterLayout, sheet: ActaSheet) -> None:
    printed = sheet.printed
    for label, name, value in (
        ("VOTOS VÁLIDOS", "valid_votes", printed.valid_votes),
        ("VOTOS NULOS", "null_votes", printed.null_votes),
        ("TOTAL VOTOS ESCRUTADOS", "total_votes", printed.total_votes),
    ):
        layout.pair(label, str(value), (name, str(value)))
    layout.rule("=")
    digest = hashlib.sha256(sheet.payload.encode("utf-8")).hexdigest().upper()
    machine = int(hashlib.sha256(sheet.mesa_id.encode("utf-8")).hexdigest()[:8], 16) % 10_000_000
    layout.text(f"MÁQUINA: {machine:07d}", layout.style.font_a)
    font_b = layout.style.font_b
    code = f"CÓDIGO: {' '.join(digest[i : i + 4] for i in range(0, 32, 4))}"
    for part in textwrap.wrap(code, layout.columns(font_b)):
        layout.text(part, font_b)
    layout.rule()


def _print_signature_lines(layout: PrinterLayout) -> list[int]:
    """Print the signers' labels and lines; returns the y of each line (for the pen)."""
    font_a = layout.style.font_a
    columns = layout.columns(font_a)
    layout.centred("FIRMAS", font_a)
    lines = []
    for signer in _SIGNERS:
        layout.feed(_SIGNATURE_DOTS - 24)
        lines.append(layout.y + font_a.height - layout.style.dots(4))
        rule = columns - 14 - 13  # room for " C.I. _______" after the signature line
        line = f"{signer:<14}{'_' * rule} C.I. {'_' * 7}" if rule >= 12 else f"{signer:<14}{'_' * (columns - 14)}"
        layout.text(line, font_a)
    layout.feed(24)
    return lines


def print_qr(layout: PrinterLayout, payload: str) -> tuple[tuple[int, int, int, int], int]:
    """Print the QR centred, dot-exact; returns its box on the final strip and its module count."""
    matrix = np.array(segno.make(payload, error=QR_ERROR_LEVEL, micro=False, boost_error=False).matrix, dtype=bool)
    module = layout.style.qr_module_dots
    ink = matrix.repeat(module, axis=0).repeat(module, axis=1)
    quiet = QR_QUIET_MODULES * module
    layout.block(np.zeros((quiet, layout.style.print_dots), dtype=bool))
    x = (layout.style.print_dots - ink.shape[1]) // 2
    top = layout.block(ink, x)
    layout.block(np.zeros((quiet, layout.style.print_dots), dtype=bool))
    x0 = x + layout.left  # the paper margin is added left of the printable area
    return (x0, top, x0 + ink.shape[1], top + ink.shape[0]), matrix.shape[0]


def ink_to_paper(ink: np.ndarray, rng: np.random.Generator, style: PrintStyle) -> np.ndarray:
    """Turn dots into thermal print on paper: dot gain, uneven head heat, off-white paper.

    The printhead heats each column a little differently and the density drifts
    along the roll, so the ink is neither uniform nor pure black.
    """
    height, width = ink.shape
    density = cv2.GaussianBlur(ink.astype(np.float32), (0, 0), 0.55 * style.scale)
    head = 1.0 - 0.12 * cv2.resize(rng.random((1, 24), dtype=np.float32), (width, 1), interpolation=cv2.INTER_CUBIC)
    roll = 1.0 - 0.10 * cv2.resize(rng.random((12, 1), dtype=np.float32), (1, height), interpolation=cv2.INTER_CUBIC)
    density *= np.clip(head * roll, 0.7, 1.0)
    paper = rng.uniform(236, 250) + rng.uniform(-4, 4, size=3).astype(np.float32)
    ink_tone = rng.uniform(18, 45) + rng.uniform(-3, 6, size=3).astype(np.float32)
    pixels = paper + (ink_tone - paper) * np.clip(density, 0, 1)[..., None]
    return np.clip(pixels, 0, 255).astype(np.uint8)


def _scribble(pixels: np.ndarray, line_y: int, rng: np.random.Generator, style: PrintStyle) -> None:
    """A pen signature on the line at `line_y`: a tall initial, a shrinking cursive run, a flourish.

    Loops of varying size, a slant and a shaky hand, so that no two signatures
    repeat and none looks like a clean sine wave.
    """
    k = style.scale  # the pen draws in millimetres, whatever the printer's dots
    x0 = style.left_margin + style.font_a.width * 14 + rng.uniform(0, 40) * k
    length = rng.uniform(140, 250) * k
    t = np.linspace(0, 1, 220)
    loops = rng.uniform(4, 9)
    envelope = rng.uniform(8, 16) * k * (1.0 + 1.6 * np.exp(-((t / 0.08) ** 2))) * (1.1 - 0.5 * t)
    phase = 2 * np.pi * loops * t + rng.uniform(0, 2 * np.pi)
    x = length * t + 0.7 * envelope * np.cos(phase)
    y = -envelope * (1 + np.sin(phase)) + 6 * k * np.sin(2 * np.pi * rng.uniform(0.5, 1.5) * t)
    strokes = [np.stack([x, y], axis=1)]
    if rng.random() < 0.6:  # an underline sweeping back beneath the name
        u = np.linspace(0, 1, 40)
        strokes.append(np.stack([length * (1.05 - 1.1 * u), (4 + 6 * u * (1 - u) * rng.uniform(-2, 2)) * k], axis=1))
    slant = rng.uniform(-0.6, 0.0)
    colour = (20, 30, 110) if rng.random() < 0.7 else (25, 25, 30)
    for stroke in strokes:
        stroke = stroke + np.cumsum(rng.normal(0, 0.4 * k, stroke.shape), axis=0)
        stroke[:, 0] += x0 + slant * stroke[:, 1]
        stroke[:, 1] += line_y - 2 * k
        width = max(round(2 * k), 1)
        cv2.polylines(pixels, [np.round(stroke * 4).astype(np.int32)], False, colour, width, cv2.LINE_AA, shift=2)
