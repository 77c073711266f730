"""Ingest through a Dask cluster of separate processes survives a worker killed mid-run.

The scheduler and two workers are real processes on loopback, started as
users start them (`testigo scheduler`, `testigo worker`). One worker is
SIGKILLed while its jobs are in flight; the scheduler reruns them on the other,
and the database must end exactly as a local ingest would: every acta read
once, every submission settled with one set of items, the mesa tally equal to
the simulation's truth.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from distributed import Client
from sqlalchemy import func, select

from testigo.pipeline.demo import check_against_truth
from testigo.pipeline.executors import DaskExecutor
from testigo.pipeline.ingest import ingest
from testigo.simulate import simulate
from testigo.store.schema import ItemRow, RecordRow, SubmissionRow
from testigo.store.workspace import init_workspace
from testigo.tally import tally

ACTAS = 30
KILL_AFTER = 8  # results settled before one worker is killed


def _launch(command: str, *args: str) -> subprocess.Popen[bytes]:
    """Run `testigo <command>` in its own process group (so SIGKILL reaches all of it)."""
    return subprocess.Popen(
        [sys.executable, "-m", "testigo", command, *args],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sim")
    simulate(out, ACTAS, seed=11, quality="scan")
    return out


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[tuple[str, list[subprocess.Popen[bytes]]]]:
    """A scheduler on a free loopback port and two single-process workers."""
    address_file = tmp_path / "scheduler.json"
    scheduler = _launch("scheduler", "--port", "0", "--scheduler-file", str(address_file))
    workers: list[subprocess.Popen[bytes]] = []
    try:
        deadline = time.monotonic() + 60
        while not address_file.exists():
            assert time.monotonic() < deadline and scheduler.poll() is None, "the scheduler did not start"
            time.sleep(0.1)
        time.sleep(0.2)  # the file is written in one go, but give it a moment to be complete
        address = json.loads(address_file.read_text())["address"]
        for name in ("a", "b"):
            workers.append(_launch("worker", address, "--nworkers", "1", "--host", "127.0.0.1", "--name", name))
        with Client(address, set_as_default=False) as client:
            client.wait_for_workers(2, timeout=60)
        yield address, workers
    finally:
        for process in [*workers, scheduler]:
            _stop(process)


class _KillOneWorker:
    """Progress that SIGKILLs the first worker once `KILL_AFTER` results have been settled."""

    def __init__(self, worker: subprocess.Popen[bytes]) -> None:
        self.worker = worker
        self.settled = 0
        self.reading = False

    def phase(self, name: str, total: int | None) -> None:
        self.reading = name == "reading"

    def advance(self, steps: int = 1) -> None:
        if not self.reading:
            return
        self.settled += steps
        if self.settled == KILL_AFTER:
            os.killpg(self.worker.pid, signal.SIGKILL)


@pytest.mark.slow
def test_a_killed_worker_loses_nothing_and_duplicates_nothing(
    simulated: Path, cluster: tuple[str, list[subprocess.Popen[bytes]]], tmp_path: Path, database_url: str
) -> None:
    address, workers = cluster
    store = init_workspace(str(tmp_path / "ws"), "ve2024", database_url)
    progress = _KillOneWorker(workers[0])

    report = ingest(store, [simulated / "actas"], executor=DaskExecutor(address), progress=progress)

    assert progress.settled == ACTAS
    assert workers[0].wait(timeout=10) == -signal.SIGKILL  # it really died mid-run
    truth = json.loads((simulated / "truth.json").read_text())
    verified = check_against_truth(report, tally(store, "mesa"), truth, simulated)
    assert verified.exact, verified
    assert verified.mesas_matching == ACTAS
    with store.sessions() as session:
        items_per_submission = session.execute(
            select(SubmissionRow.state, func.count(ItemRow.id)).join(ItemRow).group_by(SubmissionRow.id)
        ).all()
        records = session.execute(select(func.count()).select_from(RecordRow)).scalar_one()
    assert sorted(items_per_submission) == [("done", 1)] * ACTAS  # one set of items each, none pending
    assert records == ACTAS
    store.close()


@pytest.mark.slow
def test_the_ingest_command_decodes_on_the_cluster(
    simulated: Path, cluster: tuple[str, list[subprocess.Popen[bytes]]], tmp_path: Path
) -> None:
    """`testigo ingest --scheduler ADDRESS` as a coordinator types it."""
    address, _ = cluster
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "testigo",
            "ingest",
            str(simulated / "actas"),
            "--scheduler",
            address,
            "--workspace",
            str(tmp_path / "ws"),
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["summary"]["accepted"] == report["summary"]["files"] == ACTAS
    truth = {e["acta_id"] for e in json.loads((simulated / "truth.json").read_text())["files"] if e["kind"] == "acta"}
    assert {f["mesa"] for f in report["files"]} == truth
