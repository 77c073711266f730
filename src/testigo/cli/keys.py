"""`keys add` and `keys list`: the public keys trusted to verify signed tally sheets (Brazil's BUs).

Distinct from `testigo key`, the workspace's own checkpoint-signing key: these
are other people's public keys (the TSE's), which the workspace only trusts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from testigo.cli.console import JsonOpt, WorkspaceOpt, emit_json, out
from testigo.config import Workspace
from testigo.errors import UserError


def register(app: typer.Typer) -> None:
    keys_app = typer.Typer(
        help="Public keys trusted to verify signed tally sheets (the TSE's keys of Brazil's boletins de urna). "
        "Not the workspace's own checkpoint-signing key: that is `testigo key`.",
        no_args_is_help=True,
    )
    keys_app.command("add")(add)
    keys_app.command("list")(list_keys)
    app.add_typer(keys_app, name="keys")


def add(
    file: Annotated[Path, typer.Argument(help="The key file: the TSE's 32-byte .pub, or a PEM/DER Ed25519 key.")],
    name: Annotated[
        str | None,
        typer.Option(
            help="The key's name, as the TSE's path VRCH/LEGAL|COMUNITARIA/{o|s|t}{uf}qrcode.pub "
            "[default: from the file's path when it ends so]"
        ),
    ] = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Trust a TSE public key: checked against the official SHA-512 list where one is known, never replacing another.

    The BUs of the workspace counted while their key was missing are then judged with it: verified, they lose
    their flag; refused by the key, their records stop counting (one log entry each either way)."""
    from testigo.pipeline.bu_keys import judge_waiting
    from testigo.profiles.bu.keys import KeyName, KeyRefused, KeyRing
    from testigo.store.workspace import open_workspace

    ws = Workspace.locate_existing(workspace)
    try:
        key_name = KeyName.parse(name) if name is not None else KeyName.from_path(file)
    except KeyRefused as error:
        raise UserError(f"{error}; give the key's name with --name" if name is None else str(error)) from None
    try:
        data = file.read_bytes()
    except OSError as error:
        raise UserError(f"cannot read {file}: {error.strerror or error}") from None
    try:
        added = KeyRing(ws.trusted_keys_dir).add(key_name, data)
    except KeyRefused as error:
        raise UserError(f"{file} refused: {error}") from None
    judged = []
    if ws.load_settings().profile == "br":  # only a workspace of BUs holds BUs that wait for a key
        store = open_workspace(str(ws.root))
        try:
            judged = judge_waiting(store)
        finally:
            store.close()
    if as_json:
        emit_json({**added.to_json(), "judged_again": [boletim.to_json() for boletim in judged]})
        return
    if added.added:
        out.print(f"added {key_name} ({added.key.check})", markup=False)
    else:
        out.print(f"{key_name} is already trusted with this very key: nothing changed", markup=False)
    for boletim in judged:
        line = f"section {boletim.section}: {boletim.verdict} ({boletim.reason}); {boletim.records} records changed"
        out.print(line, markup=False)


def list_keys(workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """The trusted keys: those shipped with testigo and those added to the workspace."""
    from testigo.profiles.bu.keys import KeyRing

    ws = Workspace.locate(workspace)
    ws.exists()  # a workspace that is a file is a usage error, as for every command
    keys = KeyRing(ws.trusted_keys_dir).keys()
    if as_json:
        emit_json({"keys": [key.to_json() for key in keys]})
        return
    table = Table("name", "origin", "official SHA-512 list")
    for key in keys:
        table.add_row(str(key.name), key.origin, "matches" if key.checked else "not checked")
    out.print(table)
