"""Digit tests: second-digit Benford (`benford2`) and last-digit uniformity (`last_digit`).

Both look at the digits of each candidate's per-mesa counts over all mesas,
one candidate at a time, and report two tests: a chi-square goodness of fit
with Cohen's w as its effect size, and the mean-digit test (the mean digit
against its expected value, with a normal z, its p-value and the difference as
the effect size), which is more sensitive to a shift towards small or large
digits and less to one odd digit. The family's p-value is Simes' combination of its members (the
smallest Benjamini–Hochberg q-value), and each member's q-value is reported.
Neither test flags mesas: a digit is evidence only in aggregate.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from testigo.domain.table import MesaTable
from testigo.forensics.result import TestResult
from testigo.forensics.stats import chi_square_gof, q_values, simes

#: Second-digit Benford probabilities: P(d) = sum_k log10(1 + 1/(10k + d)), k = 1..9.
BENFORD2 = np.array([sum(np.log10(1 + 1 / (10 * k + d)) for k in range(1, 10)) for d in range(10)])
BENFORD2_MEAN = float(BENFORD2 @ np.arange(10))  # 4.187
BENFORD2_SD = float(np.sqrt(BENFORD2 @ (np.arange(10) - BENFORD2_MEAN) ** 2))
UNIFORM = np.full(10, 0.1)
UNIFORM_MEAN = 4.5
UNIFORM_SD = float(np.sqrt(UNIFORM @ (np.arange(10) - UNIFORM_MEAN) ** 2))  # sqrt(8.25) = 2.872

#: Counts below this have no second digit (2BL) or a last digit tied to their size (last digit).
MIN_COUNT = 10
#: A candidate needs this many usable counts to be tested.
MIN_MESAS = 100
#: Only candidates with this share of the valid votes are tested: the counts of a minor candidate sit just
#: above 10, where both digits are skewed by the cut itself (Martínez in 2024: w > 1 on clean data).
MIN_SHARE = 0.05

BENFORD2_CAVEAT = (
    "The second-digit Benford test (Mebane's 2BL) is a screen, not proof: honest counts depart from 2BL when "
    "mesas have similar sizes or a candidate's support is even across mesas, and manipulated counts can follow "
    "it. Deckert, Myagkov & Ordeshook (2011) showed it flags clean elections and misses fraudulent ones. With "
    "tens of thousands of mesas even a negligible departure is 'significant': read Cohen's w (below 0.1 is "
    "small) and the mean second digit (4.187 expected) before the p-value."
)
LAST_DIGIT_CAVEAT = (
    "People who invent numbers favour some final digits, so the last digits of invented counts are not uniform "
    "(Beber & Scacco 2012); honest counts of 10 or more have nearly uniform last digits. A uniform result does "
    "not prove honesty (numbers changed by a computer, or by adding a fixed amount, stay uniform), and a "
    "departure in a candidate with mostly small counts can be an artefact. Read Cohen's w and the mean last "
    "digit (4.5 expected) before the p-value; the mean alone misses a bias that keeps the average at 4.5, such "
    "as a preference for both 0 and 9."
)


def second_digit(counts: np.ndarray) -> np.ndarray:
    """Second significant digit of each count (counts must be >= 10)."""
    counts = np.asarray(counts, dtype=np.int64)
    scale = 10 ** (np.floor(np.log10(counts)).astype(np.int64) - 1)
    digits: np.ndarray = (counts // scale) % 10
    return digits


def benford2(table: MesaTable, min_share: float = MIN_SHARE, min_mesas: int = MIN_MESAS) -> TestResult:
    """Second-digit Benford per candidate: chi-square and the mean second digit, each with a p-value.

    Mean test: z = (mean - 4.187) / (sd / sqrt(n)) with the 2BL sd, normal p-value.
    """
    per_candidate: dict[str, dict[str, object]] = {}
    p_values: list[float] = []
    chi2s: list[float] = []
    for key in table.main_candidates(min_share):
        counts = table.votes[:, table.index(key)]
        counts = counts[counts >= MIN_COUNT]
        if len(counts) < min_mesas:
            continue
        digits = second_digit(counts)
        observed = np.bincount(digits, minlength=10)
        chi2, p_chi2, w = chi_square_gof(observed, BENFORD2)
        mean = float(digits.mean())
        z = (mean - BENFORD2_MEAN) / (BENFORD2_SD / np.sqrt(len(digits)))
        p_mean = float(2 * stats.norm.sf(abs(z)))
        per_candidate[key] = {
            "n": len(digits),
            "chi2": chi2,
            "p_chi2": p_chi2,
            "cohens_w": w,
            "mean": mean,
            "mean_difference": mean - BENFORD2_MEAN,
            "p_mean": p_mean,
            "frequencies": (observed / len(digits)).round(4).tolist(),
        }
        p_values += [p_chi2, p_mean]
        chi2s.append(chi2)
    _attach_q(per_candidate, p_values, ("q_chi2", "q_mean"))
    estimate: dict[str, object] = {
        "expected_mean": BENFORD2_MEAN,
        "expected": BENFORD2.round(4).tolist(),
        "per_candidate": per_candidate,
    }
    return _family("benford2", chi2s, p_values, estimate, BENFORD2_CAVEAT)


def last_digit(table: MesaTable, min_share: float = MIN_SHARE, min_mesas: int = MIN_MESAS) -> TestResult:
    """Last-digit uniformity per main candidate and pooled over them (``all``), on counts >= 10.

    Chi-square against uniform digits, and the mean test: z = (mean - 4.5) / (sd / sqrt(n)) with the sd of a
    uniform digit (sqrt(8.25)), normal p-value; effect sizes Cohen's w and the mean difference (also in sd
    units, ``mean_effect``). Every p-value of the family enters its Benjamini–Hochberg q-values and Simes' p.
    """
    per_candidate: dict[str, dict[str, object]] = {}
    p_values: list[float] = []
    chi2s: list[float] = []
    columns = [(key, table.votes[:, table.index(key)]) for key in table.main_candidates(min_share)]
    pooled = np.concatenate([counts for _, counts in columns]) if columns else np.empty(0, dtype=np.int64)
    for key, counts in [*columns, ("all", pooled)]:
        counts = counts[counts >= MIN_COUNT]
        if len(counts) < min_mesas:
            continue
        digits = counts % 10
        observed = np.bincount(digits, minlength=10)
        chi2, p_chi2, w = chi_square_gof(observed, UNIFORM)
        mean = float(digits.mean())
        z = float((mean - UNIFORM_MEAN) / (UNIFORM_SD / np.sqrt(len(digits))))
        p_mean = float(2 * stats.norm.sf(abs(z)))
        per_candidate[key] = {
            "n": len(counts),
            "chi2": chi2,
            "p_chi2": p_chi2,
            "cohens_w": w,
            "mean": mean,
            "mean_difference": mean - UNIFORM_MEAN,
            "mean_effect": (mean - UNIFORM_MEAN) / UNIFORM_SD,
            "z_mean": z,
            "p_mean": p_mean,
            "frequencies": (observed / len(counts)).round(4).tolist(),
        }
        p_values += [p_chi2, p_mean]
        chi2s.append(chi2)
    _attach_q(per_candidate, p_values, ("q_chi2", "q_mean"))
    estimate: dict[str, object] = {"expected_mean": UNIFORM_MEAN, "per_candidate": per_candidate}
    return _family("last_digit", chi2s, p_values, estimate, LAST_DIGIT_CAVEAT)


def _attach_q(per_candidate: dict[str, dict[str, object]], p_values: list[float], names: tuple[str, ...]) -> None:
    """Store each member's Benjamini–Hochberg q-value, in the order the p-values were collected."""
    q = iter(q_values(np.array(p_values)).tolist())
    for detail in per_candidate.values():
        for name in names:
            detail[name] = next(q)


def _family(
    test_id: str, chi2s: list[float], p_values: list[float], estimate: dict[str, object], caveat: str
) -> TestResult:
    """Statistic: the largest chi-square of the family; p-value: Simes' combination of all its p-values."""
    return TestResult(test_id, max(chi2s, default=None), simes(np.array(p_values)), estimate, [], caveat)
