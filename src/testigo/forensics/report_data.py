"""Run every forensic test on one table and shape the results for JSON and reports.

Besides each test's own multiple-testing control (Benjamini–Hochberg over mesas
in `siblings`, Simes within the digit and peak families), the tests of one run
are themselves many: their p-values are adjusted together with
Benjamini–Hochberg and each test carries its ``q_value`` in `estimate`, so a
reader who scans the whole report for "anything significant" is protected too.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

import numpy as np

from testigo.domain.table import MesaTable
from testigo.forensics.digits import benford2, last_digit
from testigo.forensics.duplicates import MAX_HAMMING, MIN_VOTES, duplicates
from testigo.forensics.fingerprint import fingerprint
from testigo.forensics.impossible import impossible
from testigo.forensics.integer_peaks import TOLERANCE, integer_peaks
from testigo.forensics.result import TestResult
from testigo.forensics.siblings import ALPHA, MIN_SHARE, siblings
from testigo.forensics.stats import q_values

TEST_IDS = ("impossible", "duplicates", "siblings", "benford2", "last_digit", "fingerprint", "integer_peaks")
#: Every result `testigo forensics` gives: the tests on the table, then the sheets whose print differs from
#: their code (`testigo.forensics.printed`, from the sheets themselves, not the table).
REPORT_IDS = (*TEST_IDS, "print_mismatch")


def run_all(
    table: MesaTable,
    *,
    candidate: str | None = None,
    alpha: float = ALPHA,
    min_share: float = MIN_SHARE,
    min_votes: int = MIN_VOTES,
    max_hamming: int = MAX_HAMMING,
    tolerance: float = TOLERANCE,
    tests: tuple[str, ...] = TEST_IDS,
    seed: int = 0,
) -> list[TestResult]:
    """Every test in `tests` (in that order), with a q-value across the run's tests.

    `candidate` is the one whose share the fingerprint examines (default: the
    most voted); `alpha` is the false-discovery rate of the sibling flags;
    `min_share` selects the main candidates for siblings, digits and peaks.
    """
    unknown = set(tests) - set(TEST_IDS)
    if unknown:
        raise ValueError(f"unknown test(s) {', '.join(sorted(unknown))}; known: {', '.join(TEST_IDS)}")
    runners = {
        "impossible": lambda: impossible(table),
        "duplicates": lambda: duplicates(table, min_votes=min_votes, max_hamming=max_hamming),
        "siblings": lambda: siblings(table, alpha=alpha, min_share=min_share),
        "benford2": lambda: benford2(table, min_share=min_share),
        "last_digit": lambda: last_digit(table, min_share=min_share),
        "fingerprint": lambda: fingerprint(table, candidate, seed=seed),
        "integer_peaks": lambda: integer_peaks(table, tolerance=tolerance, min_share=min_share),
    }
    results = [runners[test_id]() for test_id in tests]
    p = np.array([np.nan if r.p_value is None else r.p_value for r in results])
    q = q_values(p)
    return [
        replace(r, estimate={**r.estimate, "q_value": None if np.isnan(qv) else float(qv)})
        for r, qv in zip(results, q.tolist(), strict=True)
    ]


def to_json(results: list[TestResult]) -> dict[str, object]:
    """``{"tests": [{"id", "statistic", "p_value", "estimate", "flagged": [...], "caveat"}, ...]}``."""
    return {"tests": [result.to_json() for result in results]}


def flagged_mesas(results: list[TestResult]) -> dict[str, list[str]]:
    """Each flagged mesa with the ids of the tests that flagged it, most-flagged first: the review queue."""
    by_mesa: dict[str, list[str]] = defaultdict(list)
    for result in results:
        for flag in result.flagged:
            if result.id not in by_mesa[flag.mesa]:
                by_mesa[flag.mesa].append(result.id)
    return dict(sorted(by_mesa.items(), key=lambda item: (-len(item[1]), item[0])))
