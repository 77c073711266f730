"""Finding the printed text lines of a sheet in a page, whatever its rotation, light or perspective.

A tally sheet photographed on a table can lie at any angle, in perspective,
under uneven light. The lines of its text are what every later step needs (the
table's rows, the totals, the header), so this module finds them directly
from the ink, without relying on the paper's edges (a white sheet on a white
desk has none) or on the QR code (a sheet may have none):

1. *Ink*: dark strokes on a locally brighter background (a morphological
   black-hat, so shadows and glare, which vary slowly, drop out), thresholded
   by Otsu's method.
2. *Direction*: the text block of a receipt is long; the direction of its
   long axis (principal component of the ink) is perpendicular to the lines,
   up to the sign. The exact angle is then the one whose projection across
   the lines is peakiest, searched within 12 degrees of that estimate (a
   search over all angles would lock onto the columns of a fixed-pitch font).
3. *Frame*: the page turned so that lines run left to right, at a scale that
   gives characters about `TARGET_HEIGHT` pixels, and smoothed a little when
   a photo's sensor noise shows in it (`GRAIN_FLOOR`).
4. *Words*: characters joined by a closing of half a character's width, so
   that a space still separates words. Long straight thin strokes (the
   paper's edge where a photo shows it as a line, a ruling) are rules, not
   words: they are erased from the ink and from the frame's image. So is a
   fold's crease through a line's letters, from the ink.
5. *Lines*: words chained to the right, each next word predicted by the local
   slope of the long words around it, then chained again along the slopes of
   the lines found (a line's chord is not tilted by slanted letters, a word's
   own slope is). Perspective makes lines converge, so the slope is local,
   not one angle for the page; the gap allowed between words is wide enough
   to cross the blank middle of a table row.

The frame is upright or upside down at this point: `Frame.turned` gives the
other one, and the caller decides which is right (from the sheet's layout).
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import NamedTuple

import cv2
import numpy as np

#: Long side of the image the direction of the text is estimated on.
OVERVIEW_SIDE = 900
#: Pixels along that image's border whose ink is not the text's (`text_angle`).
BORDER_INK = 2
#: Long side of the image the size of the letters is measured on.
SURVEY_SIDE = 1600
#: Pixels of paper kept around the text of the survey's copy when it is turned upright to measure letters.
SURVEY_MARGIN = 8.0
#: Height (pixels) a capital letter is brought to in the frame: small text is enlarged (a photo taken from
#: afar), large text reduced, so that every later step works at one scale. Measured against 18 and 24 on
#: 40 hard and 40 hardest photos each way (benchmarks/print.py, seed 2024): hard photos without a code read
#: certain 17 at 20, 13 at 18 and 12 at 24; the others within a sheet; CPU within noise.
TARGET_HEIGHT = 20.0
#: Small text is enlarged at most this many times (more would only magnify blur and cost pixels).
MAX_ENLARGEMENT = 3.0
#: Ink covers at most this share of an image. Measured on simulated scans, photos and hard photos: at most
#: 5.6 % of a page's overview and 7.9 % of a frame; 18-36 % of each frame made where a small sheet
#: lay on noisy wood grain, whose texture Otsu's method had split from the paper instead of the ink from both.
MAX_INK_SHARE = 0.15
#: Faint ink (`frame_in`'s ``faint``): each pixel's ink contrast is taken relative to the strongest within this
#: many stroke sizes around it, and never relative to less than `FAINT_FLOOR` grey levels (blank paper's
#: noise would otherwise be raised to ink).
FAINT_SPAN = 16
FAINT_FLOOR = 45.0
#: A frame whose grain (`_grain`: the standard deviation of its pixel noise, grey levels) exceeds this is
#: smoothed by a Gaussian of `GRAIN_BLUR` pixels before anything is found in it. Simulated scans and photos,
#: hard and hardest included, measure 0.25-0.5; a photo with sensor noise of 10 grey levels 1.2-4.7 (the frame's
#: scale decides), of 18 levels 2.2-8.4.
GRAIN_FLOOR = 1.0
GRAIN_BLUR = 0.8
_GRAIN_KERNEL = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], dtype=np.float32)
#: A frame with more marks than this (blobs of ink, `_components`), or more words (`_words`), holds no lines of
#: print: noise, a texture or a picture (`NotPrint`). On 1,279 simulated and browser-laid sheets of every class,
#: a frame held at most 7,421 marks and 1,475 words, and with faint ink brought up 12,191 and 2,332; a photo of
#: pure noise held 364,000 and 59,660, of smoothed noise 24,000 to 110,000 and 21,000 to 41,000, and each framing
#: of it took 2 to 15 s of CPU (65 s a page), where one of a sheet takes 0.1.
MAX_MARKS, MAX_WORDS = 50_000, 5_000
#: Lines run within this many degrees of the estimate from the text block's long axis.
ANGLE_WINDOW = 12.0
#: The text's ink spreads at least this many times as far along its long axis as across it (its variances) for
#: that axis to tell the lines' direction: 14.8 to 114 on 280 simulated photos of one receipt each, 1.03 to 1.3
#: for two receipts side by side; below it every direction is searched (`text_angle`).
AXIS_RATIO = 4.0
#: A word is joined to the next on its line across at most this many character heights of blank paper: a
#: line as wide as a form's (one set in 10-point type across A4 paper is some 70 capital heights wide), for
#: a table row's figure lies across all of it from a short name. At 45, a hard photo of a sheet Chromium set
#: in Liberation Mono, wider for its letters than a receipt's 48 columns, had its short rows' figures 46 to 48
#: heights past their names: each was a line of its own, 16 rows of 38 were found and the print was not read.
#: At 70: that sheet read (partial), a codeless one in DejaVu Sans read for certain (uncertain before), and no
#: other of 64 such photos, nor of 150 simulated photos (hard and hardest), read otherwise. Sheets side by side are
#: parted into blocks before lines are chained (`_blocks`), so the longer reach joins no line across them.
MAX_GAP_HEIGHTS = 70.0
#: Letters are joined across this many text heights into a word's pieces (`Word.pieces`): less than a space
#: narrowed by blur, more than the gap within a key's two digits.
PIECE_JOIN = 0.4
#: ... and across this many where no gap in a word is that wide (`_narrow_pieces`). A narrow font's space is
#: not: Liberation Sans Narrow's is 0.31 of its capitals' height, and on Chromium-laid photos the gaps in its
#: words spread from 0.05 to 0.45 heights, the letters' under 0.15, so its keys stayed joined to their names
#: (``07MEP``), no font model was learned from them, and PP-OCR left some rows' keys unproven.
NARROW_JOIN = 0.17
#: ... and split there only where its first gap is this many times as wide as any other: a key, a space
#: before its name. In a fixed-pitch font the narrower closing cuts a name at its letters, and every piece so
#: cut offered keys and tables that were not (on simulated hard photos with a code, 10.8 PP-OCR runs a sheet
#: instead of 8.9; so, 9.2). Of 22 codeless Chromium-laid photos in Liberation Sans Narrow (photos, hard and
#: hardest) 3 were read for certain, and 9 with these pieces; of 432 in 12 fonts, 277 and 293, none wrong,
#: the print refused on 38 instead of 42; 48 hard photos with a code in four fonts read as before. On 1,300
#: simulated sheets, 2 more confirmed by their QR codes and one fewer read for certain (blur moving frames).
NARROW_SPACE = 1.5
#: Ink shorter than this many text heights is no word (a speck, a rule's dash).
MIN_WORD_HEIGHT = 0.45
#: A long run `SEAM_FROM` to `SEAM_HEIGHTS` text heights thick (two lines and the room between them; a line with its
#: accents and tails is 1.4 at most) is cut in two at a level at least `SEAM_PART` from its top and bottom whose
#: ink is at most `SEAM_INK` of the fullest level's on either side of it (`_seam`).
SEAM_FROM, SEAM_HEIGHTS, SEAM_PART, SEAM_INK = 1.6, 3.6, 0.6, 0.5
#: Where the run's own slope finds no seam, it is sought along slopes up to `SEAM_SLOPE` either way (rows a column:
#: what a photo's perspective leaves of the lines' slope in a frame, as `RULED_SLOPE`), `SEAM_SLOPE_STEP` apart (a
#: level 0.01 off the lines' slope drifts a pixel from the seam every 100 columns, a long name's length). A seam so
#: found holds at most `SEAM_SEARCHED_INK` of the fuller side's fullest level, and each side holds letters: ink
#: whose median column spans `SEAM_LETTERS` text heights or more (a rule's spans its thickness, 0.1 to 0.3). Between
#: two lines a J's tail or an accent touches, 0 to 5 % (15 runs of five Chromium-laid photos set solid); across
#: one line of tall glyphs at their waist (a title's "ACT", figures "69", "30"), some slope finds 40 to 48 %.
SEAM_SLOPE, SEAM_SLOPE_STEP = 0.1, 0.01
SEAM_SEARCHED_INK, SEAM_LETTERS = 0.15, 0.5
#: Ink no wider nor taller than `SPECK_SIZE` text heights with no other ink within `SPECK_ROOM` of it is a speck
#: (`_despeckled`). The room is what a speck in the space between a key and its name (a text height) must leave
#: on both sides for the closing that joins letters (0.75 text heights) not to bridge the two words through it.
#: A period, a colon's dot or a dot of a dotted line is a stroke wide (3 pixels at 18 to 20-pixel letters) and
#: may stand that far from other ink: at 0.2 the colons and a dotted rule of a sheet seen in strong perspective
#: were taken for specks, its lines were chained otherwise and its table was lost.
SPECK_SIZE, SPECK_ROOM = 0.12, 0.25
#: Ink taller than this many text heights, its rise along a slanted line taken off, is no word; a straight
#: stroke as tall and at most `RULE_WIDTH` text heights thick is a rule (`_rules`).
RULE_HEIGHTS, RULE_WIDTH = 2.2, 0.4
#: A rule is erased this many text heights past each of its ends too, and this many pixels either side of its
#: ink (the blur of its edges; `_erased`).
RULE_PAST, RULE_BLUR = 2.0, 1.5
#: A run of ink this many text heights long or more may hold a crease (`_crease`): a straight stroke along the
#: lines, at most `CREASE_WIDTH` text heights thick, through `CREASE_COVER` of the run's columns or more. A fold
#: crosses the whole sheet, but a photo breaks its line into runs: on 60 creased scans, runs from 20 text heights
#: confirmed 34 tables, from 8, 12 or 15 45 (and a signature over its line, 16-19, passes for one).
CREASE_LENGTH, CREASE_WIDTH, CREASE_COVER = 12.0, 0.5, 0.9
#: ... and its own line, this many text heights either side of it, runs through `CREASE_COVER` of them too.
CREASE_LINE = 0.1
#: A run `RULED_LENGTH` text heights long or more may be a ruled table's rule with its row's letters touching it:
#: its line is fitted to the ink of its thin columns (at most `CREASE_WIDTH` text heights of ink) where
#: `CREASE_THIN` of its columns are so, and it holds letters, not a rule alone, when `CREASE_OTHER` text heights
#: squared of its ink lie `CREASE_APART` text heights or more past the line's own thickness (`_crease`).
CREASE_THIN, RULED_LENGTH, CREASE_OTHER, CREASE_APART = 0.3, 24.0, 0.2, 0.3
#: In the ruled framing (`frame_in`), a run's rules are searched for along slopes up to `RULED_SLOPE` (rows a
#: column; the frame's lines run level but for the perspective left in a photo: on a sheet seen in strong
#: perspective the frame's one angle left a table's rows 5 degrees off, and a bound of 0.05 missed every rule),
#: `RULED_SLOPE_STEP` apart, in a sample of `RULED_POINTS` of its thin strokes (`_fullest_level`).
RULED_SLOPE, RULED_SLOPE_STEP, RULED_POINTS = 0.1, 0.005, 1000
#: A crease lies between two lines (`_uncreased`) where letters touch it from both sides in `CREASE_BOTH` of the
#: columns they touch it in, and reach `CREASE_ROWS` text heights from it on both sides there. Between a ruled
#: table's rows, 39 to 58 % of the columns and 0.85 text heights or more (7 rules of two hard photos); along a
#: photographed scan's leaders blurred into lines, 3 to 37 % and 0.76 at most (the letters of the row below).
CREASE_BOTH, CREASE_ROWS = 0.3, 0.8
#: The ruled framing's (`frame_in`): `CREASE_BOTH` of the columns the side touched less touches a crease in
#: (`_between_lines`); runs found again without creases searched for more, this many times (`_without_creases`).
RULED_BOTH, CREASE_PASSES = 0.4, 12
#: A stretch of a long run at least `LEADER_LENGTH` text heights long whose columns hold at most `LEADER_THICK`
#: text heights of ink each, `LEADER_INK` of them inked at least and all of it along one line, is a leader: the
#: dots, dashes or rule that lead the eye from a name to its figure ("PSUV ........ 177"; `_leaders`).
LEADER_LENGTH, LEADER_THICK, LEADER_INK = 2.0, 0.4, 0.2
#: The letters a leader leads from or to have columns whose ink spans this many text heights at least.
LEADER_GLYPH = 0.6
#: A leader is left as it is this many text heights from either end of its stretch (`_Leader.of`).
LEADER_END = 0.25
#: A leader whose ink fills less than this share of its columns is dotted: its run holds no crease (`_crease`),
#: for a crease is a line drawn unbroken along a fold, and dots along the letters' feet blurred into a line passed
#: for one, whose erasing took the feet off the letters (figures' boxes 11 pixels tall for 20; 12 photos).
LEADER_DOTTED = 0.9
#: Blobs less than this share of `TARGET_HEIGHT` are no letters where they outnumber the letters of a frame
#: (`_text_height`): the dots of dotted leaders, some 90 a row.
DOTS_SHARE = 0.5
#: A column of blank paper at least this many text heights wide down the whole frame parts its text into
#: blocks whose lines are followed apart (`_blocks`): sheets laid side by side. None was found within a
#: simulated sheet (280 photos, 80 of them in all five printers' styles, and 12 scans; the columns found
#: parted specks past the paper from it): its title, rules and header cross the blank between the table's
#: names and figures. Between two receipts lie both their margins (8 mm on 80 mm paper, 4 mm on 58 mm).
GUTTER_HEIGHTS = 1.5
#: A block holding less than this share of the frame's words (by their widths) is not another sheet: specks
#: of the table or the cloth past the paper (at most 0.8 % on the simulated photos above).
BLOCK_SHARE = 0.1
#: Slope samples (long words, or long lines) a `SlopeField` is fitted to at the least.
FIELD_SAMPLES = 6
#: A chained line measures the slope field when its first and last words are this many text heights apart.
CHORD_HEIGHTS = 10.0


@dataclass(frozen=True)
class Word:
    """A run of ink on one line: its box in the frame, its centre row, its slope when it is long enough."""

    x0: float
    y0: float
    x1: float
    y1: float
    cy: float
    slope: float | None
    pieces: tuple[tuple[float, float], ...] = ()
    """A long word's parts, left to right, when letters are joined only across `PIECE_JOIN` (their columns),
    or, where that leaves the word whole, its first piece across `NARROW_JOIN` and the rest (`_narrow_pieces`).

    Blur and a narrow font can join a table row's key to the name after it
    (``01 PSUV`` as one word); the gap between them is still the widest in
    the word, so the parts let the caller split the key off. Empty when the
    word is one part.
    """

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    def split(self, at: int) -> tuple[Word, Word]:
        """The word as two: its first `at` pieces, and the rest (each centred on the word's own slope)."""
        left, right = self.pieces[:at], self.pieces[at:]
        return self._part(left), self._part(right)

    def moved(self, dy: float, dx: float = 0.0) -> Word:
        """The word `dy` rows down and `dx` columns right (found in a strip or box of the frame, placed back in
        the frame)."""
        pieces = tuple((x0 + dx, x1 + dx) for x0, x1 in self.pieces)
        return Word(self.x0 + dx, self.y0 + dy, self.x1 + dx, self.y1 + dy, self.cy + dy, self.slope, pieces)

    def joined(self, after: Word) -> Word:
        """This word and `after`, the next on its line, as one (a figure whose narrow glyphs left a gap).

        The box is both boxes', the centre row the mean of theirs weighted by their widths, the parts each
        word's; the slope is dropped (it was measured on one part).
        """
        parts = (self.pieces or ((self.x0, self.x1),)) + (after.pieces or ((after.x0, after.x1),))
        cy = (self.cy * self.width + after.cy * after.width) / max(self.width + after.width, 1e-9)
        return Word(self.x0, min(self.y0, after.y0), after.x1, max(self.y1, after.y1), cy, None, parts)

    def _part(self, pieces: tuple[tuple[float, float], ...]) -> Word:
        x0, x1 = pieces[0][0], pieces[-1][1]
        cy = self.cy + (self.slope or 0.0) * ((x0 + x1) / 2 - self.cx)
        return Word(x0, self.y0, x1, self.y1, cy, self.slope, pieces if len(pieces) > 1 else ())


@dataclass(frozen=True)
class TextLine:
    """The words of one printed line, left to right."""

    words: tuple[Word, ...]

    @property
    def left(self) -> float:
        return self.words[0].x0

    @property
    def right(self) -> float:
        return self.words[-1].x1

    @property
    def cy(self) -> float:
        """The line's centre row, midway along it."""
        return self.y_at((self.left + self.right) / 2)

    @cached_property
    def slope(self) -> float:
        """Rows gained per column along the line (0 when it has a single word)."""
        first, last = self.words[0], self.words[-1]
        if len(self.words) > 1 and last.cx - first.cx > 0:
            return (last.cy - first.cy) / (last.cx - first.cx)
        return first.slope or 0.0

    @property
    def height(self) -> float:
        return float(np.median([w.height for w in self.words]))

    def y_at(self, x: float) -> float:
        """The line's centre row at column `x`."""
        first = self.words[0]
        return first.cy + self.slope * (x - first.cx)


@dataclass
class Frame:
    """The page turned so that its text runs left to right, with its lines top to bottom.

    `to_page` maps frame pixels to page pixels (3x3). `text_height` is the
    typical height of a capital letter in the frame. `page_size` is the
    page's width and height in pixels, where known: the frame is paper-white
    past the page's edge, so a figure the photo cuts there looks whole, and
    only where it lies on the page tells (`testigo.read.printed.cells.cut_by_edge`).
    """

    image: np.ndarray
    to_page: np.ndarray
    text_height: float
    lines: list[TextLine] = field(default_factory=list)
    page_size: tuple[int, int] | None = None
    beside: tuple[Frame, ...] = ()
    """The same image's other blocks of text (`_blocks`), largest first: sheets beside this one, or parts of them."""
    together: Frame | None = None
    """When there are `beside` blocks, the image's lines as if it held one block (the last try: a sheet whose
    own layout leaves a blank column down it)."""

    def same_as(self, other: Frame) -> bool:
        """Whether `other` holds the same image, map, lines and blocks: every reading of it is this frame's."""
        return (
            self.lines == other.lines
            and self.text_height == other.text_height
            and self.page_size == other.page_size
            and len(self.beside) == len(other.beside)
            and all(mine.same_as(theirs) for mine, theirs in zip(self.beside, other.beside, strict=True))
            and (self.together is None) == (other.together is None)
            and (self.together is None or other.together is None or self.together.same_as(other.together))
            and np.array_equal(self.to_page, other.to_page)
            and np.array_equal(self.image, other.image)
        )

    @property
    def turned(self) -> Frame:
        """The same frame upside down: lines still top to bottom, words still left to right."""
        height, width = self.image.shape
        turn = np.array([[-1.0, 0.0, width - 1.0], [0.0, -1.0, height - 1.0], [0.0, 0.0, 1.0]])
        image = np.ascontiguousarray(self.image[::-1, ::-1])
        lines = [TextLine(tuple(_turned(word, width, height) for word in reversed(line.words))) for line in self.lines]
        return Frame(image, self.to_page @ turn, self.text_height, lines[::-1], self.page_size)


def _turned(word: Word, width: int, height: int) -> Word:
    """A word's place once the frame is turned half a circle (a slope is the same either way up)."""
    return Word(
        width - 1 - word.x1,
        height - 1 - word.y1,
        width - 1 - word.x0,
        height - 1 - word.y0,
        height - 1 - word.cy,
        word.slope,
        tuple((width - 1 - x1, width - 1 - x0) for x0, x1 in reversed(word.pieces)),
    )


class TextSurvey(NamedTuple):
    """Where a page's text runs, as a copy of at most `SURVEY_SIDE` pixels shows it (`survey_text`): made once
    for a page that is turned both ways (`turn_text`'s `quarter`)."""

    #: The page.
    gray: np.ndarray
    #: The copy's scale (at most 1) and the copy.
    scale: float
    small: np.ndarray
    #: The copy's `text_angle`: the lines' direction in degrees, the text's ink points (the copy's pixels), and
    #: whether the ink's long side told that direction.
    angle: float
    ink: np.ndarray
    sided: bool


def survey_text(gray: np.ndarray) -> TextSurvey | None:
    """The page's `TextSurvey`; None when the page shows no text."""
    scale = min(1.0, SURVEY_SIDE / max(gray.shape))
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else gray
    found = text_angle(small)
    return None if found is None else TextSurvey(gray, scale, small, *found)


def turn_text(page: np.ndarray | TextSurvey | None, *, quarter: bool = False) -> tuple[np.ndarray, np.ndarray] | None:
    """The page's text (a grayscale page or its `survey_text`) turned so that its lines run across, at
    `TARGET_HEIGHT` (smoothed when grainy: `_quieted`), and the map back to the page (3x3); None when the page
    shows no text.

    The lines are taken to run across the long side of the text's ink
    (`text_angle`), as on one receipt or one upright page; where the ink
    has no long side to tell (two receipts side by side), the direction
    whose lines stand out most. `quarter` turns the text a quarter more
    than that, only where the ink has no long side (None otherwise: the
    long side told the lines' direction).

    The page is turned and scaled in one warp, at the scale that brings its
    letters to `TARGET_HEIGHT` (measured on a copy of at most `SURVEY_SIDE`
    pixels, which is plenty to count letters and much cheaper than the page; the
    direction is found on a smaller copy of that copy, so the page is reduced once).
    The letters are measured on that copy turned upright: on a page photographed
    a quarter turn off, their boxes' heights are their widths, about half, and the
    frame was made twice as large each way as it should be (4x the pixels for
    every later step: 214 ms of a photo's 546 went to framing, 145 now).
    """
    survey = survey_text(page) if isinstance(page, np.ndarray) else page
    if survey is None or (quarter and survey.sided):
        return None
    angle, text = survey.angle + (90.0 if quarter else 0.0), survey.ink / survey.scale
    # letters are measured upright: a page turned a quarter would give their widths as their heights
    upright, _ = _turn(survey.small, angle, 1.0, survey.ink, margin=SURVEY_MARGIN)
    height = _text_height(_components(_ink(upright, 7))[2]) / survey.scale
    scale = min(MAX_ENLARGEMENT, TARGET_HEIGHT / height) if height else 1.0
    image, to_page = _turn(survey.gray, angle, scale, text, margin=3 * (height or TARGET_HEIGHT))
    return _quieted(image), to_page


def _quieted(image: np.ndarray) -> np.ndarray:
    """The frame smoothed by `GRAIN_BLUR` pixels when its grain is above `GRAIN_FLOOR`, else as it is.

    A photo taken in low light carries sensor noise that the simulator's
    classes never showed. Noise of 18 grey levels added to 16 photos: its
    specks, enlarged with the letters, were measured as the letters (text
    height 7 pixels instead of 21: 1,606 lines found) or broke words apart,
    and 7 sheets lost their table; smoothed, 1 did, 13 were confirmed and 2
    figures of 618 read otherwise (on sheets left uncertain or partial).
    With 10 levels, 1 table lost and none; with 25, 10 and 3; 12 scans with
    18 levels, 1 and none. A frame without grain is left untouched (every
    simulated class measures below the floor): the blur would cost the
    blurred glyphs of hard photos their last detail for nothing. What this
    does not mend: where the letters are small enough on the page to be
    enlarged (1.7 times), the noise is enlarged with them into specks that
    smoothing only rounds, still taken for letters (text height 7 instead
    of 20); such a photo with 18 levels (1 of 8 tried) stays unread, and
    the operator, which sees single pixels, measures little grain in it.
    """
    return cv2.GaussianBlur(image, (0, 0), GRAIN_BLUR) if _grain(image) > GRAIN_FLOOR else image


def _grain(image: np.ndarray) -> float:
    """The standard deviation of the image's pixel noise, in grey levels (Immerkaer's estimator, median-based).

    The operator cancels what is locally smooth or linear and keeps 6 times
    a pixel's independent noise; the median of its magnitude over the frame
    (mostly blank paper) ignores the letters' edges. Counted in a histogram
    of magnitudes up to 255: the median of a whole frame for a fifth of
    `np.median`'s cost.
    """
    response = cv2.convertScaleAbs(cv2.filter2D(image, cv2.CV_16S, _GRAIN_KERNEL))
    counts = cv2.calcHist([response], [0], None, [256], [0, 256]).ravel().cumsum()
    middle = int(np.searchsorted(counts, counts[-1] / 2))
    return 1.4826 * middle / 6  # a normal variable's MAD is 1 / 1.4826 of its standard deviation


class NotPrint(Exception):
    """A frame's marks are far too many for lines of print (`MAX_MARKS`, `MAX_WORDS`); str() says so."""


def frame_in(
    image: np.ndarray,
    to_page: np.ndarray,
    *,
    faint: bool = False,
    ruled: bool = False,
    page_size: tuple[int, int] | None = None,
) -> Frame | None:
    """The text lines of `image`, a page's text turned by `turn_text`, as a `Frame` (None: no lines found).

    `faint` finds the lines in ink taken relative to the ink around it
    (`_ink`): glare or fading that leaves part of a sheet's print a fraction
    of the contrast of the rest then loses none of its words to the one
    threshold of the frame. It also raises blur and speckle, so it is the
    second try, for a page whose print the first could not match to a layout
    (`testigo.read.printed.reading.read_print`), on the same turned image.
    `ruled` finds them as a table ruled under each row shows them, small
    and blurred, its rows touching the rules (`_crease`, `_uncreased`,
    `_without_creases`): a last try, for it takes a line along one row's
    letters for a crease, and tried first it lost 2 of 12 photos of a
    table ruled and dotted from names to figures, whose dots the leaders
    (`_leaders`) read.
    `page_size` (width, height) is the page's that `to_page` maps onto (`Frame`).
    The frame's lines are those of the largest block of text (`_blocks`);
    the other blocks are its `Frame.beside`, and, when there are any, the
    lines of all its words are its `Frame.together`.
    Raises `NotPrint` for a frame of more marks or words than any sheet's
    print holds (`MAX_MARKS`, `MAX_WORDS`), before its lines are sought:
    the cost of finding them grows faster than their count.
    """
    # measured again on the frame: the survey's copy is too coarse to measure small letters well
    ink = _ink(image, _stroke_size(TARGET_HEIGHT), faint=faint)
    stats = _marks(ink)
    text_height = _text_height(stats, DOTS_SHARE * TARGET_HEIGHT) or TARGET_HEIGHT
    # the lines' ink is the same mask when the letters came out near the target height (the same stroke size)
    if _stroke_size(text_height) != _stroke_size(TARGET_HEIGHT):
        ink = _ink(image, _stroke_size(text_height), faint=faint)
        stats = _marks(ink)
    words, rules, leaders = _words(_despeckled(ink, stats, text_height), text_height, ruled=ruled)
    if len(words) > MAX_WORDS:
        raise NotPrint(f"no lines of print on the page: {len(words):,} words, more than any sheet holds")
    blocks = _blocks(words, text_height)
    if not blocks:
        return None
    # the readers cut their crops from the image: a bit of a rule beside a figure must not show there either
    erased = _erased(image, rules, leaders, text_height, 255)
    frames = [Frame(erased, to_page, text_height, _lines(block, text_height), page_size) for block in blocks]
    together = replace(frames[0], lines=_lines(words, text_height)) if len(frames) > 1 else None
    return replace(frames[0], beside=tuple(frames[1:]), together=together)


def text_angle(gray: np.ndarray) -> tuple[float, np.ndarray, bool] | None:
    """The direction of the text lines in degrees, in [0, 180), the text's ink points (page pixels), and
    whether the ink's long side told that direction (`AXIS_RATIO`; else every direction was searched).

    None for a page without text.

    Ink within `BORDER_INK` pixels of the copy's border is left out: a dark
    patch the photo's edge cuts to a sliver is a stroke as thin as a
    letter's, and a checked tablecloth lines the border with them (sensor
    noise leaves specks there too). Kept, they stretched the text's box
    over the whole photo, and every later step paid by the pixel: 8 of 280
    simulated photos were framed at 5 to 21 megapixels instead of 3 to 4,
    and read in 0.27 to 1.56 s of CPU instead of 0.22 to 0.93 (a hard
    photo's cross-check 0.80 s instead of 0.44).
    """
    scale = min(1.0, OVERVIEW_SIDE / max(gray.shape))
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else gray
    mask = _ink(small, 5)
    rows, columns = mask.shape
    mask[:BORDER_INK] = mask[rows - BORDER_INK :] = 0
    mask[:, :BORDER_INK] = mask[:, columns - BORDER_INK :] = 0
    joined = cv2.dilate(mask, np.ones((5, 5), np.uint8))
    count, labels, stats, _ = _components(joined)
    if count < 2:
        return None
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep = 1 + np.nonzero(areas >= 0.02 * areas.max())[0]  # the text block, not specks of noise
    ys, xs = np.nonzero(np.isin(labels, keep) & (mask > 0))
    if len(xs) < 50:
        return None
    points = np.column_stack([xs, ys]).astype(np.float64)
    centred = points - points.mean(axis=0)
    spread, vectors = np.linalg.eigh(centred.T @ centred)
    long_axis = math.degrees(math.atan2(vectors[1, 1], vectors[0, 1]))
    guess = (long_axis + 90.0) % 180.0
    # no long side to go by (sheets side by side): every direction is searched
    elongated = bool(spread[1] >= AXIS_RATIO * spread[0])
    stages = ((0.5, ANGLE_WINDOW), (0.1, 0.5)) if elongated else ((1.0, 90.0), (0.1, 1.0))
    fx, fy = xs.astype(np.float32), ys.astype(np.float32)

    def peakiness(degrees: float) -> float:
        theta = math.radians(degrees)
        across = fy * math.cos(theta) - fx * math.sin(theta)
        counts = np.bincount((across - across.min()).astype(np.int32)).astype(np.float64)
        return float((counts**2).sum())

    best = guess
    for step, span in stages:
        angles = np.arange(best - span, best + span + step / 2, step)
        best = float(angles[int(np.argmax([peakiness(a) for a in angles]))])
    return best % 180.0, points / scale, elongated


def _blocks(words: list[Word], text_height: float) -> list[list[Word]]:
    """`words` parted wherever a blank column `GUTTER_HEIGHTS` wide runs down the whole frame, the blocks
    holding `BLOCK_SHARE` of the words or more, largest first (by the words' widths).

    A sheet photographed or scanned beside another, or beside part of one,
    shows rows of text on both at about the same heights: followed across
    the blank between them, each of its rows ran on into the other's and
    its table was not found ("found 1 table rows"). Blocks keep each
    sheet's lines its own, and which block is the sheet is for the reader
    to find (`testigo.read.printed.reading.read_print`).
    """
    if not words:
        return []
    cuts = []
    spans = sorted((word.x0, word.x1) for word in words)
    reach = spans[0][1]
    for left, right in spans[1:]:
        if left - reach >= GUTTER_HEIGHTS * text_height:
            cuts.append((reach + left) / 2)
        reach = max(reach, right)
    parts: list[list[Word]] = [[] for _ in range(len(cuts) + 1)]
    for word in words:
        parts[bisect.bisect(cuts, word.cx)].append(word)
    sizes = [text_width(part) for part in parts]
    total = sum(sizes)
    ranked = sorted(range(len(parts)), key=lambda k: -sizes[k])
    return [parts[k] for k in ranked if k == ranked[0] or sizes[k] >= BLOCK_SHARE * total]


def text_width(words: Iterable[Word]) -> float:
    """The summed widths of `words`: how much text a block of them holds (`_blocks`, and the reader's test of
    whether a block beside the sheet is another sheet)."""
    return sum(word.width for word in words)


def _lines(words: list[Word], text_height: float) -> list[TextLine]:
    """The text lines of one block of `words`, top to bottom.

    Lines are chained twice: first along the slopes of the long words, then
    along the slopes of the lines that chaining found. A word's own slope
    (from its moments) is tilted by the shear a photo's perspective gives the
    letters, and a short word's a lot; a line's slope, from its first word to
    its last across the sheet, is not, so the second chaining joins the
    figures that the first left apart from their rows.
    """
    chains = _chains(words, text_height, SlopeField.of_words(words, text_height))
    refined = SlopeField.of_chains(words, chains, text_height)
    if refined is not None:
        chains = _chains(words, text_height, refined)
    lines = [TextLine(tuple(words[i] for i in chain)) for chain in chains]
    return sorted(lines, key=lambda line: line.cy)


def _ink(gray: np.ndarray, size: int, *, faint: bool = False) -> np.ndarray:
    """Dark strokes narrower than `size` pixels on a locally brighter background, as a 0/255 mask.

    `faint`: each stroke's contrast over the strongest around it (`FAINT_SPAN`, `FAINT_FLOOR`), so that a
    region glare or fading left at a fraction of the rest's contrast is split from its paper as the rest is.
    """
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (size, size))
    hat = cv2.morphologyEx(gray, cv2.MORPH_BLACKHAT, kernel)
    if faint:
        span = FAINT_SPAN * size
        # the strongest in a square, as the strongest along rows then along columns: the same, in half the time
        along = cv2.dilate(cv2.dilate(hat, np.ones((1, span), np.uint8)), np.ones((span, 1), np.uint8))
        strongest = cv2.blur(along, (span, span))
        relative = hat.astype(np.float32) * (255.0 / np.maximum(strongest.astype(np.float32), FAINT_FLOOR))
        hat = np.clip(relative, 0.0, 255.0).astype(np.uint8)
    threshold, mask = cv2.threshold(hat, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    # a textured background under a small sheet outweighs its ink: Otsu's split then separates the texture from
    # smooth paper, and more than `MAX_INK_SHARE` is "ink"; the ink is the strongest class above that split
    for _ in range(2):
        if cv2.countNonZero(mask) <= MAX_INK_SHARE * mask.size:
            break
        above = hat[hat > threshold]
        threshold, _ = cv2.threshold(above.reshape(1, -1), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
        _, mask = cv2.threshold(hat, threshold, 255, cv2.THRESH_BINARY)
    return mask


def _components(mask: np.ndarray) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """`cv2.connectedComponentsWithStats` of a mask (8-connected), with 16-bit labels when they fit.

    The labels, stats and centroids are the same either way, but on a frame
    of several megapixels OpenCV labels with 16-bit labels for a third of
    the CPU it takes with 32-bit ones (measured with one thread and with
    two). OpenCV refuses (raises) when the labels would overflow 16 bits:
    then they are 32-bit.
    """
    try:
        count, labels, stats, centroids = cv2.connectedComponentsWithStatsWithAlgorithm(
            mask, 8, cv2.CV_16U, cv2.CCL_DEFAULT
        )
    except cv2.error:
        count, labels, stats, centroids = cv2.connectedComponentsWithStats(mask, connectivity=8, ltype=cv2.CV_32S)
    return count, labels, stats, centroids


def _marks(ink: np.ndarray) -> np.ndarray:
    """The stats of the ink mask's components (`_components`); raises `NotPrint` past `MAX_MARKS` of them."""
    stats = _components(ink)[2]
    if len(stats) - 1 > MAX_MARKS:
        raise NotPrint(f"no lines of print on the page: {len(stats) - 1:,} marks, noise or a texture")
    return stats


def _despeckled(mask: np.ndarray, stats: np.ndarray, text_height: float) -> np.ndarray:
    """The ink mask without its specks: bits of ink too small for a letter, alone on the paper (`stats`: its
    components', as `_components` gives them).

    Dust on a scanner's glass, a dead pixel, a fleck in thermal paper: too
    small to be words themselves (`MIN_WORD_HEIGHT`), a speck in the space
    between two words still joined them into one when letters were joined
    across gaps (`_joined_words`), and one past a figure's last digit
    stretched its box. With one pixel in 2,000 of a 300-dpi scan turned
    black, the print of 8 of 12 simulated scans was not read so ("found 3
    table rows": keys joined to their names); with the specks left out, of
    5, and 7 were confirmed or certain (2 before). Only marks smaller than
    a stroke and alone on the paper go (`SPECK_SIZE`): a period or a dot of
    a dotted rule is a stroke wide, and a bit of a letter lies by the
    letter. Specks a stroke wide or more (dust) stay: they cannot be told
    from those by size.
    """
    size, room = SPECK_SIZE * text_height, int(math.ceil(SPECK_ROOM * text_height))
    small = np.flatnonzero((stats[1:, cv2.CC_STAT_WIDTH] <= size) & (stats[1:, cv2.CC_STAT_HEIGHT] <= size)) + 1
    if not len(small):
        return mask
    cleaned = mask.copy()
    rows, columns = mask.shape
    for i in small.tolist():
        x, y, w, h, area = (int(v) for v in stats[i])
        x0, y0, x1, y1 = max(x - room, 0), max(y - room, 0), min(x + w + room, columns), min(y + h + room, rows)
        if cv2.countNonZero(mask[y0:y1, x0:x1]) == area:  # nothing but itself around it
            cleaned[y : y + h, x : x + w] = 0
    return cleaned


def _stroke_size(text_height: float) -> int:
    """The odd size of the square `_ink` finds the strokes of letters `text_height` tall within."""
    return max(5, int(text_height * 0.8)) | 1


def _text_height(stats: np.ndarray, floor: float = 0.0) -> float:
    """The height of a capital letter: the median height of letter-shaped blobs (0: none), from the ink mask's
    components (`stats`, as `_components` gives them: measured once for this and `_despeckled`).

    The median follows the font most of the sheet's letters are printed in
    (the table's), not the larger title's. Where it falls below `floor`
    (a frame's, whose letters were brought near `TARGET_HEIGHT`), it is
    taken again over the blobs `floor` tall or more when 20 are: dotted
    leaders from names to figures ("PSUV ....... 177") put some 90 dots on
    a row, and their median was a dot's, 4 pixels (12 Chromium-laid
    photos). Weighting the blobs by their ink instead moved the height of
    a page seen from below, whose title and code outweigh its small far
    rows (16 to 13 pixels: its table was lost).
    """
    heights, widths = stats[1:, cv2.CC_STAT_HEIGHT], stats[1:, cv2.CC_STAT_WIDTH]
    letters = (heights >= 4) & (heights <= 200) & (widths <= 2 * heights) & (widths >= 0.2 * heights)
    if letters.sum() < 20:
        return 0.0
    median = float(np.median(heights[letters]))
    tall = letters & (heights >= floor)
    return float(np.median(heights[tall])) if median < floor and tall.sum() >= 20 else median


def _turn(
    gray: np.ndarray, angle: float, scale: float, text: np.ndarray, margin: float
) -> tuple[np.ndarray, np.ndarray]:
    """The text's part of the page rotated by `angle` degrees (lines horizontal) and scaled; the map back.

    Only the box around the `text` points (page pixels) with `margin` pixels
    around it is warped: the table, background and fingers around a sheet are
    most of a photo, and every later step costs by the pixel.
    """
    height, width = gray.shape
    matrix = np.asarray(cv2.getRotationMatrix2D((width / 2, height / 2), angle, scale), dtype=np.float64)
    turned = text @ matrix[:, :2].T + matrix[:, 2]
    low = turned.min(axis=0) - margin * scale
    high = turned.max(axis=0) + margin * scale
    matrix[:, 2] -= low
    out_w, out_h = (int(math.ceil(v)) for v in high - low)
    forward = np.vstack([matrix, [0.0, 0.0, 1.0]])
    source, warp = gray, matrix
    if scale < 0.5:  # a bilinear warp would skip pixels: average them away first, and warp the smaller copy
        source = cv2.resize(gray, None, fx=2 * scale, fy=2 * scale, interpolation=cv2.INTER_AREA)
        warp = np.hstack([matrix[:, :2] / (2 * scale), matrix[:, 2:]])
    # paper-white outside the page, so nothing at the border reads as ink
    interpolation = cv2.INTER_CUBIC if scale > 1 else cv2.INTER_LINEAR
    image = cv2.warpAffine(source, warp, (out_w, out_h), flags=interpolation, borderValue=255)
    return image, np.linalg.inv(forward)


def _words(
    mask: np.ndarray, text_height: float, *, ruled: bool = False
) -> tuple[list[Word], list[_Rule], list[_Leader]]:
    """Runs of ink joined across the gaps between letters, not across spaces, and the rules and leaders found
    among them.

    In a fixed-pitch font a narrow glyph ('1') leaves gaps within a figure of
    about half a character; a space leaves more than a whole one. Three
    quarters of a letter's height (about one character) tells them apart.

    A run too tall to be a word is dropped. When rules lie in runs as tall
    as they are (`_rules`), they are erased from the mask along their whole
    length and the words are found again, once: the paper's edge, which a
    photo shows as a thin dark line where the sheet lies on a lighter cloth,
    had joined the figures printed a space from it into runs dropped as too
    tall (a sheet printed 3 mm off-centre, its figures 6 pixels from the
    edge: two rows lost their figures and the table was not found), bits of
    the line that the photo broke off it had been read as a last digit "1",
    and a line's figure joined by it to the rule under the line was lost in
    a "word" of two lines. A crease through a line's letters (`_crease`) is
    erased first, and the words found again between the blank rows around
    it (`_strip`); then the leaders that join names to their figures
    (`_leaders`), whose runs are found again apart. Dots a photo blurred
    into an unbroken line along the letters' feet still pass for a crease,
    and are erased as one (between the letters, `_uncreased`); as a leader
    they are erased from the image the figures are cut from too, which a
    crease is not, and a figure's cells show no dots (read "4130" for 430).
    A ruled table's rule between two rows that touch it is a crease erased
    through their letters (`_crease`, `_uncreased`), and a run of two lines
    whose letters touch is cut at its seam as it is found (`_seam`).
    `ruled`: `frame_in`'s (the rules of a table ruled under each row, as
    creases, one by one; `_without_creases`).
    """
    runs = _joined_words(mask, text_height, ruled=ruled)
    mask, (words, rules, joined, _, leaders) = _without_creases(mask, runs, text_height, ruled=ruled)
    reach = _near_reach(text_height)
    if joining := [leader for leader in leaders if leader.joins]:
        mask = _erased(mask, [], joining, text_height, 0)
        words = _found_again(mask, words, [leader.box(reach) for leader in joining], text_height)
    if not joined and not any(rule.crosses(word, text_height) for rule in rules for word in words):
        return _in_order(words), rules, leaders  # every rule stands alone (the paper's edge on most photos)
    near = [rule.box(text_height, reach) for rule in rules]
    return _in_order(_found_again(_erased(mask, rules, [], text_height, 0), words, near, text_height)), rules, leaders


def _without_creases(mask: np.ndarray, runs: _Runs, text_height: float, *, ruled: bool) -> tuple[np.ndarray, _Runs]:
    """`mask` with the creases of `runs` (found on it) erased, and what its runs hold then (`_words`).

    The words are found again between the blank rows around the creases
    (`_strip`), or on the whole frame where there are none. `ruled` (a
    ruled table's frame, `frame_in`): a run may hold more than one crease,
    for a ruled table's rows, photographed small and blurred, touch the
    rules above and below them, and a run of several rows holds all their
    rules, of which `_crease` finds one. The runs found again are searched
    for more, `CREASE_PASSES` times at most, each time found again only
    near the creases just erased (as `_found_again` finds words).
    """
    words, rules, joined, creases, leaders = runs
    if not creases:
        return mask, runs
    strip = _strip(mask, creases, text_height)
    if strip is None:
        mask = _uncreased(mask, creases, text_height, ruled=ruled)
        words, rules, joined, creases, found_leaders = _joined_words(mask, text_height, ruled=ruled)
        leaders = leaders + found_leaders
    else:  # only the rows between blank rows around the creases: no run crosses a blank row
        top, bottom = strip
        mask = mask.copy()
        mask[top:bottom] = _uncreased(mask[top:bottom], creases, text_height, top, ruled=ruled)
        found = _joined_words(mask[top:bottom], text_height, ruled=ruled)
        words = [word for word in words if not top <= word.cy < bottom] + [word.moved(top) for word in found.words]
        rules = [rule for rule in rules if not top <= rule.top < bottom] + [rule.moved(top) for rule in found.rules]
        leaders = leaders + [leader.moved(top) for leader in found.leaders]
        joined = joined or found.joined
        creases = [crease.moved(top) for crease in found.creases]
    reach = _near_reach(text_height)
    for _ in range(CREASE_PASSES if ruled else 0):
        if not creases:
            break
        mask = _uncreased(mask, creases, text_height, ruled=True)
        boxes = np.array([crease.box(reach) for crease in creases], dtype=np.float64)
        found = _joined_words(mask, text_height, near=boxes, ruled=True)
        words = [word for word in words if not _meets(boxes, word.x0, word.y0, word.x1, word.y1)] + found.words
        rules = [rule for rule in rules if not _meets(boxes, *rule.box(text_height, 0))] + [
            rule for rule in found.rules if _meets(boxes, *rule.box(text_height, 0))
        ]
        leaders = [leader for leader in leaders if not _meets(boxes, *leader.box(0))] + found.leaders
        joined = joined or found.joined
        creases = found.creases
    return mask, _Runs(words, rules, joined, [], leaders)


def _in_order(words: list[Word]) -> list[Word]:
    """`words` top to bottom, then left to right: one order whichever runs were found again (`_words`)."""
    return sorted(words, key=lambda word: (word.y0, word.x0, word.y1, word.x1, word.cy))


def _found_again(
    erased: np.ndarray, words: list[Word], near: list[tuple[float, float, float, float]], text_height: float
) -> list[Word]:
    """The words of `erased`, a mask `words` were found on with ink taken away only within the boxes `near`
    (x0, y0, x1, y1; widened by the joining closing's reach and more): found again only near them.

    Taking ink away cannot join runs, and the closing that joins letters
    (`_joined_words`) reaches its width along a row: a run none of whose
    pixels, nor their neighbours, lie within that reach of the ink taken
    is the same run before and after, and gives the same word, whose box is
    its ink's. So the words whose boxes keep clear of every box `near`
    stand, and only the runs that meet one are measured again: rules are
    the paper's edges and a few long strokes, and finding every word of the
    frame again for them took 18 ms of CPU a frame, as long as finding them
    the first time (25 frames of simulated photos and hard photos), against
    11 ms now, most of it the closing and the components of the whole
    frame. The result is the words the whole frame would give (`_in_order`
    puts them in one order; the centroids OpenCV sums may differ in their
    last bits).
    """
    boxes = np.array(near, dtype=np.float64).reshape(-1, 4)
    kept = [word for word in words if not _meets(boxes, word.x0, word.y0, word.x1, word.y1)]
    return kept + _joined_words(erased, text_height, near=boxes).words


def _meets(
    boxes: np.ndarray, x0: np.ndarray | float, y0: np.ndarray | float, x1: np.ndarray | float, y1: np.ndarray | float
) -> np.ndarray:
    """Whether each box (x0, y0, x1, y1; right and bottom edges excluded) meets any of `boxes` (one per row)."""
    x0, y0, x1, y1 = (np.asarray(v, dtype=np.float64)[..., None] for v in (x0, y0, x1, y1))
    meets = (x0 < boxes[:, 2]) & (boxes[:, 0] < x1) & (y0 < boxes[:, 3]) & (boxes[:, 1] < y1)
    return np.asarray(meets.any(axis=-1))


def _join_width(text_height: float) -> int:
    """The width of the closing that joins letters into words across the gaps within them (`_words`)."""
    return max(2, int(round(text_height * 0.75)))


def _near_reach(text_height: float) -> int:
    """How far around what was erased (a rule, a leader, a crease) words are found again (`_found_again`): the
    closing's width, and a few pixels for the erased ink's blurred edge."""
    return _join_width(text_height) + 4


class _Crease(NamedTuple):
    """A crease on a frame: the line row = slope * column + offset from column `left` to `right`; `reach`: the
    pixels to erase either side of that line; `top`, `bottom`: the rows of its run."""

    slope: float
    offset: float
    left: int
    right: int
    reach: float
    top: int
    bottom: int

    def moved(self, dy: int) -> _Crease:
        """The crease `dy` rows down."""
        return self._replace(offset=self.offset + dy, top=self.top + dy, bottom=self.bottom + dy)

    def box(self, reach: float) -> tuple[float, float, float, float]:
        """The box (x0, y0, x1, y1) of the band it is erased over (`_uncreased`), `reach` pixels wider all round."""
        rows = (self.slope * self.left + self.offset, self.slope * self.right + self.offset)
        half = math.ceil(self.reach) + 1 + reach
        return self.left - half, min(rows) - half, self.right + half + 1, max(rows) + half + 1


def _strip(mask: np.ndarray, creases: list[_Crease], text_height: float) -> tuple[int, int] | None:
    """The rows from the last blank row above the creases' runs to the first blank one below them, within three
    text heights (None when there is none: a rule down the frame, say): finding the words again there only costs
    a signature's line (most long straight strokes found are one) a few rows instead of a frame."""
    top, bottom = min(crease.top for crease in creases), max(crease.bottom for crease in creases)
    start = max(0, top - int(3 * text_height))
    blank: np.ndarray = np.count_nonzero(mask[start : bottom + int(3 * text_height)], axis=1) == 0
    above, below = np.flatnonzero(blank[: top - start]), np.flatnonzero(blank[bottom - start :])
    if len(above) == 0 or len(below) == 0:
        return None
    return start + int(above[-1]), bottom + int(below[0]) + 1


def _crease(ink: np.ndarray, x: int, y: int, text_height: float, *, ruled: bool = False) -> _Crease | None:
    """The crease through a long run's letters (`ink` begins at column `x`, row `y`), or None.

    A sheet folded to be carried shows each fold as a thin line across it,
    along its lines or nearly. Where one crosses a line's letters, it joins
    them into one long slanted "word": on 12 scans with one faint crease
    drawn 3 degrees off the lines, 10 tables lost a row that way (its key
    in the crease's run), and with it the run of rows the table is. With
    the crease erased (`_uncreased`) all 12 were confirmed (2 before);
    with three creases 4 degrees the other way, 7 (none); with one dark
    crease 6 degrees off, 7 (none); the same scans turned on a dark table
    and saved as JPEG, as a photo shows them: 12 (1) and 7 (none). A crease
    is a straight stroke, at most `CREASE_WIDTH` text heights thick (letters
    cut along a line are a text height thick), through `CREASE_COVER` of
    the run's columns: fitted to the run's ink, then again to the ink near
    that line, so that the letters it crosses do not tilt it. A stroke with
    no other ink in its run is not one (a printed rule, a crease between
    lines): it stays a line of its own, as before. Nor is a line that runs
    through less than `CREASE_COVER` of the columns within `CREASE_LINE`
    text heights: a proportional font sets its capitals so close that a
    photo blurs a long label into a run inked in nearly every column, its
    letters' middles at one height, and "TOTAL VOTOS ESCRUTADOS" and a
    candidate's name were erased as creases (Chromium-laid sheets in
    Liberation Sans; the label lost, a table was taken with its heading
    for a row). On those runs the line ran through 41 to 62 % of the
    columns; through the creases of the tests, 97 % or more.

    A form ruled under each row of its table, photographed small and
    blurred, shows each rule touching its row's letters (and, set close,
    the next row's): the run of a row and its rule, or of two rows and the
    rule between them, runs the table's width. Its line, fitted to all its
    ink, was pulled off the rule by the letters on one side, and a rule
    whose letters lay within the band around it passed for a rule alone:
    the rows were lost, and the table ("found 1 table rows"). A run at
    least `RULED_LENGTH` text heights long is fitted first to the ink of
    its thin columns (the rule alone, between letters and words), and is
    a crease when letters lie `CREASE_APART` past the rule's thickness on
    both sides of it; else it is fitted as before. A rule under one row
    is left to the leaders (`_leaders`): taken for a crease too, it read
    2 more of 12 Chromium-laid hard photos ruled under each row but lost
    3 of 12 photos ruled and dotted from names to figures. Shorter runs
    are not fitted so: a signature over its line (16 to 19 text heights)
    passed for a crease, its scribble became words, and a scan's table was
    lost.

    `ruled` (the ruled framing, `frame_in`, a last resort): set close and
    blurred, several rows and the rules between them are one run, whose
    columns cross two rules or more, none thin, and whose line, fitted to
    all of them, runs between two; and a rule under one row joins that
    row's name to the table's right edge, past its figure. So the line is
    fitted to the ink of the run's thin strokes (`_thin_strokes`: each rule
    where it crosses a column alone) near their fullest level
    (`_fullest_level`), and a rule with letters on one side only is a
    crease too (erased between them, `_uncreased`).
    """
    if np.count_nonzero(ink.any(axis=0)) < CREASE_COVER * ink.shape[1]:
        return None  # a run of letters, gaps between them: no line through it (most runs; cheap to tell)
    rows, cols = np.nonzero(ink)
    width = ink.shape[1]
    long = width >= RULED_LENGTH * text_height  # long enough to be a ruled table's rule
    line = _rule_line(ink, rows, cols, text_height, ruled=ruled) if long else None
    line = line or _crease_line(rows, cols, np.ones(len(rows), dtype=bool), width, text_height)
    if line is None:
        return None
    slope, offset, reach = line
    return _Crease(slope, offset + y - slope * x, x, x + width, reach, y, y + ink.shape[0])


def _rule_line(
    ink: np.ndarray, rows: np.ndarray, cols: np.ndarray, text_height: float, *, ruled: bool
) -> tuple[float, float, float] | None:
    """A ruled table's rule in a long run's ink (`ink`; its pixels `rows`, `cols`) as `_crease_line` gives it, or
    None: fitted to the run's thin columns, letters on both sides of it; `ruled` (`_crease`'s), to its thin
    strokes near their fullest level, letters on one side at least."""
    width = ink.shape[1]
    if not ruled:
        thin = np.count_nonzero(ink, axis=0) <= CREASE_WIDTH * text_height
        return _crease_line(rows, cols, thin[cols], width, text_height, sides=2) if thin.mean() >= CREASE_THIN else None
    strokes = _thin_strokes(ink, CREASE_WIDTH * text_height)[rows, cols]
    if np.count_nonzero(np.bincount(cols[strokes], minlength=width)) < CREASE_THIN * width:
        return None
    slope, level = _fullest_level(rows[strokes], cols[strokes])
    use = strokes & (np.abs(rows - slope * cols - level) <= CREASE_WIDTH * text_height)
    return _crease_line(rows, cols, use, width, text_height, sides=1)


def _thin_strokes(ink: np.ndarray, thickness: float) -> np.ndarray:
    """The pixels of `ink` (a mask) in strokes at most `thickness` pixels tall, column by column: a rule where it
    crosses a column alone, between letters, however many rules the column crosses. (An opening by a vertical
    line one pixel taller keeps the taller strokes.)"""
    tall = np.ones((math.floor(thickness) + 1, 1), np.uint8)
    opened: np.ndarray = cv2.morphologyEx(ink.astype(np.uint8), cv2.MORPH_OPEN, tall)
    thin: np.ndarray = ink & (opened == 0)
    return thin


def _fullest_level(rows: np.ndarray, cols: np.ndarray) -> tuple[float, float]:
    """The line (slope, offset) along the fullest level of the points (`rows`, `cols`): of the slopes within
    `RULED_SLOPE`, the one whose fullest level (three rows, for the blur) holds the most of them.

    A ruled table's rows, blurred onto the rules above and below them, are
    one run with all its rules: a line fitted to the thin strokes of all of
    them runs between two, through none, and the letters at one end (a
    candidate's name under the last row, left) tilt it across them. The
    fullest level is one rule, and the fit starts there.
    """
    slopes = np.linspace(-RULED_SLOPE, RULED_SLOPE, 2 * round(RULED_SLOPE / RULED_SLOPE_STEP) + 1)
    step = math.ceil(len(rows) / RULED_POINTS)  # a sample is as good a count, at a fraction of the cost
    rows, cols = rows[::step], cols[::step]
    middle = float(cols.mean())
    levels = np.round(rows[None, :] - slopes[:, None] * (cols[None, :] - middle)).astype(np.int64)
    lowest = int(levels.min())
    height = int(levels.max()) - lowest + 1
    index = levels - lowest + height * np.arange(len(slopes))[:, None]
    counts = np.bincount(index.ravel(), minlength=height * len(slopes)).reshape(len(slopes), height)
    blurred = counts[:, :-2] + counts[:, 1:-1] + counts[:, 2:] if height > 2 else counts
    best, level = np.unravel_index(int(np.argmax(blurred)), blurred.shape)
    slope = float(slopes[best])
    return slope, lowest + int(level) + (1 if height > 2 else 0) - slope * middle


def _crease_line(
    rows: np.ndarray, cols: np.ndarray, use: np.ndarray, width: int, text_height: float, *, sides: int = 0
) -> tuple[float, float, float] | None:
    """The crease's line through a run's ink (`rows`, `cols`; `width` columns), fitted first to the pixels `use`
    marks, as (slope, offset, reach), or None when there is none (`_crease`). `sides` 1 or 2: a ruled table's
    rule, letters `CREASE_APART` past it on one side at least or on both, not a crease through one line's
    letters (0)."""
    band = CREASE_WIDTH * text_height
    near = use
    slope = offset = 0.0
    for _ in range(3):
        if np.count_nonzero(near) < 2:
            return None
        slope, offset = _line_through(cols[near], rows[near])
        near = use & (np.abs(rows - (slope * cols + offset)) <= band)
    near = np.abs(rows - (slope * cols + offset)) <= band
    counts = np.bincount(cols[near], minlength=width)
    covered = counts > 0
    if (near.all() and not sides) or covered.mean() < CREASE_COVER:
        return None
    half = float(np.median(counts[covered])) / 2
    if 2 * half > CREASE_WIDTH * text_height:
        return None
    # fitted once more to the crease's own thickness: letters the line grazes pulled it off the crease
    on = np.abs(rows - (slope * cols + offset)) <= half + 2
    slope, offset = _line_through(cols[on], rows[on])
    distance = rows - (slope * cols + offset)
    apart = half + CREASE_APART * text_height
    if sides and sorted((np.count_nonzero(distance < -apart), np.count_nonzero(distance > apart)))[2 - sides] < (
        CREASE_OTHER * text_height**2
    ):
        return None  # a rule with letters on one side at most: a leader's or a rule's own run (`_leaders`)
    if (
        np.count_nonzero(np.bincount(cols[np.abs(distance) <= max(1.5, CREASE_LINE * text_height)], minlength=width))
        < CREASE_COVER * width
    ):
        return None  # no line runs unbroken through the run: letters set close, their middles at one height
    return slope, offset, half + RULE_BLUR


def _uncreased(
    mask: np.ndarray, creases: list[_Crease], text_height: float, top: int = 0, *, ruled: bool = False
) -> np.ndarray:
    """`mask` (the frame's rows from `top` on) with `creases` erased between the letters.

    A crease is erased only in the columns where no ink touches it from
    above or below (the band erased, `_Crease.reach`, and a pixel more):
    between letters and words, which is what it joined. Erased through the
    letters too, it took the feet off every letter it ran along: dots
    leading from names to figures, blurred into a line along the letters'
    feet, passed for a crease, and the figures' boxes came out 11 pixels
    tall for 20 (two Chromium-laid photos: 13 of 41 figures read). Before,
    the strokes a crease cut were closed again across it, but not a foot
    it ran along. A crease through a short key's letters still joins them,
    as the letters' own gaps do.

    A crease between two lines (a ruled table's rule, its row's letters
    above and the next row's below: the ink it touches reaches
    `CREASE_ROWS` text heights from it on both sides in most columns) is
    erased along its whole length: kept where letters touch it, it joined
    each letter of one row to the one under it. `ruled`: `_between_lines`'s.
    """
    erased = mask.copy()
    span = math.ceil(CREASE_ROWS * text_height)
    for crease in creases:
        reach = math.ceil(crease.reach)
        ends = [(column, round(crease.slope * column + crease.offset) - top) for column in (crease.left, crease.right)]
        # the window around the crease: its band and the rows a line's letters span either side
        low = max(min(row for _, row in ends) - reach - span, 0)
        high = min(max(row for _, row in ends) + reach + span + 1, mask.shape[0])
        left, right = max(crease.left - reach - 1, 0), min(crease.right + reach + 1, mask.shape[1])
        if low >= high or left >= right:
            continue
        window = mask[low:high, left:right]
        line = np.zeros_like(window)
        start, end = ((column - left, row - low) for column, row in ends)
        cv2.line(line, start, end, 255, thickness=2 * reach + 1)
        near = cv2.dilate(line, np.ones((2 * reach + 3, 1), np.uint8))
        off = (window > 0) & (line == 0)
        touching = off & (near > 0)
        if not _between_lines(off, touching, crease, (low + top, left), text_height, ruled=ruled):
            line[:, touching.any(axis=0)] = 0  # letters touch it there
        erased[low:high, left:right] &= ~line
    return erased


def _between_lines(
    off: np.ndarray,
    touching: np.ndarray,
    crease: _Crease,
    corner: tuple[int, int],
    text_height: float,
    *,
    ruled: bool = False,
) -> bool:
    """Whether a crease lies between two lines: ink touches it from both sides (`touching`, of the ink `off` it
    in the window from frame row and column `corner`) in `CREASE_BOTH` of the columns ink touches it in, and in
    most of those reaches `CREASE_ROWS` text heights from it on both sides. A letter it crosses reaches about
    half as far either side; a leader along a row's feet is touched from above, and seldom from below.

    `ruled` (`frame_in`'s): in `RULED_BOTH` of the columns the side touched less touches it in. A row's key and
    party touch the rule under them along a few letters, the candidate's name under that rule along many more:
    on a Chromium-laid hard photo ruled under each row, the 7 rules between a row and a name were touched from
    both sides in 12 to 29 % of the columns ink touches them in, and in 54 to 84 % of those the side touched
    less touches them in (34 rules between two lines: 54 to 95 %; a dashed rule under the header, 16 %)."""
    row, column = corner
    distance = np.arange(row, row + off.shape[0])[:, None] - (
        crease.slope * (column + np.arange(off.shape[1])) + crease.offset
    )
    above_it, below_it = np.any(touching & (distance < 0), axis=0), np.any(touching & (distance > 0), axis=0)
    both = above_it & below_it
    # a ruled table's row touches its rule along its own length, which the line under it (a name) may pass
    touched = (
        min(np.count_nonzero(above_it), np.count_nonzero(below_it)) if ruled else np.count_nonzero(touching.any(axis=0))
    )
    if not both.any() or np.count_nonzero(both) < (RULED_BOTH if ruled else CREASE_BOTH) * touched:
        return False
    above = np.where(off[:, both] & (distance[:, both] < 0), -distance[:, both], 0.0).max(axis=0)
    below = np.where(off[:, both] & (distance[:, both] > 0), distance[:, both], 0.0).max(axis=0)
    return bool(min(np.median(above), np.median(below)) >= CREASE_ROWS * text_height)


def _erased(
    image: np.ndarray, rules: list[_Rule], leaders: list[_Leader], text_height: float, value: int
) -> np.ndarray:
    """`image` with `rules` and `leaders` painted over in `value` (`image` itself when there are none)."""
    if not rules and not leaders:
        return image
    erased = image.copy()
    for rule in rules:
        ends = [(round(rule.slope * row + rule.offset), round(row)) for row in rule.rows(text_height)]
        cv2.line(erased, ends[0], ends[1], value, thickness=2 * math.ceil(rule.reach) + 1)
    for leader in leaders:
        erased[leader.y0 : leader.y1, leader.x0 : leader.x1][leader.cover] = value
    return erased


class _Runs(NamedTuple):
    """What one pass over a mask finds (`_joined_words`)."""

    words: list[Word]
    rules: list[_Rule]
    """The rules in the runs as tall as one (`_rules`)."""
    joined: bool
    """Whether any of those runs joined a rule to other ink."""
    creases: list[_Crease]
    """The creases in the long runs (`_crease`)."""
    leaders: list[_Leader]
    """The leaders in the long runs (`_leaders`)."""


def _joined_words(
    mask: np.ndarray, text_height: float, *, near: np.ndarray | None = None, seams: bool = True, ruled: bool = False
) -> _Runs:
    """`_words` in one pass, with what else the runs hold.

    `near` (boxes, as `_meets` takes them): only the runs whose boxes meet one, and of their words only those
    whose boxes do (`_found_again`). `seams`: a run two lines thick is cut at its seam (`_seam`); not
    again within the parts of one so cut (where the seam runs steeply, the closing that joins letters along
    a row can join the parts again across it)."""
    width = _join_width(text_height)
    joined = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (width, 1)))
    count, labels, stats, centroids = _components(joined)
    rows, columns = mask.shape
    words = []
    rules: list[_Rule] = []
    creases: list[_Crease] = []
    leaders: list[_Leader] = []
    joined_to_rule = False
    runs: list[int] = list(range(1, count))
    if near is not None:
        left, top, wide, high = (stats[1:, k] for k in range(4))
        runs = (1 + np.flatnonzero(_meets(near, left, top, left + wide, top + high))).tolist()
    for i in runs:
        x, y, w, h, area = (int(v) for v in stats[i])
        start = x  # the run's first column, where its word's may begin further right (`_pieces`)
        if h < MIN_WORD_HEIGHT * text_height or area < 0.05 * text_height**2:
            continue
        if w < 0.2 * text_height and (x == 0 or y == 0 or x + w == columns or y + h == rows):
            continue  # a sliver at the frame's border is a page's edge, narrower than any letter: it would start a line
        slope: float | None = None
        pieces: tuple[tuple[float, float], ...] = ()
        own = labels[y : y + h, x : x + w] == i if w > 1.5 * min(h, text_height) else None
        if own is not None and w > 1.5 * h:  # long enough for its own direction to mean something
            moments = cv2.moments(own.astype(np.uint8), binaryImage=True)
            slope = math.tan(0.5 * math.atan2(2 * moments["mu11"], moments["mu20"] - moments["mu02"]))
        # the run's own ink, for what long runs are searched for (a crease is longer than a key)
        inked = own & (mask[y : y + h, x : x + w] > 0) if own is not None and w > 1.5 * text_height else None
        led = _leaders(inked, x, y, text_height) if inked is not None and w >= LEADER_LENGTH * text_height else []
        leaders += led
        # dots along the letters' feet, blurred into a line but for gaps, are a leader, not a crease through them
        if inked is not None and w >= CREASE_LENGTH * text_height and not any(leader.dotted for leader in led):
            crease = _crease(inked, x, y, text_height, ruled=ruled)
            creases += [crease] if crease is not None else []
        if inked is not None:  # wider than a key: maybe one joined to a name
            spans = _pieces(inked, x, text_height)
            # no gap a space wide: a narrow font's spaces are narrower (the word's box stays the wider closing's)
            cut = spans if len(spans) > 1 else _narrow_pieces(inked, x, text_height)
            pieces = cut if len(cut) > 1 else ()
            if spans:  # the closing can bridge a word to a speck it leaves out: the box is the word's own ink's
                x, w = int(spans[0][0]), int(spans[-1][1] - spans[0][0])
        found: list[_Rule] = []
        if h > RULE_HEIGHTS * text_height:  # as tall as a rule: one may be in it, even joining two lines
            ink = (labels[y : y + h, x : x + w] == i) & (mask[y : y + h, x : x + w] > 0)
            found = _rules(ink, x, y, text_height)
            joined_to_rule |= bool(found) and int(np.count_nonzero(ink)) > sum(rule.pixels for rule in found)
            rules += found
        # a slanted word's box is taller than its letters by the rise along it
        thickness = h - abs(slope or 0.0) * w
        two = seams and not found and SEAM_FROM * text_height < thickness <= SEAM_HEIGHTS * text_height
        parted = _seam(inked, slope, text_height) if two and inked is not None and slope is not None else None
        if parted is not None:  # two lines that touch (an accent on the line below, a tail of the line above)
            parts = [word.moved(y, start) for word in _joined_words(parted, text_height, seams=False).words]
            words += [word for word in parts if near is None or _meets(near, word.x0, word.y0, word.x1, word.y1)]
            continue
        if thickness > RULE_HEIGHTS * text_height:
            continue
        if near is None or bool(_meets(near, x, y, x + w, y + h)):
            words.append(Word(x, y, x + w, y + h, float(centroids[i][1]), slope, pieces))
    return _Runs(words, rules, joined_to_rule, creases, leaders)


