"""Matching a sheet's text lines to its layout: which line is which table row, total and header field.

The reader knows the page only as text lines (`testigo.read.printed.lines`).
The layout says what the lines are, in a way that survives other printers,
fonts, margins and photos:

* The *margins*: left-aligned lines begin on one straight line, and the
  figures stand in a column (`FigureColumn`): right-aligned, their ends on
  another straight line; or left-aligned or centred there, as a table cell
  or a tab stop sets them. Both are fitted by RANSAC over the lines' ends,
  so perspective (a slanted margin) and a few odd lines do not disturb them.
* The *table*: its rows begin at the left margin with a short key of fixed
  width (the card number) and end with a figure in the column. The table
  is the longest run of such rows, other lines (a candidate's name) allowed
  between them; it must hold exactly the layout's number of rows, which are
  then numbered in order. Blur can close the space after a key; the key is
  then split off its word where the word's pieces (`Word.pieces`) show a
  space at the key's width. Only the rows keep it split: a header line can
  look like a row too (``MESA:`` at the left margin, a figure at the right).
* The *totals*: among the first lines after the table that end with a figure
  in the column; which is which is decided by reading their labels (the caller has
  the recogniser).
* The *header*: the lines above the table; which line holds which labelled
  code is decided by reading the labels (`Located.header` is filled by the
  caller, which has the recogniser).

Whether the frame is upright is decided by the caller too: it tries both
turns and keeps the one whose keys read as the layout's keys.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import numpy.typing as npt

from testigo.domain.layout import SheetLayout
from testigo.read.printed.lines import TextLine, Word

#: RANSAC tolerance of a margin, in text heights.
MARGIN_TOLERANCE = 0.8
#: Lines through pairs of points a margin is sought among (`_margin`).
RANSAC_TRIES = 200
#: Which point of a figure stands on its column's margin: its right end, its left end or its centre.
Anchor = Literal["right", "left", "centre"]
#: The anchors a figures' column is tried at (`FigureColumn.anchor`), in this order.
ANCHORS: tuple[Anchor, ...] = ("right", "left", "centre")
#: The tolerance, in text heights, of the margins the anchors are chosen by (`_figure_columns`): tighter than
#: `MARGIN_TOLERANCE`, under which figures a digit wider or narrower than most still stand on the wrong
#: anchor's margin (a digit is 0.76 to 0.82 text heights wide in the simulated printers' fonts).
ANCHOR_TOLERANCE = 0.3
#: Lines other than rows (a candidate's name) allowed between two rows of the table.
MAX_LINES_BETWEEN_ROWS = 2
#: A row's key is as wide as the table's keys' shared width, within this share of it.
KEY_WIDTH_TOLERANCE = 0.35
#: The gap that splits a key off the word blur joined it to is this many times as wide as the word's other gaps,
SPACE_RATIO = 1.5
#: ... or this many key widths wide whatever they are: blur joins a name of several words too, and the spaces
#: between them are as wide as the key's; the gaps between two letters are a quarter of a key's width. The
#: spaces of Pillow's built-in font are 0.67 to 0.71 key widths, those of DejaVu Sans Mono on hard photos 0.5
#: (its glyphs narrower in their cells): 0.55 left 2 of 24 such tables short of rows, each key joined to a
#: name of several words; 0.42 is still 1.7 letter gaps, and 0.84 of the narrowest space measured.
SPACE_KEYS = 0.42
#: A key's word whose first piece is no wider than this many key widths has a speck before it (`_key_split`):
#: the narrowest digit, a 1, is a third of a key wide.
SPECK_KEYS = 0.15
#: ... and, before the keys' width is known, no wider than this many text heights (`_start`).
SPECK_HEIGHTS = 0.15


@dataclass(frozen=True)
class Margin:
    """A margin as the line x = slope * y + offset in the frame."""

    slope: float
    offset: float

    def at(self, y: float) -> float:
        return self.slope * y + self.offset


@dataclass(frozen=True)
class FigureColumn:
    """The column the figures stand in: the margin their `anchor` (right end, left end or centre) lies on.

    A receipt printer, and most forms, right-align their figures: their right
    ends lie on the margin. An HTML table cell left-aligns them by default, a
    tab stop does too, and some forms centre them: where the figures' left
    ends (or centres) lie on a straight line, and their right ends by one
    digit or another, that line is the column's margin (`_figure_columns`).
    """

    margin: Margin
    anchor: Anchor

    def holds(self, line: TextLine, tolerance: float) -> bool:
        """Whether the line ends with a word in the column: its anchor within `tolerance` of the margin."""
        return abs(self.margin.at(line.cy) - _place(line.words[-1], self.anchor)) < tolerance

    @property
    def end(self) -> Margin | None:
        """The margin the figures end on: a right-aligned column's own. A left-aligned or centred column says
        where its figures begin or centre, never where they end (None)."""
        return self.margin if self.anchor == "right" else None

    def flush(self, word: Word, y: float, slack: float) -> bool:
        """Whether `word` (a figure at row `y`) ends within `slack` of where the column's figures end (`end`;
        never in a column that does not say so)."""
        return self.end is not None and word.x1 >= self.end.at(y) - slack


@dataclass
class Located:
    """The lines of a sheet matched to its layout: table rows (in order), totals, header fields."""

    rows: list[TextLine]
    total_lines: list[TextLine]
    """The lines below the table that can hold the totals (their labels decide which is which)."""
    left: Margin
    figure_column: FigureColumn
    header_lines: list[TextLine]
    header: dict[str, tuple[TextLine, int]] = field(default_factory=dict)
    """field -> (line, index of the word holding its value), filled once labels are read."""


class NotFound(Exception):
    """The layout's table could not be found among the lines; str() says what was missing."""


