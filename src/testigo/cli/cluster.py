"""`scheduler` and `worker`: decoding on many machines with Dask distributed.

Both are thin launchers of Dask's own scheduler and worker (``python -m
distributed.cli.dask_scheduler|dask_worker``, run by this same interpreter so
the workers can import testigo), so users need one tool and every Dask option
and behaviour stays documented upstream. `testigo ingest --scheduler ADDRESS`
then sends its decode jobs to the cluster; the database is written only by the
ingest process.

Dask's plain ``tcp://`` is unauthenticated and runs pickled code: keep the
scheduler and workers on a private network (or use ``tls://`` with Dask's
security settings).
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer


def _become(module: str, args: list[str]) -> None:
    """Replace this process with a Dask command, so signals and exit codes are Dask's own."""
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, "-m", module, *args])


def register(app: typer.Typer) -> None:
    app.command("scheduler")(scheduler)
    app.command("worker")(worker)


def scheduler(
    host: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0: every interface).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, help="TCP port; 0 picks a free one.")] = 8786,
    scheduler_file: Annotated[
        str | None, typer.Option("--scheduler-file", help="Write the scheduler's address to this JSON file.")
    ] = None,
) -> None:
    """Start a Dask scheduler that `testigo ingest --scheduler` and `testigo worker` connect to."""
    args = ["--host", host, "--port", str(port), "--no-dashboard"]
    if scheduler_file:
        args += ["--scheduler-file", scheduler_file]
    _become("distributed.cli.dask_scheduler", args)


def worker(
    scheduler: Annotated[str, typer.Argument(help="The scheduler's address, e.g. tcp://10.0.0.5:8786.")],
    nworkers: Annotated[
        int | None, typer.Option("--nworkers", "--nprocs", min=1, help="Worker processes [default: all cores]")
    ] = None,
    nthreads: Annotated[int, typer.Option(min=1, help="Threads per worker process.")] = 1,
    host: Annotated[
        str | None, typer.Option(help="Address the scheduler reaches this worker at [default: Dask's choice]")
    ] = None,
    name: Annotated[str | None, typer.Option(help="Worker name shown by the scheduler.")] = None,
) -> None:
    """Decode acta images for a Dask scheduler until stopped; needs the blob store (shared folder or S3).

    One thread per process by default: decoding is CPU-bound, and processes
    avoid contention on the interpreter lock. Killing a worker loses nothing:
    the scheduler reruns its jobs elsewhere.
    """
    args = [scheduler, "--nworkers", str(nworkers or os.cpu_count() or 1), "--nthreads", str(nthreads)]
    args += ["--no-dashboard"]
    if host:
        args += ["--host", host]
    if name:
        args += ["--name", name]
    _become("distributed.cli.dask_worker", args)
