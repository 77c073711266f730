"""The plan of an audit: the contest as published, committed to a checkpoint, and the error bound of each mesa.

The published per-mesa figures are the cast-vote records (CVRs) of a
batch-level comparison audit: one batch per mesa. The plan keeps them all,
as the log gave them at the committed checkpoint, so the audit's arithmetic
needs nothing but the plan and the findings; `testigo verify` derives them
again from the bundle's log and compares.

The arithmetic (Stark 2009, MACRO): the reported winner w has V_l more votes
than each loser l. For mesa p with reported votes r and paper votes a, the
relative overstatement of the margins is

    e_p = max_l [(r_w − r_l) − (a_w − a_l)] / V_l

and the outcome is wrong only if some pair's overstatements add up to its
whole margin, so only if Σ_p e_p ≥ 1 (a tie counts as wrong). The paper of a
mesa cannot hold more ballots than its bound b_p, the registered voters
(or the published ballots, if more; for a mesa whose registered voters the
registry lacks, a bound the planner states: by default the largest register
of any mesa), hence

    e_p ≤ u_p = max_l (r_w − r_l + b_p) / V_l,

the mesa's error bound; U = Σ_p u_p. The sampler draws mesas with
probability u_p / U (PPEB), and the taint t_p = e_p / u_p ≤ 1 is what the
risk measurement (`testigo.audit.risk`) uses.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from testigo.audit import risk, sampler
from testigo.audit.state import AuditError
from testigo.domain import Election

FORMAT = "testigo-audit/1"
METHOD = "kaplan-markov, ppeb, macro"
#: At least 20 decimal digits (20 rolls of a ten-sided die, as SHANGRLA's seeds): about 66 bits nobody could foresee.
MIN_SEED_DIGITS = 20
_DIGITS = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class Committed:
    """The checkpoint of the log the plan commits to: its origin, size and root hash (hex)."""

    origin: str
    size: int
    root_hash: str

    def to_json(self) -> dict[str, Any]:
        return {"origin": self.origin, "size": self.size, "root_hash": self.root_hash}


@dataclass(frozen=True)
class MesaFigures:
    """One cast-vote record: a mesa's published votes per card (ballot order), null votes and registered voters."""

    mesa: str
    counts: tuple[int, ...]
    null_votes: int
    registered: int | None


