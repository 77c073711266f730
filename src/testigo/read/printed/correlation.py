"""Normalised correlation of one band with a set of same-sized templates, all at once.

The font model (`testigo.read.printed.font`) compares every cell of a figure
with each of the sheet's ten digit templates, some 170 figures' bands a
sheet. ``cv2.matchTemplate`` does it one template at a time, transforming
the band and measuring its windows' statistics anew for each: 19 % of a
photo's cross-check went there (py-spy, 40 photos). Here the band's rows
are transformed once along the line, every template's rows once per band
width (and kept), the sums over a template's rows are one matrix product
per frequency, and the windows' statistics come from one integral image.
The figures are those of ``cv2.TM_CCOEFF_NORMED`` (to about 1e-6), its rule
for windows of no contrast included.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

#: Band widths are rounded up to a multiple of this for the transforms, so that the templates' spectra are
#: reused across figures of slightly different widths.
WIDTH_STEP = 8


class Correlator:
    """Ten (or any number of) templates of one shape, ready to be correlated with bands."""

    def __init__(self, templates: np.ndarray) -> None:
        """`templates`: (count, rows, columns)."""
        centred = templates.astype(np.float64) - templates.mean(axis=(1, 2), keepdims=True)
        self._centred = centred
        self._norms = np.sqrt((centred * centred).sum(axis=(1, 2)))
        self._spectra: dict[int, np.ndarray] = {}

    def best_over_rows(self, band: np.ndarray) -> np.ndarray:
        """(template, place) each template's best ``TM_CCOEFF_NORMED`` correlation with `band` over the vertical
        places, at each horizontal place of its left edge (``band.shape[1] - columns + 1`` of them)."""
        _, rows, columns = self._centred.shape
        width = band.shape[1]
        pixels = np.asarray(band, dtype=np.float64)
        length = -(-width // WIDTH_STEP) * WIDTH_STEP
        spectra = self._spectrum(length)
        along = np.fft.rfft(pixels, n=length, axis=1).T  # (frequency, band row)
        windows = sliding_window_view(along, rows, axis=1)  # (frequency, vertical place, template row)
        products = np.matmul(windows, spectra)  # (frequency, vertical place, template)
        sums = np.fft.irfft(products.transpose(2, 1, 0), n=length, axis=2)[:, :, : width - columns + 1]
        total, squares = cv2.integral2(pixels, sdepth=cv2.CV_64F, sqdepth=cv2.CV_64F)
        window_sum = _windows(total, rows, columns)
        spread = np.sqrt(np.maximum(_windows(squares, rows, columns) - window_sum * window_sum / (rows * columns), 0.0))
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = sums / (spread[None] * self._norms[:, None, None])
        # OpenCV's rule: a ratio a little past 1 (rounding) is 1; far past it, or of a window without contrast, 0
        result = np.where(np.abs(ratio) < 1.125, np.clip(ratio, -1.0, 1.0), 0.0)
        best: np.ndarray = result.max(axis=1)
        return best

    def _spectrum(self, length: int) -> np.ndarray:
        """(frequency, template row, template) the templates' rows' conjugate spectra at transform `length`."""
        if length not in self._spectra:
            spectra = np.fft.rfft(self._centred, n=length, axis=2).conj()
            self._spectra[length] = np.ascontiguousarray(spectra.transpose(2, 1, 0))
        return self._spectra[length]


def _windows(integral: np.ndarray, rows: int, columns: int) -> np.ndarray:
    """The sums over every `rows` by `columns` window, from an integral image (one row and column of zeros first)."""
    below, above = integral[rows:], integral[:-rows]
    sums: np.ndarray = below[:, columns:] - above[:, columns:] - below[:, :-columns] + above[:, :-columns]
    return sums
