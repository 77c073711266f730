"""Synthetic elections: real 2024 results printed as actas, photographed badly, with their truth.

`simulate` writes ``<out>/actas/`` (one image per mesa, plus broken, hostile,
forged and altered files on request) and ``<out>/truth.json``, which says for
every file what it holds (the QR's text and figures, the printed figures and
where each lies in the image) and the status the pipeline must give it.
Everything is derived from the seed, file by file, so the same seed gives the
same bytes whatever the number of worker processes.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from testigo.domain import Status
from testigo.errors import UserError
from testigo.profiles import get_profile
from testigo.simulate import badfiles
from testigo.simulate.alterations import altered_actas
from testigo.simulate.degrade import Degraded, degrade_image
from testigo.simulate.election import draw_sheets
from testigo.simulate.plan import Planned
from testigo.simulate.render import render_acta
from testigo.simulate.sheet import ActaSheet
from testigo.simulate.style import PRINTERS, STANDARD, PrintStyle

#: "mixed" takes scan, photo and hard in turn ("hardest" is asked for by name only).
QUALITIES = ("scan", "photo", "hard", "hardest", "mixed")
#: "mixed" alternates actas with and without a QR code.
VARIANTS = ("qr", "sin_qr", "mixed")
ACTAS_FOLDER = "actas"
TRUTH_FILE = "truth.json"
PROFILE = "ve2024"

#: Independent random streams derived from the seed (numpy SeedSequence entropy).
_PLAN_STREAM, _SAMPLE_STREAM, _FILE_STREAM, _ALTER_STREAM = 1, 2, 3, 4

# (`degrade` is not re-exported: the name belongs to the submodule testigo.simulate.degrade)
__all__ = ["PRINTERS", "QUALITIES", "VARIANTS", "ActaSheet", "PrintStyle", "draw_sheets", "render_acta", "simulate"]


def simulate(
    out_dir: Path,
    mesas: int,
    seed: int = 2024,
    quality: str = "photo",
    *,
    bad_files: bool = False,
    forgeries: int = 0,
    altered: int = 0,
    variant: str = "qr",
    printers: Sequence[PrintStyle] = (STANDARD,),
    without_code: int = 0,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Simulate `mesas` actas (and optionally bad files, forgeries and altered actas); returns the truth file's path.

    `quality` is scan, photo, hard, hardest or mixed (scan, photo and hard in
    turn). `variant` is qr, sin_qr (printed without a QR code, as in May 2025)
    or mixed (the two in turn); `printers` are taken in turn by the election's
    actas. Both apply to the election's actas and their re-shot copy; bad
    files, forgeries and altered actas keep the standard printer and their
    code, on which their expected outcome rests. A genuine acta is expected
    accepted whatever its variant: without a code that takes a reader of
    the printed figures. `altered` actas (real mesas outside the election)
    have one card changed on the print or in the QR, and are expected as
    mismatches. The last `without_code` actas of the election (at most
    `mesas`) are printed without a code and photographed whatever `variant`
    and `quality` say: a share of such actas among the others, as the demo
    shows. Images are rendered in `workers` processes (default: every
    core). The ``actas`` folder must be new or empty, so that no stale file
    outlives its truth.
    """
    if quality not in QUALITIES:
        raise UserError(f"unknown quality {quality!r}; one of {', '.join(QUALITIES)}")
    if variant not in VARIANTS:
        raise UserError(f"unknown variant {variant!r}; one of {', '.join(VARIANTS)}")
    if mesas < 1 or forgeries < 0 or altered < 0 or not 0 <= without_code <= mesas:
        raise UserError(
            "need at least one mesa, non-negative numbers of forgeries and altered actas, and at most every acta "
            "without a code"
        )
    if not printers:
        raise UserError("need at least one printer")
    folder = Path(out_dir) / ACTAS_FOLDER
    if folder.exists() and any(folder.iterdir()):
        raise UserError(f"{folder} already holds files; simulate into a new or empty folder")
    folder.mkdir(parents=True, exist_ok=True)
    plan = _plan(mesas, seed, quality, bad_files, forgeries, altered, variant, tuple(printers), without_code)
    entries = []
    for done, entry in enumerate(_write_all(plan, folder, seed, workers), start=1):
        entries.append(entry)
        if progress:
            progress(done, len(plan))
    truth = {
        "profile": PROFILE,
        "seed": seed,
        "quality": quality,
        "variant": variant,
        "mesas": mesas,
        "files": entries,
    }
    path = Path(out_dir) / TRUTH_FILE
    path.write_text(json.dumps(truth, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path


def _plan(
    mesas: int,
    seed: int,
    quality: str,
    bad_files: bool,
    forgeries: int,
    altered: int,
    variant: str,
    printers: tuple[PrintStyle, ...],
    without_code: int = 0,
) -> list[Planned]:
    """Every file of the simulation, in file-name order (which is also the order ingest walks them)."""
    # spare mesas outside the election: one to print bad files on, one per forgery at most, and
    # a few more since a spare without a registered figure cannot be forged over its registered
    spares = forgeries + 5 if bad_files or forgeries else 0
    # then candidates for altered actas, drawn after the spares so that asking for them changes no other sheet
    pool = 2 * altered + 5 if altered else 0
    sheets = draw_sheets(mesas + spares + pool, seed, PROFILE)
    election, spare, candidates = sheets[:mesas], sheets[mesas : mesas + spares], sheets[mesas + spares :]
    qualities = ("scan", "photo", "hard") if quality == "mixed" else (quality,)
    variants = ("qr", "sin_qr") if variant == "mixed" else (variant,)
    plan = [
        Planned(
            f"acta_{i + 1:05d}",
            "acta",
            Status.ACCEPTED,
            "genuine acta" if variants[i % len(variants)] == "qr" else "genuine acta printed without a QR code",
            sheet=sheet,
            quality=qualities[i % len(qualities)],
            variant=variants[i % len(variants)],
            style=printers[i % len(printers)],
        )
        for i, sheet in enumerate(election)
    ]
    for i in range(mesas - without_code, mesas):
        plan[i] = dataclasses.replace(
            plan[i], variant="sin_qr", quality="photo", note="genuine acta printed without a QR code"
        )
    rng = np.random.default_rng([seed, _PLAN_STREAM])
    profile = get_profile(PROFILE)
    if bad_files:
        sample_rng = np.random.default_rng([seed, _SAMPLE_STREAM])
        sample = degrade_image(render_acta(spare[0], sample_rng), "photo", sample_rng).data
        plan += badfiles.bad_files(sample, spare[0])
        copy = badfiles.reshoot(election, rng)
        twin = next(p for p in plan if p.kind == "acta" and p.sheet == copy.sheet)  # printed the same way
        plan.append(dataclasses.replace(copy, variant=twin.variant, style=twin.style))
    if forgeries:
        outsiders = [s for s in spare[1:] if s.registered is not None]
        plan += badfiles.forgeries(forgeries, election, outsiders, profile, profile.load_registry(), rng)
    if altered:
        # a mesa with a registered figure and a card big enough for a forger to bother with
        fitting = [s for s in candidates if s.registered is not None and max(s.counts) >= 20][:altered]
        if len(fitting) < altered:
            raise UserError(f"found only {len(fitting)} mesas to alter out of {len(candidates)} drawn")
        alter_rng = np.random.default_rng([seed, _ALTER_STREAM])
        plan += altered_actas(fitting, election, profile, profile.load_registry(), alter_rng)
    return sorted(plan, key=lambda planned: planned.name)  # altered_* files go between acta_* and bad_*


@dataclasses.dataclass(frozen=True)
class _Job:
    """One image to render, degrade and write (in a worker process)."""

    stem: str
    sheet: ActaSheet
    quality: str
    variant: str
    style: PrintStyle
    entropy: tuple[int, int, int]


def _write_all(plan: list[Planned], folder: Path, seed: int, workers: int | None) -> Iterator[dict[str, object]]:
    """Write every planned file (images in a process pool), yielding truth entries in plan order."""
    jobs = [
        _Job(str(folder / p.name), p.sheet, p.quality, p.variant, p.style, (seed, _FILE_STREAM, i))
        for i, p in enumerate(plan)
        if p.data is None and p.sheet is not None and p.quality is not None
    ]
    rendered = _render_all(jobs, workers)
    for planned in plan:
        if planned.data is not None:
            (folder / planned.name).write_bytes(planned.data)
            yield planned.truth(f"{ACTAS_FOLDER}/{planned.name}")
        else:
            name, image = next(rendered)
            yield planned.truth(f"{ACTAS_FOLDER}/{name}", image)


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
    rng = np.random.default_rng(list(job.entropy))
    image = degrade_image(render_acta(job.sheet, rng, variant=job.variant, style=job.style), job.quality, rng)
    path = Path(f"{job.stem}.{'png' if image.format == 'png' else 'jpg'}")
    path.write_bytes(image.data)
    return path.name, dataclasses.replace(image, data=b"")
