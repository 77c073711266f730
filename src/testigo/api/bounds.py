"""What the mesas without an accepted acta could still change, assuming nothing (`testigo.tally.bounds`)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import pyarrow as pa

from testigo.api.arrow import Columns
from testigo.api.workspace import WorkspaceLike, using
from testigo.errors import UserError
from testigo.tally import bounds as bounding
from testigo.tally.aggregate import accepted_matrix, contest_registry


@dataclass(frozen=True)
class Bounds(bounding.Bounds):
    """`testigo.tally.bounds.Bounds` (per area: the counted votes, the missing voters, whether the leader
    stays ahead whatever they vote), plus `to_arrow`. `candidate_names` maps each candidate key to its name."""

    candidate_names: dict[str, str] = field(default_factory=dict)

    def sentences(self) -> dict[str, str]:
        """Each area's verdict in one sentence, by area id (``national`` for the country)."""
        return {area.id: area.sentence(self.candidate_names) for area in self.areas}

    def to_arrow(self) -> pa.Table:
        """One row per area: ``id``, ``name``, ``leader``, ``runner_up``, ``lead``, ``mesas_counted``,
        ``mesas_missing``, ``mesas_unbounded``, ``unplaced``; for the registered line ``voters``, ``decided``,
        ``margin`` and for the parish-turnout line ``turnout_voters``, ``turnout_decided``, ``turnout_margin``
        (null voters and margin: unbounded); then the counted votes, one int64 column per candidate."""
        areas = self.areas
        columns = Columns(self.candidate_names)
        columns.add("id", pa.string(), [a.id for a in areas], nullable=False)
        for name in ("name", "leader", "runner_up"):
            columns.add(name, pa.string(), [getattr(a, name) for a in areas])
        for name in ("lead", "mesas_counted", "mesas_missing", "mesas_unbounded", "unplaced"):
            columns.add(name, pa.int64(), [getattr(a, name) for a in areas])
        for prefix, line in (("", "registered"), ("turnout_", "parish_turnout")):
            lines = [getattr(a, line) for a in areas]
            columns.add(f"{prefix}voters", pa.int64(), [x.voters for x in lines])
            columns.add(f"{prefix}decided", pa.bool_(), [x.decided for x in lines], nullable=False)
            columns.add(f"{prefix}margin", pa.int64(), [x.margin for x in lines])
        columns.per_candidate("", pa.int64(), {k: [a.counted[k] for a in areas] for k in self.candidate_names})
        return columns.table(level=self.level, contest=self.contest)


def bounds(workspace: WorkspaceLike, level: str = "country", *, contest: str | None = None) -> Bounds:
    """Per area at `level`: the result if every mesa without an accepted acta voted only for each candidate in
    turn, up to its registered voters (and at its parish's highest turnout), and whether the counted leader
    stays ahead whatever they vote — what ``testigo tally --json`` gives as ``bounds``.

    `level` is one of country, state, municipality, parish, center;
    `contest` one of `testigo.contests` (default: the first), counted against
    the mesas of its constituency. See `testigo.tally.bounds` for where the
    missing voters' figures come from.

        >>> national = testigo.bounds("./eleccion").areas[0]
        >>> national.registered.decided, national.leader, national.mesas_counted
        (False, 'gonzalez', 300)
    """
    if level not in bounding.BOUND_LEVELS:
        raise UserError(f"no bounds at level {level!r}; choose one of {', '.join(bounding.BOUND_LEVELS)}")
    with using(workspace) as store:
        chosen = store.profile.contest_or_first(contest)
        election, registry = store.profile.election_of(chosen), contest_registry(store, chosen)
        computed = bounding.bounds(election, registry, level, accepted_matrix(store, chosen))
    values = {f.name: getattr(computed, f.name) for f in fields(computed)}
    return Bounds(**values, candidate_names={c.key: c.name for c in election.candidates})
