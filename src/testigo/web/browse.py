"""The drill-down country → state → municipality → parish → center → mesa, shared by pages and the API.

Areas come from the registry (so an area without any acta yet is listed, with
no figures) and figures from the cached snapshot; the mesas of one center are
read from the database, since a center has a handful of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from testigo.domain import Area
from testigo.store import reviews
from testigo.store.workspace import Store
from testigo.tally import Coverage, TallyRow
from testigo.web.geo import PALETTE, Fill, choropleth
from testigo.web.results import CHILD_LEVEL, NATIONAL, Geography, Snapshot


@dataclass(frozen=True)
class ChildLine:
    """One row of an area's table: a sub-area or a mesa, with its figures if it has any acta."""

    id: str
    name: str
    level: str
    row: TallyRow | None
    mesas_registry: int | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "level": self.level,
            "mesas_registry": self.mesas_registry,
            "totals": self.row.to_json() if self.row else None,
        }


@dataclass(frozen=True)
class AreaPage:
    level: str
    area: Area | None
    trail: list[Area]
    row: TallyRow | None
    coverage: Coverage
    children: list[ChildLine]
    candidates: list[tuple[str, str]]
    """(key, name) of every candidate, most voted nationally first."""

    @property
    def names(self) -> dict[str, str]:
        return dict(self.candidates)

    @property
    def child_level(self) -> str:
        return CHILD_LEVEL[self.level]

    def to_json(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "id": self.area.id if self.area else NATIONAL,
            "name": self.area.name if self.area else None,
            "areas": [{"id": a.id, "level": a.level, "name": a.name} for a in self.trail],
            "totals": self.row.to_json() if self.row else None,
            "coverage": self.coverage.to_json(),
            "children": [c.to_json() for c in self.children],
            "candidate_names": dict(self.candidates),
        }


def area_page(store: Store, geography: Geography, snapshot: Snapshot, area_id: str | None) -> AreaPage | None:
    """The page of an area (None: the country); None if there is no such area."""
    national = snapshot.totals["country"]
    if area_id is None:
        level, area, trail = "country", None, []
        row = snapshot.national
        children = [_child(snapshot, a) for a in geography.children(NATIONAL)]
    else:
        area = geography.area(area_id)
        if area is None:
            return None
        level, trail, row = area.level, geography.trail(area_id), snapshot.row(area.level, area_id)
        if area.level == "center":
            children = _mesa_lines(store, geography, area_id)
        else:
            children = [_child(snapshot, a) for a in geography.children(area_id)]
    leaders = snapshot.national.candidates if snapshot.national else {}
    names = national.candidate_names
    candidates = sorted(names.items(), key=lambda kv: -leaders.get(kv[0], 0))
    return AreaPage(level, area, trail, row, national.coverage, children, candidates)


def _child(snapshot: Snapshot, area: Area) -> ChildLine:
    row = snapshot.row(area.level, area.id)
    return ChildLine(area.id, area.name, area.level, row, row.mesas_registry if row else None)


def _mesa_lines(store: Store, geography: Geography, center_id: str) -> list[ChildLine]:
    election = store.profile.election
    with store.sessions() as session:
        accepted = {r.mesa_id: r for r in reviews.accepted_of_center(session, center_id)}
    lines = []
    for mesa in geography.mesas(center_id):
        record = accepted.get(mesa.id)
        row = None
        if record is not None:
            cards = [int(v) for v in record.counts.split(",")]
            row = TallyRow(mesa.id, record.acta_id, 1, 1, election.per_candidate(cards), record.null_votes, cards)
        lines.append(ChildLine(mesa.id, f"{mesa.number:02d}", "mesa", row, 1))
    return lines


@dataclass(frozen=True)
class StateMap:
    """The choropleth and its legend: the colour of every candidate who leads at least one state."""

    svg: Markup
    legend: list[tuple[str, str]]


def state_map(
    snapshot: Snapshot, candidates: list[tuple[str, str]], href: Callable[[str], str], title: str
) -> StateMap:
    """Each state painted in its leading candidate's colour, deeper for a wider share."""
    colours = {key: PALETTE[i % len(PALETTE)] for i, (key, _) in enumerate(candidates)}
    names = dict(candidates)
    leaders: set[str] = set()

    def fill_of(state_id: str) -> Fill | None:
        row = snapshot.row("state", state_id)
        if row is None or not row.valid_votes:
            return None
        leader = max(row.candidates, key=lambda k: row.candidates[k])
        leaders.add(leader)
        share = row.shares[leader]
        opacity = min(1.0, max(0.3, (share - 0.3) / 0.5))
        label = f"{row.name}: {names[leader]} {share:.1%} · {row.actas}/{row.mesas_registry}"
        return Fill(colours[leader], opacity, label, href(state_id))

    svg = choropleth(fill_of, title)
    return StateMap(svg, [(names[key], colours[key]) for key, _ in candidates if key in leaders])
