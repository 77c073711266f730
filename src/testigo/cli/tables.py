"""`import` and `compare`: per-mesa tables brought in, and citizen-verified against official figures.

Thin shells over `testigo.pipeline.importer`, `.compare` and `.inject_file`
(`simulate --inject`, whose command lives in `testigo.cli.simulate`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from testigo.cli.console import JsonOpt, MapOpt, WorkspaceOpt, emit_json, out


def register(app: typer.Typer) -> None:
    app.command("import")(import_table)
    app.command("compare")(compare)


def import_table(
    file: Annotated[Path, typer.Argument(help="CSV (any common encoding) or Parquet table of per-mesa results.")],
    source: Annotated[str, typer.Option(help="citizen (reconciled like actas) or official (kept apart).")] = "citizen",
    mapping: MapOpt = None,
    encoding: Annotated[
        str | None, typer.Option(help="Text encoding of a CSV (e.g. cp1251), when detection gets it wrong.")
    ] = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Import per-mesa results from a table; bad rows are reported with their row number, the rest goes in."""
    from testigo.pipeline.importer import import_table
    from testigo.store.workspace import open_workspace

    report = import_table(open_workspace(workspace), file, source, mapping, encoding).to_json()
    if as_json:
        emit_json(report)
        return
    again = " (imported before: outcomes from that run)" if report["from_earlier_run"] else ""
    out.print(f"{report['file']}: layout {report['layout']}, {report['encoding']}, source {source}{again}")
    out.print(" · ".join(f"{k}: {v}" for k, v in report["summary"].items()))
    _print_problems(report["problems"])


def _print_problems(problems: list[dict[str, Any]]) -> None:
    if not problems:
        return
    table = Table("row", "status", "mesa", "reason", title="needs attention", title_justify="left")
    for problem in problems:
        table.add_row(str(problem["row"]), problem["status"], problem["mesa"] or "", problem["reason"] or "")
    out.print(table)


def compare(
    level: Annotated[str, typer.Option(help="Level of the per-area totals (country, state, …, mesa).")] = "state",
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Citizen-verified versus official votes: per mesa, per area, and the national effect."""
    from testigo.pipeline.compare import compare as run_compare
    from testigo.store.workspace import open_workspace

    result = run_compare(open_workspace(workspace), level).to_json()
    if as_json:
        emit_json(result)
        return
    for line in result["statements"]:
        out.print(line)
    out.print(
        f"{len(result['differing']):,} mesas differ; {len(result['only_verified']):,} only verified, "
        f"{len(result['only_official']):,} only official"
    )
    table = Table(
        "mesa", "votes changed", "difference (official − verified)", title="largest differences", title_justify="left"
    )
    for row in result["differing"][:20]:
        diff = ", ".join(f"{k} {v:+,}" for k, v in row["difference"].items() if v)
        table.add_row(row["mesa"], f"{row['votes_changed']:,}", diff)
    out.print(table)


def simulate_inject(
    file: Annotated[Path, typer.Argument(help="Per-mesa results table to manipulate (any layout import reads).")],
    spec: Annotated[str, typer.Option("--inject", help="e.g. stuffing:0.02:0.15,switch:0.02:0.2,copy:0.01")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the manipulated copy and manipulated.csv.")],
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same manipulations).")] = 0,
    mapping: MapOpt = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write a manipulated copy of a results table plus the list of manipulated mesas."""
    from testigo.pipeline.inject_file import inject_file
    from testigo.store.workspace import open_workspace

    report = inject_file(open_workspace(workspace), file, spec, out_dir, seed=seed, mapping=mapping).to_json()
    if as_json:
        emit_json(report)
    else:
        kinds = ", ".join(f"{k} {v}" for k, v in report["by_type"].items()) or "none"
        out.print(f"wrote {report['table']} ({kinds}) and {report['manipulated']}")
