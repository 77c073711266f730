"""What checking a batch of Brazil's boletins de urna costs per BU, at growing batch sizes (no images).

Simulated BUs of a general election (`testigo.simulate.boletim`: five
contests, 27 states, signed with the test keys) are written as text files of
`--per-file` BUs' codes each, one code per line, a BU's parts in order (as a
phone's QR reader shares them). Then `testigo.pipeline.boletins.check_boletins`
runs on the folder, as ``testigo bu check`` does: every code read, every
BU's parts gathered (`Collector`), chain and Ed25519 signature checked with
the simulated keys, sums checked, conflicts sought, and the counted BUs
totalled per contest and constituency.

For each size it prints the BUs per second and ms per BU of the check (the
drawing and writing of the files is not timed), and at the end the ratio of
the largest size's cost per BU to the smallest's (target about 1; above 1.5
the cost grows with the batch) and the time 500,000 BUs take at the largest
size's rate: the issue's target is under 15 minutes on two cores.

Run: ``python benchmarks/boletins.py [--sizes 10000,100000] [--per-file 1000] [--seed 1]``
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from testigo.pipeline.boletins import BoletimStatus, check_boletins
from testigo.profiles.bu.keys import KeyName, KeyRing
from testigo.simulate.boletim import UFS, BuElection, draw_boletim, draw_election, public_key_bytes, qr_texts

NATIONAL = 500_000
TARGET_S = 15 * 60
GROWTH_LIMIT = 1.5


def write_batch(election: BuElection, count: int, per_file: int, folder: Path) -> int:
    """`count` BUs' codes in files of `per_file` BUs; the number of codes written."""
    folder.mkdir(parents=True)
    codes = 0
    for start in range(0, count, per_file):
        lines = [text for index in range(start, min(start + per_file, count)) for text in _texts(election, index)]
        (folder / f"{start // per_file:05d}.txt").write_text("\n".join(lines) + "\n", encoding="ascii")
        codes += len(lines)
    return codes


def _texts(election: BuElection, index: int) -> tuple[str, ...]:
    return qr_texts(election, draw_boletim(election, index))


def trusting(election: BuElection, folder: Path) -> KeyRing:
    """A key folder trusting the simulated election's test keys."""
    ring = KeyRing(folder)
    for uf in UFS:
        name = KeyName.parse(election.key_name(uf))
        ring.add(name, public_key_bytes(election.signing_key(uf)))
    return ring


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="BUs per batch, comma-separated")
    parser.add_argument("--per-file", type=int, default=1000, help="BUs per text file")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    election = draw_election(args.seed, max(sizes))
    ms_per_bu: list[float] = []
    with tempfile.TemporaryDirectory() as work:
        keys = trusting(election, Path(work) / "keys")
        print(f"{'BUs':>9} {'codes':>9} {'check s':>9} {'BU/s':>8} {'ms/BU':>7} {'counted':>9}")
        for size in sizes:
            folder = Path(work) / f"batch-{size}"
            codes = write_batch(election, size, args.per_file, folder)
            start = time.perf_counter()
            report = check_boletins([folder], keys)
            seconds = time.perf_counter() - start
            counted = sum(1 for item in report.boletins if item.status is BoletimStatus.COUNTED)
            if counted != size:
                raise SystemExit(f"only {counted} of {size} BUs counted: {report.summary()}")
            ms_per_bu.append(1000 * seconds / size)
            print(f"{size:>9,} {codes:>9,} {seconds:>9.1f} {size / seconds:>8,.0f} {ms_per_bu[-1]:>7.3f} {counted:>9,}")
    growth = ms_per_bu[-1] / ms_per_bu[0]
    national = NATIONAL * ms_per_bu[-1] / 1000
    print(
        f"cost per BU, {sizes[-1]:,} against {sizes[0]:,}: {growth:.2f}x "
        f"({'flat' if growth <= GROWTH_LIMIT else 'GROWS'}; limit {GROWTH_LIMIT}x)"
    )
    print(
        f"{NATIONAL:,} BUs at that rate: {national / 60:.1f} min on one core "
        f"({'within' if national <= TARGET_S else 'over'} the {TARGET_S // 60} min target)"
    )


if __name__ == "__main__":
    main()
