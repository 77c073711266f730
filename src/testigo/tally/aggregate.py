"""Aggregating accepted records by geographic level.

Only accepted records count; conflicts wait for review and never enter a total.
The sums are done in NumPy over a mesa × card matrix, so a national tally of a
million mesas is a few array operations rather than a Python loop per mesa.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from testigo.domain import LEVELS, Election, Registry
from testigo.errors import UserError
from testigo.profiles import Profile
from testigo.store import records
from testigo.store.workspace import Store


@dataclass(frozen=True)
class TallyRow:
    """Totals of one area (or one mesa). `cards` only at mesa level."""

    id: str
    name: str
    actas: int
    mesas_registry: int
    candidates: dict[str, int]
    null_votes: int
    cards: list[int] | None = None
    evidence: dict[str, int] = field(default_factory=dict)
    """How many of its actas each kind of evidence backs (`testigo.ledger.entries.EVIDENCE`: ``image`` a QR
    code, ``image+print`` a QR code its print agrees with, ``print`` the print alone, ``manual`` two reviewers,
    ``manual+print`` a reviewer and the print, ``table`` an imported row)."""

    @property
    def valid_votes(self) -> int:
        return sum(self.candidates.values())

    @property
    def shares(self) -> dict[str, float]:
        valid = self.valid_votes
        return {k: (round(v / valid, 6) if valid else 0.0) for k, v in self.candidates.items()}

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "id": self.id,
            "name": self.name,
            "actas": self.actas,
            "mesas_registry": self.mesas_registry,
            "candidates": self.candidates,
            "shares": self.shares,
            "valid_votes": self.valid_votes,
            "null_votes": self.null_votes,
            "evidence": self.evidence,
        }
        if self.cards is not None:
            data["cards"] = self.cards
        return data


@dataclass(frozen=True)
class Coverage:
    """How much of the registry the accepted actas cover.

    `registered_*` sum the registered voters of mesas whose figure is known
    (ve2024: every mesa of the opposition's table).
    """

    mesas_covered: int
    mesas_registry: int
    mesas_national: int | None
    registered_covered: int
    registered_total: int

    def to_json(self) -> dict[str, object]:
        return {
            "mesas_covered": self.mesas_covered,
            "mesas_registry": self.mesas_registry,
            "mesas_national": self.mesas_national,
            "registered_covered": self.registered_covered,
            "registered_total": self.registered_total,
            "share_of_registry": round(self.mesas_covered / self.mesas_registry, 6) if self.mesas_registry else 0.0,
            "share_of_national": (round(self.mesas_covered / self.mesas_national, 6) if self.mesas_national else None),
        }


@dataclass(frozen=True)
class TallyResult:
    """`contest` is the contest totalled (``""``: the one contest of a one-contest format, and then the JSON
    leaves it out, as it always did)."""

    level: str
    rows: list[TallyRow]
    coverage: Coverage
    candidate_names: dict[str, str]
    contest: str = ""

    def to_json(self) -> dict[str, object]:
        document: dict[str, object] = {"contest": self.contest} if self.contest else {}
        document.update(
            {
                "level": self.level,
                "candidate_names": self.candidate_names,
                "rows": [row.to_json() for row in self.rows],
                "coverage": self.coverage.to_json(),
            }
        )
        return document


def tally(store: Store, level: str = "country", contest: str = "") -> TallyResult:
    """Totals of accepted records of `contest` at `level`, one row per area that has at least one of them."""
    election, registry = store.profile.election_of(contest), contest_registry(store, contest)
    return tally_accepted(election, registry, level, accepted_matrix(store, contest), contest)


def contest_registry(store: Store, contest: str) -> Registry:
    """The registry a contest is counted against: the mesas of its constituency (`Profile.contest_area`).

    A copy, walked at leisure: in a server, an upload settled in another thread may add a section to the
    store's registry meanwhile (profile br)."""
    return registry_of_contest(store.profile, store.registry.copy(), contest)


def registry_of_contest(profile: Profile, registry: Registry, contest: str) -> Registry:
    """The part of `registry` that `contest` is voted in (all of it for a contest of the whole country, or one
    whose area it lacks), as `testigo tally --contest` and a published bundle count it."""
    area = profile.contest_area(contest)
    return registry if area is None or area not in registry.areas else registry.within(area)


def tally_accepted(
    election: Election, registry: Registry, level: str, accepted: Accepted, contest: str = ""
) -> TallyResult:
    """Totals of the given accepted records of `contest` at `level` (shared by `tally` and the published
    bundle)."""
    if level not in LEVELS:
        raise UserError(f"unknown level {level!r}; choose one of {', '.join(LEVELS)}")
    coverage = _coverage(registry, accepted.mesa_ids)
    names = {c.key: c.name for c in election.candidates}
    if level == "mesa":
        rows = [
            _mesa_row(election, acta_id, accepted.cards[i], int(accepted.nulls[i]), accepted.evidence[i])
            for i, acta_id in enumerate(accepted.acta_ids)
        ]
        return TallyResult(level, sorted(rows, key=lambda r: r.id), coverage, names, contest)
    rows = _area_rows(election, registry, level, accepted)
    return TallyResult(level, rows, coverage, names, contest)


@dataclass(frozen=True)
class Accepted:
    """The accepted records of the registry's mesas as arrays: what every aggregate starts from."""

    mesa_ids: list[str]
    acta_ids: list[str]
    cards: np.ndarray  # mesas × cards
    nulls: np.ndarray
    evidence: list[str]
    """What backs each record (see `TallyRow.evidence`)."""


def accepted_matrix(store: Store, contest: str = "") -> Accepted:
    """Accepted records of `contest` of mesas the registry knows, as a mesa × card matrix."""
    election, registry = store.profile.election_of(contest), store.registry
    with store.sessions() as session:
        accepted = [row for row in records.accepted_counts(session, contest) if row[0] in registry.mesas]
        evidence = records.accepted_evidence(session, contest)
    return Accepted(
        mesa_ids=[row[0] for row in accepted],
        acta_ids=[row[1] for row in accepted],
        cards=_card_matrix([row[2] for row in accepted], len(election.cards)),
        nulls=np.array([row[3] for row in accepted], dtype=np.int64),
        evidence=[evidence[row[0]] for row in accepted],
    )


_DAMAGED = "the records table is damaged"


def _card_matrix(counts: list[str], width: int) -> np.ndarray:
    """The stored count lists as a records × `width` matrix; a shorter list reads as zeros beyond its end.

    A ballot built from the sheets as they arrive only grows
    (`Profile.election_of`), so a record stored before an option was added
    lacks it. A longer list, or one that is not whole numbers, is damage.
    """
    if all(text.count(",") == width - 1 for text in counts):
        # one join and one parse for all records: far faster than parsing row by row at national scale
        try:
            cards = np.fromstring(",".join(counts), dtype=np.int64, sep=",") if counts else np.zeros(0, np.int64)
        except (ValueError, DeprecationWarning):  # NumPy warns, or raises where warnings are errors
            cards = np.zeros(0, dtype=np.int64)
        if cards.size != len(counts) * width:  # a stored count that is not a whole number
            raise ValueError(f"accepted records hold counts that are not {width} whole numbers: {_DAMAGED}")
        return cards.reshape(len(counts), width)
    matrix = np.zeros((len(counts), width), dtype=np.int64)
    for i, text in enumerate(counts):
        try:
            row = [int(value) for value in text.split(",")] if text else []
        except ValueError:
            raise ValueError(f"an accepted record holds counts {text[:40]!r}: {_DAMAGED}") from None
        if len(row) > width:
            raise ValueError(f"an accepted record holds {len(row)} counts, its ballot {width}: {_DAMAGED}")
        matrix[i, : len(row)] = row
    return matrix


def _candidate_matrix(election: Election) -> np.ndarray:
    """cards × candidates 0/1 matrix: per-card counts @ matrix = per-candidate votes."""
    matrix = np.zeros((len(election.cards), len(election.candidates)), dtype=np.int64)
    matrix[np.arange(len(election.cards)), election.card_candidate_index()] = 1
    return matrix


def _mesa_row(election: Election, acta_id: str, cards: np.ndarray, nulls: int, evidence: str) -> TallyRow:
    per_candidate = cards @ _candidate_matrix(election)
    candidates = {c.key: int(v) for c, v in zip(election.candidates, per_candidate, strict=True)}
    return TallyRow(acta_id, acta_id, 1, 1, candidates, nulls, [int(v) for v in cards], {evidence: 1})


def _area_rows(election: Election, registry: Registry, level: str, accepted: Accepted) -> list[TallyRow]:
    mesa_ids, cards, nulls = accepted.mesa_ids, accepted.cards, accepted.nulls
    area_of = {m.id: registry.area_of(m, level) for m in registry.mesas.values()}
    keys = np.array([area_of[m] for m in mesa_ids], dtype=object)
    if not len(keys):
        return []
    unique, inverse = np.unique(keys.astype(str), return_inverse=True)
    per_candidate = cards @ _candidate_matrix(election)
    sums = np.zeros((len(unique), per_candidate.shape[1]), dtype=np.int64)
    np.add.at(sums, inverse, per_candidate)
    null_sums = np.bincount(inverse, weights=nulls, minlength=len(unique)).astype(np.int64)
    actas = np.bincount(inverse, minlength=len(unique))
    kinds, kind_of = np.unique(np.array(accepted.evidence, dtype=str), return_inverse=True)
    backing = np.zeros((len(unique), len(kinds)), dtype=np.int64)
    np.add.at(backing, (inverse, kind_of), 1)
    in_registry = np.unique(np.array(list(area_of.values()), dtype=str), return_counts=True)
    mesas_in = dict(zip(in_registry[0].tolist(), in_registry[1].tolist(), strict=True))
    rows = []
    for i, area_id in enumerate(unique.tolist()):
        name = registry.areas[area_id].name if level != "country" else "national"
        candidates = {c.key: int(v) for c, v in zip(election.candidates, sums[i], strict=True)}
        evidence = {str(kind): int(n) for kind, n in zip(kinds, backing[i], strict=True) if n}
        rows.append(
            TallyRow(
                area_id or "national",
                name,
                int(actas[i]),
                int(mesas_in[area_id]),
                candidates,
                int(null_sums[i]),
                evidence=evidence,
            )
        )
    return rows


def _coverage(registry: Registry, covered: list[str]) -> Coverage:
    registered = {m.id: m.registered for m in registry.mesas.values()}
    return Coverage(
        mesas_covered=len(covered),
        mesas_registry=len(registry.mesas),
        mesas_national=registry.mesas_national,
        registered_covered=sum(registered[m] or 0 for m in covered),
        registered_total=sum(v or 0 for v in registered.values()),
    )