@dataclass(frozen=True)
class Plan:
    """What is audited, against which commitment, with which seed and risk limit. Written once, never changed."""

    seed: str
    """The public seed's digits (e.g. dice rolled on camera after the checkpoint was published)."""
    risk_limit: float
    checkpoint: Committed
    candidates: tuple[str, ...]
    """Candidate keys in ballot order."""
    card_candidates: tuple[int, ...]
    """For each card in ballot order, the index of its candidate in `candidates`."""
    mesas: tuple[MesaFigures, ...]
    """The published figures of every mesa with an accepted acta at the checkpoint, sorted by mesa id."""
    created_at: str
    unknown_bound: int | None = None
    """The most ballots the paper of a mesa whose registered voters are unknown can hold (None: every mesa's are
    known)."""

    @cached_property
    def index(self) -> dict[str, int]:
        return {m.mesa: i for i, m in enumerate(self.mesas)}

    def candidate_votes(self, counts: np.ndarray) -> np.ndarray:
        """Per-card counts, shape (k, cards), summed into per-candidate votes, shape (k, candidates)."""
        to_candidate = np.zeros((len(self.card_candidates), len(self.candidates)), dtype=np.int64)
        to_candidate[np.arange(len(self.card_candidates)), self.card_candidates] = 1
        return np.asarray(counts, dtype=np.int64) @ to_candidate

    @cached_property
    def reported(self) -> np.ndarray:
        """Published votes per mesa and candidate, shape (mesas, candidates)."""
        counts = np.array([m.counts for m in self.mesas], dtype=np.int64).reshape(len(self.mesas), -1)
        return self.candidate_votes(counts)

    @cached_property
    def totals(self) -> np.ndarray:
        return np.asarray(self.reported.sum(axis=0))

    @property
    def winner(self) -> int:
        return int(np.argmax(self.totals))

    @cached_property
    def losers(self) -> np.ndarray:
        return np.array([i for i in range(len(self.candidates)) if i != self.winner], dtype=np.int64)

    @cached_property
    def margins(self) -> np.ndarray:
        """V_l: the winner's published lead over each loser (in `losers` order), in votes."""
        return np.asarray(self.totals[self.winner] - self.totals[self.losers])

    def bound(self, mesa: MesaFigures) -> int:
        """b_p, the most ballots a mesa's paper can hold: its registered voters (`unknown_bound` when the registry
        has none), or its published ballots if more."""
        registered = mesa.registered if mesa.registered is not None else self.unknown_bound
        return max(registered or 0, sum(mesa.counts) + mesa.null_votes)

    @cached_property
    def error_bounds(self) -> np.ndarray:
        """u_p of each mesa: the largest relative overstatement its paper could reveal."""
        bounds = np.array([self.bound(m) for m in self.mesas], dtype=np.float64)
        reported = self.reported
        lead = reported[:, [self.winner]] - reported[:, self.losers]
        return np.asarray(((lead + bounds[:, None]) / self.margins).max(axis=1))

    @cached_property
    def total_bound(self) -> float:
        """U = Σ u_p (always above 1)."""
        return float(self.error_bounds.sum())

    @property
    def seed_text(self) -> str:
        """What seeds the generator: the public digits, then the committed checkpoint's size and root hash."""
        return sampler.seed_text(self.seed, self.checkpoint.size, self.checkpoint.root_hash)

    @cached_property
    def initial_draws(self) -> int:
        """Draws the audit needs if no paper sheet differs from the published figures."""
        return risk.draws_needed(0.0, self.total_bound, self.risk_limit)

    def overstatement(self, mesas: np.ndarray, actual: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For mesa indices `mesas` and their paper votes per candidate `actual`: e_p and the votes behind it.

        The votes are the overstatement of the pair whose relative overstatement
        is largest (negative: the paper gives the winner more than published).
        """
        reported = self.reported[mesas]
        w, losers = self.winner, self.losers
        moved = (reported[:, [w]] - reported[:, losers]) - (actual[:, [w]] - actual[:, losers])
        relative = moved / self.margins
        worst = relative.argmax(axis=1)
        rows = np.arange(len(mesas))
        return relative[rows, worst], moved[rows, worst]

    def draws(self, count: int) -> list[int]:
        """The first `count` draws of the audit (mesa indices), the same for anyone holding the plan."""
        return sampler.draws(self.seed_text, self.error_bounds, count)

    def to_json(self) -> dict[str, Any]:
        """The plan file: its inputs, then what follows from them (recomputed and compared by `testigo verify`)."""
        first = self.draws(min(self.initial_draws, len(self.mesas)))
        return {
            "format": FORMAT,
            "method": METHOD,
            "seed": self.seed,
            "risk_limit": self.risk_limit,
            "checkpoint": self.checkpoint.to_json(),
            "created_at": self.created_at,
            "unknown_bound": self.unknown_bound,
            "candidates": list(self.candidates),
            "card_candidates": [self.candidates[i] for i in self.card_candidates],
            "mesas": [
                {"mesa": m.mesa, "counts": list(m.counts), "null_votes": m.null_votes, "registered": m.registered}
                for m in self.mesas
            ],
            "winner": self.candidates[self.winner],
            "margins": {self.candidates[loser]: int(v) for loser, v in zip(self.losers, self.margins, strict=True)},
            "total_error_bound": self.total_bound,
            "initial_draws": self.initial_draws,
            "first_draws": [self.mesas[i].mesa for i in first],
        }


def make_plan(
    *,
    seed: str,
    risk_limit: float,
    checkpoint: Committed,
    election: Election,
    mesas: Sequence[MesaFigures],
    created_at: str,
    unknown_bound: int | None = None,
) -> Plan:
    """A plan for `mesas` (the published figures at `checkpoint`); raises `AuditError` when none can be made."""
    if not _DIGITS.fullmatch(seed) or len(seed) < MIN_SEED_DIGITS:
        raise AuditError(f"the seed must be at least {MIN_SEED_DIGITS} decimal digits (e.g. dice rolled in public)")
    if not 0 < risk_limit < 1:
        raise AuditError(f"the risk limit must be between 0 and 1, not {risk_limit}")
    if not mesas:
        raise AuditError("no mesa has an accepted acta at the checkpoint: there is nothing to audit")
    unknown = next((m.mesa for m in mesas if m.registered is None), None)
    if unknown is not None and (unknown_bound or 0) < 1:
        raise AuditError(
            f"mesa {unknown} has no registered voters in the registry: the audit needs an upper bound on the "
            "ballots of every mesa (--unknown-bound N)"
        )
    keys = election.candidate_keys()
    if len(keys) < 2:
        raise AuditError("the contest has a single candidate: there is no outcome to check")
    plan = Plan(
        seed,
        risk_limit,
        checkpoint,
        tuple(keys),
        tuple(election.card_candidate_index()),
        tuple(sorted(mesas, key=lambda m: m.mesa)),
        created_at,
        unknown_bound if unknown is not None else None,
    )
    for m in plan.mesas:
        if len(m.counts) != len(plan.card_candidates):
            raise AuditError(f"mesa {m.mesa} has {len(m.counts)} card counts, the ballot {len(plan.card_candidates)}")
    totals = plan.totals
    if (totals == totals[plan.winner]).sum() > 1:
        raise AuditError("the published figures tie for first place: a sample cannot confirm a tie; count every sheet")
    return plan


def plan_from_json(data: Any) -> Plan:
    """The plan in a plan file's document; raises `AuditError` naming what is malformed."""
    try:
        candidates = tuple(str(c) for c in data["candidates"])
        where = {key: i for i, key in enumerate(candidates)}
        checkpoint = data["checkpoint"]
        return Plan(
            seed=str(data["seed"]),
            risk_limit=float(data["risk_limit"]),
            checkpoint=Committed(str(checkpoint["origin"]), int(checkpoint["size"]), str(checkpoint["root_hash"])),
            candidates=candidates,
            card_candidates=tuple(where[str(key)] for key in data["card_candidates"]),
            mesas=tuple(
                MesaFigures(
                    str(m["mesa"]),
                    tuple(int(v) for v in m["counts"]),
                    int(m["null_votes"]),
                    None if m["registered"] is None else int(m["registered"]),
                )
                for m in data["mesas"]
            ),
            created_at=str(data["created_at"]),
            unknown_bound=None if data["unknown_bound"] is None else int(data["unknown_bound"]),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise AuditError(f"the audit plan is malformed ({type(error).__name__}: {error})") from None
