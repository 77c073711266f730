"""Surfaces an acta is photographed on: wooden tables, desks, plastic tablecloths, a dark counter.

A textured, coloured background matters to a reader: it must find the strip
on it, and a gingham cloth or wood grain offers edges and stripes that a
plain grey never would.
"""

from __future__ import annotations

import cv2
import numpy as np

from testigo.simulate.lighting import to_uint8

#: Surfaces actas were photographed on: wooden tables, desks, plastic tablecloths, a dark counter.
_WOODS = ((150, 108, 70), (110, 72, 45), (175, 140, 100))
_PLAINS = ((205, 200, 190), (130, 130, 128), (40, 40, 45), (225, 225, 220))
_CLOTHS = ((170, 40, 35), (40, 70, 140), (60, 110, 70))


def surface(size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """A wooden table (grain), a plain desk (blotches) or a gingham tablecloth, built at 1/8 size."""
    width, height = size
    small = (max(width // 8, 8), max(height // 8, 8))
    blotches = cv2.resize(rng.standard_normal((6, 8)).astype(np.float32), small, interpolation=cv2.INTER_CUBIC)
    kind = rng.choice(["wood", "plain", "cloth"], p=[0.45, 0.35, 0.2])
    shade: np.ndarray
    if kind == "wood":
        colour = _WOODS[int(rng.integers(0, len(_WOODS)))]
        # grain: noise stretched along one axis, boards of slightly different tone
        grain = cv2.resize(
            rng.standard_normal((small[1] // 2, 6)).astype(np.float32), small, interpolation=cv2.INTER_CUBIC
        )
        boards = np.repeat(rng.uniform(-0.08, 0.08, size=small[0] // 60 + 1), 60)[: small[0]]
        shade = 1 + 0.04 * blotches + rng.uniform(0.05, 0.1) * grain + boards[None, :]
        shade = shade if rng.random() < 0.5 else cv2.resize(shade.T, small)
    elif kind == "plain":
        colour = _PLAINS[int(rng.integers(0, len(_PLAINS)))]
        shade = 1 + 0.05 * blotches
    else:
        colour = _CLOTHS[int(rng.integers(0, len(_CLOTHS)))]
        period = rng.uniform(4, 10)  # in 1/8-size pixels: 30-80 px squares in the photo
        ys, xs = np.mgrid[0 : small[1], 0 : small[0]].astype(np.float32)
        stripes = (np.sin(xs * np.pi / period) > 0).astype(np.float32) + (np.sin(ys * np.pi / period) > 0)
        # gingham: white where both stripe sets are off, colour where both are on, a blend elsewhere
        tone = 1.0 - stripes / 2
        shade = 1 + 0.04 * blotches
        texture = shade[..., None] * (tone[..., None] * np.array([235, 232, 228]) + (1 - tone[..., None]) * colour)
        return cv2.resize(to_uint8(texture), size, interpolation=cv2.INTER_LINEAR)
    texture = shade[..., None] * np.array(colour, dtype=np.float32) * rng.uniform(0.85, 1.1)
    return cv2.resize(to_uint8(texture), size, interpolation=cv2.INTER_LINEAR)
