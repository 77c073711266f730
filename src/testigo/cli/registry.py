"""`registry import`: the sections and names of places of a workspace of profile br, from the TSE's table;
`registry build`: rebuild the registry shipped with the ve2024 profile (for maintainers)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from testigo.cli.console import JsonOpt, WorkspaceOpt, emit_json, out


def register(app: typer.Typer) -> None:
    registry_app = typer.Typer(
        help="The registry of polling stations: import Brazil's sections and place names, or rebuild the one "
        "shipped with ve2024 (for maintainers).",
        no_args_is_help=True,
    )
    registry_app.command("import")(import_sections)
    registry_app.command("build")(build)
    app.add_typer(registry_app, name="registry")


def build(
    source: Annotated[Path, typer.Option(help="Folder with the two 2024 CSV tables.")] = Path("../shared/data/ve2024"),
    out_dir: Annotated[Path | None, typer.Option("--out", help="Where to write [default: the package]")] = None,
) -> None:
    """Rebuild the ve2024 registry and results files from the public tables."""
    from testigo.profiles import ve2024_data

    target = out_dir or Path(ve2024_data.__file__).parent / "data"
    mesas, results = ve2024_data.build(source, target)
    out.print(f"wrote {mesas:,} mesas and {results:,} results to {target}")


def import_sections(
    file: Annotated[
        Path,
        typer.Argument(help="The TSE's table of sections (eleitorado_local_votacao_<year>.csv, or CSV/Parquet alike)."),
    ],
    encoding: Annotated[
        str | None, typer.Option(help="Text encoding of a CSV (the TSE's are latin-1), when detection gets it wrong.")
    ] = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Profile br: add every section of the TSE's table to the registry (coverage counts against them all) and
    name municipalities and polling places; a section a BU placed otherwise keeps the BU's place, reported."""
    from testigo.pipeline.br_places import import_places
    from testigo.store.workspace import open_workspace

    store = open_workspace(workspace)
    try:
        report = import_places(store, file, encoding)
    finally:
        store.close()
    if as_json:
        emit_json(report.to_json())
        return
    out.print(
        f"{report.file}: {report.rows:,} rows, {report.sections_added:,} sections added, "
        f"{report.sections_known:,} known already, {report.places_named:,} places named",
        markup=False,
    )
    for _, reason in report.problems:
        out.print(reason, markup=False)
