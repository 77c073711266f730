"""The sheet's own digits, learned from its table's keys: a second reading of every figure.

Every digit one printer head printed on one sheet looks the same, and the
photo blurred, faded and shrank all of them alike. A layout whose table rows
begin with known keys (the card numbers 01 to 38) gives labelled samples of
every digit in the sheet's own font, at its own resolution, under its own
light. Their means are templates that fit the sheet better than a general
model can: on the smallest, blurriest figures of the simulated photos they
read what PP-OCR misreads (a blurred 3 as 1), while PP-OCR reads what a
template cannot (a figure in another font). `testigo.read.printed.reading`
adds both log-likelihoods.

Templates fit only glyphs cut at their own size, and a figure's size comes
from the glyph field (`testigo.read.printed.glyphs`), measured on boxes that
blur grows. Blur does not move the pitch, though: each row's characters
repeat as far apart however blurred, so the rows' own pitch says how much
the boxes overstate the glyphs down the table (`FontModel.scale`), and
keys and figures are cut at the height it implies. A figure the templates
still fit poorly is cut again a little smaller, and the cut its best
digits fit best is scored (`FontModel._fitted`). Nor do they fit glyphs
cut at another lean, and the glyph field's lean, measured on shears that
blur flattens, can miss the figures' column on a hard photo, as its height
can: the column is cut at the lean and height its figures fit best
together (`FontModel.column`).

How a figure is scored: the figure is right-aligned, so its cells are laid
from its last ink leftwards, one pitch apart (the whole row of cells may
slide by up to a third of a cell to fit). Each cell is compared with each
template by normalised correlation r, each glyph free to sit a few pixels off
its cell (`testigo.read.printed.correlation`): what a template leaves unexplained of a
cell is E(1 - r^2), E the cell's contrast energy, and a cell the string
leaves blank leaves all of it. The keys measure what a right template leaves
unexplained (`FontModel.noise`, per pixel), so a string's log-likelihood is
-unexplained / (2 noise), scaled by `INDEPENDENT`, the share of pixels that
blur leaves independent (calibrated on simulated sheets). Scoring cell by
cell keeps a long code (nine digits) aligned where one drawn string would
drift by the error of the pitch.

Only for digits printed at a fixed pitch (a receipt printer's fonts are
fixed-pitch, and most others set their digits as tabular figures): the
pitch is measured from the rows (their ink repeats every character), must
lie between `PITCH_RANGE` text heights and leave each key its pitches and
one glyph (`KEY_GLYPH`), or no model is made. In a proportional font the
rows repeat at their letters' pitch, not their digits': where the keys'
own digits are further apart or closer than that by `PROPORTIONAL` or
more (`_key_pitch`), theirs is the sheet's. A sheet laid out by Chromium
in Liberation Sans has letters a quarter wider than its digits; cut at
the rows' pitch its figures read 13 for 131 and 105 for 195 (22 scans
and photos of 30 partial, the rest confirmed), at the keys' every one of
30 was confirmed. No simulated sheet's keys were 7 % off its rows (68
sheets of seven sets, five printers' styles among them: all fixed-pitch),
and none of 941 read otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import cache, cached_property, partial

import cv2
import numpy as np

from testigo.read.printed.cells import BAND_HEIGHTS, Upright, frame_band, paper
from testigo.read.printed.correlation import Correlator
from testigo.read.printed.glyphs import Plane
from testigo.read.printed.lines import Frame, TextLine, Word

DIGITS = "0123456789"
#: Rows of every band and template.
ROWS = 32
#: Pitch over text height of the fixed-pitch fonts considered: monospaced fonts lie near 0.8, but the heights are
#: the glyph field's, measured on word boxes that blur grows, and on small blurred print (hard photos, 12-pixel
#: letters) the pitch measured 0.53-0.58 of them, the keys two digits 1.6-1.8 pitches wide as they should be.
#: From 0.6 no model was made there, and PP-OCR alone read a DejaVu sheet's dotted zeros as 8 (20 of 41 figures).
PITCH_RANGE = (0.5, 1.1)
#: What a key's width leaves after its pitches (n - 1 for n characters), in pitches: its last glyph, which blur
#: widens (0.6-1.0 measured on hard photos); a half or a double pitch leaves about 2.6 or -0.1 (`_pitch`).
KEY_GLYPH = (0.3, 1.5)
#: The keys' own digits' pitch (`_key_pitch`) differs from the rows' by more than this share of it: the rows'
#: letters are not on the digits' pitch (a proportional font), and the digits' is the sheet's.
PROPORTIONAL = 0.1
#: Every digit needs this many samples among the keys, or no model is made.
MIN_SAMPLES = 2
#: Pixels (of a band) a drawing may be shifted to fit, each way, across and along the line.
SHIFT_Y, SHIFT_X = 3, 4
#: Share of a band's pixels that count as independent evidence (calibrated; see the module docstring).
INDEPENDENT = 0.15
#: The contrast of a printed digit relative to its template (the mean of the keys): faded or dark ink.
GAIN = (0.5, 2.0)
#: A figure whose digits fit this many times worse than the keys' is cut again at each of `SCALES` (`_fitted`).
RESCALE_MISFIT = 1.5
#: Heights a figure is cut again at, relative to the glyph field's, in the order tried: blur grows the boxes
#: heights are measured on.
SCALES = (0.95, 0.9, 0.85)
#: The walk down `SCALES` stops at a cut whose best digits fit this many times worse than the last one's.
RESCALE_RISE = 1.2
#: Another height is kept only when its best digits leave at most this share of what the field's height leaves.
RESCALE_GAIN = 0.9
#: A row's pitch is looked for between these shares of the sheet's (`_scale`).
SCALE_RANGE = (0.75, 1.25)
#: A row's ink must repeat at its pitch with at least this correlation for its pitch to count.
MIN_REPEAT = 0.2
#: Rows whose pitch is measured needed for a scale down the table; with fewer, the glyph field's heights stand.
MIN_SCALED_ROWS = 8
#: The steps by which a column of figures' lean is searched, and how far, in frame columns per row
#: (`FontModel.column`).
LEAN_STEP, LEAN_REACH = 0.1, 0.2
#: The steps by which its height is searched, and how far, as shares of the glyph field's: where the field's
#: heights are a third off (see `PITCH_RANGE`) they can be off by as much across the row, and a reach of a tenth
#: left a column of 479 read as 4739 (its figures 1.35 times as wide, in pitches, as the keys); the walk stops
#: where the fit stops improving, so a column the field fits costs no more.
SCALE_STEP, SCALE_REACH = 0.05, 0.4
#: The steps by which the blur the templates are matched at is searched, and how far (a Gaussian's sigma, in band
#: pixels: a glyph is about 24 band pixels tall).
BLUR_STEP, BLUR_REACH = 0.4, 3.0
#: A column's lean and height are measured on every this many of its figures.
COLUMN_SAMPLE = 3
#: Rows at each end of a band, and the share of its darkest ink either reaches, where past a word's box there is
#: no more paper; a blank column holds at most `EDGE_GAP` of the inkiest one's ink (`_past_the_paper`).
EDGE_ROWS, EDGE_INK, EDGE_GAP = 2, 0.15, 0.1


@dataclass(frozen=True)
class FontModel:
    """The digits of one sheet: a template per digit, the pitch, and what a right template leaves unexplained."""

    templates: dict[str, np.ndarray]
    """Each digit's mean glyph, one cell wide, `ROWS` high, ink positive."""
    pitch: float
    """Character pitch, in text heights."""
    cell: int
    """Character pitch, in band pixels (bands are `ROWS` high for `BAND_HEIGHTS` text heights)."""
    noise: float
    """What a right template leaves unexplained of a key's glyph, per pixel (leave-one-out mean)."""
    scale: Plane | None = None
    """How tall the glyphs are relative to the glyph field's height, down the table (None: as tall)."""

    def upright_at(self, line: TextLine, x: float, upright: Upright) -> Upright:
        """`upright` (the glyph field's, at column `x` of `line`) as tall as the rows' pitch says (`scale`)."""
        return _scaled(self.scale, line, x, upright)

    def column(self, frame: Frame, words: Sequence[tuple[TextLine, Word, Upright]]) -> tuple[float, float, float]:
        """How to cut and match a column of figures: the lean to add to the glyph field's, the factor of its
        height, and how much to blur the templates (`Upright.blur`), those its words' best digits fit best.

        The glyph field is measured on shears that blur flattens and on boxes
        that blur grows, over the whole sheet: on hard photos its plane missed
        the figures' column by a tenth of a column per row or more, and a
        lone zero sheared so fitted the templates as 8 or 9 by up to 30 nats
        (12 of one sheet's 41 figures read wrong; none at the lean found
        here); on another the lone zeros at the table's end, a few percent
        too small in their cells, read as 8 (9 figures; 2 at the height
        found here). The lean is searched first, at the field's height, then
        the height at that lean, then the blur at both (`_search`): a column
        farther from the lens than the keys, or less in focus, is blurrier
        than the templates its keys made, and a blurred lone zero fits an 8
        better than a sharp 0 (on 120 simulated hard photos, figures exact
        97.86 -> 98.15 %, one more sheet confirmed, none read otherwise
        elsewhere). Each is scored by the median,
        over every `COLUMN_SAMPLE`-th word, of what their best digits leave
        unexplained (`_Cells.fit`). The median over a column is what makes it
        safe: a wrong digit can fit one misshapen glyph best, not most of a
        column.
        """
        fit = cache(partial(self._column_fit, frame, words[::COLUMN_SAMPLE]))  # the searches share their points
        lean = _search(lambda more: fit(more, 1.0, 0.0), 0.0, LEAN_STEP, LEAN_REACH)
        factor = _search(lambda times: fit(lean, times, 0.0), 1.0, SCALE_STEP, SCALE_REACH)
        blur = _search(lambda sigma: fit(lean, factor, sigma) if sigma >= 0 else math.inf, 0.0, BLUR_STEP, BLUR_REACH)
        return lean, factor, blur

    def _column_fit(
        self, frame: Frame, words: Sequence[tuple[TextLine, Word, Upright]], lean: float, factor: float, blur: float
    ) -> float:
        """The median fit of `words`' best digits cut `lean` more leant and `factor` times as tall, the templates
        blurred by `blur` (inf: none cut)."""
        fits = []
        for line, word, upright in words:
            at = self.upright_at(line, word.cx, upright)
            fit = self._fit(
                frame, line, word, self._glyphs_in(word, at) + 2, Upright(at.lean + lean, factor * at.height, blur)
            )
            if math.isfinite(fit):
                fits.append(fit)
        return float(np.median(fits)) if fits else math.inf

    def digit_misfit(self, frame: Frame, line: TextLine, word: Word, upright: Upright) -> float:
        """How much worse than the keys this sheet's digits explain `word`'s glyphs (`upright` the glyph field's
        at the word): about 1 for a figure, more for a word of letters, inf for one without ink."""
        at = self.upright_at(line, word.cx, upright)
        return self._fit(frame, line, word, self._glyphs_in(word, at) + 2, at)

    def _fit(self, frame: Frame, line: TextLine, word: Word, count: int, upright: Upright) -> float:
        """What the best digits of `count` cells ending at the word, cut `upright`, leave unexplained over the
        keys' noise (`_Cells.fit`)."""
        cells = _Cells.of(self, frame, line, word, count, upright)
        return math.inf if cells is None else cells.fit(max(self.noise, 1e-6))

    def _glyphs_in(self, word: Word, upright: Upright) -> int:
        """How many characters the word's box holds at this font's pitch, its glyphs `upright`'s height."""
        return round(word.width / (self.pitch * upright.height))

    @cached_property
    def _blurred(self) -> dict[float, tuple[Correlator, np.ndarray]]:
        """`blurred`'s answers by sigma (a column's blur is asked for every figure of it)."""
        return {}

    def blurred(self, sigma: float) -> tuple[Correlator, np.ndarray]:
        """The templates blurred by `sigma` band pixels, ready to be correlated with a figure's band, and each
        one's contrast energy (sum of squares about its mean), in the order of `templates`."""
        key = round(sigma, 3)
        if key not in self._blurred:
            shown = [
                cv2.GaussianBlur(template, (0, 0), key) if key > 0 else template for template in self.templates.values()
            ]
            self._blurred[key] = (
                Correlator(np.stack(shown)),
                np.array([float(((template - template.mean()) ** 2).sum()) for template in shown]),
            )
        return self._blurred[key]

    def log_likelihoods(
        self, frame: Frame, line: TextLine, word: Word, texts: Sequence[str], *, upright: Upright
    ) -> dict[str, float]:
        """How well each digit string in `texts`, drawn in this sheet's font, explains `word`.

        `upright` is how the glyphs stand at the word. The empty string (and
        a string with a character the model has no template for) gets minus
        infinity: a figure is never blank.
        """
        longest = max((len(text) for text in texts), default=0)
        noise = max(self.noise, 1e-6)
        cells = self._fitted(frame, line, word, longest + 1, upright, noise)
        scores = dict.fromkeys(texts, -math.inf)
        if cells is None:
            return scores
        scale = INDEPENDENT / (2.0 * noise * cells.misfit(noise))
        drawable = [text for text in scores if text and all(char in self.templates for char in text)]
        scores.update(zip(drawable, (-scale * value for value in cells.unexplained(drawable)), strict=True))
        return scores

    def _fitted(
        self, frame: Frame, line: TextLine, word: Word, count: int, upright: Upright, noise: float
    ) -> _Cells | None:
        """The word's cells cut at the height its glyphs fit best: the glyph field's, unless they fit it poorly.

        The glyph field's height comes from the words' boxes, and blur grows
        a box: on the hardest simulated photos the lone zeros at the blurred
        end of a table were cut some 10 % too small, and the templates read
        them as 6, 8 or 9 by 10 to 40 nats (at 0.85 to 0.95 of that height
        they read 0). A figure whose digits fit `RESCALE_MISFIT` times worse
        than the keys' (as one key in ten does on a scan; at 1.2 a third of
        a scan's figures were cut again, for nothing) is cut again at
        `SCALES`, smaller and smaller (a larger cut fitted heavily blurred
        zeros as 8s best), and the cut whose best digits fit best, by
        `RESCALE_GAIN` at least, is kept. The walk stops where a cut fits
        `RESCALE_RISE` times worse than the one before: on scans the fit
        rises steeply below the right height (0.85 of it fitting 3 to 9
        times worse than 0.95), and stopping there cut the cuts a scan's
        sheet makes from 191 to 168 with no figure read otherwise on 200
        diagnostic photos; stopping at any rise lost a hard photo's 0, whose
        fit rose by 8 % at 0.95 and fell below the field's at 0.85. The
        choice is the figure's, made before any string is scored, so that
        every string is scored on the same cells; the cells reach a cell
        past the word's own glyphs whatever `count` is, so it does not
        depend on how many digits the strings asked have either.
        """
        upright = self.upright_at(line, word.cx, upright)
        count = max(count, self._glyphs_in(word, upright) + 1)
        cells = _Cells.of(self, frame, line, word, count, upright)
        if cells is None or (first := cells.fit(noise)) < RESCALE_MISFIT:
            return cells
        best, least, previous = cells, RESCALE_GAIN * first, first
        for scale in SCALES:
            other = _Cells.of(self, frame, line, word, count, replace(upright, height=scale * upright.height))
            if other is None:  # no ink at all: nor at any smaller height
                break
            fit = other.fit(noise)
            if fit < least:
                best, least = other, fit
            if fit >= RESCALE_RISE * previous:
                break
            previous = fit
        return best


