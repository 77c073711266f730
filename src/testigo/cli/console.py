"""What every command-line module shares: consoles, common options, JSON output, progress bars."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from testigo.config import DEFAULT_WORKSPACE, Environment, option

# soft_wrap: lines longer than the terminal (keys, hashes, paths) must stay whole
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

_WORKSPACE = option(Environment, "workspace")
WorkspaceOpt = Annotated[
    str | None,
    typer.Option(
        "--workspace", "-w", envvar=_WORKSPACE.env, help=f"{_WORKSPACE.help} [default: ./{DEFAULT_WORKSPACE}]"
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document instead of tables.")]
MapOpt = Annotated[
    str | None,
    typer.Option(
        "--map",
        help="Columns of any other table: id=COL[,COL...],registered=COL,invalid=COL,ballots=COL,"
        "region=COL[,COL...],candidates=COL[,COL...] (a bare COL extends the key before it).",
    ),
]


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


class RichProgress:
    """The `testigo.progress.Progress` protocol drawn as a Rich bar on stderr."""

    def __init__(self, enabled: bool) -> None:
        self._bar = Progress(
            TextColumn("{task.description:>8}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=err,
            disable=not enabled,
            transient=False,
        )
        self._task: Any = None

    def __enter__(self) -> RichProgress:
        self._bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._bar.__exit__(*exc)  # type: ignore[arg-type]

    def phase(self, name: str, total: int | None) -> None:
        if self._task is not None:
            self._bar.update(self._task, total=self._bar.tasks[self._task].completed)
        self._task = self._bar.add_task(name, total=total)

    def advance(self, steps: int = 1) -> None:
        if self._task is not None:
            self._bar.advance(self._task, steps)