def _seam(ink: np.ndarray, slope: float, text_height: float) -> np.ndarray | None:
    """A run's ink (`ink`, as a mask) cut in two along its seam, or None when it has none: the run is two lines
    of letters that touch.

    A photo of a sheet set with little room between its lines blurs an
    accent (the É of a name) or a tail (a Q's, a J's) into the line above
    or below, and the two lines' run was taken for one word, or, too tall
    for one, lost with both lines (a row, and with it its table:
    Chromium-laid hard photos set at 1.05 times the font's size). The seam
    is the level (along the run's own slope) with the least ink, at least
    `SEAM_PART` text heights from the run's top and bottom, holding at most
    `SEAM_INK` of the ink of the fullest level on either side of it: the
    two lines' letters touch there, blurred, but fill less of it than of
    their own middles (a blot or a stamp fullest in its middle has no
    seam). Three levels are cut there (8-connected ink steps at most one
    level and a slope's fraction of another from column to column: none
    crosses three).

    The run's own slope (its moments') is its lines' only when they span
    the same columns: a short line over a long one's end ("38 CONDE" over
    "BENJAMIN RAUSSEO", set at one font size a line) tilts the run's axis
    away from theirs, and on a photo in perspective, its lines 4 degrees
    off the frame's, the run's slope was level, its levels crossed both
    lines, and no seam was found: both lines were lost, with the row and
    the table (Chromium-laid photos set so, 3 of 16). Where the run's own
    slope finds none, the deepest seam along the slopes within
    `SEAM_SLOPE` is cut (`SEAM_SLOPE_STEP` apart), held to a deeper valley
    (`SEAM_SEARCHED_INK`): of so many slopes, one finds a waist in a line
    of tall glyphs (a title's "ACT", figures "69"), and cut there at the
    own slope's 50%, a ruled hard photo was read with 7 figures wrong
    (left for a person; none before). A line of letters must lie on each
    side too (`SEAM_LETTERS`): a rule under a row's letters is a crease's
    or a leader's business (`_crease`, `_leaders`), not a line's.
    """
    rows, cols = np.nonzero(ink)
    if len(rows) == 0:
        return None
    found = _valley(rows, cols, slope, ink.shape[1], text_height)
    if found is None:
        others = np.arange(-SEAM_SLOPE, SEAM_SLOPE + SEAM_SLOPE_STEP / 2, SEAM_SLOPE_STEP)
        valleys = [_valley(rows, cols, float(other), ink.shape[1], text_height, searched=True) for other in others]
        found = min((valley for valley in valleys if valley is not None), key=lambda valley: valley[0], default=None)
    if found is None:
        return None
    _, index, seam = found
    cut = np.abs(index - seam) <= 1
    parted = ink.astype(np.uint8) * 255
    parted[rows[cut], cols[cut]] = 0
    return parted


