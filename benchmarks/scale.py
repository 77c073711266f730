"""How tally, forensics and decoding cost grow with mesas and workers.

Registries of 30k, 300k and 1M mesas are made by copying the real 2024
registry's centers (each copy under the same parish, so the geography keeps its
shape), and every mesa gets one accepted record whose card counts are a real
mesa's, thinned at random (so sibling and duplicate tests see realistic, not
identical, vectors). Records are bulk-inserted (`testigo.store.bulk`): no
images, no log, so publish is not timed. Then, on a fresh `Store` (as a CLI
command would open it):

* open: loading the registry from the database;
* tally: country, state and mesa level (target: 1M mesas < 10 s);
* forensics: the accepted records as a `MesaTable` plus every test of
  `run_all` (target: 1M < 60 s).

Publication: a bundle holds a page, log entries and proofs per mesa, so its
cost is linear in the mesas by construction; it is measured on the real 2024
citizen table (24,532 mesas) imported as a user imports it (`testigo import`,
every row reconciled and logged) and then published, and reported per mesa
with the extrapolation to each registry size (time and bytes).

Decoding throughput: simulated scans ingested with 1, 2 and 4 local worker
processes, and through a local Dask cluster with as many worker processes.

Cost per record as the store grows (`--records`, 10k, 100k and 1M stored):
records per second of `testigo import` (rows validated, reconciled, logged),
of settling one record, and of ingest-settling one file after its decoding,
each measured by `benchmarks/import_cost.py`; the ratio of the largest size's
cost to the smallest's must stay within 1.5.

Brazil's boletins at national scale (`--boletins`, 500,000): simulated BU
payloads (text files of codes, no images) ingested into a br workspace by
`benchmarks/bu_ingest.py`: BUs per second and the minutes for all, against
15, then the President's national tally and one state contest's over the
workspace it built, against 10 seconds.

Run: ``python benchmarks/scale.py [--mesas 30000,300000,1000000] [--actas 48] [--database URL] [--table CSV]
[--records 10000,100000,1000000] [--boletins 500000]``
(``--database`` must name an empty PostgreSQL database, reused for each size; an empty list or 0 skips a
section).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import import_cost
import numpy as np
from boletins import TARGET_S
from bu_ingest import run as count_boletins
from synthetic import REAL_TABLE, fresh_database, synthetic_registry

from testigo.forensics.report_data import run_all
from testigo.pipeline.analysis import accepted_table
from testigo.pipeline.executors import DaskExecutor, Executor, LocalExecutor
from testigo.pipeline.ingest import ingest
from testigo.profiles import get_profile
from testigo.profiles.ve2024_data import load_results
from testigo.simulate import simulate
from testigo.simulate.boletim import draw_election
from testigo.simulate.election import split_votes
from testigo.store.bulk import add_accepted_records
from testigo.store.workspace import Store, add_to_registry, init_workspace, open_workspace
from testigo.tally import tally

T = TypeVar("T")
PROFILE = "ve2024"


def timed(action: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = action()
    return result, time.perf_counter() - start


def template_cards(seed: int) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """Per-card counts and null votes of every real mesa with a published result."""
    profile = get_profile(PROFILE)
    rng = np.random.default_rng(seed)
    cards, nulls = {}, {}
    for row in load_results():
        votes = {c.key: int(row[c.key]) for c in profile.election.candidates}
        cards[str(row["mesa_id"])] = np.array(split_votes(profile, votes, rng), dtype=np.int64)
        nulls[str(row["mesa_id"])] = int(row["null"])
    return cards, nulls


def build(
    root: Path, database: str, mesas: int, templates: tuple[dict[str, np.ndarray], dict[str, int]], seed: int
) -> float:
    """A workspace with `mesas` registry mesas, each with an accepted record; returns seconds taken."""
    start = time.perf_counter()
    store = init_workspace(str(root), PROFILE, database)
    areas, extra = synthetic_registry(store.registry, mesas)
    cards_of, nulls_of = templates
    every = [*store.registry.mesas.values(), *extra]
    # a copied mesa takes the template of the real mesa it copies; real mesas without a result take any one
    fallback = list(cards_of)
    source = [_original(m.id) for m in every]
    picked = [s if s in cards_of else fallback[i % len(fallback)] for i, s in enumerate(source)]
    rng = np.random.default_rng(seed)
    keep = rng.uniform(0.85, 1.0, size=(len(every), 1))
    cards = rng.binomial(np.stack([cards_of[p] for p in picked]), keep)
    nulls = rng.binomial(np.array([nulls_of[p] for p in picked]), keep[:, 0])
    with store.sessions.begin() as session:
        add_to_registry(session, areas, extra)
        add_accepted_records(session, store.profile, [m.id for m in every], cards, nulls)
    store.close()
    return time.perf_counter() - start


def _original(mesa_id: str) -> str:
    """The real mesa a copy was made from (``<center>-<copy>.<nn>`` → ``<center>.<nn>``)."""
    center, number = mesa_id.rsplit(".", 1)
    return f"{center.split('-')[0]}.{number}"


def measure_registry(
    root: Path, mesas: int, templates: tuple[dict[str, np.ndarray], dict[str, int]], database: str, seed: int
) -> dict[str, float]:
    figures = {"build": build(root, database, mesas, templates, seed)}
    store, figures["open"] = timed(lambda: _opened(root))
    for level in ("country", "state", "mesa"):
        _, figures[f"tally {level}"] = timed(lambda: tally(store, level))  # noqa: B023 - called at once
    table, figures["forensics table"] = timed(lambda: accepted_table(store))
    _, figures["forensics tests"] = timed(lambda: run_all(table))
    store.close()
    return figures


def _opened(root: Path) -> Store:
    store = open_workspace(str(root))
    _ = store.registry  # what every command pays first
    return store


def publish_cost(table: Path, work: Path, database: str) -> dict[str, float]:
    """Import `table` as citizen results and publish the workspace; seconds and bytes, in all and per mesa."""
    from testigo.pipeline.importer import import_table
    from testigo.publish.publisher import publish

    store = init_workspace(str(work / "publish-ws"), PROFILE, database)
    report, import_seconds = timed(lambda: import_table(store, table, "citizen"))
    _, publish_seconds = timed(lambda: publish(store, work / "bundle"))
    store.close()
    mesas = report.to_json()["summary"]["accepted"]
    size = sum(f.stat().st_size for f in (work / "bundle").rglob("*") if f.is_file())
    return {
        "mesas": mesas,
        "import s": import_seconds,
        "publish s": publish_seconds,
        "bundle bytes": size,
        "import ms/mesa": 1e3 * import_seconds / mesas,
        "publish ms/mesa": 1e3 * publish_seconds / mesas,
        "bundle KB/mesa": size / mesas / 1e3,
    }


def decode_throughput(actas: int, workers: tuple[int, ...], work: Path) -> dict[str, float]:
    """Actas per second through ingest (store + decode + settle), per executor."""
    simulate(work / "sim", actas, seed=5, quality="scan")
    rates: dict[str, float] = {}
    runs: list[tuple[str, Callable[[], Executor]]] = [(f"local {w}", lambda w=w: LocalExecutor(w)) for w in workers]
    for name, make in runs:
        rates[name] = _rate(work / name.replace(" ", "-"), work / "sim" / "actas", make(), actas)
    from distributed import LocalCluster

    for w in workers:
        with LocalCluster(n_workers=w, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
            rates[f"dask {w}"] = _rate(
                work / f"dask-{w}", work / "sim" / "actas", DaskExecutor(cluster.scheduler_address), actas
            )
    return rates


def _rate(root: Path, actas_dir: Path, executor: Executor, actas: int) -> float:
    store = init_workspace(str(root), PROFILE)
    report, seconds = timed(lambda: ingest(store, [actas_dir], executor=executor))
    assert report.summary()["accepted"] == actas, report.summary()
    store.close()
    return actas / seconds


#: A tally of one contest over the national BUs must take under this many seconds.
TALLY_TARGET_S = 10.0


def record_rates(sizes: list[int], work: Path, database: str, seed: int) -> None:
    """Records per second of import, settling and ingest-settling at each store size, and the growth."""
    steps = {
        "import ms/row": "import rows/s",
        "reconcile ms/record": "settle records/s",
        "ingest ms/file": "ingest files/s",
    }
    options = argparse.Namespace(rows=2000, reconciles=300, files=200, repeats=3, history=True, seed=seed)
    costs: dict[int, dict[str, float]] = {}
    for size in sizes:
        if database:
            fresh_database(database)
        costs[size] = import_cost.measure(work / f"records-{size}", database, size, options)
        rates = ", ".join(f"{steps[k]} {1000 / costs[size][k]:,.0f}" for k in steps)
        print(f"{size:>9,} records stored: {rates}", flush=True)
    if len(sizes) > 1:
        first, last = costs[sizes[0]], costs[sizes[-1]]
        growth = {k: last[k] / first[k] for k in steps}
        verdict = "met" if max(growth.values()) <= import_cost.GROWTH_LIMIT else "NOT met"
        print(
            f"  cost per record, {sizes[-1]:,} vs {sizes[0]:,}: "
            + ", ".join(f"{k.split()[0]} x{v:.2f}" for k, v in growth.items())
            + f" (target <= {import_cost.GROWTH_LIMIT}: {verdict})"
        )


def boletin_rates(boletins: int, work: Path, seed: int) -> None:
    """BUs per second of a national count, and the tallies of the workspace it built."""
    counted = count_boletins(draw_election(seed, boletins), boletins, 100, 2, work)
    minutes = counted.seconds / 60
    print(
        f"{boletins:,} BUs ({counted.records:,} records): {boletins / counted.seconds:.0f} BUs/s, "
        f"{counted.ms_per_bu:.2f} ms/BU, {minutes:.1f} min "
        f"({'within' if counted.seconds <= TARGET_S else 'above'} the {TARGET_S // 60}-minute target)"
    )
    slowest = max(counted.tally_national, counted.tally_state)
    print(
        f"  tally of one contest: President national {counted.tally_national:.1f}s, one state's "
        f"{counted.tally_state:.1f}s ({'within' if slowest <= TALLY_TARGET_S else 'above'} the "
        f"{TALLY_TARGET_S:.0f}-second target)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mesas", default="30000,300000,1000000", help="comma-separated registry sizes")
    parser.add_argument("--actas", type=int, default=96, help="simulated scans for the decoding throughput (0: skip)")
    parser.add_argument("--workers", default="1,2,4", help="worker counts for decoding")
    parser.add_argument("--database", default="", help="SQLAlchemy URL of an empty database [default: SQLite]")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--table", default=str(REAL_TABLE), help="citizen table imported and published ('' to skip)")
    parser.add_argument("--records", default="10000,100000,1000000", help="records stored, for the per-record cost")
    parser.add_argument("--boletins", type=int, default=500_000, help="simulated BUs counted (0: skip)")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; database: {args.database or 'SQLite'}")
    with tempfile.TemporaryDirectory(prefix="testigo-scale-") as tmp:
        work = Path(tmp)
        sizes = [int(n) for n in args.mesas.split(",") if n]
        if sizes:
            templates = template_cards(args.seed)
        rows: dict[int, dict[str, float]] = {}
        for n in sizes:
            if args.database:
                fresh_database(args.database)
            rows[n] = measure_registry(work / f"ws-{n}", n, templates, args.database, args.seed)
            print(f"{n:>9,} mesas: " + ", ".join(f"{k} {v:.2f}s" for k, v in rows[n].items()), flush=True)
        if len(sizes) > 1:
            first, last = sizes[0], sizes[-1]
            print(f"growth from {first:,} to {last:,} mesas (x{last / first:.0f}):")
            for key in rows[first]:
                print(f"  {key:<16} x{rows[last][key] / rows[first][key]:.1f}")
        if args.table:
            if args.database:
                fresh_database(args.database)
            cost = publish_cost(Path(args.table), work, args.database)
            print(
                f"import + publish of {cost['mesas']:,} real mesas: import {cost['import s']:.1f}s "
                f"({cost['import ms/mesa']:.2f} ms/mesa), publish {cost['publish s']:.1f}s "
                f"({cost['publish ms/mesa']:.2f} ms/mesa), bundle {cost['bundle bytes'] / 1e6:.0f} MB "
                f"({cost['bundle KB/mesa']:.1f} KB/mesa)"
            )
            for n in sizes:
                imported, published = n * cost["import ms/mesa"] / 1e3, n * cost["publish ms/mesa"] / 1e3
                print(
                    f"  linear extrapolation to {n:>9,} mesas: import {imported:7.0f}s, "
                    f"publish {published:7.0f}s, bundle {n * cost['bundle KB/mesa'] / 1e6:6.1f} GB"
                )
        if args.actas:
            workers = tuple(int(w) for w in args.workers.split(","))
            rates = decode_throughput(args.actas, workers, work)
            base = rates[f"local {workers[0]}"]
            for name, rate in rates.items():
                print(f"decode {name:<8} {rate:6.1f} actas/s  (x{rate / base:.2f} of local {workers[0]})")
        records = [int(n) for n in args.records.split(",") if n]
        if records:
            record_rates(records, work, args.database, args.seed)
        if args.boletins:
            boletin_rates(args.boletins, work, args.seed)


if __name__ == "__main__":
    main()
