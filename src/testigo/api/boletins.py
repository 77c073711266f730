"""`check_boletins`: Brazil's boletins de urna from photos or decoded texts, every one judged, the verified summed."""

from __future__ import annotations

import os
from collections.abc import Iterable

from testigo.api.workspace import WorkspaceLike, using
from testigo.pipeline.boletins import BoletimReport
from testigo.pipeline.boletins import check_boletins as run_check
from testigo.profiles.bu.keys import KeyRing


def check_boletins(
    paths: Iterable[str | os.PathLike[str]], *, workspace: WorkspaceLike | None = None, workers: int = 1
) -> BoletimReport:
    """Gather the parts of every BU across the files under `paths`, check each, and total the counted ones.

    Photos, scans, PDFs, zip archives and text files of decoded codes (one
    per line) are read; the parts of a BU may lie in any files, in any
    order. Each whole BU's SHA-512 chain and TSE signature are checked with
    the keys shipped with testigo and, given `workspace`, those added to it
    (`testigo keys add`); then its sums. A BU is counted only when verified
    with sums that hold and no other verified BU of its section disagrees.
    Nothing is stored. The same as ``testigo bu check`` (`BoletimReport.to_json()`
    is its ``--json``).

        >>> report = testigo.check_boletins(["./boletins"])
        >>> report.summary()["counted"], report.summary()["invalid"]
        (8, 0)
        >>> [(t.name, t.area, t.total) for t in report.totals][:2]
        [('Prefeito', 'PE-24570', 295), ('Prefeito', 'PR-76910', 179)]
    """
    folder = None
    if workspace is not None:  # a path that holds no workspace is refused, never silently ignored
        with using(workspace) as store:
            folder = store.workspace.trusted_keys_dir
    return run_check([os.fspath(path) for path in paths], KeyRing(folder), workers=workers)
