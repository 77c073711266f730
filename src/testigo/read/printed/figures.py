"""What a sheet's printed figures say: checked against its QR code, or read on their own when it has none.

Two uses, one rule: a figure is never decided by a recogniser's first guess
alone, but by how much more likely the print makes one value than every
other close one (`FieldReading.margin`, a log-likelihood ratio in nats), and
never by one reader against the other: PP-OCR and the sheet's own font are
two witnesses, and what neither alone vouches for is left to a person.

* `cross_check`: the QR code says what each figure should be. A figure
  *agrees* when the sheet's own font alone favours the QR's value by
  `FONT_AGREE_MARGIN` or more, or both readers together by `AGREE_MARGIN`
  with neither alone against it by `DIFFER_MARGIN`; it *differs* when each
  reader alone favours another value by `DIFFER_MARGIN` or more, and is
  *unclear* otherwise (a blurred or shadowed cell, or readers that
  disagree). Differing also needs both readers to name the same other value:
  on a blur both may reject the QR's value while one sees a 1 and the other
  a 5 (simulated mixed photos: two genuine sheets out of 200), which says
  the cell is illegible, not that it prints something else. Two rules look
  at the whole sheet: a differing total whose parts, all compared, add up
  to something else than its reading was misread (a printer adds its own
  columns), and on a sheet with more than a quarter of its figures unclear
  nothing differs (the readers' errors are no longer independent). One differing
  figure makes the sheet a mismatch: the signature of an altered or
  re-printed sheet, which a reviewer must see. A false
  mismatch accuses a genuine sheet, so one reader is never enough for it:
  on simulated hard photos the font model alone called a blurred 0 a 9 by
  15 to 55 nats on one sheet in six, and PP-OCR alone misreads too; both
  misreading the same cell the same way is what the thresholds make rare
  (`benchmarks/print.py` measures false and caught mismatches).
* `rescue`: no QR code. Each figure's candidates are combined so that the
  sheet's own arithmetic holds (the cards add up to the valid votes, valid
  and null votes to the total) with the greatest joint likelihood; a figure's
  confidence is its posterior among the candidates that keep the arithmetic.
  The sheet may be accepted without a person only when every figure reaches
  `ACCEPT_CONFIDENCE` as the readers read it (a figure the sums changed is
  proposed to a person, never accepted), the arithmetic holds, and neither
  reader alone rejects a figure by `DIFFER_MARGIN` (the cross-check's
  standard for a reader against a value) unless the arithmetic settles it:
  the other reader reads that very value, and a sum whose every other figure
  is certain and undisputed leaves it no other (two witnesses against one).

The posteriors use `TEMPERATURE`, which turns the recogniser's
log-likelihoods into probabilities that match how often it is right
(calibrated on simulated sheets; see `benchmarks/print.py`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from testigo.domain.layout import Check, SheetLayout
from testigo.read.printed.reading import FONT, OCR, FieldReading, PrintNotRead, PrintReading
from testigo.read.printed.sums import solve

#: The print favours the QR's value by at least this (nats): the figure agrees.
AGREE_MARGIN = 2.0
#: The print favours another value by at least this (nats), by each reader alone: the figure differs...
DIFFER_MARGIN = 8.0
#: ... and, with the sheet's font as a reader, by this much by both together (see `_verdict`).
DIFFER_TOGETHER = 30.0
#: The sheet's own font alone favours the QR's value by at least this (nats): the figure agrees without
#: PP-OCR being run (it is run for every other figure, and its log-likelihood added).
FONT_AGREE_MARGIN = 12.0
#: More than this share of a sheet's figures unclear: the sheet is read too poorly for any figure to differ.
MAX_UNCLEAR_SHARE = 0.25
#: Divides log-likelihoods before they become posteriors (calibration; see the module docstring).
TEMPERATURE = 1.0
#: A rescued figure needs this posterior for the sheet to be accepted without a person.
ACCEPT_CONFIDENCE = 0.999
#: Where the two readers each read a figure otherwise, its own cell must favour the value chosen over the other
#: reader's by this much (both readers together), the sums aside: a posterior of `ACCEPT_CONFIDENCE` from the
#: cell alone (see `contested`).
CONTESTED_MARGIN = math.log(ACCEPT_CONFIDENCE / (1.0 - ACCEPT_CONFIDENCE))

AGREES, DIFFERS, UNCLEAR = "agrees", "differs", "unclear"


@dataclass(frozen=True)
class Comparison:
    """One figure of the print against the QR code's value for it."""

    field: str
    expected: str
    read: str
    margin: float
    verdict: str