def _valley(
    rows: np.ndarray, cols: np.ndarray, slope: float, width: int, text_height: float, *, searched: bool = False
) -> tuple[float, np.ndarray, int] | None:
    """The seam of a run's ink (its pixels `rows`, `cols`; `width` columns) along `slope` (`_seam`): its ink's
    share of the fuller side's fullest level's, each pixel's level, and the seam's level; None when the least
    level is no seam."""
    levels = rows - slope * (cols - width / 2)
    index = np.round(levels - levels.min()).astype(np.int64)
    profile = np.bincount(index)
    part = math.ceil(SEAM_PART * text_height)
    if len(profile) <= 2 * part:
        return None
    seam = part + int(np.argmin(profile[part : len(profile) - part]))
    share = float(profile[seam]) / min(profile[:seam].max(), profile[seam:].max())
    if share > (SEAM_SEARCHED_INK if searched else SEAM_INK):
        return None  # no valley between two lines
    if searched and not all(_letters(rows[side], cols[side], text_height) for side in (index < seam, index > seam)):
        return None  # a rule on one side, not a line of letters
    return share, index, seam


def _letters(rows: np.ndarray, cols: np.ndarray, text_height: float) -> bool:
    """Whether ink (its pixels `rows`, `cols`) is a line of letters, not a rule: its median column's ink spans
    `SEAM_LETTERS` text heights or more (a column crosses a letter's height, or its bars; a rule's thickness)."""
    if len(rows) == 0:
        return False
    mask = np.zeros((int(rows.max()) + 1, int(cols.max()) + 1), dtype=bool)
    mask[rows, cols] = True
    spans = _column_spans(mask)
    return bool(np.median(spans[spans > 0]) >= SEAM_LETTERS * text_height)


