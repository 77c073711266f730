"""Reading a sheet's printed figures: find its lines, match them to its layout, recognise each field.

`read_print` turns a page into a `PrintReading`: for every field of the
layout (each table row's figure, the totals, the header codes), the digit
strings the recogniser finds likely there with their log-likelihoods, and
where the field lies on the page (so a reviewer can be shown it). It decides
nothing about the figures: comparing them with a QR code, or accepting them
on their own, is `testigo.read.printed.figures`'s job, which needs to ask how
likely any value is (`FieldReading.log_likelihood`).

Which way up the page is: a QR code's own orientation says it when there is
one; otherwise both turns are tried and the one whose table keys read as the
layout's keys (01, 02, ...) wins. Keys are also what proves that the rows were
numbered right: a lost or an extra line shifts them, and they stop reading
as expected.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import cache, cached_property, partial
from typing import NamedTuple

import numpy as np

from testigo.domain.layout import VALUE_LAST, LabelledField, SheetLayout
from testigo.errors import TestigoError
from testigo.read import ocr
from testigo.read.printed.cells import EDGE_ROOM, cut_by_edge, word_crop, word_quad
from testigo.read.printed.font import FontModel, learn
from testigo.read.printed.glyphs import GlyphField, measure
from testigo.read.printed.lines import (
    Frame,
    NotPrint,
    TextLine,
    TextSurvey,
    Word,
    frame_in,
    survey_text,
    text_width,
    turn_text,
)
from testigo.read.printed.paper import flattened
from testigo.read.printed.perspective import squared
from testigo.read.printed.structure import FigureColumn, Located, NotFound, locate

#: Candidate strings kept per field.
CANDIDATES = 6
#: Times a field's candidates are widened by the strings one edit from the most likely of them (`FieldReading._pool`).
CLIMBS = 2
#: Keys read, spread over the table, to choose among the ways the lines can match the layout and to prove
#: the rows are numbered right (a lost or extra line shifts every key after it).
PROBE_KEYS = 3
#: Mean log-likelihood per key under which the table's keys do not read as the layout's: rows misnumbered.
KEY_FLOOR = -2.0
#: A row whose key the reader finds this many nats less likely than another string is not proven to be its row.
KEY_MARGIN = 5.0
#: More than this share of rows not proven: the table is misnumbered as a whole, not a row here and there.
MAX_UNKEYED = 0.25
#: Log-likelihood under which no line below the table is taken for a total's label.
LABEL_FLOOR = -1.5
#: Log-likelihood per character of its label under which no header word is taken for that label. The short
#: "MESA:" reads worst: on 109 simulated codeless photos, hard and hardest, the three labels read at -2.3
#: ("CENTRO:"), -3.2 ("MESA:") and -1.5 ("ELECTORES:") at the lowest, and no other header word above -8.3
#: as a header label. A word taken for the wrong label gives a code the registry check then refuses. (Until
#: December 2026 the floor was -0.6 times the label's length, on scores already per character: -3.0 for
#: "MESA:", which lost the mesa of 3 of those 109 sheets and of one sheet on two other printers, -6.0 for
#: "ELECTORES:".)
HEADER_LABEL_FLOOR = -4.0
#: A crop reading as a label with this log-likelihood per character or better ends the search for it
#: (`_Labels`). Header words are read first where their value word looks like a figure to the sheet's font
#: (`_header`), and no other header word read above -8.3 as a header label on 340 simulated photos, hard
#: and hardest (the label itself down to -2.8): -2.0 stops there. Below the table two lines share "VOTOS",
#: and "VOTOS VÁLIDOS" read -3.5 on the null votes' line: -1.0.
LABEL_SURE, HEADER_LABEL_SURE = -1.0, -2.0
#: Characters a header word's width (in pitches) may fall short of its label's length, or exceed its widest
#: (`CAPS_WIDEST`), and still be read as one.
LABEL_SLACK = 3.0
#: Digit advances a capital letter (or a colon) may take, on average over a label. A fixed-pitch font's
#: take one; a proportional font's capitals are wider than its digits: "ELECTORES:" is 9.8 digits wide in
#: DejaVu Sans, 11.4 in Liberation Sans, 12.9 in Liberation Serif Bold (Times New Roman Bold's metrics,
#: 1.32 a letter at the most over ve2024's labels). Counted as one pitch a letter, the last lost the
#: registered voters of every Chromium-laid codeless photo in that font: of 22 (photos, hard and hardest), 2
#: were read for certain, and 15 so; in Liberation Serif 8 of 26 and 16, in Liberation Sans 38 of 62 and 44.
CAPS_WIDEST = 1.35
#: Pitches a label's value word may be narrower than its fewest digits, or wider than its most.
VALUE_SLACK = 2.0
#: Blank, in pitches, under which neighbouring words are one figure (`_figure_from`). In a fixed-pitch
#: font a figure's glyphs stand at most a pitch less its narrowest glyph apart, words a space apart at least
#: about a pitch: on a simulated hard photo of a wide-pitch printer (48 columns on 80 mm, 0.95 text heights a
#: pitch) the two ones of "11" stood 0.57 pitches apart, wider than the words are joined at (0.75 text
#: heights), and the key and the name 0.99 to 1.16. Only a pitch wider than the letters are tall brings
#: 0.8 pitches past the joining width; the narrower fonts of the other printers never reach it.
FIGURE_GAP = 0.8
#: A figure whose end is within this many text heights of a right-aligned column's margin (or past it) ends where
#: the column's figures end, so no digit of it lies past the photo's edge however close that is
#: (`cells.cut_by_edge` asks it no room): one that lost its last digit there ends a pitch short, 0.6 to 0.95
#: text heights in the simulated printers' fonts.
FLUSH_HEIGHTS = 0.3

#: The turns of a framing that hold rows shaped as a layout's table, each with its candidate tables (`_located`).
_Turns = list[tuple[Frame, list[Located]]]


#: Why a page showing two sheets of one form side by side is not read (`read_print`).
SEVERAL_SHEETS = "several sheets side by side on the page: photograph or scan each on its own"
#: A block of text beside the sheet read is another sheet when its words are this share of the sheet's (by
#: width) or more (`_another_sheet`); the figures of another receipt (its right half) measured under a
#: tenth, its card numbers and names (its left half) 0.97 to 0.99, a whole receipt 0.97 to 1.0.
SHEET_SHARE = 0.5

#: The readers a `FieldReading` answers for: PP-OCR, the sheet's font, or both (log-likelihoods added).
OCR, FONT, BOTH = "ocr", "font", "both"


class PrintNotRead(TestigoError):
    """The sheet's printed figures could not be read at all; str() is the one-line reason."""


class TableNotFound(PrintNotRead):
    """The layout's table is not on the page: its lines match it nowhere, or no candidate's card numbers read."""


class TotalsUnread(PrintNotRead):
    """A total's label reads nowhere on a sheet whose own sums did not prove its totals where they stand.

    `reading` is the sheet read all the same, its totals where the layout
    puts them, unproven (`PrintReading.unlabelled`): `read_print` returns it
    when no framing reads the sheet better, so that a person still gets the
    machine's reading and every figure's place, never a certain sheet.
    """

    def __init__(self, reason: str, reading: PrintReading) -> None:
        super().__init__(reason)
        self.reading = reading


