"""`integer_peaks`: results written to round percentages stand out; honest counts do not."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from testigo.forensics.integer_peaks import integer_peaks, integer_probability, near_integer
from tests.forensics.synthetic import synthetic_table


def test_exact_null_matches_binomial_resampling() -> None:
    rng = np.random.default_rng(0)
    sizes, rates = rng.integers(100, 900, 200), rng.random(200)
    rates[:2] = [0.0, 1.0]
    exact = integer_probability(sizes, rates, 0.1)
    resampled = near_integer(rng.binomial(sizes, rates, size=(20_000, 200)), sizes, 0.1).mean(axis=0)
    assert np.abs(exact - resampled).max() < 0.015 and exact[0] == exact[1] == 1.0


def test_honest_counts_show_no_excess() -> None:
    result = integer_peaks(synthetic_table(states=5, parishes=6, centers=8, mesas=4, seed=8))
    assert result.p_value is not None and result.p_value > 0.01


def test_planted_integer_turnout_is_detected() -> None:
    table = synthetic_table(states=5, parishes=6, centers=8, mesas=4, seed=8)
    votes = table.votes.copy()
    chosen = np.random.default_rng(1).choice(len(table), size=len(table) // 10, replace=False)
    for i in chosen:  # someone wrote 70% turnout: the first candidate gets whatever makes it so
        target = round(0.70 * table.registered[i]) - table.null_votes[i] - votes[i, 1:].sum()
        votes[i, 0] = max(target, 0)
    result = integer_peaks(replace(table, votes=votes))
    turnout = result.estimate["per_feature"]["turnout"]  # type: ignore[index]
    assert turnout["z"] > 4 and turnout["excess"] > 0.5 * len(chosen) * 0.8
    assert result.p_value is not None and result.p_value < 1e-3
    # the headline figures: the excess over the null and its significance, for the most significant feature
    assert result.estimate["feature"] == "turnout" and result.estimate["excess"] == turnout["excess"]
    assert result.estimate["p_value"] == turnout["p_value"] < 1e-3


def test_repeated_sizes_and_counts_share_one_computation() -> None:
    """Mesas are grouped by (size, count) for speed; each still gets its own exact probability."""
    from testigo.forensics.integer_peaks import _per_mesa

    rng = np.random.default_rng(3)
    sizes = rng.integers(100, 140, 5000)
    counts = rng.binomial(sizes, 0.6)
    assert np.array_equal(_per_mesa(sizes, counts, 0.1), integer_probability(sizes, counts / sizes, 0.1))