def _column_spans(mask: np.ndarray) -> np.ndarray:
    """Each column's ink span in `mask`: the rows from its first inked one to its last (0 where it holds none)."""
    spans = mask.shape[0] - np.argmax(mask[::-1], axis=0) - np.argmax(mask, axis=0)
    return np.where(mask.any(axis=0), spans, 0)


def _leaders(inked: np.ndarray, x: int, y: int, text_height: float) -> list[_Leader]:
    """The leaders in a long run's ink (`inked` begins at column `x`, row `y`).

    A dotted, dashed or ruled leader from a party's name to its figure is
    thin and straight; letters are a text height tall in most of their
    columns, and the thin parts of a word (a T's bar, a hyphen and the gaps
    beside it) span less than a text height. The closing that joins letters
    joins the dots too, and the name, its leader and its figure were one
    word: no row of a sheet printed so was found (12 Chromium-laid photos).
    A leader joins words (the closing joins it to the name and the figure),
    or, dotted, a word to nothing or nothing to a word (dots that stop
    short of the name or the figure); a solid line from a word to nothing
    (a signature's, or dots blurred into one that stop short of a figure)
    is erased from the image only (`_Leader.joins`): erased from the ink,
    a signature's line took its long slanted words from the slope field
    the lines are followed along, and moved a photo's figures a row. A
    stretch with no letter beyond either end (`LEADER_GLYPH`: a rule, or a
    dashed rule whose "=" marks are thick but not tall) is none. The thin
    columns of the glyphs either side (a 1's flag, a 7's bar) lie off the
    leader's line and bound it. What is erased is the leader's own blobs
    (`_Leader.cover`), not its box: a glyph's thin edge lies on the line
    too, and a box cut it off ("16" read for 18).
    """
    width = inked.shape[1]
    thin = np.concatenate([[False], np.count_nonzero(inked, axis=0) <= LEADER_THICK * text_height, [False]])
    edges = np.flatnonzero(np.diff(thin.astype(np.int8)))
    if len(edges) == 0:
        return []
    # a letter's column: ink over LEADER_GLYPH text heights (a dashed rule's "=" is thick, not tall)
    tall = _column_spans(inked) >= LEADER_GLYPH * text_height
    found = []
    for start, end in zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True):
        # what lies beyond each end of the stretch: a letter (True), other ink (False), the run's end (None)
        sides = (bool(tall[:start].any()) if start > 0 else None, bool(tall[end:].any()) if end < width else None)
        if end - start < LEADER_LENGTH * text_height or sides == (None, None) or False in sides:
            continue  # no leader from a letter or to one: a rule, a dashed rule's marks
        rows, cols = np.nonzero(inked[:, start:end])
        on = np.ones(len(rows), dtype=bool)
        for _ in range(3):  # fitted to the ink on the line: the glyphs' thin parts at its ends pull it off
            if np.count_nonzero(on) < 2:
                break
            slope, offset = _line_through(cols[on], rows[on])
            on = np.abs(rows - (slope * cols + offset)) <= LEADER_THICK * text_height / 2
        off = np.zeros(end - start + 2, dtype=bool)
        off[[0, -1]] = True
        off[cols[~on] + 1] = True
        for low, high, fill in _leader_spans(off, cols[on], LEADER_LENGTH * text_height):
            ends = (start + low > 0, start + high < width)  # glyphs beyond, not the run's own ends
            leader = _Leader.of(inked[:, start + low : start + high], x + start + low, y, text_height, ends)
            if leader is not None:
                dotted = fill < LEADER_DOTTED
                found.append(leader._replace(dotted=dotted, joins=dotted or all(ends)))
    return found


