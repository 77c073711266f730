"""`tally` and `forensics`: the results at every level, their projection, and the statistical tests."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from testigo.cli.console import JsonOpt, WorkspaceOpt, emit_json, out
from testigo.domain import LEVELS

if TYPE_CHECKING:
    from testigo.tally import TallyResult
    from testigo.tally.bounds import Bounds
    from testigo.tally.projection import Projection


#: The contest a command reports on: a Brazilian boletim carries several (`testigo contests` lists them).
ContestOpt = Annotated[
    str | None,
    typer.Option("--contest", help="Contest key, as `testigo contests` lists them [default: the first]."),
]


def register(app: typer.Typer) -> None:
    app.command("tally")(tally)
    app.command("forensics")(forensics)
    app.command("contests")(contests)


def contests(workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """The contests of the workspace's sheets, with how many sheets of each count (profile br: one per office,
    constituency and round)."""
    from testigo.store import records
    from testigo.store.workspace import open_workspace

    store = open_workspace(workspace)
    with store.sessions() as session:
        counted = records.accepted_per_contest(session)
    names = store.profile.contests()
    if as_json:
        emit_json({"contests": [{"key": k, "name": n, "accepted": counted.get(k, 0)} for k, n in names.items()]})
        return
    table = Table("contest", "name", "accepted sheets", title="contests", title_justify="left")
    for key, name in names.items():
        table.add_row(key or "(the one contest)", name, f"{counted.get(key, 0):,}")
    out.print(table)


def tally(
    level: Annotated[str, typer.Option(help=f"One of: {', '.join(LEVELS)}")] = "country",
    contest: ContestOpt = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV instead of tables.")] = False,
    project: Annotated[
        bool, typer.Option("--project", help="Also estimate the full result with 95% intervals.")
    ] = False,
) -> None:
    """Votes, shares and coverage at any level of the geography, and what the missing mesas could change."""
    from testigo.store.workspace import open_workspace
    from testigo.tally.aggregate import accepted_matrix, contest_registry, tally_accepted
    from testigo.tally.bounds import BOUND_LEVELS, bounds
    from testigo.tally.export import write_csv

    store = open_workspace(workspace)
    chosen = store.profile.contest_or_first(contest)
    election, registry = store.profile.election_of(chosen), contest_registry(store, chosen)
    accepted = accepted_matrix(store, chosen)
    result = tally_accepted(election, registry, level, accepted, chosen)
    bound = bounds(election, registry, level, accepted) if level in BOUND_LEVELS else None
    projection = None
    if project:
        from testigo.pipeline.analysis import projection as run_projection

        projection = run_projection(store, contest=chosen)
    if as_json:
        document = result.to_json()
        if bound is not None:
            document["bounds"] = bound.to_json()
        if projection is not None:
            document["projection"] = projection.to_json()
        emit_json(document)
    elif as_csv and projection is None:
        write_csv(result, sys.stdout)
    else:
        if chosen:
            names = store.profile.contests()
            more = f" ({len(names) - 1:,} more: testigo contests)" if len(names) > 1 else ""
            out.print(f"contest {chosen}: {names.get(chosen, chosen)}{more}")
        if bound is not None:
            print_bounds(bound, result.candidate_names)
        print_tally(result)
        if projection is not None:
            print_projection(projection, result.candidate_names)


def print_bounds(bound: Bounds, names: dict[str, str]) -> None:
    """Whether the missing mesas could change the winner, first and with the arithmetic (the country), or
    which areas are decided (any other level)."""
    if bound.level == "country" and bound.areas:
        area = bound.areas[0]
        out.print(area.sentence(names))
        if area.arithmetic(names):
            out.print(f"  {area.arithmetic(names)}")
        turnout = area.parish_turnout
        if turnout.margin is not None:
            verdict = "decided" if turnout.decided else "not decided"
            out.print(
                f"  at the highest turnout of each missing mesa's parish ({turnout.voters:,} voters): {verdict}, "
                f"lead {turnout.margin:,}"
            )
        return
    decided = [area for area in bound.areas if area.registered.decided]
    out.print(
        f"bounds: decided in {len(decided):,} of {len(bound.areas):,} areas by {bound.level} "
        "even if every missing voter voted for the runner-up"
    )


def print_tally(result: TallyResult) -> None:
    """The national result as a table of candidates, or the areas with the three leading candidates."""
    names = result.candidate_names
    rows = result.rows
    if result.level == "country" and rows:
        row = rows[0]
        table = Table("candidate", "votes", "share", title="national result", title_justify="left")
        for key, votes in sorted(row.candidates.items(), key=lambda kv: -kv[1]):
            table.add_row(names[key], f"{votes:,}", f"{row.shares[key]:.2%}")
        table.add_row("null votes", f"{row.null_votes:,}", "")
        out.print(table)
    else:
        leaders = sorted(names, key=lambda k: -sum(r.candidates[k] for r in rows))[:3]
        table = Table("id", "name", "actas", *[names[k] for k in leaders], "valid", title=f"by {result.level}")
        for row in rows:
            leading = [f"{row.candidates[k]:,}" for k in leaders]
            table.add_row(row.id, row.name, str(row.actas), *leading, f"{row.valid_votes:,}")
        out.print(table)
    cov = result.coverage
    national = f" of {cov.mesas_national:,} nationally" if cov.mesas_national else ""
    out.print(
        f"coverage: {cov.mesas_covered:,} of {cov.mesas_registry:,} mesas in the registry{national}; "
        f"{cov.registered_covered:,} of {cov.registered_total:,} registered voters"
    )
    backing: Counter[str] = Counter()
    for row in rows:
        backing.update(row.evidence)
    if backing:
        parts = [f"{EVIDENCE_WORDS.get(kind, kind)} {count:,}" for kind, count in backing.most_common()]
        out.print("actas backed by: " + ", ".join(parts))


#: How `print_tally` names each kind of evidence (`TallyRow.evidence`).
EVIDENCE_WORDS = {
    "image": "QR code",
    "image+print": "QR code confirmed by the print",
    "print": "the print alone",
    "manual": "two reviewers",
    "manual+print": "a reviewer and the print",
    "table": "imported rows",
}


def print_projection(projection: Projection, names: dict[str, str]) -> None:
    """Each candidate's projected share with its interval, then the margin."""
    level = f"{projection.confidence:.0%}"
    table = Table("candidate", "projected share", f"{level} interval", title="projection", title_justify="left")
    for key, share in sorted(projection.shares.items(), key=lambda kv: -kv[1].estimate):
        table.add_row(names.get(key, key), f"{share.estimate:.2%}", f"{share.low:.2%} – {share.high:.2%}")
    out.print(table)
    margin = projection.margin
    out.print(
        f"margin {names.get(projection.leader, projection.leader)} over "
        f"{names.get(projection.runner_up, projection.runner_up)}: {margin.estimate:.2%} "
        f"({margin.low:.2%} – {margin.high:.2%}), from {projection.mesas_covered:,} of "
        f"{projection.mesas_total:,} mesas"
    )


def forensics(
    report: Annotated[Path | None, typer.Option(help="Also write a self-contained HTML report here.")] = None,
    candidate: Annotated[
        str | None, typer.Option(help="Candidate whose share the fingerprint examines [default: the most voted]")
    ] = None,
    contest: ContestOpt = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Statistical tests on the accepted per-mesa results, with the mesas they flag and why."""
    from testigo.forensics import to_json
    from testigo.forensics.html import render_html
    from testigo.pipeline.forensics import run_forensics
    from testigo.store.workspace import open_workspace

    store = open_workspace(workspace)
    results, table = run_forensics(store, candidate, store.profile.contest_or_first(contest))
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
