"""Render an acta as the voting machine printed it: a long thermal-paper strip.

The 2024 actas came out of an 80 mm thermal receipt printer (8 dots per mm,
576 printable dots) in its fixed-cell bitmap fonts, with the QR code printed in
whole dots per module. The renderer works in those printer dots: text is laid
out on a character grid from a glyph atlas, the QR is a dot-exact bitmap, and
only then is the strip turned into paper and ink (with signatures in pen on
top). Working in dots keeps the QR's geometry exactly known, which the
degradation step uses to keep "hard" images decodable in principle.

The font is Pillow's built-in one (rendered into the printer's cells), never a
system font: the same seed must give the same bytes on every machine, and a
fresh Debian box has no fonts at all. Its missing accented capitals are
composed from the base letter and a drawn mark.
"""

from __future__ import annotations

import hashlib
import textwrap
import unicodedata
from dataclasses import dataclass
from functools import cache

import cv2
import numpy as np
import segno
from PIL import Image, ImageDraw, ImageFont

from testigo.simulate.sheet import ActaSheet

DOTS_PER_MM = 8
PAPER_DOTS = 80 * DOTS_PER_MM
PRINT_DOTS = 576
MARGIN_DOTS = (PAPER_DOTS - PRINT_DOTS) // 2
#: Blank paper fed before the first line.
TOP_DOTS = 48
QR_MODULE_DOTS = 4
#: Quiet zone the printer leaves around the QR, in modules (the standard's minimum).
QR_QUIET_MODULES = 4
QR_ERROR_LEVEL = "m"


@dataclass(frozen=True)
class Cell:
    """A printer font: every character fills one `width` x `height` dot cell."""

    width: int
    height: int

    @property
    def columns(self) -> int:
        return PRINT_DOTS // self.width


FONT_A = Cell(12, 24)  # 48 columns: headings and totals
FONT_B = Cell(9, 17)  # 64 columns: the results table

_SUPERSAMPLE = 4
_SUBSTITUTES = {"º": "o", "°": "o", "¿": "?", "¡": "!"}
_MARKS = {"\u0301": "acute", "\u0300": "grave", "\u0303": "tilde", "\u0308": "diaeresis"}
_SIGNERS = ("PRESIDENTE(A)", "MIEMBRO", "SECRETARIO(A)", "TESTIGO", "TESTIGO")
_SIGNATURE_DOTS = 96


def render_acta(sheet: ActaSheet, rng: np.random.Generator) -> Image.Image:
    """The printed, signed strip as an RGB image at 8 px/mm.

    ``image.info["qr_box"]`` is the QR symbol's (x0, y0, x1, y1) in pixels and
    ``image.info["qr_modules"]`` its size in modules, so later steps know
    where the code is without detecting it.
    """
    layout = _Layout()
    _print_header(layout, sheet, rng)
    _print_table(layout, sheet)
    _print_totals(layout, sheet)
    signature_rows = _print_signature_lines(layout)
    qr_box, modules = _print_qr(layout, sheet.payload)
    layout.text(sheet.acta_id, FONT_B, align="center")
    layout.feed(40)
    layout.text("*** FIN DEL ACTA ***", FONT_B, align="center")
    layout.feed(120)
    pixels = _ink_to_paper(layout.strip(), rng)
    for y in signature_rows:
        _scribble(pixels, y, rng)
    image = Image.fromarray(pixels, "RGB")
    image.info["qr_box"] = qr_box
    image.info["qr_modules"] = modules
    return image


