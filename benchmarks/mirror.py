"""Mirror benchmark: what `testigo mirror` costs for an unchanged bundle and after about 1% of mesas change.

A synthetic bundle is built from real 2024 results: the first `--rows` rows
of the opposition's table (``resultados_2024_csv_v1.csv``, the layout
`testigo import` recognises) are imported as citizen results and published
to folder A, which is mirrored to B. Then, timed:

* unchanged: A mirrored to B again (only files.sha256 is read);
* 1% changed: ``--rows / 100`` more rows imported, A published again, and
  mirrored to B (the new table, the new mesa pages, the area pages and data
  files whose figures moved, the log).

Each line gives the wall time of the mirror (verification included, one
decoding process), files fetched and kept, and bytes transferred against the
bundle's size.

    python benchmarks/mirror.py [--rows 1000] [--table PATH] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import testigo
from testigo.api.mirror import MirrorReport, mirror
from testigo.publish.filelist import bundle_files

TABLE = Path(__file__).resolve().parents[2] / "shared" / "data" / "ve2024" / "resultados_2024_csv_v1.csv"


def excerpt(table: Path, start: int, count: int, out: Path) -> Path:
    """Rows `start` to `start + count` of `table`, with its header."""
    with table.open("rb") as handle:
        header = handle.readline()
        lines = [handle.readline() for _ in range(start + count)][start:]
    out.write_bytes(header + b"".join(lines))
    return out


def size_of(folder: Path) -> int:
    return sum((folder / name).stat().st_size for name in bundle_files(folder))


def line(what: str, report: MirrorReport, bundle: int) -> dict[str, object]:
    row = {"case": what, **report.to_json(), "bundle_bytes": bundle}
    print(
        f"{what:>10}: {report.elapsed_s:6.2f} s, fetched {report.files_fetched:,} files, kept {report.files_kept:,}, "
        f"{report.bytes_transferred:,} of {bundle:,} bytes ({100 * report.bytes_transferred / bundle:.2f}%)",
        file=sys.stderr,
    )
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--table", type=Path, default=TABLE)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        a, b = tmp / "A", tmp / "B"
        with testigo.init(tmp / "ws", "ve2024") as ws:
            testigo.import_table(ws, excerpt(args.table, 0, args.rows, tmp / "first.csv"))
            testigo.publish(ws, a)
            first = mirror(str(a), b, workers=1)
            rows = [line("first copy", first, size_of(a)), line("unchanged", mirror(str(a), b, workers=1), size_of(a))]
            testigo.import_table(ws, excerpt(args.table, args.rows, max(1, args.rows // 100), tmp / "more.csv"))
            testigo.publish(ws, a)
            rows.append(line("1% mesas", mirror(str(a), b, workers=1), size_of(a)))
    if args.json:
        print(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
