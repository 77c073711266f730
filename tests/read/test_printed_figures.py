"""Deciding what a sheet's print says: against its QR code, or alone under its own arithmetic.

The fields here are stand-ins with chosen log-likelihoods, so each rule of
`testigo.read.printed.figures` is tested on its own; the whole reader is
tested on rendered sheets in tests/read/test_printed_sheets.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from testigo.domain.layout import SheetLayout
from testigo.read.printed import figures as figures_module
from testigo.read.printed.figures import ACCEPT_CONFIDENCE, Rescued, cross_check, rescue
from testigo.read.printed.reading import PrintNotRead, PrintReading
from tests.read.stand_ins import Field, reading, sure

LAYOUT = SheetLayout.from_json(
    """{"format": "testigo-layout/1", "name": "t", "code": "none",
        "table": {"rows": 3, "key": "{n:02d}", "field": "card_{n}"},
        "totals": [{"field": "valid_votes", "label": "V"}, {"field": "null_votes", "label": "N"},
                   {"field": "total_votes", "label": "T"}],
        "checks": [{"total": "valid_votes", "parts": ["card_*"]},
                   {"total": "total_votes", "parts": ["valid_votes", "null_votes"]}]}"""
)


def test_figures_that_read_as_the_code_agree_and_an_illegible_one_is_unclear_not_different() -> None:
    printed = reading(card_1=sure(5), card_2=sure(3), card_3=Field({"8": -2.0, "3": -2.5}))
    check = cross_check(printed, {"card_1": 5, "card_2": 3, "card_3": 3})
    assert [c.verdict for c in check.comparisons] == ["agrees", "agrees", "unclear"]
    assert check.outcome == "partial" and "not legible: card_3" in check.describe()


def test_a_figure_printed_otherwise_than_the_code_makes_a_mismatch_naming_both_values() -> None:
    printed = reading(card_1=sure(5), card_2=Field({"13": -0.01, "3": -30.0}))
    check = cross_check(printed, {"card_1": 5, "card_2": 3})
    assert check.outcome == "mismatch"
    assert check.describe() == "printed figures differ from the QR code: card_2 print 13, QR 3"


def test_the_sheets_own_font_alone_can_confirm_a_figure() -> None:
    printed = reading(card_1=Field({"7": -3.0, "1": -2.0}, font={"7": -1.0, "1": -25.0}))
    assert cross_check(printed, {"card_1": 7}).outcome == "confirmed"


def test_one_reader_alone_never_makes_a_mismatch() -> None:
    # the font model calls a blurred 0 a 9 (as it did on simulated hard photos); PP-OCR reads the 0
    printed = reading(card_1=Field({"0": -0.1, "9": -9.0}, font={"9": -50.0, "0": -80.0}))
    check = cross_check(printed, {"card_1": 0})
    assert check.outcome == "partial" and check.comparisons[0].verdict == "unclear"
    # both readers read a 9 where the code says 0: the print differs
    printed = reading(card_1=Field({"0": -12.0, "9": -0.1}, font={"9": -50.0, "0": -80.0}))
    assert (
        cross_check(printed, {"card_1": 0}).describe()
        == "printed figures differ from the QR code: card_1 print 9, QR 0"
    )


def test_two_readers_that_each_barely_read_another_value_do_not_accuse_the_sheet() -> None:
    # DejaVu's dotted zero, blurred: both readers call it an 8 (11.5 and 8.5 nats, as on a genuine hard photo)
    printed = reading(card_1=Field({"8": -0.01, "0": -8.5}, -200.0, font={"8": -1.0, "0": -12.5}))
    check = cross_check(printed, {"card_1": 0})
    assert check.outcome == "partial" and check.comparisons[0].verdict == "unclear"
    # about as far apart as the weakest altered sheet caught (53 nats together): the print differs
    printed = reading(card_1=Field({"8": -0.01, "0": -9.7}, -200.0, font={"8": -1.0, "0": -44.0}))
    assert cross_check(printed, {"card_1": 0}).outcome == "mismatch"


def test_readers_that_reject_the_code_but_read_different_values_leave_the_figure_unclear() -> None:
    # a blurred 3: PP-OCR sees a 1, the font a 5, both reject the 3 (a genuine simulated photo did this)
    printed = reading(card_1=Field({"1": -0.1, "3": -9.5, "5": -12.0}, font={"5": -70.0, "3": -150.0, "1": -130.0}))
    check = cross_check(printed, {"card_1": 3})
    assert check.outcome == "partial" and check.comparisons[0].verdict == "unclear"


def test_a_figure_the_photos_edge_may_cut_is_neither_a_mismatch_nor_agreement() -> None:
    # a 171 whose last digit the frame's edge cut off reads as 17, sharply, to both readers
    cut = Field({"17": -0.01, "171": -60.0}, font={"17": -1.0, "171": -90.0}, whole=False)
    check = cross_check(reading(card_1=sure(5), card_2=cut), {"card_1": 5, "card_2": 171})
    assert check.outcome == "partial" and not check.differing
    assert check.describe().endswith("at the photo's edge, a digit may be cut off: card_2")
    # one that reads as the code says does not confirm the sheet either: a digit past the edge is unseen
    check = cross_check(reading(card_1=Field({"171": -0.01}, font={"171": -0.01}, whole=False)), {"card_1": 171})
    assert check.outcome == "partial"
    # read alone, the sums are its witness: a sheet whose figures all add up is certain
    printed = reading(
        card_1=sure(5),
        card_2=sure(3),
        card_3=Field({"2": -0.01}, font={"2": -0.01}, whole=False),
        valid_votes=sure(10),
        null_votes=sure(1),
        total_votes=sure(11),
    )
    assert rescue(printed, LAYOUT).certain


def test_a_figure_not_proven_on_its_own_row_is_neither_a_mismatch_nor_certain() -> None:
    # a lost line shifted the row: it reads as another card's figure, sharply, to both readers
    shifted = Field({"1105": -0.01, "74": -60.0}, font={"1105": -1.0, "74": -90.0}, placed=False)
    check = cross_check(reading(card_1=sure(5), card_2=shifted), {"card_1": 5, "card_2": 74})
    assert check.outcome == "partial" and "not legible: card_2" in check.describe()
    unproven = Field({"3": -0.01}, font={"3": -0.01}, placed=False)
    printed = reading(
        card_1=sure(5), card_2=sure(3), card_3=unproven, valid_votes=sure(11), null_votes=sure(1), total_votes=sure(12)
    )
    rescued = rescue(printed, LAYOUT)
    assert rescued.arithmetic and rescued.values["card_3"] == 3
    assert not rescued.certain and rescued.doubtful() == ["card_3"]


def test_a_total_its_own_parts_refute_is_a_misread_not_a_mismatch() -> None:
    code = {"card_1": 5, "card_2": 3, "card_3": 2, "valid_votes": 10, "null_votes": 1, "total_votes": 11}
    cards = {"card_1": sure(5), "card_2": sure(3), "card_3": sure(2), "null_votes": sure(1), "total_votes": sure(11)}
    misread = reading(**cards, valid_votes=Field({"16": -0.01, "10": -30.0}, font={"16": -1.0, "10": -60.0}))
    check = cross_check(misread, code, LAYOUT.checks)
    assert check.outcome == "partial" and "not legible: valid_votes" in check.describe()
    # a card changed on the paper and its totals with it: the parts add up to the totals read, a mismatch
    altered = reading(
        card_1=sure(5),
        card_2=Field({"9": -0.01, "3": -30.0}, font={"9": -1.0, "3": -60.0}),
        card_3=sure(2),
        valid_votes=Field({"16": -0.01, "10": -30.0}, font={"16": -1.0, "10": -60.0}),
        null_votes=sure(1),
        total_votes=Field({"17": -0.01, "11": -30.0}, font={"17": -1.0, "11": -60.0}),
    )
    check = cross_check(altered, code, LAYOUT.checks)
    assert [c.field for c in check.differing] == ["card_2", "valid_votes", "total_votes"]
    # without the layout's arithmetic the misread total would have accused the sheet
    assert cross_check(misread, code).outcome == "mismatch"


def _positional(labelled: dict[str, Any] | None, **fields: Any) -> PrintReading:
    """A reading whose totals were placed by position; `labelled` what their labels find (None: no label reads)."""

    def by_labels() -> dict[str, Any]:
        if labelled is None:
            raise PrintNotRead("the total 'V' is not on the lines below the table")
        return labelled

    return PrintReading("t", fields, False, positional=TOTALS, labelled=by_labels)


TOTALS = ("valid_votes", "null_votes", "total_votes")
CODE = {"card_1": 5, "card_2": 3, "card_3": 2, "valid_votes": 10, "null_votes": 0, "total_votes": 10}
CARDS = {"card_1": sure(5), "card_2": sure(3), "card_3": sure(2)}


def test_totals_placed_by_position_that_all_agree_with_the_code_need_no_labels() -> None:
    labelled = {"valid_votes": sure(99), "null_votes": sure(99), "total_votes": sure(99)}
    printed = _positional(labelled, **CARDS, valid_votes=sure(10), null_votes=sure(0), total_votes=sure(10))
    check = cross_check(printed, CODE, LAYOUT.checks)
    assert check.outcome == "confirmed" and check.reading is printed  # the labels were never read


def test_totals_placed_by_position_are_found_by_their_labels_when_one_disagrees() -> None:
    # a line lost below the table: the null line's 0 sits where the valid total was expected, and so on
    shifted = {"valid_votes": sure(0), "null_votes": sure(10), "total_votes": sure(7)}
    labelled = {"valid_votes": sure(10), "null_votes": sure(0), "total_votes": sure(10)}
    check = cross_check(_positional(labelled, **CARDS, **shifted), CODE, LAYOUT.checks)
    assert check.outcome == "confirmed" and not check.reading.positional
    assert check.reading.fields["valid_votes"] is labelled["valid_votes"]
    # the labels find totals printed otherwise (9 null votes added, and the total): a mismatch naming both
    altered = {
        "valid_votes": sure(10),
        "null_votes": Field({"9": -0.01, "0": -30.0}, font={"9": -1.0, "0": -60.0}),
        "total_votes": Field({"19": -0.01, "10": -30.0}, font={"19": -1.0, "10": -60.0}),
    }
    check = cross_check(_positional(altered, **CARDS, **shifted), CODE, LAYOUT.checks)
    assert (
        check.describe()
        == "printed figures differ from the QR code: null_votes print 9, QR 0; total_votes print 19, QR 10"
    )


def test_totals_whose_labels_read_nowhere_are_unclear_and_the_cards_still_count() -> None:
    printed = _positional(None, **CARDS, valid_votes=sure(0), null_votes=sure(10), total_votes=sure(10))
    check = cross_check(printed, CODE, LAYOUT.checks)
    assert check.outcome == "partial" and not check.differing
    assert [c.field for c in check.unclear] == list(TOTALS)
    assert [c.verdict for c in check.comparisons[:3]] == ["agrees"] * 3


def test_a_sheet_mostly_illegible_accuses_nothing() -> None:
    blurred = Field({"8": -3.0, "3": -2.5})  # unclear: the readers cannot tell
    differs = Field({"13": -0.01, "3": -30.0}, font={"13": -1.0, "3": -60.0})
    legible = reading(card_1=sure(5), card_2=sure(3), card_3=sure(3), card_4=blurred, card_5=differs)
    code = {f"card_{i}": value for i, value in enumerate([5, 3, 3, 3, 3], start=1)}
    assert cross_check(legible, code).outcome == "mismatch"  # one unclear figure in five
    poor = reading(card_1=sure(5), card_2=blurred, card_3=blurred, card_4=blurred, card_5=differs)
    check = cross_check(poor, code)
    assert check.outcome == "partial" and not check.differing


def test_a_figure_the_sums_change_from_what_the_readers_read_is_proposed_never_accepted() -> None:
    split = Field({"6": -0.01, "5": -9.0}, font={"5": -40.0, "6": -60.0})  # PP-OCR 6, the font 5; 6 adds up
    totals = {"null_votes": sure(1), "total_votes": sure(15)}
    printed = reading(card_1=sure(5), card_2=sure(3), card_3=split, valid_votes=sure(14), **totals)
    rescued = rescue(printed, LAYOUT)
    # both readers together read 5; only the sums make it 6: the sheet's best guess, for a person to confirm
    # (on hard photos the sums bent around another figure both readers misread "corrected" right ones)
    assert rescued.arithmetic and rescued.values["card_3"] == 6 and rescued.corrected == ("card_3",)
    assert not rescued.certain and rescued.doubtful() == ["card_3"]
    # the valid votes not proven on their own row: the sums no longer pin card_3 on their own, a person decides
    unproven = Field({"14": -0.01}, font={"14": -0.01}, placed=False)
    printed = reading(card_1=sure(5), card_2=sure(3), card_3=split, valid_votes=unproven, **totals)
    rescued = rescue(printed, LAYOUT)
    assert rescued.values["card_3"] == 6 and not rescued.certain and "card_3" in rescued.doubtful()


def test_a_reader_that_only_prefers_another_figure_does_not_hold_the_sheet() -> None:
    def rescued_with(card_3: Field) -> Rescued:
        totals = {"valid_votes": sure(8), "null_votes": sure(1), "total_votes": sure(9)}
        return rescue(reading(card_1=sure(5), card_2=sure(3), card_3=card_3, **totals), LAYOUT)

    # a blurred 0 that PP-OCR reads as 8 by 2 nats, the font as 0 by 30: the sums make it 0, PP-OCR does not reject it
    rescued = rescued_with(Field({"8": -1.0, "0": -3.0}, font={"0": -1.0, "8": -31.0}))
    assert rescued.values["card_3"] == 0 and rescued.certain
    # the same cell where PP-OCR rejects the 0 by 10 nats: the font reads 0 and the sums, every other figure of
    # them certain, leave no other value; two witnesses against one settle it
    rescued = rescued_with(Field({"8": -1.0, "0": -11.0}, font={"0": -1.0, "8": -31.0}))
    assert rescued.values["card_3"] == 0 and rescued.certain


def test_figures_the_readers_split_on_that_the_sums_bear_out_are_not_certain_unless_their_cells_settle_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A font learned from a dotted zero it saw blurred reads every 0 of the sheet as 8 where PP-OCR reads 0: a
    card's 0 and the totals' last 0 read as 8 keep every sum (a browser-laid hard photo: 420 read as 428). Each
    cell barely favours the font (by 6.9, 0.4 and 4.4 nats together): no cell settles its own figure, and the sums,
    bent by the same confusion, are no witness. A person checks them."""
    card_3 = Field({"0": -0.1, "8": -5.2}, font={"8": -40.0, "0": -52.0})
    valid = Field({"14": -0.5, "8": -1.2, "16": -2.9}, font={"16": -10.0, "14": -12.8, "8": -19.4})
    total = Field({"9": -0.01, "17": -5.7}, font={"17": -10.0, "9": -20.1})
    printed = reading(
        card_1=sure(5), card_2=sure(3), card_3=card_3, valid_votes=valid, null_votes=sure(1), total_votes=total
    )
    rescued = rescue(printed, LAYOUT)
    assert (rescued.values["card_3"], rescued.values["valid_votes"], rescued.values["total_votes"]) == (8, 16, 17)
    assert not rescued.certain and {"valid_votes", "total_votes"} <= set(rescued.doubtful())
    monkeypatch.setattr(figures_module, "CONTESTED_MARGIN", 0.0)
    assert rescue(printed, LAYOUT).certain  # the sums alone would have accepted the three misreads
    # a split the cell settles (the font reads 0 by 40 nats, PP-OCR 8 by 5): certain as before
    monkeypatch.undo()
    settled = Field({"8": -0.1, "0": -5.1}, font={"0": -10.0, "8": -50.0})
    totals = {"valid_votes": sure(8), "null_votes": sure(1), "total_votes": sure(9)}
    assert rescue(reading(card_1=sure(5), card_2=sure(3), card_3=settled, **totals), LAYOUT).certain