class FieldReading:
    """What the two readers make of one field of the layout: PP-OCR, and the sheet's own font when it has one.

    The readers err differently (PP-OCR knows every font, the font model only
    this sheet's but at its own size and blur), so they are kept apart as
    two witnesses: `margin` and `best` answer for one reader (``"ocr"`` or
    ``"font"``) or for both together (their log-likelihoods added, the
    default). `candidates` are the most likely strings by that sum, among
    PP-OCR's best and every string one edit from its two best, all with as
    many digits as the field may have.

    PP-OCR runs only when first needed: a cross-check whose font model alone
    already confirms the QR's value never runs it, which is most of what
    keeps a cross-check cheap.
    """

    def __init__(
        self,
        name: str,
        quad: tuple[tuple[float, float], ...],
        crop: Callable[[], np.ndarray],
        digits: tuple[int, int],
        font: Callable[[Sequence[str]], dict[str, float]] | None = None,
        *,
        placed: bool = True,
        whole: bool = True,
    ) -> None:
        self.name = name
        self.placed = placed
        """Whether the field is proven to be where it was read (its table row's key read as that row's key)."""
        self.whole = whole
        """Whether the field lies clear of the page's edge (`cells.cut_by_edge`): else a digit may be past it."""
        self.quad = quad
        """The field's corners on the page (top-left, top-right, bottom-right, bottom-left), in pixels."""
        self._crop = crop
        self._digits = digits
        self._font = font
        self._font_scores: dict[str, float] = {}
        self._ocr_scores: dict[str, float] = {}

    @property
    def has_font(self) -> bool:
        """Whether the sheet's font is a second reader of this field."""
        return self._font is not None

    @cached_property
    def _reading(self) -> ocr.Reading:
        [reading] = ocr.recognise([self._crop()])
        return reading

    @cached_property
    def _pool(self) -> set[str]:
        """The strings worth scoring: PP-OCR's best, every string one edit from its two best, and every string
        one edit from the most likely of those by both readers, and so on while that one changes (`CLIMBS`).

        PP-OCR's best strings can all miss the printed one by two edits
        where it drops a digit: a hard photo's total 477 read "17", the
        font finding 417 best of the strings one edit from it and 477
        (two edits from "17") 60 nats more likely still.
        """
        best = [text for text, _ in ocr.candidates(self._reading, CANDIDATES) if self._fits(text)]
        pool = {*best, *self._near(best[:2])}
        for _ in range(CLIMBS):
            scores = self._score(pool)
            top = max(sorted(scores), key=lambda text: scores[text], default=None)
            more = self._near([top]) - pool if top is not None else set()
            if not more:
                break
            pool |= more
        return pool

    @cached_property
    def candidates(self) -> tuple[tuple[str, float], ...]:
        """Digit strings with their log-likelihoods by both readers, most likely first."""
        ranked = sorted(self._score(self._pool).items(), key=lambda item: (-item[1], item[0]))
        return tuple(ranked[:CANDIDATES])

    @property
    def text(self) -> str:
        return self.candidates[0][0] if self.candidates else ""

    def likely(self, k: int) -> tuple[tuple[str, float], ...]:
        """PP-OCR's `k` most likely digit strings, with their log-probabilities, most likely first.

        PP-OCR's alone, whatever the field's readers, and of any length (not
        only as many digits as the field may have): these are probabilities
        that sum to 1 over every digit string, for callers that weigh what the
        strings not listed may hold (`testigo.pipeline.header`).
        """
        return tuple(ocr.candidates(self._reading, k))

    def log_likelihood(self, text: str) -> float:
        """How well the field supports `text` (any digit string, e.g. the QR code's value), by both readers."""
        return self._score([text])[text]

    def log_likelihoods(self, texts: Iterable[str]) -> dict[str, float]:
        """`log_likelihood` of each of `texts`, scored together (one pass of each reader over all of them)."""
        return self._score(texts)

    def best(self, reader: str = BOTH) -> str:
        """The string `reader` finds most likely among the candidates ("" when there are none)."""
        scores = self._score(self._pool, reader)
        return max(sorted(scores), key=lambda text: scores[text]) if scores else ""

    def margin(self, text: str, reader: str = BOTH) -> float:
        """log P(`text`) minus that of the best other string one edit from it or among the candidates, by `reader`.

        Infinite when `reader` is the font and the sheet has no font model.
        """
        if reader == FONT and self._font is None:
            return math.inf
        rivals = self._near([text]) | (self._pool if reader != FONT else set())
        scores = self._score({text, *rivals}, reader)
        others = [score for other, score in scores.items() if other != text]
        if not others:
            return math.inf
        rival = max(others)
        return 0.0 if scores[text] == rival else scores[text] - rival  # both -inf: no evidence either way

    def _fits(self, text: str) -> bool:
        low, high = self._digits
        return text.isdigit() and low <= len(text) <= high

    def _near(self, texts: Iterable[str]) -> set[str]:
        """Every string one edit from one of `texts` with as many digits as the field may have."""
        return {near for text in texts for near in ocr.neighbours(text) if self._fits(near)}

    def _score(self, texts: Iterable[str], reader: str = BOTH) -> dict[str, float]:
        texts = list(dict.fromkeys(texts))
        font = {text: 0.0 for text in texts}
        if reader != OCR and self._font is not None:
            wanted = [text for text in texts if text not in self._font_scores]
            if wanted:
                self._font_scores.update(self._font(wanted))
            font = {text: self._font_scores[text] for text in texts}
        if reader == FONT:
            return font
        wanted = [text for text in texts if text not in self._ocr_scores]
        if wanted:
            self._ocr_scores.update(zip(wanted, ocr.log_likelihoods(self._reading, wanted), strict=True))
        return {text: self._ocr_scores[text] + font[text] for text in texts}


@dataclass(frozen=True)
class PrintReading:
    """Every field of `layout` as read on one page."""

    layout: str
    fields: dict[str, FieldReading]
    upside_down: bool
    """Whether the text ran upside down in the frame the lines were found in (informative)."""
    missing: tuple[str, ...] = ()
    """Header fields whose label was not found (the figures can still be read)."""
    positional: tuple[str, ...] = ()
    """Fields placed by position alone, not by their labels (the totals, when `read_print`'s `labels` is False)."""
    labelled: Callable[[], dict[str, FieldReading]] | None = field(default=None, repr=False, compare=False)
    """Finds the `positional` fields by their labels (raises `PrintNotRead` when a label reads nowhere)."""
    unlabelled: tuple[str, ...] = ()
    """Totals read where the layout puts them because a label read nowhere and the sums did not prove them
    there (`TotalsUnread`): not `FieldReading.placed`, so the sheet is never certain."""

    def by_labels(self) -> PrintReading:
        """This reading with its totals found by their labels (itself when they were); raises `PrintNotRead`."""
        if self.labelled is None:
            return self
        return replace(
            self, fields={**self.fields, **_kept(self.labelled(), self.fields)}, positional=(), labelled=None
        )


