"""`testigo import`: per-mesa results from a table, as citizen records or as the official source.

Citizen rows go through the same validation and reconciliation as decoded
sheets (`settle_records`, source ``import``): the table is stored in the blob
store like any file, becomes one submission (channel ``import``) whose items
are its rows (``part`` = the row's line number), and every row's outcome is
logged in the tamper-evident log, with how the table was read (layout, the
``--map`` text, the encoding used) so `testigo verify` re-parses each row
exactly as it was imported (`row_record`). Re-importing the same file is reported from
the database, never counted twice.

Tables that give only per-candidate votes (the two 2024 tables) cannot say on
which party card each vote was cast. Each candidate's votes are put on the
candidate's *first* card in ballot order and the record is flagged
``per-candidate only``: every per-candidate figure is exactly the source's,
and no per-card analysis should read those records' cards. A source without
null votes gives 0 null votes and a flag saying so.

Official rows are stored apart (`testigo.store.official`) for `testigo compare`.

A bad row is reported with its line number and the rest goes in.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from testigo.domain import Area, Mesa, Record, Registry, Status
from testigo.errors import UserError
from testigo.ledger.entries import IMPORT_CHANNEL, table_reading
from testigo.pipeline.layouts import Layout, ParsedRow, choose_layout
from testigo.pipeline.logbook import finish_logged
from testigo.pipeline.reconcile import Placed, settle_records
from testigo.pipeline.table_file import read_table
from testigo.profiles import Profile
from testigo.profiles.generic import CANDIDATES_FACT, Generic, areas_for
from testigo.store import official, records
from testigo.store import submissions as subs
from testigo.store.workspace import Store, add_to_registry, set_fact

SOURCES = ("citizen", "official")
PER_CANDIDATE_ONLY = (
    "per-candidate only: the source gives each candidate's votes, not the party cards; "
    "they are recorded on the candidate's first card"
)
NO_NULL_VOTES = "null votes not in the source: recorded as 0"
#: Key of a record's `extra` holding the ballots its source declares (see `testigo.store.records.declared_ballots`).
DECLARED_BALLOTS = records.DECLARED_BALLOTS


@dataclass(frozen=True)
class RowOutcome:
    line: int
    status: str
    reason: str | None
    mesa: str | None

    def to_json(self) -> dict[str, Any]:
        return {"row": self.line, "status": self.status, "reason": self.reason, "mesa": self.mesa}


@dataclass
class ImportReport:
    """What became of each row of one imported table."""

    file: str
    sha256: str
    source: str
    layout: str
    encoding: str
    rows: list[RowOutcome] = field(default_factory=list)
    from_earlier_run: bool = False

    def to_json(self) -> dict[str, Any]:
        counts = Counter(row.status for row in self.rows)
        return {
            "file": self.file,
            "sha256": self.sha256,
            "source": self.source,
            "layout": self.layout,
            "encoding": self.encoding,
            "from_earlier_run": self.from_earlier_run,
            "summary": {"rows": len(self.rows), **{s.value: counts.get(s.value, 0) for s in _REPORTED}},
            "problems": [row.to_json() for row in self.rows if row.status not in (Status.ACCEPTED, Status.DUPLICATE)],
        }


_REPORTED = (Status.ACCEPTED, Status.DUPLICATE, Status.CONFLICT, Status.INVALID)


def import_table(
    store: Store, path: Path, source: str, mapping: str | None = None, encoding: str | None = None
) -> ImportReport:
    """Import one CSV or Parquet table into the workspace (see the module docstring); `encoding` forces the CSV's."""
    if source not in SOURCES:
        raise UserError(f"unknown source {source!r}; one of {', '.join(SOURCES)}")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise UserError(f"cannot read {path}: {error.strerror}") from None
    table = read_table(path, data, encoding)
    profile = store.profile
    if isinstance(profile, Generic) and mapping is None:
        raise UserError("the generic profile needs --map id=COL,...,candidates=COL,... to read a table")
    layout = choose_layout(table.columns, profile.election, mapping)
    if (
        not isinstance(profile, Generic)
        and not layout.per_card
        and len(layout.vote_columns) != len(profile.election.candidates)
    ):
        keys = ", ".join(profile.election.candidate_keys())
        raise UserError(
            f"--map names {len(layout.vote_columns)} candidate columns; profile {profile.name} has "
            f"{len(profile.election.candidates)} candidates ({keys})"
        )
    sha = store.blobs.put(data)
    report = ImportReport(str(path), sha, source, layout.name, table.encoding)
    registry = store.registry  # loaded before the write transaction: SQLite allows one writer, this one
    try:
        with store.sessions.begin() as session:
            subs.ensure_blob(
                session, sha, len(data), "application/vnd.apache.parquet" if table.encoding == "parquet" else "text/csv"
            )
            if isinstance(profile, Generic):
                profile = _bind_candidates(session, profile, layout)
            parsed: list[ParsedRow] = []
            for line, row in table.rows:
                try:
                    parsed.append(layout.parse(line, row, profile.election))
                except ValueError as error:
                    report.rows.append(RowOutcome(line, Status.INVALID, f"row {line}: {error}", None))
            if isinstance(profile, Generic):
                parsed = _extend_registry(session, registry, parsed, report)
            if source == "citizen":
                reading = table_reading(layout.name, mapping, table.encoding)
                _citizen(session, store, profile, registry, layout, (path, sha, reading), parsed, report)
            else:
                _official(session, registry, sha, parsed, report)
    finally:
        if isinstance(profile, Generic):
            store.forget_cached()  # the registry and ballot grew (or, on failure, must be read again)
    report.rows.sort(key=lambda r: r.line)
    return report


