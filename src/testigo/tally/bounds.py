"""Assumption-free bounds: what the mesas without an accepted acta could still change.

The projection (`testigo.tally.projection`) estimates the missing mesas with a
model; a skeptic attacks the model. A bound needs none: a missing mesa cannot
cast more ballots than it has registered voters, so if every one of them voted
for the runner-up and the leader still led, the outcome is decided whatever
those mesas contain. For each area and each candidate X this gives the result
if every missing voter voted for X, and `decided` when no X overturns the
leader (a tie is not a lead: equality is not decided).

Where the voters of a missing mesa come from, in order:

* the mesa's own registered figure in the registry;
* a center whose registry mesas lack a figure (or that holds mesas the registry
  does not list) but whose own registered figure is known: the center's figure
  less its mesas' known figures, less the ballots its covered mesas without a
  figure cast (their voters are part of that remainder and used at least that many);
* every other voter — of a mesa with neither figure, or of a mesa the registry
  does not list at all — is on the official roll of the contest
  (`Registry.registered_national`) but not placed by the registry: the roll less
  every voter the registry places, less the ballots covered mesas with neither
  figure cast. Nothing says which area those voters vote in, so every area's
  worst case includes them all — a registry that lists every mesa with its
  figure makes that zero. Without a roll such mesas are *unbounded*: nothing
  limits their voters, so no area they may be in can be decided.

A second, less extreme line caps each missing mesa at the highest turnout
(ballots over registered voters) of a covered mesa of its parish, else of its
municipality, state or the country when the parish has none covered; voters
the registry cannot place use the country's highest turnout.

The data are per contest (`Bounds.contest`): a sheet of several contests gives
one `Bounds` per contest.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from testigo.domain import Election, Registry
from testigo.tally.aggregate import Accepted, _candidate_matrix

#: Levels a bound is given for (a single mesa is covered or not: nothing to bound).
BOUND_LEVELS = ("country", "state", "municipality", "parish", "center")
#: Where a missing mesa takes its turnout cap from, in order of preference.
_TURNOUT_LEVELS = ("parish", "municipality", "state", "country")


@dataclass(frozen=True)
class Scenario:
    """Every missing voter votes for `candidate`: its `votes` then, the `leader` and how far ahead it is
    (`margin`, over the next candidate; 0 in a tie)."""

    candidate: str
    votes: int
    leader: str
    margin: int

    def to_json(self) -> dict[str, object]:
        return {"candidate": self.candidate, "votes": self.votes, "leader": self.leader, "margin": self.margin}


@dataclass(frozen=True)
class Line:
    """One cap on the missing mesas' voters: `voters` at most (None: unbounded), what each candidate would
    reach with all of them (`scenarios`), and whether the counted leader stays ahead whatever they do."""

    voters: int | None
    decided: bool
    margin: int | None
    """The counted leader's lead over the strongest challenger given every missing voter (None: unbounded);
    positive exactly when `decided`."""
    counted: dict[str, int] = field(repr=False)
    """The area's counted votes, which the scenarios add the missing voters to."""

    @cached_property
    def scenarios(self) -> dict[str, Scenario]:
        """Per candidate, every missing voter voting for them (none when unbounded). Made on first use: a
        snapshot of every center of a country would otherwise build hundreds of thousands nobody reads."""
        if self.voters is None:
            return {}
        order = sorted(self.counted, key=self.counted.__getitem__, reverse=True)[:3]  # ties stay in ballot order
        return {key: _scenario(self.counted, order, key, self.voters) for key in self.counted}

    def to_json(self) -> dict[str, object]:
        return {
            "voters": self.voters,
            "decided": self.decided,
            "margin": self.margin,
            "scenarios": {k: s.to_json() for k, s in self.scenarios.items()},
        }