def _kept(found: dict[str, FieldReading], before: dict[str, FieldReading]) -> dict[str, FieldReading]:
    """`found`, with each field that `before` holds at the same place taken from `before`: a total its label
    puts on the line its position did is the same crop, and what the readers made of it is not made again."""
    return {
        name: before[name] if name in before and before[name].quad == field.quad else field
        for name, field in found.items()
    }


class PageFrames:
    """A page's text framed for reading, each way made once and only when first needed.

    One page may be read with several layouts (a page without a code, with
    each form it may be), and each reading may need the later ways, so the
    frames are kept here rather than made by every `read_print`; the plain
    and faint ways find lines in the one turned image (`lines.turn_text`,
    `lines.frame_in`), the quarter way in the text turned a quarter more
    (only where the direction was a guess), the flat way in the sheet
    flattened by its outline.

    A framing of more marks than any sheet's print holds (`lines.NotPrint`)
    is none. When the first is, so are the others made from the same
    image, with more marks still (faint ink, rules taken off) or the same
    (turned a quarter), and `refused` says why: only the sheet flattened by
    its outline is still sought, for a sheet lying on gravel or a patterned
    cloth whose text box took in the whole photo.
    """

    def __init__(self, gray: np.ndarray) -> None:
        self.gray = gray
        self.refused: str | None = None
        """Why the page holds no lines of print (`lines.NotPrint`), when its first framing said so."""

    @cached_property
    def survey(self) -> TextSurvey | None:
        """Where the page's text runs (`lines.survey_text`): found once for the text turned both ways."""
        return survey_text(self.gray)

    @cached_property
    def turned(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The page's text turned and scaled (`lines.turn_text`): what both ways find lines in."""
        return turn_text(self.survey)

    @cached_property
    def plain(self) -> Frame | None:
        """The page's lines as its ink shows them."""
        try:
            return self._framed(self.turned)
        except NotPrint as error:
            self.refused = str(error)
            return None

    @cached_property
    def faint(self) -> Frame | None:
        """The page's lines with ink taken relative to the ink around it: glare or fading brought up."""
        return self._again(lambda: self.turned, faint=True)

    @cached_property
    def flat(self) -> Frame | None:
        """The lines of the sheet once its outline is made a rectangle (`paper.flattened`): a trapezoid undone."""
        found = flattened(self.gray)
        turned = None if found is None else turn_text(found[0])
        if found is None or turned is None:
            return None
        with contextlib.suppress(NotPrint):
            return self._framed((turned[0], found[1] @ turned[1]))
        return None

    @cached_property
    def ruled(self) -> Frame | None:
        """The page's lines with a rule under or over a row taken off it even where only that row's letters touch
        it (`lines.frame_in`'s `ruled`): a table ruled under each row, photographed small and blurred."""
        return self._again(lambda: self.turned, ruled=True)

    @cached_property
    def faint_ruled(self) -> Frame | None:
        """`ruled` with faint ink brought up, as `faint` is `plain`."""
        return self._again(lambda: self.turned, faint=True, ruled=True)

    @cached_property
    def quarter(self) -> Frame | None:
        """The page's lines with its text turned a quarter from the direction found, when its ink has no long
        side to tell it (`lines.turn_text`: sheets laid side by side); None otherwise."""
        return self._again(lambda: turn_text(self.survey, quarter=True))

    def ways(self) -> Iterator[Frame | None]:
        """The framings to read the page in, in the order `read_print` tries them, each made when reached.

        The text turned a quarter comes second: it exists only where the
        direction was a guess (none of 144 simulated photos of one sheet,
        phone to hardest, has it), and where the guess was wrong, the ways
        after it follow the same wrong lines. Tried last, a scan of two
        codeless receipts side by side was refused in 7.4 s, 2.8 of them
        spent framing faint ink along the wrong lines; second, in 3.1 s. And
        3 of 12 photos each beside half of itself, confirmed before on the
        sheet flattened by its outline (which crops the page to one paper and
        never sees the other), are refused as several sheets now.
        """
        yield self.plain
        yield self.quarter
        yield self.faint
        yield self.flat

    def _framed(
        self, turned: tuple[np.ndarray, np.ndarray] | None, *, faint: bool = False, ruled: bool = False
    ) -> Frame | None:
        """`lines.frame_in` of a turned image and its map back onto this page (None: none), `faint` and `ruled`
        as it asks."""
        height, width = self.gray.shape[:2]
        return None if turned is None else frame_in(*turned, faint=faint, ruled=ruled, page_size=(width, height))

    def _again(
        self, turn: Callable[[], tuple[np.ndarray, np.ndarray] | None], *, faint: bool = False, ruled: bool = False
    ) -> Frame | None:
        """`_framed` for a framing after the first, of the image `turn` makes: none where the first held no print
        (`refused`; nothing is made then), or where this one holds none."""
        if self.plain is None and self.refused:
            return None
        with contextlib.suppress(NotPrint):
            return self._framed(turn(), faint=faint, ruled=ruled)
        return None


def read_print(
    page: np.ndarray | PageFrames,
    layout: SheetLayout,
    *,
    code_up: tuple[float, float] | None = None,
    header: bool = True,
    labels: bool | Callable[[PrintReading], bool] = True,
) -> PrintReading:
    """Read `layout`'s fields on a grayscale page (or its `PageFrames`); raises `PrintNotRead` with the reason
    when it cannot.

    The page's lines are found as its ink shows them; when the print cannot
    be read so and the text's ink has no long side to tell its direction,
    with the text turned a quarter from the direction found
    (`PageFrames.quarter`); then again with faint ink brought up
    (`lines.frame_in`'s ``faint``): glare across a photographed sheet or a
    faded strip of thermal paper can leave the figures of some rows at a
    fraction of the contrast of the rest, and one threshold for the whole
    frame lost them, rows and all. Only as a later try: it also raises blur
    and speckle, and it must not change a reading the first way gives.
    Last, on the sheet flattened (`paper.flattened`), when its outline is a
    trapezoid: a sheet photographed from low down converges too strongly
    for the lines to be followed one by one.
    In any framing, a table seen at a strong slant is squared by its rows
    and margins and read so (`perspective.squared`), the framing as it is
    where the squared one does not read.
    Every check the first way makes (the rows' keys, the sums) holds the
    others too. The reason given when none reads is the first way's. Where
    none finds the table (`TableNotFound`; one that found it and failed
    otherwise, a total's label read nowhere, say, rules it out), the first
    is read again with the keys cut off every line that may be a row
    (`structure.locate`'s `everywhere`: a narrow font's rows, key and name
    one word), its keys probed only (`_probed`): a last resort, for it
    costs key reads on tables of cut lines the wrong way up. Tried first,
    it moved the frame squared by the rows of such a table; on every way,
    with every key read where the probes failed, it cost each simulated
    hard photo not read 100 PP-OCR runs; tried where a total's label was
    not found, it read partial sheets otherwise. As it is, on 941 simulated
    sheets: one hard photo more read (partial), nothing else read
    otherwise, 0.3 PP-OCR runs a hard photo more. Where that too finds no
    table, the page is framed as a table ruled under each row shows it
    (`PageFrames.ruled`) and read so, then with the keys cut off
    everywhere, then with faint ink brought up (`PageFrames.faint_ruled`):
    a sheet any earlier way reads is read as before. A framing the same as
    one already read the same way (`Frame.same_as`: the ruled framing of a
    page whose lines no rule touches) is not read again, for it fails
    alike: a simulated hard photo no way reads took 2.0 s of CPU, 1.3 s so.

    Each framing holds one block of text or more (`lines.frame_in`: sheets
    side by side), the largest first; the first block that reads is the
    sheet, unless another block of the framing holds the layout's table too:
    then the page shows two sheets, which one it is cannot be told, and
    filing it as either would lose the other unseen (`SEVERAL_SHEETS`).
    When no block reads, the blocks are read as one (`Frame.together`), as
    before they were parted: a blank column down a sheet of another form or
    printer must not lose a sheet that was read whole.

    `code_up`, when a QR code was decoded on the page, is the direction (in
    page pixels) from the code's bottom edge to its top edge: text is printed
    the same way up as the code. `header` False skips the header codes (a
    cross-check with a QR code, which names the mesa, does not need them).

    `labels` False places the totals by position (the first lines below the
    table that end with a figure in its column, in the layout's order) instead of
    reading their labels, for a caller with another witness of them: a
    cross-check whose totals all agree with the QR code's has proven them
    where they are, and only one that does not needs their labels
    (`PrintReading.by_labels`). Reading the three labels of ve2024 took
    three PP-OCR runs on crops some 450 columns wide, 0.24 s of the
    0.8 s a cross-check cost on simulated photos.

    `labels` may instead be a proof: a reading it accepts with the totals
    where they stand by position is returned so, and one it does not is
    read by the labels on the spot, as with `labels` True (a label that
    reads nowhere then fails this framing, and the next is tried). A page
    without a code is proven by its own sums (`testigo.read.reader`): each
    total equal to the sum it must equal, every figure sure, is on its line,
    for another total's line would not add up. When no framing reads the
    sheet, one whose totals' labels read nowhere is returned as read, its
    totals where the layout puts them and not `FieldReading.placed`
    (`PrintReading.unlabelled`): never certain, but a person is shown every
    figure's cell and gets the machine's reading as one entry, where the
    page was "not read" before (2 sheets of the print benchmark's 80 hard
    and hardest photos without a code).
    """
    frames = page if isinstance(page, PageFrames) else PageFrames(page)
    errors: list[PrintNotRead] = []
    table_found = False  # by some way, whose reading then failed for another reason
    tried: list[tuple[bool, Frame]] = []
    for last, everywhere, frame in _tries(frames):
        if last and table_found:
            break  # the last resorts find no other table, only other readings of the one found
        if frame is None:
            errors.append(PrintNotRead(frames.refused or "no printed text found on the page"))
            continue
        if any(way == everywhere and frame.same_as(before) for way, before in tried):
            continue  # a framing the same as one read so already (the ruled one, creases aside) fails alike
        tried.append((everywhere, frame))
        blocks = [frame, *frame.beside]
        # the parted text read as one comes last: a sheet whose own layout leaves a blank column down it
        together = [] if frame.together is None else [frame.together]
        for k, block in enumerate([*blocks, *together]):
            try:
                reading = _read_frame(block, layout, code_up, header=header, labels=labels, everywhere=everywhere)
            except PrintNotRead as error:
                errors.append(error)
                table_found |= not isinstance(error, TableNotFound)
                continue
            if k < len(blocks) and any(
                _another_sheet(other, block, layout, code_up) for other in blocks if other is not block
            ):
                raise PrintNotRead(SEVERAL_SHEETS)
            return reading
    # no framing read the sheet: one whose totals' labels read nowhere, read all the same
    unread = [failed.reading for failed in errors if isinstance(failed, TotalsUnread)]
    if unread:
        return unread[0]
    raise errors[0]


def _tries(frames: PageFrames) -> Iterator[tuple[bool, bool, Frame | None]]:
    """The framings `read_print` reads a page in, in order, each as (a last resort, `structure.locate`'s
    `everywhere`, the frame): the ways (`PageFrames.ways`), then, where none finds the table, the first way with
    the keys cut off everywhere, and last the ruled framing (`PageFrames.ruled`) as it is and with the keys cut
    off everywhere, then its faint ink brought up, keys cut (of 30 ruled hard photos the tries before left
    unread, 4 read so; 0.4 s of CPU more a sheet no way reads)."""
    for way in frames.ways():
        yield False, False, way
    yield True, True, frames.plain
    yield True, False, frames.ruled
    yield True, True, frames.ruled
    yield True, True, frames.faint_ruled


def _another_sheet(other: Frame, read: Frame, layout: SheetLayout, code_up: tuple[float, float] | None) -> bool:
    """Whether `other`, a block of text beside the sheet `read`, is another sheet: it holds `layout`'s table
    (`_table`: its keys read, not its figures), or half as much text as the sheet at least (`SHEET_SHARE`).

    The table is sought at the frame's scale, the sheet's: a second sheet
    printed or photographed at another scale showed no table there (two
    codeless scans side by side, one at twice the other's resolution,
    were read as the one), but shows its text.
    """
    if _text_width(other) >= SHEET_SHARE * _text_width(read):
        return True
    try:
        _table(other, layout, code_up)
    except PrintNotRead:
        return False
    return True


def _text_width(frame: Frame) -> float:
    """The summed widths of the frame's words (`lines.text_width`)."""
    return text_width(word for line in frame.lines for word in line.words)


def _located(
    frame: Frame, layout: SheetLayout, code_up: tuple[float, float] | None, *, everywhere: bool = False
) -> _Turns:
    """The turns of one framing of the page that hold rows shaped as `layout`'s table, each with its candidate
    tables (`locate`, `everywhere` as asked: the lines alone, no key read yet); raises `TableNotFound` when none
    does."""
    turns = [frame, frame.turned]
    if code_up is not None:
        turns.sort(key=lambda f: -_upright_score(f, code_up))
        turns = turns[:1]
    reasons = []
    found: _Turns = []
    for turn in turns:
        try:
            found.append((turn, locate(turn.lines, layout, turn.text_height, everywhere=everywhere)))
        except NotFound as error:
            reasons.append(str(error))
    if not found:
        raise TableNotFound(f"the layout {layout.name} does not match the page: {reasons[0]}")
    return found


def _table(
    frame: Frame,
    layout: SheetLayout,
    code_up: tuple[float, float] | None,
    found: _Turns | None = None,
    *,
    every_key: bool = True,
) -> tuple[_Tables, Located]:
    """`layout`'s table on one framing of the page (`found`: its `_located` turns, when already known), its keys
    read (`_probed`, then `_every_key` where those fail and `every_key` asks), and its glyphs fitted to its rows;
    raises `TableNotFound` where no candidate's keys read."""
    found = _located(frame, layout, code_up) if found is None else found
    tables = [_Tables(turn, candidates) for turn, candidates in found]
    best = _probed(tables, layout)
    if best[0] < KEY_FLOOR and every_key:
        best = _every_key(tables, layout)
    score, table, located = best
    if score < KEY_FLOOR:
        raise TableNotFound(f"the table's card numbers do not read as {layout.name}'s (another form, or rows lost)")
    return table.fitted_to(located), located  # the glyphs the probes were cut with may be another candidate's


def _read_frame(
    frame: Frame,
    layout: SheetLayout,
    code_up: tuple[float, float] | None,
    *,
    header: bool,
    labels: bool | Callable[[PrintReading], bool],
    square: bool = True,
    everywhere: bool = False,
) -> PrintReading:
    """`read_print` on one framing of the page: on the frame squared by its table when the table is slanted
    (`perspective.squared`) and that reads, else on the frame itself (`square` False: only on the frame);
    `everywhere`: `structure.locate`'s."""
    found = _located(frame, layout, code_up, everywhere=everywhere)
    # squared by the rows before any key is read: a sheet the squared frame reads costs no probing of this one
    first_turn, candidates = found[0]
    slanted = squared(first_turn, candidates[-1].rows) if square else None
    if slanted is not None:
        with contextlib.suppress(PrintNotRead):  # the sheet as framed still reads
            reading = _read_frame(
                slanted, layout, code_up, header=header, labels=labels, square=False, everywhere=everywhere
            )
            # squared from a turn of the frame: upside down in the frame if that turn is
            return replace(reading, upside_down=reading.upside_down != (first_turn is not frame))
    table, located = _table(frame, layout, code_up, found, every_key=not everywhere)
    turn, glyphs = table.frame, table.glyphs
    font = learn(turn, located.rows, layout.table.keys(), [glyphs.at(row, row.words[0].cx) for row in located.rows])
    keyed = _keyed_rows(table, located, layout, font)
    if keyed.count(False) > MAX_UNKEYED * len(keyed):
        raise TableNotFound(f"the table's card numbers do not read as {layout.name}'s (another form, or rows lost)")
    column = _column_glyphs(turn, located, font, glyphs, layout.table.digits)
    fields = _figures(turn, located, layout, font, column, keyed)
    labelled = partial(_labelled_totals, turn, located, layout, font, glyphs, column)
    positional: tuple[str, ...] = ()
    if labels is not True:
        fields |= _total_fields(
            turn, layout, font, column, located.total_lines[: len(layout.totals)], located.figure_column
        )
        positional = tuple(spec.field for spec in layout.totals)
    if callable(labels) and not labels(PrintReading(layout.name, fields, turn is not frame, (), positional)):
        positional = ()
    read_header = partial(_header, turn, located, layout, font, glyphs)
    if not positional:
        try:
            fields |= _kept(labelled(), fields)
        except PrintNotRead as error:
            if not callable(labels):
                raise
            # the sheet as it stands, for a person: its totals where the layout puts them, unproven
            lines = located.total_lines[: len(layout.totals)]
            unplaced = _total_fields(turn, layout, font, column, lines, located.figure_column, placed=False)
            codes, missing = read_header() if header else ({}, [])
            read = PrintReading(layout.name, {**fields, **unplaced, **codes}, turn is not frame, tuple(missing))
            raise TotalsUnread(str(error), replace(read, unlabelled=tuple(unplaced))) from None
    codes, missing = read_header() if header else ({}, [])
    return PrintReading(
        layout.name,
        {**fields, **codes},
        turn is not frame,
        tuple(missing),
        positional,
        labelled if positional else None,
    )


def _upright_score(frame: Frame, code_up: tuple[float, float]) -> float:
    """How well the frame's up (minus y) agrees with the code's up, mapped onto the page."""
    to_page = frame.to_page
    origin = to_page @ np.array([0.0, 0.0, 1.0])
    above = to_page @ np.array([0.0, -100.0, 1.0])
    up = above[:2] / above[2] - origin[:2] / origin[2]
    return float(up @ np.asarray(code_up))


class _Tables:
    """The ways one turn of the page matches the layout's table (`locate`), and its glyphs (fitted to the last).

    Candidates are runs of consecutive row-like lines (a column heading can
    look like a row), so most of their lines are in every one of them. Each
    key is cut with the one glyph field and read by PP-OCR at most once
    (`key_reading`), and every candidate is probed on the lines they all
    share (`probes`): on simulated scans, whose column heading made two
    candidates, probing each on its own rows took 5 PP-OCR runs where 3 do
    now (a sheet's whole reading: 0.78 to 0.72 s of CPU on scans, 0.90 to
    0.78 s on photos).

    The glyph field is fitted to the last candidate's rows, and a table
    chosen among the others is fitted again to its own (`fitted_to`). The
    last, the lowest run of lines, because what looks like a row beside a
    table is its column heading, above it: on the simulated sheets the
    table is the last candidate, and fitting the first cost a second fit
    (0.04 s of CPU a sheet). Which lines a field is fitted to moves its lean
    by a few hundredths on a hard photo, enough to change readings: fitted
    once to every line the candidates hold, it read 3 more sheets of one
    set of 40 simulated hard photos and 5 fewer of three others (wrong
    figures 56 to 69, 30 to 15, 39 to 48, 1 to 3), no better, so the field
    stays the chosen table's own.
    """

    def __init__(self, frame: Frame, candidates: list[Located]) -> None:
        self.frame = frame
        self.candidates = candidates
        self.glyphs = measure(frame, candidates[-1].rows)
        self._shared = set.intersection(*({id(row) for row in located.rows} for located in candidates))
        self._readings: dict[int, ocr.Reading] = {}

    def fitted_to(self, located: Located) -> _Tables:
        """These tables with their glyph field fitted to `located`'s rows (itself when it already is)."""
        return self if located is self.candidates[-1] else _Tables(self.frame, [located])

    def has_read(self, row: TextLine) -> bool:
        """Whether the row's key has been read (`key_reading` costs nothing more)."""
        return id(row) in self._readings

    def key_reading(self, row: TextLine) -> ocr.Reading:
        """PP-OCR's reading of a row's key, cut upright (read once, whichever candidates share the row)."""
        if id(row) not in self._readings:
            word = row.words[0]
            [self._readings[id(row)]] = ocr.recognise(
                [word_crop(self.frame, row, word, upright=self.glyphs.at(row, word.cx))]
            )
        return self._readings[id(row)]

    def probes(self, located: Located, count: int) -> list[int]:
        """`count` rows of `located` to read the keys of, spread over the lines every candidate shares.

        Probing the same lines in every candidate reads each line once: a
        candidate shifted by a row reads the keys of the next rows there.
        """
        places = [i for i, row in enumerate(located.rows) if id(row) in self._shared] or list(range(len(located.rows)))
        return sorted({places[round(i * (len(places) - 1) / max(count - 1, 1))] for i in range(count)})


def _probed(tables: Sequence[_Tables], layout: SheetLayout) -> tuple[float, _Tables, Located]:
    """The table whose probed keys (`PROBE_KEYS`, spread over it) read best, with their mean per character.

    A table that can no longer reach the floor, or the best so far, stops
    being read (`_key_score`): a wrong turn usually costs one PP-OCR run
    instead of `PROBE_KEYS`, and a shifted table none (its lines were read).
    """
    best = (-math.inf, tables[0], tables[0].candidates[0])
    for tables_of_turn in tables:
        for located in tables_of_turn.candidates:
            score = _key_score(tables_of_turn, located, layout, PROBE_KEYS, max(KEY_FLOOR, best[0]))
            if score > best[0]:
                best = (score, tables_of_turn, located)
    return best


def _key_score(tables: _Tables, located: Located, layout: SheetLayout, count: int, beat: float) -> float:
    """The mean log-likelihood per character of `count` of the table's keys (`_Tables.probes`).

    Minus infinity as soon as the mean can no longer reach `beat` (the
    floor, or the best table found so far): no key reads better than
    certain (0), so the mean is at most what the keys read so far sum to,
    over `count`.
    """
    keys = layout.table.keys()
    picks = tables.probes(located, count)
    scores = []
    for i in picks:
        scores.append(ocr.log_likelihood(tables.key_reading(located.rows[i]), keys[i]) / len(keys[i]))
        if sum(scores) / len(picks) < beat:
            return -math.inf
    return float(np.mean(scores))


def _every_key(tables: Sequence[_Tables], layout: SheetLayout) -> tuple[float, _Tables, Located]:
    """The table whose keys, every one read, read best: the median over them of each key's mean per character.

    For a page whose probed keys did not reach the floor: on hard photos the
    far end of a table is the smallest and blurriest, and one probe there
    (a blurred 01 reads as 81) sank tables whose other keys read plainly
    (a median of -1.5 per character where the probes' mean was -2.04). A
    shifted table reads its neighbours' keys on most rows, and its median
    stays far below the floor (-3.4 to -5.9 on the same photos). Each row
    is read once, whichever candidate tables share it, and only until the
    median is settled (`_median_from`).
    """
    keys = layout.table.keys()
    candidates = [(turn, located) for turn in tables for located in turn.candidates]
    best = (-math.inf, tables[0], tables[0].candidates[0])
    for k, (tables_of_turn, located) in enumerate(candidates):
        # the rows already read first (the probes'): they settle the median for nothing
        rows = sorted(zip(located.rows, keys, strict=True), key=lambda pair: not tables_of_turn.has_read(pair[0]))
        scores = (ocr.log_likelihood(tables_of_turn.key_reading(row), key) / len(key) for row, key in rows)
        score = _median_from(scores, len(rows), max(KEY_FLOOR, best[0]), exact=k < len(candidates) - 1)
        if score > best[0]:
            best = (score, tables_of_turn, located)
    return best


def _median_from(scores: Iterator[float], count: int, beat: float, *, exact: bool) -> float:
    """The median of the `count` `scores`, each drawn only while needed: minus infinity as soon as it can no
    longer reach `beat`, and, unless `exact`, a value at least `beat` and at most the median as soon as it
    cannot fall short of it.

    Either is settled once more than half the scores lie on one side of
    `beat` (the middle two of an even count are then both on it). The
    last table a page offers only has to clear the floor, and most keys of
    a table that does read plainly: on simulated hard photos such a table
    took some 20 PP-OCR runs instead of 38 (0.1 s of CPU).
    """
    drawn: list[float] = []
    below, settles = 0, count // 2 + 1
    for score in scores:
        drawn.append(score)
        if score < beat:
            below += 1
        if below >= settles:
            return -math.inf
        if not exact and len(drawn) - below >= settles:
            # the median were every score not drawn minus infinity: the top `settles`, all drawn, clear `beat`
            return float(np.median(drawn + [-math.inf] * (count - len(drawn))))
    median = float(np.median(drawn))
    return median if median >= beat else -math.inf


def _keyed_rows(table: _Tables, located: Located, layout: SheetLayout, font: FontModel | None) -> list[bool]:
    """Whether each table row's key reads as its own key: only such a row is proven to hold its card.

    The probed keys (`PROBE_KEYS`) catch a table shifted as a whole, but a
    line lost and another taken for a row between two probes shifts only the
    rows between them, and their figures would be compared with the wrong
    cards: on simulated mixed photos that made genuine sheets mismatches
    ("card_01 print 1105, QR 74"). Every key is read by the sheet's font
    (cheap: no PP-OCR run), or by PP-OCR when the print is not fixed-pitch;
    a key less likely than another key or a one-edit neighbour by
    `KEY_MARGIN` nats leaves its row unproven (unless that key is one
    another row proves its own: `_keys_proven`). The font is learned from
    these same keys, but from all of them, so a few shifted rows barely
    move its templates while failing their own key.

    A key the font alone leaves unproven is read by PP-OCR too, and the two
    readers' log-likelihoods added (as for a figure): at the small, blurred
    far end of a hard photo the font's templates tell 6 from 9 and 2 from 7
    by a few nats either way (06 against 09: -86 and -81), and 11 rows of 38
    were left unproven on a table PP-OCR reads plainly.
    """
    keys = layout.table.keys()
    if font is None:
        return _beside_unkeyed(
            [ocr.margin(table.key_reading(row), key) > -KEY_MARGIN for row, key in zip(located.rows, keys, strict=True)]
        )
    read = []
    for row, key in zip(located.rows, keys, strict=True):
        rivals = sorted((ocr.neighbours(key) | set(keys)) - {key})
        word = row.words[0]
        scores = font.log_likelihoods(table.frame, row, word, [key, *rivals], upright=table.glyphs.at(row, word.cx))
        by_ocr = None
        if _key_margin(scores, key, rivals) <= -KEY_MARGIN:
            by_ocr = dict(zip([key, *rivals], ocr.log_likelihoods(table.key_reading(row), [key, *rivals]), strict=True))
            scores = {text: score + by_ocr[text] for text, score in scores.items()}
        read.append(_KeyRead(key, scores, by_ocr))
    return _beside_unkeyed(_keys_proven(read))


class _KeyRead(NamedTuple):
    """A row's key as read: its log-likelihood and its rivals' (the readers' together), and PP-OCR's alone (None
    when the font alone proved the key, and PP-OCR was not run)."""

    key: str
    scores: dict[str, float]
    by_ocr: dict[str, float] | None


def _keys_proven(read: Sequence[_KeyRead]) -> list[bool]:
    """Whether each row's key is proven: no rival likelier than it by `KEY_MARGIN` nats or more, leaving out the
    rivals that other rows prove their own and PP-OCR reads as less likely than this row's key.

    Keys are printed once each, so a key another row reads as its own
    against every rival, this row's key included, is not what this row
    holds when the readers split on it: in a font whose 0, 6 and 8 differ
    by a few dots (Liberation Mono Bold, a dot inside its 0), blur made key
    30 fit the font's 36 better by 18 nats while PP-OCR read 30, and rows
    29 to 31 were left unproven though row 36 read as 36 by its own margin.
    Where both readers read another row's key (a key overprinted, a line
    taken twice), the row stays unproven; so does a row that holds another
    key because lines were lost or added: its neighbours do not prove it.
    """
    proven = {row.key for row in read if _key_margin(row.scores, row.key, row.scores) > -KEY_MARGIN}

    def outread(row: _KeyRead) -> set[str]:
        by_ocr = row.by_ocr
        return set() if by_ocr is None else {key for key in proven if by_ocr[key] < by_ocr[row.key]}

    return [_key_margin(row.scores, row.key, set(row.scores) - outread(row)) > -KEY_MARGIN for row in read]


def _key_margin(scores: dict[str, float], key: str, rivals: Iterable[str]) -> float:
    """How much likelier `key` is than the likeliest of `rivals` (all scored in `scores`; `key` among them or not)."""
    return scores[key] - max((scores[rival] for rival in rivals if rival != key), default=-math.inf)


def _beside_unkeyed(keyed: Sequence[bool]) -> list[bool]:
    """`keyed` with every row next to a row that is not keyed made not keyed too.

    The edge row of a shifted block can pass its key when the two keys differ
    by a digit the blur confuses (on a simulated hard photo the row holding
    card 05 passed as 06 and its figure was compared with card 06's), so a
    block is widened by one row each way: costly only beside a row that is
    already doubtful.
    """
    return [ok and all(keyed[j] for j in (i - 1, i + 1) if 0 <= j < len(keyed)) for i, ok in enumerate(keyed)]


def _figures(
    frame: Frame,
    located: Located,
    layout: SheetLayout,
    font: FontModel | None,
    glyphs: GlyphField,
    keyed: Sequence[bool],
) -> dict[str, FieldReading]:
    """The table's figures (each the figure ending its row, `_last_figure`).

    A row not `keyed` is read all the same (a reviewer is shown its cell),
    but its figure is not `FieldReading.placed`.
    """
    table = layout.table
    places: list[tuple[str, TextLine, Word, tuple[int, int]]] = [
        (name, row, _last_figure(row, font, glyphs, table.digits), table.digits)
        for name, row in zip(table.fields(), located.rows, strict=True)
    ]
    unplaced = {name for name, ok in zip(table.fields(), keyed, strict=True) if not ok}
    return _read_fields(frame, glyphs, places, font, unplaced, located.figure_column)


def _last_figure(
    line: TextLine, font: FontModel | None, glyphs: GlyphField, digits: tuple[int, int], stop: int = 0
) -> Word:
    """The figure that ends `line` (`_figure_from` its last word, leftwards, to no word before `stop`)."""
    return _figure_from(line, len(line.words) - 1, -1, font, glyphs, digits, stop)


def _figure_from(
    line: TextLine,
    index: int,
    way: int,
    font: FontModel | None,
    glyphs: GlyphField,
    digits: tuple[int, int],
    stop: int = 0,
) -> Word:
    """Word `index` of `line`, joined with the words next to it on the side `way` (-1: before it, 1: after it)
    that stand less than `FIGURE_GAP` pitches apart, while the figure's ink spans no more pitches than it may
    have digits (its glyphs' side bearings leave room for blur) and reaches no word before `stop`.

    Without a font (no pitch known) the word alone. A figure split at a
    narrow glyph was read as one part: "11" as 1, by both readers with a
    margin of 161 nats (a genuine sheet held as altered), for each reader
    sees only its word's own ink.
    """
    figure = line.words[index]
    k = index + way
    while font is not None and stop <= k < len(line.words):
        left, right = (line.words[k], figure) if way < 0 else (figure, line.words[k])
        pitch = font.pitch * glyphs.at(line, figure.cx).height
        if right.x0 - left.x1 >= FIGURE_GAP * pitch or right.x1 - left.x0 > digits[1] * pitch:
            break
        figure = left.joined(right)
        k += way
    return figure


def _total_fields(
    frame: Frame,
    layout: SheetLayout,
    font: FontModel | None,
    glyphs: GlyphField,
    lines: Sequence[TextLine],
    figure_column: FigureColumn,
    *,
    placed: bool = True,
) -> dict[str, FieldReading]:
    """The totals, each the figure ending its line in `lines` (one per total, in the layout's order), standing
    in `figure_column`; not `FieldReading.placed` unless `placed`."""
    places = [
        (spec.field, line, _last_figure(line, font, glyphs, spec.digits), spec.digits)
        for spec, line in zip(layout.totals, lines, strict=True)
    ]
    unplaced = () if placed else [spec.field for spec in layout.totals]
    return _read_fields(frame, glyphs, places, font, unplaced, figure_column)


def _labelled_totals(
    frame: Frame,
    located: Located,
    layout: SheetLayout,
    font: FontModel | None,
    glyphs: GlyphField,
    column: GlyphField,
) -> dict[str, FieldReading]:
    """The totals, each on the line whose label (cut by `glyphs`) reads as its own (`_totals`), read as the
    figures' `column` stands."""
    lines = list(_totals(frame, located, layout, glyphs).values())
    return _total_fields(frame, layout, font, column, lines, located.figure_column)


def _column_glyphs(
    frame: Frame, located: Located, font: FontModel | None, glyphs: GlyphField, digits: tuple[int, int]
) -> GlyphField:
    """The glyph field as the figures' column stands: its lean and height corrected by the font
    (`FontModel.column`), measured on the table's figures (`_last_figure`; unchanged without a font)."""
    if font is None:
        return glyphs
    figures = [(row, _last_figure(row, font, glyphs, digits)) for row in located.rows]
    return glyphs.adjusted(*font.column(frame, [(row, word, glyphs.at(row, word.cx)) for row, word in figures]))


def _totals(frame: Frame, located: Located, layout: SheetLayout, glyphs: GlyphField) -> dict[str, TextLine]:
    """Each total on the line below the table whose label reads as its label, the totals in the layout's order.

    Lines are read in order, each at most once (`_Labels`). Raises
    `PrintNotRead` when a label reads on no line.
    """
    lines = located.total_lines

    def crop(k: int) -> np.ndarray:
        line = lines[k]
        return word_crop(frame, line, line.words[0], line.words[-2], upright=glyphs.at(line, line.left))

    labels = _Labels(crop)
    found: dict[str, TextLine] = {}
    start = 0
    for spec in layout.totals:
        best = labels.best(spec.label, range(start, len(lines)))
        if best is None:
            raise PrintNotRead(f"the total {spec.label!r} is not on the lines below the table")
        found[spec.field] = lines[best]
        start = best + 1
    return found


class _Labels:
    """Crops where labels are looked for, each read by PP-OCR once, when first needed.

    A label is the crop that reads best as it, but the search stops at a
    crop that reads as it plainly enough (`LABEL_SURE`) per character: two
    crops reading as plainly as one label do not occur on a sheet, and
    reading every candidate made most of the cost of finding the totals and
    the header codes.
    """

    def __init__(self, crop: Callable[[int], np.ndarray]) -> None:
        self._crop = crop
        self._readings: dict[int, ocr.LineReading] = {}

    def best(
        self, label: str, order: Iterable[int], floor: float = LABEL_FLOOR, sure: float = LABEL_SURE
    ) -> int | None:
        """The crop, of those in `order`, that reads best as `label` (None when none reads `floor` or better).

        Crops are read in `order` until one reads as the label with `sure`
        or better; ties go to the crop listed first.
        """
        scores: dict[int, float] = {}
        for k in order:
            if k not in self._readings:
                self._readings[k] = ocr.read_line(self._crop(k))
            scores[k] = self._readings[k].log_likelihood(label)
            if scores[k] >= sure:
                break
        best = max(scores, key=lambda k: scores[k], default=None)
        return None if best is None or scores[best] < floor else best


def _read_fields(
    frame: Frame,
    glyphs: GlyphField,
    places: Sequence[tuple[str, TextLine, Word, tuple[int, int]]],
    font: FontModel | None,
    unplaced: Container[str] = (),
    figure_column: FigureColumn | None = None,
) -> dict[str, FieldReading]:
    """Each place's `FieldReading`; `figure_column` is the column the places' figures stand in, where they do.

    A figure flush with a right-aligned column's margin (`FigureColumn.flush`) is `FieldReading.whole`
    unless its glyphs reach the photo's edge; any other unless its end also leaves room for another digit
    before the edge (`FLUSH_HEIGHTS`): a photo that cuts off the paper's margin just past the figures cuts
    no figure. Six of the 270 sheets with a code of the 300-mesa demo are photographed so, the frame's edge
    0.35 to 0.5 text heights past their figures; asked for room, five lost their print's confirmation (the
    sixth had none). A left-aligned or centred figure's end says nothing of digits lost past the edge.
    """
    fields = {}
    for name, line, word, digits in places:
        upright = glyphs.at(line, word.cx)
        quad = word_quad(frame, line, word, upright=upright)
        flush = figure_column is not None and figure_column.flush(word, line.cy, FLUSH_HEIGHTS * frame.text_height)
        fields[name] = FieldReading(
            name,
            quad,
            partial(word_crop, frame, line, word, upright=upright),
            digits,
            partial(font.log_likelihoods, frame, line, word, upright=upright) if font is not None else None,
            placed=name not in unplaced,
            whole=not cut_by_edge(quad, frame.page_size, room=0.0 if flush else EDGE_ROOM),
        )
    return fields


def _header(
    frame: Frame, located: Located, layout: SheetLayout, font: FontModel | None, glyphs: GlyphField
) -> tuple[dict[str, FieldReading], list[str]]:
    """The header codes: each the figure after (or ending the line of) its label, above the table (`_value_word`).

    A label is the header word that reads best as it (`_Labels`), among
    the words followed by another on their line (a label is never a line's
    last word) that could hold it (`_misfit`). They are read first where
    the word the value would be looks most like a figure to the sheet's
    font (`FontModel.digit_misfit`: a code's digits fit the keys' templates,
    a place name's letters do not), then best-fitting. Ordered by width
    alone, a codeless photo's three labels took 6.9 PP-OCR runs (14 ms
    each), and hard and hardest photos 7.8 and 8.6; ordered so (and with
    `HEADER_LABEL_SURE`), 3.3, 3.7 and 3.9.

    PP-OCR alone reads the codes: the sheet's font, learned on the table's
    two-digit keys, misread the first digits of 9 of 30 nine-digit center
    codes on the photos of the 300-mesa demo (a 2 as 5, 7 or 8), where
    PP-OCR read all 30, and its large log-likelihoods carried the sum of
    both readers with it. A code has another witness instead: the registry
    (`testigo.pipeline.printed.accepted_alone`). The font's pitch still
    says which words are wide enough to be a label and its value.
    """
    options = [(line, i) for line in located.header_lines for i in range(len(line.words) - 1)]

    def crop(k: int) -> np.ndarray:
        line, i = options[k]
        return word_crop(frame, line, line.words[i], upright=glyphs.at(line, line.words[i].cx))

    @cache
    def figure_misfit(k: int, spec: LabelledField) -> float:
        line, i = options[k]
        value = _value_word(line, i, spec, font, glyphs)
        return 0.0 if font is None else font.digit_misfit(frame, line, value, glyphs.at(line, value.cx))

    labels = _Labels(crop)

    def label(spec: LabelledField, among: range) -> int | None:
        misfits = {k: _misfit(*options[k], spec, font, glyphs) for k in among}
        order = sorted((k for k in among if misfits[k] <= 1), key=lambda k: (figure_misfit(k, spec), misfits[k]))
        return labels.best(spec.label, order, floor=HEADER_LABEL_FLOOR, sure=HEADER_LABEL_SURE)

    places: list[tuple[str, TextLine, Word, tuple[int, int]]] = []
    missing = []
    unsplit = len(options)
    for spec in layout.header:
        best = label(spec, range(unsplit))
        if best is None:  # a label joined to its value: its words split at each gap between their pieces too
            if len(options) == unsplit:
                options += _split_at_pieces(located.header_lines)
            best = label(spec, range(unsplit, len(options)))
        if best is None:
            missing.append(spec.field)
        else:
            line, i = options[best]
            places.append((spec.field, line, _value_word(line, i, spec, font, glyphs), spec.digits))
    return _read_fields(frame, glyphs, places, None), missing


def _split_at_pieces(lines: Sequence[TextLine]) -> list[tuple[TextLine, int]]:
    """Each of `lines` with one of its words split at one gap between its pieces (`Word.pieces`), and the index
    of the split word's first part: a label and its value, where blur joined them into one word.

    A proportional font sets a label a word space from its value, and a
    photo's blur joins them ("ELECTORES: 850" one word, its two pieces 9
    pixels apart, on Chromium-laid photos in Liberation Sans: 17 of 20
    codeless ones were left for a person for the registered voters not
    found). Only where a label is found in no word as the line has them.
    """
    found = []
    for line in lines:
        for j, word in enumerate(line.words):
            for at in range(1, len(word.pieces)):
                found.append((TextLine((*line.words[:j], *word.split(at), *line.words[j + 1 :])), j))
    return found


def _value_word(line: TextLine, index: int, spec: LabelledField, font: FontModel | None, glyphs: GlyphField) -> Word:
    """The word holding `spec`'s value when its label is word `index` of `line` (`_figure_from`: the word
    after the label, or the line's last, joined with the words of its figure; never with the label)."""
    if spec.value == VALUE_LAST:
        return _last_figure(line, font, glyphs, spec.digits, stop=index + 1)
    return _figure_from(line, index + 1, 1, font, glyphs, spec.digits)


def _misfit(line: TextLine, index: int, spec: LabelledField, font: FontModel | None, glyphs: GlyphField) -> float:
    """How far word `index` of `line`, and its value word, are from as wide as `spec`'s label and its digits.

    Widths are counted in the sheet's pitch (`font`); the departure of each
    (a label's from between its length and `CAPS_WIDEST` times it, a value's
    from its digits), over `LABEL_SLACK` or `VALUE_SLACK`, the worse of the two: above 1 when
    the word cannot be the label. The slack is about twice the widest
    departures measured on simulated hard photos (blur and merged glyphs
    widen a label by up to 1.7 characters, a 9-digit code by 1.5; a digit is
    half a pitch wide). Without a fixed-pitch font every word fits (0).
    """
    if font is None:
        return 0.0
    label, value = line.words[index], _value_word(line, index, spec, font, glyphs)
    label_pitches = label.width / (font.pitch * glyphs.at(line, label.cx).height)
    value_pitches = value.width / (font.pitch * glyphs.at(line, value.cx).height)
    low, high = spec.digits
    beyond = max(low - value_pitches, value_pitches - high, 0.0)
    letters = len(spec.label)
    label_beyond = max(letters - label_pitches, label_pitches - CAPS_WIDEST * letters, 0.0)
    return max(label_beyond / LABEL_SLACK, beyond / VALUE_SLACK)
