"""Where the strip lands in a photo or scan: homographies from strip pixels to output pixels.

Every transform the degradation applies is a known 3x3 homography, composed
here, so the output's geometry is computed rather than detected: the QR's
corners, any printed figure's box, and a side margin left out of the frame
(cut exactly on the paper's blank edge, never through a figure).
"""

from __future__ import annotations

import cv2
import numpy as np

#: A side margin is cut only when the strip lies within this angle of the frame's axes.
_MAX_CUT_TURN_DEG = 12.0


def pose(shape: tuple[int, ...], tilt_deg: float, rng: np.random.Generator) -> np.ndarray:
    """Homography of a camera looking at the strip: in-plane rotation, then a tilted view.

    Mostly the strip is photographed along the frame (0/90/180/270 degrees plus
    a little), sometimes lying at any angle. The tilt is a real 3-D rotation
    seen through a pinhole at 1-1.6 strip lengths, so the far end shrinks and
    foreshortens as in a photo, not as an arbitrary corner jitter would.
    """
    height, width = shape[:2]
    if rng.random() < 0.85:
        spin = 90 * int(rng.integers(0, 4)) + rng.normal(0, 4)
    else:
        spin = rng.uniform(0, 360)
    axis_angle = rng.uniform(0, 2 * np.pi)
    axis = np.array([np.cos(axis_angle), np.sin(axis_angle), 0.0])
    rotation = _rodrigues(axis, np.radians(tilt_deg)) @ _rodrigues(np.array([0.0, 0.0, 1.0]), np.radians(spin))
    distance = max(height, width) * rng.uniform(1.0, 1.6)
    source = strip_corners(shape)
    centred = np.hstack([source - [width / 2, height / 2], np.zeros((4, 1))])
    camera = centred @ rotation.T + [0, 0, distance]
    projected = camera[:, :2] / camera[:, 2:] * distance
    return cv2.getPerspectiveTransform(source.astype(np.float32), projected.astype(np.float32)).astype(np.float64)


def frame(
    posed: np.ndarray,
    shape: tuple[int, ...],
    long_side: tuple[int, int],
    rng: np.random.Generator,
    cut_x: float | None = None,
) -> tuple[np.ndarray, tuple[int, int], bool]:
    """Choose a 4:3 frame around the posed strip; returns the final homography, (width, height) and whether it cut.

    The strip fills 50-95 % of the frame when the allowed resolution range
    permits; otherwise the frame is clamped and the strip fills more or less.
    A strip too big for the largest frame is shrunk (its modules with it).

    `cut_x` (strip pixels) asks for the strip's paper beyond the vertical line
    x = cut_x (on the side of the nearer edge) to be left out: the view is
    turned by at most 12 degrees so that the line runs along the frame, and
    the frame's border is put on it. A strip lying at a steeper angle is
    framed whole.
    """
    height, width = shape[:2]
    kept = strip_corners(shape)
    line: tuple[int, float, bool] | None = None  # (axis, position, kept part beyond it) in posed pixels
    if cut_x is not None:
        aligned = _align_cut(posed, shape, cut_x)
        if aligned is not None:
            posed = aligned
            keep_right = cut_x < width / 2
            kept = np.array(
                [[cut_x, 0], [width, 0], [width, height], [cut_x, height]]
                if keep_right
                else [[0, 0], [cut_x, 0], [cut_x, height], [0, height]],
                dtype=np.float64,
            )
            ends = apply(posed, np.array([[cut_x, 0], [cut_x, height]], dtype=np.float64))
            axis = 0 if abs(ends[1, 0] - ends[0, 0]) < abs(ends[1, 1] - ends[0, 1]) else 1
            centre = apply(posed, kept.mean(axis=0, keepdims=True))[0]
            position = float(ends[:, axis].mean())
            line = (axis, position, bool(centre[axis] > position))
    corners = apply(posed, kept)
    lo, hi = corners.min(axis=0), corners.max(axis=0)
    if line is not None:  # the cut line is the kept part's extent on its side
        axis, position, beyond = line
        lo[axis], hi[axis] = (position, hi[axis]) if beyond else (lo[axis], position)
    extent = hi - lo
    portrait = extent[1] >= extent[0]
    needed = max(extent[1], extent[0] * 4 / 3) if portrait else max(extent[0], extent[1] * 4 / 3)
    if needed > 0.97 * long_side[1]:
        return frame(scaling(0.97 * long_side[1] / needed) @ posed, shape, long_side, rng, cut_x)
    long = int(np.clip(needed / rng.uniform(0.5, 0.95), *long_side))
    short = long * 3 // 4
    size = (short, long) if portrait else (long, short)
    slack = np.array(size) - extent
    offset = rng.uniform(0.1, 0.9, size=2) * slack - lo
    if line is not None:
        axis, position, beyond = line
        offset[axis] = -position if beyond else size[axis] - position
    return translation(offset) @ posed, size, line is not None