def locate(
    lines: Sequence[TextLine], layout: SheetLayout, text_height: float, *, everywhere: bool = False
) -> list[Located]:
    """The ways `lines` (top to bottom) can match `layout`; raises `NotFound` with the reason when none does.

    The figures' column is sought at the anchor most lines' last words
    stand on (`_figure_columns`), then at the others while no table is
    found; the reason given is the first anchor's.

    More than one way when more lines look like rows than the table has (a
    column heading such as "TJ ... VOTOS" has the shape of a row): each run of
    the right number of consecutive rows is a candidate, and the caller keeps
    the one whose keys read as the layout's keys.

    Among the rows, a line at both margins whose first word is wider than a
    key and cannot be split at a space (`_key_split`) may be a row whose
    key blur joined to its name with no gap left: the runs with its key
    cut off at the keys' width (`_key_cut`) are candidates too, after
    those without, and the key readers choose, as between any candidates
    (a form whose table holds such a line that is no row loses nothing).
    On 333 simulated sheets (twelve sets, three in all five printers): a
    hard photo whose row "23 UVV" was one word had lost it, taken the
    column heading for a row and failed its keys (print not read), now
    confirmed; two more sheets confirmed, 43 more figures read exactly,
    none accepted wrong.

    Only where those ways hold too few rows are the keys split loosely too:
    at the first gap past a key's width, however narrow (`_key_split`). A
    proportional font sets a key its word space from its name, as narrow
    as the spaces within the name, and blur joins them: on sheets laid out
    by Chromium in DejaVu Sans or Liberation Sans, "20 EL CAMBIO" was no
    row, and with candidates' names on the lines around it the run of rows
    broke there (20 found, on every one of 20 scans). Split so on every
    sheet, a header line's first letters could pass for a key; the loose
    ways come last, and their keys are read like any candidate's. On 941
    simulated sheets in seven printers no figure read otherwise but one of
    a partial sheet's. Laid out by Chromium: 10 scans in DejaVu Sans all
    confirmed (1 before), 20 photos in DejaVu Sans Bold (5); 10 scans and
    20 photos in Liberation Sans all read (1 before), 8 of them confirmed,
    the rest partial, none a mismatch.

    `everywhere` (the caller's last resort, where no framing of the page
    finds the table otherwise) cuts the key off every line at both margins whose
    first word is wider than a key, not only within a run of rows: a
    narrow proportional font's word space, a few pixels, is gone in a
    photo, and most rows are key and name in one piece. Chromium-laid
    photos in Liberation Sans Narrow: 17 of 20 tables lost (2 to 31 rows
    found), now every one read, 16 confirmed, every figure as printed; in
    Liberation Sans, hard photos 16 of 20 confirmed (6), 1 partial; Liberation Serif
    photos all read (18), 19 confirmed. Cut so on every page, the turn the
    wrong way up offered tables of cut figures (`reading.read_print`).
    """
    usable = [line for line in lines if len(line.words) >= 2]
    if len(usable) < layout.table.rows:
        raise NotFound(f"{len(usable)} lines of text, fewer than the table's {layout.table.rows} rows")
    tolerance = MARGIN_TOLERANCE * text_height
    left, _ = _margin([(line.cy, _start(line, text_height)) for line in usable], tolerance)
    reasons = []
    for column in _figure_columns(usable, text_height):
        try:
            return _located(lines, layout, text_height, left, column, everywhere=everywhere)
        except NotFound as error:
            reasons.append(error)
    raise reasons[0]


