"""`ingest`: store, read, validate and reconcile files, folders and zip archives."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from testigo.cli.console import JsonOpt, RichProgress, WorkspaceOpt, emit_json, err, out
from testigo.config import Environment, option
from testigo.domain import Status
from testigo.domain.files import file_label

if TYPE_CHECKING:
    from testigo.pipeline.ingest import FileResult


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest)


def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files, folders (recursive) and zip archives.")],
    workers: Annotated[int | None, typer.Option(min=1, help="Decoding processes [default: all cores]")] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(envvar=option(Environment, "scheduler").env, help=option(Environment, "scheduler").help),
    ] = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Store, read, validate and reconcile tally-sheet images."""
    from testigo.pipeline.executors import DaskExecutor
    from testigo.pipeline.ingest import ingest as run_ingest
    from testigo.store.workspace import open_workspace

    store = open_workspace(workspace)
    executor = DaskExecutor(scheduler) if scheduler else None
    with RichProgress(enabled=err.is_terminal or not as_json) as progress:
        report = run_ingest(store, paths, workers=workers, executor=executor, progress=progress)
    if as_json:
        emit_json(report.to_json())
        return
    print_outcomes(report.summary(), report.files)


def print_outcomes(summary: dict[str, int], files: list[FileResult]) -> None:
    """The counts by outcome, then every file that needs attention with its reason."""
    out.print(" · ".join(f"{k}: {v}" for k, v in summary.items()))
    problems = [f for f in files if f.status not in (Status.ACCEPTED, Status.DUPLICATE)]
    if problems:
        table = Table("file", "status", "reason", title="needs attention", title_justify="left")
        for f in problems:
            page = f" (page {f.page + 1})" if f.page else ""
            table.add_row(file_label(f.path) + page, f.status, f.reason or "")
        out.print(table)
