"""Digit tests: a Benford-conforming sample passes; invented last digits do not."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from testigo.domain.table import MesaTable
from testigo.forensics.digits import BENFORD2, BENFORD2_MEAN, benford2, last_digit, second_digit


def _table(counts: np.ndarray) -> MesaTable:
    """One candidate 'a' with the given counts, a second one with as many, registers large enough."""
    n = len(counts)
    ids = np.array([f"m{i}" for i in range(n)])
    votes = np.column_stack([counts, counts[::-1]]).astype(np.int64)
    return MesaTable(ids, ids, ids, ids, votes.sum(axis=1) * 2, votes, np.zeros(n, dtype=np.int64), ("a", "b"))


def _benford_counts(n: int, seed: int) -> np.ndarray:
    """Counts whose logarithm is uniform over whole decades (100 to 9,999): Benford in the second digit and,
    being large and smooth at the scale of 10, uniform in the last."""
    return np.floor(10 ** np.random.default_rng(seed).uniform(2, 4, n)).astype(np.int64)


def test_second_digit_and_the_2bl_constants() -> None:
    assert second_digit(np.array([10, 19, 123, 4567, 98])).tolist() == [0, 9, 2, 5, 8]
    assert np.isclose(BENFORD2.sum(), 1) and round(BENFORD2_MEAN, 3) == 4.187


def test_benford_conforming_sample_is_not_flagged() -> None:
    table = _table(_benford_counts(5000, seed=1))
    result = benford2(table)
    assert result.p_value is not None and result.p_value > 0.01
    detail = result.estimate["per_candidate"]["a"]  # type: ignore[index]
    assert abs(detail["mean_difference"]) < 0.1 and detail["cohens_w"] < 0.05
    p = last_digit(table).p_value
    assert p is not None and p > 0.01


def test_invented_counts_fail_last_digit_and_uniform_counts_fail_2bl() -> None:
    counts = _benford_counts(3000, seed=2)
    invented = counts - counts % 5  # a person rounding to 0 and 5
    result = last_digit(_table(invented))
    assert result.p_value is not None and result.p_value < 1e-10
    assert result.estimate["per_candidate"]["a"]["cohens_w"] > 0.5  # type: ignore[index]
    # counts of similar size (all between 100 and 199) break 2BL for honest reasons: the caveat's point
    similar = np.random.default_rng(3).integers(100, 200, 3000)
    p = benford2(_table(similar)).p_value
    assert p is not None and p < 1e-4


def test_minor_candidates_are_not_tested() -> None:
    counts = _benford_counts(2000, seed=4)
    table = _table(counts)
    votes = table.votes.copy()
    votes[:, 1] = np.minimum(votes[:, 1], 12)  # 'b' now has a tiny share
    result = benford2(replace(table, votes=votes))
    assert list(result.estimate["per_candidate"]) == ["a"]  # type: ignore[call-overload]


def _last_digit_detail(counts: np.ndarray) -> tuple[object, dict[str, dict[str, float]]]:
    result = last_digit(_table(counts))
    return result, result.estimate["per_candidate"]  # type: ignore[return-value]


def test_last_digit_mean_test_on_uniform_digits_is_not_flagged() -> None:
    counts = np.random.default_rng(5).integers(10, 1000, 4000)  # last digits uniform on 0-9
    result, per_candidate = _last_digit_detail(counts)
    assert result.p_value is not None and result.p_value > 0.05  # type: ignore[attr-defined]
    assert result.estimate["expected_mean"] == 4.5  # type: ignore[attr-defined]
    for detail in per_candidate.values():
        assert abs(detail["mean"] - 4.5) < 0.15 and abs(detail["mean_effect"]) < 0.05
        assert detail["q_chi2"] > 0.05 and detail["q_mean"] > 0.05 and detail["p_mean"] > 0.01


def test_last_digits_biased_to_0_and_5_fail_both_the_chi_square_and_the_mean_test() -> None:
    counts = np.random.default_rng(6).integers(10, 1000, 3000)
    rounded = counts - counts % 5  # a person rounding to 0 and 5: mean last digit 2.5
    result, per_candidate = _last_digit_detail(rounded)
    detail = per_candidate["a"]
    assert abs(detail["mean"] - 2.5) < 0.15 and detail["mean_difference"] < -1.8
    assert detail["z_mean"] < -30 and detail["mean_effect"] < -0.6
    assert detail["q_chi2"] < 1e-10 and detail["q_mean"] < 1e-10 and detail["cohens_w"] > 0.5
    # false-discovery control: the family's p-value is the smallest q-value over both tests of every member
    q = [d[name] for d in per_candidate.values() for name in ("q_chi2", "q_mean")]
    assert result.p_value == min(q) and len(q) == 2 * len(per_candidate)  # type: ignore[attr-defined]


def test_last_digit_mean_test_misses_a_bias_that_keeps_the_mean_the_chi_square_does_not() -> None:
    counts = np.random.default_rng(7).integers(10, 1000, 3000)
    extremes = counts - counts % 10 + np.where(counts % 2 == 0, 0, 9)  # only 0 and 9: mean 4.5, as the caveat says
    _, per_candidate = _last_digit_detail(extremes)
    detail = per_candidate["a"]
    assert detail["q_chi2"] < 1e-10
    assert detail["p_mean"] > 0.01 and abs(detail["mean_effect"]) < 0.05
