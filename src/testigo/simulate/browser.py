"""Actas laid out by a browser: HTML and CSS in a font of the caller's choosing, as another renderer would make them.

The reader is checked on actas rendered independently of the project's
simulator, whose printer lays every character in a fixed cell. Chromium
lays the same acta out as a web page does: in a proportional font if asked
(each letter as wide as itself, a word space between key and name), figures
flush right by CSS or, if asked, left-aligned or centred in a column as a
table cell or a tab stop sets them, rules drawn as borders, the font's own
hinting and anti-aliasing. The image carries the geometry
`testigo.simulate.degrade` needs (where the figures, the table and the code
are), so it is scanned or photographed exactly as the simulator's strips
are.

The tests (tests/read/test_printed_browser.py) and the print benchmark
(`benchmarks/print.py --fonts`) lay actas out so. The caller brings the
Playwright page (Debian's chromium, which the test command installs): this
module imports no browser, so the package needs none.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import itertools
import textwrap
from pathlib import Path
from typing import Any

import segno
from PIL import Image

from testigo.simulate.render import PrintedField, card_field
from testigo.simulate.sheet import ActaSheet

#: The printable width in CSS pixels, as the 2024 printer's 576 dots; the page's margins either side.
WIDTH, MARGIN = 576, 32
#: Pixels of one QR module, as the printer's 4 dots.
MODULE = 4
#: How `html_acta`'s `figures` set the figures in their column, as CSS's text-align.
FIGURE_ALIGNS = {"right": "right", "left": "left", "centre": "center"}
#: The share of the line the figures' column takes where they are not flush right (`html_acta`'s `figures`).
FIGURE_COLUMN = "30%"
_GEOMETRY = """() => {
  const box = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
  const fields = {};
  document.querySelectorAll('[data-field]').forEach(e => { fields[e.dataset.field] = [box(e), e.textContent]; });
  const code = document.getElementById('code');
  return {fields, table: box(document.getElementById('table')), paper: box(document.getElementById('paper')),
          code: code ? box(code) : null};
}"""


def html_acta(
    page: Any,
    sheet: ActaSheet,
    font: Path,
    *,
    variant: str = "qr",
    size: float = 19.5,
    leaders: bool = False,
    ruled: bool = False,
    leading: float = 1.25,
    figures: str = "right",
) -> Image.Image:
    """`sheet` laid out by the Playwright `page` in the TrueType `font` at `size` CSS pixels, as an RGB image
    whose info is `testigo.simulate.render.render_acta`'s (for `testigo.simulate.degrade.degrade_image`).

    `leaders`: a dotted leader from each party's name to its figure, drawn as a dotted border (as web pages
    and many printed forms lead the eye along a row). `ruled`: a rule under each row of the table, as a
    form ruled as a grid has. `leading`: the lines' pitch, in font sizes. `figures`: how the table's and the
    totals' figures stand in their column, the last `FIGURE_COLUMN` of the line: flush "right" (as a
    receipt prints them), "left" (a table cell's default, or a tab stop) or "centre"."""
    if figures not in FIGURE_ALIGNS:
        raise ValueError(f"figures must be one of {', '.join(FIGURE_ALIGNS)}, not {figures!r}")
    modules = 0
    code = ""
    if variant == "qr":
        symbol = segno.make(sheet.payload, error="m", micro=False, boost_error=False)
        modules = len(symbol.matrix)
        png = io.BytesIO()
        symbol.save(png, kind="png", scale=MODULE, border=0)
        source = "data:image/png;base64," + base64.b64encode(png.getvalue()).decode()
        side = modules * MODULE
        code = (
            f'<img id="code" src="{source}" width="{side}" height="{side}"><div class="c small">{sheet.acta_id}</div>'
        )
    face = base64.b64encode(font.read_bytes()).decode()
    page.set_content(_document(sheet, face, (size, leading), code, leaders, ruled, figures))
    page.evaluate("document.fonts.ready")
    geometry = page.evaluate(_GEOMETRY)
    image = Image.open(io.BytesIO(page.locator("#paper").screenshot())).convert("RGB")
    left, top = geometry["paper"][:2]

    def box(rect: list[float]) -> tuple[int, int, int, int]:
        return (round(rect[0] - left), round(rect[1] - top), round(rect[2] - left), round(rect[3] - top))

    image.info["fields"] = {name: PrintedField(box(rect), text) for name, (rect, text) in geometry["fields"].items()}
    image.info["table_box"] = box(geometry["table"])
    image.info["print_box"] = (MARGIN, MARGIN + WIDTH)
    image.info["dots_per_mm"] = 8
    image.info["module_dots"] = MODULE
    if geometry["code"] is not None:
        image.info["qr_box"], image.info["qr_modules"] = box(geometry["code"]), modules
    return image


def _document(
    sheet: ActaSheet, face: str, font: tuple[float, float], code: str, leaders: bool, ruled: bool, figures: str
) -> str:
    """The acta as one HTML page: the simulator's text, laid out by CSS (`font`: its size and leading)."""
    size, leading = font
    style = f"""
    @font-face {{ font-family: acta; src: url(data:font/ttf;base64,{face}); }}
    body {{ margin: 0; background: #fff; }}
    #paper {{ width: {WIDTH}px; padding: 40px {MARGIN}px 120px; background: #fff; color: #111;
              font: {size}px/{leading} acta; }}
    .c {{ text-align: center; }}
    .title {{ font-size: {1.8 * size}px; font-weight: bold; letter-spacing: 0.12em; margin: 6px 0; }}
    .row {{ display: flex; justify-content: space-between; white-space: pre; }}
    .line {{ white-space: pre; }}
    .small {{ font-size: {0.72 * size}px; }}
    .sign {{ margin-top: 64px; white-space: pre; }}
    hr {{ border: 0; border-top: 2px dashed #111; margin: 6px 0; }}
    hr.double {{ border-top: 3px double #111; }}
    #code {{ display: block; margin: 24px auto 8px; image-rendering: pixelated; }}
    .leader {{ flex: 1; border-bottom: 2px dotted #111; margin: 0 6px 6px; }}
    """
    if ruled:
        style += "#table .row { border-bottom: 1px solid #111; }"
    if figures != "right":
        style += f".figures > span:last-child {{ flex: 0 0 {FIGURE_COLUMN}; text-align: {FIGURE_ALIGNS[figures]}; }}"
    body = _body(sheet, leaders)
    return f"<html><head><style>{style}</style></head><body><div id='paper'>{body}{code}</div></body></html>"


def _body(sheet: ActaSheet, leaders: bool) -> str:
    def field(name: str, value: object) -> str:
        return f'<span data-field="{name}">{value}</span>'

    def row(left: str, right: str, *, led: bool = False, figure: bool = False) -> str:
        leader = '<span class="leader"></span>' if led else ""
        kind = "row figures" if figure else "row"
        return f'<div class="{kind}"><span>{left}</span>{leader}<span>{right}</span></div>'

    parts = [
        '<div class="c">REPÚBLICA BOLIVARIANA DE VENEZUELA</div><div class="c">CONSEJO NACIONAL ELECTORAL</div>',
        '<div class="c title">ACTA DE ESCRUTINIO</div>',
        '<div class="c">ELECCIÓN PRESIDENCIAL</div><div class="c">28 DE JULIO DE 2024</div><hr class="double">',
    ]
    for label, value in (("ESTADO:", sheet.state), ("MUNICIPIO:", sheet.municipality), ("PARROQUIA:", sheet.parish)):
        parts.append(f'<div class="line">{label:<11}{html.escape(value)}</div>')
    parts.append(f'<div class="line">{"CENTRO:":<11}{field("center", sheet.center_code)}</div>')
    parts += [f'<div class="line">{"":<11}{html.escape(part)}</div>' for part in textwrap.wrap(sheet.center_name, 37)]
    registered = "" if sheet.registered is None else f"ELECTORES: {field('registered', sheet.registered)}"
    parts.append(row(f"{'MESA:':<11}{field('mesa', sheet.mesa_number)}", registered))
    parts.append(row("FECHA: 28/07/2024", "HORA: 20:15:42") + "<hr>")
    parts.append('<div id="table">' + row("TJ ORGANIZACIÓN", "VOTOS", figure=True))
    for candidate, cards in itertools.groupby(sheet.cards, key=lambda card: card.candidate):
        parts.append(f'<div class="line">{html.escape(candidate)}</div>')
        parts += [
            row(
                f"{card.number:02d} {html.escape(card.party)}",
                field(card_field(card.number), card.votes),
                led=leaders,
                figure=True,
            )
            for card in cards
        ]
    parts.append("</div><hr>")
    printed = sheet.printed
    for label, name, figure in (
        ("VOTOS VÁLIDOS", "valid_votes", printed.valid_votes),
        ("VOTOS NULOS", "null_votes", printed.null_votes),
        ("TOTAL VOTOS ESCRUTADOS", "total_votes", printed.total_votes),
    ):
        parts.append(row(label, field(name, figure), figure=True))
    digest = hashlib.sha256(sheet.payload.encode("utf-8")).hexdigest().upper()
    parts.append(f'<hr class="double"><div class="line">MÁQUINA: {int(digest[:6], 16) % 10_000_000:07d}</div>')
    parts.append(f'<div class="line small">CÓDIGO: {" ".join(digest[i : i + 4] for i in range(0, 32, 4))}</div><hr>')
    parts.append('<div class="c">FIRMAS</div>')
    for signer in ("PRESIDENTE(A)", "MIEMBRO", "SECRETARIO(A)", "TESTIGO", "TESTIGO"):
        parts.append(f'<div class="sign">{signer:<14}{"_" * 20} C.I. _______</div>')
    return "".join(parts)
