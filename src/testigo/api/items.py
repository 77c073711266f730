"""What a workspace holds: every submitted file, page or code with its outcome, and the counts by outcome."""

from __future__ import annotations

import pyarrow as pa

from testigo.api.arrow import TIMESTAMP, Columns, utc
from testigo.api.workspace import WorkspaceLike, using
from testigo.domain import Status
from testigo.errors import UserError
from testigo.pipeline.overview import Overview, list_items, overview


def items(workspace: WorkspaceLike, status: str | None = None) -> pa.Table:
    """Every item (a file, or one page or code of it) in arrival order, or only those with `status`: the review queue.

    `status` is one of accepted, duplicate, conflict, unreadable, invalid,
    rejected (see the README). Columns: ``path`` (the file as submitted),
    ``sha256`` (of its bytes; null for a file refused before it was stored),
    ``page`` (0 for the first), ``status``, ``reason`` (why, for anything
    not accepted), ``mesa`` (the mesa of the acta read, if any),
    ``submitted_at`` (UTC). The rows of ``testigo items [--status S]``.

        >>> queue = testigo.items("./eleccion")
        >>> queue.num_rows, queue.column_names[:4]
        (300, ['path', 'sha256', 'page', 'status'])
        >>> testigo.items("./eleccion", status="conflict").num_rows
        0
    """
    if status is not None and status not in {s.value for s in Status}:
        raise UserError(f"unknown status {status!r}; one of {', '.join(s.value for s in Status)}")
    with using(workspace) as store:
        found = list_items(store, status)
        candidates = {c.key: c.name for c in store.profile.election.candidates}
    columns = Columns(candidates)
    columns.add("path", pa.string(), [i.path for i in found], nullable=False)
    columns.add("sha256", pa.string(), [i.sha256 for i in found])
    columns.add("page", pa.int64(), [i.page for i in found], nullable=False)
    columns.add("status", pa.string(), [i.status for i in found], nullable=False)
    columns.add("reason", pa.string(), [i.reason for i in found])
    columns.add("mesa", pa.string(), [i.mesa for i in found])
    columns.add("submitted_at", TIMESTAMP, [utc(i.submitted_at) for i in found], nullable=False)
    return columns.table()


def status(workspace: WorkspaceLike) -> Overview:
    """Items and records by status, and submissions still waiting to be read (``testigo status``).

    >>> overview = testigo.status("./eleccion")
    >>> overview.records, overview.pending_submissions
    ({'accepted': 300}, 0)
    """
    with using(workspace) as store:
        return overview(store)
