"""`siblings`: a mesa unlike the rest of its center is flagged; honest centers are not."""

from __future__ import annotations

from dataclasses import replace

from testigo.domain.table import MesaTable
from testigo.forensics.siblings import siblings
from tests.forensics.synthetic import synthetic_table


def _stuff(table: MesaTable, i: int, candidate: int, amount: int) -> MesaTable:
    votes = table.votes.copy()
    votes[i, candidate] += amount
    return replace(table, votes=votes)


def test_honest_synthetic_election_has_almost_no_flags() -> None:
    table = synthetic_table(states=4, parishes=5, centers=6, mesas=4, seed=1)
    result = siblings(table)
    assert result.estimate["mesas_tested"] == len(table)
    assert len(result.flagged) <= 0.01 * len(table)


def test_planted_stuffed_mesa_is_flagged_with_a_small_q_value() -> None:
    table = synthetic_table(states=4, parishes=5, centers=6, mesas=4, seed=1)
    i = 41
    stuffed = _stuff(table, i, 1, int(0.15 * table.registered[i]))
    result = siblings(stuffed)
    flag = next(f for f in result.flagged if f.mesa == table.mesa_ids[i])
    assert flag.score < 1e-4 and "center's other mesas" in flag.reason
    assert result.p_value is not None and result.p_value <= flag.score


def test_odd_pair_flags_both_and_lone_mesa_is_compared_with_its_parish() -> None:
    pairs = synthetic_table(states=3, parishes=4, centers=8, mesas=2, seed=2)
    switched = _stuff(pairs, 10, 0, 120)
    flagged = {f.mesa: f.reason for f in siblings(switched).flagged}
    assert {pairs.mesa_ids[10], pairs.mesa_ids[11]} <= set(flagged)
    assert "center's other mesa " in flagged[pairs.mesa_ids[10]]

    alone = synthetic_table(states=3, parishes=4, centers=10, mesas=1, seed=2)
    result = siblings(_stuff(alone, 3, 1, 400))
    assert result.estimate["mesas_by_reference"] == {"center": 0, "pair": 0, "parish": len(alone)}
    assert any(f.mesa == alone.mesa_ids[3] and "parish" in f.reason for f in result.flagged)


def test_mesa_without_registered_is_still_tested_on_shares() -> None:
    table = synthetic_table(seed=7)
    registered = table.registered.copy()
    registered[0] = -1
    result = siblings(replace(table, registered=registered))
    assert result.estimate["mesas_tested"] == len(table)
    extra = result.estimate["extra_sd_between_mesas"]
    assert isinstance(extra, dict) and extra["turnout"]["center"] > 0