def _located(
    lines: Sequence[TextLine],
    layout: SheetLayout,
    text_height: float,
    left: Margin,
    column: FigureColumn,
    *,
    everywhere: bool,
) -> list[Located]:
    """`locate`'s ways with the figures in `column`; raises `NotFound` when there are none."""
    tolerance = MARGIN_TOLERANCE * text_height
    # specks of dirt, a shadow's edge or the table beside the sheet can join a line outside its margins
    lines = [kept for kept in (_inside(line, left, column, tolerance) for line in lines) if kept is not None]
    keyed = [
        line
        for line in lines
        if len(line.words) >= 2
        and abs(left.at(line.cy) - _start(line, text_height)) < tolerance
        and column.holds(line, tolerance)
    ]
    key_width = _key_width(keyed, text_height)
    if key_width is None:
        raise NotFound("no table rows: no lines begin with a key and end with a figure at the margins")
    whole: dict[int, TextLine] = {}
    wanted = layout.table.rows
    ways = _ways(lines, keyed, key_width, whole, loose=False)
    if max(len(run) for _, run in ways) < wanted:
        ways += _ways(lines, keyed, key_width, whole, loose=True)
    if everywhere:
        ways += _ways(lines, keyed, key_width, whole, loose=True, everywhere=True)
    longest = max(len(run) for _, run in ways)
    if longest < wanted:
        raise NotFound(f"found {longest} table rows, the layout has {wanted}")
    candidates = []
    for lines_of_way, run_of_way in ways:
        for start in range(len(run_of_way) - wanted + 1):
            rows = run_of_way[start : start + wanted]
            # only the rows keep a key split off: a header line at both margins whose first word is a label
            # (``MESA:``, its S and A a letter gap apart, the word's only gap) must keep it whole to read as it
            below = [whole.get(id(line), line) for line in lines_of_way[lines_of_way.index(rows[-1]) + 1 :]]
            above = [whole.get(id(line), line) for line in lines_of_way[: lines_of_way.index(rows[0])]]
            totals = _total_lines(below, column, tolerance, 2 * len(layout.totals))
            if len(totals) >= len(layout.totals):
                candidates.append(Located(rows, totals, left, column, above))
    if not candidates:
        raise NotFound(f"no {len(layout.totals)} total lines after the table's {wanted} rows")
    return candidates


