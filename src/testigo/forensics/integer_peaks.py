"""Test `integer_peaks`: too many mesas at round percentages.

Kobak, Shpilkin & Pshenichnikov (2016, "Integer percentages as electoral
falsification fingerprints", Annals of Applied Statistics 10:54) found that in
Russian elections turnout and the winner's share landed on whole percentages
(70%, 75%, 80%...) far more often than counting allows: results written to meet
a target rather than counted. Here, for turnout and each main candidate's
share, the number of mesas whose percentage lies within `tolerance` points of
an integer is compared with what honest counting gives for these very mesas:
the binomial resampling null, in which each mesa's count is redrawn from a
binomial with its own size and observed rate. The null keeps the mix of mesa
sizes (a mesa of 50 voters lands on an integer percentage every other vote)
that a flat "1 in 10" rule would ignore. Rather than redraw many times, the
null is computed exactly — it is what infinitely many redraws converge to:
under it the count is a sum of independent indicators, each true with the
binomial probability pi_i of landing near an integer, so its mean is sum(pi_i)
and its variance sum(pi_i (1 - pi_i)).

Reported per feature: the observed count, the null mean, `excess` (observed -
expected, in mesas) and `excess_ratio`, z = excess / null sd and a one-sided
normal p-value (a sum of thousands of independent indicators). The family
p-value is Simes' combination.
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats

from testigo.domain.table import MesaTable
from testigo.forensics.result import TestResult
from testigo.forensics.stats import q_values, simes

CAVEAT = (
    "An excess of round percentages says that some results were probably written to a target rather than "
    "counted, but not which ones: a mesa at exactly 60% may be honest. Rounding on the sheet itself, or very "
    "small mesas, can also create peaks; the binomial null accounts for mesa sizes but not for sheets that "
    "report rounded figures."
)

TOLERANCE = 0.1
MIN_SIZE = 100
MIN_SHARE = 0.05


def integer_peaks(
    table: MesaTable,
    tolerance: float = TOLERANCE,
    min_size: int = MIN_SIZE,
    min_share: float = MIN_SHARE,
) -> TestResult:
    """Excess of mesas within `tolerance` percentage points of an integer percentage.

    Only mesas whose denominator (registered voters for turnout, valid votes for
    a share) is at least `min_size` are counted.
    """
    features = [("turnout", table.total, table.registered)]
    features += [(f"share:{c}", table.votes[:, table.index(c)], table.valid) for c in table.main_candidates(min_share)]
    per_feature: dict[str, dict[str, object]] = {}
    p_values: list[float] = []
    z_values: list[float] = []
    for name, counts, sizes in features:
        usable = (sizes >= min_size) & (counts >= 0) & (counts <= sizes)
        counts, sizes = counts[usable], sizes[usable]
        if not len(counts):
            continue
        observed = int(near_integer(counts, sizes, tolerance).sum())
        probability = _per_mesa(sizes, counts, tolerance)
        expected, sd = float(probability.sum()), float(np.sqrt((probability * (1 - probability)).sum()))
        z = (observed - expected) / sd if sd > 0 else 0.0
        p = float(stats.norm.sf(z))
        per_feature[name] = {
            "mesas": len(counts),
            "observed": observed,
            "expected": expected,
            "excess": observed - expected,
            "excess_ratio": observed / expected if expected else None,
            "z": z,
            "p_value": p,
        }
        p_values.append(p)
        z_values.append(z)
    for detail, q in zip(per_feature.values(), q_values(np.array(p_values)).tolist(), strict=True):
        detail["q_value"] = q
    estimate: dict[str, object] = {
        "tolerance": tolerance,
        "min_size": min_size,
        **_headline(per_feature),
        "family_p_value": simes(np.array(p_values)),
        "per_feature": per_feature,
    }
    return TestResult("integer_peaks", max(z_values, default=None), simes(np.array(p_values)), estimate, [], CAVEAT)


def _headline(per_feature: dict[str, dict[str, object]]) -> dict[str, object]:
    """The excess and significance of the most significant feature, at the top of the estimate."""
    if not per_feature:
        return {"excess": None, "feature": None, "z": None, "p_value": None}
    name, worst = max(per_feature.items(), key=lambda item: float(item[1]["z"]))  # type: ignore[arg-type]
    return {"excess": worst["excess"], "feature": name, "z": worst["z"], "p_value": worst["p_value"]}


def _per_mesa(sizes: np.ndarray, counts: np.ndarray, tolerance: float) -> np.ndarray:
    """`integer_probability` of each mesa, computed once per distinct (size, count).

    The probability depends on nothing else, and a million mesas hold a few
    hundred thousand distinct pairs at most: this keeps the test linear in
    the distinct pairs rather than in the mesas.
    """
    sizes, counts = sizes.astype(np.int64), counts.astype(np.int64)
    keys, inverse = np.unique(sizes * (int(counts.max()) + 1) + counts, return_inverse=True)
    distinct_sizes = keys // (int(counts.max()) + 1)
    distinct_counts = keys % (int(counts.max()) + 1)
    return integer_probability(distinct_sizes, distinct_counts / distinct_sizes, tolerance)[inverse.ravel()]


def near_integer(counts: np.ndarray, sizes: np.ndarray, tolerance: float) -> np.ndarray:
    """Whether 100 × counts / sizes is within `tolerance` of an integer (elementwise, broadcasting)."""
    percent = 100.0 * counts / sizes
    near: np.ndarray = np.abs(percent - np.round(percent)) <= tolerance + 1e-9
    return near


def integer_probability(sizes: np.ndarray, rates: np.ndarray, tolerance: float) -> np.ndarray:
    """P(100 K / n is within `tolerance` of an integer) for K ~ Binomial(n, rate), per mesa.

    Sums binomial probabilities over the integers j near 100 × rate (six
    standard deviations each side; the mass beyond is below 1e-8): the counts
    k with |100 k / n - j| <= tolerance form the range [lo, hi].
    """
    sizes, rates = np.asarray(sizes, dtype=np.int64), np.asarray(rates, dtype=float)
    reach = np.ceil(600 * np.sqrt(rates * (1 - rates) / sizes)).astype(np.int64) + 1
    width = 2 * reach + 1
    mesa = np.repeat(np.arange(len(sizes)), width)
    offset = np.arange(width.sum()) - np.repeat(np.cumsum(width) - width, width) - reach[mesa]
    j = np.round(100 * rates).astype(np.int64)[mesa] + offset
    n, p = sizes[mesa], rates[mesa]
    hi = np.minimum(np.floor(n * (j + tolerance) / 100 + 1e-9), n)
    lo = np.maximum(np.ceil(n * (j - tolerance) / 100 - 1e-9), 0)
    inside = (j >= 0) & (j <= 100) & (hi >= lo)
    below = np.where(lo > 0, special.bdtr(np.maximum(lo - 1, 0), n, p), 0.0)
    mass = np.where(inside, special.bdtr(hi, n, p) - below, 0.0)
    return np.bincount(mesa, weights=mass, minlength=len(sizes))
