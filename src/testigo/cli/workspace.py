"""`init`, `status` and `items`: creating a workspace and seeing what it holds."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from testigo.cli.console import JsonOpt, WorkspaceOpt, emit_json, out
from testigo.config import DEFAULT_PROFILE, Settings, option
from testigo.domain import Status
from testigo.errors import UserError


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("status")(status)
    app.command("items")(items)


def init(
    profile: Annotated[str, typer.Option(help=option(Settings, "profile").help)] = DEFAULT_PROFILE,
    database: Annotated[
        str, typer.Option(envvar=option(Settings, "database_url").env, help=option(Settings, "database_url").help)
    ] = "",
    blobs: Annotated[
        str, typer.Option(envvar=option(Settings, "blobs_url").env, help=option(Settings, "blobs_url").help)
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


def status(workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """What the workspace holds: files by outcome, records, coverage."""
    from testigo.pipeline.overview import overview
    from testigo.store.workspace import open_workspace

    info = overview(open_workspace(workspace))
    if as_json:
        emit_json(info.to_json())
        return
    out.print(f"workspace {info.workspace} (profile {info.profile})")
    out.print("items: " + " · ".join(f"{k}: {v}" for k, v in info.items.items()))
    out.print("records: " + " · ".join(f"{k}: {v}" for k, v in info.records.items()))


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
        emit_json({"items": [row.to_json() for row in rows]})
        return
    table = Table("file", "sha256", "status", "mesa", "reason")
    for row in rows:
        table.add_row(row.path, (row.sha256 or "")[:12], row.status, row.mesa or "", row.reason or "")
    out.print(table)
