"""The `testigo` command line: a thin shell over the library functions.

Every command that reports takes ``--json`` and then prints exactly one JSON
document on stdout (progress bars go to stderr). User mistakes and bad input
are reported in one line; exit codes: 0 done, 1 a check failed, 2 usage error,
3 internal error (a bug: one line, the traceback with TESTIGO_DEBUG=1).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from testigo.cli_analysis import MapOpt, compare_command, import_command, simulate_inject_command
from testigo.cli_common import JsonOpt, RichProgress, WorkspaceOpt, emit_json, err, out
from testigo.cli_publish import publish_command, verify_command
from testigo.cli_scale import scheduler_command, worker_command
from testigo.cli_web import serve_command, user_invite_command, user_list, user_revoke
from testigo.domain import LEVELS, Status
from testigo.domain.files import file_label
from testigo.errors import UserError

app = typer.Typer(
    help="testigo: verified, tamper-evident results from photos and scans of election tally sheets.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
registry_app = typer.Typer(help="Build the registry shipped with a profile (for maintainers).", no_args_is_help=True)
app.add_typer(registry_app, name="registry")
log_app = typer.Typer(help="The tamper-evident log: entries, proofs, signed checkpoints.", no_args_is_help=True)
app.add_typer(log_app, name="log")
key_app = typer.Typer(help="The workspace's checkpoint-signing key.", no_args_is_help=True)
app.add_typer(key_app, name="key")
user_app = typer.Typer(help="Accounts of the web application (invitation only).", no_args_is_help=True)
app.add_typer(user_app, name="user")


@app.command()
def init(
    profile: Annotated[str, typer.Option(help="Tally-sheet format of the election.")] = "ve2024",
    database: Annotated[
        str, typer.Option(envvar="TESTIGO_DATABASE_URL", help="SQLAlchemy URL [default: the workspace's SQLite]")
    ] = "",
    blobs: Annotated[
        str, typer.Option(envvar="TESTIGO_BLOBS_URL", help="Blob store: a (shared) folder or s3://bucket/prefix")
    ] = "",
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a workspace (database, blob store, registry of the profile)."""
    from testigo.store.workspace import init_workspace

    store = init_workspace(workspace, profile, database, blobs)
    registry = store.registry
    info = {
        "workspace": str(store.workspace.root),
        "profile": store.profile.name,
        "mesas_registry": len(registry.mesas),
        "mesas_national": registry.mesas_national,
    }
    if as_json:
        emit_json(info)
    else:
        mesas = len(registry.mesas)
        out.print(f"workspace {info['workspace']} ready: profile {profile}, {mesas:,} mesas in the registry")


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files, folders (recursive) and zip archives.")],
    workers: Annotated[int | None, typer.Option(min=1, help="Decoding processes [default: all cores]")] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(envvar="TESTIGO_SCHEDULER", help="Dask scheduler (tcp://HOST:PORT): decode on its workers"),
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
    _print_ingest(report.to_json())


def _print_ingest(report: dict[str, Any]) -> None:
    summary = report["summary"]
    out.print(" · ".join(f"{k}: {v}" for k, v in summary.items()))
    problems = [f for f in report["files"] if f["status"] not in (Status.ACCEPTED, Status.DUPLICATE)]
    if problems:
        table = Table("file", "status", "reason", title="needs attention", title_justify="left")
        for f in problems:
            page = f" (page {f['page'] + 1})" if f["page"] else ""
            table.add_row(file_label(f["path"]) + page, f["status"], f["reason"] or "")
        out.print(table)