def test_a_confident_dissent_the_sums_cannot_settle_holds_the_sheet_for_a_person() -> None:
    def rescued_with(**cards: Field) -> Rescued:
        totals = {"valid_votes": sure(8), "null_votes": sure(1), "total_votes": sure(9)}
        return rescue(reading(**{"card_1": sure(5), "card_2": sure(3), "card_3": sure(0), **totals, **cards}), LAYOUT)

    dissented = Field({"8": -1.0, "0": -11.0}, font={"0": -1.0, "8": -31.0})  # PP-OCR rejects the 0, the font reads it
    # two dissented figures in one sum: the sums fix only what they add up to
    rescued = rescued_with(card_3=dissented, card_2=Field({"8": -1.0, "3": -11.0}, font={"3": -1.0, "8": -31.0}))
    assert rescued.values["card_3"] == 0 and rescued.values["card_2"] == 3 and rescued.arithmetic
    assert set(rescued.doubtful()) == {"card_2", "card_3"}
    # a figure neither reader reads as its value is the sums' word alone: a person checks it
    rescued = rescued_with(card_3=Field({"8": -1.0, "0": -11.0}, font={"9": -1.0, "0": -12.0, "8": -31.0}))
    assert rescued.values["card_3"] == 0 and rescued.doubtful() == ["card_3"]
    # a figure the cards add up to in doubt itself (not proven on its own row): nothing settles card_3
    rescued = rescued_with(card_3=dissented, valid_votes=Field({"8": -0.01}, font={"8": -0.01}, placed=False))
    assert set(rescued.doubtful()) == {"card_3", "valid_votes"}


