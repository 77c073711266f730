"""The full result projected from the accepted actas, with intervals (`testigo.tally.projection`), and its table."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import pyarrow as pa

from testigo.api.arrow import Columns
from testigo.api.workspace import WorkspaceLike, using
from testigo.errors import UserError
from testigo.pipeline import analysis
from testigo.tally import projection as projecting
from testigo.tally.aggregate import accepted_matrix


@dataclass(frozen=True)
class Projection(projecting.Projection):
    """`testigo.tally.projection.Projection` (the full result estimated, with intervals), plus `to_arrow`.

    `candidate_names` maps each key of `votes` and `shares` to the candidate's name.
    """

    candidate_names: dict[str, str] = field(default_factory=dict)

    def to_arrow(self) -> pa.Table:
        """One row per candidate in ballot order, then ``null``: key, name, projected votes and share of valid
        votes with their intervals (``votes_low``, ``votes_high``, ``share_low``...; no share for ``null``)."""
        keys = list(self.votes)
        columns = Columns({})
        columns.add("key", pa.string(), keys, nullable=False)
        names = {**self.candidate_names, "null": "null votes"}
        columns.add("name", pa.string(), [names.get(k, k) for k in keys])
        for name, intervals in (("votes", self.votes), ("share", self.shares)):
            for part in ("estimate", "low", "high"):
                column = name if part == "estimate" else f"{name}_{part}"
                values = [getattr(intervals[k], part) if k in intervals else None for k in keys]
                columns.add(column, pa.float64(), values)
        return columns.table(confidence=self.confidence)


def projection(workspace: WorkspaceLike, confidence: float = 0.95, *, contest: str | None = None) -> Projection:
    """The full result projected from the accepted actas to every mesa of the registry, as ``testigo tally --project``.

    A stratified ratio estimator with intervals at `confidence` (see
    `testigo.tally.projection` for the method and what it assumes), of
    `contest` (one of `testigo.contests`; default: the first).

        >>> projected = testigo.projection("./eleccion")
        >>> projected.leader, projected.mesas_covered, projected.mesas_total
        ('gonzalez', 300, 24560)
        >>> gonzalez = projected.shares["gonzalez"]
        >>> gonzalez.low < gonzalez.estimate < gonzalez.high
        True
    """
    with using(workspace) as store:
        chosen = store.profile.contest_or_first(contest)
        if not accepted_matrix(store, chosen).mesa_ids:
            raise UserError("no accepted actas yet: nothing to project from")
        projected = analysis.projection(store, confidence, chosen)
        names = {c.key: c.name for c in store.profile.election_of(chosen).candidates}
    values = {f.name: getattr(projected, f.name) for f in fields(projected)}
    return Projection(**values, candidate_names=names)