def _leader_spans(off: np.ndarray, on: np.ndarray, length: float) -> list[tuple[int, int, float]]:
    """The stretches between the columns `off` marks (ink off the line; one column of padding each side) whose
    inked columns (`on`, the line's ink's columns) span `length` or more and fill `LEADER_INK` of that span: each
    as its columns free of ink off the line (first, last + 1) and the share of its inked span they fill."""
    bounds = np.flatnonzero(off) - 1  # `off` is padded by one column
    spans = []
    for left, right in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        inside = np.unique(on[(on > left) & (on < right)])
        if len(inside) == 0 or inside[-1] - inside[0] + 1 < length:
            continue
        fill = len(inside) / (inside[-1] - inside[0] + 1)
        if fill >= LEADER_INK:
            spans.append((left + 1, right, float(fill)))
    return spans


class _Leader(NamedTuple):
    """A leader on a frame: the box of what is erased of it (x0, y0, x1, y1; right and bottom edges excluded)."""

    x0: int
    y0: int
    x1: int
    y1: int
    cover: np.ndarray
    """The box's pixels to erase: its blobs, `RULE_BLUR` pixels wider, but never within a pixel of other ink."""
    dotted: bool = False
    """Whether gaps break it (`LEADER_DOTTED`): dots, even blurred, not a line."""
    joins: bool = True
    """Whether it is erased from the ink the words are found in too, not only from the image (`_leaders`)."""

    @classmethod
    def of(cls, ink: np.ndarray, x: int, y: int, text_height: float, bounded: tuple[bool, bool]) -> _Leader | None:
        """The leader on a stretch of a run's ink (`ink`, from column `x`, row `y`; every column thin, every
        pixel on the leader's line): its ink but for `LEADER_END` text heights at either end `bounded` by a
        glyph (left, right), and for the short blobs that reach into those ends, where the glyph's thin edge may
        lie on the line too (a 1's foot); None when it does not reach `LEADER_LENGTH` text heights."""
        end = math.ceil(LEADER_END * text_height)
        low, high = (end if bounded[0] else 0), ink.shape[1] - (end if bounded[1] else 0)
        _, labels, stats, _ = _components(ink.astype(np.uint8))
        left, wide = stats[1:, cv2.CC_STAT_LEFT], stats[1:, cv2.CC_STAT_WIDTH]
        edges = (wide <= 2 * end) & ((left < low) | (left + wide > high))  # a foot: kept whole
        dots = ink & ~np.isin(labels, 1 + np.flatnonzero(edges))
        dots[:, :low] = dots[:, high:] = False
        columns = np.flatnonzero(dots.any(axis=0))
        if len(columns) == 0 or columns[-1] - columns[0] < LEADER_LENGTH * text_height:
            return None
        blur = math.ceil(RULE_BLUR)
        grown = cv2.dilate(dots.astype(np.uint8), np.ones((2 * blur + 1, 2 * blur + 1), np.uint8)) > 0
        rest = cv2.dilate((ink & ~dots).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
        cover = grown & ~rest
        if not cover.any():
            return None
        rows = np.flatnonzero(cover.any(axis=1))
        columns = np.flatnonzero(cover.any(axis=0))
        box = (x + int(columns[0]), y + int(rows[0]), x + int(columns[-1]) + 1, y + int(rows[-1]) + 1)
        return cls(*box, cover[rows[0] : rows[-1] + 1, columns[0] : columns[-1] + 1])

    def box(self, reach: float) -> tuple[float, float, float, float]:
        """Its box, `reach` pixels wider all round."""
        return self.x0 - reach, self.y0 - reach, self.x1 + reach, self.y1 + reach

    def moved(self, dy: int) -> _Leader:
        """The leader `dy` rows down."""
        return self._replace(y0=self.y0 + dy, y1=self.y1 + dy)


def _rules(ink: np.ndarray, x: int, y: int, text_height: float) -> list[_Rule]:
    """The rules among the strokes of a run too tall to be a word (`ink` begins at column `x`, row `y`).

    A rule is a stroke `RULE_HEIGHTS` text heights tall or more, less than
    half as wide, at most `RULE_WIDTH` thick, and straight: nine in ten of
    its pixels within its own half-thickness and `RULE_WIDTH` / 2 text
    heights (2 pixels at least) of its line. The paper's edge measured 2.2
    to 8 text heights between breaks, 0.1 to 0.3 thick; the straightest
    strokes of the signatures on simulated photos were 2.3 tall and 0.45 to
    0.75 thick (when they passed for rules, 4 frames of 6 split their words
    twice).
    """
    count, labels, stats, _ = _components(ink.astype(np.uint8))
    found = []
    for i in range(1, count):
        left, top, w, h, _ = (int(v) for v in stats[i])
        if h <= RULE_HEIGHTS * text_height or w >= 0.5 * h:
            continue
        rows, cols = np.nonzero(labels[top : top + h, left : left + w] == i)
        # half its thickness, its rows' median: a rule of the sheet crossing it adds to a few rows only
        half = float(np.median(np.bincount(rows))) / 2
        if 2 * half > RULE_WIDTH * text_height:
            continue
        slope, offset = _line_through(rows, cols)
        if np.percentile(np.abs(cols - (slope * rows + offset)), 90) <= half + max(2.0, RULE_WIDTH * text_height / 2):
            shift = x + left - slope * (y + top)  # the line in the mask's own columns and rows
            found.append(_Rule(slope, offset + shift, y + top, y + top + h, half + RULE_BLUR, len(rows)))
    return found


def _line_through(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """The least-squares line y = slope * x + offset through points (x, y); level through their mean when their
    x are all one.

    What ``np.polyfit(x, y, 1)`` gives (to rounding), from the points' means:
    polyfit solves the general problem by a singular value decomposition,
    and a crease's run holds some 20,000 points (0.9 ms against 0.05).
    """
    x_mean, y_mean = float(x.mean()), float(y.mean())
    dx = x - x_mean
    # sums of products, not dot products: OpenBLAS threads a long one and its idle threads spin on the CPU
    spread = float((dx * dx).sum())
    slope = float((dx * (y - y_mean)).sum()) / spread if spread > 0 else 0.0
    return slope, y_mean - slope * x_mean


class _Rule(NamedTuple):
    """A rule on a frame: the line column = slope * row + offset from row `top` to `bottom`; `reach`: the pixels
    to erase either side of that line."""

    slope: float
    offset: float
    top: int
    bottom: int
    reach: float
    pixels: int
    """Its ink's pixels."""

    def box(self, text_height: float, reach: float) -> tuple[float, float, float, float]:
        """The box (x0, y0, x1, y1) of the band it is erased over (`_erased`), `reach` pixels wider all round."""
        top, bottom = self.rows(text_height)
        columns = (self.slope * top + self.offset, self.slope * bottom + self.offset)
        half = self.reach + 1 + reach  # OpenCV draws a line of thickness 2k + 1 up to a pixel wider
        return min(columns) - half, top - half, max(columns) + half + 1, bottom + half + 1

    def moved(self, dy: int) -> _Rule:
        """The rule `dy` rows down."""
        return self._replace(offset=self.offset - self.slope * dy, top=self.top + dy, bottom=self.bottom + dy)

    def rows(self, text_height: float) -> tuple[float, float]:
        """The rows it is erased over: `RULE_PAST` text heights past its ends, where the photo broke it into bits
        too short to be rules themselves."""
        return self.top - RULE_PAST * text_height, self.bottom + RULE_PAST * text_height

    def crosses(self, word: Word, text_height: float) -> bool:
        """Whether erasing it erases some of `word`'s box."""
        top, bottom = self.rows(text_height)
        low, high = max(word.y0, top), min(word.y1, bottom)
        if low > high:
            return False
        columns = (self.slope * low + self.offset, self.slope * high + self.offset)
        return min(columns) - self.reach <= word.x1 and word.x0 <= max(columns) + self.reach


def _narrow_pieces(ink: np.ndarray, x: int, text_height: float) -> tuple[tuple[float, float], ...]:
    """The word as two pieces, its first and the rest, where joined across `NARROW_JOIN` its first gap is
    `NARROW_SPACE` times as wide as any other (a narrow font's key, a space before its name); else whole.

    Only a key's split matters here: every other gap the narrower closing
    opens may be a letter's (see `NARROW_SPACE`).
    """
    spans = _pieces(ink, x, text_height, NARROW_JOIN)
    gaps = [after[0] - before[1] for before, after in itertools.pairwise(spans)]
    if gaps and gaps[0] >= NARROW_SPACE * max(gaps[1:], default=0.0):
        return (spans[0], (spans[1][0], spans[-1][1]))
    return ((spans[0][0], spans[-1][1]),) if spans else ()


def _pieces(ink: np.ndarray, x: int, text_height: float, join: float = PIECE_JOIN) -> tuple[tuple[float, float], ...]:
    """The column spans of a word's parts (its ink joined across `join` text heights); `ink` begins at column `x`.

    Parts whose columns overlap (a slanted letter over its neighbour, an
    accent over its letter) are one. One span when the word is one part.
    """
    width = max(2, int(round(join * text_height)))
    joined = cv2.morphologyEx(
        ink.astype(np.uint8), cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (width, 1))
    )
    count, _, stats, _ = _components(joined)
    spans: list[list[float]] = []
    for left, _, span, _, _ in sorted(stats[1:].tolist()):
        if spans and left < spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], left + span)
        else:
            spans.append([left, left + span])
    return tuple((float(x + a), float(x + b)) for a, b in spans)


