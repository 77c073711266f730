"""The per-mesa table every forensic test and the projection read, as NumPy arrays.

Tests work on NumPy arrays rather than on records so that a national run over
tens of thousands of mesas (or a million) is a handful of vectorised passes.
The table is immutable: injection and resampling build new tables.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from testigo.domain import Election, Registry

#: `registered` value of a mesa whose registered voters are unknown.
UNKNOWN = -1


@dataclass(frozen=True, eq=False)
class MesaTable:
    """Results of N mesas with their geography.

    Arrays, one entry per mesa:
      mesa_ids, center_ids, parish_ids, state_ids  str
      registered       int64, ``UNKNOWN`` (-1) where the registry has no figure
      votes            int64 (N, C), per candidate in the order of `candidates`
      null_votes       int64
    Optional:
      cards            int64 (N, K), per party card, with `card_candidate` (K,)
                       the index in `candidates` each card counts for
      image_hashes     uint64 (N,), 64-bit perceptual hash of the sheet's image
      sheet_prints     object (N,), the sheet print (`testigo.read.sheetprint`,
                       bytes) of the image behind each mesa's record, None where
                       there is none (imported rows, codes of unknown position)
      declared_totals  int64 (N,), the total printed on the sheet, -1 where absent
    """

    mesa_ids: np.ndarray
    center_ids: np.ndarray
    parish_ids: np.ndarray
    state_ids: np.ndarray
    registered: np.ndarray
    votes: np.ndarray
    null_votes: np.ndarray
    candidates: tuple[str, ...]
    cards: np.ndarray | None = None
    card_candidate: np.ndarray | None = None
    image_hashes: np.ndarray | None = None
    declared_totals: np.ndarray | None = None
    sheet_prints: np.ndarray | None = None
    _index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        n = len(self.mesa_ids)
        for name in ("center_ids", "parish_ids", "state_ids", "registered", "null_votes"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"{name} has {len(getattr(self, name))} entries, expected {n}")
        if self.votes.shape != (n, len(self.candidates)):
            raise ValueError(f"votes has shape {self.votes.shape}, expected {(n, len(self.candidates))}")
        if (self.cards is None) != (self.card_candidate is None):
            raise ValueError("cards and card_candidate go together")
        if self.cards is not None and self.cards.shape[0] != n:
            raise ValueError(f"cards has {self.cards.shape[0]} rows, expected {n}")
        for name in ("image_hashes", "declared_totals", "sheet_prints"):
            value = getattr(self, name)
            if value is not None and len(value) != n:
                raise ValueError(f"{name} has {len(value)} entries, expected {n}")
        object.__setattr__(self, "_index", {key: i for i, key in enumerate(self.candidates)})

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def from_results(
        cls, rows: Sequence[Mapping[str, int | str]], registry: Registry, candidates: Sequence[str] | None = None
    ) -> MesaTable:
        """From `load_results()`-style rows: ``{"mesa_id", <candidate>: votes, ..., "null"}``.

        `candidates` defaults to the row keys other than ``mesa_id`` and ``null``, in
        row order. Every mesa must be in `registry` (its geography is needed).
        """
        keys = tuple(candidates) if candidates is not None else _candidate_keys(rows)
        mesa_ids = [str(row["mesa_id"]) for row in rows]
        votes = np.array([[int(row[k]) for k in keys] for row in rows], dtype=np.int64).reshape(len(rows), len(keys))
        nulls = np.array([int(row.get("null", 0)) for row in rows], dtype=np.int64)
        return cls(*_geography(mesa_ids, registry), votes=votes, null_votes=nulls, candidates=keys)

    @classmethod
    def from_cards(
        cls,
        mesa_ids: Sequence[str],
        cards: np.ndarray,
        null_votes: np.ndarray,
        election: Election,
        registry: Registry,
        image_hashes: np.ndarray | None = None,
    ) -> MesaTable:
        """From per-card counts (accepted records), summing cards into candidates."""
        card_candidate = np.asarray(election.card_candidate_index(), dtype=np.int64)
        cards = np.asarray(cards, dtype=np.int64).reshape(len(mesa_ids), len(card_candidate))
        votes = np.zeros((len(mesa_ids), len(election.candidates)), dtype=np.int64)
        np.add.at(votes.T, card_candidate, cards.T)
        return cls(
            *_geography(list(mesa_ids), registry),
            votes=votes,
            null_votes=np.asarray(null_votes, dtype=np.int64),
            candidates=tuple(election.candidate_keys()),
            cards=cards,
            card_candidate=card_candidate,
            image_hashes=image_hashes,
        )

    def to_rows(self) -> list[dict[str, int | str]]:
        """Back to `load_results()`-style rows (per-card counts are not part of them)."""
        rows: list[dict[str, int | str]] = []
        columns = (self.mesa_ids.tolist(), self.votes.tolist(), self.null_votes.tolist())
        for mesa, votes, nulls in zip(*columns, strict=True):
            row: dict[str, int | str] = {"mesa_id": mesa}
            row.update(zip(self.candidates, votes, strict=True))
            row["null"] = nulls
            rows.append(row)
        return rows

    def take(self, indices: np.ndarray) -> MesaTable:
        """The mesas at `indices` (integer positions or a boolean mask), in that order."""

        def pick(a: np.ndarray | None) -> np.ndarray | None:
            return None if a is None else a[indices]

        return replace(
            self,
            mesa_ids=self.mesa_ids[indices],
            center_ids=self.center_ids[indices],
            parish_ids=self.parish_ids[indices],
            state_ids=self.state_ids[indices],
            registered=self.registered[indices],
            votes=self.votes[indices],
            null_votes=self.null_votes[indices],
            cards=pick(self.cards),
            image_hashes=pick(self.image_hashes),
            declared_totals=pick(self.declared_totals),
            sheet_prints=pick(self.sheet_prints),
        )

    # -- derived quantities -------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.mesa_ids)

    def index(self, candidate: str) -> int:
        """Column of `candidate` in `votes`; ValueError naming the known ones."""
        try:
            return self._index[candidate]
        except KeyError:
            raise ValueError(f"unknown candidate {candidate!r}; known: {', '.join(self.candidates)}") from None

    @property
    def valid(self) -> np.ndarray:
        """Valid votes per mesa (sum over candidates)."""
        valid: np.ndarray = self.votes.sum(axis=1)
        return valid

    @property
    def total(self) -> np.ndarray:
        """Ballots per mesa: valid plus null votes."""
        total: np.ndarray = self.valid + self.null_votes
        return total

    @property
    def has_registered(self) -> np.ndarray:
        """Mask of mesas whose registered voters are known (and positive)."""
        return self.registered > 0

    @property
    def turnout(self) -> np.ndarray:
        """Ballots over registered voters; NaN where registered is unknown."""
        out = np.full(len(self), np.nan)
        known = self.has_registered
        out[known] = self.total[known] / self.registered[known]
        return out

    def share(self, candidate: str) -> np.ndarray:
        """Votes of `candidate` over valid votes; NaN where a mesa has no valid vote."""
        valid = self.valid
        out = np.full(len(self), np.nan)
        some = valid > 0
        out[some] = self.votes[some, self.index(candidate)] / valid[some]
        return out

    def national_shares(self) -> dict[str, float]:
        """Each candidate's share of all valid votes in the table."""
        sums = self.votes.sum(axis=0)
        total = sums.sum()
        return {key: (float(v / total) if total else 0.0) for key, v in zip(self.candidates, sums, strict=True)}

    def leaders(self) -> list[str]:
        """Candidates from the most to the fewest votes in the table."""
        order = np.argsort(-self.votes.sum(axis=0), kind="stable")
        return [self.candidates[i] for i in order]

    def main_candidates(self, min_share: float) -> list[str]:
        """Candidates with at least `min_share` of all valid votes, most voted first."""
        shares = self.national_shares()
        return [key for key in self.leaders() if shares[key] >= min_share]


