"""Projection: exact when everything is covered, honest intervals when coverage follows geography."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from scipy import special

from testigo.domain.table import MesaTable
from testigo.profiles.ve2024_data import load_registry
from testigo.tally.projection import Strata, project
from tests.forensics.synthetic import synthetic_table


def _strata(table: MesaTable) -> Strata:
    municipality = np.array([c[:4] for c in table.center_ids.tolist()])
    return Strata.build(table.mesa_ids, table.parish_ids, municipality, table.state_ids, table.registered.astype(float))


def test_full_coverage_is_exact_with_zero_width() -> None:
    table = synthetic_table(seed=1)
    result = project(table, _strata(table))
    totals = table.votes.sum(axis=0)
    a = result.shares["a"]
    assert a.estimate == pytest.approx(totals[0] / totals.sum()) and a.low == a.high == a.estimate
    assert result.votes["null"].estimate == pytest.approx(table.null_votes.sum())
    assert result.turnout.estimate == pytest.approx(table.total.sum() / table.registered.sum())
    assert result.parishes_by_level == {"parish": 12, "municipality": 0, "state": 0, "country": 0}
    data = json.loads(json.dumps(result.to_json(), allow_nan=False))
    assert data["leader"] == result.leader and data["coverage"]["mesas_covered"] == len(table)


def test_uncovered_parishes_and_states_borrow_a_larger_area() -> None:
    table = synthetic_table(seed=1)
    strata = _strata(table)
    covered = table.take((table.parish_ids != "010101") & (table.state_ids != "02"))
    result = project(covered, strata)
    # one parish per municipality here, so the parish borrows its state's ratio; state 02 the country's
    assert result.parishes_by_level == {"parish": 7, "municipality": 0, "state": 1, "country": 4}
    assert result.mesas_covered == len(covered) and result.mesas_total == len(table)
    assert result.shares["a"].low < result.shares["a"].estimate < result.shares["a"].high


def test_intervals_cover_the_truth_when_coverage_follows_state_and_vote_share() -> None:
    """Fast version of benchmarks/projection.py: 100 synthetic elections, coverage ~70%."""
    hits = []
    for seed in range(100):
        table = synthetic_table(states=4, parishes=6, centers=8, mesas=3, seed=seed)
        rng = np.random.default_rng(seed)
        state = np.unique(table.state_ids, return_inverse=True)[1]
        parish = np.unique(table.parish_ids, return_inverse=True)[1]
        parish_share = np.bincount(parish, weights=table.votes[:, 0]) / np.bincount(parish, weights=table.valid)
        logit = 0.9 + rng.normal(0, 0.8, state.max() + 1)[state] + 4 * (parish_share[parish] - 0.5)
        covered = table.take(rng.random(len(table)) < special.expit(logit))
        result = project(covered, _strata(table))
        truth = table.votes.sum(axis=0) / table.valid.sum()
        lead, second = table.index(result.leader), table.index(result.runner_up)
        hits.append(
            [
                result.shares["a"].low <= truth[0] <= result.shares["a"].high,
                result.margin.low <= truth[lead] - truth[second] <= result.margin.high,
            ]
        )
    assert np.mean(hits, axis=0).min() >= 0.88


def test_strata_from_the_registry_and_errors() -> None:
    strata = Strata.from_registry(load_registry())
    assert len(strata.mesa_ids) == 24_560 and strata.imputed == 28 and (strata.registered > 0).all()
    assert strata.municipality_ids[0] == "0101" and strata.parish_ids[0] == "010101"
    table = synthetic_table(seed=1)
    with pytest.raises(KeyError, match="not in the strata"):
        project(table, strata)
    small = _strata(table)
    with pytest.raises(ValueError, match="more than once"):
        project(table.take(np.array([0, 0, 1])), small)
    with pytest.raises(ValueError, match="no covered mesa"):
        project(table.take(np.zeros(len(table), dtype=bool)), small)


def test_imputed_registers_use_the_parish_median() -> None:
    table = synthetic_table(seed=1)
    registered = table.registered.astype(float)
    registered[0] = np.nan
    strata = _strata(replace(table, registered=np.where(np.isnan(registered), -1, registered).astype(np.int64)))
    same_parish = (table.parish_ids == table.parish_ids[0]) & (np.arange(len(table)) > 0)
    assert strata.imputed == 1 and strata.registered[0] == np.median(table.registered[same_parish])