def _ways(
    lines: list[TextLine],
    keyed: list[TextLine],
    key_width: float,
    whole: dict[int, TextLine],
    *,
    loose: bool,
    everywhere: bool = False,
) -> list[tuple[list[TextLine], list[TextLine]]]:
    """The lines with the keys of `keyed` split off (`_key_split`), and their longest run of rows; then, when
    some line within it may be a row whose key was joined to its name with no gap left, the lines with those
    keys cut off too (`_key_cut`), and their run; `everywhere`: such a line anywhere on the page, not only
    within the run. `whole` gets each split or cut line's line before.
    """
    split = {id(line): _key_split(line, key_width, loose=loose) or line for line in keyed}
    whole |= {id(parted): line for line in keyed if (parted := split[id(line)]) is not line}
    lines = [split.get(id(line), line) for line in lines]
    is_row = {id(line) for line in split.values() if _is_key(line.words[0].width, key_width)}
    run = _longest_run(lines, is_row)
    ways = [(lines, run)]
    # within the table, a line at both margins whose first word is wider than a key may be a row whose key blur
    # joined to its name with no gap left to split at: the rows with its key cut off are candidates too
    # (`everywhere`: such lines anywhere, a narrow font's word space, joined, leaving most rows so and no run)
    inside = lines if everywhere else lines[lines.index(run[0]) : lines.index(run[-1]) + 1] if run else []
    unsplit = {id(line) for line in keyed if split[id(line)] is line}
    cut = {
        id(line): _key_cut(line, key_width)
        for line in inside
        if id(line) in unsplit and id(line) not in is_row and line.words[0].width > key_width
    }
    if cut:
        whole |= {id(parted_cut): line for line in inside if (parted_cut := cut.get(id(line))) is not None}
        cut_lines = [cut.get(id(line), line) for line in lines]
        ways.append((cut_lines, _longest_run(cut_lines, is_row | {id(line) for line in cut.values()})))
    return ways


def _start(line: TextLine, text_height: float) -> float:
    """Where the line's text begins: its left, or past a speck its first word begins with (a first piece no
    wider than `SPECK_HEIGHTS` text heights).

    On a hard photo of a sheet printed 3 mm left of centre, a 2-pixel bit of
    the paper's edge 12 pixels left of a key put the key's line 16 pixels
    left of the margin, past its tolerance (14): the row was no row, and
    the table, broken there, was not found (`_key_split` leaves the speck
    out of a row, once the row is one).
    """
    first = line.words[0]
    if first.pieces and first.pieces[0][1] - first.pieces[0][0] <= SPECK_HEIGHTS * text_height:
        return first.pieces[1][0]
    return line.left


def _inside(line: TextLine, left: Margin, column: FigureColumn, tolerance: float) -> TextLine | None:
    """The line without its words that lie wholly outside the margins (None when none is left).

    Only a column that says where its figures end (`FigureColumn.end`: a right-aligned one) is a margin on
    the right: past a left-aligned or centred one, a header's value may stand further right than any figure
    (``ELECTORES: 422`` set at the figures' tab stop).
    """
    right = column.end
    words = tuple(
        word
        for word in line.words
        if word.x1 > left.at(line.y_at(word.cx)) - tolerance
        and (right is None or word.x0 < right.at(line.y_at(word.cx)) + tolerance)
    )
    if len(words) == len(line.words):
        return line
    return TextLine(words) if words else None


def _figure_columns(lines: Sequence[TextLine], text_height: float) -> Iterator[FigureColumn]:
    """The columns the lines' last words may stand in: at each anchor, the one whose margin the most of them lie
    on first (`locate` tries the others in turn where it finds no table, and only then are their margins fitted).

    Counted within `ANCHOR_TOLERANCE`, the anchor the figures are set by
    stands out: on simulated photos right-aligned, 44 to 48 lines end on the
    right margin, 34 to 38 begin on a left one and 34 to 38 are centred on
    one (those with the most common count of digits, and some header lines);
    laid by Chromium with the figures left-aligned at a tab stop, 42 to 46
    begin on it, where 34 to 37 end on one and 33 to 39 are centred. Within
    `MARGIN_TOLERANCE` the centres came within 3 lines of the true anchor.
    A tie keeps the earlier anchor of `ANCHORS` (right, as a receipt prints).
    On hard photos the counts come closer, a blurred figure's ends astray:
    the true anchor led by 2 lines or fewer in 17 of 592 framings of
    right-aligned sheets (another tied or led in 15, most of them framings
    that find no table at all) and in 7 of 37 of left-aligned ones (2);
    on a small faint hard photo of centred figures, 42 lines stood on the
    centres' margin and 37 on the right ends', and only the right ends'
    held all 38 rows.
    """
    ends = {anchor: [(line.cy, _place(line.words[-1], anchor)) for line in lines] for anchor in ANCHORS}
    counts = {anchor: sum(_margin(points, ANCHOR_TOLERANCE * text_height)[1]) for anchor, points in ends.items()}
    ranked = sorted(ANCHORS, key=lambda anchor: -counts[anchor])  # stable: a tie keeps `ANCHORS`' order
    for anchor in ranked:
        yield FigureColumn(_margin(ends[anchor], MARGIN_TOLERANCE * text_height)[0], anchor)