@app.command("tally")
def tally_command(
    level: Annotated[str, typer.Option(help=f"One of: {', '.join(LEVELS)}")] = "country",
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV instead of tables.")] = False,
    project: Annotated[
        bool, typer.Option("--project", help="Also estimate the full result with 95% intervals.")
    ] = False,
) -> None:
    """Votes, shares and coverage at any level of the geography."""
    from testigo.store.workspace import open_workspace
    from testigo.tally import tally
    from testigo.tally.export import write_csv

    store = open_workspace(workspace)
    result = tally(store, level)
    if project:
        from testigo.pipeline.analysis import accepted_table
        from testigo.tally.projection import Strata
        from testigo.tally.projection import project as run_projection

        projection = run_projection(accepted_table(store), Strata.from_registry(store.registry)).to_json()
        if as_json:
            emit_json({**result.to_json(), "projection": projection})
        else:
            _print_tally(result.to_json())
            out.print_json(data=projection)
        return
    if as_json:
        emit_json(result.to_json())
    elif as_csv:
        write_csv(result, sys.stdout)
    else:
        _print_tally(result.to_json())


def _print_tally(result: dict[str, Any]) -> None:
    names = result["candidate_names"]
    rows = result["rows"]
    if result["level"] == "country" and rows:
        row = rows[0]
        table = Table("candidate", "votes", "share", title="national result", title_justify="left")
        for key, votes in sorted(row["candidates"].items(), key=lambda kv: -kv[1]):
            table.add_row(names[key], f"{votes:,}", f"{row['shares'][key]:.2%}")
        table.add_row("null votes", f"{row['null_votes']:,}", "")
        out.print(table)
    else:
        leaders = sorted(names, key=lambda k: -sum(r["candidates"][k] for r in rows))[:3]
        table = Table("id", "name", "actas", *[names[k] for k in leaders], "valid", title=f"by {result['level']}")
        for row in rows:
            table.add_row(
                row["id"],
                row["name"],
                str(row["actas"]),
                *[f"{row['candidates'][k]:,}" for k in leaders],
                f"{row['valid_votes']:,}",
            )
        out.print(table)
    cov = result["coverage"]
    national = f" of {cov['mesas_national']:,} nationally" if cov["mesas_national"] else ""
    out.print(
        f"coverage: {cov['mesas_covered']:,} of {cov['mesas_registry']:,} mesas in the registry{national}; "
        f"{cov['registered_covered']:,} of {cov['registered_total']:,} registered voters"
    )


