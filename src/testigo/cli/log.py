"""`log` and `key`: the tamper-evident log's entries, proofs and signed checkpoints, and its public key."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.table import Table

from testigo.cli.console import JsonOpt, WorkspaceOpt, emit_json, out
from testigo.errors import UserError


def register(app: typer.Typer) -> None:
    log_app = typer.Typer(help="The tamper-evident log: entries, proofs, signed checkpoints.", no_args_is_help=True)
    log_app.command("show")(show)
    log_app.command("proof")(proof)
    log_app.command("checkpoint")(checkpoint)
    app.add_typer(log_app, name="log")
    key_app = typer.Typer(
        help="The workspace's own checkpoint-signing key (the keys it trusts to verify sheets: see `testigo keys`).",
        no_args_is_help=True,
    )
    key_app.command("export")(key_export)
    app.add_typer(key_app, name="key")


def show(
    start: Annotated[int, typer.Option(min=0, help="First entry.")] = 0,
    limit: Annotated[int, typer.Option(min=1, help="Most entries to show.")] = 50,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Log entries (each the exact JSON bytes that were hashed)."""
    from testigo.pipeline.logbook import entries
    from testigo.store.workspace import open_workspace

    found = entries(open_workspace(workspace), start, limit)
    if as_json:
        emit_json({"entries": [{"seq": e.seq, "kind": e.get("kind"), "entry": dict(e.fields)} for e in found]})
        return
    table = Table("seq", "status", "file", "acta id", "received")
    for e in found:
        table.add_row(
            str(e.seq), e.get("status") or "", e.get("file") or "", e.get("acta_id") or "", e.get("received_at") or ""
        )
    out.print(table)


def proof(
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
        data = consistency(store, old, size).to_json()
    elif seq is not None:
        data = inclusion(store, seq, size).to_json()
    else:
        raise UserError("give an entry number, or --old SIZE for a consistency proof")
    if as_json:
        emit_json(data)
    else:
        for key, value in data.items():
            out.print(f"{key}: {json.dumps(value) if isinstance(value, list) else value}", markup=False)


def checkpoint(workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """Sign (if the log grew) and print the latest checkpoint as a C2SP signed note."""
    from testigo.pipeline.logbook import checkpoint as sign
    from testigo.store.workspace import open_workspace

    signed = sign(open_workspace(workspace))
    if as_json:
        emit_json(signed.to_json())
    else:
        sys.stdout.write(signed.note)


def key_export(workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """Print the public key that verifies this workspace's checkpoints (note verifier format)."""
    from testigo.store.workspace import open_workspace

    store = open_workspace(workspace)
    verifier = str(store.signer.verifier)
    if as_json:
        emit_json({"origin": store.signer.name, "verifier_key": verifier})
    else:
        sys.stdout.write(verifier + "\n")