class _Layout:
    """Rows of printer dots, stacked top to bottom as the paper feeds.

    `y` is always in final strip pixels (the blank lead-in is the first row).
    """

    def __init__(self) -> None:
        self._rows: list[np.ndarray] = [np.zeros((TOP_DOTS, PRINT_DOTS), dtype=bool)]
        self.y = TOP_DOTS

    def block(self, ink: np.ndarray, x: int = 0) -> int:
        """Append a block of ink (bool, at most PRINT_DOTS wide) at column `x`; returns its top y."""
        row = np.zeros((ink.shape[0], PRINT_DOTS), dtype=bool)
        row[:, x : x + ink.shape[1]] = ink
        self._rows.append(row)
        top, self.y = self.y, self.y + ink.shape[0]
        return top

    def feed(self, dots: int) -> None:
        self.block(np.zeros((dots, PRINT_DOTS), dtype=bool))

    def text(self, line: str, cell: Cell, align: str = "left", scale: int = 1, spacing: int = 4) -> None:
        """Print one line in `cell`'s font ("left" or "center"), `scale` times larger, then feed `spacing` dots."""
        width = cell.columns // scale
        line = (line.center(width) if align == "center" else line.ljust(width))[:width]
        ink = _text_ink(line, cell)
        if scale > 1:
            ink = ink.repeat(scale, axis=0).repeat(scale, axis=1)
        self.block(ink)
        self.feed(spacing)

    def rule(self, char: str = "-") -> None:
        self.text(char * FONT_A.columns, FONT_A)

    def strip(self) -> np.ndarray:
        """The whole strip including the paper margins, as bool ink."""
        printed = np.concatenate(self._rows, axis=0)
        return np.pad(printed, ((0, 0), (MARGIN_DOTS, PAPER_DOTS - PRINT_DOTS - MARGIN_DOTS)))


def _print_header(layout: _Layout, sheet: ActaSheet, rng: np.random.Generator) -> None:
    layout.text("REPÚBLICA BOLIVARIANA DE VENEZUELA", FONT_A, "center")
    layout.text("CONSEJO NACIONAL ELECTORAL", FONT_A, "center")
    layout.feed(8)
    layout.text("ACTA DE ESCRUTINIO", FONT_A, "center", scale=2, spacing=10)
    layout.text("ELECCIÓN PRESIDENCIAL", FONT_A, "center")
    layout.text("28 DE JULIO DE 2024", FONT_A, "center")
    layout.rule("=")
    for label, value in (("ESTADO", sheet.state), ("MUNICIPIO", sheet.municipality), ("PARROQUIA", sheet.parish)):
        layout.text(f"{label + ':':<11}{value}", FONT_A)
    layout.text(f"{'CENTRO:':<11}{sheet.center_code}", FONT_A)
    for part in textwrap.wrap(sheet.center_name, FONT_A.columns - 11):
        layout.text(" " * 11 + part, FONT_A)
    registered = f"ELECTORES: {sheet.registered}" if sheet.registered is not None else ""
    layout.text(f"{'MESA:':<11}{sheet.mesa_number:<10}{registered:>27}", FONT_A)
    hour, minute, second = int(rng.integers(18, 23)), int(rng.integers(0, 60)), int(rng.integers(0, 60))
    layout.text(f"FECHA: 28/07/2024{f'HORA: {hour:02d}:{minute:02d}:{second:02d}':>31}", FONT_A)
    layout.rule()


def _print_table(layout: _Layout, sheet: ActaSheet) -> None:
    layout.text(f"{'TJ':<3}{'ORGANIZACIÓN':<18}{'CANDIDATO':<37}{'VOTOS':>6}", FONT_B)
    layout.text("-" * FONT_B.columns, FONT_B)
    for card in sheet.cards:
        layout.text(f"{card.number:02d} {card.party:<18}{card.candidate:<37}{card.votes:>6}", FONT_B, spacing=5)
    layout.rule()


def _print_totals(layout: _Layout, sheet: ActaSheet) -> None:
    for label, value in (
        ("VOTOS VÁLIDOS", sheet.valid_votes),
        ("VOTOS NULOS", sheet.null_votes),
        ("TOTAL VOTOS ESCRUTADOS", sheet.total_votes),
    ):
        layout.text(f"{label:<30}{value:>18}", FONT_A)
    layout.rule("=")
    digest = hashlib.sha256(sheet.payload.encode("utf-8")).hexdigest().upper()
    machine = int(hashlib.sha256(sheet.mesa_id.encode("utf-8")).hexdigest()[:8], 16) % 10_000_000
    layout.text(f"MÁQUINA: {machine:07d}", FONT_A)
    layout.text(f"CÓDIGO: {' '.join(digest[i : i + 4] for i in range(0, 32, 4))}", FONT_B)
    layout.rule()


