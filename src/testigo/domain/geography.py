"""The registry: the geography of an election down to each mesa (polling table)."""

from __future__ import annotations

from dataclasses import dataclass, field

#: Levels of the geography from the largest to the smallest. `country` has one area.
LEVELS: tuple[str, ...] = ("country", "state", "municipality", "parish", "center", "mesa")


@dataclass(frozen=True)
class Area:
    """A geographic unit above the mesa (state, municipality, parish or center).

    `registered` is only set where the source gives a figure for the whole area
    (for ve2024: centers), since summing known mesas would undercount areas whose
    mesas are not all in the registry.
    """

    id: str
    level: str
    name: str
    parent_id: str | None
    registered: int | None = None


@dataclass(frozen=True)
class Mesa:
    """A polling table. `id` is the registry key (ve2024: `<center code>.<mesa 2 digits>`)."""

    id: str
    center_id: str
    number: int
    registered: int | None


@dataclass
class Registry:
    """All areas and mesas known for an election, plus the national figures.

    `mesas_national` / `centers_national` are the official counts of the whole
    country, which can exceed what the registry knows (coverage is reported
    against both). `registered_national` is the official roll of voters of the
    contest: the only bound on the voters of mesas the registry does not list
    (`testigo.tally.bounds`).
    """

    areas: dict[str, Area] = field(default_factory=dict)
    mesas: dict[str, Mesa] = field(default_factory=dict)
    mesas_national: int | None = None
    centers_national: int | None = None
    registered_national: int | None = None

    def copy(self) -> Registry:
        """A copy whose dictionaries another thread may go on growing the original's beside (each copied at once)."""
        return Registry(
            dict(self.areas), dict(self.mesas), self.mesas_national, self.centers_national, self.registered_national
        )

    def ancestors(self, area_id: str) -> list[Area]:
        """The chain of areas from `area_id` up to the largest (state)."""
        chain = []
        current: str | None = area_id
        while current is not None:
            area = self.areas[current]
            chain.append(area)
            current = area.parent_id
        return chain

    def area_of(self, mesa: Mesa, level: str) -> str:
        """The id of the area at `level` that contains `mesa` ('' for country)."""
        if level == "country":
            return ""
        if level == "mesa":
            return mesa.id
        for area in self.ancestors(mesa.center_id):
            if area.level == level:
                return area.id
        raise KeyError(f"mesa {mesa.id} has no area at level {level!r}")

    def within(self, area_id: str) -> Registry:
        """The part of the registry inside area `area_id` (itself and its ancestors included, so that every
        level still names its area): what a contest voted in one constituency is counted against.

        The national figures are the whole country's, so they are left out.
        """
        inside = {a.id for a in self.areas.values() if area_id in (x.id for x in self.ancestors(a.id))}
        kept = inside | {a.id for a in self.ancestors(area_id)}
        return Registry(
            areas={k: a for k, a in self.areas.items() if k in kept},
            mesas={k: m for k, m in self.mesas.items() if m.center_id in inside},
        )

    def center_registered(self, center_id: str) -> int | None:
        """Registered voters of a center: the center's own figure, else None."""
        area = self.areas.get(center_id)
        return area.registered if area else None
