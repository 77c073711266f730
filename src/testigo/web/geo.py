"""The choropleth map of states, drawn on the server as inline SVG.

Server-drawn on purpose: the map must show on a cheap phone with scripts off
or still loading, weigh a few kilobytes, and be cached with the page. Shapes
come from the simplified GeoJSON shipped with the package
(``scripts/build_states_geojson.py``); each state is a link to its page, with
its figures in a ``<title>`` tooltip. The drawing is a ``role="group"``, not
``role="img"``: an image's content is hidden from screen readers, and with it
the links to the states.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Collection
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from markupsafe import Markup, escape

SHAPES_FILE = Path(__file__).parent / "data" / "ve2024_states.geojson"
#: Drawing width in SVG units; the height follows the country's shape.
WIDTH = 600.0
#: One colour per candidate, most voted nationally first (cycled if there are more).
PALETTE = ("#1f5fa8", "#c0392b", "#8e44ad", "#16a085", "#d35400", "#2c3e50", "#27ae60", "#7f8c8d", "#b7950b", "#6d4c41")
NO_DATA = "#e3e6ea"


@dataclass(frozen=True)
class StateShape:
    state_id: str | None
    name: str
    path: str


@dataclass(frozen=True)
class Fill:
    """How one state is painted: its colour, its opacity and the tooltip text."""

    colour: str
    opacity: float
    label: str
    href: str | None


@cache
def shapes() -> tuple[tuple[StateShape, ...], float]:
    """The projected state outlines and the drawing height (equirectangular, scaled by the mean latitude)."""
    data = json.loads(SHAPES_FILE.read_text(encoding="utf-8"))
    points = [p for f in data["features"] for poly in f["geometry"]["coordinates"] for ring in poly for p in ring]
    min_x, max_x = min(p[0] for p in points), max(p[0] for p in points)
    min_y, max_y = min(p[1] for p in points), max(p[1] for p in points)
    aspect = math.cos(math.radians((min_y + max_y) / 2))
    scale = WIDTH / ((max_x - min_x) * aspect)
    height = (max_y - min_y) * scale

    def project(lon: float, lat: float) -> str:
        return f"{(lon - min_x) * aspect * scale:.1f},{(max_y - lat) * scale:.1f}"

    outlines = []
    for feature in data["features"]:
        rings = [ring for poly in feature["geometry"]["coordinates"] for ring in poly]
        path = "".join("M" + "L".join(project(*p) for p in ring) + "Z" for ring in rings)
        outlines.append(StateShape(feature["properties"]["id"], feature["properties"]["name"], path))
    return tuple(outlines), height


def maps_any_of(state_ids: Collection[str]) -> bool:
    """Whether the map draws any of these states: a registry of another country (a Brazilian workspace, a
    generic one) gets no map of Venezuela."""
    return any(shape.state_id in state_ids for shape in shapes()[0] if shape.state_id)


def choropleth(fill_of: Callable[[str], Fill | None], title: str) -> Markup:
    """The map as SVG markup; `fill_of(state id)` paints each state (None: no data)."""
    outlines, height = shapes()
    parts = [
        f'<svg class="map" viewBox="0 0 {WIDTH:.0f} {height:.0f}" role="group" aria-label="{escape(title)}" '
        'xmlns="http://www.w3.org/2000/svg">'
    ]
    for shape in outlines:
        fill = fill_of(shape.state_id) if shape.state_id else None
        colour, opacity = (fill.colour, fill.opacity) if fill else (NO_DATA, 1.0)
        label = fill.label if fill else shape.name
        body = (
            f'<path d="{shape.path}" fill="{colour}" fill-opacity="{opacity:.2f}"><title>{escape(label)}</title></path>'
        )
        if fill and fill.href:
            body = f'<a href="{escape(fill.href)}">{body}</a>'
        parts.append(body)
    parts.append("</svg>")
    return Markup("".join(parts))
