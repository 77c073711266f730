"""What the mesa-level forensic tests catch on the real 2024 data with planted manipulation.

For each manipulation type and size, `inject` plants it in 2% of the 24,560
mesas (copies in 1%), in favour of the runner-up against the leader; then
`impossible`, `duplicates` and `siblings` run on the whole table and we count:

* recall: planted mesas flagged by any of the three, overall and split by
  whether the mesa has a sibling in its center (the sibling test compares with
  the parish otherwise, where honest differences are as large as the planted ones);
* false-positive rate: clean mesas flagged. The originals of copied sheets are
  left out of it: the duplicate test rightly flags them and cannot tell
  original from copy.

Baseline in the same run: a naive non-robust z-score, |x - national mean| >
3 national SD on turnout or a main candidate's share.

Then the aggregate tests (digits, peaks, fingerprint) on the clean data and on
heavier manipulation, to show what they say about the whole election.

Run: ``python benchmarks/forensics.py [--seed 1]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from testigo.domain.table import MesaTable
from testigo.forensics.report_data import flagged_mesas, run_all
from testigo.forensics.siblings import MIN_SHARE
from testigo.profiles.ve2024_data import load_registry, load_results
from testigo.simulate.inject import inject

SCENARIOS = (
    "stuffing:0.02:0.05",
    "stuffing:0.02:0.10",
    "stuffing:0.02:0.15",
    "stuffing:0.02:0.25",
    "switch:0.02:0.10",
    "switch:0.02:0.20",
    "switch:0.02:0.30",
    "copy:0.01",
)
MESA_TESTS = ("impossible", "duplicates", "siblings")
AGGREGATE = ("clean", "stuffing:0.10:0.15", "switch:0.10:0.20", "stuffing:0.05:0.90")


def naive_flags(table: MesaTable) -> np.ndarray:
    """|z| > 3 against the national mean and SD, on turnout or any main candidate's share."""
    features = [table.turnout] + [table.share(c) for c in table.main_candidates(MIN_SHARE)]
    flagged = np.zeros(len(table), dtype=bool)
    for x in features:
        flagged |= np.abs(x - np.nanmean(x)) > 3 * np.nanstd(x)
    return flagged


def evaluate(table: MesaTable, spec: str, seed: int, has_sibling: np.ndarray) -> dict[str, float]:
    manipulated, injected = inject(table, spec, seed)
    planted = np.isin(table.mesa_ids, [mesa for mesa, _ in injected])
    flagged = np.isin(table.mesa_ids, list(flagged_mesas(run_all(manipulated, tests=MESA_TESTS))))
    naive = naive_flags(manipulated)
    # originals of copied sheets: clean mesas whose votes equal a copy's
    copies = np.isin(table.mesa_ids, [mesa for mesa, kind in injected if kind == "copy"])
    copied_vectors = {tuple(v) for v in manipulated.votes[copies].tolist()}
    sources = ~planted & np.array([tuple(v) in copied_vectors for v in manipulated.votes.tolist()])
    clean = ~planted & ~sources
    return {
        "planted": int(planted.sum()),
        "recall": flagged[planted].mean(),
        "recall_siblings": flagged[planted & has_sibling].mean(),
        "recall_alone": flagged[planted & ~has_sibling].mean(),
        "fpr": flagged[clean].mean(),
        "naive_recall": naive[planted].mean(),
        "naive_fpr": naive[clean].mean(),
        "sources": int(sources.sum()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    table = MesaTable.from_results(load_results(), load_registry())
    centers = np.unique(table.center_ids, return_inverse=True)[1]
    has_sibling = np.bincount(centers)[centers] > 1
    print(f"{len(table):,} mesas of the 2024 results; {has_sibling.mean():.1%} have a sibling in their center\n")

    start = time.perf_counter()
    clean_flags = np.isin(table.mesa_ids, list(flagged_mesas(run_all(table, tests=MESA_TESTS))))
    print(
        f"clean data: {clean_flags.mean():.2%} of mesas flagged by the tests, "
        f"{naive_flags(table).mean():.2%} by the naive baseline ({time.perf_counter() - start:.1f} s)\n"
    )

    header = (
        f"{'manipulation':<20} {'planted':>7} {'recall':>7} {'w/ sib':>7} {'alone':>7} {'FPR':>7}"
        f" | {'naive rec':>9} {'naive FPR':>9}"
    )
    print(header)
    print("-" * len(header))
    for spec in SCENARIOS:
        r = evaluate(table, spec, args.seed, has_sibling)
        note = f"  ({r['sources']} originals of copies not counted as clean)" if r["sources"] else ""
        print(
            f"{spec:<20} {r['planted']:>7} {r['recall']:>7.1%} {r['recall_siblings']:>7.1%} "
            f"{r['recall_alone']:>7.1%} {r['fpr']:>7.2%} | {r['naive_recall']:>9.1%} {r['naive_fpr']:>9.2%}{note}"
        )

    print("\naggregate tests (p-values; fingerprint: fitted f_i, f_e for the beneficiary, maduro)")
    print(f"{'data':<20} {'benford2 p':>11} {'last_digit p':>12} {'peaks z':>8} {'f_i':>5} {'f_e':>5}")
    for spec in AGGREGATE:
        data = table if spec == "clean" else inject(table, spec, args.seed)[0]
        results = {
            r.id: r
            for r in run_all(data, candidate="maduro", tests=("benford2", "last_digit", "integer_peaks", "fingerprint"))
        }
        fit = results["fingerprint"].estimate
        print(
            f"{spec:<20} {results['benford2'].p_value:>11.2g} {results['last_digit'].p_value:>12.2g} "
            f"{results['integer_peaks'].statistic:>8.2f} {fit['incremental_fraction']:>5.2f} "
            f"{fit['extreme_fraction']:>5.2f}"
        )


if __name__ == "__main__":
    main()
