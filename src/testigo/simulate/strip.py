"""Render a boletim de urna as the urna prints it: a long thermal strip of text, then its QR codes.

The urna's printer is a thermal receipt printer on paper about 80 mm wide,
like the one `testigo.simulate.render` models for Venezuela's actas, so the
strip is laid out with the same printer-dot machinery (`PrintStyle`, its
fixed-cell fonts, its dot-exact QR codes and its paper): a header naming the
election, the state, municipality, zone and section, the turnout, one block
per contest (each party's candidates, label votes and total for the
proportional offices; candidates, blank, null and total for all), and last
the QR codes stacked one under the other, each captioned ``QR code i/n``.

The text comes from the simulated BU's truth and the codes from the part
texts given, so a forged set of parts can be printed under a genuine-looking
strip, as a forger would. ``image.info`` says where every code and printed
figure lies, as `render_acta` does, so that `testigo.simulate.degrade` can
photograph the strip (aiming at the codes) and tests can check what should
be decodable.

A strip with many codes is long, and a volunteer photographs it in several
shots: `split_strip` cuts its codes into pieces that each hold whole codes,
and `photograph` degrades the strip, or each piece, into the file uploaded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import segno
from PIL import Image

from testigo.profiles.bu.text import parse_part
from testigo.simulate.boletim import PROPORTIONAL, BuElection, ContestVotes, SimulatedBoletim
from testigo.simulate.degrade import Degraded, degrade_image
from testigo.simulate.render import QR_ERROR_LEVEL, PrintedField, PrinterLayout, ink_to_paper, print_qr
from testigo.simulate.style import STANDARD, PrintStyle

#: Blank paper fed after the last code, before the cut (standard printer dots).
TAIL_DOTS = 120
#: Paper kept above a piece's first caption when a strip is split: the end of what is printed above it.
OVERLAP_DOTS = 96
_MONTHS = ("", "JAN", "FEV", "MAR", "ABR", "MAI", "JUN", "JUL", "AGO", "SET", "OUT", "NOV", "DEZ")


@dataclass(frozen=True)
class PrintedCode:
    """One QR code on the strip: which part it is, its box (x0, y0, x1, y1) in strip pixels, its size, its text.

    `top` is where its print begins, caption included: a cut there keeps the code whole with its caption.
    """

    index: int
    count: int
    top: int
    box: tuple[int, int, int, int]
    modules: int
    text: str


def render_strip(
    election: BuElection,
    boletim: SimulatedBoletim,
    parts: Sequence[str],
    rng: np.random.Generator,
    *,
    style: PrintStyle = STANDARD,
) -> Image.Image:
    """The printed BU as an RGB image, one pixel per printer dot, with its `parts` as QR codes under the text.

    `parts` are QR texts of a BU (`qr_texts`, or a forgery's); each is
    captioned with its own ``QRBU`` label. `MalformedPart` is raised for a
    text that is not one.

    ``image.info`` holds:

    * ``codes``: a `PrintedCode` per part, in print order;
    * ``qr_box`` and ``qr_modules``: the box around all the codes and the
      widest code's size in modules, the region a photo aims at (as for an
      acta, whose single code they describe);
    * ``fields``: printed figures (``APTO``, ``COMP``, ``FALT``, and per
      contest ``{CARG}:{number}`` for each candidate, ``{CARG}:TOTC`` ...)
      as `PrintedField`;
    * ``table_box``: the contests' results, from the first block to the
      last total; ``module_dots``, ``dots_per_mm`` and ``print_box`` as
      `render_acta` has them.
    """
    if not 1 <= len(parts) <= 9:
        raise ValueError(f"a BU has 1 to 9 QR codes, not {len(parts)}")
    layout = PrinterLayout(style)
    _print_header(layout, election, boletim)
    table_top = layout.y
    for result in boletim.results:
        _print_contest(layout, election, result)
    table_box = (layout.left, table_top, layout.left + style.print_dots, layout.y)
    layout.feed(16)
    layout.centred("ASSINATURA DIGITAL NOS QR CODES", style.font_b)
    codes = [_print_code(layout, text) for text in parts]
    layout.feed(16)
    layout.centred("*** FIM DO BOLETIM DE URNA ***", style.font_b)
    layout.feed(TAIL_DOTS)
    image = Image.fromarray(ink_to_paper(layout.strip(), rng, style), "RGB")
    image.info.update(
        _where_codes_are(codes),
        fields=dict(layout.fields),
        table_box=table_box,
        module_dots=style.qr_module_dots,
        dots_per_mm=style.dots_per_mm,
        print_box=(layout.left, layout.left + style.print_dots),
    )
    return image


def split_strip(image: Image.Image, photos: int) -> list[Image.Image]:
    """The strip's codes cut into `photos` pieces, as a volunteer photographs a long strip's codes in several shots.

    The codes are shared out in print order, as evenly as they go; every code
    lies whole in one piece, with its caption and a little of what is printed
    above it (the end of the results, or of the previous code); the last piece
    runs to the end of the strip. Each piece's ``info`` is the strip's, moved
    to the piece and reduced to what lies wholly in it.
    """
    codes: tuple[PrintedCode, ...] = image.info["codes"]
    if not 1 <= photos <= len(codes):
        raise ValueError(f"a strip with {len(codes)} codes splits into 1 to {len(codes)} photos, not {photos}")
    groups = np.array_split(np.arange(len(codes)), photos)
    pieces = []
    for k, group in enumerate(groups):
        first, last = int(group[0]), int(group[-1])
        top = max(codes[first].top - OVERLAP_DOTS, 0)
        bottom = image.height if k == photos - 1 else codes[last + 1].top
        pieces.append(_piece(image, top, bottom, list(codes[first : last + 1])))
    return pieces


def photograph(
    image: Image.Image, quality: str, rng: np.random.Generator, *, photos: int | None = None
) -> list[Degraded]:
    """The files a volunteer uploads for the strip, each degraded to `quality`.

    Without `photos`, one shot of the whole strip (a long strip then comes
    out small, as it does in a real photo of a whole BU); with it, that many
    shots of its codes (`split_strip`). `quality` is one of
    `testigo.simulate.degrade.QUALITIES`; each shot's `Degraded.quad` maps
    any box of its piece (such as a code's, from the piece's ``codes``) into
    the photo.
    """
    pieces = [image] if photos is None else split_strip(image, photos)
    return [degrade_image(piece, quality, rng) for piece in pieces]


# --- the text -------------------------------------------------------------------------------------


def _print_header(layout: PrinterLayout, election: BuElection, boletim: SimulatedBoletim) -> None:
    style = layout.style
    font_a = style.font_a
    section = boletim.section
    layout.centred("JUSTIÇA ELEITORAL", font_a)
    layout.centred("TRIBUNAL SUPERIOR ELEITORAL", font_a)
    layout.feed(8)
    layout.centred("BOLETIM DE URNA", font_a, scale=2, spacing=10)
    layout.centred(f"ELEIÇÕES GERAIS {election.year}", font_a)
    layout.centred(f"{election.turn}º TURNO - {_date(election.date)}", font_a)
    layout.centred("*** SIMULADO ***", font_a)  # FASE:S, as the key's name says
    layout.rule("=")
    layout.labelled("UF", section.uf)
    layout.labelled("MUNICÍPIO", f"{section.municipality.code:05d} {section.municipality.name}")
    layout.pair(f"ZONA: {section.zone:04d}", f"SEÇÃO: {section.number:04d}")
    layout.labelled("LOCAL", f"{section.location:04d}")
    for label, key in (("ELEITORES APTOS", "APTO"), ("COMPARECIMENTO", "COMP"), ("ELEITORES FALTOSOS", "FALT")):
        value = boletim.field(key)
        layout.pair(label, value, (key, value))
    layout.pair("CÓDIGO DA URNA", boletim.field("IDUE"))
    layout.pair("ABERTURA", f"{_date(boletim.field('DTAB'))} {_time(boletim.field('HRAB'))}")
    layout.pair("ENCERRAMENTO", f"{_date(boletim.field('DTFC'))} {_time(boletim.field('HRFC'))}")


def _print_contest(layout: PrinterLayout, election: BuElection, result: ContestVotes) -> None:
    """One contest: its candidates with votes (by party for a proportional office), then its totals."""
    font_a = layout.style.font_a
    contest = result.contest
    office = contest.office
    layout.rule()
    layout.centred(contest.name, font_a)
    acronyms = {party.number: party.acronym for party in election.parties}
    if contest.kind == PROPORTIONAL:
        for party, members in contest.members.items():
            total = result.party_total(party)
            if total == 0:
                continue
            layout.text(f"PARTIDO {party} - {acronyms[party]}", font_a)
            for i in members:
                _candidate_line(layout, office, contest.candidates[i].number, contest.candidates[i].name, result)
            layout.pair(
                " VOTOS DE LEGENDA", str(result.label[party]), (f"{office}:LEGP:{party}", str(result.label[party]))
            )
            layout.pair(" TOTAL DO PARTIDO", str(total), (f"{office}:TOTP:{party}", str(total)))
    else:
        for candidate in contest.candidates:
            _candidate_line(layout, office, candidate.number, f"{candidate.name} ({acronyms[candidate.party]})", result)
    totals = [("ELEITORES APTOS", "APTA", result.eligible), ("VOTOS NOMINAIS", "NOMI", result.nominal)]
    if contest.kind == PROPORTIONAL:
        totals.append(("VOTOS DE LEGENDA", "LEGC", result.label_total))
    totals += [
        ("EM BRANCO", "BRAN", result.blank),
        ("NULOS", "NULO", result.null),
        ("TOTAL APURADO", "TOTC", result.total),
    ]
    for label, key, value in totals:
        layout.pair(label, str(value), (f"{office}:{key}", str(value)))


def _candidate_line(layout: PrinterLayout, office: int, number: int, name: str, result: ContestVotes) -> None:
    """``number NAME ... votes``, printed only for a candidate with votes (as the QR lists them)."""
    if result.votes[number]:
        _figure(layout, f"{number} {name}", f"{office}:{number}", result.votes[number])


def _figure(layout: PrinterLayout, label: str, name: str, value: int) -> None:
    """`label` and `value` flush right on one line, the value recorded as field `name`."""
    layout.pair(label, str(value), (name, str(value)))


def _print_code(layout: PrinterLayout, text: str) -> PrintedCode:
    """The code captioned with the part's own label (a forged set may lack a part: its captions say so)."""
    part = parse_part(text)
    index, count = part.index, part.count
    modules = segno.make(text, error=QR_ERROR_LEVEL, micro=False, boost_error=False).symbol_size(border=0)[0]
    if modules * layout.style.qr_module_dots > layout.style.print_dots:
        raise ValueError(
            f"part {index}'s code ({modules} modules) is wider than the {layout.style.describe()} printer prints"
        )
    top = layout.y
    layout.feed(8)
    layout.centred(f"QR code {index}/{count}", layout.style.font_a)
    box, modules = print_qr(layout, text)
    return PrintedCode(index, count, top, box, modules, text)


