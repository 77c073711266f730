"""`fingerprint`: the fitted stuffing fractions recover what was planted with Klimek et al.'s own model."""

from __future__ import annotations

import numpy as np
import pytest

from testigo.domain.table import MesaTable
from testigo.forensics.fingerprint import fingerprint


def _klimek_election(n: int, incremental: float, extreme: float, seed: int, theta: float = 0.3) -> MesaTable:
    """Fair Gaussian turnout and share, then the paper's fraud (alpha = 2) in integer votes."""
    rng = np.random.default_rng(seed)
    registered = rng.integers(400, 900, n)
    turnout = np.clip(rng.normal(0.6, 0.07, n), 0.05, 0.99)
    share = np.clip(rng.normal(0.45, 0.1, n), 0.01, 0.99)
    u = rng.random(n)
    x = np.where(u < incremental, np.minimum(np.abs(rng.normal(0, theta, n)), 1), 0.0)
    x = np.where((u >= incremental) & (u < incremental + extreme), 1 - np.abs(rng.normal(0, 0.075, n)), x)
    voters = np.round(registered * turnout)
    winner = np.round(voters * share)
    stolen = np.round(x**2 * (voters - winner))
    winner = winner + np.round(x * (registered - voters)) + stolen
    votes = np.column_stack([winner, voters - np.round(voters * share) - stolen]).astype(np.int64)
    ids = np.array([f"{i:06d}.01" for i in range(n)])
    return MesaTable(ids, ids, ids, ids, registered.astype(np.int64), votes, np.zeros(n, dtype=np.int64), ("w", "o"))


@pytest.mark.parametrize(("incremental", "extreme"), [(0.0, 0.0), (0.2, 0.0), (0.1, 0.05)])
def test_fit_recovers_planted_fractions(incremental: float, extreme: float) -> None:
    result = fingerprint(_klimek_election(15_000, incremental, extreme, seed=1), "w")
    assert result.estimate["incremental_fraction"] == pytest.approx(incremental, abs=0.07)
    assert result.estimate["extreme_fraction"] == pytest.approx(extreme, abs=0.02)
    assert result.id == "fingerprint" and result.p_value is None


def test_default_candidate_is_the_most_voted() -> None:
    result = fingerprint(_klimek_election(3000, 0.0, 0.0, seed=2))
    assert result.estimate["candidate"] == "o"  # the "winner" of the model has 45% of the votes here


def test_too_few_usable_mesas_is_skipped_not_fitted() -> None:
    table = _klimek_election(50, 0.0, 0.0, seed=3)
    result = fingerprint(table)
    assert result.statistic is None and "skipped" in result.estimate


def test_large_elections_fit_on_thinned_draws_and_still_recover_the_fraud() -> None:
    """At 80,000 mesas the simulation is capped (MAX_DRAWS) below mesas × replicates; the fit must not suffer."""
    from testigo.forensics.fingerprint import MAX_DRAWS, REPLICATES

    mesas = 80_000
    assert mesas * REPLICATES > MAX_DRAWS
    result = fingerprint(_klimek_election(mesas, 0.1, 0.02, seed=4), "w")
    assert result.estimate["incremental_fraction"] == pytest.approx(0.1, abs=0.03)
    assert result.estimate["extreme_fraction"] == pytest.approx(0.02, abs=0.01)
