"""Light on the photographed strip: uneven illumination, a shadow edge, a hand's shadow, glare.

All fields are computed at 1/8 resolution and scaled up, as light varies
slowly. Effects are placed relative to a *target* quad in output pixels (the
QR code, or the figures when the sheet has none), so that the same draw hurts
the same part of a sheet whether or not it carries a code.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

#: Largest share of the results table a hand's shadow may darken: the figures must stay in view.
MAX_HAND_OVER_TABLE = 0.5
#: Smallest share of the strip a hand's shadow darkens (else it is no hazard).
MIN_HAND_OVER_STRIP = 0.05
_HAND_TRIES = 40


@dataclass(frozen=True)
class Light:
    """The lighting of one photo: the strengths a look drew (0 for an effect left out)."""

    shadow: float  # depth of a straight shadow edge across the target
    glare: float  # peak grey levels a specular highlight adds near the target
    hand: float  # depth of a hand's shadow entering from the frame's edge


def light(
    pixels: np.ndarray,
    target: np.ndarray,
    table: np.ndarray,
    strip: np.ndarray,
    lighting: Light,
    rng: np.random.Generator,
) -> np.ndarray:
    """`pixels` lit: a gradient, vignetting, then the look's shadow edge, hand and glare.

    `target`, `table` and `strip` are quads (4 x 2) in output pixels: where
    the effects aim, what a hand must leave mostly uncovered, and the whole strip.
    """
    height, width = pixels.shape[:2]
    small = (max(width // 8, 4), max(height // 8, 4))
    ys, xs = np.mgrid[0 : small[1], 0 : small[0]].astype(np.float32)
    xs, ys = xs / small[0] - 0.5, ys / small[1] - 0.5
    gradient = 1 + rng.uniform(-0.25, 0.25) * xs + rng.uniform(-0.25, 0.25) * ys
    field = gradient * (1 - rng.uniform(0.1, 0.45) * (xs**2 + ys**2) * 2) * rng.uniform(0.85, 1.05)
    centre = target.mean(axis=0) / [width, height] - 0.5
    span = _span(target, width)
    if lighting.shadow:
        # a straight penumbra through the target, soft over ~1/4 of its size
        direction = rng.uniform(0, 2 * np.pi)
        normal = np.array([np.cos(direction), np.sin(direction)])
        along = (xs - centre[0]) * normal[0] + (ys - centre[1]) * normal[1] + rng.uniform(-0.2, 0.2) * span
        softness = 0.15 * span
        field = field * (1 - lighting.shadow / (1 + np.exp(-along / max(softness, 1e-3))))
    if lighting.hand:
        field = field * (1 - lighting.hand * hand_shadow(small, target / 8, table / 8, strip / 8, rng))
    flat = pixels.reshape(height, -1)
    lit = cv2.multiply(flat, interleaved(to_uint8(field * 255), pixels), scale=1 / 255)
    if lighting.glare:
        spot = centre + rng.uniform(-0.5, 0.5, size=2) * span
        radius = span * rng.uniform(0.3, 0.8)
        blob = lighting.glare * np.exp(-((xs - spot[0]) ** 2 + (ys - spot[1]) ** 2) / (2 * radius**2))
        lit = cv2.add(lit, interleaved(to_uint8(blob), pixels))
    return lit.reshape(pixels.shape)


def hand_shadow(
    size: tuple[int, int], target: np.ndarray, table: np.ndarray, strip: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """A hand's soft shadow as a 0-1 field of `size` (width, height): an arm from one edge of the frame, a palm.

    The hand holding the phone (or flattening the strip) casts it: it enters
    from an edge of the frame, mostly the one nearest the target, and ends in
    a rounded blob near the target, with a wide penumbra. It darkens between
    5 % of the strip and half of the table (`target`, `table` and `strip`
    are quads in the field's pixels), drawn again until it does; on the rare
    strip where no draw fits it casts nothing.
    """
    width, height = size
    short = min(width, height)
    table_mask = _mask(size, table)
    strip_mask = _mask(size, strip)
    reach = float(np.linalg.norm(target[2] - target[0]))
    for _ in range(_HAND_TRIES):
        tip = target.mean(axis=0) + rng.uniform(-0.6, 0.6, size=2) * reach
        distances = np.array([tip[1], width - tip[0], height - tip[1], tip[0]])  # top, right, bottom, left
        edge = int(np.argmin(distances)) if rng.random() < 0.6 else int(rng.integers(0, 4))
        slide = rng.uniform(-0.25, 0.25) * (width if edge in (0, 2) else height)
        outside = 0.1 * short
        entry = {
            0: np.array([tip[0] + slide, -outside]),
            1: np.array([width + outside, tip[1] + slide]),
            2: np.array([tip[0] + slide, height + outside]),
            3: np.array([-outside, tip[1] + slide]),
        }[edge]
        angle = float(np.arctan2(*(tip - entry)[::-1]))
        arm = rng.uniform(0.12, 0.22) * short
        palm = arm * rng.uniform(1.1, 1.5)
        shape = np.zeros((height, width), dtype=np.float32)
        cv2.line(shape, _point(entry), _point(tip), 1.0, max(int(arm), 1), cv2.LINE_AA)
        axes = (max(int(palm), 1), max(int(palm * rng.uniform(0.6, 0.9)), 1))
        cv2.ellipse(shape, _point(tip), axes, float(np.degrees(angle)), 0, 360, 1.0, -1, cv2.LINE_AA)
        soft = cv2.GaussianBlur(shape, (0, 0), rng.uniform(0.04, 0.08) * short)
        dark = soft > 0.5
        over_table = (dark & table_mask).sum() / max(table_mask.sum(), 1)
        over_strip = (dark & strip_mask).sum() / max(strip_mask.sum(), 1)
        if over_table <= MAX_HAND_OVER_TABLE and over_strip >= MIN_HAND_OVER_STRIP:
            return soft
    return np.zeros((height, width), dtype=np.float32)


def to_uint8(field: np.ndarray) -> np.ndarray:
    clipped: np.ndarray = np.clip(field, 0, 255).astype(np.uint8)
    return clipped


def _mask(size: tuple[int, int], quad: np.ndarray) -> np.ndarray:
    mask = np.zeros((size[1], size[0]), dtype=np.uint8)
    cv2.fillConvexPoly(mask, np.round(quad).astype(np.int32), 1)
    return mask.astype(bool)


def _point(xy: np.ndarray) -> tuple[int, int]:
    return int(round(xy[0])), int(round(xy[1]))


def _span(quad: np.ndarray, width: int) -> float:
    """The quad's size as a fraction of the image width (fields are in image-relative units)."""
    return float(np.linalg.norm(quad[2] - quad[0]) / width)


def interleaved(field: np.ndarray, pixels: np.ndarray) -> np.ndarray:
    """A low-resolution uint8 field scaled to cover every channel of `pixels` seen as one 2-D array.

    Working on the (height, width * channels) view avoids splitting and merging
    channels, the slowest part of full-size colour arithmetic.
    """
    height = pixels.shape[0]
    return cv2.resize(field, (pixels[0].size, height), interpolation=cv2.INTER_LINEAR)
