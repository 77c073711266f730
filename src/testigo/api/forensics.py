"""Statistical forensics on the accepted per-mesa results (`testigo.forensics`), with the mesas they flag as tables.

This module loads the forensics package, which reads sheet prints with OpenCV:
it is imported when `testigo.forensics` is first used, never by ``import testigo``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from testigo.api.arrow import Columns
from testigo.api.workspace import WorkspaceLike, using
from testigo.forensics import TestResult, flagged_mesas, to_json
from testigo.pipeline.forensics import run_forensics


@dataclass(frozen=True)
class ForensicsReport:
    """The statistical tests of `forensics`: each `TestResult`, and the mesas they flag.

    `tests` is in the order of ``testigo forensics``; `flagged` has one row
    per mesa at least one test flags, most-flagged first: ``mesa``, ``tests``
    (the ids of the tests that flag it, a list) and ``flags`` (how many).
    """

    tests: list[TestResult]
    flagged: pa.Table = field(repr=False)

    def to_arrow(self) -> pa.Table:
        """One row per test: id, statistic, p_value, q_value (adjusted across the tests), flagged (mesas), caveat."""
        columns = Columns({})
        columns.add("id", pa.string(), [t.id for t in self.tests], nullable=False)
        columns.add("statistic", pa.float64(), [t.statistic for t in self.tests])
        columns.add("p_value", pa.float64(), [t.p_value for t in self.tests])
        columns.add("q_value", pa.float64(), [_float(t.estimate.get("q_value")) for t in self.tests])
        columns.add("flagged", pa.int64(), [len(t.flagged) for t in self.tests], nullable=False)
        columns.add("caveat", pa.string(), [t.caveat for t in self.tests], nullable=False)
        return columns.table()

    def flags(self) -> pa.Table:
        """One row per flag, for the reasons: test, mesa, score (test-specific, see each test), reason."""
        flags = [(t.id, f) for t in self.tests for f in t.flagged]
        columns = Columns({})
        columns.add("test", pa.string(), [test for test, _ in flags], nullable=False)
        columns.add("mesa", pa.string(), [f.mesa for _, f in flags], nullable=False)
        columns.add("score", pa.float64(), [f.score for _, f in flags])
        columns.add("reason", pa.string(), [f.reason for _, f in flags], nullable=False)
        return columns.table()

    def to_json(self) -> dict[str, object]:
        """The document of ``testigo forensics --json``."""
        return to_json(self.tests)


def forensics(
    workspace: WorkspaceLike,
    *,
    candidate: str | None = None,
    report: str | os.PathLike[str] | None = None,
    contest: str | None = None,
) -> ForensicsReport:
    """Every statistical test on the accepted per-mesa results, as ``testigo forensics``.

    `candidate` is the one whose share the fingerprint examines (default:
    the most voted). `contest` is one of `testigo.contests` (default: the
    first, the only one of a one-contest format). `report`, if given, is a file to write the
    self-contained bilingual HTML report to (with figures).

        >>> found = testigo.forensics("./eleccion")
        >>> found.to_arrow().select(["id", "flagged"]).to_pylist()[:3]
        [{'id': 'impossible', 'flagged': 0}, {'id': 'duplicates', 'flagged': 0}, {'id': 'siblings', 'flagged': 7}]
        >>> found.flagged.num_rows
        7
    """
    with using(workspace) as store:
        tests, table = run_forensics(store, candidate, store.profile.contest_or_first(contest))
        names = {area.id: area.name for area in store.registry.areas.values()}
    if report is not None:
        from testigo.forensics.html import render_html  # matplotlib: only for the report

        Path(report).write_text(render_html(tests, table, area_names=names), encoding="utf-8")
    flagged = flagged_mesas(tests)
    columns = Columns({})
    columns.add("mesa", pa.string(), list(flagged), nullable=False)
    columns.add("tests", pa.list_(pa.string()), list(flagged.values()), nullable=False)
    columns.add("flags", pa.int64(), [len(ids) for ids in flagged.values()], nullable=False)
    return ForensicsReport(tests, columns.table())


def _float(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None
