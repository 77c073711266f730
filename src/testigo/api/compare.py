"""Citizen-verified against official figures (`testigo.pipeline.compare`), per area and per mesa, as tables."""

from __future__ import annotations

from dataclasses import fields

import pyarrow as pa

from testigo.api.arrow import Columns
from testigo.api.workspace import WorkspaceLike, using
from testigo.pipeline import compare as comparing


class Comparison(comparing.Comparison):
    """`testigo.pipeline.compare.Comparison` (citizen-verified against official figures), plus Arrow views."""

    def to_arrow(self) -> pa.Table:
        """One row per area, over the mesas both sources have: id, name, mesas_compared, mesas_differing, then
        ``verified_<key>``, ``official_<key>`` and ``difference_<key>`` (official minus verified) per candidate."""
        columns = Columns(self.candidate_names)
        columns.add("id", pa.string(), [a.id for a in self.areas], nullable=False)
        columns.add("name", pa.string(), [a.name for a in self.areas])
        columns.add("mesas_compared", pa.int64(), [a.mesas_compared for a in self.areas], nullable=False)
        columns.add("mesas_differing", pa.int64(), [a.mesas_differing for a in self.areas], nullable=False)
        self._per_candidate(columns, [a.verified for a in self.areas], [a.official for a in self.areas])
        return columns.table(level=self.level)

    def differing_to_arrow(self) -> pa.Table:
        """One row per mesa whose official figures differ from its verified acta, largest change first: mesa,
        votes_changed, null_verified, null_official (null where the official source has none), then
        ``verified_<key>``, ``official_<key>`` and ``difference_<key>`` per candidate."""
        rows = self.differing
        columns = Columns(self.candidate_names)
        columns.add("mesa", pa.string(), [d.mesa_id for d in rows], nullable=False)
        changed = [sum(abs(v) for v in d.difference.values()) for d in rows]
        columns.add("votes_changed", pa.int64(), changed, nullable=False)
        columns.add("null_verified", pa.int64(), [d.null_votes[0] for d in rows], nullable=False)
        columns.add("null_official", pa.int64(), [d.null_votes[1] for d in rows])
        self._per_candidate(columns, [d.verified for d in rows], [d.official for d in rows])
        return columns.table(level="mesa")

    def _per_candidate(self, columns: Columns, verified: list[dict[str, int]], official: list[dict[str, int]]) -> None:
        keys = list(self.candidate_names)
        columns.per_candidate("verified_", pa.int64(), {k: [v[k] for v in verified] for k in keys})
        columns.per_candidate("official_", pa.int64(), {k: [o[k] for o in official] for k in keys})
        differences = {k: [o[k] - v[k] for v, o in zip(verified, official, strict=True)] for k in keys}
        columns.per_candidate("difference_", pa.int64(), differences)


def compare(workspace: WorkspaceLike, level: str = "state") -> Comparison:
    """Citizen-verified versus official votes, as ``testigo compare``: per mesa, per area at `level`, national effect.

    Needs official results (``import_table(ws, FILE, "official")``). Only
    mesas both sources have are compared; `Comparison.only_verified` and
    `Comparison.only_official` list the others.

        >>> _ = testigo.import_table("./eleccion", "./oficial.csv", source="official")
        >>> compared = testigo.compare("./eleccion")
        >>> compared.national_effect["maduro"], compared.national_effect["gonzalez"]
        (150, -150)
        >>> compared.differing_to_arrow().column("votes_changed").to_pylist()
        [100, 100, 100]
    """
    with using(workspace) as store:
        compared = comparing.compare(store, level)
    return Comparison(**{f.name: getattr(compared, f.name) for f in fields(compared)})
