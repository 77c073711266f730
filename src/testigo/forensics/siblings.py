"""Test `siblings`: a mesa that differs strongly from the other mesas of its center.

Mesas of one voting center serve the same neighbourhood, so their turnout and
vote shares should differ only by chance and by mild systematic effects (for
instance where voters are split among a center's mesas by identity-card
number, which follows age).
Ballot stuffing or vote switching in one mesa breaks that; comparing a mesa with
its siblings removes the geography that makes national outlier rules useless.

For each feature — turnout, and the vote share of every main candidate — and
each mesa:

1. reference: the same feature over the *other* mesas of its center (see
   `_reference` for centers of two), else over the other mesas of its parish
   when the center has fewer than `min_siblings` others; medians, so that one
   stuffed sibling cannot drag the reference. Three kinds of reference
   (LEVELS): center, pair, parish.
2. standardised difference: d / sqrt(v + tau^2), where v = p(1-p)/n is the
   binomial sampling variance of the mesa's own rate and tau^2 the extra
   between-mesa variance for that kind of reference, estimated robustly as
   (1.4826 MAD(d))^2 - median(v) (a method-of-moments overdispersion, as in
   random-effects meta-analysis, DerSimonian & Laird 1986). Small mesas thus
   need larger differences.
3. empirical null (Efron 2004): the standardised values of each kind are
   re-centred and re-scaled by their median and MAD, so the bulk of real mesas
   defines "normal" rather than an assumed model. A kind with fewer than
   MIN_KIND mesas is not tested: too few to say what normal is.
4. two-sided normal p-value per feature; per mesa the smallest, times the number
   of features (Bonferroni), then Benjamini–Hochberg over all mesas: a mesa is
   flagged when its q-value is at most `alpha`, so on average at most `alpha`
   of the flags are false alarms.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from testigo.domain.table import MesaTable
from testigo.forensics.i18n import coded_flag
from testigo.forensics.result import TestResult
from testigo.forensics.stats import (
    MAD_TO_SD,
    group_medians,
    leave_one_out_median,
    q_values,
    robust_z,
    two_sided_p,
)

CAVEAT = (
    "A flagged mesa differs from its siblings more than chance and the usual spread between mesas explain; that "
    "is a reason to look at its sheet, not proof of fraud. Mesas of one center can differ for honest reasons "
    "(voters assigned by age, a mesa of a prison or a barracks). The test compares with the parish when the "
    "center has too few other mesas, which is weaker. A center where every mesa was manipulated alike shows "
    "nothing here; the fingerprint and digit tests look at that."
)

ALPHA = 0.05
MIN_SIBLINGS = 1
MIN_SHARE = 0.05
#: A kind of reference needs this many mesas to estimate its own spread (the empirical null).
MIN_KIND = 30
#: How a mesa is compared: with 2+ siblings (and the parish median), with its only sibling, or with its parish.
LEVELS = ("center", "pair", "parish")


@dataclass(frozen=True)
class _Feature:
    """One per-mesa rate compared with siblings: value = count / size."""

    name: str
    value: np.ndarray
    size: np.ndarray


def siblings(
    table: MesaTable, alpha: float = ALPHA, min_siblings: int = MIN_SIBLINGS, min_share: float = MIN_SHARE
) -> TestResult:
    """Flag mesas whose turnout or main-candidate shares stand out from their center (or parish).

    `min_share`: candidates with at least this share of all valid votes are
    compared. Score: the mesa's Benjamini–Hochberg q-value (lower is stronger).
    """
    features = _features(table, min_share)
    centers = np.unique(table.center_ids, return_inverse=True)[1]
    parishes = np.unique(table.parish_ids, return_inverse=True)[1]
    center_parish = np.zeros(centers.max() + 1 if len(table) else 0, dtype=np.int64)
    center_parish[centers] = parishes
    shape = (len(table), len(features))
    z, reference, level = np.full(shape, np.nan), np.full(shape, np.nan), np.full(shape, -1)
    extra_sd: dict[str, dict[str, float]] = {}
    for j, feature in enumerate(features):
        reference[:, j], level[:, j] = _reference(feature.value, centers, parishes, center_parish, min_siblings)
        extra_sd[feature.name] = {}
        for k, name in enumerate(LEVELS):
            use = level[:, j] == k
            if use.sum() < MIN_KIND:  # too few to tell what "normal" looks like: not tested
                level[use, j] = -1
                continue
            z[use, j], tau = _standardise(feature.value[use], reference[use, j], feature.size[use])
            extra_sd[feature.name][name] = round(tau, 6)

    tested = (level >= 0).any(axis=1)
    p = np.full(len(table), np.nan)
    per_feature = two_sided_p(z[tested])
    p[tested] = np.minimum(1.0, np.nanmin(per_feature, axis=1) * np.sum(~np.isnan(per_feature), axis=1))
    q = q_values(p)
    flagged = np.flatnonzero(q <= alpha)
    flagged = flagged[np.argsort(q[flagged], kind="stable")]
    strongest = np.argmax(np.where(np.isnan(z), -np.inf, np.abs(z)), axis=1)
    values = np.stack([f.value for f in features], axis=1)
    rows = np.arange(len(table))
    flags = [
        coded_flag(
            str(table.mesa_ids[i]),
            "sibling",
            float(q[i]),
            feature=features[j].name,
            value=float(values[i, j]),
            reference=float(reference[i, j]),
            level=int(level[i, j]),
            z=float(z[i, j]),
        )
        for i, j in zip(flagged, strongest[flagged], strict=True)
    ]
    effect = np.abs(values - reference)[rows, strongest][flagged]
    estimate: dict[str, object] = {
        "features": [f.name for f in features],
        "alpha": alpha,
        "min_siblings": min_siblings,
        "mesas_tested": int(tested.sum()),
        "mesas_by_reference": {name: int((level.max(axis=1, initial=-1) == k).sum()) for k, name in enumerate(LEVELS)},
        "mesas_flagged": len(flags),
        "share_flagged": len(flags) / int(tested.sum()) if tested.any() else 0.0,
        "median_abs_difference_flagged": float(np.median(effect)) if len(effect) else None,
        "extra_sd_between_mesas": extra_sd,
    }
    min_q = float(np.nanmin(q)) if tested.any() else None
    return TestResult("siblings", float(len(flags)), min_q, estimate, flags, CAVEAT)


def _features(table: MesaTable, min_share: float) -> list[_Feature]:
    features = [_Feature("turnout", table.turnout, np.where(table.has_registered, table.registered, 0))]
    valid = table.valid
    features += [_Feature(f"share:{c}", table.share(c), valid) for c in table.main_candidates(min_share)]
    return features


def _reference(
    value: np.ndarray, centers: np.ndarray, parishes: np.ndarray, center_parish: np.ndarray, min_siblings: int
) -> tuple[np.ndarray, np.ndarray]:
    """Each mesa's reference value and kind (an index in LEVELS, -1 when not tested).

    * two or more siblings: the leave-one-out median of the siblings plus one
      pseudo-sibling at the parish median, so that the median stays robust to
      one manipulated sibling even in a center of three;
    * one sibling: the sibling itself, with its own spread (a difference of two
      mesas carries the noise of both). Both mesas of an odd pair are flagged:
      nothing in the data tells which one was altered (giving the flag only to
      the one farther from the parish cut the recall of vote switches planted
      in pairs of the 2024 data from 60% to 46%);
    * no sibling (or fewer than `min_siblings`): the leave-one-out median of the parish.
    """
    n = len(value)
    parish_median = group_medians(value, parishes, int(parishes.max()) + 1 if n else 0)
    pseudo = parish_median[center_parish]
    padded, members = leave_one_out_median(np.r_[value, pseudo], np.r_[centers, np.arange(len(center_parish))])
    siblings = members[:n] - ~np.isnan(pseudo[centers])
    sibling_value = leave_one_out_median(value, centers)[0]
    parish_loo, parish_others = leave_one_out_median(value, parishes)
    minimum = max(min_siblings, 1)
    by_center = (siblings >= minimum) & (siblings > 1)
    by_pair = (siblings >= minimum) & (siblings == 1)
    by_parish = (siblings < minimum) & (parish_others >= minimum)
    reference = np.select([by_center, by_pair, by_parish], [padded[:n], sibling_value, parish_loo], np.nan)
    return reference, np.select([by_center, by_pair, by_parish], [0, 1, 2], -1)


def _standardise(value: np.ndarray, reference: np.ndarray, size: np.ndarray) -> tuple[np.ndarray, float]:
    """Robust z of value - reference with binomial plus extra variance; also returns the extra SD."""
    n = np.maximum(size, 1)
    rate = np.clip(reference, 1 / (n + 1), n / (n + 1))
    sampling = rate * (1 - rate) / n
    d = value - reference
    spread = MAD_TO_SD * np.median(np.abs(d - np.median(d)))
    tau2 = max(0.0, spread**2 - float(np.median(sampling)))
    return robust_z(d / np.sqrt(sampling + tau2)), float(np.sqrt(tau2))