def _place(word: Word, anchor: Anchor) -> float:
    """The frame column of the word's `anchor`: what lies on the figures' margin when the word is a figure."""
    return word.x1 if anchor == "right" else word.x0 if anchor == "left" else word.cx


def _margin(points: list[tuple[float, float]], tolerance: float) -> tuple[Margin, list[bool]]:
    """The line x = a*y + b through most (y, x) points (RANSAC, then least squares on its inliers).

    The line through each of `RANSAC_TRIES` pairs of points (`_ransac_pairs`; a pair less than a row apart
    draws no line) counts the points within `tolerance` of it, all pairs at once; the first to count the most
    wins, as a loop over the pairs would choose.
    """
    ys = np.array([p[0] for p in points])
    xs = np.array([p[1] for p in points])
    i, j = _ransac_pairs(len(xs)).T
    apart = np.abs(ys[i] - ys[j]) >= 1
    with np.errstate(divide="ignore", invalid="ignore"):  # pairs not apart: their lines are not counted
        slopes = (xs[i] - xs[j]) / (ys[i] - ys[j])
        near = np.abs(slopes[:, None] * (ys - ys[i][:, None]) + xs[i][:, None] - xs) < tolerance
    counts = np.where(apart, near.sum(axis=1), 0)
    best = int(np.argmax(counts))
    if counts[best] < 2:
        return Margin(0.0, float(np.median(xs))), [True] * len(xs)
    slope, offset = np.polyfit(ys[near[best]], xs[near[best]], 1)
    margin = Margin(float(slope), float(offset))
    return margin, [bool(abs(margin.at(y) - x) < tolerance) for y, x in zip(ys, xs, strict=True)]


@functools.lru_cache(maxsize=64)
def _ransac_pairs(count: int) -> npt.NDArray[np.int64]:
    """`RANSAC_TRIES` pairs of different indices below `count`, the same for every page of as many lines.

    Drawn from a generator seeded alike each time, so that the same page
    always gives the same margins; drawn once per count, for the draws
    were nearly all of a margin's cost: 6 ms of its 6.2, and 14 to 19 ms
    of a simulated photo's reading.
    """
    rng = np.random.default_rng(0)
    pairs = np.array([rng.choice(count, size=2, replace=False) for _ in range(RANSAC_TRIES)], dtype=np.int64)
    pairs.flags.writeable = False
    return pairs


def _key_width(lines: list[TextLine], text_height: float) -> float | None:
    """The width shared by most first words, or their first pieces, that are short enough to be keys.

    A first word's first piece (`Word.pieces`) counts beside it: on a
    blurred photo half the keys were joined to their names, and the joined
    words of the short names (``04 PPT``) outnumbered the keys left alone,
    so the densest width was theirs and no key was found. Beside it, not
    for it: a font whose digits stand far apart in their cells (a
    proportional one) makes each digit of a key a piece, and the densest
    width was then a digit's (hard photos in Liberation Sans: 13 pixels for
    keys of 27 to 34, 19 of 38 rows found).
    """
    firsts = [line.words[0].width for line in lines]
    firsts += [line.words[0].pieces[0][1] - line.words[0].x0 for line in lines if line.words[0].pieces]
    widths = np.array([width for width in firsts if width < 3.0 * text_height])
    if len(widths) == 0:
        return None
    # the densest width: the median of the widths close to each width, for the width with most neighbours
    counts = [(np.abs(widths - w) <= 0.15 * w).sum() for w in widths]
    centre = widths[int(np.argmax(counts))]
    return float(np.median(widths[np.abs(widths - centre) <= 0.15 * centre]))


