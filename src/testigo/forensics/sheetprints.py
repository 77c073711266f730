"""Which sheet prints show the same physical sheet: registration on the common form, then correlation.

A print (`testigo.read.sheetprint`) is the ink above an acta's QR code,
aligned on the code only roughly. Every acta is the same printed form, so raw
prints of two different actas agree on most of their ink; what tells sheets
apart is what the form leaves free (signatures, handwriting, figures). So:

1. *Form.* The median of the prints (of a sample of at most `SAMPLE`) is the
   form as it appears in the window; each sample print is registered on it
   (OpenCV's ECC, a homography, at half resolution) and the median taken again.
2. *Registration.* Every print is registered on that form; the mean of the
   registered prints is then subtracted from each, leaving its own ink.
3. *Candidates.* The residuals are projected on `PROJECTION` random
   directions (a fixed seed); pairs whose projected cosine is at least
   `CANDIDATE` are compared exactly (a blocked matrix product: 30,000 prints
   are 900 million pairs of 256 numbers, a few seconds).
4. *Decision.* Two prints show the same sheet when the correlation of their
   residuals is at least `SAME_SHEET`.

Calibrated on simulated actas (`testigo.simulate`, scan and photo quality,
the same sheet re-degraded, re-scanned and with another mesa's QR code pasted
on it): on 240 actas with full-page prints, same-sheet pairs correlated at
0.665 or more and different sheets at 0.338 or less; with the prints taken
from the half-size page as the decoder now does (`testigo.read.decode`), 0.82
or more against 0.29 or less on 56 actas (see tests/forensics/test_sheetprints.py). The form must be learnt
from the data, so at least `MIN_PRINTS` prints are needed; the window's
geometry assumes a form laid out like the ve2024 strip (writing in the 136
modules above the code).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from testigo.read.sheetprint import COLUMNS, ROWS, unpack

#: Correlation of residuals at or above which two prints are the same sheet.
SAME_SHEET = 0.5
#: Projected cosine at or above which a pair is compared exactly.
CANDIDATE = 0.3
#: Fewer prints than this cannot teach the common form: no comparison.
MIN_PRINTS = 10
#: Prints the form is learnt from.
SAMPLE = 400
PROJECTION = 256
_HALF = (COLUMNS // 2, ROWS // 2)
_BORDER = 4
_CRITERIA = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 30, 1e-4)
_UP = np.diag([2.0, 2.0, 1.0]).astype(np.float32)
_DOWN = np.diag([0.5, 0.5, 1.0]).astype(np.float32)
_BLOCK = 2048


@dataclass(frozen=True)
class SheetMatches:
    """Pairs (i, j, correlation) of indices into the prints given, i < j, and how many prints were usable."""

    pairs: list[tuple[int, int, float]]
    usable: int
    compared: bool  # False when there were too few prints to learn the form


def same_sheets(prints: Sequence[bytes | None], threshold: float = SAME_SHEET) -> SheetMatches:
    """The pairs of prints that show the same physical sheet (see the module docstring)."""
    index = [i for i, data in enumerate(prints) if data is not None and unpack(data) is not None]
    if len(index) < MIN_PRINTS:
        return SheetMatches([], len(index), False)
    usable = [data for data in prints if data is not None and unpack(data) is not None]
    form = _form([_coarse(data) for data in usable[:: max(1, len(usable) // SAMPLE)][:SAMPLE]])
    warps = [_register(_coarse(data), form) for data in usable]
    template = np.zeros((ROWS, COLUMNS), dtype=np.float64)
    for data, warp in zip(usable, warps, strict=True):
        template += _warp(_fine(data), warp)
    template = (template / len(usable)).astype(np.float32)

    def residual(k: int) -> np.ndarray:
        return _residual(_warp(_fine(usable[k]), warps[k]), template)

    directions = (
        np.random.default_rng(0)
        .standard_normal(((ROWS - 2 * _BORDER) * (COLUMNS - 2 * _BORDER), PROJECTION))
        .astype(np.float32)
    )
    projected = np.concatenate(
        [
            np.stack([residual(k) for k in range(start, min(start + _BLOCK, len(usable)))]) @ directions
            for start in range(0, len(usable), _BLOCK)
        ]
    )
    projected /= np.maximum(np.linalg.norm(projected, axis=1, keepdims=True), 1e-9)
    pairs = []
    cache: dict[int, np.ndarray] = {}
    for i, j in _candidates(projected, CANDIDATE):
        for k in (i, j):
            if k not in cache:
                cache[k] = residual(k)
        similarity = float(cache[i] @ cache[j])
        if similarity >= threshold:
            pairs.append((index[i], index[j], similarity))
    return SheetMatches(pairs, len(index), True)


def _bitmap(data: bytes) -> np.ndarray:
    """The bitmap of a print already known to be usable (unpacked on each use: a million of them would not fit)."""
    bitmap = unpack(data)
    if bitmap is None:
        raise ValueError("not a sheet print")
    return bitmap


def _fine(data: bytes) -> np.ndarray:
    """A print's bitmap, slightly blurred (so that a one-cell shift still correlates)."""
    blurred: np.ndarray = cv2.GaussianBlur(_bitmap(data), (0, 0), 1.0)
    return blurred


