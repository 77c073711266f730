"""MesaTable: built from the real 2024 results and registry, and from per-card counts."""

from __future__ import annotations

import numpy as np
import pytest

from testigo.domain.table import UNKNOWN, MesaTable
from testigo.profiles.ve2024 import ELECTION
from testigo.profiles.ve2024_data import load_registry, load_results


@pytest.fixture(scope="module")
def real() -> MesaTable:
    return MesaTable.from_results(load_results(), load_registry())


def test_from_results_has_geography_votes_and_unknown_registers(real: MesaTable) -> None:
    rows = load_results()
    assert len(real) == len(rows) == 24_560
    assert real.candidates[0] == "maduro" and "gonzalez" in real.candidates
    first = rows[0]
    assert real.mesa_ids[0] == first["mesa_id"]
    assert real.votes[0, real.index("gonzalez")] == first["gonzalez"] and real.null_votes[0] == first["null"]
    assert real.center_ids[0] == "010101001" and real.parish_ids[0] == "010101" and real.state_ids[0] == "01"
    # 28 mesas known only from the second table have no registered figure
    assert (real.registered == UNKNOWN).sum() == 28 and np.isnan(real.turnout[real.registered == UNKNOWN]).all()
    assert real.leaders()[:2] == ["gonzalez", "maduro"]
    assert real.main_candidates(0.05) == ["gonzalez", "maduro"]


def test_rows_round_trip_and_take(real: MesaTable) -> None:
    assert real.to_rows()[:50] == load_results()[:50]
    picked = real.take(np.array([5, 2]))
    assert picked.mesa_ids.tolist() == [real.mesa_ids[5], real.mesa_ids[2]]
    assert (picked.votes[1] == real.votes[2]).all() and picked.candidates == real.candidates


def test_from_cards_sums_cards_into_candidates() -> None:
    registry = load_registry()
    mesas = sorted(registry.mesas)[:2]
    cards = np.zeros((2, len(ELECTION.cards)), dtype=np.int64)
    cards[0, 0], cards[0, 1], cards[0, 35] = 100, 7, 200  # PSUV + PCV for Maduro, MUD for González
    cards[1, 34] = 50  # MPV, also for González
    table = MesaTable.from_cards(mesas, cards, np.array([3, 0]), ELECTION, registry)
    assert table.votes[0, table.index("maduro")] == 107 and table.votes[0, table.index("gonzalez")] == 200
    assert table.votes[1, table.index("gonzalez")] == 50 and table.total.tolist() == [310, 50]


def test_shapes_are_checked() -> None:
    ids = np.array(["a", "b"])
    with pytest.raises(ValueError, match="votes has shape"):
        MesaTable(
            ids,
            ids,
            ids,
            ids,
            np.ones(2, dtype=np.int64),
            np.ones((2, 3), dtype=np.int64),
            np.zeros(2, dtype=np.int64),
            ("x", "y"),
        )
    with pytest.raises(KeyError, match="not in the registry"):
        MesaTable.from_results([{"mesa_id": "999999999.01", "x": 1, "null": 0}], load_registry())
