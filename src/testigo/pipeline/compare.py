"""`testigo compare`: the citizens' verified actas against the official per-mesa results.

Only mesas present in both sources are compared, so coverage cannot pass for
manipulation: the national effect ("the official total gives candidate X N
more votes than the verified actas of the same mesas") sums, per candidate,
official minus verified over those common mesas. Mesas present in one source
only are listed apart. Verified means accepted citizen records (decoded or
imported); conflicts wait for review and are not compared.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np

from testigo.domain import LEVELS
from testigo.errors import UserError
from testigo.pipeline.analysis import accepted_table
from testigo.store import official
from testigo.store.workspace import Store


@dataclass(frozen=True)
class MesaDifference:
    """A mesa whose official figures differ from its verified acta; `difference` is official − verified."""

    mesa_id: str
    verified: dict[str, int]
    official: dict[str, int]
    null_votes: tuple[int, int | None]  # (verified, official; None where the official source gives none)

    @property
    def difference(self) -> dict[str, int]:
        return {k: self.official[k] - self.verified[k] for k in self.verified}

    def to_json(self) -> dict[str, Any]:
        return {
            "mesa": self.mesa_id,
            "verified": self.verified,
            "official": self.official,
            "difference": self.difference,
            "null_votes": {"verified": self.null_votes[0], "official": self.null_votes[1]},
            "votes_changed": sum(abs(v) for v in self.difference.values()),
        }


@dataclass(frozen=True)
class AreaComparison:
    """Totals of one area over the mesas both sources have."""

    id: str
    name: str
    mesas_compared: int
    mesas_differing: int
    verified: dict[str, int]
    official: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "mesas_compared": self.mesas_compared,
            "mesas_differing": self.mesas_differing,
            "verified": self.verified,
            "official": self.official,
            "difference": {k: self.official[k] - self.verified[k] for k in self.verified},
        }


@dataclass(frozen=True)
class Comparison:
    level: str
    candidate_names: dict[str, str]
    areas: list[AreaComparison]
    differing: list[MesaDifference]
    only_verified: list[str]
    only_official: list[str]
    national_effect: dict[str, int]

    def statements(self) -> list[str]:
        """The national effect in words, one sentence per candidate the official total changes."""
        compared = sum(a.mesas_compared for a in self.areas)
        lines = []
        for key, delta in sorted(self.national_effect.items(), key=lambda kv: -abs(kv[1])):
            if delta:
                more = "more" if delta > 0 else "fewer"
                lines.append(
                    f"the official total gives {self.candidate_names[key]} {abs(delta):,} {more} votes "
                    f"than the verified actas of the same {compared:,} mesas"
                )
        return lines or [f"the official figures equal the verified actas in all {compared:,} common mesas"]

    def to_json(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "candidate_names": self.candidate_names,
            "mesas_compared": sum(a.mesas_compared for a in self.areas),
            "national_effect": self.national_effect,
            "statements": self.statements(),
            "areas": [a.to_json() for a in self.areas],
            "differing": [d.to_json() for d in self.differing],
            "only_verified": self.only_verified,
            "only_official": self.only_official,
        }


def compare(store: Store, level: str = "state") -> Comparison:
    """Verified versus official, per mesa and aggregated at `level` (see the module docstring)."""
    if level not in LEVELS:
        raise UserError(f"unknown level {level!r}; choose one of {', '.join(LEVELS)}")
    election, registry = store.profile.election, store.registry
    keys = election.candidate_keys()
    with store.sessions() as session:
        official_rows = official.load(session)
    if not official_rows:
        raise UserError("no official results yet: testigo import FILE --source official")
    table = accepted_table(store)
    verified = {
        mesa: (dict(zip(keys, (int(v) for v in votes), strict=True)), int(nulls))
        for mesa, votes, nulls in zip(table.mesa_ids.tolist(), table.votes, table.null_votes.tolist(), strict=True)
    }
    common = sorted(verified.keys() & official_rows.keys())
    sums: dict[str, dict[str, np.ndarray]] = defaultdict(
        lambda: {"verified": np.zeros(len(keys), dtype=np.int64), "official": np.zeros(len(keys), dtype=np.int64)}
    )
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    differing = []
    for mesa_id in common:
        mine, nulls = verified[mesa_id]
        theirs = official_rows[mesa_id]
        area = registry.area_of(registry.mesas[mesa_id], level)
        sums[area]["verified"] += list(mine.values())
        sums[area]["official"] += theirs.votes
        counts[area][0] += 1
        if list(mine.values()) != theirs.votes or theirs.null_votes not in (None, nulls):
            counts[area][1] += 1
            differing.append(
                MesaDifference(mesa_id, mine, dict(zip(keys, theirs.votes, strict=True)), (nulls, theirs.null_votes))
            )
    areas = [
        AreaComparison(
            area or "national",
            registry.areas[area].name if area in registry.areas else area or "national",
            counts[area][0],
            counts[area][1],
            _named(keys, totals["verified"]),
            _named(keys, totals["official"]),
        )
        for area, totals in sorted(sums.items())
    ]
    national = {k: sum(a.official[k] - a.verified[k] for a in areas) for k in keys}
    return Comparison(
        level=level,
        candidate_names={c.key: c.name for c in election.candidates},
        areas=areas,
        differing=sorted(differing, key=lambda d: (-sum(abs(v) for v in d.difference.values()), d.mesa_id)),
        only_verified=sorted(verified.keys() - official_rows.keys()),
        only_official=sorted(official_rows.keys() - verified.keys()),
        national_effect=national,
    )


def _named(keys: list[str], values: np.ndarray) -> dict[str, int]:
    return {k: int(v) for k, v in zip(keys, values.tolist(), strict=True)}
