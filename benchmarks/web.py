"""Web benchmark: public API latency under a steady flood, and sustained uploads with none lost.

Loads an accepted acta for each of the country's 30,026 mesas (the 24,560 the
ve2024 registry knows, plus copies of real centers under unused center numbers
of the same parishes, so every acta id keeps the real format), starts ``testigo serve``'s
application under uvicorn in its own process, and measures from this process:

* **public reads**: an open-loop generator sends `--rate` requests per second
  (default 200) for `--seconds`, from many concurrent connections, over a mix
  of the public API (national and state results, areas at every level, mesa
  pages, search). Latency is measured from each request's *scheduled* time,
  so a stalled server cannot hide its queue (no coordinated omission).
  Targets: p99 < 100 ms.
* **uploads**: `--uploaders` concurrent clients, each with its own account and
  API token, post distinct simulated phone photos as fast as the server
  confirms them, for `--upload-seconds`. Reported: uploads confirmed per
  second (stored and committed: the SHA-256 is returned), then the time until
  every confirmed upload is read and settled, and a check that none is lost
  (every confirmed SHA-256 has a finished submission with its log entries).
  Target: >= 50 uploads/s.

Run: ``python benchmarks/web.py [--rate 200] [--seconds 20] [--uploaders 16] [--json]``.
Pin it to two cores to match the target machine: ``taskset -c 0,1 python benchmarks/web.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx2

from testigo.config import WebSettings

LATENCY_TARGET_P99_S = 0.100
UPLOAD_TARGET_PER_S = 50.0
SEED = 2024


def national_registry(registry: Any, target: int) -> tuple[list[Any], list[Any]]:
    """Centers and mesas to add so the registry holds `target` mesas: copies of real centers, in turn,
    each under the highest center number its parish does not use (so its acta ids are well-formed)."""
    from dataclasses import replace

    from testigo.domain import Mesa

    members: dict[str, list[Any]] = {}
    for mesa in registry.mesas.values():
        members.setdefault(mesa.center_id, []).append(mesa)
    used = set(members) | {a.id for a in registry.areas.values() if a.level == "center"}
    areas, mesas = [], []
    for center_id in itertools.cycle(sorted(members)):
        if len(registry.mesas) + len(mesas) >= target:
            break
        parish = center_id[:6]
        number = next(n for n in range(999, 0, -1) if f"{parish}{n:03d}" not in used)
        new_id = f"{parish}{number:03d}"
        used.add(new_id)
        center = registry.areas[center_id]
        areas.append(replace(center, id=new_id, name=f"{center.name} (copia)"))
        mesas += [Mesa(f"{new_id}.{m.number:02}", new_id, m.number, m.registered) for m in members[center_id]]
    return areas, mesas[: target - len(registry.mesas)]


def load_results(workspace: Path, seed: int) -> int:
    """An accepted record for every mesa of the country, with plausible counts (the database as after an election)."""
    from testigo.domain import Record
    from testigo.profiles.ve2024 import MESAS_NATIONAL, acta_id_for
    from testigo.store import records
    from testigo.store.workspace import add_to_registry, init_workspace, open_workspace

    store = init_workspace(str(workspace))
    with store.sessions.begin() as session:
        add_to_registry(session, *national_registry(store.registry, MESAS_NATIONAL))
    store.close()
    store = open_workspace(str(workspace))
    profile, registry = store.profile, store.registry
    rng = random.Random(seed)
    with store.sessions.begin() as session:
        for mesa in registry.mesas.values():
            voters = int((mesa.registered or 500) * rng.uniform(0.4, 0.8))
            counts = [0] * len(profile.election.cards)
            share = rng.uniform(0.3, 0.8)
            counts[35], counts[0] = int(voters * share), int(voters * (1 - share) * 0.9)
            counts[rng.randrange(len(counts))] += rng.randrange(20)
            record: Record = profile.parse(profile.encode(acta_id_for(mesa.id), counts, rng.randrange(10)))
            records.insert(session, record, records.ACCEPTED, "import")
    store.close()
    return len(registry.mesas)


def serve(workspace: str, port: int, decode_workers: int) -> None:
    """The server process: the real application, with per-IP upload limits lifted (all phones are this host)."""
    import uvicorn

    from testigo.store.workspace import open_workspace
    from testigo.web import create_app

    settings = WebSettings(decode_workers=decode_workers, ip_uploads_per_minute=1_000_000)
    uvicorn.run(
        create_app(open_workspace(workspace), settings),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
    )


def cpu_seconds(pid: int, children: bool = True) -> float:
    """CPU time (user + system) used so far by a process and (`children`) its live children: the decoders.

    The figure that does not depend on what else the machine runs: on a
    shared or loaded machine latency and throughput suffer, CPU per request
    does not, and capacity on an idle machine follows from it.
    """
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
            for task in Path(f"/proc/{current}/task").iterdir() if children else ():
                pending += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(workspace: Path, decode_workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(workspace), str(port), str(decode_workers)],
        stdout=subprocess.DEVNULL,
        stderr=sys.stderr,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx2.get(f"{url}/api/v1/results", timeout=60).status_code == 200:  # also builds the first snapshot
                return process, url
        except httpx2.TransportError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the server did not start")


def read_paths(workspace: Path, count: int, seed: int) -> list[str]:
    """A mix of public API requests, the way visitors spread over levels and mesas."""
    from testigo.store.workspace import open_workspace

    registry = open_workspace(str(workspace)).registry
    rng = random.Random(seed)
    areas = {
        level: [a.id for a in registry.areas.values() if a.level == level]
        for level in ("state", "municipality", "parish", "center")
    }
    mesas = list(registry.mesas)
    words = ["escuela", "liceo", "bolivar", "unidad educativa", "grupo escolar", "010101"]
    kinds = [
        (10, lambda: "/api/v1/results"),
        (5, lambda: "/api/v1/results?level=state"),
        (5, lambda: "/api/v1/areas"),
        (10, lambda: f"/api/v1/areas/{rng.choice(areas['state'])}"),
        (10, lambda: f"/api/v1/areas/{rng.choice(areas['municipality'])}"),
        (10, lambda: f"/api/v1/areas/{rng.choice(areas['parish'])}"),
        (15, lambda: f"/api/v1/areas/{rng.choice(areas['center'])}"),
        (30, lambda: f"/api/v1/mesas/{rng.choice(mesas)}"),
        (5, lambda: f"/api/v1/search?q={rng.choice(words)}"),
    ]
    weights = [w for w, _ in kinds]
    return [rng.choices(kinds, weights)[0][1]() for _ in range(count)]


@dataclass
class ReadFigures:
    rate: float
    requests: int
    errors: dict[str, int]
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    achieved_rate: float
    server_cpu_ms_per_request: float
    target_p99_ms: float = LATENCY_TARGET_P99_S * 1000

    @property
    def met(self) -> bool:
        return not self.errors and self.p99_ms < self.target_p99_ms


async def flood(url: str, paths: list[str], rate: float, server_pid: int) -> ReadFigures:
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    limits = httpx2.Limits(max_connections=64, max_keepalive_connections=64)
    cpu_before = cpu_seconds(server_pid, children=False)  # reads never reach the decoders
    async with httpx2.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
        start = time.perf_counter() + 0.5

        async def one(index: int, path: str) -> None:
            scheduled = start + index / rate
            await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
            try:
                response = await client.get(path)
                if response.status_code != 200:
                    errors[str(response.status_code)] += 1
            except httpx2.HTTPError as error:
                errors[type(error).__name__] += 1
            latencies.append(time.perf_counter() - scheduled)

        await asyncio.gather(*(one(i, p) for i, p in enumerate(paths)))
        elapsed = time.perf_counter() - start
    cpu_ms = (cpu_seconds(server_pid, children=False) - cpu_before) * 1000 / len(paths)
    cuts = statistics.quantiles(latencies, n=100)
    return ReadFigures(
        rate,
        len(paths),
        dict(errors),
        cuts[49] * 1000,
        cuts[89] * 1000,
        cuts[98] * 1000,
        max(latencies) * 1000,
        len(paths) / elapsed,
        cpu_ms,
    )


def photo_variants(folder: Path, seed: int) -> Iterator[bytes]:
    """Endless distinct photo files: simulated phone photos, each re-used with unique trailing bytes.

    JPEG readers stop at the end-of-image marker, so every variant reads as
    the same acta but is a different file (its own SHA-256, stored and read
    in full), as the same acta photographed again would be.
    """
    from testigo.simulate import simulate

    simulate(folder, 40, seed=seed, quality="photo")
    base = [p.read_bytes() for p in sorted((folder / "actas").glob("*.jpg"))]
    return (base[i % len(base)] + b"testigo-bench-%08d" % i for i in itertools.count())


@dataclass
class UploadFigures:
    uploaders: int
    seconds: float
    confirmed: int
    refused: int
    confirmed_per_s: float
    read_per_s: float
    all_read_after_s: float
    lost: int
    server_cpu_ms_per_upload: float
    decoder_cpu_ms_per_upload: float
    client_cpu_ms_per_upload: float
    target_per_s: float = UPLOAD_TARGET_PER_S

    @property
    def server_capacity_per_s(self) -> float:
        """Uploads per second two cores sustain when they serve nothing else (no load generator beside them)."""
        return 2000.0 / self.server_cpu_ms_per_upload

    @property
    def met(self) -> bool:
        return self.lost == 0 and self.refused == 0 and min(self.confirmed_per_s, self.read_per_s) >= self.target_per_s


def upload_tokens(workspace: Path, count: int) -> list[str]:
    """Accounts of volunteers with API tokens, their hourly limit raised as an admin would for a coordinator."""
    from testigo.store.workspace import open_workspace
    from testigo.web import accounts

    store = open_workspace(str(workspace))
    tokens = []
    for i in range(count):
        name = f"bench-{i:03d}"
        account = accounts.accept_invitation(store, accounts.invite(store, "volunteer"), name, "benchmark-pass")
        accounts.restrict(store, name, blocked=False, uploads_per_hour=10_000_000)
        tokens.append(accounts.create_api_token(store, account, "benchmark"))
    return tokens


async def upload_storm(
    url: str, tokens: list[str], photos: Iterator[bytes], seconds: float
) -> tuple[list[str], int, float]:
    """Closed loop: each uploader sends its next photo as soon as the previous one is confirmed."""
    confirmed: list[str] = []
    refused = 0
    deadline = time.perf_counter() + seconds
    start = time.perf_counter()

    async def uploader(token: str) -> None:
        nonlocal refused
        async with httpx2.AsyncClient(base_url=url, timeout=60, headers={"Authorization": f"Bearer {token}"}) as client:
            while time.perf_counter() < deadline:
                data = next(photos)
                response = await client.post("/api/v1/uploads", files={"file": ("acta.jpg", data, "image/jpeg")})
                if response.status_code in (200, 201, 202):
                    confirmed.append(response.json()["sha256"])
                else:
                    refused += 1

    await asyncio.gather(*(uploader(t) for t in tokens))
    return confirmed, refused, time.perf_counter() - start


def wait_until_read(workspace: Path, confirmed: list[str], started: float, timeout: float) -> tuple[float, int]:
    """Seconds (from the storm's start) until every confirmed upload is read and settled, and how many never were
    (no finished item, or no entry in the log)."""
    from testigo.pipeline.overview import list_items
    from testigo.store import ledger as log_table
    from testigo.store.workspace import open_workspace

    store = open_workspace(str(workspace))
    wanted = set(confirmed)
    while True:
        read = {item.sha256 for item in list_items(store) if item.sha256 in wanted}
        if read >= wanted or time.perf_counter() - started > timeout:
            break
        time.sleep(0.5)
    elapsed = time.perf_counter() - started
    with store.sessions() as session:
        logged = {json.loads(e.body).get("sha256") for e in log_table.entries(session) if e.kind == "item"}
    return elapsed, len(wanted - (read & logged))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=200.0, help="public requests per second")
    parser.add_argument("--seconds", type=float, default=20.0, help="duration of the read flood")
    parser.add_argument("--uploaders", type=int, default=16, help="concurrent uploading clients")
    parser.add_argument("--upload-seconds", type=float, default=20.0, help="duration of the upload storm")
    parser.add_argument(
        "--decode-workers",
        type=int,
        default=WebSettings().decoders,
        help="server's decoding processes [default: the server's own default]",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("--serve", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]), int(args.serve[2]))
        return
    folder = Path(tempfile.mkdtemp(prefix="testigo-web-bench-"))
    try:
        report = run(folder, args)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)
    if not (report["reads"]["met"] and report["uploads"]["met"]):
        raise SystemExit(1)


def run(folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    workspace = folder / "ws"
    started = time.perf_counter()
    mesas = load_results(workspace, SEED)
    photos = photo_variants(folder / "sim", SEED)
    tokens = upload_tokens(workspace, args.uploaders)
    paths = read_paths(workspace, int(args.rate * args.seconds), SEED)
    setup_s = time.perf_counter() - started
    process, url = start_server(workspace, args.decode_workers)
    try:
        reads = asyncio.run(flood(url, paths, args.rate, process.pid))
        cpu_before, client_before = cpu_seconds(process.pid), time.process_time()
        main_before = cpu_seconds(process.pid, children=False)
        storm_start = time.perf_counter()
        confirmed, refused, storm_s = asyncio.run(upload_storm(url, tokens, photos, args.upload_seconds))
        client_cpu_ms = (time.process_time() - client_before) * 1000 / max(1, len(confirmed))
        read_after, lost = wait_until_read(workspace, confirmed, storm_start, timeout=600)
        upload_cpu_ms = (cpu_seconds(process.pid) - cpu_before) * 1000 / max(1, len(confirmed))
        decoder_cpu_ms = upload_cpu_ms - (cpu_seconds(process.pid, children=False) - main_before) * 1000 / max(
            1, len(confirmed)
        )
    finally:
        process.terminate()
        process.wait(timeout=60)
    uploads = UploadFigures(
        args.uploaders,
        storm_s,
        len(confirmed),
        refused,
        len(confirmed) / storm_s,
        len(confirmed) / read_after,
        read_after,
        lost,
        upload_cpu_ms,
        decoder_cpu_ms,
        client_cpu_ms,
    )
    return {
        "mesas_loaded": mesas,
        "cpus": len(os.sched_getaffinity(0)),
        "load_average": os.getloadavg()[0],
        "setup_seconds": round(setup_s, 1),
        "reads": {
            **{k: round(v, 2) if isinstance(v, float) else v for k, v in asdict(reads).items()},
            "met": reads.met,
        },
        "uploads": {
            **{k: round(v, 2) if isinstance(v, float) else v for k, v in asdict(uploads).items()},
            "server_capacity_per_s": round(uploads.server_capacity_per_s, 1),
            "met": uploads.met,
        },
    }


def print_report(report: dict[str, Any]) -> None:
    reads, uploads = report["reads"], report["uploads"]
    print(f"{report['mesas_loaded']:,} mesas loaded; {report['cpus']} CPUs, load average {report['load_average']:.1f}")
    print(
        f"public API at {reads['rate']:.0f} req/s ({reads['achieved_rate']:.0f} achieved), {reads['requests']:,} "
        f"requests, errors {reads['errors'] or 'none'}: p50 {reads['p50_ms']:.1f} ms, p90 {reads['p90_ms']:.1f} ms, "
        f"p99 {reads['p99_ms']:.1f} ms, max {reads['max_ms']:.0f} ms "
        f"(target p99 < {reads['target_p99_ms']:.0f} ms: {'met' if reads['met'] else 'NOT MET'}); "
        f"server CPU {reads['server_cpu_ms_per_request']:.2f} ms per request"
    )
    print(
        f"uploads from {uploads['uploaders']} clients over {uploads['seconds']:.1f} s: {uploads['confirmed']:,} "
        f"confirmed ({uploads['confirmed_per_s']:.1f}/s), {uploads['refused']} refused; all read and settled "
        f"{uploads['all_read_after_s']:.1f} s after the start ({uploads['read_per_s']:.1f}/s end to end); "
        f"{uploads['lost']} lost (target >= {uploads['target_per_s']:.0f}/s: "
        f"{'met' if uploads['met'] else 'NOT MET'})"
    )
    print(
        f"CPU per upload: server {uploads['server_cpu_ms_per_upload']:.1f} ms (of which the decoding processes "
        f"{uploads['decoder_cpu_ms_per_upload']:.1f} ms), load generator "
        f"{uploads['client_cpu_ms_per_upload']:.1f} ms; two cores serving nothing else: "
        f"{uploads['server_capacity_per_s']:.0f} uploads/s"
    )


if __name__ == "__main__":
    main()
