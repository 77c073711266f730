"""The drill-down country → state → municipality → parish → center → mesa, shared by pages and the API.

Areas come from the registry (so an area without any acta yet is listed, with
no figures) and figures from the cached snapshot; the mesas of one center are
read from the database, since a center has a handful of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from markupsafe import Markup

from testigo.domain import Area
from testigo.store import reviews
from testigo.store.workspace import Store
from testigo.tally import Coverage, TallyRow
from testigo.tally.bounds import AreaBounds
from testigo.web.geo import PALETTE, Fill, choropleth
from testigo.web.problems import Problem
from testigo.web.results import CHILD_LEVEL, NATIONAL, AreaCoverage, PublicResults, Snapshot


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
class Status:
    """What a page leads with, before any vote share: how much is covered, as of when, and what is not counted yet.

    `area` is this area's coverage (mesas and registered voters, of the
    registry); `mesas_national` the country's official count of mesas (the
    second denominator, national page only). `conflicts` are this area's
    mesas with an undecided conflict; `awaiting_transcription`,
    `awaiting_finding` (sheets whose print differs from their code, waiting
    for a reviewer) and `being_read` are counted for the whole country, since
    the mesa of a sheet nobody could read yet is not known. `sources` counts the area's counted
    mesas by where their figures come from: ``image`` (a photo read by its
    QR code), ``print`` (a photo without a code, read from its print),
    ``manual`` (typed by two reviewers), ``manual_print`` (typed by one
    reviewer exactly as the machine read the print), ``import`` (a table).
    """

    area: AreaCoverage
    mesas_national: int | None
    as_of: datetime
    conflicts: int
    awaiting_transcription: int
    awaiting_finding: int
    being_read: int
    sources: dict[str, int]

    @property
    def national_share(self) -> float | None:
        return self.area.mesas_covered / self.mesas_national if self.mesas_national else None

    @property
    def low(self) -> bool:
        """Under half of the mesas: the shares are not the area's result, and the page says so loudly."""
        return self.area.mesa_share < 0.5

    def to_json(self) -> dict[str, Any]:
        return {
            **self.area.to_json(),
            "mesas_national": self.mesas_national,
            "share_of_national": round(self.national_share, 6) if self.national_share is not None else None,
            "as_of": self.as_of.isoformat(timespec="seconds"),
            "conflicts": self.conflicts,
            "awaiting_transcription": self.awaiting_transcription,
            "awaiting_finding": self.awaiting_finding,
            "being_read": self.being_read,
            "sources": self.sources,
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
    status: Status
    bounds: AreaBounds | None
    """What the area's missing mesas could change (`testigo.tally.bounds`); None for an area without mesas."""
    contest: str = ""
    """The contest shown (``""``: the one contest of a one-contest format)."""
    contests: tuple[tuple[str, str], ...] = ()
    """(key, name) of every contest, for the selector; empty for a one-contest format."""

    @property
    def names(self) -> dict[str, str]:
        return dict(self.candidates)

    @property
    def contest_name(self) -> str:
        return dict(self.contests).get(self.contest, self.contest)

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
            "status": self.status.to_json(),
            "bounds": self.bounds.to_json() if self.bounds else None,
            "children": [c.to_json() for c in self.children],
            "candidate_names": dict(self.candidates),
            **({"contest": self.contest} if self.contest else {}),
        }


def contest_snapshot(results: PublicResults, contest: str | None) -> Snapshot:
    """The results of `contest` (None or empty: the first), or a 404 naming it when the workspace has no such
    contest."""
    results.current()  # the contests other processes' uploads added, as of the latest refresh
    try:
        return results.current(contest or None)
    except KeyError:
        raise Problem(404, "err_no_contest", contest=contest) from None


def area_page(store: Store, snapshot: Snapshot, area_id: str | None) -> AreaPage | None:
    """The page of an area (None: the country, or a contest's whole constituency) in the contest of
    `snapshot`, as of it; None if there is no such area (or it lies outside the contest's constituency)."""
    geography = snapshot.geography
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
            children = _mesa_lines(store, snapshot, area_id)
        else:
            children = [_child(snapshot, a) for a in geography.children(area_id)]
    leaders = snapshot.national.candidates if snapshot.national else {}
    names = national.candidate_names
    candidates = sorted(names.items(), key=lambda kv: -leaders.get(kv[0], 0))
    key = area_id or NATIONAL
    status = Status(
        snapshot.coverage.get(key, AreaCoverage(0, 0, 0, 0)),
        national.coverage.mesas_national if area_id is None else None,
        snapshot.as_of,
        snapshot.conflicts.get(key, 0),
        snapshot.work.awaiting_transcription,
        snapshot.work.awaiting_finding,
        snapshot.work.being_read,
        snapshot.sources.get(key, {}),
    )
    bound = snapshot.bounds.get(key)
    contests = tuple(store.profile.contests().items()) if snapshot.contest else ()
    return AreaPage(
        level, area, trail, row, national.coverage, children, candidates, status, bound, snapshot.contest, contests
    )


def _child(snapshot: Snapshot, area: Area) -> ChildLine:
    row = snapshot.row(area.level, area.id)
    return ChildLine(area.id, area.name, area.level, row, row.mesas_registry if row else None)


def _mesa_lines(store: Store, snapshot: Snapshot, center_id: str) -> list[ChildLine]:
    election = snapshot.election
    with store.sessions() as session:
        accepted = {r.mesa_id: r for r in reviews.accepted_of_center(session, center_id, snapshot.contest)}
    lines = []
    for mesa in snapshot.geography.mesas(center_id):
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


#: Coverage bands of the coverage map: (lower bound of the share of mesas, opacity of the one colour).
COVERAGE_BANDS = ((0.8, 1.0), (0.6, 0.8), (0.4, 0.6), (0.2, 0.4), (0.0, 0.2))
COVERAGE_COLOUR = "#0b6e4f"


def coverage_map(
    snapshot: Snapshot, href: Callable[[str], str], title: str, label: Callable[[str, float, int, int], str]
) -> StateMap:
    """Each state shaded by the share of its mesas whose acta is counted, in five bands of one colour, so a
    reader sees where the result comes from before reading who leads; `label(name, share, covered, mesas)`
    is a state's tooltip."""

    def fill_of(state_id: str) -> Fill | None:
        found = snapshot.coverage.get(state_id)
        if found is None or not found.mesas_covered:
            return None
        share = found.mesa_share
        opacity = next(o for bound, o in COVERAGE_BANDS if share >= bound)
        name = snapshot.registry.areas[state_id].name
        text = label(name, share, found.mesas_covered, found.mesas_registry)
        return Fill(_blend(COVERAGE_COLOUR, opacity), 1.0, text, href(state_id))

    legend = [
        (f"{int(bound * 100)}–{int(bound * 100) + 20} %", _blend(COVERAGE_COLOUR, o)) for bound, o in COVERAGE_BANDS
    ]
    return StateMap(choropleth(fill_of, title), legend)


def _blend(colour: str, opacity: float) -> str:
    """`colour` at `opacity` over white, as one opaque colour (so the legend shows exactly the map's shades)."""
    channels = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(255 - (255 - c) * opacity):02x}" for c in channels)