def _chains(words: list[Word], text_height: float, field: SlopeField) -> list[list[int]]:
    """Indices of `words` grouped into lines, each followed to the right along the page's slope field.

    From each word, the next one on its line is the nearest to the right
    whose centre lies where the slope field predicts, within a quarter of
    their mean height plus a hundredth of the distance (the field is a fit,
    and a table row crosses a wide blank between its party and its figure).
    Each word is the end of a chain once, and its candidates are tested all
    at once (`_Boxes.fit`): testing them one by one in Python was most of
    the cost of finding the lines.
    """
    boxes = _Boxes.of(words, field, text_height)
    order = np.argsort(boxes.x0, kind="stable")
    starts = boxes.x0[order]
    used = np.zeros(len(words), dtype=bool)
    chains = []
    for start in order.tolist():
        if used[start]:
            continue
        chain, used[start] = [start], True
        while True:
            last = chain[-1]
            low = int(np.searchsorted(starts, boxes.x1[last] - 0.3 * text_height))
            # letters nearer the camera are larger
            reach = MAX_GAP_HEIGHTS * max(text_height, float(boxes.height[last]))
            high = int(np.searchsorted(starts, boxes.x1[last] + reach, side="right"))
            window = order[low:high]
            fitting = np.flatnonzero(~used[window] & boxes.fit(last, window, field))
            if len(fitting) == 0:
                break  # `order` is by x: the first that fits is the nearest
            following = int(window[fitting[0]])
            if len(chain) == 1:
                between = boxes.unused_after(window[: fitting[0]], last, used)
                if boxes.fit(between, following, field).any():
                    break  # a word between leads to the next one too: a lone `last` is a speck beside a line, not on it
            chain.append(following)
            used[following] = True
        chains.append(chain)
    return chains