def _align_cut(posed: np.ndarray, shape: tuple[int, ...], cut_x: float) -> np.ndarray | None:
    """`posed` turned about the origin so the strip's line x = cut_x runs along an axis; None past 12 degrees."""
    ends = apply(posed, np.array([[cut_x, 0], [cut_x, shape[0]]], dtype=np.float64))
    direction = ends[1] - ends[0]
    angle = np.arctan2(direction[1], direction[0])
    turn = np.round(angle / (np.pi / 2)) * (np.pi / 2) - angle
    if abs(np.degrees(turn)) > _MAX_CUT_TURN_DEG:
        return None
    cos, sin = np.cos(turn), np.sin(turn)
    rotation = np.array([[cos, -sin, 0.0], [sin, cos, 0.0], [0.0, 0.0, 1.0]])
    aligned: np.ndarray = rotation @ posed
    return aligned


def similarity(shape: tuple[int, ...], scale: float, angle_deg: float) -> np.ndarray:
    height, width = shape[:2]
    affine = cv2.getRotationMatrix2D((width / 2, height / 2), angle_deg, scale)
    return np.vstack([affine, [0, 0, 1]])


def mean_scale(matrix: np.ndarray, shape: tuple[int, ...]) -> float:
    """How much the strip shrinks on average: output area over input area, square-rooted."""
    corners = apply(matrix, strip_corners(shape)).astype(np.float32)
    return float(np.sqrt(cv2.contourArea(corners) / (shape[0] * shape[1])))


def strip_corners(shape: tuple[int, ...]) -> np.ndarray:
    height, width = shape[:2]
    return box_corners((0, 0, width, height))


def box_corners(box: tuple[float, float, float, float]) -> np.ndarray:
    """A box (x0, y0, x1, y1) as its corners: top-left, top-right, bottom-right, bottom-left."""
    x0, y0, x1, y1 = box
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float64)


def apply(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    homogeneous = np.hstack([points, np.ones((len(points), 1))]) @ matrix.T
    points_out: np.ndarray = homogeneous[:, :2] / homogeneous[:, 2:]
    return points_out


def local_scale(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    """How much `matrix` shrinks a small neighbourhood of each point in its most shrunk direction.

    The smallest singular value of the homography's Jacobian at each point:
    what perspective leaves of a figure's stroke, wherever the figure lies.
    """
    homogeneous = np.hstack([points, np.ones((len(points), 1))]) @ matrix.T
    u, v, w = homogeneous[:, 0], homogeneous[:, 1], homogeneous[:, 2]
    jacobians = np.empty((len(points), 2, 2))
    jacobians[:, 0, 0] = (matrix[0, 0] * w - u * matrix[2, 0]) / w**2
    jacobians[:, 0, 1] = (matrix[0, 1] * w - u * matrix[2, 1]) / w**2
    jacobians[:, 1, 0] = (matrix[1, 0] * w - v * matrix[2, 0]) / w**2
    jacobians[:, 1, 1] = (matrix[1, 1] * w - v * matrix[2, 1]) / w**2
    smallest: np.ndarray = np.linalg.svd(jacobians, compute_uv=False)[:, -1]
    return smallest


def scaling(factor: float) -> np.ndarray:
    return np.diag([factor, factor, 1.0])


def translation(offset: np.ndarray) -> np.ndarray:
    return np.array([[1, 0, offset[0]], [0, 1, offset[1]], [0, 0, 1]], dtype=np.float64)


def _rodrigues(axis: np.ndarray, angle: float) -> np.ndarray:
    rotation, _ = cv2.Rodrigues(axis * angle)
    return rotation
