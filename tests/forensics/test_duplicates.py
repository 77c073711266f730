"""`duplicates`: the same sheet filed as several mesas, by vote vector and by image hash."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from testigo.domain.table import MesaTable
from testigo.forensics.duplicates import duplicates, near_pairs
from testigo.profiles.ve2024_data import load_registry, load_results
from testigo.simulate.inject import inject
from tests.forensics.synthetic import synthetic_table


def test_planted_duplicate_flags_both_mesas_but_small_sheets_are_not_compared() -> None:
    table = synthetic_table(seed=4)
    votes = table.votes.copy()
    votes[7] = votes[30]
    votes[10], votes[11] = [5, 3, 1], [5, 3, 1]  # 9 votes: too small to mean anything
    result = duplicates(replace(table, votes=votes))
    assert {f.mesa for f in result.flagged} == {table.mesa_ids[7], table.mesa_ids[30]}
    assert all(f.score == 2 for f in result.flagged)
    assert f"as {table.mesa_ids[30]}" in next(f.reason for f in result.flagged if f.mesa == table.mesa_ids[7])


def test_per_card_vectors_tell_apart_equal_candidate_totals() -> None:
    table = synthetic_table(seed=5, candidates=("a", "b"))
    votes = table.votes.copy()
    votes[1] = votes[0]
    cards = np.column_stack([votes[:, 0], np.zeros(len(votes), dtype=np.int64), votes[:, 1]])
    cards[1, :2] = [cards[1, 0] - 3, 3]  # same candidate totals, spread over the cards differently
    by_cards = replace(table, votes=votes, cards=cards, card_candidate=np.array([0, 0, 1]))
    pair = {table.mesa_ids[0], table.mesa_ids[1]}
    assert pair <= {f.mesa for f in duplicates(replace(table, votes=votes)).flagged}
    assert not pair & {f.mesa for f in duplicates(by_cards).flagged}
    assert duplicates(by_cards).estimate["compared"] == "cards"


def test_near_pairs_match_brute_force_and_image_flags() -> None:
    rng = np.random.default_rng(0)
    hashes = rng.integers(0, 2**63, 400, dtype=np.uint64) * np.uint64(2) + rng.integers(0, 2, 400, dtype=np.uint64)
    hashes[5] = hashes[100] ^ np.uint64(0b1011)  # 3 bits apart
    hashes[6] = hashes[200]
    brute = {(i, j) for i in range(400) for j in range(i + 1, 400) if int(np.bitwise_count(hashes[i] ^ hashes[j])) <= 4}
    assert {tuple(p) for p in near_pairs(hashes, 4).tolist()} == brute >= {(5, 100), (6, 200)}
    table = synthetic_table(states=4, parishes=5, centers=5, mesas=4, seed=6)
    result = duplicates(replace(table, image_hashes=hashes))
    flagged = {f.mesa: f for f in result.flagged}
    assert flagged[table.mesa_ids[5]].score == 3 and flagged[table.mesa_ids[200]].score == 0
    assert result.estimate["image_pairs"] == len(brute)


def test_copied_actas_reach_full_recall_on_the_real_data() -> None:
    table = MesaTable.from_results(load_results(), load_registry())
    manipulated, injected = inject(table, "copy:0.02", seed=3)
    flagged = {f.mesa for f in duplicates(manipulated).flagged}
    assert len(injected) == 491 and all(mesa in flagged for mesa, _ in injected)
