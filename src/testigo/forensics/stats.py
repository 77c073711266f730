"""Small statistical building blocks shared by the tests."""

from __future__ import annotations

import numpy as np
from scipy import stats

#: Turns a median absolute deviation into a standard deviation for normal data.
MAD_TO_SD = 1.4826


def q_values(p: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (q-values); NaN entries stay NaN and do not count.

    Flagging every q <= alpha keeps the expected share of false flags among all
    flags at most alpha (Benjamini & Hochberg 1995), which is what matters when
    thousands of mesas are tested at once.
    """
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    tested = ~np.isnan(p)
    if tested.any():
        out[tested] = stats.false_discovery_control(p[tested], method="bh")
    return out


def simes(p: np.ndarray) -> float | None:
    """One p-value for a family of tests: Simes' combination, min_i(m p_(i) / i).

    It equals the smallest Benjamini–Hochberg q-value of the family, so a family
    is "significant at alpha" exactly when at least one of its members is
    discovered by BH at alpha. None when no member could be tested.
    """
    q = q_values(p)
    return float(np.nanmin(q)) if np.isfinite(q).any() else None


def robust_z(x: np.ndarray) -> np.ndarray:
    """(x - median) / (1.4826 MAD), ignoring NaN; a scale of 0 gives NaN.

    Used as an empirical null (Efron 2004): the bulk of the values defines what
    "normal" looks like, so genuine heterogeneity does not turn into flags and a
    few extreme values cannot hide themselves by inflating a standard deviation.
    """
    center = np.nanmedian(x)
    scale = MAD_TO_SD * np.nanmedian(np.abs(x - center))
    if not scale > 0:
        return np.full(np.shape(x), np.nan)
    z: np.ndarray = (x - center) / scale
    return z


def two_sided_p(z: np.ndarray) -> np.ndarray:
    """Two-sided normal p-value of z (NaN stays NaN)."""
    p: np.ndarray = 2.0 * stats.norm.sf(np.abs(z))
    return p


def chi_square_gof(observed: np.ndarray, expected_probs: np.ndarray) -> tuple[float, float, float]:
    """Pearson goodness of fit: (chi2, p-value, Cohen's w = sqrt(chi2 / n)).

    Cohen's w is the effect size: with tens of thousands of counts even a
    negligible deviation gets a tiny p-value, so w says whether it is large
    (about 0.1 small, 0.3 medium, 0.5 large).
    """
    n = observed.sum()
    expected = n * expected_probs
    chi2 = float(((observed - expected) ** 2 / expected).sum())
    p = float(stats.chi2.sf(chi2, len(observed) - 1))
    return chi2, p, float(np.sqrt(chi2 / n))


def group_medians(values: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Median of each group 0..n_groups-1 (NaN values take no part; NaN for a group without values)."""
    medians = np.full(n_groups, np.nan)
    order, sorted_values, start, size, _ = _sort_within_groups(values, groups)
    low, high = start + (size - 1) // 2, start + size // 2
    medians[groups[order]] = (sorted_values[low] + sorted_values[high]) / 2
    return medians


def leave_one_out_median(values: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each entry, the median of the *other* entries of its group, and how many there are.

    NaN values take no part (and get NaN); an entry alone in its group gets NaN
    and 0. Leaving the entry out matters in small groups: a stuffed mesa in a
    center of three would otherwise pull the reference towards itself.
    Vectorised: one sort by (group, value), then each leave-one-out median is
    read off the sorted group at a rank shifted past the removed entry.
    """
    median = np.full(len(values), np.nan)
    others = np.zeros(len(values), dtype=np.int64)
    order, sorted_values, start, size, rank = _sort_within_groups(values, groups)
    remaining = size - 1
    alone = remaining == 0

    def kth_of_others(k: np.ndarray) -> np.ndarray:
        position = start + k + (k >= rank)
        return sorted_values[np.where(alone, start, position)]

    mid = (kth_of_others((remaining - 1) // 2) + kth_of_others(remaining // 2)) / 2
    median[order] = np.where(alone, np.nan, mid)
    others[order] = remaining
    return median, others


def _sort_within_groups(
    values: np.ndarray, groups: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Non-NaN entries sorted by (group, value): their positions, values, group start, group size, rank."""
    present = np.flatnonzero(~np.isnan(values))
    order = present[np.lexsort((values[present], groups[present]))]
    sorted_groups = groups[order]
    starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]]) if len(order) else order
    sizes = np.diff(np.r_[starts, len(order)])
    start, size = np.repeat(starts, sizes), np.repeat(sizes, sizes)
    return order, values[order], start, size, np.arange(len(order)) - start
