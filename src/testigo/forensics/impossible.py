"""Test `impossible`: sheets whose numbers cannot all be true.

No statistics: each rule is arithmetic. It is the first thing to look at, since
one impossible sheet proves an error or a forgery where the statistical tests
can only say "unusual".
"""

from __future__ import annotations

import numpy as np

from testigo.domain.table import MesaTable
from testigo.forensics.i18n import coded_flag
from testigo.forensics.result import Flag, TestResult

CAVEAT = (
    "Each flag is a plain arithmetic fact about one sheet. It proves that the numbers are wrong, not who made "
    "them wrong: a misread photo, a typing error in a transcription, or a forged sheet look the same here. "
    "Mesas whose registered voters are unknown cannot be checked against the register."
)


def impossible(table: MesaTable) -> TestResult:
    """Flag negative counts, ballots above registered voters, totals that do not add up, all-zero sheets.

    Scores are the size of the violation in votes (for all-zero sheets, 0).
    """
    total = table.total
    negative_cells = (table.votes < 0).sum(axis=1) + (table.null_votes < 0)
    if table.cards is not None:
        negative_cells = negative_cells + (table.cards < 0).sum(axis=1)
    over = table.has_registered & (total > table.registered)
    declared = table.declared_totals if table.declared_totals is not None else np.full(len(table), -1)
    mismatch = (declared >= 0) & (declared != total)
    zero = (total == 0) & (negative_cells == 0)

    flags: list[Flag] = []
    for i in np.flatnonzero(negative_cells > 0):
        cells = int(negative_cells[i])
        flags.append(coded_flag(str(table.mesa_ids[i]), "negative", float(cells), cells=cells))
    for i in np.flatnonzero(over):
        ballots, registered = int(total[i]), int(table.registered[i])
        flags.append(
            coded_flag(
                str(table.mesa_ids[i]),
                "over_registered",
                float(ballots - registered),
                ballots=ballots,
                registered=registered,
                excess=ballots - registered,
            )
        )
    for i in np.flatnonzero(mismatch):
        flags.append(
            coded_flag(
                str(table.mesa_ids[i]),
                "total_mismatch",
                float(abs(declared[i] - total[i])),
                declared=int(declared[i]),
                total=int(total[i]),
            )
        )
    for i in np.flatnonzero(zero):
        flags.append(coded_flag(str(table.mesa_ids[i]), "all_zero", 0.0))

    counts = {
        "negative": int((negative_cells > 0).sum()),
        "over_registered": int(over.sum()),
        "total_mismatch": int(mismatch.sum()),
        "all_zero": int(zero.sum()),
    }
    mesas = len({f.mesa for f in flags})
    estimate: dict[str, object] = {
        **counts,
        "mesas_flagged": mesas,
        "share_flagged": mesas / len(table) if len(table) else 0.0,
        "mesas_without_registered": int((~table.has_registered).sum()),
    }
    return TestResult("impossible", float(mesas), None, estimate, flags, CAVEAT)