def _candidate_keys(rows: Sequence[Mapping[str, int | str]]) -> tuple[str, ...]:
    if not rows:
        raise ValueError("no rows and no candidates: cannot tell the columns")
    return tuple(k for k in rows[0] if k not in ("mesa_id", "null"))


def _geography(
    mesa_ids: list[str], registry: Registry
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """mesa, center, parish and state ids plus registered voters of each mesa, from the registry."""
    missing = [m for m in mesa_ids if m not in registry.mesas]
    if missing:
        raise KeyError(f"{len(missing)} mesa(s) not in the registry, e.g. {missing[0]!r}")
    mesas = [registry.mesas[m] for m in mesa_ids]
    parish_of: dict[str, str] = {}
    state_of: dict[str, str] = {}
    for mesa in mesas:
        if mesa.center_id not in parish_of:
            parish_of[mesa.center_id] = registry.area_of(mesa, "parish")
            state_of[mesa.center_id] = registry.area_of(mesa, "state")
    return (
        np.array(mesa_ids, dtype=str),
        np.array([m.center_id for m in mesas], dtype=str),
        np.array([parish_of[m.center_id] for m in mesas], dtype=str),
        np.array([state_of[m.center_id] for m in mesas], dtype=str),
        np.array([m.registered if m.registered else UNKNOWN for m in mesas], dtype=np.int64),
    )
