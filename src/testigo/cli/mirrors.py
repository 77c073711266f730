"""`mirrors`: the list of copies `testigo publish` signs into the bundle and shows on every page.

When the results site is blocked, readers move to a copy: another domain, an
onion service, an archive passed around. The list tells them where, and being
signed with the log's key, a clone cannot add itself to it. The workspace keeps
it in mirrors.txt; each `testigo publish` signs it for the checkpoint it writes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from testigo.cli.console import JsonOpt, WorkspaceOpt, emit_json, out
from testigo.config import Workspace

if TYPE_CHECKING:
    from testigo.publish.mirrors import Mirror

AddressArg = Annotated[
    str,
    typer.Argument(
        help="An http(s) address, a v3 onion address (xyz...56 characters.onion), or the file name of an archive."
    ),
]


def register(app: typer.Typer) -> None:
    mirrors_app = typer.Typer(
        help="The mirrors `publish` signs into the bundle and shows on every page (the workspace's mirrors.txt).",
        no_args_is_help=True,
    )
    mirrors_app.command("add")(add)
    mirrors_app.command("remove")(remove)
    mirrors_app.command("list")(list_mirrors)
    app.add_typer(mirrors_app, name="mirrors")


def add(
    address: AddressArg,
    note: Annotated[str, typer.Option(help="A short note for readers (who runs it, where to find the file).")] = "",
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List a mirror (or change the note of one listed); the next `testigo publish` signs and shows it."""
    from testigo.publish.mirrors import add_mirror, parse_mirror

    mirror = parse_mirror(address, note)
    _print(add_mirror(Workspace.locate_existing(workspace), mirror), as_json)


def remove(address: AddressArg, workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """Take a mirror off the list (one that was blocked, seized or shut); the next `testigo publish` drops it."""
    from testigo.publish.mirrors import remove_mirror

    _print(remove_mirror(Workspace.locate_existing(workspace), address), as_json)


def list_mirrors(workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """The mirrors `testigo publish` signs into the bundle (the workspace's mirrors.txt)."""
    from testigo.publish.mirrors import read_mirrors

    ws = Workspace.locate(workspace)
    ws.exists()  # a workspace that is a file is a usage error, as for every command
    _print(read_mirrors(ws), as_json)


def _print(mirrors: list[Mirror], as_json: bool) -> None:
    if as_json:
        emit_json({"mirrors": [m.to_json() for m in mirrors]})
        return
    table = Table("kind", "address", "note")
    for mirror in mirrors:
        table.add_row(mirror.kind, mirror.address, mirror.note)
    out.print(table)