def test_zeros_a_sum_is_already_made_without_are_settled_however_many_and_wherever_read() -> None:
    def rescued_with(valid: Field | None = None, total: int = 6, **cards: Field) -> Rescued:
        totals = {"valid_votes": valid or sure(5), "null_votes": sure(1), "total_votes": sure(total)}
        return rescue(reading(**{"card_1": sure(5), **cards, **totals}), LAYOUT)

    zero = Field({"8": -1.0, "0": -11.0}, font={"0": -1.0, "8": -31.0})  # PP-OCR rejects the 0, the font reads it
    # card_1 alone makes the valid votes: the other two cards are 0, whatever PP-OCR says of either
    rescued = rescued_with(card_2=zero, card_3=zero)
    assert rescued.values == {**rescued.values, "card_2": 0, "card_3": 0} and rescued.certain
    # zeros whose rows' keys did not read: the sum leaves them 0 wherever their cells were
    unkeyed = Field({"0": -0.01}, font={"0": -0.01}, placed=False)
    assert rescued_with(card_2=unkeyed, card_3=unkeyed).certain
    # the same two rows unkeyed but reading 1 and 2 against a total of 8: the sum fixes only that they make 3
    one, two = (Field({n: -0.01}, font={n: -0.01}, placed=False) for n in "12")
    rescued = rescued_with(sure(8), 9, card_2=one, card_3=two)
    assert rescued.arithmetic and set(rescued.doubtful()) == {"card_2", "card_3"}
    # the total itself in doubt (not proven on its line): nothing is made without the zeros, nothing settles them
    rescued = rescued_with(Field({"5": -0.01}, font={"5": -0.01}, placed=False), card_2=zero, card_3=zero)
    assert {"card_2", "card_3"} <= set(rescued.doubtful())


