"""Drawn elections: real per-candidate results, well-formed payloads, reproducible from the seed."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from testigo.profiles import CheckContext, get_profile
from testigo.profiles.ve2024_data import load_results
from testigo.simulate.election import draw_sheets, split_votes

PROFILE = get_profile("ve2024")
REGISTRY = PROFILE.load_registry()
RESULTS = {str(row["mesa_id"]): row for row in load_results()}


def test_card_splits_sum_to_the_real_results_of_each_candidate() -> None:
    for sheet in draw_sheets(200, seed=1):
        real = RESULTS[sheet.mesa_id]
        by_candidate = PROFILE.election.per_candidate(sheet.counts)
        assert by_candidate == {c.key: real[c.key] for c in PROFILE.election.candidates}
        assert sheet.null_votes == real["null"]
        assert sheet.total_votes == sum(by_candidate.values()) + sheet.null_votes


def test_payload_parses_back_to_the_sheet() -> None:
    for sheet in draw_sheets(50, seed=2):
        record = PROFILE.parse(sheet.payload)
        assert record.counts == sheet.counts
        assert (record.acta_id, record.mesa_id, record.null_votes) == (sheet.acta_id, sheet.mesa_id, sheet.null_votes)
        assert record.flags == ()
        assert len(sheet.cards) == 38 and [c.number for c in sheet.cards] == list(range(1, 39))


def test_sheets_carry_the_registry_geography() -> None:
    for sheet in draw_sheets(20, seed=3):
        mesa = REGISTRY.mesas[sheet.mesa_id]
        assert sheet.center_code == mesa.center_id and sheet.mesa_number == mesa.number
        assert sheet.registered == mesa.registered
        assert [a.name for a in REGISTRY.ancestors(mesa.center_id)] == [
            sheet.center_name,
            sheet.parish,
            sheet.municipality,
            sheet.state,
        ]


def test_every_genuine_sheet_passes_validation_even_with_its_whole_center() -> None:
    """A genuine acta must never be rejected by the registry checks, whatever else of its center arrived."""
    sheets = draw_sheets(2000, seed=4)
    center_totals: dict[str, int] = defaultdict(int)
    for sheet in sheets:
        center_totals[sheet.center_code] += sheet.total_votes
    for sheet in sheets:
        record = PROFILE.parse(sheet.payload)
        elsewhere = center_totals[sheet.center_code] - sheet.total_votes
        assert PROFILE.check(record, CheckContext(REGISTRY, elsewhere)) == [], sheet.mesa_id


def test_same_seed_same_sheets_and_a_prefix_for_fewer() -> None:
    assert draw_sheets(30, seed=5) == draw_sheets(30, seed=5)
    assert draw_sheets(30, seed=5)[:10] == draw_sheets(10, seed=5)
    assert draw_sheets(10, seed=5) != draw_sheets(10, seed=6)
    mesas = [s.mesa_id for s in draw_sheets(500, seed=7)]
    assert len(set(mesas)) == 500


def test_split_looks_like_the_machine_s_cards() -> None:
    """Most of Maduro's votes on PSUV, most of González's on MUD, the allies non-empty somewhere."""
    rng = np.random.default_rng(0)
    psuv = mud = maduro = gonzalez = 0
    allies = np.zeros(38, dtype=int)
    for _ in range(300):
        counts = split_votes(PROFILE, {"maduro": 200, "gonzalez": 300}, rng)
        assert sum(counts[:13]) == 200 and sum(counts[33:36]) == 300 and sum(counts) == 500
        psuv, mud, maduro, gonzalez = psuv + counts[0], mud + counts[35], maduro + 200, gonzalez + 300
        allies += np.array(counts) > 0
    assert 0.7 < psuv / maduro < 0.9
    assert 0.8 < mud / gonzalez < 0.97
    assert (allies[:13] > 0).all() and (allies[33:36] > 0).all()
