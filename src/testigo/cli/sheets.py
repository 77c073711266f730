"""`read`: what testigo reads on each sheet of some files, stored nowhere."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from testigo.cli.console import JsonOpt, RichProgress, emit_json, err, out
from testigo.config import DEFAULT_PROFILE

if TYPE_CHECKING:
    from testigo.pipeline.sheets import ReadReport


def register(app: typer.Typer) -> None:
    app.command("read")(read)


def read(
    paths: Annotated[list[Path], typer.Argument(help="Photos, scans or PDFs of tally sheets; folders, zip archives.")],
    profile: Annotated[str, typer.Option(help="The sheets' format.")] = DEFAULT_PROFILE,
    workers: Annotated[int, typer.Option(min=1, help="Processes reading images")] = 1,
    as_json: JsonOpt = False,
) -> None:
    """Read each sheet's QR code and print, and say which names its figures with certainty; nothing is stored.

    Each sheet is judged alone, against the registry shipped with the
    profile, and named by the evidence the tally names: `image+print` (a
    valid code its print confirms), `image` (a valid code, its print not
    differing), `print` (no code read, every printed figure and the mesa
    certain) or a person, with the reason. Ingest judges the same way, and
    also against the workspace's other sheets.
    """
    from testigo.pipeline.sheets import read_sheets

    with RichProgress(enabled=err.is_terminal or not as_json) as progress:
        report = read_sheets(paths, profile, workers=workers, progress=progress)
    if as_json:
        emit_json(report.to_json())
        return
    _print(report)


def _print(report: ReadReport) -> None:
    out.print(" · ".join(f"{k}: {v}" for k, v in report.summary().items()))
    table = Table("file", "source", "acta", "print", "reason", title="sheets", title_justify="left")
    for file in report.files:
        if file.reason:
            table.add_row(file.path, "-", "", "", file.reason)
        for sheet in file.sheets:
            page = f" (page {sheet.page + 1})" if sheet.page else ""
            printed = sheet.printed.outcome if sheet.printed else ""
            acta = sheet.record.acta_id if sheet.record else ""
            why = sheet.reason or (sheet.printed.detail if sheet.printed else "") or sheet.print_problem or ""
            table.add_row(file.path + page, sheet.source or "person", acta, printed, why)
    out.print(table)
