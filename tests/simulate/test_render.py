"""The printed strip: figures in Font A where `fields` says, with or without a QR, on any printer."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import zxingcpp
from PIL import Image

from testigo.profiles import get_profile
from testigo.simulate.election import draw_sheets
from testigo.simulate.glyphs import text_ink
from testigo.simulate.render import VOTES_WIDTH, card_field, render_acta
from testigo.simulate.style import DEJAVU_SANS_MONO, HIRES, NARROW, STANDARD, PrintStyle

SHEETS = draw_sheets(3, seed=12)
PROFILE = get_profile("ve2024")
#: The narrowest printer a test uses: 24 columns, so party names must be cut.
TINY = PrintStyle(paper_mm=58.0, print_mm=48.0, columns=24)
STYLES = {
    "standard": STANDARD,
    "hires": HIRES,
    "narrow": NARROW,
    "tiny": TINY,
    "offset": PrintStyle(offset_mm=-3.0),
    "dejavu": PrintStyle(font=DEJAVU_SANS_MONO, offset_mm=1.5),
}
needs_dejavu = pytest.mark.skipif(
    not DEJAVU_SANS_MONO.exists(),
    reason=f"{DEJAVU_SANS_MONO} is absent (Debian: apt-get install fonts-dejavu-core)",
)


def _ink(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("L")) < 128


def _agreement(seen: np.ndarray, expected: np.ndarray) -> float:
    """Intersection over union of two ink masks (1 when both are blank)."""
    union = (seen | expected).sum()
    return float((seen & expected).sum() / union) if union else 1.0


def _style(name: str) -> PrintStyle:
    if name == "dejavu" and not DEJAVU_SANS_MONO.exists():
        pytest.skip(f"{DEJAVU_SANS_MONO} is absent (Debian: apt-get install fonts-dejavu-core)")
    return STYLES[name]


def test_every_figure_is_recorded_with_its_text() -> None:
    sheet = SHEETS[0]
    fields = render_acta(sheet, np.random.default_rng(0)).info["fields"]
    expected = {card_field(card.number): str(card.votes) for card in sheet.cards}
    expected |= {
        "valid_votes": str(sheet.valid_votes),
        "null_votes": str(sheet.null_votes),
        "total_votes": str(sheet.total_votes),
        "center": sheet.center_code,
        "mesa": str(sheet.mesa_number),
    }
    if sheet.registered is not None:
        expected["registered"] = str(sheet.registered)
    assert {name: field.text for name, field in fields.items()} == expected


def test_the_table_is_one_font_a_line_per_card_votes_flush_right() -> None:
    """Card number in columns 0-1, party from column 3, votes ending at the last column; candidates above."""
    sheet = SHEETS[1]
    image = render_acta(sheet, np.random.default_rng(1))
    ink, font_a = _ink(image), STANDARD.font_a
    left, right = image.info["print_box"]
    assert (left, right) == (STANDARD.left_margin, STANDARD.left_margin + 576)
    previous_bottom = 0
    for card in sheet.cards:
        x0, y0, x1, y1 = image.info["fields"][card_field(card.number)].box
        assert (x1, y1 - y0, x1 - x0) == (right, font_a.height, font_a.width * len(str(card.votes)))
        line = f"{card.number:02d} {card.party:<{48 - 3 - VOTES_WIDTH}}{card.votes:>{VOTES_WIDTH}}"
        assert _agreement(ink[y0:y1, left:right], text_ink(line, font_a)) > 0.98, line
        assert y0 > previous_bottom
        previous_bottom = y1
    first = image.info["fields"]["card_01"].box
    above = ink[first[1] - 4 - font_a.height : first[1] - 4, left:right]
    assert _agreement(above, text_ink("NICOLÁS MADURO".ljust(48), font_a)) > 0.98
    x0, y0, x1, y1 = image.info["table_box"]
    assert (x0, x1) == (left, right) and y0 < first[1] and y1 > previous_bottom


@pytest.mark.parametrize("name", list(STYLES))
def test_every_printer_puts_each_figure_in_its_box(name: str) -> None:
    style = _style(name)
    sheet = SHEETS[2]
    image = render_acta(sheet, np.random.default_rng(2), style=style)
    again = render_acta(sheet, np.random.default_rng(2), style=style)
    assert np.array_equal(np.asarray(image), np.asarray(again)), "same seed, same strip"
    assert image.width == style.paper_dots and image.info["dots_per_mm"] == style.dots_per_mm
    assert image.info["module_dots"] == style.qr_module_dots
    ink = _ink(image)
    for field_name, field in image.info["fields"].items():
        x0, y0, x1, y1 = field.box
        assert style.left_margin <= x0 < x1 <= style.left_margin + style.print_dots, field_name
        # (a finer head blurs more dots per millimetre of dot gain: the masks agree less, but only here)
        assert _agreement(ink[y0:y1, x0:x1], text_ink(field.text, style.font_a)) > 0.8, field_name
        half = style.font_a.height // 2  # and only there: half a line lower it no longer matches
        assert _agreement(ink[y0 + half : y1 + half, x0:x1], text_ink(field.text, style.font_a)) < 0.5, field_name
        # the figure stands alone: blank paper right of it (or the margin) and before it on its line
        assert not ink[y0:y1, x1 : x1 + style.font_a.width // 2].any(), field_name
    x0, y0, x1, y1 = image.info["qr_box"]
    pad = 4 * style.qr_module_dots
    [code] = zxingcpp.read_barcodes(image.crop((x0 - pad, y0 - pad, x1 + pad, y1 + pad)))
    assert code.text == sheet.payload


def test_a_narrow_printer_wraps_long_lines_and_cuts_party_names_never_votes() -> None:
    sheet = SHEETS[0]
    standard = render_acta(sheet, np.random.default_rng(3))
    narrow = render_acta(sheet, np.random.default_rng(3), style=TINY)
    assert narrow.height > standard.height, "wrapped header lines and a wrapped center name"
    ink, font_a = _ink(narrow), TINY.font_a
    left = TINY.left_margin
    index = next(i for i, card in enumerate(PROFILE.election.cards) if card.party == "ALIANZA DEL LAPIZ")
    card = sheet.cards[index]
    field = narrow.info["fields"][card_field(card.number)]
    party_width = TINY.columns - 3 - VOTES_WIDTH
    line = f"{card.number:02d} {card.party[: party_width - 1]:<{party_width}}{card.votes:>{VOTES_WIDTH}}"
    assert card.party[: party_width - 1] != card.party, "the name is too long for 24 columns"
    row = ink[field.box[1] : field.box[3], left : left + TINY.columns * font_a.width]
    assert _agreement(row, text_ink(line, font_a)) > 0.98
    assert field.text == str(card.votes)


def test_sin_qr_prints_the_same_figures_without_a_code() -> None:
    sheet = SHEETS[1]
    with_code = render_acta(sheet, np.random.default_rng(4))
    without = render_acta(sheet, np.random.default_rng(4), variant="sin_qr")
    assert "qr_box" not in without.info and "qr_modules" not in without.info
    assert without.info["fields"] == with_code.info["fields"]
    assert without.info["table_box"] == with_code.info["table_box"]
    assert without.info["module_dots"] == with_code.info["module_dots"] == 4
    assert zxingcpp.read_barcodes(without) == []
    assert without.height < with_code.height - with_code.info["qr_modules"] * 4
    # everything above the code is printed alike (the paper's tint drifts along the roll, the dots do not)
    top = with_code.info["qr_box"][1] - 16
    assert _agreement(_ink(without)[:top], _ink(with_code)[:top]) > 0.999


def test_printed_figures_follow_the_print_not_the_code() -> None:
    """A sheet whose print differs from its QR shows the printed counts and totals."""
    sheet = SHEETS[0]
    cards = tuple(card._replace(votes=card.votes + 100) if i == 0 else card for i, card in enumerate(sheet.cards))
    altered = dataclasses.replace(sheet, cards=cards, qr_figures=sheet.qr, printed_totals=(1, 2))
    fields = render_acta(altered, np.random.default_rng(5)).info["fields"]
    assert fields["card_01"].text == str(sheet.cards[0].votes + 100)
    assert (fields["valid_votes"].text, fields["total_votes"].text) == ("1", "2")
    assert altered.payload == sheet.payload and altered.counts == sheet.counts


def test_unknown_variant_and_impossible_printers_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown variant"):
        render_acta(SHEETS[0], np.random.default_rng(0), variant="pdf")
    with pytest.raises(ValueError, match="fit on the paper"):
        PrintStyle(print_mm=90.0)
    with pytest.raises(ValueError, match="off the paper"):
        PrintStyle(offset_mm=5.0)
    with pytest.raises(ValueError, match="16 columns"):
        PrintStyle(columns=8)


@needs_dejavu
def test_a_truetype_font_draws_its_own_accents() -> None:
    style = PrintStyle(font=DEJAVU_SANS_MONO)
    builtin = render_acta(SHEETS[0], np.random.default_rng(6))
    truetype = render_acta(SHEETS[0], np.random.default_rng(6), style=style)
    assert truetype.info["fields"] == builtin.info["fields"], "same cells, so the same boxes"
    assert not np.array_equal(_ink(truetype), _ink(builtin)), "but other glyphs"
    assert style.describe() == "80mm 8dpmm 48col DejaVuSansMono"
