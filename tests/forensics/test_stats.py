"""The shared statistical helpers against brute force."""

from __future__ import annotations

import numpy as np
from scipy import stats as scipy_stats

from testigo.forensics.stats import group_medians, leave_one_out_median, q_values, robust_z, simes


def test_leave_one_out_and_group_medians_match_brute_force() -> None:
    rng = np.random.default_rng(0)
    values = rng.normal(size=300)
    values[rng.random(300) < 0.1] = np.nan
    groups = rng.integers(0, 40, 300)
    median, others = leave_one_out_median(values, groups)
    medians = group_medians(values, groups, 41)
    for g in range(41):
        present = values[(groups == g) & ~np.isnan(values)]
        assert np.isnan(medians[g]) if not len(present) else np.isclose(medians[g], np.median(present))
    for i in range(300):
        if np.isnan(values[i]):
            assert np.isnan(median[i]) and others[i] == 0
            continue
        rest = values[(groups == groups[i]) & ~np.isnan(values) & (np.arange(300) != i)]
        assert others[i] == len(rest)
        assert np.isnan(median[i]) if not len(rest) else np.isclose(median[i], np.median(rest))


def test_q_values_skip_nan_and_simes_is_the_smallest() -> None:
    p = np.array([0.01, np.nan, 0.04, 0.03, 0.5])
    q = q_values(p)
    assert np.isnan(q[1])
    assert np.allclose(q[[0, 2, 3, 4]], scipy_stats.false_discovery_control([0.01, 0.04, 0.03, 0.5]))
    assert simes(p) == np.nanmin(q) and simes(np.array([np.nan])) is None


def test_robust_z_ignores_outliers() -> None:
    x = np.r_[np.random.default_rng(1).normal(10, 2, 1000), [1000.0]]
    z = robust_z(x)
    assert abs(np.median(z)) < 1e-9 and 0.9 < np.median(np.abs(z)) / 0.6745 < 1.1 and z[-1] > 100
