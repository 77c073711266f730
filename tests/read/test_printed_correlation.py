"""The templates' correlation with a band, all at once, against OpenCV's one template at a time."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from testigo.read.printed.correlation import Correlator


def _opencv(band: np.ndarray, templates: np.ndarray) -> np.ndarray:
    return np.stack([cv2.matchTemplate(band, t, cv2.TM_CCOEFF_NORMED).max(axis=0) for t in templates])


@pytest.mark.parametrize("width", [60, 101, 104, 119])
def test_each_template_s_best_correlation_is_opencv_s_at_every_place(width: int) -> None:
    rng = np.random.default_rng(width)
    templates = rng.random((10, 32, 19)).astype(np.float32)
    band = np.zeros((38, width), np.float32)
    band[3:35, 4:-4] = rng.random((32, width - 8))
    band[:, width // 2 : width // 2 + 25] = 0.0  # a blank stretch: windows without contrast correlate 0
    # a glyph copied from a template, two rows down: its place correlates 1 with it
    band[5:37, 6:25] = templates[3]
    found = Correlator(templates).best_over_rows(band)
    assert found.shape == (10, width - 19 + 1)
    np.testing.assert_allclose(found, _opencv(band, templates), atol=1e-5)
    assert found[3, 6] == pytest.approx(1.0, abs=1e-6)
    # (the windows' sums of squares differ by rounding, not exactly 0)
    assert np.all(np.abs(found[:, width // 2 : width // 2 + 25 - 19 + 1]) < 1e-6)


def test_bands_of_several_widths_share_one_correlator() -> None:
    rng = np.random.default_rng(7)
    templates = rng.random((4, 32, 17)).astype(np.float32)
    correlator = Correlator(templates)
    for width in (60, 57, 64, 90, 60):
        band = rng.random((38, width)).astype(np.float32)
        np.testing.assert_allclose(correlator.best_over_rows(band), _opencv(band, templates), atol=1e-5)
