"""Bringing actas in: files, folders and zip archives read, validated and reconciled (`ingest`).

This module loads the readers (OpenCV, the QR decoder): it is imported when
`testigo.ingest` is first used, never by ``import testigo``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import fields
from pathlib import Path

import pyarrow as pa

from testigo.api.arrow import Columns
from testigo.api.workspace import WorkspaceLike, using
from testigo.pipeline import ingest as pipeline
from testigo.pipeline.executors import DaskExecutor


class IngestReport(pipeline.IngestReport):
    """What `ingest` did with each file (or page or code of it): `files`, `summary()`, `to_json()`, `to_arrow()`."""

    def to_arrow(self) -> pa.Table:
        """One row per file, page or code: path, sha256, page, status, reason, mesa, strategy, from_earlier_run."""
        columns = Columns({})
        columns.add("path", pa.string(), [f.path for f in self.files], nullable=False)
        columns.add("sha256", pa.string(), [f.sha256 for f in self.files])
        columns.add("page", pa.int64(), [f.page for f in self.files], nullable=False)
        columns.add("status", pa.string(), [f.status for f in self.files], nullable=False)
        columns.add("reason", pa.string(), [f.reason for f in self.files])
        columns.add("mesa", pa.string(), [f.mesa for f in self.files])
        columns.add("strategy", pa.string(), [f.strategy for f in self.files])
        columns.add("from_earlier_run", pa.bool_(), [f.from_earlier_run for f in self.files], nullable=False)
        return columns.table()


def ingest(
    workspace: WorkspaceLike,
    paths: Iterable[str | os.PathLike[str]],
    *,
    workers: int | None = None,
    scheduler: str | None = None,
) -> IngestReport:
    """Store, read, validate and reconcile files, folders (recursive) and zip archives, as ``testigo ingest``.

    Resumable and idempotent: a file already ingested is reported from the
    database (``from_earlier_run``), never counted twice. Decoding runs on
    `workers` local processes (default: all cores), or on the Dask cluster
    whose scheduler address is `scheduler` (e.g. ``tcp://10.0.0.5:8786``).

        >>> report = testigo.ingest("./eleccion", ["./actas"])
        >>> report.summary()["accepted"], report.to_arrow().column("status").to_pylist()
        (2, ['accepted', 'accepted'])
    """
    with using(workspace) as store:
        executor = DaskExecutor(scheduler) if scheduler else None
        report = pipeline.ingest(store, [Path(p) for p in paths], workers=workers, executor=executor)
    return IngestReport(**{f.name: getattr(report, f.name) for f in fields(report)})
