"""Characters as a receipt printer's dot matrices: one glyph per fixed cell, cached.

A glyph is drawn 4x larger than its cell with a real font, squeezed so the
widest capital fits the cell with a dot to spare, and thresholded down to
dots. The default font is Pillow's built-in one, never a system font: the same
seed must give the same bytes on every machine, and a fresh Debian box has no
fonts at all. That font has no accented capitals, so they are composed from
the base letter and a drawn mark; a TrueType file (`Cell.font`) is trusted to
carry its own.
"""

from __future__ import annotations

import unicodedata
from functools import cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from testigo.simulate.style import Cell

_SUPERSAMPLE = 4
_SUBSTITUTES = {"º": "o", "°": "o", "¿": "?", "¡": "!"}
_MARKS = {"\u0301": "acute", "\u0300": "grave", "\u0303": "tilde", "\u0308": "diaeresis"}
_Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


def text_ink(line: str, cell: Cell) -> np.ndarray:
    """`line` printed in `cell`'s font: bool ink, one cell per character."""
    ink = np.zeros((cell.height, len(line) * cell.width), dtype=bool)
    for i, char in enumerate(line):
        if char != " ":
            ink[:, i * cell.width : (i + 1) * cell.width] = glyph(char, cell)
    return ink


@cache
def glyph(char: str, cell: Cell) -> np.ndarray:
    """One character as the printer's dot matrix: drawn 4x larger, squeezed into the cell, thresholded.

    The top sixth of the cell is left for accents on capitals, as receipt fonts do.
    """
    width, height = cell.width * _SUPERSAMPLE, cell.height * _SUPERSAMPLE
    baseline = round(height * 0.83)
    if char == "_":  # spans the whole cell, so that a row of them prints as one line
        ink = np.zeros((cell.height, cell.width), dtype=bool)
        thickness = max(cell.height // 12, 2)
        ink[baseline // _SUPERSAMPLE + 1 : baseline // _SUPERSAMPLE + 1 + thickness] = True
        return ink
    char = _SUBSTITUTES.get(char, char)
    if cell.font is None:  # the built-in font lacks accented capitals: base letter plus a drawn mark
        decomposed = unicodedata.normalize("NFD", char)
        base, marks = decomposed[0], decomposed[1:]
    else:
        base, marks = char, ""
    size = _font_size(cell)
    font = _font(cell.font, size)
    canvas = Image.new("L", (int(font.getlength(base)) + 2, height), 0)
    ImageDraw.Draw(canvas).text((1, baseline), base, font=font, fill=255, anchor="ls")
    squeezed = canvas.resize((max(round(canvas.width * _squeeze(cell)), 1), height), Image.Resampling.LANCZOS)
    padded = Image.new("L", (width, height), 0)
    padded.paste(squeezed, ((width - squeezed.width) // 2, 0))
    bbox = padded.getbbox()
    if bbox and marks:
        _draw_mark(ImageDraw.Draw(padded), _MARKS.get(marks[0], ""), bbox, size)
    # a low threshold keeps thin diagonals (the N of Font B) that a coarse cell would drop
    ink = np.asarray(padded.resize((cell.width, cell.height), Image.Resampling.BOX)) > 64
    # the printer's emphasised mode: each dot also fires the dot to its right
    ink[:, 1:] |= ink[:, :-1]
    return ink


@cache
def _font(path: str | None, size: int) -> _Font:
    return ImageFont.load_default(size=size) if path is None else ImageFont.truetype(path, size)


@cache
def _font_size(cell: Cell) -> int:
    """The font size whose capitals span 62 % of the (supersampled) cell height."""
    probe = _font(cell.font, 100)
    cap = -probe.getbbox("H", anchor="ls")[1]
    return round(100 * cell.height * _SUPERSAMPLE * 0.62 / cap)


@cache
def _squeeze(cell: Cell) -> float:
    """Horizontal factor that fits the widest capital into the cell with one dot to spare."""
    font = _font(cell.font, _font_size(cell))
    widest = max(font.getlength(c) for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
    return (cell.width - 1) * _SUPERSAMPLE / widest


def _draw_mark(draw: ImageDraw.ImageDraw, mark: str, bbox: tuple[int, int, int, int], size: int) -> None:
    """Draw a diacritic just above the glyph's ink box (the built-in font has no accented capitals)."""
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