def _bind_candidates(session: Session, profile: Generic, layout: Layout) -> Generic:
    """Fix a generic workspace's candidates at its first import; later tables must have the same ones."""
    stored = profile.election.candidate_keys()
    if stored and stored != list(layout.vote_columns):
        raise UserError(
            f"this workspace's candidates are {', '.join(stored)}; the table maps {', '.join(layout.vote_columns)}"
        )
    if not stored:
        set_fact(session, CANDIDATES_FACT, json.dumps(list(layout.vote_columns), ensure_ascii=False))
    return Generic(layout.vote_columns)


def _extend_registry(
    session: Session, registry: Registry, parsed: list[ParsedRow], report: ImportReport
) -> list[ParsedRow]:
    """Add the stations and regions of a generic table to the registry; rows that contradict it are errors."""
    kept: list[ParsedRow] = []
    new_areas: dict[str, Area] = {}
    new_mesas: dict[str, Mesa] = {}
    per_center = Counter(m.center_id for m in registry.mesas.values())
    for row in parsed:
        chain = areas_for(row.regions)
        center = chain[-1].id
        known = registry.mesas.get(row.mesa_id)
        problem = None
        if len(row.mesa_id) > 64:
            problem = f"station id {row.mesa_id[:40]!r}… is longer than 64 characters"
        elif known is not None and known.center_id != center:
            problem = f"station {row.mesa_id} is already in the registry in another region"
        elif known is not None and known.registered != row.registered:
            problem = (
                f"station {row.mesa_id} is already in the registry with {known.registered} registered voters, "
                f"not {row.registered}"
            )
        if problem:
            report.rows.append(RowOutcome(row.line, Status.INVALID, f"row {row.line}: {problem}", row.mesa_id))
            continue
        kept.append(row)
        if known is None:
            for area in chain:
                if area.id not in registry.areas:
                    registry.areas[area.id] = new_areas[area.id] = area
            per_center[center] += 1
            mesa = Mesa(row.mesa_id, center, per_center[center], row.registered)
            registry.mesas[row.mesa_id] = new_mesas[row.mesa_id] = mesa
    add_to_registry(session, list(new_areas.values()), list(new_mesas.values()))
    return kept


