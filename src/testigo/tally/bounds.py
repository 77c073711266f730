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
from dataclasses import dataclass

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
    reach with all of them, and whether the counted leader stays ahead whatever they do."""

    voters: int | None
    scenarios: dict[str, Scenario]
    decided: bool
    margin: int | None
    """The counted leader's lead over the strongest challenger given every missing voter (None: unbounded);
    positive exactly when `decided`."""

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
    if level not in BOUND_LEVELS:
        raise ValueError(f"no bounds at level {level!r}; choose one of {', '.join(BOUND_LEVELS)}")
    keys = election.candidate_keys()
    votes = accepted.cards @ _candidate_matrix(election)
    ballots = votes.sum(axis=1) + accepted.nulls
    covered = {m: i for i, m in enumerate(accepted.mesa_ids)}
    caps = _Caps.of(registry, covered, ballots)

    counted: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(len(keys), dtype=np.int64))
    mesas_counted: dict[str, int] = defaultdict(int)
    missing: dict[str, int] = defaultdict(int)
    unplaced_mesas: dict[str, int] = defaultdict(int)
    voters: dict[str, int] = defaultdict(int)
    likely: dict[str, float] = defaultdict(float)
    for mesa in registry.mesas.values():
        area = registry.area_of(mesa, level)
        if mesa.id in covered:
            counted[area] += votes[covered[mesa.id]]
            mesas_counted[area] += 1
            continue
        missing[area] += 1
        if mesa.registered is None:
            unplaced_mesas[area] += mesa.center_id not in caps.remainder
            continue
        voters[area] += mesa.registered
        likely[area] += mesa.registered * caps.turnout(registry, mesa.center_id)
    for center_id, remainder in caps.remainder.items():
        area = _around(registry, center_id, level)
        voters[area] += remainder
        likely[area] += remainder * caps.turnout(registry, center_id)

    unlisted = max(0, (registry.mesas_national or 0) - len(registry.mesas))
    unplaced = caps.unplaced(registry)
    # mesas the registry does not list: bounded by the roll's unplaced voters, else by nothing
    extra, extra_likely = (unplaced, round(unplaced * caps.country_turnout)) if unplaced is not None else (0, 0)
    rows = []
    for area in sorted({registry.area_of(m, level) for m in registry.mesas.values()}):
        unbounded = unplaced_mesas[area] + unlisted if unplaced is None else 0
        totals = {k: int(v) for k, v in zip(keys, counted[area], strict=True)}
        leader, runner_up = _top_two(totals)
        rows.append(
            AreaBounds(
                id=area or "national",
                name=registry.areas[area].name if area else "national",
                counted=totals,
                leader=leader,
                runner_up=runner_up,
                lead=totals[leader] - totals[runner_up] if leader and runner_up else 0,
                mesas_counted=mesas_counted[area],
                mesas_missing=missing[area] + (unlisted if level == "country" else 0),
                mesas_unbounded=unbounded,
                unplaced=unplaced,
                registered=_line(totals, voters[area] + extra if not unbounded else None),
                parish_turnout=_line(totals, round(likely[area]) + extra_likely if not unbounded else None),
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
    highest: dict[str, float]
    """Highest turnout of a covered mesa with a known figure, per area id ('' the country)."""

    @classmethod
    def of(cls, registry: Registry, covered: dict[str, int], ballots: np.ndarray) -> _Caps:
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
            turnout = min(1.0, cast / mesa.registered)
            for level in _TURNOUT_LEVELS:
                area = registry.area_of(mesa, level)
                highest[area] = max(highest.get(area, 0.0), turnout)
        raw = {
            area.id: max(0, area.registered - known[area.id])
            for area in registry.areas.values()
            if area.level == "center" and area.registered is not None
        }
        remainder = {c: max(0, r - cast_unknown[c]) for c, r in raw.items()}
        cast_unplaced = sum(n for c, n in cast_unknown.items() if c not in raw)
        return cls(remainder, sum(known.values()) + sum(raw.values()) + cast_unplaced, highest)

    @property
    def country_turnout(self) -> float:
        return self.highest.get("", 1.0)

    def turnout(self, registry: Registry, center_id: str) -> float:
        """The highest turnout around `center_id`: its parish's, else the nearest larger area's (1 if none)."""
        for level in _TURNOUT_LEVELS[:-1]:
            area = _around(registry, center_id, level)
            if area in self.highest:
                return self.highest[area]
        return self.country_turnout

    def unplaced(self, registry: Registry) -> int | None:
        """Voters of the roll the registry does not place and no covered mesa used (None: no roll)."""
        if registry.registered_national is None:
            return None
        return max(0, registry.registered_national - self.placed)


def _around(registry: Registry, center_id: str, level: str) -> str:
    """The id of the area at `level` around center `center_id` ('' for the country)."""
    if level == "country":
        return ""
    return next(area.id for area in registry.ancestors(center_id) if area.level == level)


def _top_two(totals: dict[str, int]) -> tuple[str | None, str | None]:
    """The counted leader and runner-up (ballot order breaks ties); None where nothing is counted."""
    if not any(totals.values()):
        return None, None
    order = sorted(totals, key=lambda k: -totals[k])
    return order[0], order[1] if len(order) > 1 else None


def _line(totals: dict[str, int], voters: int | None) -> Line:
    """Each candidate's worst case with `voters` more votes, and whether the counted leader survives all."""
    if voters is None:
        return Line(None, {}, False, None)
    scenarios = {key: _scenario(totals, key, voters) for key in totals}
    leader, runner_up = _top_two(totals)
    if leader is None:
        return Line(voters, scenarios, False, None)
    margin = totals[leader] - (totals[runner_up] if runner_up else 0) - voters
    return Line(voters, scenarios, margin > 0, margin)


def _scenario(totals: dict[str, int], key: str, voters: int) -> Scenario:
    """`voters` more votes for `key`: who leads then (in a tie, `key`), and by how much."""
    case = {**totals, key: totals[key] + voters}
    ahead = max(case, key=lambda k: (case[k], k == key))
    second = max((v for k, v in case.items() if k != ahead), default=0)
    return Scenario(key, case[key], ahead, case[ahead] - second)
