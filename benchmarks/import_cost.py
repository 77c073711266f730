"""What one record costs to import, reconcile and ingest, with 10,000 and with a million already stored.

Every per-record step of `testigo import` and of ingest must cost the same
whatever the workspace already holds: a query that reads a share of the
stored records makes an import quadratic (the Russian 2011 table, 95,000
stations, did not finish in 11 minutes while each row's center total read
every accepted record; tests/store/test_per_record_cost.py checks the plans).
This measures the time itself. For each size:

* a workspace (ve2024) whose registry is grown by copying the real centers
  (as benchmarks/scale.py does) gets `size` accepted records, bulk-inserted;
  unless ``--no-history``, each also gets what ingest leaves behind,
  a submission, an item and a log entry, so the tables those steps read are
  as large as the records;
* it is opened again as a command opens it (timed: `open`);
* import: tables of `--rows` real mesas of the 2024 citizen table, none
  stored yet, go through `import_table` (every row validated, reconciled and
  logged; one transaction per table): ms per row;
* reconcile: `settle_record` of `--reconciles` more mesas, one transaction
  each: ms per record;
* ingest: `--files` files, each registered and settled as ingest does after
  decoding (`register_incoming`, `settle_decoded` with a reading of one code,
  two transactions each, the decoding itself left out): ms per file.

Each step runs `--repeats` batches on fresh mesas after an untimed warm-up,
and the best batch counts. Besides the wall time, the time spent inside the
database driver is reported (``sql``): the wall time also holds each
commit's fsync and the blob written to disk, which do not grow with the
store but make the wall time noisy on a shared machine.

It prints ms per record at each size and the ratio of the largest size to
the smallest (target about 1; above 1.5 means a per-record step grows with
the store).

Run: ``python benchmarks/import_cost.py [--sizes 10000,1000000] [--rows 2000] [--repeats 3] [--database URL]
[--no-history]``
(``--database`` must name an empty PostgreSQL database, emptied again for each size).
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np
from sqlalchemy import Engine, event, insert, select
from sqlalchemy.orm import Session
from synthetic import REAL_TABLE, fresh_database, synthetic_registry

from testigo.capture import Incoming
from testigo.ledger.entries import CLI_CHANNEL
from testigo.pipeline.decode import Decoded
from testigo.pipeline.importer import import_table
from testigo.pipeline.ingest import register_incoming, settle_decoded
from testigo.pipeline.reconcile import settle_record
from testigo.read import FileReading
from testigo.read.decode import PageReading
from testigo.store import ledger as log_table
from testigo.store.bulk import BATCH, add_accepted_records
from testigo.store.schema import ItemRow, RecordRow, SubmissionRow
from testigo.store.submissions import now
from testigo.store.workspace import Store, add_to_registry, init_workspace, open_workspace

T = TypeVar("T")
PROFILE = "ve2024"
#: Rows imported, records settled and files ingested before each timed step, untimed.
WARM_UP = 20
#: The most the cost per record may grow from the smallest size to the largest.
GROWTH_LIMIT = 1.5


def timed(action: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = action()
    return result, time.perf_counter() - start


def build(root: Path, database: str, size: int, history: bool, seed: int) -> float:
    """A workspace holding `size` accepted records on copied mesas (the real ones stay empty); seconds taken."""
    start = time.perf_counter()
    store = init_workspace(str(root), PROFILE, database)
    areas, extra = synthetic_registry(store.registry, len(store.registry.mesas) + size)
    rng = np.random.default_rng(seed)
    cards = rng.integers(0, 8, size=(len(extra), len(store.profile.election.cards)))
    nulls = rng.integers(0, 5, size=len(extra))
    with store.sessions.begin() as session:
        add_to_registry(session, areas, extra)
        add_accepted_records(session, store.profile, [m.id for m in extra], cards, nulls)
        if history:
            _add_history(session)
    store.close()
    return time.perf_counter() - start


def _add_history(session: Session) -> None:
    """One done submission, item and log entry per stored record, as if each had come in as a file."""
    created = now()
    stored = list(session.execute(select(RecordRow.id, RecordRow.mesa_id).order_by(RecordRow.id)).tuples())
    for start in range(0, len(stored), BATCH):
        chunk = stored[start : start + BATCH]
        arrivals = [
            {
                "blob_sha256": None,
                "origin": f"file:/prefill/{record_id}.jpg",
                "display_path": f"{record_id}.jpg",
                "channel": CLI_CHANNEL,
                "submitted_by": None,
                "submitted_at": created,
                "state": "done",
            }
            for record_id, _ in chunk
        ]
        added = session.execute(
            insert(SubmissionRow).returning(SubmissionRow.id, sort_by_parameter_order=True), arrivals
        ).scalars()
        items = [
            {
                "submission_id": submission_id,
                "page": 0,
                "part": 0,
                "status": "accepted",
                "reason": None,
                "payload": None,
                "strategy": None,
                "mesa_id": mesa_id,
                "record_id": record_id,
                "created_at": created,
                "sheet_print": None,
            }
            for submission_id, (record_id, mesa_id) in zip(added, chunk, strict=True)
        ]
        item_ids = session.execute(insert(ItemRow).returning(ItemRow.id, sort_by_parameter_order=True), items).scalars()
        entries = [
            ("item", f'{{"record":{record_id}}}'.encode(), item_id)
            for item_id, (record_id, _) in zip(item_ids, chunk, strict=True)
        ]
        log_table.append(session, entries)


def _real_rows(count: int, skip: int = 0) -> tuple[str, list[str]]:
    """The header and `count` data lines of the real 2024 citizen table, after the first `skip`."""
    lines = REAL_TABLE.read_text(encoding="utf-8-sig").splitlines()
    return lines[0], lines[1 + skip : 1 + skip + count]


class StatementClock:
    """Seconds spent inside the database driver's execute calls (what a growing table would slow down).

    The wall time of a step also holds its commits, each an fsync on SQLite
    (synchronous=FULL), and the blob written to disk: constant in the records
    stored but noisy on a shared machine. The statements' own time is the
    part a scan would make grow, so both are reported.
    """

    def __init__(self, engine: Engine) -> None:
        self.seconds = 0.0
        self._started: dict[int, float] = {}
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, _conn: object, cursor: object, *_: object) -> None:
        self._started[id(cursor)] = time.perf_counter()

    def _after(self, _conn: object, cursor: object, *_: object) -> None:
        self.seconds += time.perf_counter() - self._started.pop(id(cursor), time.perf_counter())

    def lap(self) -> float:
        seconds, self.seconds = self.seconds, 0.0
        return seconds


def measure(root: Path, database: str, size: int, args: argparse.Namespace) -> dict[str, float]:
    """Build, open, then time each step in `args.repeats` batches on fresh mesas; the best batch counts.

    The best of a few batches, not their mean: on a shared machine a batch is
    only ever slowed down by others, never sped up.
    """
    figures = {"build s": build(root, database, size, args.history, args.seed)}
    store, figures["open s"] = timed(lambda: open_workspace(str(root)))
    clock = StatementClock(store.engine)
    header, lines = _real_rows(WARM_UP + args.repeats * args.rows)
    fresh = iter(_fresh_mesas(store, lines))
    steps: list[tuple[str, int, Callable[[list[str]], object]]] = [
        ("import", args.rows, lambda rows: _import(store, root, header, rows)),
        ("reconcile", args.reconciles, lambda mesas: _reconcile(store, mesas)),
        ("ingest", args.files, lambda mesas: _ingest(store, mesas)),
    ]
    for name, count, step in steps:
        source = iter(lines) if name == "import" else fresh
        step([next(source) for _ in range(WARM_UP)])  # imports, caches, first statements compiled: untimed
        walls, sqls = [], []
        for _ in range(args.repeats):
            batch = [next(source) for _ in range(count)]
            clock.lap()
            _, seconds = timed(lambda: step(batch))  # noqa: B023 - called at once
            walls.append(seconds / count)
            sqls.append(clock.lap() / count)
        unit = {"import": "row", "reconcile": "record", "ingest": "file"}[name]
        figures[f"{name} ms/{unit}"] = 1e3 * min(walls)
        figures[f"{name} sql ms/{unit}"] = 1e3 * min(sqls)
    store.close()
    return figures


def _fresh_mesas(store: Store, table_lines: list[str]) -> list[str]:
    """Real mesas with no record yet and not in the imported rows, in registry order."""
    with store.sessions() as session:
        stored = set(session.execute(select(RecordRow.mesa_id)).scalars())
    imported = {(int(line.split(",")[6]), int(line.split(",")[7])) for line in table_lines}
    return [
        m.id
        for m in sorted(store.registry.mesas.values(), key=lambda m: m.id)
        if "-" not in m.id and m.id not in stored and (int(m.center_id), m.number) not in imported
    ]


def _import(store: Store, root: Path, header: str, rows: list[str]) -> None:
    """`testigo import` of a table of these rows (one transaction, every row reconciled and logged)."""
    table = root / f"table-{rows[0].split(',')[6]}-{rows[0].split(',')[7]}.csv"
    table.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    summary = import_table(store, table, "citizen").to_json()["summary"]
    assert summary["accepted"] + summary["invalid"] == len(rows), summary


def _reconcile(store: Store, mesas: list[str]) -> None:
    """`settle_record` of one record per mesa, each in its own transaction."""
    profile, registry = store.profile, store.registry
    for mesa in mesas:
        record = profile.record_from_counts(mesa, [1] * len(profile.election.cards), 1)
        with store.sessions.begin() as session:
            outcome = settle_record(session, profile, registry, record, source="import")
        assert outcome.status == "accepted", outcome


def _ingest(store: Store, mesas: list[str]) -> None:
    """Ingest's register and settle steps for one file per mesa (decoding left out), two transactions each."""
    profile = store.profile
    with store.sessions() as session:
        for mesa in mesas:
            payload = profile.encode(profile.acta_id_for(mesa), [2] * len(profile.election.cards), 1)
            data = b"benchmark sheet " + payload.encode()
            incoming = Incoming(
                origin=f"file:/bench/{hashlib.sha256(data).hexdigest()}.jpg", display="x.jpg", data=data
            )
            sid, _ = register_incoming(store, session, incoming, CLI_CHANNEL, None)
            session.commit()
            row = session.get(SubmissionRow, sid)
            assert row is not None and row.blob_sha256 is not None
            reading = FileReading("image/jpeg", (PageReading(0, (payload,)),))
            settle_decoded(store, session, row, Decoded(row.blob_sha256, reading))
            session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,1000000", help="records stored before measuring, comma-separated")
    parser.add_argument("--rows", type=int, default=2000, help="rows of the imported table")
    parser.add_argument("--reconciles", type=int, default=300, help="records settled one by one")
    parser.add_argument("--files", type=int, default=200, help="files registered and settled one by one")
    parser.add_argument("--repeats", type=int, default=3, help="batches of each step; the best one counts")
    parser.add_argument("--database", default="", help="an empty PostgreSQL database URL (default: SQLite)")
    parser.add_argument("--no-history", dest="history", action="store_false", help="records only: no items or log")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--work", default="", help="folder for the workspaces (default: a temporary one)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    work = Path(args.work or tempfile.mkdtemp(prefix="testigo-import-cost-"))
    results: dict[int, dict[str, float]] = {}
    engine = "PostgreSQL" if args.database else "SQLite"
    for size in sizes:
        if args.database:
            fresh_database(args.database)
        root = work / f"ws-{size}"
        shutil.rmtree(root, ignore_errors=True)
        results[size] = measure(root, args.database, size, args)
        shutil.rmtree(root, ignore_errors=True)
        print(f"{engine}, {size:,} records stored: " + ", ".join(f"{k} {v:.3f}" for k, v in results[size].items()))
    keys = [k for k in results[sizes[0]] if "ms/" in k]
    print(f"\n{engine}, ms per record ({'with' if args.history else 'without'} items and log at each size)")
    print(f"{'stored':>10} " + " ".join(f"{k.replace(' ms/', '/'):>15}" for k in keys))
    for size in sizes:
        print(f"{size:>10,} " + " ".join(f"{results[size][k]:>15.3f}" for k in keys))
    if len(sizes) > 1:
        small, large = results[sizes[0]], results[sizes[-1]]
        ratios = [large[k] / small[k] for k in keys]
        print(f"{'ratio':>10} " + " ".join(f"{r:>15.2f}" for r in ratios))
        verdict = "(met)" if max(ratios) <= GROWTH_LIMIT else "(NOT met)"
        print(f"target: every ratio <= {GROWTH_LIMIT} {verdict}")


if __name__ == "__main__":
    main()
