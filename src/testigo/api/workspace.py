"""Opening a workspace: the `Workspace` handle, and how every API function takes one.

Every function of the API takes a workspace as its first argument in any of
three forms (`WorkspaceLike`): a path (``str`` or `pathlib.Path`), opened for
the call and closed after it; an open `Workspace` handle; or the library's own
`testigo.store.workspace.Store`. The handle has the same functions as methods
(``ws.results("state")`` is ``testigo.results(ws, "state")``), and closes its
database engine on `Workspace.close` or at the end of a ``with`` block.

Unlike the command line, the API never creates a workspace by surprise:
`open` (and a path given to any function) must name an existing one;
`init` creates it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from testigo.config import DEFAULT_PROFILE
from testigo.config import Workspace as Paths
from testigo.errors import UserError
from testigo.store.workspace import Store, init_workspace, open_workspace

if TYPE_CHECKING:
    import pyarrow as pa

    from testigo.api.bounds import Bounds
    from testigo.api.compare import Comparison
    from testigo.api.forensics import ForensicsReport
    from testigo.api.importing import ImportReport
    from testigo.api.ingest import IngestReport
    from testigo.api.projection import Projection
    from testigo.audit import AuditStatus
    from testigo.pipeline.overview import Overview
    from testigo.publish import PublishReport
    from testigo.tally import Coverage

WorkspaceLike: TypeAlias = "str | os.PathLike[str] | Workspace | Store"
"""What every API function accepts as its workspace: a path, a `Workspace`, or an open `Store`."""


class Workspace:
    """An open workspace: its database, blob store and registry.

    Made by `open` or `init`; a context manager that closes the database
    engine on exit. Each method is the API function of the same name applied
    to this workspace, e.g. ``ws.results("state")``. `store` is the library's
    own object (internal: for code that reaches below the public API).

        >>> with testigo.open("./eleccion") as ws:
        ...     list(ws.candidates)[:2], ws.results("state").num_rows
        (['maduro', 'martinez'], 23)
    """

    def __init__(self, store: Store) -> None:
        self.store = store

    def __repr__(self) -> str:
        return f"<testigo.Workspace {str(self.path)!r} profile={self.profile!r}>"

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the database connections (the handle opens new ones if used again)."""
        self.store.close()

    @property
    def path(self) -> Path:
        """The workspace folder."""
        return self.store.workspace.root

    @property
    def profile(self) -> str:
        """The tally-sheet format of the election (e.g. ``ve2024``)."""
        return self.store.profile.name

    @property
    def candidates(self) -> dict[str, str]:
        """Candidate key -> name, in ballot order (the order of the candidate columns of every table)."""
        return {c.key: c.name for c in self.store.profile.election.candidates}

    @property
    def key(self) -> str:
        """The public key that verifies this workspace's signed checkpoints (what `verify` takes as `key`)."""
        return str(self.store.signer.verifier)

    # The same functions as `testigo.*`, imported when called so that opening stays light.

    def ingest(
        self, paths: Iterable[str | os.PathLike[str]], *, workers: int | None = None, scheduler: str | None = None
    ) -> IngestReport:
        """`testigo.ingest` on this workspace."""
        from testigo.api.ingest import ingest

        return ingest(self, paths, workers=workers, scheduler=scheduler)

    def import_table(
        self,
        path: str | os.PathLike[str],
        source: str = "citizen",
        *,
        mapping: str | None = None,
        encoding: str | None = None,
    ) -> ImportReport:
        """`testigo.import_table` on this workspace."""
        from testigo.api.importing import import_table

        return import_table(self, path, source, mapping=mapping, encoding=encoding)

    def status(self) -> Overview:
        """`testigo.status` on this workspace."""
        from testigo.api.items import status

        return status(self)

    def contests(self) -> dict[str, str]:
        """`testigo.contests` on this workspace."""
        from testigo.api.results import contests

        return contests(self)

    def results(self, level: str = "country", *, contest: str | None = None) -> pa.Table:
        """`testigo.results` on this workspace."""
        from testigo.api.results import results

        return results(self, level, contest=contest)

    def coverage(self, *, contest: str | None = None) -> Coverage:
        """`testigo.coverage` on this workspace."""
        from testigo.api.results import coverage

        return coverage(self, contest=contest)

    def records(self, *, contest: str | None = None) -> pa.Table:
        """`testigo.records` on this workspace."""
        from testigo.api.results import records

        return records(self, contest=contest)

    def items(self, status: str | None = None) -> pa.Table:
        """`testigo.items` on this workspace."""
        from testigo.api.items import items

        return items(self, status)

    def forensics(
        self,
        *,
        candidate: str | None = None,
        report: str | os.PathLike[str] | None = None,
        contest: str | None = None,
    ) -> ForensicsReport:
        """`testigo.forensics` on this workspace."""
        from testigo.api.forensics import forensics

        return forensics(self, candidate=candidate, report=report, contest=contest)

    def projection(self, confidence: float = 0.95, *, contest: str | None = None) -> Projection:
        """`testigo.projection` on this workspace."""
        from testigo.api.projection import projection

        return projection(self, confidence, contest=contest)

    def bounds(self, level: str = "country", *, contest: str | None = None) -> Bounds:
        """`testigo.bounds` on this workspace."""
        from testigo.api.bounds import bounds

        return bounds(self, level, contest=contest)

    def compare(self, level: str = "state") -> Comparison:
        """`testigo.compare` on this workspace."""
        from testigo.api.compare import compare

        return compare(self, level)

    def publish(self, out: str | os.PathLike[str]) -> PublishReport:
        """`testigo.publish` on this workspace."""
        from testigo.api.bundles import publish

        return publish(self, out)

    def audit_plan(self, *, seed: str, risk_limit: float = 0.05, unknown_bound: int | None = None) -> AuditStatus:
        """`testigo.audit_plan` on this workspace."""
        from testigo.api.audit import audit_plan

        return audit_plan(self, seed=seed, risk_limit=risk_limit, unknown_bound=unknown_bound)

    def audit_record(
        self, mesa: str, counts: Sequence[int], null_votes: int, *, reason: str | None = None
    ) -> AuditStatus:
        """`testigo.audit_record` on this workspace."""
        from testigo.api.audit import audit_record

        return audit_record(self, mesa, counts, null_votes, reason=reason)

    def audit_status(self) -> AuditStatus:
        """`testigo.audit_status` on this workspace."""
        from testigo.api.audit import audit_status

        return audit_status(self)