def _print_signature_lines(layout: _Layout) -> list[int]:
    """Print the signers' labels and lines; returns the y of each line (for the pen)."""
    layout.text("FIRMAS", FONT_A, "center")
    lines = []
    for signer in _SIGNERS:
        layout.feed(_SIGNATURE_DOTS - FONT_A.height)
        lines.append(layout.y + FONT_A.height - 4)
        layout.text(f"{signer:<14}{'_' * 21} C.I. {'_' * 7}", FONT_A)
    layout.feed(24)
    return lines


def _print_qr(layout: _Layout, payload: str) -> tuple[tuple[int, int, int, int], int]:
    """Print the QR centred, dot-exact; returns its box on the final strip and its module count."""
    matrix = np.array(segno.make(payload, error=QR_ERROR_LEVEL, micro=False, boost_error=False).matrix, dtype=bool)
    ink = matrix.repeat(QR_MODULE_DOTS, axis=0).repeat(QR_MODULE_DOTS, axis=1)
    quiet = QR_QUIET_MODULES * QR_MODULE_DOTS
    layout.feed(quiet)
    x = (PRINT_DOTS - ink.shape[1]) // 2
    top = layout.block(ink, x)
    layout.feed(quiet)
    x0 = x + MARGIN_DOTS  # the paper margin is added left of the printable area
    return (x0, top, x0 + ink.shape[1], top + ink.shape[0]), matrix.shape[0]


def _text_ink(line: str, cell: Cell) -> np.ndarray:
    ink = np.zeros((cell.height, len(line) * cell.width), dtype=bool)
    for i, char in enumerate(line):
        if char != " ":
            ink[:, i * cell.width : (i + 1) * cell.width] = _glyph(char, cell)
    return ink


