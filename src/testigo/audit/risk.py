"""The risk measurement: the Kaplan–Markov P-value of a PPEB sample, and when the audit stops or escalates.

Kaplan–Markov (Stark 2009, IEEE TIFS 4(4):1005–1014, section on PPEB): with
mesas drawn with probability u_p / U, the taint T_j = e_p / u_p of draw j has
mean Σ e_p / U, which is at least 1 / U when the published outcome is wrong
(`testigo.audit.plan`). Then Π_j (1 − T_j) / (1 − 1/U) is a nonnegative
supermartingale with mean at most 1, and by Ville's inequality

    P_n = Π_{j ≤ n} (1 − 1/U) / (1 − T_j)

falls to α or below, at any draw, with probability at most α. The audit
stops ("risk limit met") at the first draw where P_n ≤ α. A draw without
discrepancy (T = 0) multiplies P by 1 − 1/U, an understatement (T < 0) by
less, an overstatement by more; a taint of 1 (the paper as far from the
published figures as the bound allows) makes P infinite: only a full hand
count can then settle the outcome.

Escalation rule (testigo's choice, stated in docs/audit.md): after each
draw, if the risk limit is not met, the audit goes on with the draws that
would meet it if none of them showed a discrepancy, unless that would take
more draws in all than there are mesas: then counting every sheet by hand is
no more work, and the audit turns into a full hand count. So every audit is
decided within as many draws as there are mesas, plus one.

Everything here is vectorised over runs (rows), so the same code decides one
real audit and a thousand simulated ones.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


def log_step(total_bound: float) -> float:
    """log(1 − 1/U): what one draw without discrepancy adds to log P."""
    return math.log1p(-1.0 / total_bound)


def _needed(log_risk: np.ndarray, total_bound: float, risk_limit: float) -> np.ndarray:
    """Clean draws still needed to bring P from exp(log_risk) to α (0 when met, inf when P is infinite)."""
    gap = math.log(risk_limit) - log_risk
    with np.errstate(invalid="ignore"):
        needed = np.ceil(gap / log_step(total_bound))
    return np.where(log_risk <= math.log(risk_limit), 0.0, np.where(np.isinf(log_risk), np.inf, needed))


def draws_needed(log_risk: float, total_bound: float, risk_limit: float) -> int:
    """Draws without discrepancy that bring a finite P = exp(log_risk) to the risk limit α or below."""
    return int(_needed(np.array([log_risk]), total_bound, risk_limit)[0])


@dataclass(frozen=True)
class Course:
    """The sequential test along the draws of one or many audits (one row each)."""

    log_risk: np.ndarray
    """Shape (runs, n + 1): log P after 0, 1, ..., n draws."""
    met_at: np.ndarray
    """Shape (runs,): the draws after which P ≤ α first (the audit stops), or −1."""
    count_all_at: np.ndarray
    """Shape (runs,): the draws after which the audit turned into a full hand count, or −1."""
    needed: np.ndarray
    """Shape (runs,): clean draws still needed after the last draw (0 when met, inf when P is infinite)."""


def course(taints: np.ndarray, total_bound: float, risk_limit: float, mesas: int) -> Course:
    """Run the test along `taints` (shape (runs, n), or (n,) for one audit) of a contest of `mesas` mesas."""
    taints = np.atleast_2d(np.asarray(taints, dtype=np.float64))
    runs, n = taints.shape
    clean = taints < 1
    factors = np.where(clean, log_step(total_bound) - np.log1p(-np.where(clean, taints, 0.0)), np.inf)
    log_risk = np.concatenate([np.zeros((runs, 1)), np.cumsum(factors, axis=1)], axis=1)
    needed = _needed(log_risk, total_bound, risk_limit)
    met = needed == 0
    escalate = ~met & (np.arange(n + 1) + needed > mesas)
    met_first, escalate_first = _first(met), _first(escalate)
    met_wins = (met_first >= 0) & ((escalate_first < 0) | (met_first < escalate_first))
    count_all = (escalate_first >= 0) & ~met_wins
    return Course(log_risk, np.where(met_wins, met_first, -1), np.where(count_all, escalate_first, -1), needed[:, -1])


def _first(mask: np.ndarray) -> np.ndarray:
    """Per row, the index of the first True, or −1."""
    return np.where(mask.any(axis=1), mask.argmax(axis=1), -1)
