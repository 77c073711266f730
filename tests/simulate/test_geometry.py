"""Homographies and light: a cut margin lands on the frame's border, a hand never hides the whole table."""

from __future__ import annotations

import numpy as np
import pytest

from testigo.simulate import geometry
from testigo.simulate.lighting import MAX_HAND_OVER_TABLE, MIN_HAND_OVER_STRIP, hand_shadow

SHAPE = (3000, 640)  # a strip: height, width


@pytest.mark.parametrize("seed", range(12))
def test_a_cut_frame_borders_the_cut_line_and_holds_the_rest(seed: int) -> None:
    rng = np.random.default_rng(seed)
    posed = geometry.scaling(0.5) @ geometry.pose(SHAPE, rng.uniform(0, 30), rng)
    cut_x = 20.0 if seed % 2 else SHAPE[1] - 20.0
    matrix, (width, height), cut = geometry.frame(posed, SHAPE, (1000, 4000), rng, cut_x)
    if not cut:  # the strip lay too far off the frame's axes
        return
    line = geometry.apply(matrix, np.array([[cut_x, 0.0], [cut_x, SHAPE[0]]]))
    on_border = [np.allclose(line[:, 0], 0), np.allclose(line[:, 0], width)]
    on_border += [np.allclose(line[:, 1], 0), np.allclose(line[:, 1], height)]
    assert any(on_border), line
    kept_x = (cut_x + 1, SHAPE[1]) if seed % 2 else (0, cut_x - 1)
    kept = geometry.apply(matrix, geometry.box_corners((kept_x[0], 0, kept_x[1], SHAPE[0])))
    assert (kept >= -1e-6).all() and (kept[:, 0] <= width + 1e-6).all() and (kept[:, 1] <= height + 1e-6).all()
    edge = geometry.apply(matrix, np.array([[0.0 if seed % 2 else SHAPE[1], SHAPE[0] / 2]]))[0]
    assert not (0 <= edge[0] <= width and 0 <= edge[1] <= height), "the paper's edge is out of the frame"


def test_most_frames_cut_when_asked() -> None:
    cuts = 0
    for seed in range(40):
        rng = np.random.default_rng(seed)
        posed = geometry.pose(SHAPE, 10, rng)
        cuts += geometry.frame(posed, SHAPE, (1000, 4000), rng, 20.0)[2]
    assert cuts >= 30, "only a strip lying askew in the frame (about 1 in 7) keeps its margin"


def test_local_scale_is_the_smallest_stretch_of_the_jacobian() -> None:
    rng = np.random.default_rng(3)
    matrix = geometry.pose(SHAPE, 35, rng)
    point = np.array([[300.0, 2000.0]])
    step = 1e-3
    jacobian = np.stack(
        [
            (geometry.apply(matrix, point + [step, 0]) - geometry.apply(matrix, point - [step, 0]))[0] / (2 * step),
            (geometry.apply(matrix, point + [0, step]) - geometry.apply(matrix, point - [0, step]))[0] / (2 * step),
        ],
        axis=1,
    )
    assert geometry.local_scale(matrix, point)[0] == pytest.approx(np.linalg.svd(jacobian)[1][-1], rel=1e-5)


@pytest.mark.parametrize("seed", range(20))
def test_a_hand_darkens_part_of_the_strip_never_most_of_the_table(seed: int) -> None:
    rng = np.random.default_rng(seed)
    size = (400, 300)
    strip = np.array([[150, 20], [230, 20], [230, 290], [150, 290]], dtype=np.float64)
    table = np.array([[150, 60], [230, 60], [230, 180], [150, 180]], dtype=np.float64)
    target = np.array([[170, 230], [210, 230], [210, 270], [170, 270]], dtype=np.float64)
    shadow = hand_shadow(size, target, table, strip, rng)
    assert shadow.shape == (300, 400) and 0 <= shadow.min() and shadow.max() <= 1
    dark = shadow > 0.5
    table_mask = np.zeros_like(dark)
    table_mask[60:180, 150:230] = True
    strip_mask = np.zeros_like(dark)
    strip_mask[20:290, 150:230] = True
    assert (dark & table_mask).sum() / table_mask.sum() <= MAX_HAND_OVER_TABLE + 0.02
    assert (dark & strip_mask).sum() / strip_mask.sum() >= MIN_HAND_OVER_STRIP - 0.02
