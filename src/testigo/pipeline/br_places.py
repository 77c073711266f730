"""`testigo registry import` for profile br: names of places and the registry of sections, from the TSE's table.

A workspace of profile br builds its geography from the BUs themselves
(`testigo.profiles.br.section_places`): sections, zones, municipalities and
polling places named by their codes, and only the sections a BU came from.
The TSE publishes, for each election, a table of every section with its
municipality's and polling place's names and its voters
(``eleitorado_local_votacao_<year>.csv``: ``;``-separated, Latin-1). Imported,

- **names**: municipalities (``NM_MUNICIPIO``) and polling places
  (``NM_LOCAL_VOTACAO``) are named as the TSE names them, wherever they
  appear (tallies, pages, coverage);
- **registry**: every section of the table joins the registry, with its
  polling place, zone and municipality, so coverage counts the sections seen
  against all of them, not only against those a BU came from.

Decisions: columns are found by the TSE's names (`COLUMNS`; case and spaces
ignored), the text read as Latin-1 unless it is UTF-8 or `--encoding` says
otherwise; ``SG_UF``, ``CD_MUNICIPIO``, ``NR_ZONA`` and ``NR_SECAO`` are
required, names, ``NR_LOCAL_VOTACAO`` and the voters (the first of
`VOTER_COLUMNS` present) optional. A section keeps the place and voters it
was first given: a section a BU came from keeps its polling place and its
eligible voters (signed figures), and a row that places it elsewhere is
reported, not applied; a section the table added first keeps the table's
place when its BU comes. A row repeated (the table has one per section and
round in some years) is applied once; one that places the section elsewhere
is reported. Names come only from the table, never
from a BU, so importing a corrected table renames.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from testigo.domain import Area, Mesa
from testigo.errors import UserError
from testigo.pipeline.table_file import read_table, whole_number
from testigo.profiles.br import Brazil, place_ids
from testigo.store.schema import AreaRow, MesaRow
from testigo.store.workspace import Store, add_to_registry

#: The TSE's column names this reads (the table has many more, left alone).
COLUMNS = ("SG_UF", "CD_MUNICIPIO", "NM_MUNICIPIO", "NR_ZONA", "NR_SECAO", "NR_LOCAL_VOTACAO", "NM_LOCAL_VOTACAO")
#: Columns that may hold a section's voters, in the order they are looked for (the TSE's tables differ by year).
VOTER_COLUMNS = ("QT_ELEITOR_SECAO", "QT_ELEITOR", "QT_ELEITORES", "QT_APTOS")
_REQUIRED = ("SG_UF", "CD_MUNICIPIO", "NR_ZONA", "NR_SECAO")


@dataclass
class PlacesReport:
    """What one imported table of sections changed."""

    file: str
    encoding: str
    rows: int = 0
    sections_added: int = 0
    sections_known: int = 0
    places_named: int = 0
    problems: list[tuple[int, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "encoding": self.encoding,
            "rows": self.rows,
            "sections_added": self.sections_added,
            "sections_known": self.sections_known,
            "places_named": self.places_named,
            "problems": [{"row": line, "reason": reason} for line, reason in self.problems],
        }


@dataclass(frozen=True)
class _Row:
    line: int
    areas: list[Area]
    mesa: Mesa
    names: dict[str, str]  # area id → the name the table gives it


def import_places(store: Store, path: Path, encoding: str | None = None) -> PlacesReport:
    """Import the TSE's table of sections into a workspace of profile br (see the module's docstring)."""
    if not isinstance(store.profile, Brazil):
        raise UserError(f"a table of sections is imported into a workspace of profile br, not {store.profile.name}")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise UserError(f"cannot read {path}: {error.strerror or error}") from None
    table = read_table(path, data, encoding or _tse_encoding(data))
    names = {_plain(column): column for column in table.columns}
    missing = [column for column in _REQUIRED if column not in names]
    if missing:
        raise UserError(f"{path.name} lacks the column(s) {', '.join(missing)} of the TSE's table of sections")
    voters = next((names[c] for c in VOTER_COLUMNS if c in names), None)
    report = PlacesReport(str(path), table.encoding)
    rows: dict[str, _Row] = {}
    for line, values in table.rows:
        report.rows += 1
        try:
            row = _row(line, {c: values[names[c]].strip() for c in COLUMNS if c in names}, values.get(voters or ""))
        except ValueError as error:
            report.problems.append((line, f"row {line}: {error}"))
            continue
        first = rows.setdefault(row.mesa.id, row)
        if first.mesa.center_id != row.mesa.center_id:
            where = f"section {row.mesa.id} is at {first.mesa.center_id} in row {first.line}"
            report.problems.append((line, f"row {line}: {where}, not at {row.mesa.center_id}: the first row kept"))
    with store.sessions.begin() as session:
        _apply(session, list(rows.values()), report)
    store.forget_cached()
    report.problems.sort()
    return report


def _tse_encoding(data: bytes) -> str | None:
    """Latin-1 for a table that is not UTF-8: the TSE writes its tables so (its LEIAME says it), and guessing
    the code page of a table of few accents read ``Nº`` as ``Nş`` (Turkish)."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "latin-1"
    return None


