"""`read_sheets`: what testigo reads on each sheet of some files, judged alone, stored nowhere."""

from __future__ import annotations

import os
from collections.abc import Iterable

from testigo.config import DEFAULT_PROFILE
from testigo.pipeline.sheets import ReadReport
from testigo.pipeline.sheets import read_sheets as run_read


def read_sheets(
    paths: Iterable[str | os.PathLike[str]], *, profile: str = DEFAULT_PROFILE, workers: int = 1
) -> ReadReport:
    """Read each sheet's QR code and print in the files under `paths`, and say which names its figures.

    Photos, scans, PDFs, folders and zip archives are read as ingest reads
    them, in `workers` processes. Each sheet is judged alone against the
    registry shipped with `profile`: its `source` is the evidence the tally
    and the bundle name, ``"image+print"`` (a valid code its print
    confirms), ``"image"`` (a valid code, its print not differing but not
    confirming every figure), ``"print"`` (no code read, every printed
    figure and the mesa certain), or None (a person must read it; `reason`
    says why); its `record` the figures that source gives, its `printed`
    what the print says figure by figure. Nothing is stored. The same as
    ``testigo read`` (`ReadReport.to_json()` is its ``--json``).

        >>> report = testigo.read_sheets(["./actas"])
        >>> report.summary()["image+print"], report.summary()["print"], report.summary()["person"]
        (2, 0, 0)
        >>> [(sheet.source, sheet.printed.outcome) for file in report.files for sheet in file.sheets]
        [('image+print', 'confirmed'), ('image+print', 'confirmed')]
    """
    return run_read([os.fspath(path) for path in paths], profile, workers=workers)
