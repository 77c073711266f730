"""Synthetic elections: real 2024 results printed as actas, photographed badly, with their truth.

`simulate` writes ``<out>/actas/`` (one image per mesa, plus broken, hostile
and forged files on request) and ``<out>/truth.json``, which says for every
file what it holds and the status the pipeline must give it. Everything is
derived from the seed, file by file, so the same seed gives the same bytes
whatever the number of worker processes.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from testigo.domain import Status
from testigo.errors import UserError
from testigo.profiles import get_profile
from testigo.simulate import badfiles
from testigo.simulate.degrade import Degraded, degrade_image
from testigo.simulate.election import draw_sheets
from testigo.simulate.plan import Planned
from testigo.simulate.render import render_acta
from testigo.simulate.sheet import ActaSheet

QUALITIES = ("scan", "photo", "hard", "mixed")
ACTAS_FOLDER = "actas"
TRUTH_FILE = "truth.json"
PROFILE = "ve2024"

#: Independent random streams derived from the seed (numpy SeedSequence entropy).
_PLAN_STREAM, _SAMPLE_STREAM, _FILE_STREAM = 1, 2, 3

# (`degrade` is not re-exported: the name belongs to the submodule testigo.simulate.degrade)
__all__ = ["QUALITIES", "ActaSheet", "draw_sheets", "render_acta", "simulate"]


def simulate(
    out_dir: Path,
    mesas: int,
    seed: int = 2024,
    quality: str = "photo",
    *,
    bad_files: bool = False,
    forgeries: int = 0,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Simulate `mesas` actas (and optionally bad files and forgeries); returns the truth file's path.

    `quality` is scan, photo, hard or mixed (the three in turn). Images are
    rendered in `workers` processes (default: every core). The ``actas``
    folder must be new or empty, so that no stale file outlives its truth.
    """
    if quality not in QUALITIES:
        raise UserError(f"unknown quality {quality!r}; one of {', '.join(QUALITIES)}")
    if mesas < 1 or forgeries < 0:
        raise UserError("need at least one mesa and a non-negative number of forgeries")
    folder = Path(out_dir) / ACTAS_FOLDER
    if folder.exists() and any(folder.iterdir()):
        raise UserError(f"{folder} already holds files; simulate into a new or empty folder")
    folder.mkdir(parents=True, exist_ok=True)
    plan = _plan(mesas, seed, quality, bad_files, forgeries)
    entries = []
    for done, entry in enumerate(_write_all(plan, folder, seed, workers), start=1):
        entries.append(entry)
        if progress:
            progress(done, len(plan))
    truth = {"profile": PROFILE, "seed": seed, "quality": quality, "mesas": mesas, "files": entries}
    path = Path(out_dir) / TRUTH_FILE
    path.write_text(json.dumps(truth, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path


def _plan(mesas: int, seed: int, quality: str, bad_files: bool, forgeries: int) -> list[Planned]:
    """Every file of the simulation, in file-name order (which is also the order ingest walks them)."""
    # spare mesas outside the election: one to print bad files on, one per forgery at most, and
    # a few more since a spare without a registered figure cannot be forged over its registered
    spares = forgeries + 5 if bad_files or forgeries else 0
    sheets = draw_sheets(mesas + spares, seed, PROFILE)
    election, spare = sheets[:mesas], sheets[mesas:]
    qualities = ("scan", "photo", "hard") if quality == "mixed" else (quality,)
    plan = [
        Planned(
            f"acta_{i + 1:05d}",
            "acta",
            Status.ACCEPTED,
            "genuine acta",
            sheet=sheet,
            quality=qualities[i % len(qualities)],
        )
        for i, sheet in enumerate(election)
    ]
    rng = np.random.default_rng([seed, _PLAN_STREAM])
    if bad_files:
        sample_rng = np.random.default_rng([seed, _SAMPLE_STREAM])
        sample = degrade_image(render_acta(spare[0], sample_rng), "photo", sample_rng).data
        plan += badfiles.bad_files(sample, spare[0])
        plan.append(badfiles.reshoot(election, rng))
    if forgeries:
        profile = get_profile(PROFILE)
        outsiders = [s for s in spare[1:] if s.registered is not None]
        plan += badfiles.forgeries(forgeries, election, outsiders, profile, profile.load_registry(), rng)
    return plan


def _write_all(plan: list[Planned], folder: Path, seed: int, workers: int | None) -> Iterator[dict[str, object]]:
    """Write every planned file (images in a process pool), yielding truth entries in plan order."""
    jobs = [
        (str(folder / p.name), p.sheet, p.quality, (seed, _FILE_STREAM, i))
        for i, p in enumerate(plan)
        if p.data is None
    ]
    rendered = _render_all(jobs, workers)
    for planned in plan:
        if planned.data is not None:
            (folder / planned.name).write_bytes(planned.data)
            yield planned.truth(f"{ACTAS_FOLDER}/{planned.name}")
        else:
            name, image = next(rendered)
            yield planned.truth(f"{ACTAS_FOLDER}/{name}", image)


_Job = tuple[str, ActaSheet | None, str | None, tuple[int, int, int]]


def _render_all(jobs: list[_Job], workers: int | None) -> Iterator[tuple[str, Degraded]]:
    workers = min(workers or os.cpu_count() or 1, max(len(jobs), 1))
    if workers == 1:
        yield from map(_render_file, jobs)
        return
    # spawn, not fork: the caller may hold threads (a progress bar) or open connections
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        yield from pool.map(_render_file, jobs, chunksize=max(1, min(8, len(jobs) // (workers * 4))))


def _render_file(job: _Job) -> tuple[str, Degraded]:
    """Render, degrade and write one image (in a worker); returns its file name and geometry, not its bytes."""
    stem, sheet, quality, entropy = job
    assert sheet is not None and quality is not None
    rng = np.random.default_rng(list(entropy))
    image = degrade_image(render_acta(sheet, rng), quality, rng)
    path = Path(f"{stem}.{'png' if image.format == 'png' else 'jpg'}")
    path.write_bytes(image.data)
    return path.name, dataclasses.replace(image, data=b"")
