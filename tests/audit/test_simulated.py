"""The audit's promise on simulated elections: it ends within its plan when the published figures are right, and
a published outcome that is wrong ends in a full hand count in at least 1 − α of the audits.

The thousand audits run at once: each row is one audit's draws (PPEB, drawn with NumPy here; the real sampler's
draws are tested in test_sampler), and `testigo.audit.risk.course` decides every row with the same code that
decides a real audit.
"""

from __future__ import annotations

import numpy as np
import pytest

from testigo.audit import measure
from testigo.audit.report import CONTINUE, HAND_COUNT, MET
from testigo.audit.risk import course
from testigo.audit.state import Finding
from tests.audit.elections import ELECTION, Simulated, simulate

RUNS = 1000
ALPHA = 0.05


def _taints(sim: Simulated) -> np.ndarray:
    """Each mesa's taint, its paper against its published figures."""
    plan = sim.plan
    everything = np.arange(len(plan.mesas))
    relative, _ = plan.overstatement(everything, plan.candidate_votes(sim.paper))
    return np.asarray(relative / plan.error_bounds)


def _thousand_audits(sim: Simulated, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """met_at and count_all_at of RUNS audits of `sim`, each with its own draws."""
    plan = sim.plan
    mesas = len(plan.mesas)
    draws = np.random.default_rng(seed).choice(mesas, size=(RUNS, mesas + 1), p=plan.error_bounds / plan.total_bound)
    decided = course(_taints(sim)[draws], plan.total_bound, plan.risk_limit, mesas)
    return decided.met_at, decided.count_all_at


def test_right_figures_end_the_audit_within_the_planned_draws() -> None:
    for seed in range(5):
        sim = simulate(np.random.default_rng(seed))
        planned = sim.plan.initial_draws
        assert 0 < planned < len(sim.plan.mesas)
        met_at, count_all_at = _thousand_audits(sim, seed)
        assert (met_at == planned).all() and (count_all_at == -1).all()


@pytest.mark.parametrize("flip", ["spread", "concentrated"])
def test_a_flipped_outcome_escalates_to_a_full_hand_count(flip: str) -> None:
    sim = simulate(np.random.default_rng(7), flip=flip)
    plan = sim.plan
    on_paper = plan.candidate_votes(sim.paper).sum(axis=0)
    assert plan.candidates[plan.winner] == "a" and on_paper[1] > on_paper[0]  # published a, paper b
    assert plan.initial_draws < len(plan.mesas)  # a sample was planned: escalating is the audit's doing
    met_at, count_all_at = _thousand_audits(sim, 11)
    assert ((met_at >= 0) != (count_all_at >= 0)).all()  # every audit decided within mesas + 1 draws
    escalated = int((count_all_at >= 0).sum())
    assert escalated >= (1 - ALPHA) * RUNS, f"only {escalated} of {RUNS} audits escalated"


@pytest.mark.parametrize("taint", [0.2, 0.6])
def test_the_risk_limit_holds_for_the_least_error_that_changes_the_outcome(taint: float) -> None:
    """Mesas holding exactly the error that turns the outcome (Σ e_p = 1), each at the same taint: wrong outcomes
    pass at most α of the time, and some do (the bound is not vacuous)."""
    sim = simulate(np.random.default_rng(3))
    plan = sim.plan
    mesas = len(plan.mesas)
    bounds = plan.error_bounds
    wrong = np.cumsum(bounds) * taint <= 1  # the first mesas, up to a total error of 1
    taints = np.where(wrong, 1 / bounds[wrong].sum(), 0.0)  # e_p = u_p t_p, so Σ e_p = 1 exactly
    draws = np.random.default_rng(5).choice(mesas, size=(RUNS, mesas + 1), p=bounds / plan.total_bound)
    passed = int((course(taints[draws], plan.total_bound, plan.risk_limit, mesas).met_at >= 0).sum())
    assert 0 < passed <= ALPHA * RUNS, f"{passed} of {RUNS} wrong outcomes passed"


def _audit_as_people_would(sim: Simulated) -> tuple[str, int, list[Finding]]:
    """Record the paper of every mesa the status asks for next, until the audit is decided (the real sampler)."""
    plan = sim.plan
    findings: list[Finding] = []
    status = measure(plan, findings)
    while status.outcome == CONTINUE or (status.outcome == HAND_COUNT and status.next_mesas):
        for mesa in status.next_mesas:
            p = plan.index[mesa]
            paper = tuple(int(v) for v in sim.paper[p])
            findings.append(Finding(mesa, paper, int(sim.nulls[p]), "2026-12-03T01:00:00Z", None, ""))
        status = measure(plan, findings)
    return status.outcome, status.draws, findings


def test_with_the_real_sampler_right_figures_are_confirmed_and_wrong_ones_overturned() -> None:
    sim = simulate(np.random.default_rng(1))
    outcome, draws, findings = _audit_as_people_would(sim)
    assert outcome == MET and draws == sim.plan.initial_draws
    assert len(findings) < len(sim.plan.mesas) / 2
    flipped = simulate(np.random.default_rng(2), flip="concentrated")
    outcome, draws, findings = _audit_as_people_would(flipped)
    final = measure(flipped.plan, findings)
    assert outcome == HAND_COUNT and len(findings) == len(flipped.plan.mesas)
    assert final.hand_count_winner == "b"
    assert final.statement == f"full hand count of all {len(findings)} sheets overturns the published outcome: winner b"
    assert ELECTION.candidate_keys() == list(flipped.plan.candidates)