@dataclass(frozen=True)
class CrossCheck:
    """Every compared figure, and what they amount to for the sheet."""

    comparisons: tuple[Comparison, ...]
    reading: PrintReading
    """The reading compared: the one given, or it with its totals found by their labels (`cross_check`)."""

    @property
    def differing(self) -> list[Comparison]:
        return [c for c in self.comparisons if c.verdict == DIFFERS]

    @property
    def unclear(self) -> list[Comparison]:
        return [c for c in self.comparisons if c.verdict == UNCLEAR]

    @property
    def outcome(self) -> str:
        """``mismatch`` (a figure differs), ``confirmed`` (every figure agrees) or ``partial``."""
        if self.differing:
            return "mismatch"
        return "partial" if self.unclear else "confirmed"

    def describe(self) -> str:
        """One line: each differing figure with both values, else how many figures agree."""
        if self.differing:
            parts = [f"{c.field} print {c.read or 'blank'}, QR {c.expected}" for c in self.differing]
            return "printed figures differ from the QR code: " + "; ".join(parts)
        agreeing = len(self.comparisons) - len(self.unclear)
        text = f"printed figures agree with the QR code ({agreeing} of {len(self.comparisons)} read)"
        at_edge, others = edge_split(self.reading, [c.field for c in self.unclear])
        if at_edge:
            text += f"; {AT_EDGE}: " + ", ".join(at_edge)
        if others:
            text += "; not legible: " + ", ".join(others)
        return text


#: What a reviewer is told of the fields the photo's edge may cut (`FieldReading.whole`).
AT_EDGE = "at the photo's edge, a digit may be cut off"


def edge_split(reading: PrintReading, names: Sequence[str]) -> tuple[list[str], list[str]]:
    """`names` (fields of `reading`) parted into those the photo's edge may cut and the others, in order."""
    at_edge = [name for name in names if not reading.fields[name].whole]
    return at_edge, [name for name in names if name not in at_edge]


def cross_check(reading: PrintReading, expected: Mapping[str, int], checks: Sequence[Check] = ()) -> CrossCheck:
    """Compare every field the print and the QR code both have; `checks` are the layout's arithmetic.

    Totals placed by position (`PrintReading.positional`) are proven there
    when every one of them agrees with the code: three lines each showing
    the code's value for the total expected there are where the totals are.
    Otherwise their labels are read and they are compared where the labels
    put them; when a label reads nowhere, those totals are unclear (the
    cards still count).
    """
    comparisons = _compared(reading, expected)
    if any(c.verdict != AGREES for c in comparisons if c.field in reading.positional):
        try:
            reading = reading.by_labels()
        except PrintNotRead:
            comparisons = [
                Comparison(c.field, c.expected, "", 0.0, UNCLEAR) if c.field in reading.positional else c
                for c in comparisons
            ]
        else:
            comparisons = _compared(reading, expected)
    return CrossCheck(_legible_enough(_refuted_totals(comparisons, checks)), reading)


def _compared(reading: PrintReading, expected: Mapping[str, int]) -> list[Comparison]:
    comparisons = []
    for name, value in expected.items():
        field = reading.fields.get(name)
        if field is None:
            continue
        text = str(value)
        verdict, margin = _verdict(field, text)
        read = text if verdict == AGREES else field.text
        comparisons.append(Comparison(name, text, read, round(margin, 2), verdict))
    return comparisons


def _legible_enough(comparisons: tuple[Comparison, ...]) -> tuple[Comparison, ...]:
    """The comparisons, every differing one made unclear when more than `MAX_UNCLEAR_SHARE` of them are unclear.

    The two-witness rule trusts that the readers rarely misread one cell the
    same way. Glare or blur over much of a sheet breaks that: on a simulated
    hard photo with glare, 22 of 41 figures were unclear and both readers
    read a total of 429 as 479. A sheet read that poorly is partial, never an
    accusation; of 59 hard photos in the 300-mesa demo 7 had more than a
    quarter unclear, and no altered sheet of the benchmark had any.
    """
    unclear = sum(c.verdict == UNCLEAR for c in comparisons)
    if unclear <= MAX_UNCLEAR_SHARE * len(comparisons):
        return comparisons
    return tuple(
        Comparison(c.field, c.expected, c.read, c.margin, UNCLEAR) if c.verdict == DIFFERS else c for c in comparisons
    )