@dataclass(frozen=True)
class AreaBounds:
    """The bounds of one area: what its accepted actas count, what is missing, and the two lines.

    `mesas_missing` counts registry mesas without an accepted acta, plus (country)
    the mesas the registry does not list; `mesas_unbounded` the missing mesas whose
    voters nothing limits (at every level, the unlisted ones when no roll bounds
    them: they could be in any area); `unplaced` the voters of the roll the
    registry does not place, included in every area's lines (None: no roll).
    """

    id: str
    name: str
    counted: dict[str, int]
    leader: str | None
    runner_up: str | None
    lead: int
    mesas_counted: int
    mesas_missing: int
    mesas_unbounded: int
    unplaced: int | None
    registered: Line
    parish_turnout: Line

    def sentence(self, names: dict[str, str]) -> str:
        """The registered line in one sentence, with its numbers."""
        line = self.registered
        missing = f"{self.mesas_missing:,} missing mesas"
        if self.id != "national" and self.unplaced:
            missing += f" and the {self.unplaced:,} voters the registry does not place"
        if line.voters is None:
            return f"not decided: nothing bounds the voters of {self.mesas_unbounded:,} missing mesas"
        if self.leader is None or self.runner_up is None:
            return f"not decided: no votes counted, {missing} with {line.voters:,} registered voters"
        leader, runner_up = names.get(self.leader, self.leader), names.get(self.runner_up, self.runner_up)
        if line.decided:
            return (
                f"decided: even if all {missing} ({line.voters:,} registered voters in all) voted only for "
                f"{runner_up}, {leader} leads by {line.margin:,}"
            )
        overturn = line.scenarios[self.runner_up]
        return (
            f"not decided: if all {missing} ({line.voters:,} registered voters in all) voted only for {runner_up}, "
            f"{names.get(overturn.leader, overturn.leader)} would lead by {overturn.margin:,}"
        )

    def arithmetic(self, names: dict[str, str]) -> str:
        """How the registered line's worst case adds up: counted votes + missing voters against the leader."""
        line = self.registered
        if self.leader is None or self.runner_up is None or line.voters is None:
            return ""
        leader, runner_up = names.get(self.leader, self.leader), names.get(self.runner_up, self.runner_up)
        challenger = self.counted[self.runner_up] + line.voters
        return (
            f"{runner_up} {self.counted[self.runner_up]:,} counted + {line.voters:,} missing registered voters "
            f"= {challenger:,}; {leader} {self.counted[self.leader]:,} counted; "
            f"{self.counted[self.leader]:,} - {challenger:,} = {self.counted[self.leader] - challenger:,}"
        )

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "name": self.name,
            "counted": self.counted,
            "leader": self.leader,
            "runner_up": self.runner_up,
            "lead": self.lead,
            "mesas_counted": self.mesas_counted,
            "mesas_missing": self.mesas_missing,
            "mesas_unbounded": self.mesas_unbounded,
            "unplaced": self.unplaced,
            "registered": self.registered.to_json(),
            "parish_turnout": self.parish_turnout.to_json(),
        }


@dataclass(frozen=True)
class Bounds:
    """The bounds of one contest at `level`, one `AreaBounds` per area of the registry at that level."""

    contest: str
    level: str
    areas: list[AreaBounds]

    def to_json(self) -> dict[str, object]:
        return {"contest": self.contest, "level": self.level, "areas": [a.to_json() for a in self.areas]}


def bounds(election: Election, registry: Registry, level: str, accepted: Accepted) -> Bounds:
    """The bounds at `level` (one of `BOUND_LEVELS`) of the accepted records against the registry."""
    return bounds_by_level(election, registry, accepted, (level,))[level]