def _coarse(data: bytes) -> np.ndarray:
    """A print at half resolution, blurred: what registration works on."""
    half = cv2.resize(_bitmap(data), _HALF, interpolation=cv2.INTER_AREA)
    blurred: np.ndarray = cv2.GaussianBlur(half, (0, 0), 1.0)
    return blurred


def _form(sample: list[np.ndarray]) -> np.ndarray:
    """The common form at half resolution: the median of a sample, registered on a first median."""
    form = np.median(np.stack(sample), axis=0).astype(np.float32)
    registered = [_warp(c, _register(c, form), _HALF) for c in sample]
    result: np.ndarray = np.median(np.stack(registered), axis=0).astype(np.float32)
    return result


def _register(image: np.ndarray, form: np.ndarray) -> np.ndarray:
    """The homography (half resolution) that maps `form`'s pixels onto `image`'s; identity when ECC fails."""
    warp = np.eye(3, dtype=np.float32)
    try:
        # OpenCV's stubs allow no mask together with a filter size; the C++ API takes both (noArray(), 1)
        _, found = cv2.findTransformECC(  # type: ignore[call-overload]
            form, image, warp, cv2.MOTION_HOMOGRAPHY, _CRITERIA, None, 1
        )
    except cv2.error:
        return np.eye(3, dtype=np.float32)
    result: np.ndarray = found
    return result


def _warp(image: np.ndarray, warp: np.ndarray, size: tuple[int, int] = (COLUMNS, ROWS)) -> np.ndarray:
    """`image` resampled onto the form's grid (`warp` found at half resolution, scaled up for full size)."""
    if size != _HALF:
        warp = _UP @ warp @ _DOWN
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    out: np.ndarray = cv2.warpPerspective(image, warp, size, flags=flags, borderMode=cv2.BORDER_REPLICATE)
    return out


def _residual(registered: np.ndarray, template: np.ndarray) -> np.ndarray:
    """The print's own ink: minus the mean form, border dropped, centred and of unit length."""
    core = (registered - template)[_BORDER:-_BORDER, _BORDER:-_BORDER].ravel()
    core = core - core.mean()
    norm = float(np.linalg.norm(core))
    result: np.ndarray = core / norm if norm > 0 else core
    return result.astype(np.float32)


def _candidates(projected: np.ndarray, floor: float) -> Iterator[tuple[int, int]]:
    """Pairs (i < j) whose projected cosine is at least `floor`, by blocks of rows."""
    n = len(projected)
    for start in range(0, n, _BLOCK):
        block = projected[start : start + _BLOCK] @ projected[start:].T
        rows, cols = np.nonzero(block >= floor)
        for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
            i, j = start + r, start + c
            if i < j:
                yield i, j
