"""`simulate` and `demo`: synthetic elections rendered as actas, and the whole flow checked against their truth."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from testigo.cli.console import JsonOpt, MapOpt, RichProgress, WorkspaceOpt, emit_json, out
from testigo.cli.ingest import print_outcomes
from testigo.cli.results import print_tally
from testigo.cli.tables import simulate_inject
from testigo.errors import UserError

if TYPE_CHECKING:
    from testigo.pipeline.demo import DemoResult


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate)
    app.command("demo")(demo)


def simulate(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the images and truth.json.")],
    mesas: Annotated[int, typer.Option(min=1, help="Number of mesas (actas) to draw.")] = 300,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same files).")] = 2024,
    quality: Annotated[str, typer.Option(help="scan, photo, hard, hardest or mixed")] = "photo",
    variant: Annotated[
        str, typer.Option(help="qr (2024 actas), sin_qr (printed without a QR code) or mixed (alternate)")
    ] = "qr",
    printer: Annotated[
        str,
        typer.Option(
            help="standard, hires (300 dpi), narrow (58 mm), dejavu (DejaVu Sans Mono), offset (printed 3 mm "
            "off centre, near the paper's edge) or mixed (each in turn)"
        ),
    ] = "standard",
    bad_files: Annotated[bool, typer.Option("--bad-files", help="Also write malformed and hostile files.")] = False,
    forgeries: Annotated[int, typer.Option(min=0, help="Also write this many forged actas.")] = 0,
    altered: Annotated[
        int, typer.Option(min=0, help="Also write this many actas whose print and QR differ in one card.")
    ] = 0,
    inject: Annotated[
        str | None,
        typer.Option(help="Instead: manipulate the results table FILE, e.g. stuffing:0.02:0.15,copy:0.01"),
    ] = None,
    table: Annotated[Path | None, typer.Argument(metavar="[FILE]", help="Results table for --inject.")] = None,
    mapping: MapOpt = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Render a synthetic election's actas as scans or photos, with their truth.

    With --inject, manipulate a results table instead and list the manipulated mesas.
    """
    from testigo.simulate import PRINTERS, QUALITIES, VARIANTS
    from testigo.simulate import simulate as run_simulate

    if inject is not None:
        if table is None:
            raise UserError("--inject needs a results table: testigo simulate --inject SPEC FILE --out DIR")
        simulate_inject(table, inject, out_dir, seed, mapping, workspace, as_json)
        return
    if table is not None:
        raise UserError(f"a FILE argument ({table}) only goes with --inject")
    if quality not in QUALITIES:
        raise UserError(f"unknown quality {quality!r}; one of {', '.join(QUALITIES)}")
    if variant not in VARIANTS:
        raise UserError(f"unknown variant {variant!r}; one of {', '.join(VARIANTS)}")
    if printer != "mixed" and printer not in PRINTERS:
        raise UserError(f"unknown printer {printer!r}; one of {', '.join(PRINTERS)} or mixed")
    printers = tuple(PRINTERS.values()) if printer == "mixed" else (PRINTERS[printer],)
    for style in printers:
        if style.font is not None and not style.font.exists():
            raise UserError(f"the font {style.font} is not installed (Debian: apt-get install fonts-dejavu-core)")
    with RichProgress(enabled=not as_json) as progress:
        progress.phase("render", None)  # bad files and forgeries add to the mesas
        truth = run_simulate(
            out_dir,
            mesas,
            seed,
            quality,
            bad_files=bad_files,
            forgeries=forgeries,
            altered=altered,
            variant=variant,
            printers=printers,
            progress=lambda done, total: progress.advance(),
        )
    files = json.loads(truth.read_text(encoding="utf-8"))["files"]
    info = {"out": str(out_dir), "truth": str(truth), "files": len(files)}
    if as_json:
        emit_json(info)
    else:
        out.print(f"wrote {len(files)} files and {truth}")


def demo(
    mesas: Annotated[int, typer.Option(min=1, help="Number of simulated mesas.")] = 300,
    seed: Annotated[int, typer.Option(help="Random seed of the synthetic election.")] = 2024,
    folder: Annotated[Path, typer.Option("--dir", help="Folder for the demo's images and workspace.")] = Path(
        "testigo-demo"
    ),
    workers: Annotated[int | None, typer.Option(min=1, help="Decoding processes [default: all cores]")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Simulate an election, render its actas, ingest, verify against the truth and tally."""
    from testigo.pipeline.demo import run_demo

    with RichProgress(enabled=not as_json) as progress:
        result = run_demo(folder, mesas=mesas, seed=seed, workers=workers, progress=progress)
    if as_json:
        emit_json(result.to_json())
    else:
        print_demo(result)
    if not result.verified.exact:
        raise typer.Exit(1)


def print_demo(result: DemoResult) -> None:
    print_outcomes(result.ingest.summary(), result.problems)
    print_tally(result.tally)
    check = result.verified
    verdict = "[green]every mesa matches[/]" if check.exact else "[red]MISMATCH[/]"
    out.print(
        f"verified against the simulation's truth: {check.mesas_matching}/{check.mesas_expected} mesas exact, "
        f"{check.for_review} left for reviewers, {check.wrong_reads} wrong reads, {check.missing} missing — {verdict}"
    )
    out.print(f"took {result.seconds:.1f} s; workspace: {result.workspace}")
