"""The `testigo` command line: a thin shell over the library functions.

One module per command group, each with a ``register(app)`` that adds its
commands (and its sub-app, for a group such as ``log``) to the main app; each
command imports what it runs only when it runs, so ``testigo --help`` stays
fast. Printers take the library's typed results, never their JSON.

Every command that reports takes ``--json`` and then prints exactly one JSON
document on stdout (progress bars go to stderr). User mistakes and bad input
are reported in one line; exit codes: 0 done, 1 a check failed, 2 usage error,
3 internal error (a bug: one line, the traceback with TESTIGO_DEBUG=1).
"""

from __future__ import annotations

import typer

from testigo.cli import (
    audit,
    boletins,
    bundle,
    cluster,
    console,
    ingest,
    keys,
    log,
    mirrors,
    registry,
    results,
    sheets,
    simulate,
    tables,
    web,
    witness,
    workspace,
)
from testigo.config import Environment, resolve
from testigo.errors import UserError

app = typer.Typer(
    help="testigo: verified, tamper-evident results from photos and scans of election tally sheets.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
for group in (
    workspace,
    ingest,
    sheets,
    results,
    tables,
    simulate,
    log,
    keys,
    boletins,
    bundle,
    audit,
    web,
    cluster,
    registry,
    witness,
    mirrors,
):
    group.register(app)


def main() -> None:
    """Entry point: run the app, turning user errors into one line and exit code 2."""
    try:
        app()
    except UserError as error:
        console.err.print(f"testigo: {error}", markup=False)
        raise SystemExit(2) from None
    except KeyboardInterrupt:
        console.err.print("testigo: interrupted; everything committed so far is kept, re-run to resume", markup=False)
        raise SystemExit(130) from None
    except Exception as error:  # noqa: BLE001 - last resort: a bug must still be one line for the user
        if resolve(Environment).debug:
            raise
        console.err.print(
            f"testigo: internal error ({type(error).__name__}: {error}); nothing committed was lost. "
            "Re-run with TESTIGO_DEBUG=1 for the traceback and report it.",
            markup=False,
        )
        raise SystemExit(3) from None
