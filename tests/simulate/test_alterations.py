"""Altered actas: one card changed on one medium, as a forger would, and shown on the print."""

from __future__ import annotations

import numpy as np
import pytest
import zxingcpp

from testigo.profiles import get_profile
from testigo.simulate.alterations import alter_print, alter_qr
from testigo.simulate.election import draw_sheets
from testigo.simulate.render import card_field, render_acta

PROFILE = get_profile("ve2024")
SHEETS = [s for s in draw_sheets(40, seed=14) if max(s.counts) >= 20][:20]


def _one_card_apart(a: tuple[int, ...], b: tuple[int, ...]) -> int:
    [index] = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    return index


@pytest.mark.parametrize("room", [0, 15, 500])
def test_a_print_alteration_changes_one_big_card_plausibly(room: int) -> None:
    rng = np.random.default_rng(room)
    for sheet in SHEETS:
        forged, alteration = alter_print(sheet, room, rng)
        index = _one_card_apart(forged.printed.counts, sheet.printed.counts)
        assert alteration.card == index + 1 and alteration.kind == "print_altered"
        assert (alteration.genuine, alteration.altered) == (sheet.printed.counts[index], forged.printed.counts[index])
        biggest = sorted(sheet.counts, reverse=True)[:3]
        assert alteration.genuine in biggest
        assert 0 <= alteration.altered <= alteration.genuine + max(room, 1)
        if alteration.change == "digit":
            before, after = str(alteration.genuine), str(alteration.altered)
            assert len(before) == len(after) and sum(x != y for x, y in zip(before, after, strict=True)) == 1
        else:
            assert alteration.change == f"{alteration.altered - alteration.genuine:+d}"
            assert 1 <= abs(alteration.altered - alteration.genuine) <= 200
        # the code still carries the genuine figures; the totals follow the change or stay genuine
        assert forged.payload == sheet.payload and forged.qr == sheet.qr
        expected_valid = sum(forged.printed.counts) if alteration.totals_follow else sheet.printed.valid_votes
        assert forged.printed.valid_votes == expected_valid
        assert forged.printed.total_votes == expected_valid + sheet.null_votes


def test_both_ways_of_changing_and_both_totals_occur() -> None:
    rng = np.random.default_rng(1)
    alterations = [alter_print(sheet, 300, rng)[1] for sheet in SHEETS * 3]
    assert {a.change == "digit" for a in alterations} == {True, False}
    assert {a.totals_follow for a in alterations} == {True, False}
    assert {a.altered > a.genuine for a in alterations} == {True, False}


def test_a_code_alteration_changes_only_the_code() -> None:
    rng = np.random.default_rng(2)
    for sheet in SHEETS:
        forged, alteration = alter_qr(sheet, 40, PROFILE, rng)
        record = PROFILE.parse(forged.payload)
        assert record.counts == forged.qr.counts == forged.counts
        index = _one_card_apart(forged.qr.counts, sheet.qr.counts)
        assert alteration.card == index + 1 and alteration.totals_follow is None
        assert forged.printed == sheet.printed, "the print is the genuine one"
        assert forged.qr.valid_votes == sum(forged.qr.counts)
        assert forged.qr.total_votes - sheet.qr.total_votes <= 40


def test_the_altered_figure_is_what_the_strip_shows() -> None:
    sheet = SHEETS[0]
    forged, alteration = alter_print(sheet, 100, np.random.default_rng(3))
    image = render_acta(forged, np.random.default_rng(4))
    fields = image.info["fields"]
    assert fields[card_field(alteration.card)].text == str(alteration.altered) != str(alteration.genuine)
    assert fields["valid_votes"].text == str(forged.printed.valid_votes)
    [code] = zxingcpp.read_barcodes(image)
    assert code.text == sheet.payload
