"""`serve` and `user`: the web application, and its accounts.

Accounts are created by invitation only; ``testigo user invite --role admin``
is how the first admin gets in, and then invites everyone else from the web.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from testigo.cli.console import JsonOpt, WorkspaceOpt, emit_json, out
from testigo.config import WebSettings, option


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    user_app = typer.Typer(help="Accounts of the web application (invitation only).", no_args_is_help=True)
    user_app.command("invite")(user_invite)
    user_app.command("list")(user_list)
    user_app.command("revoke")(user_revoke)
    user_app.command("block")(user_block)
    user_app.command("unblock")(user_unblock)
    app.add_typer(user_app, name="user")


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0: every interface).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    decode_workers: Annotated[
        int | None,
        typer.Option(min=0, help=option(WebSettings, "decode_workers").help),
    ] = None,
    forwarded_allow_ips: Annotated[
        str, typer.Option(help="Reverse proxies trusted for X-Forwarded-For/-Proto (comma-separated, or '*').")
    ] = "127.0.0.1",
    workspace: WorkspaceOpt = None,
) -> None:
    """Run the web application: public results, volunteer uploads, review and admin pages, JSON API."""
    import uvicorn

    from testigo.store.workspace import open_workspace
    from testigo.web import create_app

    store = open_workspace(workspace)
    app = create_app(store, store.workspace.web_settings({"decode_workers": decode_workers}))
    out.print(f"testigo serving on http://{host}:{port} (OpenAPI at /api/v1/openapi.json); Ctrl-C stops")
    uvicorn.run(
        app,
        host=host,
        port=port,
        proxy_headers=True,
        forwarded_allow_ips=forwarded_allow_ips,
        log_level="warning",
        server_header=False,
        # an idle keep-alive connection is closed after 5 s; a stalled request body after body_idle_seconds
        # (testigo.web.app.LimitBody). Headers that never end are the reverse proxy's to cut: see
        # docs/threat-model.md, whose nginx configuration sets every timeout.
        timeout_keep_alive=5,
    )


def user_invite(
    role: Annotated[str, typer.Option(help="volunteer, reviewer or admin")] = "volunteer",
    note: Annotated[str, typer.Option(help="Who it is for (seen by admins only).")] = "",
    base_url: Annotated[
        str, typer.Option(help="The site's address, to print the whole link.")
    ] = "http://127.0.0.1:8000",
    days: Annotated[int, typer.Option(min=1, help="Days before the invitation expires.")] = 7,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a single-use invitation link (how the first admin gets an account)."""
    from testigo.store.workspace import open_workspace
    from testigo.web import accounts

    token = accounts.invite(open_workspace(workspace), role, note=note, days=days)
    url = f"{base_url.rstrip('/')}/invite/{token}"
    if as_json:
        emit_json({"role": role, "url": url, "expires_in_days": days})
    else:
        out.print(f"invitation for a {role}, valid {days} days, usable once:\n{url}", markup=False)


def user_list(workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """List the accounts of the web application."""
    from testigo.store.workspace import open_workspace
    from testigo.web import accounts

    found = accounts.list_accounts(open_workspace(workspace))
    rows = [
        {
            "username": a.username,
            "role": a.role,
            "blocked": a.blocked,
            "uploads_per_hour": a.uploads_per_hour,
            "created_at": a.created_at.isoformat(),
            "revoked": a.revoked_at is not None,
        }
        for a in found
    ]
    if as_json:
        emit_json({"users": rows})
        return
    table = Table("username", "role", "state", "uploads/hour", "created")
    for row in rows:
        state = "revoked" if row["revoked"] else ("blocked" if row["blocked"] else "active")
        limit = "default" if row["uploads_per_hour"] is None else str(row["uploads_per_hour"])
        table.add_row(str(row["username"]), str(row["role"]), state, limit, str(row["created_at"])[:16])
    out.print(table)


def user_revoke(
    username: Annotated[str, typer.Argument(help="The account to revoke.")],
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Revoke an account: its sessions and API tokens stop working at once."""
    from testigo.store.workspace import open_workspace
    from testigo.web import accounts

    account = accounts.revoke_account(open_workspace(workspace), username)
    if as_json:
        emit_json({"username": account.username, "revoked": True})
    else:
        out.print(f"revoked {account.username}", markup=False)


def user_block(
    username: Annotated[str, typer.Argument(help="The account to block.")],
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Block an account: it can still log in, but may not upload, review or administer until unblocked."""
    _set_blocked(username, True, workspace, as_json)


def user_unblock(
    username: Annotated[str, typer.Argument(help="The account to unblock.")],
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Unblock an account (also how an admin blocked by mistake, or by another admin, gets back in)."""
    _set_blocked(username, False, workspace, as_json)


def _set_blocked(username: str, blocked: bool, workspace: str | None, as_json: bool) -> None:
    from testigo.store.workspace import open_workspace
    from testigo.web import accounts

    store = open_workspace(workspace)
    current = accounts.find_account(store, username)
    account = accounts.restrict(store, username, blocked=blocked, uploads_per_hour=current.uploads_per_hour)
    if as_json:
        emit_json({"username": account.username, "blocked": account.blocked})
    else:
        out.print(f"{account.username} {'blocked' if account.blocked else 'unblocked'}", markup=False)
