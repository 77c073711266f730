"""The Arrow tables the API returns: flat, typed columns, one per candidate, never nested dicts.

Counts are ``int64``, shares ``float64``, ids and names ``string``, times
``timestamp[us, UTC]``. A per-candidate column is named by the candidate's key
(``maduro``, ``gonzalez``...) or the key after a prefix (``share_gonzalez``,
``official_gonzalez``), in ballot order, and carries the candidate in its
field metadata (``b"candidate"`` the key, ``b"name"`` the name). The table's
schema metadata holds what describes it as a whole, each value JSON text under
a ``testigo.`` key: ``testigo.candidates`` (key -> name, ballot order) and, for
results, ``testigo.level`` and ``testigo.coverage``.

`tally_table` builds the results table of a workspace (`testigo.results`)
and of a published bundle (`PublishedResults.results`) from the same rows
(`testigo.tally.TallyResult` as JSON, which is what data/totals.json holds), so
the two have one schema.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from testigo.errors import UserError

#: The columns of a results table before the candidates'.
TALLY_COLUMNS = ("id", "name", "actas", "mesas_registry", "valid_votes", "null_votes")


class Columns:
    """An Arrow table built column by column, candidate columns described in their field metadata."""

    def __init__(self, candidates: Mapping[str, str]) -> None:
        self.candidates = dict(candidates)
        self._fields: list[pa.Field] = []
        self._values: list[Any] = []

    def add(self, name: str, kind: pa.DataType, values: Any, *, nullable: bool = True) -> None:
        """One column; `values` is any sequence or array `pyarrow.array` takes (None for a null)."""
        self._fields.append(pa.field(name, kind, nullable=nullable))
        self._values.append(values)

    def per_candidate(self, prefix: str, kind: pa.DataType, values: Mapping[str, Any]) -> None:
        """A column ``<prefix><key>`` for every candidate, in ballot order; `values` by candidate key."""
        for key, name in self.candidates.items():
            meta = {"candidate": key, "name": name}
            self._fields.append(pa.field(f"{prefix}{key}", kind, metadata=meta))
            self._values.append(values[key])

    def table(self, **described: object) -> pa.Table:
        """The table, with `described` (and the candidates) as JSON in its schema metadata."""
        names = [f.name for f in self._fields]
        clashes = sorted({n for n in names if names.count(n) > 1})
        if clashes:
            raise UserError(f"candidate key(s) {', '.join(clashes)} clash with another column of the table")
        metadata = {"candidates": self.candidates, **described}
        schema = pa.schema(
            self._fields,
            metadata={f"testigo.{k}": json.dumps(v, ensure_ascii=False) for k, v in metadata.items()},
        )
        arrays = [pa.array(v, type=f.type) for f, v in zip(self._fields, self._values, strict=True)]
        return pa.Table.from_arrays(arrays, schema=schema)


def tally_table(
    level: str, rows: Sequence[Mapping[str, Any]], candidates: Mapping[str, str], coverage: Mapping[str, Any]
) -> pa.Table:
    """One row per area from `TallyRow.to_json()`-shaped rows (those of data/totals.json).

    Columns: id, name, actas, mesas_registry, valid_votes, null_votes, one
    int64 column of votes per candidate (named by its key) and one float64
    share of valid votes per candidate (``share_<key>``).
    """
    columns = Columns(candidates)
    columns.add("id", pa.string(), [r["id"] for r in rows], nullable=False)
    columns.add("name", pa.string(), [r["name"] for r in rows])
    for name in TALLY_COLUMNS[2:]:
        columns.add(name, pa.int64(), [r[name] for r in rows], nullable=False)
    columns.per_candidate("", pa.int64(), {k: [r["candidates"][k] for r in rows] for k in candidates})
    columns.per_candidate("share_", pa.float64(), {k: [r["shares"][k] for r in rows] for k in candidates})
    return columns.table(level=level, coverage=dict(sorted(coverage.items())))


def utc(moment: datetime) -> datetime:
    """`moment` in UTC; a naive one (SQLite keeps no zone) is taken as the UTC it was stored as."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


TIMESTAMP = pa.timestamp("us", tz="UTC")
