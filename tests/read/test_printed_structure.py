"""Finding a sheet's table among its text lines: every row where the layout says, on pages a photo makes hard.

Sheets come from the project's simulator (scans, kept quick), then turned,
slanted, blurred, cut or damaged here, so that each test is about one thing
a photo does to a page. A row counts as found when the truth's figure lies
in its last word; what the figures read is tests/read/test_printed_sheets.py's.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from testigo.domain.layout import SheetLayout
from testigo.profiles import get_profile
from testigo.read.printed import lines as lines_module
from testigo.read.printed import structure as structure_module
from testigo.read.printed.cells import word_quad
from testigo.read.printed.lines import (
    MAX_GAP_HEIGHTS,
    MAX_INK_SHARE,
    OVERVIEW_SIDE,
    Frame,
    SlopeField,
    TextLine,
    Word,
    _chains,
    _words,
)
from testigo.read.printed.reading import PageFrames, PrintNotRead, read_print
from testigo.read.printed.structure import KEY_WIDTH_TOLERANCE, Located, NotFound, _key_split, _key_width, locate
from testigo.simulate import PRINTERS, simulate

LAYOUT: SheetLayout = next(layout for layout in get_profile("ve2024").layouts() if layout.code != "none")


@pytest.fixture(scope="module")
def sheets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[np.ndarray, dict[str, Any]]]:
    """Two scanned actas by printer: the standard 80 mm one and the narrow 58 mm one (a tighter font)."""
    out = tmp_path_factory.mktemp("structure")
    printers = (PRINTERS["standard"], PRINTERS["narrow"])
    truth = json.loads(simulate(out, 2, seed=21, quality="scan", printers=printers, workers=1).read_text())
    found = {}
    for name, entry in zip(("standard", "narrow"), truth["files"], strict=True):
        gray = cv2.imread(str(out / entry["file"]), cv2.IMREAD_GRAYSCALE)
        assert gray is not None
        found[name] = (gray, entry)
    return found


def _figures_at(entry: dict[str, Any], to_page: np.ndarray) -> list[np.ndarray]:
    """Where the truth puts each card's figure, mapped by the 3x3 `to_page` onto the changed page."""
    centres = [np.mean(entry["fields"][f"card_{n:02d}"], axis=0) for n in range(1, LAYOUT.table.rows + 1)]
    return list(cv2.perspectiveTransform(np.array([centres], np.float64), to_page)[0])


def _holds(frame: Frame, located: Located, figures: list[np.ndarray]) -> bool:
    """Whether each row's last word lies over its card's figure on the page."""
    for row, figure in zip(located.rows, figures, strict=True):
        quad = np.array(word_quad(frame, row, row.words[-1]), np.float32)
        if cv2.pointPolygonTest(quad, (float(figure[0]), float(figure[1])), False) < 0:
            return False
    return True


def _candidates(page: np.ndarray) -> list[tuple[Frame, Located]]:
    """Every way of matching the page's lines to the layout, either way up, with the turn it was found in."""
    frame = PageFrames(page).plain
    assert frame is not None
    found = []
    for turn in (frame, frame.turned):
        try:
            found += [(turn, located) for located in locate(turn.lines, LAYOUT, turn.text_height)]
        except NotFound:
            continue
    return found


def _found(page: np.ndarray, entry: dict[str, Any], to_page: np.ndarray) -> bool:
    """Whether one way of matching the page's lines to the layout puts every row on its card's figure."""
    figures = _figures_at(entry, to_page)
    return any(_holds(turn, located, figures) for turn, located in _candidates(page))


IDENTITY = np.eye(3)


