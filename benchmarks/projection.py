"""How often the projection's 95% intervals contain the truth, when coverage is not random.

Population: the 24,560 mesas of the real 2024 results. Each simulated election
redraws every mesa's valid votes from a multinomial with its real shares (so
the truth changes from one election to the next), then decides which actas
were collected ("covered") by a logistic model:

    logit P(covered) = a + state effect + slope_parish × (parish's González share - national)
                         + slope_mesa × (mesa's González share - its parish's)

with state effects drawn once per election (sd 0.8 on the logit scale), and
`a` tuned for the target coverage. Scenarios:

* random          slopes 0: a plain 80% sample.
* geography       slope_parish 4: coverage follows states and the parishes'
                  politics (opposition witnesses reached more actas where the
                  opposition is strong). Missing at random *given the parish*:
                  what the stratified estimator assumes. Target >= 93%.
* geography 30%   the same at 30% coverage (early in an ingest).
* within parish   slope_mesa 2 as well: inside a parish, González-leaning mesas
                  are covered more often. No estimator can see this from the
                  data; the row shows what it costs.

Run: ``python benchmarks/projection.py [--elections 200] [--seed 0]``.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass, replace

import numpy as np
from scipy import optimize, special

from testigo.domain.table import MesaTable
from testigo.profiles.ve2024_data import load_registry, load_results
from testigo.tally.projection import Interval, Projection, Strata, project


@dataclass(frozen=True)
class Scenario:
    name: str
    coverage: float
    slope_parish: float
    slope_mesa: float
    state_sd: float = 0.8


SCENARIOS = (
    Scenario("random 80%", 0.8, 0.0, 0.0, state_sd=0.0),
    Scenario("geography 80%", 0.8, 4.0, 0.0),
    Scenario("geography 30%", 0.3, 4.0, 0.0),
    Scenario("within parish 80%", 0.8, 4.0, 2.0),
)


def simulate(
    table: MesaTable, strata: Strata, scenario: Scenario, elections: int, seed: int, candidate: str = "gonzalez"
) -> dict[str, list[float]]:
    """Per quantity: hits (truth inside the interval), widths and errors over `elections` runs."""
    rng = np.random.default_rng(seed)
    shares = table.votes / np.maximum(table.valid, 1)[:, None]
    parish = np.unique(table.parish_ids, return_inverse=True)[1]
    state = np.unique(table.state_ids, return_inverse=True)[1]
    k = table.index(candidate)
    out: dict[str, list[float]] = {}
    for _ in range(elections):
        votes = rng.multinomial(table.valid, shares)
        election = replace(table, votes=votes)
        own = votes[:, k] / np.maximum(votes.sum(axis=1), 1)
        parish_valid = np.maximum(np.bincount(parish, weights=votes.sum(axis=1)), 1)
        parish_share = np.bincount(parish, weights=votes[:, k]) / parish_valid
        national = votes[:, k].sum() / votes.sum()
        logit = (
            rng.normal(0, scenario.state_sd, state.max() + 1)[state]
            + scenario.slope_parish * (parish_share[parish] - national)
            + scenario.slope_mesa * (own - parish_share[parish])
        )
        covered = rng.random(len(table)) < special.expit(_calibrate(logit, scenario.coverage) + logit)
        result = project(election.take(covered), strata)
        for name, value, interval in _checks(election, strata, result):
            out.setdefault(f"{name}:hit", []).append(float(interval.low <= value <= interval.high))
            out.setdefault(f"{name}:width", []).append(interval.high - interval.low)
            out.setdefault(f"{name}:error", []).append(interval.estimate - value)
    return out


def _calibrate(logit: np.ndarray, coverage: float) -> float:
    """The intercept that makes the mean covered probability equal `coverage`."""
    return float(optimize.brentq(lambda a: special.expit(a + logit).mean() - coverage, -20, 20))


def _checks(election: MesaTable, strata: Strata, result: Projection) -> list[tuple[str, float, Interval]]:
    totals = election.votes.sum(axis=0)
    true_share = totals / totals.sum()
    lead, second = election.index(result.leader), election.index(result.runner_up)
    turnout = election.total.sum() / strata.registered.sum()
    checks: list[tuple[str, float, Interval]] = [
        (f"share {key}", float(true_share[election.index(key)]), result.shares[key]) for key in ("gonzalez", "maduro")
    ]
    checks.append(("margin", float(true_share[lead] - true_share[second]), result.margin))
    checks.append(("turnout", float(turnout), result.turnout))
    return checks


def _wilson(successes: int, trials: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a proportion: how precisely `trials` elections pin the coverage down."""
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z / (1 + z * z / trials) * np.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    return max(0.0, centre - half), min(1.0, centre + half)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--elections", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    registry = load_registry()
    table = MesaTable.from_results(load_results(), registry)
    strata = Strata.from_registry(registry)
    print(f"population: {len(table):,} mesas; {args.elections} simulated elections per scenario; 95% intervals\n")
    print(
        f"{'scenario':<20} {'quantity':<16} {'coverage':>8} {'(its 95% CI)':>14} {'mean width':>11}"
        f" {'mean error':>11} {'rmse':>8}"
    )
    for i, scenario in enumerate(SCENARIOS):
        start = time.perf_counter()
        out = simulate(table, strata, scenario, args.elections, args.seed + i)
        for name in dict.fromkeys(key.rsplit(":", 1)[0] for key in out):
            hits, widths, errors = (np.array(out[f"{name}:{kind}"]) for kind in ("hit", "width", "error"))
            low, high = _wilson(int(hits.sum()), len(hits))
            print(
                f"{scenario.name:<20} {name:<16} {hits.mean():>8.1%} {f'{low:.1%}-{high:.1%}':>14} "
                f"{widths.mean() * 100:>10.3f}p {errors.mean() * 100:>+10.3f}p "
                f"{np.sqrt((errors**2).mean()) * 100:>7.3f}p"
            )
        print(f"{'':<20} ({time.perf_counter() - start:.1f} s; p = percentage points)")


if __name__ == "__main__":
    main()