def open(path: str | os.PathLike[str] | None = None) -> Workspace:
    """Open an existing workspace; `UserError` if there is none at `path`.

    `path` defaults as on the command line: ``TESTIGO_WORKSPACE``, else
    ``./testigo-data``. Use it in a ``with`` block, or call `Workspace.close`.

        >>> with testigo.open("./eleccion") as ws:
        ...     ws.profile, ws.coverage().mesas_covered
        ('ve2024', 300)
        >>> testigo.open("./no-such-folder")
        Traceback (most recent call last):
        ...
        testigo.errors.UserError: no workspace at .../no-such-folder; create one with testigo.init('.../no-such-folder')
    """
    return Workspace(_open_store(path))


def init(
    path: str | os.PathLike[str] | None = None,
    profile: str = DEFAULT_PROFILE,
    *,
    database_url: str = "",
    blobs_url: str = "",
) -> Workspace:
    """Create a workspace (or re-open one made with the same `profile`) and load the profile's registry.

    `database_url` and `blobs_url` are the settings of ``testigo init``
    (``--database``, ``--blobs``): empty for the workspace's own SQLite file
    and blobs/ folder.

        >>> with testigo.init("./nueva", profile="ve2024") as ws:
        ...     ws.status().records, ws.path.name
        ({}, 'nueva')
    """
    where = None if path is None else os.fspath(path)
    return Workspace(init_workspace(where, profile, database_url, blobs_url))


@contextmanager
def using(workspace: WorkspaceLike) -> Iterator[Store]:
    """The `Store` of `workspace`; a path is opened here and closed when the block ends."""
    if isinstance(workspace, Workspace):
        yield workspace.store
    elif isinstance(workspace, Store):
        yield workspace
    elif isinstance(workspace, str | os.PathLike):
        store = _open_store(workspace)
        try:
            yield store
        finally:
            store.close()
    else:
        raise TypeError(f"a workspace is a path, a testigo.Workspace or a Store, not {type(workspace).__name__}")


def _open_store(path: str | os.PathLike[str] | None) -> Store:
    where = None if path is None else os.fspath(path)
    located = Paths.locate(where)
    if not located.exists():
        raise UserError(f"no workspace at {located.root}; create one with testigo.init({str(located.root)!r})")
    return open_workspace(str(located.root))