def _citizen(
    session: Session,
    store: Store,
    profile: Profile,
    registry: Registry,
    layout: Layout,
    file: tuple[Path, str, dict[str, str | None]],
    parsed: list[ParsedRow],
    report: ImportReport,
) -> None:
    path, sha, reading = file
    submission, new = subs.register_arrival(
        session, origin=f"import:{path.resolve()}", display_path=str(path), sha256=sha, channel=IMPORT_CHANNEL
    )
    if not new:
        report.from_earlier_run = True
        items = subs.items_of(session, submission.id)
        report.rows = [RowOutcome(item.part, item.status, item.reason, item.mesa_id) for item in items]
        return
    outcomes = [subs.ItemOutcome(status=r.status, reason=r.reason, part=r.line, mesa_id=r.mesa) for r in report.rows]
    placed = [Placed(row_record(profile, layout, row), part=row.line) for row in parsed]
    outcomes += settle_records(session, profile, registry, placed, source="import")
    finish_logged(session, store, submission, sorted(outcomes, key=lambda o: o.part), reading)
    report.rows = [RowOutcome(o.part, o.status, o.reason, o.mesa_id) for o in outcomes]


def row_record(profile: Profile, layout: Layout, row: ParsedRow) -> Record:
    """The record a citizen row becomes (its payload is what the row's log entry logs); `verify` rebuilds it."""
    return profile.record_from_counts(
        row.mesa_id,
        _cards(profile, row),
        row.null_votes or 0,
        acta_id=row.acta_id,
        sheet={"ballots": row.ballots} if row.ballots is not None else None,
        extra={"imported_from": layout.name, "source_row": row.line, **row.extra, **_declared(row)},
        flags=_flags(profile, layout, row),
    )


def _cards(profile: Profile, row: ParsedRow) -> list[int]:
    """Per-card counts: the source's own, else each candidate's votes on its first card."""
    if row.cards is not None:
        return row.cards
    election = profile.election
    cards = [0] * len(election.cards)
    first: dict[str, int] = {}
    for i, card in enumerate(election.cards):
        first.setdefault(card.candidate, i)
    for key, votes in zip(election.candidate_keys(), row.votes, strict=True):
        cards[first[key]] = votes
    return cards


def _declared(row: ParsedRow) -> dict[str, int | str]:
    """The ballots the source declares, kept on the record so forensics can check them against the counts.

    A flag alone is prose for a reviewer; `impossible` needs the number itself.
    """
    return {DECLARED_BALLOTS: row.ballots} if row.ballots is not None else {}


def _flags(profile: Profile, layout: Layout, row: ParsedRow) -> tuple[str, ...]:
    flags = list(row.flags)
    if row.cards is None and len(profile.election.cards) > len(profile.election.candidates):
        flags.append(PER_CANDIDATE_ONLY)
    if row.null_votes is None and layout.null_column is None and not isinstance(profile, Generic):
        flags.append(NO_NULL_VOTES)
    if row.ballots is not None and row.ballots != sum(row.votes) + (row.null_votes or 0):
        flags.append(f"ballots {row.ballots} differ from votes plus invalid {sum(row.votes) + (row.null_votes or 0)}")
    return tuple(flags)


def _official(session: Session, registry: Registry, sha: str, parsed: list[ParsedRow], report: ImportReport) -> None:
    stored = official.load(session)
    new: dict[str, official.OfficialResult] = {}
    for row in parsed:
        result = official.OfficialResult(row.mesa_id, row.votes, row.null_votes, sha, row.line)
        earlier = stored.get(row.mesa_id) or new.get(row.mesa_id)
        if row.mesa_id not in registry.mesas:
            outcome = RowOutcome(row.line, Status.INVALID, f"row {row.line}: unknown mesa {row.mesa_id}", row.mesa_id)
        elif earlier is None:
            new[row.mesa_id] = result
            outcome = RowOutcome(row.line, Status.ACCEPTED, None, row.mesa_id)
        elif (earlier.votes, earlier.null_votes) == (result.votes, result.null_votes):
            outcome = RowOutcome(row.line, Status.DUPLICATE, None, row.mesa_id)
        else:
            where = "this file" if earlier.source_sha256 == sha else f"file {earlier.source_sha256[:12]}"
            outcome = RowOutcome(
                row.line,
                Status.CONFLICT,
                f"row {row.line}: differs from the official figures of "
                f"mesa {row.mesa_id} in row {earlier.source_line} of {where}, which stay",
                row.mesa_id,
            )
        report.rows.append(outcome)
    official.add(session, list(new.values()))