def _is_key(width: float, key_width: float) -> bool:
    return abs(width - key_width) <= KEY_WIDTH_TOLERANCE * key_width


def _key_split(line: TextLine, key_width: float, *, loose: bool = False) -> TextLine | None:
    """The line with its key split off its first word, when blur joined them (None: nothing to split).

    The key is the word's first pieces (`Word.pieces`) when they span the
    key's width and the gap after them is a space: `SPACE_KEYS` key widths
    or more, or `SPACE_RATIO` times as wide as any other gap in the word,
    not one between two letters of a wider word (``TO|TAL``, whose letters'
    gaps are all alike and narrow). A first piece no wider than
    `SPECK_KEYS` key widths is left out first: on hard photos of a sheet
    printed close to its left edge, 2-pixel bits of the edge joined the
    keys' words (a key then measured 36 to 39 pixels where keys were 25),
    and the table was not found. A piece as narrow within the word ends no
    gap: the left of a name's C that blur broke off it, 7 pixels past a
    key where the space to the rest of the C was 15, hid the space, and a
    hard photo seen from low down lost the row and its table (1 of 40 on
    five printers; no other sheet of 14,500 figures read otherwise).
    `loose`: any gap after the key's width is its space (`locate`'s last ways).
    """
    first = line.words[0]
    if _is_key(first.width, key_width) or len(first.pieces) < 2 or len(line.words) < 2:
        return None
    if first.pieces[0][1] - first.pieces[0][0] <= SPECK_KEYS * key_width:
        first = first.split(1)[1]  # a speck before the key: the paper's edge, or dirt, is no glyph
        line = TextLine((first, *line.words[1:]))
        if _is_key(first.width, key_width):
            return line
        if len(first.pieces) < 2:
            return None
    # a speck within the word (a letter's stroke that blur broke off it) is no gap's end: only solid pieces are
    solid = [i for i, (x0, x1) in enumerate(first.pieces) if i == 0 or x1 - x0 > SPECK_KEYS * key_width]
    gaps = [first.pieces[after][0] - first.pieces[before][1] for before, after in itertools.pairwise(solid)]
    for k in range(1, len(solid)):
        wide = gaps[k - 1] >= SPACE_KEYS * key_width
        space = loose or wide or gaps[k - 1] >= SPACE_RATIO * max(gaps[: k - 1] + gaps[k:], default=0)
        if space and _is_key(first.pieces[solid[k - 1]][1] - first.x0, key_width):
            return TextLine((*first.split(solid[k - 1] + 1), *line.words[1:]))
    return None


def _key_cut(line: TextLine, key_width: float) -> TextLine:
    """The line with its first word cut in two at the keys' width: its key, and the name blur joined to it."""
    first = line.words[0]
    parts = ((first.x0, first.x0 + key_width), (first.x0 + key_width, first.x1))
    return TextLine((*replace(first, pieces=parts).split(1), *line.words[1:]))


def _longest_run(lines: Sequence[TextLine], is_row: set[int]) -> list[TextLine]:
    """The longest sequence of row lines with at most `MAX_LINES_BETWEEN_ROWS` other lines between two rows."""
    best: list[TextLine] = []
    run: list[TextLine] = []
    others = 0
    for line in lines:
        if id(line) in is_row:
            run.append(line)
            others = 0
        elif run:
            others += 1
            if others > MAX_LINES_BETWEEN_ROWS:
                best, run = max(best, run, key=len), []
    return max(best, run, key=len)


def _total_lines(below: Sequence[TextLine], column: FigureColumn, tolerance: float, count: int) -> list[TextLine]:
    """The first `count` lines below the table that end in the figures' column: where the totals can be."""
    return [line for line in below if len(line.words) >= 2 and column.holds(line, tolerance)][:count]