@dataclass
class _Cells:
    """A figure's cells, right to left, at each slide of the grid: each cell's energy and fit to each digit."""

    energy: np.ndarray
    """(slides, cells) contrast energy of each cell: what a blank leaves unexplained."""
    digits: str
    """The digits of `fits`, in order."""
    fits: np.ndarray
    """(digit, slides, cells) what each digit's template leaves unexplained of each cell."""
    pixels: int
    """Pixels of one cell (`ROWS` by the cell's width)."""

    @classmethod
    def of(
        cls, model: FontModel, frame: Frame, line: TextLine, word: Word, count: int, upright: Upright
    ) -> _Cells | None:
        cell = model.cell
        pitch = model.pitch * upright.height
        left, right = _span(line, word, pitch)
        band = _band(frame, line, word.x1 - (count + 1) * pitch, right, upright, inked_from=left, inked_to=word.x1)
        profile = band.sum(axis=0)
        if profile.max() <= 0:
            return None
        last = int(np.nonzero(profile > 0.3 * profile.max())[0][-1])
        padded = _padded(band)
        anchor = last + 1 + round(0.1 * cell) - cell / 2  # centre of the last cell: glyphs sit inside their cells
        slides = np.arange(-(cell // 3), cell // 3 + 1)
        # the left edge of cell j (from the right) at each slide; cells beyond the band's left are left out
        lefts = np.rint(anchor + slides[:, None] - np.arange(count)[None, :] * cell - cell / 2).astype(np.int64)
        inside = lefts >= 0
        starts = np.clip(lefts, 0, None)
        energy = np.where(inside, _cell_energies(band, cell)[np.minimum(starts, band.shape[1] - cell)], 0.0)
        # every digit's correlation at every place, once; a cell's is the best within its shifts
        correlator, strengths = model.blurred(upright.blur)
        best = _running_max(correlator.best_over_rows(padded), 2 * SHIFT_X + 1)
        r = best[:, np.minimum(starts, best.shape[1] - 1)]
        fits = np.where(inside, _residuals(energy, strengths[:, None, None], r), 0.0)
        return cls(energy, "".join(model.templates), fits, ROWS * cell)

    def misfit(self, noise: float) -> float:
        """How much worse than the keys the sheet's digits fit this figure's glyphs (1: as well, never less).

        A figure blurred, slanted or printed unlike the keys is scored with
        its evidence divided by this: the templates still rank the digits,
        but a ranking among glyphs none of them fits is not the confident one
        the keys' noise would make it.
        """
        return max(1.0, self.fit(noise))

    def fit(self, noise: float) -> float:
        """What the best digit leaves unexplained of each inked cell, per pixel, over the keys' `noise` (1 for a
        figure without ink)."""
        best = np.minimum(self.energy, self.fits.min(axis=0))
        slide = int(np.argmin(best.sum(axis=1)))
        inked = self.energy[slide] > 0.25 * self.energy[slide].max() if self.energy[slide].max() > 0 else None
        if inked is None or not inked.any():
            return 1.0
        return float(best[slide][inked].sum()) / (int(inked.sum()) * self.pixels) / noise

    def unexplained(self, texts: Sequence[str]) -> list[float]:
        """What each text, right-aligned, leaves unexplained at its best slide: its cells by its digits, the rest blank.

        Texts of one length are scored together, cell by cell in the same
        order of operations as one at a time would be: a key's score (checked
        against some 90 rivals per row) must not depend on which others were
        asked with it.
        """
        found = dict.fromkeys(texts, math.inf)
        for length in sorted({len(text) for text in found if len(text) <= self.energy.shape[1]}):
            group = [text for text in found if len(text) == length]
            indices = np.array([[self.digits.index(char) for char in reversed(text)] for text in group])
            total = np.repeat(self.energy.sum(axis=1)[None, :], len(group), axis=0)
            for j in range(length):
                total = total - self.energy[None, :, j] + self.fits[indices[:, j], :, j]
            found.update(zip(group, total.min(axis=1).tolist(), strict=True))
        return [found[text] for text in texts]


def _search(score: Callable[[float], float], origin: float, step: float, reach: float) -> float:
    """The value within `reach` of `origin` that `score` finds least.

    `origin` stands unless one `step` either way scores less; then the
    search walks on that way while it improves, and the best step is refined
    between its neighbours by a parabola. On a sharp photo the fit falls off
    so steeply either side of the right lean that a parabola through steps a
    tenth apart misplaces it: refined without that rule, a 6 read as 8 (40
    photos).
    """
    scores = {k: score(origin + k * step) for k in (-1, 0, 1)}  # by whole steps: no float keys to miss
    best = min(scores, key=lambda k: scores[k])
    if best == 0 or not math.isfinite(scores[best]):
        return origin
    way = best
    while abs(best + way) * step <= reach + 1e-9:
        scores[best + way] = score(origin + (best + way) * step)
        if scores[best + way] >= scores[best]:
            break
        best += way
    if best + way not in scores:
        return origin + best * step
    before, at, after = scores[best - way], scores[best], scores[best + way]
    curvature = before - 2 * at + after
    shift = 0.5 * (before - after) / curvature * way if curvature > 0 else 0.0
    return origin + (best + shift) * step


def learn(frame: Frame, rows: Sequence[TextLine], keys: Sequence[str], uprights: Sequence[Upright]) -> FontModel | None:
    """The font model of a sheet from its table rows and their keys, or None when the print is not fixed-pitch.

    `uprights` are how the glyphs stand at each row's key (the glyph field's).
    """
    profiles = _profiles(frame, rows, uprights)
    repeats = _repeats(profiles)
    widths = [
        (row.words[0].width / upright.height, len(key)) for row, key, upright in zip(rows, keys, uprights, strict=True)
    ]
    pitch = _pitch(repeats, widths)
    if pitch is None:
        return None
    digits = _key_pitch(rows, keys, uprights, profiles)
    if digits is not None and abs(digits - pitch) > PROPORTIONAL * pitch and _fits_keys(digits, widths):
        pitch, repeats = digits, [None] * len(rows)  # the rows repeat at their letters' pitch, not their digits'
    cell = max(4, round(pitch * ROWS / BAND_HEIGHTS))
    scale = _scale(rows, repeats, pitch * ROWS / BAND_HEIGHTS)
    uprights = [_scaled(scale, row, row.words[0].cx, upright) for row, upright in zip(rows, uprights, strict=True)]
    samples: dict[str, list[np.ndarray]] = {d: [] for d in DIGITS}
    for row, key, upright in zip(rows, keys, uprights, strict=True):
        word = row.words[0]
        half = len(key) * pitch * upright.height
        band = _band(frame, row, word.cx - half, word.cx + half, upright)
        middle = band.shape[1] / 2
        for i, char in enumerate(key):
            if char not in samples:
                continue
            centre = middle + (i - (len(key) - 1) / 2) * cell
            x0 = int(round(centre - cell / 2))
            if 0 <= x0 and x0 + cell <= band.shape[1]:
                samples[char].append(band[:, x0 : x0 + cell])
    if any(len(found) < MIN_SAMPLES for found in samples.values()):
        return None
    aligned = {d: _aligned(found) for d, found in samples.items()}
    templates = {d: np.mean(found, axis=0).astype(np.float32) for d, found in aligned.items()}
    return FontModel(templates, pitch, cell, _noise(aligned), scale)


def _profiles(frame: Frame, rows: Sequence[TextLine], uprights: Sequence[Upright]) -> list[tuple[np.ndarray, float]]:
    """Each row's ink profile along its key and name, and the frame columns one of its columns spans.

    Cut as the glyphs stand at the key; the figure is left out: across the
    row, a photo may print it at another scale.
    """
    found = []
    for row, upright in zip(rows, uprights, strict=True):
        end = row.words[-2].x1 if len(row.words) > 1 else row.right
        profile = _band(frame, row, row.left, end, upright).sum(axis=0)
        found.append((profile, (end - row.left) / len(profile)))
    return found


def _repeats(profiles: Sequence[tuple[np.ndarray, float]]) -> list[np.ndarray | None]:
    """Each row's ink profile (`_profiles`) correlated with itself at every lag up to the widest pitch of
    `PITCH_RANGE` times the most of `SCALE_RANGE` (None for a row too short or blank)."""
    shortest = 2 * int(PITCH_RANGE[1] * ROWS / BAND_HEIGHTS)
    reach = math.ceil(SCALE_RANGE[1] * PITCH_RANGE[1] * ROWS / BAND_HEIGHTS)
    found: list[np.ndarray | None] = []
    for profile, _ in profiles:
        centred = profile - profile.mean()
        energy = float(centred @ centred)
        if energy <= 0 or len(centred) <= shortest:
            found.append(None)
            continue
        found.append(np.array([centred[: len(centred) - k] @ centred[k:] for k in range(reach + 2)]) / energy)
    return found


def _key_pitch(
    rows: Sequence[TextLine],
    keys: Sequence[str],
    uprights: Sequence[Upright],
    profiles: Sequence[tuple[np.ndarray, float]],
) -> float | None:
    """The pitch of the keys' own digits, in text heights: over the keys of two characters or more, the median
    distance between the ink centres of a key's first and last glyph, over its characters less one (None: no
    such key).

    A glyph ends at the faintest column of its key's ink near where a
    character of the key's width would. Where the rows' letters are on the
    digits' pitch (a fixed-pitch font) this measures what the rows' repeat
    does, a little less: on 68 simulated sheets of seven sets, five
    printers' styles among them, from 7 % below it to 1 % above. The
    key's ink is the first columns of its row's profile (`_profiles`).
    """
    found = []
    for row, key, upright, (profile, step) in zip(rows, keys, uprights, profiles, strict=True):
        ink = profile[: round((row.words[0].x1 - row.left) / step)]
        count, columns = len(key), len(ink)
        if count < 2 or columns < 2 * count or ink.sum() <= 0:
            continue
        first, last = (
            _faintest(ink, columns / count, columns / 2 / count),
            _faintest(ink, columns - columns / count, columns / 2 / count),
        )
        if not 0 < first <= last < columns:
            continue
        centres = [_centre(ink[:first]), last + _centre(ink[last:])]
        found.append((centres[1] - centres[0]) / (count - 1) * step / upright.height)
    return float(np.median(found)) if found else None


def _faintest(ink: np.ndarray, at: float, reach: float) -> int:
    """The column of least ink within `reach` columns of column `at`."""
    low, high = max(int(at - reach / 2), 1), min(int(at + reach / 2) + 1, len(ink) - 1)
    return low + int(np.argmin(ink[low:high])) if high > low else int(at)


def _centre(ink: np.ndarray) -> float:
    """The column of `ink`'s centre of mass (its middle when it holds none)."""
    total = float(ink.sum())
    return float(np.arange(len(ink)) @ ink) / total if total > 0 else len(ink) / 2


def _fits_keys(pitch: float, keys: Sequence[tuple[float, int]]) -> bool:
    """Whether `pitch` lies in `PITCH_RANGE` and leaves the keys (width in text heights, characters) a glyph."""
    glyph = float(np.median([width / pitch - (length - 1) for width, length in keys]))
    return PITCH_RANGE[0] <= pitch <= PITCH_RANGE[1] and KEY_GLYPH[0] <= glyph <= KEY_GLYPH[1]


def _peak(window: np.ndarray) -> float | None:
    """Where in `window` its highest inner value lies, to a fraction of a step (None: at an end, or not above 0)."""
    peak = int(np.argmax(window))
    if window[peak] <= 0 or peak in (0, len(window) - 1):
        return None
    return _vertex(window, peak)


def _vertex(values: np.ndarray, at: int) -> float:
    """`at`, moved to the top of the parabola through `values` at it and its two neighbours."""
    left, centre, right = values[at - 1], values[at], values[at + 1]
    curvature = left - 2 * centre + right
    return at + (0.5 * (left - right) / curvature if curvature else 0.0)


def _pitch(repeats: Sequence[np.ndarray | None], keys: Sequence[tuple[float, int]]) -> float | None:
    """The lag at which the rows' ink profiles repeat (fixed-pitch text), in text heights, within `PITCH_RANGE`:
    the highest peak of their sum there that the `keys` (each key word's width, in text heights, and its
    characters) bear out.

    A key of n characters spans n - 1 pitches and a glyph, which a multiple
    or a fraction of the pitch does not (`KEY_GLYPH`). A glyph's own strokes
    repeat too: on a simulated hard photo in DejaVu half the pitch (0.51
    glyph heights) lay inside the range and peaked higher than the pitch
    (1.03), and a font read by half cells is worse than none. A peak may lie
    at the range's first lag (the lag before it, outside, tells it from the
    slope down from lag 0), as long as its refined top lies within it.
    """
    low, high = (int(r * ROWS / BAND_HEIGHTS) for r in PITCH_RANGE)
    total = np.zeros(high + 2)
    for repeat in repeats:
        if repeat is not None:
            total += repeat[: high + 2]
    peaks = [k for k in range(max(low, 1), high + 1) if 0 < total[k] >= total[k + 1] and total[k] > total[k - 1]]
    for peak in sorted(peaks, key=lambda k: -total[k]):
        pitch = _vertex(total, peak) * BAND_HEIGHTS / ROWS
        if _fits_keys(pitch, keys):
            return pitch
    return None


def _scale(rows: Sequence[TextLine], repeats: Sequence[np.ndarray | None], lag: float) -> Plane | None:
    """How tall the glyphs are relative to the glyph field, down the table: each row's pitch over the sheet's
    (`lag`, in band pixels).

    The rows were cut at the glyph field's heights, measured on word boxes
    that blur grows; a row's characters repeat every pitch however blurred,
    so a row whose pitch in the band is shorter than the sheet's was cut as
    if its glyphs were taller than they are. On a simulated hard photo the
    boxes grew by a tenth towards the blurred end of the table while the
    pitch in frame pixels stayed the same, and the lone zeros there, shrunk
    in their cells, read as 8 or 9: such zeros were three in five of the
    figures the readers got wrong on hard photos. Fitted along the table
    only (each point at column 0, so the plane has no slope across it): a
    row's pitch is measured where its key and name lie, a narrow span of
    columns, and a slope across it would be extrapolated to the figures.
    None with too few rows measured (`MIN_SCALED_ROWS`).
    """
    low, high = int(SCALE_RANGE[0] * lag), math.ceil(SCALE_RANGE[1] * lag)
    points = []
    for row, repeat in zip(rows, repeats, strict=True):
        if repeat is None or len(repeat) < high + 2 or repeat[low : high + 1].max() < MIN_REPEAT:
            continue
        peak = _peak(repeat[low : high + 1])
        if peak is not None:
            points.append((0.0, row.y_at(row.words[0].cx), (low + peak) / lag))
    if len(points) < MIN_SCALED_ROWS:
        return None
    return Plane.fit(np.array(points), 1.0, 0.01)


def _scaled(scale: Plane | None, line: TextLine, x: float, upright: Upright) -> Upright:
    """`upright` at column `x` of `line` with its height times `scale` there (unchanged without a scale)."""
    if scale is None:
        return upright
    return replace(upright, height=upright.height * scale.at(0.0, line.y_at(x)))


def _span(line: TextLine, word: Word, pitch: float) -> tuple[float, float]:
    """The frame columns whose ink may belong to `word`: a pitch either side of its box, never past halfway to a
    neighbouring word on its line, nor left of its line's first word.

    A band reaches past the box for ink the threshold left out of it (a
    faint digit), but what lies beyond is not the word's: a key is followed
    by its party's name a space away, and left of a line's first word lies
    the sheet's edge or the table under it (on a hard photo whose margin was
    cut, a band laid over four cells left of a key took in the dark table,
    and 5 keys of 38 read as one digit, "2" for "27", leaving their rows
    unproven).
    """
    before = [other.x1 for other in line.words if other.x1 <= word.x0]
    after = [other.x0 for other in line.words if other.x0 >= word.x1]
    left = (max(before) + word.x0) / 2 if before else word.x0 - pitch / 2
    right = (word.x1 + min(after)) / 2 if after else word.x1 + pitch
    return left, min(right, word.x1 + pitch)


def _band(
    frame: Frame,
    line: TextLine,
    x0: float,
    x1: float,
    upright: Upright,
    *,
    inked_from: float | None = None,
    inked_to: float | None = None,
) -> np.ndarray:
    """The line between frame columns `x0` and `x1`, `ROWS` high, ink positive in [0, 1], paper at 0.

    Left of frame column `inked_from` the band is blank paper, whatever it
    shows, and its paper and ink levels are those of the rest. Right of
    frame column `inked_to` (a word's last ink) lies paper, at its own level
    where that is darker than the band's (a shadow past a figure: on a hard
    photo in DejaVu Sans Mono, 0.3 of a glyph's ink there was read as one
    more digit, "4056" for 405), and it is blank from the first column
    inked at the band's top or bottom past a blank one (`_past_the_paper`).
    """
    gray = frame_band(frame, line, x0, x1, ROWS, upright=upright)
    width = int(gray.shape[1])

    def band_column(x: float) -> int:
        return round((x - x0) * width / (x1 - x0))

    blank = 0 if inked_from is None else int(np.clip(band_column(inked_from), 0, width - 1))
    ink: np.ndarray = np.clip(paper(gray[:, blank:]) - gray.astype(np.float32), 0.0, None)
    ink[:, :blank] = 0.0
    if inked_to is not None:
        after = int(np.clip(band_column(inked_to), 0, width))
        if after < width:
            beyond = np.clip(paper(gray[:, after:]) - gray[:, after:].astype(np.float32), 0.0, None)
            ink[:, after:] = np.minimum(ink[:, after:], beyond)
        ink[:, _past_the_paper(ink, after) :] = 0.0
    peak = float(ink.max())
    return ink / peak if peak > 0 else ink


def _past_the_paper(ink: np.ndarray, start: int) -> int:
    """Where, from column `start` on, the paper ends: the first column inked at the band's top or bottom rows
    past a blank column (the band's width when there is none).

    A band is `BAND_HEIGHTS` text heights high and no digit is taller than
    the text: ink past a word's box, and apart from it, that reaches an end
    of the band is no glyph of the line's, but the sheet's edge with what
    lies under it (slanted across the band as often as not). Printed a
    character's width from the edge (a printer with a loose paper guide, or
    a photo cut close), the figures' bands reached past the edge, the dark
    table under the sheet was read as one more digit, and most figures of
    the sheet read wrong ("01" for "0"). The blank column before it is what
    tells it from a digit cut a little too small for its band, whose
    blurred strokes past the box reach the band's ends too: without that
    condition 25 figures of hard photos read otherwise, most a 0 as 9.
    The columns between the last blank one and the first dark one are the
    edge's blurred rise: left in, they read as a 7 after every figure of a
    sheet printed in Liberation Sans a few pixels from its edge ("397").
    """
    width = int(ink.shape[1])
    columns = ink.sum(axis=0)
    ends = np.maximum(ink[:EDGE_ROWS].mean(axis=0), ink[-EDGE_ROWS:].mean(axis=0))
    start = max(start, 0)
    blanks = columns <= EDGE_GAP * max(float(columns.max()), 1e-6)
    blank = np.nonzero(blanks[start:])[0]
    if len(blank) == 0:
        return width
    start += int(blank[0])
    dark = np.nonzero(ends[start:] > EDGE_INK * max(float(ink.max()), 1e-6))[0]
    if len(dark) == 0:
        return width
    edge = start + int(dark[0])
    # the edge's blurred rise, from the last blank column before it, is the edge's too
    rise = np.flatnonzero(blanks[start:edge])
    return start + int(rise[-1]) + 1 if len(rise) else edge


def _cell_energies(band: np.ndarray, cell: int) -> np.ndarray:
    """The contrast energy (sum of squares about the mean) of every `cell`-wide window of the band, by left edge."""
    columns = band.sum(axis=0)
    squares = (band * band).sum(axis=0)
    width = band.shape[0] * cell
    total = np.convolve(columns, np.ones(cell), mode="valid")
    total_sq = np.convolve(squares, np.ones(cell), mode="valid")
    energies: np.ndarray = np.maximum(total_sq - total * total / width, 0.0)
    return energies


def _residuals(energy: np.ndarray, strength: np.ndarray, r: np.ndarray) -> np.ndarray:
    """What templates leave unexplained of cells: min over each one's contrast a in `GAIN` of |cell - a template|^2.

    `energy` and `strength` are the cells' and the templates' contrast
    energy, `r` their correlations (all broadcast together). With the
    contrast free, a template would explain a blank cell perfectly (scaled
    to nothing); a printed digit has the ink of the sheet's other digits,
    within `GAIN` of their mean, so a template on blank paper leaves its own
    ink unexplained, as a missing digit should. A blank template explains
    nothing.
    """
    blank = strength <= 0
    strength = np.where(blank, 1.0, strength)
    r = np.where(energy > 0, r, 0.0)
    gain = np.clip(r * np.sqrt(energy / strength), *GAIN)
    residual: np.ndarray = energy - 2 * gain * r * np.sqrt(energy * strength) + gain * gain * strength
    return np.where(blank, energy, residual)


def _running_max(values: np.ndarray, width: int) -> np.ndarray:
    """The maximum of every `width` consecutive values along the last axis."""
    result = values[..., : values.shape[-1] - width + 1].copy()
    for shift in range(1, width):
        np.maximum(result, values[..., shift : shift + result.shape[-1]], out=result)
    return result


def _padded(image: np.ndarray) -> np.ndarray:
    """The image with `SHIFT_Y` rows and `SHIFT_X` columns of paper on each side, for the shifts to slide in."""
    return np.ascontiguousarray(
        cv2.copyMakeBorder(image, SHIFT_Y, SHIFT_Y, SHIFT_X, SHIFT_X, cv2.BORDER_CONSTANT, value=0.0)
    )


def _aligned(samples: list[np.ndarray]) -> list[np.ndarray]:
    """Each sample moved by whole pixels onto the mean of all (twice: the first mean is blurred by misplacement)."""
    aligned = samples
    for _ in range(2):
        mean = np.mean(aligned, axis=0).astype(np.float32)
        inner = np.ascontiguousarray(mean[SHIFT_Y:-SHIFT_Y, 1:-1])
        moved = []
        for sample in samples:
            scores = cv2.matchTemplate(sample.astype(np.float32), inner, cv2.TM_CCOEFF_NORMED)
            _, _, _, (x, y) = cv2.minMaxLoc(scores)
            moved.append(np.roll(np.roll(sample, SHIFT_Y - y, axis=0), 1 - x, axis=1))
        aligned = moved
    return aligned


def _noise(aligned: dict[str, list[np.ndarray]]) -> float:
    """Leave-one-out: what each key's own digit template, learned without it, leaves unexplained per pixel."""
    residuals = []
    for found in aligned.values():
        if len(found) < 2:
            continue
        total = np.sum(found, axis=0)
        for sample in found:
            own = (total - sample) / (len(found) - 1)
            a, b = sample - sample.mean(), own - own.mean()
            r = float((a * b).sum() / (math.sqrt(float((a * a).sum() * (b * b).sum())) + 1e-9))
            residuals.append(float((a * a).sum()) * (1.0 - max(r, 0.0) ** 2) / a.size)
    return float(np.mean(residuals)) if residuals else 1.0