@app.command()
def forensics(
    report: Annotated[Path | None, typer.Option(help="Also write a self-contained HTML report here.")] = None,
    candidate: Annotated[
        str | None, typer.Option(help="Candidate whose share the fingerprint examines [default: the most voted]")
    ] = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Statistical tests on the accepted per-mesa results, with the mesas they flag and why."""
    from testigo.forensics import run_all, to_json
    from testigo.forensics.html import render_html
    from testigo.pipeline.analysis import accepted_table
    from testigo.store.workspace import open_workspace

    store = open_workspace(workspace)
    if candidate is not None and candidate not in store.profile.election.candidate_keys():
        raise UserError(f"unknown candidate {candidate!r}; one of {', '.join(store.profile.election.candidate_keys())}")
    table = accepted_table(store)
    if len(table) == 0:
        raise UserError("no accepted actas yet: ingest some first")
    results = run_all(table, candidate=candidate)
    if report is not None:
        names = {area.id: area.name for area in store.registry.areas.values()}
        report.write_text(render_html(results, table, area_names=names), encoding="utf-8")
    if as_json:
        emit_json(to_json(results))
        return
    summary = Table("test", "statistic", "p-value", "flagged mesas", title="forensics", title_justify="left")
    for result in results:
        p_value = "" if result.p_value is None else f"{result.p_value:.3g}"
        statistic = "" if result.statistic is None else f"{result.statistic:.4g}"
        summary.add_row(result.id, statistic, p_value, str(len(result.flagged)))
    out.print(summary)
    if report is not None:
        out.print(f"report written to {report}")


@app.command()
def status(workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """What the workspace holds: files by outcome, records, coverage."""
    from testigo.pipeline.overview import overview
    from testigo.store.workspace import open_workspace

    info = overview(open_workspace(workspace))
    if as_json:
        emit_json(info)
        return
    out.print(f"workspace {info['workspace']} (profile {info['profile']})")
    out.print("items: " + " · ".join(f"{k}: {v}" for k, v in info["items"].items()))
    out.print("records: " + " · ".join(f"{k}: {v}" for k, v in info["records"].items()))


@app.command()
def items(
    status_filter: Annotated[
        str | None, typer.Option("--status", help="Only this outcome (e.g. conflict, unreadable).")
    ] = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List submitted files with their outcome and reason (the review queue)."""
    from testigo.pipeline.overview import list_items
    from testigo.store.workspace import open_workspace

    if status_filter is not None and status_filter not in {s.value for s in Status}:
        raise UserError(f"unknown status {status_filter!r}; one of {', '.join(s.value for s in Status)}")
    rows = list_items(open_workspace(workspace), status_filter)
    if as_json:
        emit_json({"items": rows})
        return
    table = Table("file", "sha256", "status", "mesa", "reason")
    for row in rows:
        table.add_row(row["path"], (row["sha256"] or "")[:12], row["status"], row["mesa"] or "", row["reason"] or "")
    out.print(table)


@app.command()
def simulate(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the images and truth.json.")],
    mesas: Annotated[int, typer.Option(min=1, help="Number of mesas (actas) to draw.")] = 300,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same files).")] = 2024,
    quality: Annotated[str, typer.Option(help="scan, photo, hard or mixed")] = "photo",
    bad_files: Annotated[bool, typer.Option("--bad-files", help="Also write malformed and hostile files.")] = False,
    forgeries: Annotated[int, typer.Option(min=0, help="Also write this many forged actas.")] = 0,
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
    from testigo.simulate import QUALITIES
    from testigo.simulate import simulate as run_simulate

    if inject is not None:
        if table is None:
            raise UserError("--inject needs a results table: testigo simulate --inject SPEC FILE --out DIR")
        simulate_inject_command(table, inject, out_dir, seed, mapping, workspace, as_json)
        return
    if table is not None:
        raise UserError(f"a FILE argument ({table}) only goes with --inject")
    if quality not in QUALITIES:
        raise UserError(f"unknown quality {quality!r}; one of {', '.join(QUALITIES)}")
    with RichProgress(enabled=not as_json) as progress:
        progress.phase("render", None)  # bad files and forgeries add to the mesas
        truth = run_simulate(
            out_dir,
            mesas,
            seed,
            quality,
            bad_files=bad_files,
            forgeries=forgeries,
            progress=lambda done, total: progress.advance(),
        )
    files = json.loads(truth.read_text(encoding="utf-8"))["files"]
    info = {"out": str(out_dir), "truth": str(truth), "files": len(files)}
    if as_json:
        emit_json(info)
    else:
        out.print(f"wrote {len(files)} files and {truth}")


@app.command()
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
        emit_json(result)
    else:
        _print_demo(result)
    if not result["verified"]["exact"]:
        raise typer.Exit(1)


def _print_demo(result: dict[str, Any]) -> None:
    _print_ingest({"summary": result["ingest"]["summary"], "files": result["ingest"]["problems"]})
    _print_tally(result["tally"])
    check = result["verified"]
    verdict = "[green]every mesa matches[/]" if check["exact"] else "[red]MISMATCH[/]"
    out.print(
        f"verified against the simulation's truth: {check['mesas_matching']}/{check['mesas_expected']} mesas exact, "
        f"{check['wrong_reads']} wrong reads, {check['missing']} missing — {verdict}"
    )
    out.print(f"took {result['seconds']:.1f} s; workspace: {result['workspace']}")


@log_app.command("show")
def log_show(
    start: Annotated[int, typer.Option(min=0, help="First entry.")] = 0,
    limit: Annotated[int, typer.Option(min=1, help="Most entries to show.")] = 50,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Log entries (each the exact JSON bytes that were hashed)."""
    from testigo.store import ledger as log_table
    from testigo.store.workspace import open_workspace

    store = open_workspace(workspace)
    with store.sessions() as session:
        rows = log_table.entries(session, start, start + limit)
        entries = [{"seq": r.seq, "kind": r.kind, "entry": json.loads(r.body)} for r in rows]
    if as_json:
        emit_json({"entries": entries})
        return
    table = Table("seq", "status", "file", "acta id", "received")
    for e in entries:
        body = e["entry"]
        table.add_row(
            str(e["seq"]),
            body.get("status", ""),
            body.get("file", ""),
            body.get("acta_id") or "",
            body.get("received_at", ""),
        )
    out.print(table)


@log_app.command("proof")
def log_proof(
    seq: Annotated[int | None, typer.Argument(help="Entry to prove included.")] = None,
    size: Annotated[int | None, typer.Option(help="Tree size [default: latest checkpoint]")] = None,
    old: Annotated[int | None, typer.Option(help="Prove consistency from this older tree size instead.")] = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """An inclusion proof for an entry, or (with --old) a consistency proof between two sizes."""
    from testigo.pipeline.logbook import consistency, inclusion
    from testigo.store.workspace import open_workspace

    store = open_workspace(workspace)
    if old is not None:
        data = consistency(store, old, size)
    elif seq is not None:
        data = inclusion(store, seq, size).to_json()
    else:
        raise UserError("give an entry number, or --old SIZE for a consistency proof")
    if as_json:
        emit_json(data)
    else:
        for key, value in data.items():
            out.print(f"{key}: {value}", markup=False)


@log_app.command("checkpoint")
def log_checkpoint(workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """Sign (if the log grew) and print the latest checkpoint as a C2SP signed note."""
    from testigo.pipeline.logbook import checkpoint
    from testigo.store.workspace import open_workspace

    signed = checkpoint(open_workspace(workspace))
    if as_json:
        emit_json({"size": signed.size, "root_hash": signed.root_hash.hex(), "note": signed.note})
    else:
        sys.stdout.write(signed.note)


@key_app.command("export")
def key_export(workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """Print the public key that verifies this workspace's checkpoints (note verifier format)."""
    from testigo.store.workspace import open_workspace

    store = open_workspace(workspace)
    verifier = str(store.signer.verifier)
    if as_json:
        emit_json({"origin": store.signer.name, "verifier_key": verifier})
    else:
        sys.stdout.write(verifier + "\n")


@registry_app.command("build")
def registry_build(
    source: Annotated[Path, typer.Option(help="Folder with the two 2024 CSV tables.")] = Path("../shared/data/ve2024"),
    out_dir: Annotated[Path | None, typer.Option("--out", help="Where to write [default: the package]")] = None,
) -> None:
    """Rebuild the ve2024 registry and results files from the public tables."""
    from testigo.profiles import ve2024_data

    target = out_dir or Path(ve2024_data.__file__).parent / "data"
    mesas, results = ve2024_data.build(source, target)
    out.print(f"wrote {mesas:,} mesas and {results:,} results to {target}")


app.command("import")(import_command)
app.command("compare")(compare_command)
app.command("serve")(serve_command)
user_app.command("invite")(user_invite_command)
user_app.command("list")(user_list)
user_app.command("revoke")(user_revoke)
app.command("scheduler")(scheduler_command)
app.command("worker")(worker_command)
app.command("publish")(publish_command)
app.command("verify")(verify_command)


def main() -> None:
    """Entry point: run the app, turning user errors into one line and exit code 2."""
    try:
        app()
    except UserError as error:
        err.print(f"testigo: {error}", markup=False)
        raise SystemExit(2) from None
    except KeyboardInterrupt:
        err.print("testigo: interrupted; everything committed so far is kept, re-run to resume", markup=False)
        raise SystemExit(130) from None
    except Exception as error:  # noqa: BLE001 - last resort: a bug must still be one line for the user
        if os.environ.get("TESTIGO_DEBUG"):
            raise
        err.print(
            f"testigo: internal error ({type(error).__name__}: {error}); nothing committed was lost. "
            "Re-run with TESTIGO_DEBUG=1 for the traceback and report it.",
            markup=False,
        )
        raise SystemExit(3) from None