def _date(yyyymmdd: str) -> str:
    return f"{yyyymmdd[6:8]}/{yyyymmdd[4:6]}/{yyyymmdd[:4]}"


def _time(hhmmss: str) -> str:
    return f"{hhmmss[:2]}:{hhmmss[2:4]}:{hhmmss[4:6]}"


# --- pieces ---------------------------------------------------------------------------------------


def _where_codes_are(codes: Sequence[PrintedCode]) -> dict[str, object]:
    """The ``codes``, and the box around them with the widest's modules: what a photo aims at and scales by."""
    widest = max(codes, key=lambda code: code.modules)
    return {
        "codes": tuple(codes),
        "qr_box": (widest.box[0], codes[0].box[1], widest.box[2], codes[-1].box[3]),
        "qr_modules": widest.modules,
    }


def _piece(image: Image.Image, top: int, bottom: int, codes: list[PrintedCode]) -> Image.Image:
    """Rows `top`..`bottom` of the strip, with its info moved up by `top` and kept to what lies inside."""
    piece = image.crop((0, top, image.width, bottom))
    info = image.info

    def moved(box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
        return box[0], box[1] - top, box[2], box[3] - top

    kept = [PrintedCode(c.index, c.count, c.top - top, moved(c.box), c.modules, c.text) for c in codes]
    fields = {
        name: PrintedField(moved(field.box), field.text)
        for name, field in info["fields"].items()
        if top <= field.box[1] and field.box[3] <= bottom
    }
    x0, y0, x1, y1 = info["table_box"]
    table = (x0, max(y0, top) - top, x1, min(y1, bottom) - top)
    piece.info.update(
        _where_codes_are(kept),
        fields=fields,
        table_box=table if table[1] < table[3] else (x0, 0, x1, piece.height),
        module_dots=info["module_dots"],
        dots_per_mm=info["dots_per_mm"],
        print_box=info["print_box"],
    )
    return piece