def _refuted_totals(comparisons: list[Comparison], checks: Sequence[Check]) -> tuple[Comparison, ...]:
    """The comparisons, with a differing total made unclear when the print's own parts refute its reading.

    A printer adds up its own columns. A total read otherwise than the code
    says, whose parts all compared (the code's value where they agree, the
    read one where they differ) add up to something else than that reading,
    was misread: on a simulated hard photo with glare both readers read a
    valid-vote total of 429 as 479, every card agreeing. A forger who
    changes a card and its totals leaves parts that add up to the totals
    read (still a mismatch, by the card and the totals), and one who changes
    a card alone is caught by the card. The rule needs every part compared:
    with a part unclear the arithmetic says nothing, and the total stands.
    """
    known: dict[str, int | None] = {
        c.field: int(c.expected) if c.verdict == AGREES else int(c.read) if c.verdict == DIFFERS and c.read else None
        for c in comparisons
    }
    names = list(known)
    result = []
    for c in comparisons:
        parts = [known[name] for check in checks if check.total == c.field for name in check.part_fields(names)]
        if c.verdict == DIFFERS and parts and None not in parts and sum(p or 0 for p in parts) != known[c.field]:
            c = Comparison(c.field, c.expected, c.read, c.margin, UNCLEAR)
        result.append(c)
    return tuple(result)


def _verdict(field: FieldReading, text: str) -> tuple[str, float]:
    """Whether the field's print agrees with `text`, and the margin (nats, both readers) that says so.

    A field not proven to be on its own row (`FieldReading.placed`) is
    unclear whatever it reads, with no margin counted: it may be another
    card's figure. So is one the photo's edge may cut (`FieldReading.whole`):
    a digit cut off leaves another number, as sharp to both readers as a
    printed one. 200 crops of 10 simulated scans and 240 of 12 photos,
    each cut by the frame 2 to 20 pixels inside its figures on one side,
    held 3 and 5 genuine sheets as mismatches ("card_01 print 17, QR 171")
    before, none since; 30 and 46 were confirmed before, 1 and 3 since (the
    rest partial, or their table not found).

    A figure differs when each reader alone favours the same other value
    by `DIFFER_MARGIN`, and, where the sheet's font is a reader, both
    together by `DIFFER_TOGETHER`. The readers are not independent on
    every glyph: DejaVu Sans Mono's dotted zero, blurred on a hard photo,
    looks like an 8 to both, and a genuine sheet was held as a mismatch
    with the font favouring 8 by 11.5 nats and PP-OCR by 8.5 (20.5
    together). The font's margins on a figure it reads plainly run to
    hundreds of nats: of 32 altered sheets caught (10 photos, 22 hard
    photos; 4 more hard ones were partial already), the weakest mismatch
    the font read was 53 nats together, the next 73, and every one is
    caught as before.
    """
    if not (field.placed and field.whole):
        return UNCLEAR, 0.0
    font = field.margin(text, FONT)
    if field.has_font and font >= FONT_AGREE_MARGIN:
        return AGREES, font  # PP-OCR is not run: the font alone is the cheap, common case
    both = field.margin(text)
    alone = (field.margin(text, OCR), font) if field.has_font else (field.margin(text, OCR),)
    if both >= AGREE_MARGIN and min(alone) > -DIFFER_MARGIN:
        return AGREES, both
    together = not field.has_font or (both <= -DIFFER_TOGETHER and field.best(OCR) == field.best(FONT))
    if max(alone) <= -DIFFER_MARGIN and together:
        return DIFFERS, both
    return UNCLEAR, both


@dataclass(frozen=True)
class Rescued:
    """Figures read from the print alone: values, confidences, and whether a person need not check them."""

    values: dict[str, int | None]
    confidence: dict[str, float]
    arithmetic: bool
    """Whether the chosen values satisfy every check of the layout."""
    corrected: tuple[str, ...]
    """Fields whose value is not the recogniser's first reading (changed to make the arithmetic hold)."""
    split: tuple[str, ...] = ()
    """Fields not proven on their own row, or whose value one reader alone rejects (`dissents`), that the sums
    do not settle, and fields the readers read otherwise each that the cell alone does not settle (`contested`;
    see `rescue`)."""

    @property
    def certain(self) -> bool:
        """Every figure at `ACCEPT_CONFIDENCE` or more, as read, rejected by neither reader; the arithmetic holds."""
        return self.arithmetic and all(v is not None for v in self.values.values()) and not self.doubtful()

    def doubtful(self) -> list[str]:
        """The fields a person must check: below `ACCEPT_CONFIDENCE`, rejected by one reader, or `corrected`.

        A figure the sums changed from what the readers read best is never
        accepted without a person, however sure the posterior: the sum that
        changed it has then checked nothing else. Both readers misread a
        blurred cell alike often enough on hard photos (a 6 as 8 by 15 nats,
        a 0 as 9) that the sum, bent around the misread, "corrects" a right
        figure into a wrong one: on 40 simulated hard photos without a code
        two sheets were accepted so (148 made 146 to fit a 6 read as 8; a
        valid total made 539 to fit a 0 read as 9), beside four sheets the
        sums corrected rightly. Left to a person, the machine's reading is
        one entry, so those four cost one reviewer each.
        """
        return [
            name
            for name, c in self.confidence.items()
            if c < ACCEPT_CONFIDENCE or name in self.split or name in self.corrected
        ]


