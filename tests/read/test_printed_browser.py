"""The print reader on actas a browser laid out in proportional fonts: rendered independently of the simulator.

The simulator's printer sets every character in a fixed cell, whatever its
font. Chromium sets a key its font's word space from its name and each
letter as wide as itself (tests/read/html_acta.py); only the digits keep
one width, as tabular figures do in most fonts. The sheets are then
scanned by `testigo.simulate.degrade`, as the simulator's are.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from testigo.domain.layout import SheetLayout
from testigo.profiles import get_profile
from testigo.read.printed import font as font_module
from testigo.read.printed import lines as lines_module
from testigo.read.printed import reading as reading_module
from testigo.read.printed import structure as structure_module
from testigo.read.printed.figures import cross_check, rescue
from testigo.read.printed.reading import PrintNotRead, read_print
from testigo.simulate.browser import html_acta
from testigo.simulate.degrade import degrade_image
from testigo.simulate.election import draw_sheets
from testigo.simulate.render import card_field
from testigo.simulate.sheet import ActaSheet
from tests.web.test_browser import chromium  # noqa: F401 - a fixture, used by name

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LIBERATION_SANS = Path("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf")
LIBERATION_SANS_NARROW = Path("/usr/share/fonts/truetype/liberation/LiberationSansNarrow-Regular.ttf")
LIBERATION_SERIF_BOLD = Path("/usr/share/fonts/truetype/liberation/LiberationSerif-Bold.ttf")
DEJAVU_SANS = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
PROFILE = get_profile("ve2024")


def _layout(code: str) -> SheetLayout:
    return next(layout for layout in PROFILE.layouts() if layout.code == code)


@pytest.fixture(scope="module")
def page(chromium: Any) -> Iterator[Any]:  # noqa: F811 - the fixture imported above
    for font in (LIBERATION_SANS, LIBERATION_SANS_NARROW, LIBERATION_SERIF_BOLD, DEJAVU_SANS):
        if not font.exists():
            pytest.fail(f"{font} is missing: the test command installs fonts-liberation and fonts-dejavu-core")
    context = chromium.new_context(viewport={"width": 700, "height": 900})
    yield context.new_page()
    context.close()


def _degraded(
    page: Any,
    sheet: ActaSheet,
    font: Path,
    variant: str,
    seed: int,
    quality: str = "scan",
    *,
    leaders: bool = False,
    leading: float = 1.25,
    ruled: bool = False,
    figures: str = "right",
) -> np.ndarray:
    """`sheet` laid out by the browser in `font` (`leaders`: dotted from names to figures; `leading`: the lines'
    pitch in font sizes; `ruled`: a rule under each row; `figures`: how they stand in their column), scanned or
    photographed (`quality`) by the simulator, in gray."""
    acta = html_acta(page, sheet, font, variant=variant, leaders=leaders, leading=leading, ruled=ruled, figures=figures)
    image = degrade_image(acta, quality, np.random.default_rng(seed))
    gray = cv2.imdecode(np.frombuffer(image.data, np.uint8), cv2.IMREAD_GRAYSCALE)
    assert gray is not None
    return gray


def _without_the_ruled_framing(monkeypatch: pytest.MonkeyPatch) -> None:
    """`read_print` without its last resorts for ruled tables (`PageFrames.ruled` and `faint_ruled`), as a page
    with no text to frame so (neither is made)."""
    monkeypatch.setattr(reading_module.PageFrames, "ruled", None)
    monkeypatch.setattr(reading_module.PageFrames, "faint_ruled", None)


def _figures(sheet: ActaSheet) -> dict[str, int]:
    printed = sheet.printed
    cards = {card_field(card.number): card.votes for card in sheet.cards}
    return cards | {
        "valid_votes": printed.valid_votes,
        "null_votes": printed.null_votes,
        "total_votes": printed.total_votes,
    }


@pytest.mark.parametrize("font", [LIBERATION_SANS, DEJAVU_SANS], ids=["liberation-sans", "dejavu-sans"])
def test_a_sheet_a_browser_set_in_a_proportional_font_is_confirmed_figure_by_figure(page: Any, font: Path) -> None:
    for number, sheet in enumerate(draw_sheets(2, seed=31)):
        reading = read_print(_degraded(page, sheet, font, "qr", number), _layout("qr"), header=False)
        check = cross_check(reading, _figures(sheet))
        assert check.outcome == "confirmed", check.describe()
        assert len(check.comparisons) == 41


def test_a_sheet_a_browser_set_in_liberation_sans_without_a_code_is_rescued_exactly(page: Any) -> None:
    [sheet] = draw_sheets(1, seed=32)
    layout = _layout("none")
    reading = read_print(_degraded(page, sheet, LIBERATION_SANS, "sin_qr", 0), layout)
    rescued = rescue(reading, layout)
    assert rescued.certain, rescued.doubtful()
    assert rescued.values == _figures(sheet)
    assert reading.fields["center"].text == sheet.center_code
    assert reading.fields["mesa"].text == str(sheet.mesa_number)


def test_liberation_sans_needs_its_keys_split_at_a_word_space_and_its_digits_own_pitch(
    page: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Liberation Sans's letters are wider than its digits (the rows repeat at 0.9 text heights, its digits at
    0.7): cut at the rows' pitch, figures read 13 for 131 and 105 for 195. Its keys stand a word space from
    their names, no wider than the names' own spaces: split only at wider gaps, the table is not found."""
    sheets = draw_sheets(2, seed=31)
    grays = [_degraded(page, sheet, LIBERATION_SANS, "qr", number) for number, sheet in enumerate(sheets)]
    monkeypatch.setattr(font_module, "PROPORTIONAL", math.inf)
    checks = [
        cross_check(read_print(gray, _layout("qr"), header=False), _figures(sheet))
        for gray, sheet in zip(grays, sheets, strict=True)
    ]
    assert any(check.outcome != "confirmed" for check in checks)
    monkeypatch.undo()
    strict = structure_module._ways
    monkeypatch.setattr(structure_module, "_ways", lambda *args, **kinds: strict(*args, loose=False))
    for gray in grays:
        with pytest.raises(PrintNotRead, match="table rows"):
            read_print(gray, _layout("qr"), header=False)