def test_a_sheet_read_alone_is_certain_when_every_figure_is_and_the_sums_hold() -> None:
    printed = reading(
        card_1=sure(5), card_2=sure(3), card_3=sure(2), valid_votes=sure(10), null_votes=sure(1), total_votes=sure(11)
    )
    rescued = rescue(printed, LAYOUT)
    assert rescued.certain and rescued.arithmetic and rescued.corrected == ()
    assert rescued.values == {
        "card_1": 5,
        "card_2": 3,
        "card_3": 2,
        "valid_votes": 10,
        "null_votes": 1,
        "total_votes": 11,
    }


def test_one_misread_figure_is_corrected_by_the_arithmetic_but_not_trusted_blindly() -> None:
    # card_2 reads best as 8 (the print says 3): only 3 makes the cards add up to the valid votes
    printed = reading(
        card_1=sure(5),
        card_2=Field({"8": -0.5, "3": -1.5}),
        card_3=sure(2),
        valid_votes=sure(10),
        null_votes=sure(1),
        total_votes=sure(11),
    )
    rescued = rescue(printed, LAYOUT)
    assert rescued.values["card_2"] == 3 and rescued.corrected == ("card_2",) and rescued.arithmetic
    # other arrangements that keep the sums (card_1 and card_3 moved by 5) are implausible: card_2 is certain
    assert rescued.confidence["card_2"] >= ACCEPT_CONFIDENCE


def test_two_compensating_readings_leave_the_sheet_uncertain() -> None:
    # card_1 could be 5 or 6 and card_3 2 or 1, nearly as likely: both 5+3+2 and 6+3+1 make 10
    printed = reading(
        card_1=Field({"5": -0.7, "6": -0.7}),
        card_2=sure(3),
        card_3=Field({"2": -0.7, "1": -0.7}),
        valid_votes=sure(10),
        null_votes=sure(1),
        total_votes=sure(11),
    )
    rescued = rescue(printed, LAYOUT)
    assert rescued.arithmetic and not rescued.certain
    assert set(rescued.doubtful()) == {"card_1", "card_3"}


def test_figures_that_cannot_be_made_to_add_up_are_not_certain() -> None:
    printed = reading(
        card_1=sure(5), card_2=sure(3), card_3=sure(2), valid_votes=sure(40), null_votes=sure(1), total_votes=sure(11)
    )
    rescued = rescue(printed, LAYOUT)
    assert not rescued.arithmetic and not rescued.certain
    assert rescued.values["valid_votes"] == 40 and rescued.corrected == ()  # shown as read, for a person to fix
