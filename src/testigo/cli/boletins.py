"""`bu check`: Brazil's boletins de urna read from photos or texts, every chain and signature checked, summed."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from testigo.cli.console import JsonOpt, RichProgress, WorkspaceOpt, emit_json, err, out
from testigo.config import Workspace

if TYPE_CHECKING:
    from testigo.pipeline.boletins import BoletimReport

#: Candidates shown per contest in the human output (--json has them all).
SHOWN_CANDIDATES = 5


def register(app: typer.Typer) -> None:
    bu_app = typer.Typer(help="Brazil's boletins de urna (BU): signed QR codes, checked.", no_args_is_help=True)
    bu_app.command("check")(check)
    app.add_typer(bu_app, name="bu")


def check(
    paths: Annotated[
        list[Path], typer.Argument(help="Photos, scans, PDFs or text files of decoded codes; folders, zip archives.")
    ],
    workers: Annotated[int, typer.Option(min=1, help="Processes reading images")] = 1,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Gather every BU's parts across the files, check chain, signature and sums, and total the verified ones.

    Keys: those shipped with testigo and those added to the workspace with
    `testigo keys add` (when there is one). Nothing is stored.
    """
    from testigo.pipeline.boletins import check_boletins
    from testigo.profiles.bu.keys import KeyRing

    ws = Workspace.locate(workspace)
    keys = KeyRing(ws.trusted_keys_dir if ws.exists() else None)
    with RichProgress(enabled=err.is_terminal or not as_json) as progress:
        report = check_boletins(paths, keys, workers=workers, progress=progress)
    if as_json:
        emit_json(report.to_json())
        return
    _print(report)


def _print(report: BoletimReport) -> None:
    out.print(" · ".join(f"{k.replace('_', ' ')}: {v}" for k, v in report.summary().items()))
    table = Table("section", "status", "reason", title="boletins", title_justify="left")
    for item in report.boletins:
        table.add_row(str(item.section), item.status.value, item.reason)
    if report.boletins:
        out.print(table)
    for missing in report.incomplete:
        out.print(f"incomplete: {missing}", markup=False)
    for file in report.files:
        for why in (file.reason, *file.refused):
            if why:
                out.print(f"{file.path}: {why}", markup=False)
    for total in report.totals:
        shown = ", ".join(f"{n}: {v:,}" for n, v in total.candidates.most_common(SHOWN_CANDIDATES))
        more = len(total.candidates) - SHOWN_CANDIDATES
        out.print(
            f"{total.name} ({total.area}, PLEI {total.election_day}, round {total.round}): {total.sections:,} "
            f"section(s), {total.total:,} votes — {shown}{f' and {more} more' if more > 0 else ''}; "
            f"label {total.label_votes:,}, blank {total.blank:,}, null {total.null:,}",
            markup=False,
        )
