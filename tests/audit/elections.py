"""Simulated elections for the audit tests: per-mesa true (paper) and published figures, pure NumPy, no images."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from testigo.audit import Plan, make_plan
from testigo.audit.plan import Committed, MesaFigures
from testigo.domain import Candidate, Card, Election

#: Three candidates on four cards: candidate a has two (card 1 and card 4), so per-card figures sum per candidate.
ELECTION = Election(
    "simulated",
    (Candidate("a", "A"), Candidate("b", "B"), Candidate("c", "C")),
    (Card(1, "P1", "a"), Card(2, "P2", "b"), Card(3, "P3", "c"), Card(4, "P4", "a")),
)
SEED = "31415926535897932384626433"
CHECKPOINT = Committed("testigo.example/log", 1234, "ab" * 32)


@dataclass(frozen=True)
class Simulated:
    plan: Plan
    """The plan made from the published figures."""
    paper: np.ndarray
    """What each mesa's paper sheet says, per card, shape (mesas, 4), in the plan's mesa order."""
    nulls: np.ndarray


def truth(rng: np.random.Generator, mesas: int, shares: tuple[float, float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Paper figures per card and null votes of `mesas` mesas, and their registered voters."""
    registered = rng.integers(150, 700, mesas)
    ballots = (registered * rng.uniform(0.5, 0.85, mesas)).astype(np.int64)
    pvals = rng.dirichlet(np.array(shares) * 40, mesas)
    votes = rng.multinomial(ballots, pvals)
    to_card_4 = rng.binomial(votes[:, 0], 0.2)
    cards = np.column_stack([votes[:, 0] - to_card_4, votes[:, 1], votes[:, 2], to_card_4])
    return np.column_stack([cards, rng.binomial(ballots, 0.02)]), registered


def simulate(
    rng: np.random.Generator, *, mesas: int = 400, flip: str | None = None, risk_limit: float = 0.05
) -> Simulated:
    """An election of `mesas` mesas where a leads on the published figures.

    Without `flip`, the published figures are the paper's. With ``flip="spread"``
    or ``"concentrated"``, b won on paper by about 1% of the ballots and the
    published figures move votes from b to a until a leads by as much: one vote
    at a time across every mesa (the hardest case for an audit: small taints), or
    all in the mesas of a tenth of the sheets.
    """
    paper, registered = truth(rng, mesas, (0.48, 0.42, 0.10) if flip is None else (0.44, 0.46, 0.10))
    cards, nulls = paper[:, :4], paper[:, 4]
    lead = int(cards[:, 1].sum() - cards[:, 0].sum() - cards[:, 3].sum())  # b's lead over a on paper
    published = cards.copy()
    if flip is not None:
        assert lead > 0, "b wins on paper"
        target = lead + int(0.01 * cards.sum())  # moved from b to a: b's lead, then a lead of 1% for a
        where = np.arange(mesas) if flip == "spread" else rng.choice(mesas, mesas // 10, replace=False)
        moved = 0
        while moved < target:
            for p in where:
                if moved < target and published[p, 1] > 0:
                    published[p, 1] -= 1
                    published[p, 0] += 1
                    moved += 1
    else:
        assert lead < 0, "a wins on paper"
    figures = [
        MesaFigures(f"m{p:04d}", tuple(int(v) for v in published[p]), int(nulls[p]), int(registered[p]))
        for p in range(mesas)
    ]
    plan = make_plan(
        seed=SEED,
        risk_limit=risk_limit,
        checkpoint=CHECKPOINT,
        election=ELECTION,
        mesas=figures,
        created_at="2026-12-03T00:00:00Z",
    )
    return Simulated(plan, cards, nulls)
