"""`audit plan`, `audit record`, `audit status`: a risk-limiting check of the paper originals (`testigo.api.audit`).

Exit codes as every command: 0 done, 2 a step refused (no checkpoint, a plan
already made, figures that cannot be right). `status` reports; it never fails
because the risk limit is not met yet.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from testigo.cli.console import JsonOpt, WorkspaceOpt, emit_json, out
from testigo.errors import UserError

if TYPE_CHECKING:
    from testigo.audit import AuditStatus
    from testigo.store.workspace import Store

#: Mesas listed by the printed status (all of them are in --json).
SHOWN = 20


def register(app: typer.Typer) -> None:
    audit_app = typer.Typer(
        help="A risk-limiting check of the paper originals: sample mesas, compare their sheets, measure the risk.",
        no_args_is_help=True,
    )
    audit_app.command("plan")(plan)
    audit_app.command("record")(record)
    audit_app.command("status")(status)
    app.add_typer(audit_app, name="audit")


def plan(
    seed: Annotated[
        str, typer.Option(help="Public seed: at least 20 decimal digits, e.g. dice rolled on camera after publishing.")
    ],
    risk_limit: Annotated[
        float, typer.Option(help="Largest chance that a wrong published outcome passes the audit.")
    ] = 0.05,
    unknown_bound: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Most ballots a mesa can hold when the registry lacks its registered voters "
            "[default: the largest register of any mesa]",
        ),
    ] = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Commit to the latest published checkpoint and draw the sample from the seed; print the first mesas."""
    from testigo.api.audit import audit_plan

    show(audit_plan(_store(workspace), seed=seed, risk_limit=risk_limit, unknown_bound=unknown_bound), as_json)


def record(
    mesa: Annotated[str, typer.Argument(help="The mesa whose paper sheet was checked.")],
    figures: Annotated[
        str,
        typer.Option(
            help="What the sheet says: every card's votes in ballot order, then the null votes (120,80,5,3), "
            "or named (card_1=120,card_2=80,card_3=5,null_votes=3)."
        ),
    ],
    reason: Annotated[
        str | None, typer.Option(help="Why a mesa recorded before is recorded again (both are kept).")
    ] = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record what a paper sheet says; prints where the audit stands then."""
    from testigo.api.audit import audit_record

    counts, nulls = parse_figures(figures)
    show(audit_record(_store(workspace), mesa, counts, nulls, reason=reason), as_json)


def status(workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """Risk measured so far, discrepancies, the next mesas to check, and the statement."""
    from testigo.api.audit import audit_status

    show(audit_status(_store(workspace)), as_json)


def _store(workspace: str | None) -> Store:
    """The workspace's store, refusing one not created yet: an audit only checks what a workspace published."""
    from testigo.config import Workspace
    from testigo.store.workspace import open_workspace

    return open_workspace(str(Workspace.locate_existing(workspace).root))


def parse_figures(text: str) -> tuple[list[int], int]:
    """Counts per card and null votes from ``120,80,5,3`` or ``card_1=120,...,null_votes=3``."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    try:
        if all("=" in part for part in parts):
            named = {name.strip(): int(value) for name, value in (part.split("=", 1) for part in parts)}
            nulls = named.pop("null_votes", None)
            cards = [named.pop(f"card_{i}", None) for i in range(1, len(named) + 1)]
            if nulls is None or None in cards or named or len(cards) + 1 != len(parts):
                raise UserError("--figures: name card_1 to card_N (every card of the ballot) and null_votes, each once")
            return [count for count in cards if count is not None], nulls
        values = [int(part) for part in parts]
    except ValueError:
        raise UserError(f"--figures takes whole numbers separated by commas, not {text!r}") from None
    if len(values) < 2:
        raise UserError("--figures: give every card's votes in ballot order, then the null votes")
    return values[:-1], values[-1]


def show(status: AuditStatus, as_json: bool) -> None:
    if as_json:
        emit_json(status.to_json())
        return
    colour = {"met": "green", "continue": "yellow"}.get(status.outcome, "red")
    out.print(f"[{colour}]{escape(status.statement)}[/]")
    if status.discrepancies:
        table = Table("mesa", "overstatement (votes)", "taint", "figures", "counted", title="discrepancies")
        for d in status.discrepancies:
            table.add_row(
                d.mesa, str(d.overstatement), f"{d.taint:.4f}", ", ".join(d.figures), "yes" if d.counted else ""
            )
        out.print(table)
    for mesa, reason in status.corrections:
        out.print(f"recorded again: {mesa} ({escape(reason)})")
    if status.next_mesas:
        shown = ", ".join(status.next_mesas[:SHOWN])
        more = (
            f" and {len(status.next_mesas) - SHOWN:,} more (--json lists them)"
            if len(status.next_mesas) > SHOWN
            else ""
        )
        out.print(f"next mesas to check ({len(status.next_mesas):,}): {shown}{more}")
    out.print(
        f"[dim]{status.plan.initial_draws:,} draws planned at the start (none differing); seed {status.plan.seed}, "
        f"checkpoint {status.plan.checkpoint.size} {status.plan.checkpoint.root_hash[:16]}…[/]"
    )
