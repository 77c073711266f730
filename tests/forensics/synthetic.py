"""Synthetic per-mesa tables whose right answer is known: honest counting plus whatever a test plants."""

from __future__ import annotations

import numpy as np

from testigo.domain.table import MesaTable


def synthetic_table(
    *,
    states: int = 3,
    parishes: int = 4,
    centers: int = 5,
    mesas: int = 3,
    seed: int = 0,
    candidates: tuple[str, ...] = ("a", "b", "c"),
) -> MesaTable:
    """`states` × `parishes` × `centers` × `mesas` honest mesas.

    Each parish has its own turnout and shares (geography); mesas of a center
    differ only by binomial / multinomial counting noise. Ids follow ve2024:
    state 2 digits, municipality 2 (one per parish), parish 2, center 3, mesa 2.
    """
    rng = np.random.default_rng(seed)
    rows: list[tuple[str, str, str, str]] = []
    registered, votes, nulls = [], [], []
    for s in range(1, states + 1):
        for p in range(1, parishes + 1):
            turnout = rng.uniform(0.5, 0.75)
            shares = rng.dirichlet([8.0] + [4.0] * (len(candidates) - 1))
            for c in range(1, centers + 1):
                center = f"{s:02d}{p:02d}{p:02d}{c:03d}"
                for m in range(1, mesas + 1):
                    size = int(rng.integers(400, 900))
                    ballots = rng.binomial(size, turnout)
                    null = rng.binomial(ballots, 0.02)
                    rows.append((f"{center}.{m:02d}", center, center[:6], center[:2]))
                    registered.append(size)
                    votes.append(rng.multinomial(ballots - null, shares))
                    nulls.append(null)
    ids = np.array(rows, dtype=str).reshape(-1, 4)
    return MesaTable(
        ids[:, 0],
        ids[:, 1],
        ids[:, 2],
        ids[:, 3],
        registered=np.array(registered, dtype=np.int64),
        votes=np.array(votes, dtype=np.int64).reshape(-1, len(candidates)),
        null_votes=np.array(nulls, dtype=np.int64),
        candidates=candidates,
    )
