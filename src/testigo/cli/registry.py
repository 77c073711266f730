"""`registry build`: rebuild the registry shipped with the ve2024 profile (for maintainers)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from testigo.cli.console import out


def register(app: typer.Typer) -> None:
    registry_app = typer.Typer(
        help="Build the registry shipped with a profile (for maintainers).", no_args_is_help=True
    )
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
