"""`witness`: run a C2SP witness that cosigns logs' checkpoints, and list the witnesses a workspace asks.

A witness is run by someone other than the log's operator (a party, an
observer mission, a university): it cosigns a checkpoint only if it extends
every checkpoint of that log it cosigned before. `testigo publish` asks the
witnesses in the workspace's witnesses.txt; `testigo verify --witness`
requires their cosignatures.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from testigo.cli.console import JsonOpt, WorkspaceOpt, emit_json, out
from testigo.config import Workspace
from testigo.errors import UserError

if TYPE_CHECKING:
    from testigo.witness import RosterEntry


def register(app: typer.Typer) -> None:
    witness_app = typer.Typer(
        help="Witnesses (c2sp.org/tlog-witness): run one, or list those that cosign this workspace's log.",
        no_args_is_help=True,
    )
    witness_app.command("key")(key)
    witness_app.command("serve")(serve)
    witness_app.command("add")(add)
    witness_app.command("list")(list_witnesses)
    app.add_typer(witness_app, name="witness")


KeyFileOpt = Annotated[Path, typer.Option("--key", help="The witness's private key file (mode 0600; keep it secret).")]


def key(
    key_file: KeyFileOpt,
    name: Annotated[
        str | None,
        typer.Option(help="The witness's name, e.g. witness.example.org/w1: creates the key file if it is missing."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create (with --name) or show a witness key; prints the verifier key to give to publishers and readers."""
    from testigo.ledger import Cosigner
    from testigo.store.keys import load_key, load_or_create_key

    created = not key_file.exists()
    if created and name is None:
        raise UserError(f"{key_file} does not exist: give --name to create a witness key there")
    cosigner = load_or_create_key(key_file, Cosigner, name) if name is not None else load_key(key_file, Cosigner)
    if name is not None and cosigner.name != name:
        raise UserError(f"{key_file} holds the key of witness {cosigner.name!r}, not {name!r}")
    verifier = str(cosigner.verifier)
    if as_json:
        emit_json({"name": cosigner.name, "verifier_key": verifier, "key_file": str(key_file), "created": created})
    else:
        out.print(verifier, markup=False)


def serve(
    key_file: KeyFileOpt,
    log: Annotated[
        list[str],
        typer.Option(help="A log to witness: ORIGIN=VERIFIER_KEY (the log's `testigo key export`); repeatable."),
    ],
    state: Annotated[
        Path, typer.Option(help="Folder of the last checkpoint cosigned per log; keep it: it is the witness.")
    ] = Path("witness-state"),
    host: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0: every interface).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8100,
) -> None:
    """Run the witness: POST /add-checkpoint cosigns a checkpoint that extends the last one it cosigned."""
    import uvicorn

    from testigo.ledger import Cosigner, LedgerError, Verifier
    from testigo.store.keys import load_key
    from testigo.witness import Witness, WitnessState, create_app

    logs: dict[str, Verifier] = {}
    for given in log:
        origin, equals, text = given.partition("=")
        if not equals or not origin:
            raise UserError(f"--log {given!r} is not ORIGIN=VERIFIER_KEY")
        try:
            logs[origin] = Verifier.parse(text.strip())
        except LedgerError as error:
            raise UserError(f"--log {origin}: {error}") from None
    cosigner = load_key(key_file, Cosigner)
    witness = Witness(cosigner, logs, WitnessState(state))
    out.print(f"witness {cosigner.verifier} on http://{host}:{port}/add-checkpoint, {len(logs)} log(s); Ctrl-C stops")
    uvicorn.run(create_app(witness), host=host, port=port, log_level="warning", server_header=False)


def add(
    url: Annotated[str, typer.Argument(help="The witness's address (its submission prefix), http:// or https://.")],
    verifier_key: Annotated[str, typer.Argument(help="The witness's verifier key (`testigo witness key`).")],
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Ask this witness to cosign every checkpoint `testigo publish` writes (replaces one of the same URL or name)."""
    from testigo.witness import add_to_roster, parse_entry

    ws = Workspace.locate_existing(workspace)
    _print_roster(add_to_roster(ws, parse_entry(url, verifier_key)), as_json)


def list_witnesses(workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """The witnesses `testigo publish` asks to cosign (the workspace's witnesses.txt)."""
    from testigo.witness import read_roster

    ws = Workspace.locate(workspace)
    ws.exists()  # a workspace that is a file is a usage error, as for every command
    _print_roster(read_roster(ws), as_json)


def _print_roster(roster: list[RosterEntry], as_json: bool) -> None:
    if as_json:
        emit_json({"witnesses": [{"url": e.url, "verifier_key": str(e.verifier)} for e in roster]})
        return
    table = Table("url", "verifier key")
    for entry in roster:
        table.add_row(entry.url, str(entry.verifier))
    out.print(table)
