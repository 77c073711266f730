"""Bringing per-mesa tables in (`import_table`): citizen results reconciled like actas, or official ones."""

from __future__ import annotations

import os
from dataclasses import fields
from pathlib import Path

import pyarrow as pa

from testigo.api.arrow import Columns
from testigo.api.workspace import WorkspaceLike, using
from testigo.pipeline import importer


class ImportReport(importer.ImportReport):
    """What `import_table` did with each row of the table: `rows`, `to_json()`, `to_arrow()`."""

    def to_arrow(self) -> pa.Table:
        """One row per row of the table: row (its line number), status, reason, mesa."""
        columns = Columns({})
        columns.add("row", pa.int64(), [r.line for r in self.rows], nullable=False)
        columns.add("status", pa.string(), [r.status for r in self.rows], nullable=False)
        columns.add("reason", pa.string(), [r.reason for r in self.rows])
        columns.add("mesa", pa.string(), [r.mesa for r in self.rows])
        return columns.table()


def import_table(
    workspace: WorkspaceLike,
    path: str | os.PathLike[str],
    source: str = "citizen",
    *,
    mapping: str | None = None,
    encoding: str | None = None,
) -> ImportReport:
    """Import per-mesa results from a CSV or Parquet table, as ``testigo import``.

    `source` is ``citizen`` (rows are validated and reconciled like actas, and
    logged) or ``official`` (kept apart, for `compare`). The layout is
    recognised from the header (the two public 2024 tables, or
    ``mesa_id`` + ``card_N`` columns); `mapping` names the columns of any
    other table (``--map``); `encoding` forces a CSV's text encoding. A bad
    row is reported with its line number and the rest goes in.

        >>> report = testigo.import_table("./eleccion", "./oficial.csv", source="official")
        >>> report.layout, report.to_json()["summary"]["rows"]
        ('resultados', 300)
    """
    with using(workspace) as store:
        report = importer.import_table(store, Path(path), source, mapping, encoding)
    return ImportReport(**{f.name: getattr(report, f.name) for f in fields(report)})