def bounds_by_level(
    election: Election,
    registry: Registry,
    accepted: Accepted,
    levels: Sequence[str] = BOUND_LEVELS,
    only: Collection[str] | None = None,
) -> dict[str, Bounds]:
    """The bounds at each of `levels` from one pass over the registry (what a site of every area needs).

    `only` names the areas to give (``national`` for the country; None: every
    area): a bundle has pages for the areas with actas, a handful of the
    country's 14,000 centers early in the night, and building a line costs
    more than summing its area. The sums still cover every mesa.
    """
    for level in levels:
        if level not in BOUND_LEVELS:
            raise ValueError(f"no bounds at level {level!r}; choose one of {', '.join(BOUND_LEVELS)}")
    votes = accepted.cards @ _candidate_matrix(election)
    covered = {m: i for i, m in enumerate(accepted.mesa_ids)}
    places = _places(registry)
    caps = _Caps.of(registry, places, covered, votes.sum(axis=1) + accepted.nulls)
    centers: dict[str, _Sums] = {}
    for mesa in registry.mesas.values():
        if mesa.center_id not in centers:
            centers[mesa.center_id] = _Sums.empty(votes.shape[1])
        sums = centers[mesa.center_id]
        if mesa.id in covered:
            sums.counted += votes[covered[mesa.id]]
            sums.mesas_counted += 1
            continue
        sums.missing += 1
        if mesa.registered is None:
            sums.unplaced_mesas += mesa.center_id not in caps.remainder
            continue
        sums.voters += mesa.registered
        sums.likely += mesa.registered * caps.turnout[mesa.center_id]
    for center_id, remainder in caps.remainder.items():
        if center_id in centers:
            centers[center_id].voters += remainder
            centers[center_id].likely += remainder * caps.turnout[center_id]
    return {level: _level(election, registry, caps, places, centers, level, only) for level in levels}


@dataclass
class _Sums:
    """What one area adds up to before its lines: counted votes, missing mesas and their voters."""

    counted: np.ndarray
    mesas_counted: int = 0
    missing: int = 0
    unplaced_mesas: int = 0
    voters: int = 0
    likely: float = 0.0

    @classmethod
    def empty(cls, candidates: int) -> _Sums:
        return cls(np.zeros(candidates, dtype=np.int64))

    def add(self, other: _Sums) -> None:
        self.counted += other.counted
        self.mesas_counted += other.mesas_counted
        self.missing += other.missing
        self.unplaced_mesas += other.unplaced_mesas
        self.voters += other.voters
        self.likely += other.likely


def _level(
    election: Election,
    registry: Registry,
    caps: _Caps,
    places: dict[str, dict[str, str]],
    centers: dict[str, _Sums],
    level: str,
    only: Collection[str] | None,
) -> Bounds:
    keys = election.candidate_keys()
    areas: dict[str, _Sums] = {}
    for center_id, sums in centers.items():
        area = places[center_id][level]
        if area not in areas:
            areas[area] = _Sums.empty(len(keys))
        areas[area].add(sums)
    unlisted = max(0, (registry.mesas_national or 0) - len(registry.mesas))
    unplaced = caps.unplaced(registry)
    # mesas the registry does not list: bounded by the roll's unplaced voters, else by nothing
    extra, extra_likely = (unplaced, round(unplaced * caps.country_turnout)) if unplaced is not None else (0, 0)
    rows = []
    for area, sums in sorted(areas.items()):
        if only is not None and (area or "national") not in only:
            continue
        unbounded = sums.unplaced_mesas + unlisted if unplaced is None else 0
        totals = {k: int(v) for k, v in zip(keys, sums.counted, strict=True)}
        leader, runner_up = _top_two(totals)
        rows.append(
            AreaBounds(
                id=area or "national",
                name=registry.areas[area].name if area else "national",
                counted=totals,
                leader=leader,
                runner_up=runner_up,
                lead=totals[leader] - totals[runner_up] if leader and runner_up else 0,
                mesas_counted=sums.mesas_counted,
                mesas_missing=sums.missing + (unlisted if level == "country" else 0),
                mesas_unbounded=unbounded,
                unplaced=unplaced,
                registered=_line(totals, leader, runner_up, sums.voters + extra if not unbounded else None),
                parish_turnout=_line(
                    totals, leader, runner_up, round(sums.likely) + extra_likely if not unbounded else None
                ),
            )
        )
    return Bounds(election.name, level, rows)