def _plain(column: str) -> str:
    return column.strip().upper()


def _row(line: int, values: dict[str, str], voters: str | None) -> _Row:
    """One row as the areas and the section it names, ids as a BU's (`place_ids`)."""
    uf = values["SG_UF"].upper()
    if len(uf) != 2 or not uf.isalpha():
        raise ValueError(f"SG_UF is {values['SG_UF']!r}, not a state's two letters")
    municipality, zone, section = (whole_number(values[c], c) for c in ("CD_MUNICIPIO", "NR_ZONA", "NR_SECAO"))
    place = values.get("NR_LOCAL_VOTACAO", "")
    place = str(whole_number(place, "NR_LOCAL_VOTACAO")) if place else ""
    ids = place_ids(uf, municipality, zone, section, place)
    registered = whole_number(voters, "the section's voters") if voters and voters.strip() else None
    names = {ids.municipality: values.get("NM_MUNICIPIO", ""), ids.center: values.get("NM_LOCAL_VOTACAO", "")}
    names = {area_id: name for area_id, name in names.items() if name}
    areas = [
        Area(ids.uf, "state", uf, None),
        Area(ids.municipality, "municipality", names.get(ids.municipality, ids.municipality), ids.uf),
        Area(ids.zone, "parish", f"zona {zone}", ids.municipality),
        Area(ids.center, "center", names.get(ids.center, ids.center_name), ids.zone),
    ]
    return _Row(line, areas, Mesa(ids.section, ids.center, section, registered), names)


def _apply(session: Session, rows: list[_Row], report: PlacesReport) -> None:
    """Add the sections the registry lacks, name the places, report the sections placed otherwise."""
    stored_centers = dict(session.execute(select(MesaRow.id, MesaRow.center_id)).tuples().all())
    stored_names = dict(session.execute(select(AreaRow.id, AreaRow.name)).tuples().all())
    new_areas: dict[str, Area] = {}
    new_mesas: list[Mesa] = []
    renamed: dict[str, str] = {}
    named: set[str] = set()
    for row in rows:
        known = stored_centers.get(row.mesa.id)
        if known is not None and known != row.mesa.center_id:
            reason = f"section {row.mesa.id} is at {known} already (by its BU or an earlier table), not at "
            report.problems.append((row.line, f"row {row.line}: {reason}{row.mesa.center_id}: kept where it is"))
            continue
        if known is None:
            new_mesas.append(row.mesa)
        else:
            report.sections_known += 1
        for area in row.areas:
            if area.id not in stored_names:
                new_areas.setdefault(area.id, area)
            elif area.id in row.names and stored_names[area.id] != row.names[area.id]:
                renamed[area.id] = row.names[area.id]
        named.update(row.names)
    add_to_registry(session, list(new_areas.values()), new_mesas)
    for area_id, name in renamed.items():
        session.execute(update(AreaRow).where(AreaRow.id == area_id).values(name=name))
    report.sections_added = len(new_mesas)
    report.places_named = len(named)
