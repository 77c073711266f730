"""Convert the states shapefile into the small GeoJSON the web application ships (run once, by a maintainer).

    pip install pyshp==3.1.6
    python3 scripts/build_states_geojson.py ../shared/data/ve2024/geo/ve_adm1_states \
        src/testigo/web/data/ve2024_states.geojson

Each state keeps the registry's state id (matched by name without accents) so
the map joins the tallies directly; rings are simplified (Douglas-Peucker, about
a kilometre) and coordinates rounded to 3 decimals, and islands too small to
see at phone size are dropped. The shapefile is INE/OCHA 2021 (CC BY-IGO).
"""

from __future__ import annotations

import json
import sys
import unicodedata
from pathlib import Path

import shapefile  # pyshp, for this script only

from testigo.profiles import get_profile

#: Douglas-Peucker tolerance in degrees (~1.1 km at these latitudes).
TOLERANCE = 0.01
#: Rings whose bounding box is smaller than this (degrees²) are dropped, except a state's largest.
MIN_RING_AREA = 0.0004


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def simplify_ring(ring: list[tuple[float, float]], tolerance: float) -> list[tuple[float, float]]:
    """A closed ring simplified as two open lines split at the point farthest from its start."""
    x0, y0 = ring[0]
    far = max(range(len(ring)), key=lambda i: (ring[i][0] - x0) ** 2 + (ring[i][1] - y0) ** 2)
    return simplify(ring[: far + 1], tolerance)[:-1] + simplify(ring[far:], tolerance)


def simplify(points: list[tuple[float, float]], tolerance: float) -> list[tuple[float, float]]:
    """Douglas-Peucker on an open line (iterative, keeps both ends)."""
    if len(points) < 4:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (x1, y1), (x2, y2) = points[first], points[last]
        dx, dy = x2 - x1, y2 - y1
        norm = (dx * dx + dy * dy) ** 0.5 or 1e-12
        best, index = 0.0, -1
        for i in range(first + 1, last):
            x, y = points[i]
            distance = abs(dy * (x - x1) - dx * (y - y1)) / norm
            if distance > best:
                best, index = distance, i
        if index != -1 and best > tolerance:
            keep[index] = True
            stack += [(first, index), (index, last)]
    return [p for p, kept in zip(points, keep, strict=True) if kept]


def box_area(ring: list[tuple[float, float]]) -> float:
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    return (max(xs) - min(xs)) * (max(ys) - min(ys))


def rings_of(shape: shapefile.Shape) -> list[list[tuple[float, float]]]:
    starts = [*shape.parts, len(shape.points)]
    return [[(x, y) for x, y in shape.points[a:b]] for a, b in zip(starts, starts[1:], strict=False)]


def main(source: str, target: str) -> None:
    registry = get_profile("ve2024").load_registry()
    state_ids = {fold(a.name): a.id for a in registry.areas.values() if a.level == "state"}
    features = []
    reader = shapefile.Reader(source)
    for shape_record in reader.iterShapeRecords():
        name = shape_record.record["ADM1_ES"]
        rings = rings_of(shape_record.shape)
        largest = max(rings, key=box_area)
        polygons = []
        for ring in rings:
            if ring is not largest and box_area(ring) < MIN_RING_AREA:
                continue
            simple = [(round(x, 3), round(y, 3)) for x, y in simplify_ring(ring, TOLERANCE)]
            if len(simple) >= 4:
                polygons.append([[list(p) for p in simple]])
        features.append(
            {
                "type": "Feature",
                "properties": {"id": state_ids.get(fold(name)), "name": name},
                "geometry": {"type": "MultiPolygon", "coordinates": polygons},
            }
        )
    unmatched = sorted(set(state_ids.values()) - {f["properties"]["id"] for f in features})
    if unmatched:
        raise SystemExit(f"registry states without a shape: {unmatched}")
    data = {"type": "FeatureCollection", "source": "INE/OCHA 2021 (CC BY-IGO), simplified", "features": features}
    Path(target).write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {target}: {len(features)} states, {Path(target).stat().st_size:,} bytes")


if __name__ == "__main__":
    main(*sys.argv[1:3])
