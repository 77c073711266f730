"""Forensics over a workspace: the statistical tests on its accepted actas, and its sheets whose print differs.

What ``testigo forensics`` and `testigo.forensics` run. Kept apart from
`testigo.pipeline.analysis` because the tests import the reader's sheet
prints, which a projection does not need.
"""

from __future__ import annotations

from testigo.domain.table import MesaTable
from testigo.errors import UserError
from testigo.forensics import run_all
from testigo.forensics.printed import printed_mismatches
from testigo.forensics.result import TestResult
from testigo.pipeline.analysis import accepted_table
from testigo.store import submissions as subs
from testigo.store.workspace import Store


def print_mismatches(store: Store) -> TestResult:
    """The sheets whose printed figures differ from their QR code, each with the figures that differ."""
    profile = store.profile
    layouts = {layout.name: layout for layout in profile.layouts()}
    sheets = []
    with store.reads() as session:
        found = subs.mismatched(session)
    for acta_id, payload, printed in found:
        coded = profile.printed_figures(profile.parse(payload), layouts[printed.layout])
        differing = [(name, printed.figures.get(name, ""), str(coded[name])) for name in printed.differing]
        sheets.append((acta_id, differing))
    return printed_mismatches(sheets)


def run_forensics(store: Store, candidate: str | None = None, contest: str = "") -> tuple[list[TestResult], MesaTable]:
    """Every statistical test on the accepted actas of `contest`, then the sheets whose print differs from
    their code.

    Returns the results and the table they ran on (the HTML report draws it).
    `candidate` is the one whose share the fingerprint examines (default: the most voted).
    """
    keys = store.profile.election_of(contest).candidate_keys()
    if candidate is not None and candidate not in keys:
        raise UserError(f"unknown candidate {candidate!r}; one of {', '.join(keys)}")
    table = accepted_table(store, contest)
    if len(table) == 0:
        raise UserError("no accepted actas yet: ingest or import some first")
    return [*run_all(table, candidate=candidate), print_mismatches(store)], table