def test_a_codeless_photo_in_liberation_sans_is_rescued_exactly_its_capitals_no_crease_its_label_split(
    page: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A phone photo blurs a proportional font's close-set capitals into runs inked in nearly every column:
    none is a crease, for no line runs unbroken through one. "ELECTORES:" and its value, a word space apart,
    are one word: the label is found where the word is split between its pieces."""
    [sheet] = draw_sheets(1, seed=33)
    gray = _degraded(page, sheet, LIBERATION_SANS, "sin_qr", 33, quality="photo")
    layout = _layout("none")
    creases: list[object] = []
    real = lines_module._crease

    def crease(*args: Any, **kinds: Any) -> object:
        creases.append(real(*args, **kinds))
        return creases[-1]

    monkeypatch.setattr(lines_module, "_crease", crease)
    reading = read_print(gray, layout)
    rescued = rescue(reading, layout)
    assert rescued.certain, rescued.doubtful()
    assert rescued.values == _figures(sheet)
    assert reading.fields["registered"].text == str(sheet.registered)
    assert creases and not any(creases)
    monkeypatch.setattr(lines_module, "CREASE_LINE", 0.5)  # the line may run anywhere within the letters
    creases.clear()
    read_print(gray, layout, header=False)
    assert any(creases)
    monkeypatch.undo()
    monkeypatch.setattr(reading_module, "_split_at_pieces", lambda lines: [])
    assert "registered" in read_print(gray, layout).missing


def test_a_photo_in_a_narrow_font_is_confirmed_with_its_keys_cut_off_at_their_width(
    page: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Liberation Sans Narrow's word space is a few pixels, gone in a photo: most rows are key and name in one
    piece, and the table is found only with every key cut off at the keys' width (`locate`'s `everywhere`)."""
    [sheet] = draw_sheets(1, seed=34)
    gray = _degraded(page, sheet, LIBERATION_SANS_NARROW, "qr", 34, quality="photo")
    check = cross_check(read_print(gray, _layout("qr"), header=False), _figures(sheet))
    assert check.outcome == "confirmed", check.describe()
    assert len(check.comparisons) == 41
    real = structure_module.locate
    monkeypatch.setattr(reading_module, "locate", lambda lines, layout, height, everywhere: real(lines, layout, height))
    with pytest.raises(PrintNotRead, match="table rows|card numbers"):
        read_print(gray, _layout("qr"), header=False)


def test_a_codeless_photo_in_a_narrow_font_is_rescued_its_keys_split_off_at_its_narrow_spaces(
    page: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Liberation Sans Narrow's word space is narrower than `PIECE_JOIN`: a key and its name were one piece
    ("07MEP"), no font model was learned from the keys, and some rows' keys went unproven. Split into pieces
    at a space after the key where no gap is a space wide (`NARROW_JOIN`), the keys teach the font and the
    sheet is read for certain."""
    [sheet] = draw_sheets(1, seed=36)
    gray = _degraded(page, sheet, LIBERATION_SANS_NARROW, "sin_qr", 36, quality="photo")
    layout = _layout("none")
    learned: list[object] = []
    real = reading_module.learn

    def learn(*args: Any) -> object:
        learned.append(real(*args))
        return learned[-1]

    monkeypatch.setattr(reading_module, "learn", learn)
    rescued = rescue(read_print(gray, layout), layout)
    assert rescued.certain, rescued.doubtful()
    assert rescued.values == _figures(sheet)
    assert learned and learned[-1] is not None
    monkeypatch.setattr(lines_module, "NARROW_JOIN", lines_module.PIECE_JOIN)
    learned.clear()
    assert not rescue(read_print(gray, layout), layout).certain
    assert learned and all(font is None for font in learned)


def test_a_codeless_photo_in_liberation_serif_bold_finds_the_label_its_wide_capitals_print(
    page: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Liberation Serif Bold's capitals are 1.3 digits wide: "ELECTORES:" spans 12.9 of the keys' pitch, more
    than `LABEL_SLACK` past its ten letters, and every such photo lost its registered voters. Counted up to
    `CAPS_WIDEST` digits a letter, the label is found and the sheet is rescued."""
    [sheet] = draw_sheets(1, seed=35)
    gray = _degraded(page, sheet, LIBERATION_SERIF_BOLD, "sin_qr", 35, quality="photo")
    layout = _layout("none")
    reading = read_print(gray, layout)
    rescued = rescue(reading, layout)
    assert rescued.certain, rescued.doubtful()
    assert rescued.values == _figures(sheet)
    assert reading.fields["registered"].text == str(sheet.registered)
    monkeypatch.setattr(reading_module, "CAPS_WIDEST", 1.0)
    assert "registered" in read_print(gray, layout).missing


def test_a_photo_of_a_sheet_with_dotted_leaders_from_names_to_figures_is_confirmed(
    page: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Dots from each party's name to its figure outnumber the letters (a median "text height" of 4 pixels) and
    join name, dots and figure into one word: no row was found. With the letters measured by their ink and the
    leaders erased, every figure reads as printed; left in, the table is not found (but by the last resort that
    takes a line along one row's letters for a rule, `PageFrames.ruled`)."""
    sheets = draw_sheets(2, seed=33)
    grays = [
        _degraded(page, sheet, LIBERATION_SANS, "qr", 40 + n, "photo", leaders=True) for n, sheet in enumerate(sheets)
    ]
    for gray, sheet in zip(grays, sheets, strict=True):
        check = cross_check(read_print(gray, _layout("qr"), header=False), _figures(sheet))
        assert check.outcome == "confirmed", check.describe()
        assert len(check.comparisons) == 41
    monkeypatch.setattr(lines_module, "_leaders", lambda *args: [])
    _without_the_ruled_framing(monkeypatch)
    with pytest.raises(PrintNotRead, match="table rows"):
        read_print(grays[0], _layout("qr"), header=False)


def test_a_hard_photo_of_a_table_ruled_under_each_row_is_confirmed_in_the_ruled_framing(
    page: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A table ruled under each row, photographed small and blurred: rows touch the rules above and below them,
    several rows are one run with their rules, and a rule under one row joins its name to the table's edge. In
    the ruled framing (`PageFrames.ruled`, a last resort) every figure reads as printed; without it, no way
    finds the table."""
    sheet = draw_sheets(9, seed=400)[8]
    gray = _degraded(page, sheet, LIBERATION_SANS, "qr", 408, "hard", ruled=True)
    check = cross_check(read_print(gray, _layout("qr"), header=False), _figures(sheet))
    assert check.outcome == "confirmed", check.describe()
    assert len(check.comparisons) == 41
    _without_the_ruled_framing(monkeypatch)
    with pytest.raises(PrintNotRead, match="table rows|card numbers"):
        read_print(gray, _layout("qr"), header=False)


def test_a_hard_photo_of_a_sheet_set_close_is_confirmed_with_its_touching_lines_cut_apart(
    page: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lines 1.05 font sizes apart, photographed small and blurred: a name's accent or tail touches the row
    above or below, and the two lines were one run, a "word" two lines tall or none. Cut at their seam
    (`lines._seam`), every figure reads as printed; not cut, the table is not found."""
    sheet = draw_sheets(19, seed=300)[18]
    gray = _degraded(page, sheet, LIBERATION_SANS, "qr", 318, "hard", leading=1.05)
    _confirmed_but_lost_without(gray, sheet, monkeypatch, "SEAM_HEIGHTS", 0.0)


def test_a_photo_of_a_sheet_set_solid_in_perspective_is_confirmed_with_its_lines_cut_along_their_slope(
    page: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lines one font size apart (set solid), photographed 13 degrees off: the frame's lines run some 4 degrees
    off its level, and two touching lines of unequal length make a run (227 by 49 pixels) whose own slope, level,
    is neither's. Its seam sought along other slopes (`lines.SEAM_SLOPE`), every figure reads as printed; along
    its own slope and level only, both lines were lost, and the table with them."""
    sheet = draw_sheets(40, seed=500)[28]
    gray = _degraded(page, sheet, DEJAVU_SANS, "qr", 628, "photo", leading=1.0)
    _confirmed_but_lost_without(gray, sheet, monkeypatch, "SEAM_SLOPE", 0.0)


@pytest.mark.parametrize("figures", ["left", "centre"])
def test_a_photo_whose_figures_stand_left_aligned_or_centred_in_a_column_is_confirmed(
    page: Any, monkeypatch: pytest.MonkeyPatch, figures: str
) -> None:
    """Figures set as a table cell or a tab stop sets them, left-aligned or centred in a column. Left-aligned,
    their right ends lie a digit or two apart, so no right margin holds the rows: at the anchor their column is
    set by (`structure.FigureColumn`) every figure reads as printed; sought flush right only, the table was
    lost. Centred ones end half a digit apart, within a right margin's tolerance, and read either way."""
    sheet = draw_sheets(1, seed=71)[0]
    gray = _degraded(page, sheet, LIBERATION_SANS, "qr", 71, "photo", figures=figures)
    check = cross_check(read_print(gray, _layout("qr"), header=False), _figures(sheet))
    assert check.outcome == "confirmed", check.describe()
    assert len(check.comparisons) == 41
    if figures == "left":
        monkeypatch.setattr(structure_module, "ANCHORS", ("right",))
        with pytest.raises(PrintNotRead, match="table rows|card numbers"):
            read_print(gray, _layout("qr"), header=False)


def test_figures_set_any_other_way_are_refused_before_anything_is_laid_out() -> None:
    """`html_acta` knows three ways to set the figures; a fourth is a caller's mistake, said before the page is
    touched (there is none here)."""
    with pytest.raises(ValueError, match="figures must be one of right, left, centre, not 'middle'"):
        html_acta(None, draw_sheets(1, seed=71)[0], LIBERATION_SANS, figures="middle")


def _confirmed_but_lost_without(
    gray: np.ndarray, sheet: ActaSheet, monkeypatch: pytest.MonkeyPatch, name: str, value: float
) -> None:
    """`sheet`'s photo `gray` confirmed figure by figure, all 41; with `lines.<name>` set to `value`, its
    table lost (the rows or their keys)."""
    check = cross_check(read_print(gray, _layout("qr"), header=False), _figures(sheet))
    assert check.outcome == "confirmed", check.describe()
    assert len(check.comparisons) == 41
    monkeypatch.setattr(lines_module, name, value)
    with pytest.raises(PrintNotRead, match="table rows|card numbers"):
        read_print(gray, _layout("qr"), header=False)