@pytest.mark.parametrize("turn", [None, cv2.ROTATE_90_CLOCKWISE, cv2.ROTATE_180, cv2.ROTATE_90_COUNTERCLOCKWISE])
def test_the_table_is_found_on_a_sheet_turned_any_quarter(
    sheets: dict[str, tuple[np.ndarray, dict[str, Any]]], turn: int | None
) -> None:
    gray, entry = sheets["standard"]
    height, width = gray.shape
    page = gray if turn is None else cv2.rotate(gray, turn)
    to_page = {
        None: IDENTITY,
        cv2.ROTATE_90_CLOCKWISE: np.array([[0.0, -1.0, height - 1.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]),
        cv2.ROTATE_180: np.array([[-1.0, 0.0, width - 1.0], [0.0, -1.0, height - 1.0], [0.0, 0.0, 1.0]]),
        cv2.ROTATE_90_COUNTERCLOCKWISE: np.array([[0.0, 1.0, 0.0], [-1.0, 0.0, width - 1.0], [0.0, 0.0, 1.0]]),
    }[turn]
    assert _found(page, entry, to_page)


@pytest.mark.parametrize("turn", [cv2.ROTATE_90_CLOCKWISE, cv2.ROTATE_180, cv2.ROTATE_90_COUNTERCLOCKWISE])
def test_a_turned_sheet_is_framed_at_the_scale_of_the_upright_one(
    sheets: dict[str, tuple[np.ndarray, dict[str, Any]]], turn: int
) -> None:
    """Letters are measured upright: a quarter turn once made their widths pass for heights (a frame 4x the pixels)."""
    gray, _ = sheets["standard"]
    upright, turned = PageFrames(gray).plain, PageFrames(cv2.rotate(gray, turn)).plain
    assert upright is not None and turned is not None
    assert turned.text_height == pytest.approx(upright.text_height, rel=0.15)
    assert turned.image.size == pytest.approx(upright.image.size, rel=0.15)


def test_a_key_that_blur_joined_to_its_name_is_split_off(sheets: dict[str, tuple[np.ndarray, dict[str, Any]]]) -> None:
    """Blur and spread ink close the space after a key: the row is still found, its key alone."""
    gray, entry = sheets["standard"]
    page = cv2.erode(cv2.GaussianBlur(gray, (0, 0), 1.5), np.ones((1, 7), np.uint8))
    assert _found(page, entry, IDENTITY)
    turn, located = _candidates(page)[0]
    key_width = float(np.median([row.words[0].width for row in located.rows]))
    joined = [line for line in turn.lines if _key_split(line, key_width) is not None]
    assert len(joined) >= 3, "blur should join some keys to their names, or this test proves nothing"


@pytest.mark.parametrize("printer", ["standard", "narrow"])
def test_slanted_letters_do_not_part_figures_from_their_rows(
    sheets: dict[str, tuple[np.ndarray, dict[str, Any]]], printer: str
) -> None:
    """Perspective slants the letters: a word's own slope then lies about its line's, a line's chord does not.

    The lines converge (a sheet photographed from its right) and the letters
    lean (the same sheet's rows slanted): the figures, far across the blank
    middle of each row, must still be chained to their keys.
    """
    gray, entry = sheets[printer]
    height, width = gray.shape
    corners = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32)
    if printer == "standard":
        moved = [[0.3 * width, 0.1 * height], [width, 0], [width, height], [0.3 * width, 0.9 * height]]
    else:
        moved = [[0.15 * width, 0.2 * height], [width, 0], [width, height], [0.15 * width, 0.8 * height]]
    to_page = cv2.getPerspectiveTransform(corners, np.array(moved, np.float32))
    page = cv2.warpPerspective(gray, to_page, (width, height), borderValue=80)
    assert _found(page, entry, to_page)
    sheared = np.array([[1.0, -0.5, 0.5 * height], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    page = cv2.warpAffine(gray, sheared[:2], (width + height // 2, height), borderValue=255)
    assert _found(page, entry, sheared)


def test_a_small_sheet_on_noisy_wood_grain_is_framed_on_its_own_text(tmp_path: Path) -> None:
    """A table's grain under sensor noise once outweighed a small sheet's ink: Otsu's split of the whole photo
    took the grain for ink, the letters' height came out as the grain's (a third of theirs), and the frame
    covered the whole photo at three times its scale (5453 x 4121 pixels, 2,826 "lines", 13 s), with one table
    row found. The simulator's third hard photo of seed 77 is such a photo: a strip lying across wood."""
    truth = json.loads(simulate(tmp_path, 3, seed=77, quality="hard", variant="sin_qr", workers=1).read_text())
    entry = truth["files"][2]
    gray = cv2.imread(str(tmp_path / entry["file"]), cv2.IMREAD_GRAYSCALE)
    assert gray is not None
    scale = OVERVIEW_SIDE / max(gray.shape)
    overview = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    hat = cv2.morphologyEx(overview, cv2.MORPH_BLACKHAT, np.ones((5, 5), np.uint8))
    _, otsu = cv2.threshold(hat, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    assert np.count_nonzero(otsu) > MAX_INK_SHARE * otsu.size, "Otsu alone must take the grain for ink here"
    frame = PageFrames(gray).plain
    assert frame is not None
    assert frame.text_height == pytest.approx(20.0, abs=3.0)
    assert 38 <= len(frame.lines) <= 120
    assert _found(gray, entry, IDENTITY)


def test_a_cloth_s_squares_cut_by_the_photo_s_edge_are_not_framed_as_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The simulator's fourth photo of seed 2024 lies on a checked cloth whose dark squares the photo's edge cuts
    to slivers as thin as letters' strokes: taken for text, they stretched the frame over the whole cloth
    (3,952 x 2,560 pixels instead of 3,685 x 1,029)."""
    truth = json.loads(simulate(tmp_path, 4, seed=2024, quality="photo", workers=1).read_text())
    entry = truth["files"][3]
    gray = cv2.imread(str(tmp_path / entry["file"]), cv2.IMREAD_GRAYSCALE)
    assert gray is not None
    turned = PageFrames(gray).turned
    assert turned is not None
    area = turned[0].size
    assert area < 4.5e6
    assert _found(gray, entry, IDENTITY)
    monkeypatch.setattr(lines_module, "BORDER_INK", 0)
    stretched = PageFrames(gray).turned
    assert stretched is not None and stretched[0].size > 2 * area


def test_a_left_margin_cut_off_at_the_keys_still_finds_the_table(
    sheets: dict[str, tuple[np.ndarray, dict[str, Any]]],
) -> None:
    gray, entry = sheets["standard"]
    turn, located = _candidates(gray)[0]
    key = located.rows[0].words[0]
    corners = [turn.to_page @ np.array([x, located.rows[0].y_at(x), 1.0]) for x in (key.x0, key.x1)]
    left = int(min(corner[0] / corner[2] for corner in corners)) - 2
    cut = np.ascontiguousarray(gray[:, left:])
    assert _found(cut, entry, np.array([[1.0, 0.0, -left], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]))


def test_specks_just_left_of_the_keys_leave_their_rows_at_the_margin(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bits of the paper's edge a little left of the keys (a sheet printed left of centre) join the keys' words:
    measured from the speck, four rows in a row began past the margin's tolerance, and the table broke there."""

    def row(y: float, speck: bool) -> TextLine:
        key = _at(82.0, 124.0, y, ((82.0, 84.0), (100.0, 124.0))) if speck else _at(100.0, 124.0, y)
        return TextLine((key, _at(140.0, 200.0, y), _at(600.0, 612.0, y)))

    rows = [row(40.0 * n, 10 <= n < 14) for n in range(LAYOUT.table.rows)]
    totals = [TextLine((_at(100.0, 300.0, 40.0 * n), _at(590.0, 612.0, 40.0 * n))) for n in range(38, 41)]
    [located] = locate(rows + totals, LAYOUT, 20.0)
    assert [line.words[0].x0 for line in located.rows[10:14]] == [100.0] * 4  # the specks left out
    monkeypatch.setattr(structure_module, "_start", lambda line, text_height: line.left)
    with pytest.raises(NotFound, match="found 24 table rows"):
        locate(rows + totals, LAYOUT, 20.0)


def test_a_word_bridged_to_a_speck_it_leaves_out_is_boxed_on_its_own_ink() -> None:
    """Closing the gaps between letters can bridge a word to a one-pixel speck a space to its left and leave the
    speck itself out (its kernel is even): the word's box then began 13 pixels left of its ink, and a key so
    boxed was no key's width (three rows of a hard photo lost)."""
    mask = np.zeros((40, 320), np.uint8)
    for left in (194, 214, 234, 254):  # four letters a letter gap apart: one word
        mask[12:32, left : left + 14] = 255
    [alone] = _words(mask, 19.0)[0]
    mask[13, 180] = 255
    [word] = _words(mask, 19.0)[0]
    assert (word.x0, word.x1) == (alone.x0, alone.x1)
    assert abs(word.x0 - 194) <= 1


def test_a_narrow_font_s_key_is_a_piece_of_its_word_a_fixed_pitch_name_is_not_cut_at_its_letters() -> None:
    """A narrow font's space (6 pixels at 19-pixel letters) is narrower than `PIECE_JOIN` joins: a key and its
    name are one word, whose first gap, wider than its letters', splits the key off (`_narrow_pieces`). A
    name whose letters stand evenly apart is not cut into them."""
    mask = np.zeros((40, 200), np.uint8)
    for left, width in ((20, 10), (32, 10), (48, 12), (62, 12), (76, 12)):  # "07", a space, "MEP"
        mask[10:29, left : left + width] = 255
    [word] = _words(mask, 19.0)[0]
    [key, name] = word.pieces  # where the word's box lies, to a pixel
    assert abs(key[0] - 20) <= 1 and key[1] == 42 and name[0] == 48 and abs(name[1] - 88) <= 1
    evenly = np.zeros((40, 200), np.uint8)
    for left in range(20, 140, 17):  # seven 12-pixel letters 5 pixels apart
        evenly[10:29, left : left + 12] = 255
    [name] = _words(evenly, 19.0)[0]
    assert name.pieces == ()


@pytest.mark.parametrize(("across", "strip"), [(28, True), (44, True), (28, False)])
def test_a_crease_through_a_line_s_letters_is_erased_and_its_words_found_apart(
    across: int, strip: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fold's crease, 3 pixels thick and 2 degrees off the line, through the tops or the feet of a key's and a
    name's letters: one long slanted run until the crease is erased; then the three words, as without it (found
    again between the blank rows around the crease, or in the whole frame when there are none)."""
    if not strip:
        monkeypatch.setattr(lines_module, "_strip", lambda mask, creases, text_height: None)
    mask = np.zeros((80, 900), np.uint8)
    for left, letters in ((40, 2), (110, 6), (820, 2)):  # a key, a name and a figure, 14-pixel letters
        for k in range(letters):
            mask[30:50, left + 20 * k : left + 20 * k + 14] = 255
    clean = _words(mask, 20.0)[0]
    cv2.line(mask, (0, across), (899, across + round(899 * math.tan(math.radians(2)))), 255, 3)
    words = _words(mask, 20.0)[0]
    assert sorted((w.x0, w.x1) for w in words) == sorted((w.x0, w.x1) for w in clean)
    monkeypatch.setattr(lines_module, "CREASE_LENGTH", math.inf)
    monkeypatch.setattr(lines_module, "_leaders", lambda *args: [])  # its stretches between words pass for leaders
    assert any(w.x1 - w.x0 > 800 for w in _words(mask, 20.0)[0])  # the key and the name lost in the crease's run


def _letters(mask: np.ndarray, top: int, words: tuple[tuple[int, int], ...]) -> None:
    """Words of 14-pixel letters 20 tall from row `top`, each (left, letters), a letter every 20 pixels."""
    for left, letters in words:
        _sloped_letters(mask, top, left, letters, 0.0)


def _sloped_letters(mask: np.ndarray, top: int, left: int, letters: int, slope: float) -> None:
    """A word of 14-pixel letters 20 tall, rising `slope` rows a column (a photo's perspective) from row `top`
    at column 0, a letter every 20 pixels from column `left`."""
    for k in range(letters):
        x = left + 20 * k
        y = top + round(slope * x)
        mask[y : y + 20, x : x + 14] = 255


ROW = ((40, 2), (110, 6), (820, 2))  # a key, a name and a figure
NAME = ((40, 12),)  # a candidate's name on a line of its own


def _boxes(words: list[Word]) -> list[tuple[float, float, float, float]]:
    return sorted((w.x0, w.y0, w.x1, w.y1) for w in words)


def test_two_lines_a_tail_joins_are_cut_apart_at_their_seam(monkeypatch: pytest.MonkeyPatch) -> None:
    """A tail (a Q's) blurred into the line below joins a name and the row under it into one run two lines tall:
    cut at the level between them, both lines' words are found as without the tail; not cut, the name and the
    key are one "word" two lines tall."""
    mask = np.zeros((110, 900), np.uint8)
    _letters(mask, 30, NAME)
    _letters(mask, 56, ROW)
    clean = _boxes(_words(mask, 20.0)[0])
    mask[50:56, 128:131] = 255  # the tail, from the name's feet to the key's top
    words = _words(mask, 20.0)[0]
    assert len(words) == len(clean) == 4
    for found, alone in zip(_boxes(words), clean, strict=True):  # what the cut leaves of the tail stays on
        assert np.allclose(found, alone, atol=4), (found, alone)
    monkeypatch.setattr(lines_module, "SEAM_HEIGHTS", 0.0)
    assert any(w.y0 == 30 and w.y1 == 76 for w in _words(mask, 20.0)[0])  # the name and the row in one "word"


def test_two_sloped_lines_whose_run_leans_otherwise_are_cut_at_their_seam(monkeypatch: pytest.MonkeyPatch) -> None:
    """A short line over the end of a long one, both 4 degrees off the frame's level (a photo in perspective),
    joined by a tail: the run's own slope (its moments', 0.02) crosses both lines and finds no seam, and both
    lines were lost with it; the seam sought along other slopes parts them, and both words are found as without
    the tail."""
    mask = np.zeros((160, 900), np.uint8)
    _sloped_letters(mask, 20, 560, 8, 0.07)  # "38 CONDE"
    _sloped_letters(mask, 46, 300, 21, 0.07)  # "BENJAMIN RAUSSEO", the line under it
    clean = _boxes(_words(mask, 20.0)[0])
    assert len(clean) == 2
    top = 20 + round(0.07 * 700) + 20
    mask[top : top + 6, 705:708] = 255  # the tail, from a letter's feet to the top of the letter under it
    moments = cv2.moments(mask, binaryImage=True)
    own = math.tan(0.5 * math.atan2(2 * moments["mu11"], moments["mu20"] - moments["mu02"]))
    assert abs(own - 0.07) > 0.04
    assert _boxes(_words(mask, 20.0)[0]) == clean
    monkeypatch.setattr(lines_module, "SEAM_SLOPE", 0.0)  # the run's own slope, and level
    assert _words(mask, 20.0)[0] == []  # two lines thick, no seam: no word


def test_a_seam_sought_along_other_slopes_is_deep_and_has_a_line_on_each_side(monkeypatch: pytest.MonkeyPatch) -> None:
    """Along a slope other than the run's own, a level holding 37 % of the fuller side's fullest level's ink (as
    a line of tall glyphs at its waist holds 40 to 48 %) is no seam, though the run's own slope is held to 50 %;
    nor is a clear level between a line's letters and a rule under it (a line on one side only)."""
    waist = np.zeros((120, 600), np.uint8)
    _sloped_letters(waist, 20, 100, 20, 0.07)
    _sloped_letters(waist, 46, 100, 20, 0.07)
    for x in range(100, 500, 10):  # strokes across the gap in 3 columns of 10
        top = 40 + round(0.07 * x)
        waist[top : top + 6, x : x + 3] = 255
    assert lines_module._seam(waist > 0, 0.0, 20.0) is None
    monkeypatch.setattr(lines_module, "SEAM_SEARCHED_INK", lines_module.SEAM_INK)
    assert lines_module._seam(waist > 0, 0.0, 20.0) is not None
    ruled = np.zeros((120, 600), np.uint8)
    _sloped_letters(ruled, 20, 100, 20, 0.07)
    for x in range(100, 500):
        top = 52 + round(0.07 * x)
        ruled[top : top + 3, x] = 255  # the rule, 12 pixels under the letters' feet
    assert lines_module._seam(ruled > 0, 0.0, 20.0) is None
    monkeypatch.setattr(lines_module, "SEAM_LETTERS", 0.0)
    assert lines_module._seam(ruled > 0, 0.0, 20.0) is not None


def test_a_run_as_tall_as_two_lines_but_fullest_in_its_middle_is_not_cut() -> None:
    """A blot two lines tall, its ink fullest in its middle (a stamp, a smudge), has no seam: it stays whole."""
    mask = np.zeros((110, 900), np.uint8)
    cv2.ellipse(mask, (160, 52), (120, 20), 0, 0, 360, 255, -1)
    assert lines_module._seam(mask > 0, 0.0, 20.0) is None
    [blot] = _words(mask, 20.0)[0]
    assert (blot.y0, blot.y1) == (32, 73)


def test_a_rule_between_two_rows_is_a_crease_fitted_to_its_thin_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    """A ruled table's rule, blurred onto a row's feet and the tops of the row under it (a key and a figure), the
    letters within the band a crease may be thick: fitted to its thin columns, between the letters, it is the
    rule's own line; fitted to all the ink, the letters pulled it off the rule and it passed for a rule alone.
    A rule with letters on one side only is a leader's business (`_leaders`), and a rule alone no crease."""
    ink = np.zeros((60, 900), np.uint8)
    _letters(ink, 10, ROW)
    ink[30:33] = 255  # the rule, 3 pixels thick
    _letters(ink, 33, ((40, 2), (820, 2)))
    crease = lines_module._crease(ink > 0, 0, 0, 22.0)
    assert crease is not None and abs(crease.slope) < 0.002 and abs(crease.offset - 31) < 1
    monkeypatch.setattr(lines_module, "RULED_LENGTH", math.inf)
    assert lines_module._crease(ink > 0, 0, 0, 22.0) is None
    monkeypatch.undo()
    alone = np.zeros_like(ink)
    alone[30:33] = 255
    assert lines_module._crease(alone > 0, 0, 0, 22.0) is None
    above = ink.copy()
    above[33:] = 0
    assert (
        lines_module._crease_line(*np.nonzero(above), np.ones(np.count_nonzero(above), bool), 900, 22.0, sides=2)
        is None
    )


def test_a_rule_between_two_rows_is_erased_through_their_letters(monkeypatch: pytest.MonkeyPatch) -> None:
    """Set close, a ruled table's rows touch the rule between them from both sides: erased only between the
    letters, it joined each letter of one row to the one under it; erased along its whole length, each row's
    key, name and figure are found apart, as without it, but for what the rule's band takes off their feet and
    tops."""
    mask = np.zeros((120, 900), np.uint8)
    _letters(mask, 30, ROW)
    _letters(mask, 54, ROW)
    clean = _boxes(_words(mask, 20.0)[0])
    cv2.line(mask, (0, 51), (899, 52), 255, 3)
    words = _words(mask, 20.0)[0]
    assert len(words) == len(clean) == 6
    for found, alone in zip(_boxes(words), clean, strict=True):
        assert (found[0], found[2]) == (alone[0], alone[2]), (found, alone)
        assert abs(found[1] - alone[1]) <= 5 and abs(found[3] - alone[3]) <= 5, (found, alone)
    monkeypatch.setattr(lines_module, "_between_lines", lambda *args, **kinds: False)
    assert all(w.y0 < 50 < 54 < w.y1 for w in _words(mask, 20.0)[0])  # every word holds both rows


def _ruled_rows(rows: int, *, name_under: bool = False) -> np.ndarray:
    """A ruled table's `rows` rows (`ROW`), 20 pixels tall, each touching the 3-pixel rules above and below it,
    with a candidate's long name (20 letters) after the last rule when `name_under`."""
    mask = np.zeros((40 + 23 * (rows + 1), 900), np.uint8)
    mask[27:30] = 255
    for k in range(rows):
        _letters(mask, 30 + 23 * k, ROW)
        mask[50 + 23 * k : 53 + 23 * k] = 255
    if name_under:
        _letters(mask, 30 + 23 * rows, ((40, 20),))
    return mask


def test_the_ruled_framing_finds_a_rule_among_several_a_run_of_ruled_rows_holds() -> None:
    """Rows touching the rules above and below them are one run with all its rules, every column crossing two
    or more: no column is thin, and a line fitted to all of them runs between two. In the ruled framing the
    line starts at the fullest level of the run's thin strokes and is a rule's own; it also finds a rule along
    one row's letters, which a plain frame leaves to the leaders."""
    ink = _ruled_rows(3) > 0
    crease = lines_module._crease(ink, 0, 0, 20.0, ruled=True)
    assert crease is not None and abs(crease.slope) < 0.002
    assert min(abs(crease.offset - (rule + 1)) for rule in (27, 50, 73, 96)) < 1.5, crease
    assert lines_module._crease(ink, 0, 0, 20.0) is None
    one = np.zeros((60, 900), np.uint8)
    _letters(one, 10, ROW)
    one[30:33] = 255  # a rule under one row only
    crease = lines_module._crease(one > 0, 0, 0, 20.0, ruled=True)
    assert crease is not None and abs(crease.offset - 31) < 1
    assert lines_module._crease(one > 0, 0, 0, 20.0) is None


def test_the_ruled_framing_parts_every_row_of_a_ruled_table_and_the_name_under_it() -> None:
    """Each pass erases one rule of a run and finds its words again: every row's key, name and figure and the
    candidate's name under the last rule are words apart, where the plain frame loses the rows with their rules
    (runs too tall for words). The rule between the last row and the name is touched along the row's few
    letters from above and the name's many from below: a rule between two lines (erased through their letters)
    by the share of the side touched less, not by the share of all the columns touched; erased between the
    letters only, it joins the row to the name (the seams off: they part these drawn lines, not a photo's,
    whose blur fills the seam)."""
    mask = _ruled_rows(4, name_under=True)
    words = _words(mask, 20.0, ruled=True)[0]
    assert len(words) == 4 * 3 + 1, _boxes(words)
    assert sorted(round(w.y0 / 23) for w in words if w.x0 == 40) == [1, 2, 3, 4, 5]  # each row, then the name
    assert all(w.y1 - w.y0 <= 24 for w in words)
    assert len(_words(mask, 20.0)[0]) < 4 * 3 + 1
    with pytest.MonkeyPatch.context() as patched:
        real = lines_module._between_lines
        patched.setattr(lines_module, "_between_lines", lambda *args, ruled: real(*args))
        patched.setattr(lines_module, "SEAM_HEIGHTS", 0.0)
        assert any(w.y1 - w.y0 > 30 for w in _words(mask, 20.0, ruled=True)[0])  # the row and the name joined


def _row(mask: np.ndarray, dots: int) -> None:
    """A table row on `mask` (rows 30-50): a key, a name, `dots` dots 3 pixels wide and 4 tall every 6 pixels on
    the letters' feet from 6 pixels past the name, and a "1" whose foot reaches 8 pixels left of its stem at
    column 820."""
    for left, letters in ((40, 2), (110, 6)):  # a key and a name, 14-pixel letters
        for k in range(letters):
            mask[30:50, left + 20 * k : left + 20 * k + 14] = 255
    for k in range(dots):
        mask[46:50, 230 + 6 * k : 233 + 6 * k] = 255
    mask[30:50, 820:824] = 255  # the stem
    mask[47:50, 812:830] = 255  # the foot, on the leader's line


@pytest.mark.parametrize("joined", [True, False], ids=["dots-to-the-figure", "dots-short-of-it"])
def test_a_dotted_leader_from_a_name_to_its_figure_is_erased_and_the_figure_keeps_its_foot(joined: bool) -> None:
    """Dots on the letters' feet join a key, a name and a figure into one run (or the name alone, when they stop
    short of the figure); as a leader they are erased, the three words found apart, the figure's foot kept, and
    the image the readers cut the figure from shows no dot."""
    mask = np.zeros((80, 900), np.uint8)
    _row(mask, 97 if joined else 91)  # the last dot ends 3 or 39 pixels short of the foot
    words, _, leaders = _words(mask, 20.0)
    assert [(w.x0, w.x1) for w in words] == [(40, 74), (110, 224), (812, 830)]
    [leader] = leaders
    erased = lines_module._erased(mask, [], leaders, 20.0, 0)
    assert not erased[:, 225:805].any()  # every dot, its blur's margin too
    assert (erased[:, 812:830] == mask[:, 812:830]).all()  # the foot, as printed
    assert leader.dotted
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(lines_module, "_leaders", lambda *args: [])
        assert any(w.x0 == 110 and w.x1 > 700 for w in _words(mask, 20.0)[0])  # the name runs on through the dots


@pytest.mark.parametrize("tall", [True, False], ids=["to-a-letter", "to-a-dashed-rule-s-mark"])
def test_dots_are_a_leader_only_where_they_lead_to_a_letter(tall: bool) -> None:
    """Dots that run into a letter's stem are a leader; into a dashed rule's "=" mark, thick but not tall, they
    are the rule's own: erased from the ink, such a rule's pieces moved a hard photo's table."""
    mask = np.zeros((80, 900), np.uint8)
    for k in range(96):
        mask[46:50, 230 + 6 * k : 233 + 6 * k] = 255
    if tall:
        mask[30:50, 810:814] = 255
    else:
        mask[40:50, 810:824] = 255  # a blurred "=": 10 pixels of ink a column, no letter's height
    leaders = _words(mask, 20.0)[2]
    assert len(leaders) == (1 if tall else 0)


def test_the_dots_of_leaders_that_outnumber_the_letters_are_not_taken_for_letters() -> None:
    """38 rows of some 90 dots each: the blobs' median height is a dot's (4 pixels); over the blobs half a frame's
    letter tall or more, the letters' (20), as on a sheet without leaders."""
    mask = np.zeros((38 * 40, 900), np.uint8)
    for row in range(38):
        _row(mask[row * 40 : row * 40 + 80], 90)
    stats = lines_module._components(mask)[2]
    floor = lines_module.DOTS_SHARE * lines_module.TARGET_HEIGHT
    assert lines_module._text_height(stats) == 4.0
    assert lines_module._text_height(stats, floor) == 20.0
    plain = np.zeros_like(mask)
    for row in range(38):
        _row(plain[row * 40 : row * 40 + 80], 0)
    assert lines_module._text_height(lines_module._components(plain)[2], floor) == 20.0


def test_a_key_joined_to_its_name_with_no_gap_is_cut_off_at_the_keys_width(
    sheets: dict[str, tuple[np.ndarray, dict[str, Any]]],
) -> None:
    """Blur can join a key to its name with no gap left to split at ("23 UVV" one word, no pieces): the row
    lies at both margins within the table, so the rows with its key cut off at the keys' width are a way too.

    On a hard photo in strong perspective that row was lost, the column
    heading above the table taken for a row instead, and the table, shifted
    by one, failed its keys: the print was not read. Now it is confirmed.
    """
    gray, entry = sheets["standard"]
    figures = _figures_at(entry, IDENTITY)
    [(turn, located)] = [(t, found) for t, found in _candidates(gray) if _holds(t, found, figures)]
    row = located.rows[22]
    key, name = row.words[0], row.words[1]
    joined = Word(key.x0, min(key.y0, name.y0), name.x1, max(key.y1, name.y1), key.cy, None, ())
    lines = [TextLine((joined, *line.words[2:])) if line.words[-1] is row.words[-1] else line for line in turn.lines]
    found = [candidate for candidate in locate(lines, LAYOUT, turn.text_height) if _holds(turn, candidate, figures)]
    assert len(found) == 1
    cut = found[0].rows[22].words[0]
    assert cut.x0 == key.x0
    assert abs(cut.width - key.width) <= KEY_WIDTH_TOLERANCE * key.width  # the key alone, not the name
    # a line so shaped that is no row (a subtotal, on another form) costs nothing: the rows without it stay a way
    other = located.rows[10]
    half = (located.rows[11].cy - other.cy) / 2
    first, second = other.words[0], other.words[1]
    wide = Word(first.x0, min(first.y0, second.y0), second.x1, max(first.y1, second.y1), first.cy, None, ())
    stray = TextLine((wide.moved(half), other.words[-1].moved(half)))
    with_stray = sorted([*turn.lines, stray], key=lambda line: line.cy)
    assert any(_holds(turn, candidate, figures) for candidate in locate(with_stray, LAYOUT, turn.text_height))


def test_a_row_whose_figure_is_lost_is_refused_with_a_one_line_reason(
    sheets: dict[str, tuple[np.ndarray, dict[str, Any]]],
) -> None:
    """A figure rubbed out leaves its row a line without a figure: one row short, the sheet is not guessed at."""
    gray, entry = sheets["standard"]
    page = gray.copy()
    quad = np.array(entry["fields"]["card_20"], np.float32)
    centre = quad.mean(axis=0)
    grown = (centre + 1.6 * (quad - centre)).astype(np.int32)
    cv2.fillPoly(page, [grown], 255)
    with pytest.raises(PrintNotRead) as raised:
        read_print(page, LAYOUT, header=False)
    reason = str(raised.value)
    assert "does not match" in reason and "table rows" in reason and "\n" not in reason


def _word(x0: float, x1: float, pieces: tuple[tuple[float, float], ...] = ()) -> Word:
    return Word(x0, 0.0, x1, 20.0, 10.0, None, pieces)


def _spans(line: TextLine, key_width: float) -> list[tuple[float, float]] | None:
    """Where the words of `line` lie once its key is split off (None: `_key_split` split nothing)."""
    split = _key_split(line, key_width)
    return None if split is None else [(word.x0, word.x1) for word in split.words]


def test_a_key_is_split_off_only_at_a_space() -> None:
    """Split at the gap after the key's width only when it is wider than every gap between letters."""
    figure = _word(600.0, 612.0)
    joined = TextLine((_word(0.0, 80.0, ((0.0, 24.0), (36.0, 50.0), (53.0, 66.0), (69.0, 80.0))), figure))
    split = _key_split(joined, 24.0)
    assert split is not None
    assert [(word.x0, word.x1) for word in split.words] == [(0.0, 24.0), (36.0, 80.0), (600.0, 612.0)]
    assert split.words[1].pieces == ((36.0, 50.0), (53.0, 66.0), (69.0, 80.0))
    evenly = TextLine((_word(0.0, 80.0, ((0.0, 12.0), (17.0, 24.0), (29.0, 42.0), (47.0, 80.0))), figure))
    assert _key_split(evenly, 24.0) is None  # TO|TAL: no space, a wider word
    wide = TextLine((_word(0.0, 80.0, ((0.0, 45.0), (60.0, 80.0))), figure))
    assert _key_split(wide, 24.0 / (1 + 2 * KEY_WIDTH_TOLERANCE)) is None  # its first part is no key's width


def test_a_key_joined_to_a_name_of_several_words_is_split_at_its_space() -> None:
    """Blur joins every word of a long name too: the spaces between them are as wide as the key's."""
    figure = _word(600.0, 612.0)
    joined = TextLine((_word(0.0, 130.0, ((0.0, 24.0), (42.0, 80.0), (97.0, 130.0))), figure))
    assert _spans(joined, 24.0) == [(0.0, 24.0), (42.0, 130.0), (600.0, 612.0)]
    # DejaVu Sans Mono on a hard photo: its spaces half a key wide, its glyphs narrow in their cells
    narrow = TextLine((_word(0.0, 140.0, ((0.0, 25.0), (37.0, 59.0), (72.0, 140.0))), figure))
    assert _spans(narrow, 24.0) == [(0.0, 25.0), (37.0, 140.0), (600.0, 612.0)]


def test_a_key_a_proportional_font_sets_a_words_space_from_its_name_is_split_only_where_the_table_needs_it() -> None:
    """In a proportional font (a sheet laid out by a browser in DejaVu Sans or Liberation Sans) the space after a
    key is the font's word space, as narrow as the ones between the name's words: "20 EL CAMBIO", blurred into
    one word, has three pieces a word space apart, and only the key's width tells where the key ends.

    Split so on every sheet, the first pieces of a header line at both margins could pass for a key; so only
    where the table is not found otherwise (`locate`). Scans of ten such sheets laid out by Chromium in each
    of the two fonts: every table lost (20 rows found, the run broken at "20 EL CAMBIO"); now every one found.
    """
    name = TextLine((_word(0.0, 140.0, ((0.0, 27.0), (36.0, 58.0), (66.0, 140.0))), _word(600.0, 612.0)))
    assert _spans(name, 27.0) is None  # its key's gap no wider than its name's: no space by the strict rule
    loose = _key_split(name, 27.0, loose=True)
    assert loose is not None
    assert [(word.x0, word.x1) for word in loose.words] == [(0.0, 27.0), (36.0, 140.0), (600.0, 612.0)]
    lone = TextLine((_word(0.0, 71.0, ((0.0, 27.0), (35.0, 71.0))), _word(600.0, 612.0)))
    assert _spans(lone, 27.0) == [(0.0, 27.0), (35.0, 71.0), (600.0, 612.0)]  # its only gap: a space either way

    located = locate(_proportional_table(), LAYOUT, 20.0)
    assert len(located) == 1
    assert [round(row.words[0].width) for row in located[0].rows] == [27] * LAYOUT.table.rows
    assert len(located[0].total_lines) == len(LAYOUT.totals)


def test_a_table_whose_keys_no_space_parts_from_their_names_is_still_lost_without_the_loose_split(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The same table with keys split only at a space wider than the name's: the run of rows breaks where a
    candidate's name stands on each side of such a row, and the table is not found."""
    strict = structure_module._ways
    monkeypatch.setattr(structure_module, "_ways", lambda *args, **kinds: strict(*args, loose=False))
    with pytest.raises(NotFound, match="table rows"):
        locate(_proportional_table(), LAYOUT, 20.0)


def test_keys_a_narrow_font_joins_to_their_names_are_cut_off_at_the_keys_width_on_every_row() -> None:
    """A narrow proportional font (Liberation Sans Narrow) sets a key a word space of a few pixels from its
    name, and a photo leaves no gap at all: most rows' first words are key and name in one piece, the rows
    found are too far apart to make a run, and only the keys' width says where each key ends (`locate`'s
    last resort, `everywhere`).

    Chromium-laid photos in Liberation Sans Narrow: 17 of 20 tables were lost (2 to 31 rows found); cut on
    every line at both margins, all 20 were read, 16 confirmed, every figure as printed.
    """
    lines: list[TextLine] = []
    for n in range(LAYOUT.table.rows + len(LAYOUT.totals)):
        y = 30.0 * n
        first = 27.0 if n % 5 == 0 else 27.0 + 8.0 + 60.0  # a key alone, or a key and its name in one piece
        start = 600.0 if n < LAYOUT.table.rows else 580.0  # a card's figure, or a total's
        words = (Word(0.0, y, first, y + 20.0, y + 10.0, None, ()), Word(start, y, 612.0, y + 20.0, y + 10.0, None, ()))
        lines.append(TextLine(words))
    with pytest.raises(NotFound, match="table rows"):
        locate(lines, LAYOUT, 20.0)
    located = locate(lines, LAYOUT, 20.0, everywhere=True)
    assert [round(row.words[0].width) for row in located[0].rows] == [27] * LAYOUT.table.rows


def _proportional_table() -> list[TextLine]:
    """`LAYOUT`'s table as a proportional font lays it out, and its totals: every sixth row has a name of several
    words, joined to its key by blur, with a candidate's name on the lines above and below it."""
    lines: list[TextLine] = []

    def line(*spans: tuple[float, float, tuple[tuple[float, float], ...]]) -> None:
        y = 30.0 * len(lines)
        lines.append(TextLine(tuple(Word(x0, y, x1, y + 20.0, y + 10.0, None, pieces) for x0, x1, pieces in spans)))

    for n in range(LAYOUT.table.rows):
        if n % 6 == 5:
            line((0.0, 90.0, ()), (100.0, 200.0, ()))  # a candidate's name
            line((0.0, 140.0, ((0.0, 27.0), (36.0, 58.0), (66.0, 140.0))), (600.0, 612.0, ()))
            line((0.0, 120.0, ()), (130.0, 210.0, ()))
        else:
            line((0.0, 27.0, ()), (36.0, 90.0, ()), (600.0, 612.0, ()))
    for _ in LAYOUT.totals:
        line((0.0, 150.0, ()), (580.0, 612.0, ()))
    return lines


def test_a_speck_stuck_before_a_key_is_left_out_and_a_narrow_one_is_not_a_speck() -> None:
    """The paper's edge, a few pixels left of a key, joined its word on hard photos: a 2-pixel first piece."""
    figure = _word(600.0, 612.0)
    specked = TextLine((_word(0.0, 60.0, ((0.0, 2.0), (8.0, 32.0), (45.0, 60.0))), figure))
    assert _spans(specked, 25.0) == [(8.0, 32.0), (45.0, 60.0), (600.0, 612.0)]
    alone = TextLine((_word(0.0, 34.0, ((0.0, 2.0), (8.0, 34.0))), figure))
    assert _spans(alone, 25.0) == [(8.0, 34.0), (600.0, 612.0)]
    # the first 1 of "11", joined to its name: a digit, a third of a key wide, is kept
    eleven = TextLine((_word(0.0, 80.0, ((0.0, 8.0), (14.0, 24.0), (36.0, 80.0))), figure))
    assert _spans(eleven, 24.0) == [(0.0, 24.0), (36.0, 80.0), (600.0, 612.0)]


def test_a_speck_a_letter_lost_between_key_and_name_does_not_hide_the_space() -> None:
    """Blur broke the left of COPEI's C off it (a 3-pixel piece 7 pixels past the key "15"): the space is from the
    key to the name's first solid piece, and the speck goes with the name.

    From a simulated hard photo seen from low down: the row was lost, and
    the table with it ("no 3 total lines after the table's 38 rows").
    """
    figure = _word(600.0, 612.0)
    copei = TextLine((_word(103.0, 210.0, ((103.0, 128.0), (135.0, 138.0), (143.0, 198.0), (203.0, 210.0))), figure))
    assert _spans(copei, 25.0) == [(103.0, 128.0), (135.0, 210.0), (600.0, 612.0)]
    # without the speck the gap, 7 pixels, is no space: a letter's gap, as in TO|TAL
    letters = TextLine((_word(103.0, 210.0, ((103.0, 128.0), (135.0, 198.0), (203.0, 210.0))), figure))
    assert _spans(letters, 25.0) is None


def test_the_keys_width_is_found_when_most_keys_are_joined_to_their_names() -> None:
    """Five keys joined to short names outnumber three alone: their first pieces still say how wide a key is."""
    figure = _word(600.0, 612.0)
    alone = [TextLine((_word(0.0, 24.0), _word(40.0, 90.0), figure)) for _ in range(3)]
    joined = [TextLine((_word(0.0, 55.0, ((0.0, 24.0), (38.0, 55.0))), figure)) for _ in range(5)]
    assert _key_width(alone + joined, 20.0) == 24.0


def test_the_keys_width_is_a_keys_when_its_digits_stand_apart_as_pieces() -> None:
    """A proportional font in a printer's cells sets a key's two digits apart: each a piece of the key's word,
    on wider keys only (narrower ones have no pieces). The digit's width must not win over the key's."""
    figure = _word(600.0, 612.0)
    wide = [
        TextLine((_word(0.0, w, ((0.0, 13.0), (21.0, w))), _word(50.0, 90.0), figure)) for w in (31, 32, 33, 34, 34)
    ]
    narrow = [TextLine((_word(0.0, width), _word(50.0, 90.0), figure)) for width in (27, 28, 29)]
    assert 27.0 <= (_key_width(wide + narrow, 19.0) or 0.0) <= 34.0  # 13 when a piece counted for its word


def _at(x0: float, x1: float, y: float, pieces: tuple[tuple[float, float], ...] = ()) -> Word:
    return Word(x0, y - 10.0, x1, y + 10.0, y, None, pieces)


def test_a_header_label_keeps_its_word_whole_when_only_rows_keep_keys_split() -> None:
    """A header line at both margins whose label has one gap (MES|A:) is split like a key joined to a name
    while rows are sought, and then joins the run of rows; once the table is placed below it, its label is
    whole again, or the label reads nowhere (a photo's "not found: mesa")."""
    label = _at(0.0, 70.0, 0.0, ((0.0, 27.0), (33.0, 70.0)))
    header = TextLine((label, _at(120.0, 132.0, 0.0), _at(560.0, 612.0, 0.0)))
    assert _key_split(header, 24.0) is not None  # the label's first piece is as wide as a key
    rows = [TextLine((_at(0.0, 24.0, y), _at(40.0, 90.0, y), _at(590.0, 612.0, y))) for y in range(40, 1180, 30)]
    totals = [TextLine((_at(0.0, 100.0, y), _at(590.0, 612.0, y))) for y in (1200.0, 1230.0, 1260.0)]
    found = locate([header, *rows, *totals], LAYOUT, 20.0)
    table = next(located for located in found if located.rows[0] is rows[0])
    assert [(word.x0, word.x1) for word in table.header_lines[0].words[:2]] == [(0.0, 70.0), (120.0, 132.0)]
    assert [line.words[0].x1 for line in table.rows] == [24.0] * LAYOUT.table.rows


def _column_table(anchor: str) -> list[TextLine]:
    """`LAYOUT`'s table and totals with figures of one to three digits (16 pixels each, letters 20 tall) standing
    in a column at `anchor`: flush right at 612, left-aligned at 500 or centred on 530."""
    lines = []
    for n in range(LAYOUT.table.rows + len(LAYOUT.totals)):
        y, width = 30.0 * n, 16.0 * (n % 3 + 1)
        x0 = {"right": 612.0 - width, "left": 500.0, "centre": 530.0 - width / 2}[anchor]
        start = (_at(0.0, 27.0, y), _at(36.0, 90.0, y)) if n < LAYOUT.table.rows else (_at(0.0, 150.0, y),)
        lines.append(TextLine((*start, _at(x0, x0 + width, y))))
    return lines


@pytest.mark.parametrize("anchor", ["right", "left", "centre"])
def test_figures_left_aligned_or_centred_in_their_column_hold_the_rows_as_flush_right_ones_do(
    anchor: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The figures' column is found at the anchor they are set by (their right ends, left ends or centres on a
    line), and only a right-aligned column says where a figure ends (`FigureColumn.flush`). Sought flush right
    only, left-aligned figures of one, two and three digits end a digit apart: a row in three stands at the
    margin, and the table is lost (centred ones end half a digit apart, within the margin's tolerance)."""
    lines = _column_table(anchor)
    [located] = locate(lines, LAYOUT, 20.0)
    assert located.figure_column.anchor == anchor
    assert located.rows == lines[: LAYOUT.table.rows]
    assert located.total_lines == lines[LAYOUT.table.rows :]
    flush = [located.figure_column.flush(row.words[-1], row.cy, 6.0) for row in located.rows]
    assert flush == [anchor == "right"] * LAYOUT.table.rows
    monkeypatch.setattr(structure_module, "ANCHORS", ("right",))
    if anchor == "left":
        with pytest.raises(NotFound, match="table rows"):
            locate(lines, LAYOUT, 20.0)
    else:
        assert locate(lines, LAYOUT, 20.0)[0].rows == located.rows


def _slanted(x0: float, x1: float, cx: float, cy: float, slope: float) -> Word:
    """A word 20 pixels tall whose line rises `slope` rows per column: its box is taller by the rise along it."""
    rise = abs(slope) * (x1 - x0)
    return Word(x0, cy - 10.0 - rise / 2, x1, cy + 10.0 + rise / 2, cy, slope if x1 - x0 > 30 else None)


def test_a_long_slanted_word_is_as_tall_as_its_letters_when_chained() -> None:
    """Perspective slants a name's box to four times its letters' height; the figure a row off is not its line's.

    Two rows 30 pixels apart, lines rising 0.3 rows a column: the next row's
    figure lies 30 pixels off the name's line, inside what half the slanted
    box's height allowed, and it is the nearer of the two figures.
    """
    slope, y_a, y_b = -0.3, 500.0, 530.0

    def at(y: float, x: float) -> float:
        return y + slope * (x - 112.0)

    words = [
        _slanted(100.0, 124.0, 112.0, y_a, slope),  # key A
        _slanted(140.0, 340.0, 240.0, at(y_a, 240.0), slope),  # a long name on row A
        _slanted(800.0, 824.0, 812.0, at(y_a, 812.0), slope),  # row A's figure
        _slanted(100.0, 124.0, 112.0, y_b, slope),  # key B
        _slanted(140.0, 200.0, 170.0, at(y_b, 170.0), slope),  # a short name on row B
        _slanted(799.0, 823.0, 811.0, at(y_b, 811.0), slope),  # row B's figure, a column nearer
    ]
    assert words[1].height == 80.0
    assert _chains(words, 20.0, SlopeField(slope, 0.0, 0.0)) == [[0, 1, 2], [3, 4, 5]]


@pytest.mark.parametrize(("gap_heights", "joined"), [(55.0, True), (MAX_GAP_HEIGHTS + 5.0, False)])
def test_a_figure_a_form_s_width_past_a_short_name_is_on_its_row(gap_heights: float, joined: bool) -> None:
    """A row's figure 55 text heights past its short name (a hard photo of a sheet Chromium set wider than a
    receipt measured 46 to 48) is chained to its key and name; past `MAX_GAP_HEIGHTS` it is a line of its own."""
    height, gap = 20.0, gap_heights * 20.0
    words = []
    for y in (500.0, 540.0):
        words += [
            _slanted(100.0, 124.0, 112.0, y, 0.0),  # key
            _slanted(140.0, 180.0, 160.0, y, 0.0),  # a short name
            _slanted(180.0 + gap, 204.0 + gap, 192.0 + gap, y, 0.0),  # the figure
        ]
    chains = sorted(_chains(words, height, SlopeField(0.0, 0.0, 0.0)))
    assert chains == ([[0, 1, 2], [3, 4, 5]] if joined else [[0, 1], [2], [3, 4], [5]])


def test_blocks_part_at_blank_columns_down_the_whole_frame_and_leave_specks_out() -> None:
    height = 20.0

    def row(y: float, *spans: tuple[float, float]) -> list[Word]:
        return [Word(x0, y, x1, y + height, y + height / 2, None) for x0, x1 in spans]

    # a sheet (its title across it; keys, names, figures), another's figures 2 text heights to its right, a
    # speck past them
    words = row(-40.0, (0, 540))
    for k in range(10):
        y = 40.0 * k
        words += row(y, (0, 40), (60, 300), (500, 540)) + row(y + 5, (580, 640))
    words += row(100.0, (700, 704))
    blocks = lines_module._blocks(words, height)
    assert [len(block) for block in blocks] == [31, 10]
    assert max(word.x1 for word in blocks[0]) == 540 and min(word.x0 for word in blocks[1]) == 580
    # a blank column that a line crosses anywhere down the frame parts nothing
    crossing = [*words, *row(400.0, (10, 600))]
    assert [len(block) for block in lines_module._blocks(crossing, height)] == [42]