@dataclass(frozen=True)
class _Caps:
    """What limits the missing voters: center remainders, the highest turnout per area, the unplaced roll."""

    remainder: dict[str, int]
    """Per center with a registered figure: voters its mesas without a figure (or unlisted) may still cast."""
    placed: int
    """Voters the roll cannot give to an unplaced mesa: the mesas' known figures, the centers' remainders, and
    the ballots of covered mesas whose voters the registry does not place."""
    turnout: dict[str, float]
    """Per center: the highest turnout of a covered mesa with a known figure in its parish, else in the
    nearest larger area that has one (1 where no area has)."""
    country_turnout: float

    @classmethod
    def of(
        cls, registry: Registry, places: dict[str, dict[str, str]], covered: dict[str, int], ballots: np.ndarray
    ) -> _Caps:
        known: dict[str, int] = defaultdict(int)
        cast_unknown: dict[str, int] = defaultdict(int)  # per center, of its covered mesas without a figure
        highest: dict[str, float] = {}
        for mesa in registry.mesas.values():
            if mesa.registered is not None:
                known[mesa.center_id] += mesa.registered
            if mesa.id not in covered:
                continue
            cast = int(ballots[covered[mesa.id]])
            if mesa.registered is None or mesa.registered <= 0:
                cast_unknown[mesa.center_id] += cast
                continue
            share = min(1.0, cast / mesa.registered)
            for level in _TURNOUT_LEVELS:
                area = places[mesa.center_id][level]
                highest[area] = max(highest.get(area, 0.0), share)
        raw = {
            area.id: max(0, area.registered - known[area.id])
            for area in registry.areas.values()
            if area.level == "center" and area.registered is not None
        }
        remainder = {c: max(0, r - cast_unknown[c]) for c, r in raw.items()}
        cast_unplaced = sum(n for c, n in cast_unknown.items() if c not in raw)
        turnout = {
            center: next((highest[place[lv]] for lv in _TURNOUT_LEVELS if place[lv] in highest), 1.0)
            for center, place in places.items()
        }
        placed = sum(known.values()) + sum(raw.values()) + cast_unplaced
        return cls(remainder, placed, turnout, highest.get("", 1.0))

    def unplaced(self, registry: Registry) -> int | None:
        """Voters of the roll the registry does not place and no covered mesa used (None: no roll)."""
        if registry.registered_national is None:
            return None
        return max(0, registry.registered_national - self.placed)


def _places(registry: Registry) -> dict[str, dict[str, str]]:
    """Per center, the id of the area around it at every level ('' the country): walked once, not per mesa."""
    return {
        area.id: {"country": "", **{a.level: a.id for a in registry.ancestors(area.id)}}
        for area in registry.areas.values()
        if area.level == "center"
    }


def _top_two(totals: dict[str, int]) -> tuple[str | None, str | None]:
    """The counted leader and runner-up (ballot order breaks ties); None where nothing is counted."""
    if not any(totals.values()):
        return None, None
    order = sorted(totals, key=lambda k: -totals[k])
    return order[0], order[1] if len(order) > 1 else None


def _line(totals: dict[str, int], leader: str | None, runner_up: str | None, voters: int | None) -> Line:
    """The line of an area whose counted votes are `totals` (`leader` and `runner_up` first) when at most
    `voters` are missing (None: unbounded): whether the leader survives every missing voter going to the
    runner-up."""
    if voters is None or leader is None:
        return Line(voters, False, None, totals)
    margin = totals[leader] - (totals[runner_up] if runner_up else 0) - voters
    return Line(voters, margin > 0, margin, totals)


def _scenario(totals: dict[str, int], order: list[str], key: str, voters: int) -> Scenario:
    """`voters` more votes for `key`: who leads then (in a tie, `key`), and by how much. `order`: the three
    most voted candidates, most first — all a scenario needs to know of the others."""
    votes = totals[key] + voters
    others = [k for k in order if k != key]
    best = totals[others[0]] if others else 0
    if votes >= best:
        return Scenario(key, votes, key, votes - best)
    second = max(votes, totals[others[1]] if len(others) > 1 else 0)
    return Scenario(key, votes, others[0], best - second)
