"""What counting Brazil's boletins de urna into a workspace costs per BU, at growing sizes (no images).

Simulated BUs of a general election (`testigo.simulate.boletim`: five
contests, 27 states, signed with the test keys) are written as text files of
`--per-file` BUs' codes each, as `benchmarks/boletins.py` writes them, and
ingested into a fresh SQLite workspace of profile ``br`` trusting the test
keys, as ``testigo ingest`` does: every file stored and logged, every BU's
parts gathered, judged (chain, Ed25519 signature, sums), its section added to
the registry, its contests' ballots extended and one record per contest
reconciled (`testigo.pipeline.bu_ingest`). Then the President's national
tally and one state contest's are timed as ``testigo tally --contest`` runs
them.

For each size it prints BUs per second and ms per BU of the ingest (drawing
and writing the files is not timed), records stored, and the tallies'
seconds; at the end the ratio of the largest size's ms per BU to the
smallest's (about 1: the cost per BU does not grow with the workspace; above
1.5 it does) and the time 500,000 BUs would take at the largest size's rate,
against the issue's 15 minutes on two cores.

Run: ``python benchmarks/bu_ingest.py [--sizes 500,2000] [--per-file 100] [--workers 2] [--seed 1]``
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from boletins import GROWTH_LIMIT, NATIONAL, TARGET_S, trusting, write_batch

from testigo.pipeline.ingest import ingest
from testigo.simulate.boletim import BuElection, draw_election
from testigo.store.workspace import init_workspace
from testigo.tally.aggregate import tally


@dataclass(frozen=True)
class Counted:
    """One run: the BUs ingested, the records they gave, the ingest's seconds and two contests' tallies'."""

    boletins: int
    records: int
    seconds: float
    tally_national: float
    tally_state: float

    @property
    def ms_per_bu(self) -> float:
        return self.seconds * 1000 / self.boletins


def run(election: BuElection, size: int, per_file: int, workers: int, work: Path) -> Counted:
    """Write `size` BUs as text files of `per_file`, ingest them into a fresh br workspace (timed), then time
    the President's national tally and one state contest's."""
    folder = work / f"batch-{size}"
    write_batch(election, size, per_file, folder)
    store = init_workspace(str(work / f"ws-{size}"), "br")
    trusting(election, store.workspace.trusted_keys_dir)
    start = time.perf_counter()
    report = ingest(store, [folder], workers=workers)
    seconds = time.perf_counter() - start
    statuses = report.summary()
    if statuses["accepted"] != len(report.files) or not statuses["accepted"]:
        raise SystemExit(f"not every contest was accepted: {statuses}")
    store.forget_cached()
    contests = list(store.profile.contests())
    state = next(key for key in contests if not key.endswith(":BR"))
    timed = []
    for contest in (contests[0], state):
        begun = time.perf_counter()
        tally(store, "country", contest)
        timed.append(time.perf_counter() - begun)
    store.close()
    return Counted(size, statuses["accepted"], seconds, timed[0], timed[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="500,2000", help="BUs per run, comma-separated")
    parser.add_argument("--per-file", type=int, default=100, help="BUs per text file (one transaction each)")
    parser.add_argument("--workers", type=int, default=2, help="processes reading the files")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    election = draw_election(args.seed, max(sizes))
    ms_per_bu: list[float] = []
    print(f"{'BUs':>7} {'records':>8} {'ingest s':>9} {'BU/s':>7} {'ms/BU':>7} {'tally BR s':>10} {'tally UF s':>10}")
    with tempfile.TemporaryDirectory() as work:
        for size in sizes:
            counted = run(election, size, args.per_file, args.workers, Path(work))
            ms_per_bu.append(counted.ms_per_bu)
            print(
                f"{size:>7,} {counted.records:>8,} {counted.seconds:>9.1f} {size / counted.seconds:>7.0f} "
                f"{counted.ms_per_bu:>7.2f} {counted.tally_national:>10.2f} {counted.tally_state:>10.2f}"
            )
    growth = ms_per_bu[-1] / ms_per_bu[0]
    national = NATIONAL * ms_per_bu[-1] / 1000
    verdict = "flat" if growth <= GROWTH_LIMIT else "GROWS"
    print(f"cost per BU, {sizes[-1]:,} vs {sizes[0]:,}: {growth:.2f}x ({verdict}; limit {GROWTH_LIMIT}x)")
    print(
        f"{NATIONAL:,} BUs at the largest size's rate: {national / 60:.1f} min "
        f"({'within' if national <= TARGET_S else 'above'} the {TARGET_S // 60}-minute target)"
    )


if __name__ == "__main__":
    main()