@cache
def _glyph(char: str, cell: Cell) -> np.ndarray:
    """One character as the printer's dot matrix: drawn 4x larger, squeezed into the cell, thresholded.

    The top sixth of the cell is left for accents on capitals, as receipt fonts do.
    """
    width, height = cell.width * _SUPERSAMPLE, cell.height * _SUPERSAMPLE
    baseline = round(height * 0.83)
    if char == "_":  # spans the whole cell, so that a row of them prints as one line
        ink = np.zeros((cell.height, cell.width), dtype=bool)
        ink[baseline // _SUPERSAMPLE + 1 : baseline // _SUPERSAMPLE + 3] = True
        return ink
    decomposed = unicodedata.normalize("NFD", _SUBSTITUTES.get(char, char))
    base, marks = decomposed[0], decomposed[1:]
    size = _font_size(cell)
    font = ImageFont.load_default(size=size)
    canvas = Image.new("L", (int(font.getlength(base)) + 2, height), 0)
    ImageDraw.Draw(canvas).text((1, baseline), base, font=font, fill=255, anchor="ls")
    glyph = canvas.resize((max(round(canvas.width * _squeeze(cell)), 1), height), Image.Resampling.LANCZOS)
    padded = Image.new("L", (width, height), 0)
    padded.paste(glyph, ((width - glyph.width) // 2, 0))
    bbox = padded.getbbox()
    if bbox and marks:
        _draw_mark(ImageDraw.Draw(padded), _MARKS.get(marks[0], ""), bbox, size)
    # a low threshold keeps thin diagonals (the N of Font B) that a coarse cell would drop
    ink = np.asarray(padded.resize((cell.width, cell.height), Image.Resampling.BOX)) > 64
    # the printer's emphasised mode: each dot also fires the dot to its right
    ink[:, 1:] |= ink[:, :-1]
    return ink


@cache
def _font_size(cell: Cell) -> int:
    """The font size whose capitals span 2/3 of the (supersampled) cell height."""
    probe = ImageFont.load_default(size=100)
    cap = -probe.getbbox("H", anchor="ls")[1]
    return round(100 * cell.height * _SUPERSAMPLE * 0.62 / cap)


@cache
def _squeeze(cell: Cell) -> float:
    """Horizontal factor that fits the widest capital into the cell with one dot to spare."""
    font = ImageFont.load_default(size=_font_size(cell))
    widest = max(font.getlength(c) for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
    return (cell.width - 1) * _SUPERSAMPLE / widest


def _draw_mark(draw: ImageDraw.ImageDraw, mark: str, bbox: tuple[int, int, int, int], size: int) -> None:
    """Draw a diacritic just above the glyph's ink box (the font has no accented capitals)."""
    x0, top, x1, _ = bbox
    cx, stroke = (x0 + x1) / 2, max(size // 10, 2)
    bottom, height = top - stroke, size // 6
    if mark == "acute":
        draw.line([(cx - height / 2, bottom), (cx + height / 2, bottom - height)], fill=255, width=stroke)
    elif mark == "grave":
        draw.line([(cx + height / 2, bottom), (cx - height / 2, bottom - height)], fill=255, width=stroke)
    elif mark == "tilde":
        half = (x1 - x0) / 2.5
        points = [(cx + half * t, bottom - height / 2 - height / 3 * np.sin(np.pi * t)) for t in np.linspace(-1, 1, 9)]
        draw.line(points, fill=255, width=stroke)
    elif mark == "diaeresis":
        for dx in (-(x1 - x0) / 4, (x1 - x0) / 4):
            draw.ellipse(
                [cx + dx - stroke, bottom - height / 2 - stroke, cx + dx + stroke, bottom - height / 2 + stroke],
                fill=255,
            )


def _ink_to_paper(ink: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Turn dots into thermal print on paper: dot gain, uneven head heat, off-white paper.

    The printhead heats each column a little differently and the density drifts
    along the roll, so the ink is neither uniform nor pure black.
    """
    height, width = ink.shape
    density = cv2.GaussianBlur(ink.astype(np.float32), (0, 0), 0.55)
    head = 1.0 - 0.12 * cv2.resize(rng.random((1, 24), dtype=np.float32), (width, 1), interpolation=cv2.INTER_CUBIC)
    roll = 1.0 - 0.10 * cv2.resize(rng.random((12, 1), dtype=np.float32), (1, height), interpolation=cv2.INTER_CUBIC)
    density *= np.clip(head * roll, 0.7, 1.0)
    paper = rng.uniform(236, 250) + rng.uniform(-4, 4, size=3).astype(np.float32)
    ink_tone = rng.uniform(18, 45) + rng.uniform(-3, 6, size=3).astype(np.float32)
    pixels = paper + (ink_tone - paper) * np.clip(density, 0, 1)[..., None]
    return np.clip(pixels, 0, 255).astype(np.uint8)


def _scribble(pixels: np.ndarray, line_y: int, rng: np.random.Generator) -> None:
    """A pen signature on the line at `line_y`: a tall initial, a shrinking cursive run, a flourish.

    Loops of varying size, a slant and a shaky hand, so that no two signatures
    repeat and none looks like a clean sine wave.
    """
    x0 = MARGIN_DOTS + FONT_A.width * 14 + rng.uniform(0, 40)
    length = rng.uniform(140, 250)
    t = np.linspace(0, 1, 220)
    loops = rng.uniform(4, 9)
    envelope = rng.uniform(8, 16) * (1.0 + 1.6 * np.exp(-((t / 0.08) ** 2))) * (1.1 - 0.5 * t)
    phase = 2 * np.pi * loops * t + rng.uniform(0, 2 * np.pi)
    x = length * t + 0.7 * envelope * np.cos(phase)
    y = -envelope * (1 + np.sin(phase)) + 6 * np.sin(2 * np.pi * rng.uniform(0.5, 1.5) * t)
    strokes = [np.stack([x, y], axis=1)]
    if rng.random() < 0.6:  # an underline sweeping back beneath the name
        u = np.linspace(0, 1, 40)
        strokes.append(np.stack([length * (1.05 - 1.1 * u), 4 + 6 * u * (1 - u) * rng.uniform(-2, 2)], axis=1))
    slant = rng.uniform(-0.6, 0.0)
    colour = (20, 30, 110) if rng.random() < 0.7 else (25, 25, 30)
    for stroke in strokes:
        stroke = stroke + np.cumsum(rng.normal(0, 0.4, stroke.shape), axis=0)
        stroke[:, 0] += x0 + slant * stroke[:, 1]
        stroke[:, 1] += line_y - 2
        cv2.polylines(pixels, [np.round(stroke * 4).astype(np.int32)], False, colour, 2, cv2.LINE_AA, shift=2)