def rescue(reading: PrintReading, layout: SheetLayout) -> Rescued:
    """The most likely figures that keep the layout's arithmetic, each with its posterior confidence.

    Each figure's candidates within `PLAUSIBLE` nats of its best reading are
    weighed together (`sums.solve`): the chosen arrangement is the likeliest
    that keeps every sum, however many figures it changes from their best
    readings, and a figure's confidence is its marginal probability over every
    arrangement that keeps the sums. A misread figure can only hide behind the
    arithmetic together with others that compensate it, and the marginal
    weighs all of them. A figure the arrangement changes is `corrected`: the
    values are the best guess for the reviewer's form, but such a sheet is
    not `Rescued.certain`.

    A figure one reader alone rejects (`dissents`) is settled, not doubtful,
    when the other reader reads that value as its likeliest and some sum it
    belongs to has every other figure certain, placed and undisputed: that
    sum then fixes it whatever its cell shows, so the dissenting reader is
    outvoted by the other reader and the arithmetic. So are several such
    figures, or figures whose rows' keys did not read, that the sum leaves
    nothing but 0 (`_pinned`): on 60 simulated hard photos without a code
    (five printers, seed 5152), 41 sheets certain instead of 36 (one of
    them not read at all before: the totals proven where they stand), and
    a photo printed in Liberation Mono Bold, whose dotted 0 PP-OCR reads
    as 8; every figure right, and nothing else changed on 350 more.

    A figure the two readers read otherwise each (`contested`) is settled by
    its own cell or not at all: the sums are no witness there, for the
    confusion that parts the readers repeats across a sheet. A hard photo
    laid out by Chromium in Liberation Mono, whose dotted zero the sheet's
    font read as 8 where PP-OCR read 0, was accepted with a card of 0 read
    as 8 and both totals' last 0 read as 8 (420 as 428): three misreads the
    sums bore out. Of 471 sheets certain on 22 sets of simulated and
    browser-laid photos without a readable code (678 sheets), 25 go to a
    person so, that sheet among them (the only one with a wrong figure);
    no other outcome or figure changes.

    A figure the photo's edge may cut (`FieldReading.whole`) counts here as
    any other, unlike in `cross_check`: a digit cut off is one more misread
    for the sums to refuse, and a sheet cut off along its figures loses its
    table first. Of 240 crops of 12 simulated photos without a code, cut by
    the frame as in `_verdict`, none was certain with a wrong figure either
    way; making such figures doubtful (then with half a text height of
    room, `cells.EDGE_ROOM`) left 32 certain instead of 49.
    """
    names = [name for name in layout.figure_fields() if name in reading.fields]
    options = {name: _numeric(reading.fields[name]) for name in names}
    best: dict[str, int | None] = {name: opts[0][0] if opts else None for name, opts in options.items()}
    likelihoods = {
        name: {v: math.exp((s - opts[0][1]) / TEMPERATURE) for v, s in opts if s >= opts[0][1] - PLAUSIBLE}
        for name, opts in options.items()
        if opts
    }
    sums = [(check.total, check.part_fields(names)) for check in layout.checks]
    solution = solve(likelihoods, sums)
    if solution is None:
        return Rescued(best, {name: _alone(options[name]) for name in names}, False, ())
    chosen: dict[str, int | None] = {name: solution.values.get(name) for name in names}
    confidence = {name: solution.confidence.get(name, 0.0) for name in names}
    corrected = tuple(name for name in names if chosen[name] != best[name])
    unplaced = {name for name in names if not reading.fields[name].placed}
    dissented = {name for name in names if dissents(reading.fields[name], str(chosen[name]))}
    vouched = {name for name in names if name not in unplaced | dissented and confidence[name] >= ACCEPT_CONFIDENCE}
    read = {name for name in dissented | unplaced if _one_reader_reads(reading.fields[name], str(chosen[name]))}
    zeros = {name for name in read if chosen[name] == 0}
    settled = {
        name
        for name in read
        if (name in zeros or name not in unplaced)
        and any(_pinned(name, total, parts, vouched, zeros) for total, parts in sums)
    }
    contests = {name for name in names if contested(reading.fields[name], str(chosen[name]))}
    split = tuple(name for name in names if name in ((unplaced | dissented) - settled) | contests)
    return Rescued(chosen, confidence, True, corrected, split)