@dataclass(frozen=True)
class _Boxes:
    """The words' boxes as arrays (one entry per word), to test many pairs of words at once."""

    x0: np.ndarray
    x1: np.ndarray
    cx: np.ndarray
    cy: np.ndarray
    height: np.ndarray

    @classmethod
    def of(cls, words: list[Word], field: SlopeField, text_height: float) -> _Boxes:
        """The words' boxes, each with its height across the line (its box's, less the rise along it).

        Perspective leaves lines slanted in the frame (a quarter of a row's
        height per column on hard photos), and a long word's box is then
        taller than its letters by the rise along it: three text heights for
        a name, enough that a figure a row away passed as on its line.
        """
        table = np.array([(w.x0, w.y0, w.x1, w.y1, w.cy) for w in words], dtype=np.float64).reshape(-1, 5)
        x0, y0, x1, y1, cy = table.T
        cx = (x0 + x1) / 2
        across = (y1 - y0) - np.abs(field.at(cx, cy)) * (x1 - x0)
        return cls(x0, x1, cx, cy, np.maximum(across, MIN_WORD_HEIGHT * text_height))

    def unused_after(self, between: np.ndarray, word: int, used: np.ndarray) -> np.ndarray:
        """Those of the words `between` that are not `used` and begin right of `word`'s start."""
        return np.asarray(between[~used[between] & (self.x0[between] > self.x0[word])])

    def fit(self, word: np.ndarray | int, following: np.ndarray | int, field: SlopeField) -> np.ndarray:
        """Whether each of `following` lies where the slope field predicts, from `word`, the next word on its line.

        `word` and `following` are indices, broadcast together (one of them a
        single word). The arithmetic is done in the order `Word`'s properties
        would do it, so that the test is exactly the one of one pair.
        """
        cx, cy = self.cx[word], self.cy[word]
        distance = self.cx[following] - cx
        predicted = cy + field.at(cx + distance / 2, cy) * distance
        limit = 0.25 * (self.height[following] + self.height[word]) + 0.01 * np.abs(distance)
        return np.asarray(np.abs(self.cy[following] - predicted) < limit)


