"""Where ingest's decode jobs run: a local process pool, or a Dask distributed cluster.

An executor only turns jobs into readings; it never touches the database. The
coordinator (`testigo.pipeline.ingest`) writes each result and settles its
submission exactly once, so a worker that dies mid-job loses nothing: the pool
or the Dask scheduler runs the job again, and a second answer for a submission
already settled is refused by the database.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from itertools import islice
from multiprocessing import get_context
from typing import Protocol, TypeVar

import cv2

from testigo.pipeline.decode import Decoded, decode_stored

IN_FLIGHT_PER_WORKER = 4  # enough queued work to keep a worker busy, little to redo after a crash

_In = TypeVar("_In")
_Out = TypeVar("_Out")


def map_in_order(function: Callable[[_In], _Out], items: Iterable[_In], workers: int) -> Iterator[_Out]:
    """`function` of each item, in the order given, in `workers` processes; a few items per worker at a time.

    For commands that read files without a workspace (`bu check`, `read`):
    only a few files' bytes are in memory at once, never the whole batch.
    `function` must be module-level (the workers import it by name).
    """
    if workers <= 1:
        yield from map(function, items)
        return
    # spawn, as ingest does: OpenCV and a progress thread do not survive a fork
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        pending: deque[Future[_Out]] = deque()
        for item in items:
            pending.append(pool.submit(function, item))
            if len(pending) >= workers * IN_FLIGHT_PER_WORKER:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


@dataclass(frozen=True)
class DecodeJob:
    """One blob to decode, named so that any machine reaching the blob store can do it."""

    sha256: str
    blobs_url: str
    profile: str

    def run(self) -> Decoded:
        return decode_stored(self.sha256, self.blobs_url, self.profile)


class Executor(Protocol):
    """Runs decode jobs and yields their results in completion order."""

    def run(self, jobs: list[DecodeJob]) -> Iterator[Decoded]: ...


def _decode(job: DecodeJob) -> Decoded:
    """Module-level so that process pools and Dask workers can import it by name.

    One OpenCV thread per worker process: parallelism comes from the processes,
    and OpenCV's own threads (one per core in each process) would make the
    workers of one machine fight over its cores.
    """
    cv2.setNumThreads(1)
    return job.run()


@dataclass(frozen=True)
class LocalExecutor:
    """A pool of `workers` processes on this machine (default: one per core)."""

    workers: int | None = None

    def run(self, jobs: list[DecodeJob]) -> Iterator[Decoded]:
        workers = min(self.workers or os.cpu_count() or 1, max(len(jobs), 1))
        if workers == 1:
            yield from (job.run() for job in jobs)
            return
        # spawn, not fork: the parent holds database connections and a progress thread
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
            queue = iter(jobs)
            window = workers * IN_FLIGHT_PER_WORKER
            in_flight: set[Future[Decoded]] = {pool.submit(_decode, job) for job in islice(queue, window)}
            while in_flight:
                finished, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in finished:
                    yield future.result()
                    following = next(queue, None)
                    if following is not None:
                        in_flight.add(pool.submit(_decode, following))


@dataclass(frozen=True)
class DaskExecutor:
    """Jobs go to a Dask scheduler (``tcp://host:port``) and run on its workers, on any machine.

    The workers need the testigo package and access to the blob store (the same
    shared folder path, or the S3 URL and credentials). Dask reruns the jobs of a
    worker that dies; a job that kills `distributed.scheduler.allowed-failures`
    workers in a row fails the ingest, leaving its submission pending for a re-run.
    Submissions are bounded (`window` in flight) so that a million-file ingest
    does not hold a million futures.
    """

    scheduler: str
    window: int = 2000

    def run(self, jobs: list[DecodeJob]) -> Iterator[Decoded]:
        from distributed import Client, as_completed  # imported only when a cluster is used

        with Client(self.scheduler, set_as_default=False) as client:
            queue = iter(jobs)
            # pure: the same blob submitted twice (two coordinators) is decoded once
            first = [client.submit(_decode, job, pure=True) for job in islice(queue, self.window)]
            futures = as_completed(first, loop=client.loop)
            for future in futures:
                yield future.result()
                future.release()
                following = next(queue, None)
                if following is not None:
                    futures.add(client.submit(_decode, following, pure=True))