def _pinned(name: str, total: str, parts: list[str], vouched: set[str], zeros: set[str]) -> bool:
    """Whether the sum of `parts` to `total` fixes `name` whatever its cell shows: every other figure of the sum is
    `vouched`; or `name` is a part, the total is vouched, and the parts that are not are `zeros` (each chosen as 0
    and read so by one reader), which the sum, adding up with them at 0, leaves no other value.

    Counts are never negative: when the vouched figures of a sum already
    make its total, every other part is 0, however many there are, and
    wherever their cells were read: a zero not proven on its own row
    (its key unread) is fixed as surely as one that is. A sum whose open
    parts add up to more than 0 fixes only what they add up to (a 3 and a
    0 read as 8s might be an 8 and a 0), and stays open.
    """
    members = {total, *parts}
    if name not in members:
        return False
    rest = members - {name}
    if rest <= vouched:
        return True
    return name in parts and name in zeros and total in vouched and rest - vouched <= zeros


def dissents(field: FieldReading, text: str) -> bool:
    """Whether PP-OCR alone, or the sheet's font alone, rejects `text` by `DIFFER_MARGIN` nats or more.

    A reader that merely prefers another value is no veto: on blurred cells
    PP-OCR reads a lone 0 as 8 or 9, and a 3 as 1, on most hard photos,
    while the font and the sheet's arithmetic agree on the printed value.
    Requiring each reader's first choice to be the chosen value left 65 of
    104 simulated photos without a code (photo, hard and hardest) for a
    person; requiring only that neither rejects it as the cross-check
    requires before it calls a figure different accepted 78, every figure
    right (the posterior, arithmetic included, must still reach
    `ACCEPT_CONFIDENCE`).

    A confident dissent (the font's blurred 0 read as a 9 by 9 to 55 nats)
    holds the sheet for a person unless the arithmetic settles it (see
    `rescue`). On 120 simulated hard and hardest photos without a code
    (header aside) that exception made 15 more sheets certain (48 to 63),
    every figure right; in 3 more, where neither reader read the value the
    sums required, the sums were right too, but they are one witness alone,
    so those sheets wait for a person.
    """
    readers = (OCR, FONT) if field.has_font else (OCR,)
    return any(field.margin(text, reader) <= -DIFFER_MARGIN for reader in readers)


def contested(field: FieldReading, text: str) -> bool:
    """Whether the two readers each read the field as another string, and its cell, both readers together, does not
    favour `text` over each of their readings by `CONTESTED_MARGIN` nats.

    Where the readers agree, a reader that alone prefers another value is
    outvoted (`dissents`: PP-OCR reads a blurred lone 0 as 8 on most hard
    photos, the font by 40 to 130 nats as 0). Where they split and the
    cell barely settles it, the arithmetic is the only witness left, and it
    is not one: a font model learned from a dotted zero it saw blurred
    misreads every such 0 of the sheet alike, and a 0 read as 8 in a card
    and in the last digit of both totals keeps every sum.
    """
    if not field.has_font:
        return False
    readings = {reading for reading in (field.best(OCR), field.best(FONT)) if reading}
    if len(readings) < 2:
        return False
    others = readings - {text}
    scores = field.log_likelihoods([text, *others])
    return any(scores[text] - scores[other] < CONTESTED_MARGIN for other in others)


def _one_reader_reads(field: FieldReading, text: str) -> bool:
    """Whether one of the two readers, alone, reads `text` as its likeliest string (the other may reject it)."""
    return field.has_font and max(field.margin(text, OCR), field.margin(text, FONT)) > 0


#: Candidates this many nats below a figure's best reading are never considered for it.
PLAUSIBLE = 12.0


def _numeric(field: FieldReading) -> list[tuple[int, float]]:
    """The candidates that are numbers as a printer writes them (no blank, no leading zero), most likely first."""
    return [(int(text), score) for text, score in field.candidates if text and not (len(text) > 1 and text[0] == "0")]


def _alone(options: list[tuple[int, float]]) -> float:
    """A figure's posterior from its own candidates only (when the arithmetic cannot be made to hold)."""
    if not options:
        return 0.0
    top = options[0][1]
    return 1.0 / sum(math.exp((s - top) / TEMPERATURE) for _, s in options)