@dataclass(frozen=True)
class SlopeField:
    """The slope of the text lines at any point of the frame: s0 + sx * x + sy * y.

    A sheet photographed in perspective has lines that converge, so their
    slope changes across the page, to first order linearly; the field is
    fitted to slopes measured at points of the frame, with outliers dropped.
    """

    s0: float
    sx: float
    sy: float

    def at(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The slope at points (x, y), arrays broadcast together."""
        return np.asarray(self.s0 + self.sx * x + self.sy * y)

    @classmethod
    def of_words(cls, words: list[Word], text_height: float) -> SlopeField:
        """The field of the long words' own slopes (three letters' height or more: short ones measure it badly)."""
        long = [w for w in words if w.slope is not None and w.width > 3 * text_height]
        if len(long) < FIELD_SAMPLES:
            return cls(float(np.median([w.slope for w in long])) if long else 0.0, 0.0, 0.0)
        return cls.fit(np.array([[w.cx, w.cy, w.slope] for w in long], dtype=np.float64))

    @classmethod
    def of_chains(cls, words: list[Word], chains: list[list[int]], text_height: float) -> SlopeField | None:
        """The field of the chords of the chained lines that span `CHORD_HEIGHTS` or more (None: too few).

        A chord's slope is the field's at its midpoint (exactly so for a
        field linear in x and y, to first order otherwise).
        """
        samples = []
        for chain in chains:
            first, last = words[chain[0]], words[chain[-1]]
            span = last.cx - first.cx
            if span > CHORD_HEIGHTS * text_height:
                samples.append([(first.cx + last.cx) / 2, (first.cy + last.cy) / 2, (last.cy - first.cy) / span])
        return cls.fit(np.array(samples)) if len(samples) >= FIELD_SAMPLES else None

    @classmethod
    def fit(cls, samples: np.ndarray) -> SlopeField:
        """The field through (x, y, slope) samples by least squares, refitted once without the outliers."""
        design = np.column_stack([np.ones(len(samples)), samples[:, 0], samples[:, 1]])
        slopes = samples[:, 2]
        keep = np.ones(len(samples), dtype=bool)
        for _ in range(2):
            coefficients, *_ = np.linalg.lstsq(design[keep], slopes[keep], rcond=None)
            residuals = np.abs(design @ coefficients - slopes)
            keep = residuals <= max(3 * float(np.median(residuals[keep])), 0.005)
        s0, sx, sy = (float(c) for c in coefficients)
        return cls(s0, sx, sy)
