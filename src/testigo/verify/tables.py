"""Checking the imported tables a bundle publishes (sources/): their hash, and each logged row against its table.

A row of an imported table has no image to decode: its evidence is the table
file itself. `verify` hashes each published table against its name, reads it
with the importer's own reader (`read_table`) and compares every logged row
(the entry's ``part`` is the row's line) with the entry's payload:

- an entry that logs how its table was read (``table``: layout, ``--map``
  text, encoding; see `testigo.ledger.entries.table_reading`) has its table
  read again in that encoding and its row parsed again with that layout (the
  ``--map`` parsed as the importer parses it, else the layout recognised from
  the header, which must be the logged one); the record the importer builds
  from the row (`row_record`) must be the entry's: station, per-candidate
  votes, per-card votes, invalid (null) votes and declared ballots (when the
  payload carries them), and finally the payload itself, byte for byte;
- an entry logged before testigo recorded that (an older log) falls back:
  a table whose layout the profile recognises from its header (``ve2024``'s
  ``resultados``, ``actas`` and ``cards`` tables) is parsed again with that
  layout, and the station, per-candidate votes, per-card votes (when the
  table has them) and null votes must be the entry's; a table imported with
  ``--map`` (every ``generic`` table) is compared by candidate column only,
  since its mapping is not logged: station ids and invalid votes are not
  re-read — the check's detail says how many rows were checked which way.

What no check can prove: that the table's figures are what the polling
stations counted. A table is a source's claim, not a sheet; that is why its
records say ``evidence: table`` in the open data and on their pages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from testigo.domain import Record
from testigo.errors import UserError
from testigo.ledger.entries import TABLE_READING, Entry
from testigo.pipeline.importer import DECLARED_BALLOTS, row_record
from testigo.pipeline.layouts import Layout, choose_layout
from testigo.pipeline.table_file import TableFile, read_table, whole_number
from testigo.profiles import PayloadError, Profile
from testigo.publish.layout import SOURCES_DIR, source_path
from testigo.publish.model import Publication
from testigo.store.blobs import sha256_hex
from testigo.verify.bundle import Bundle
from testigo.verify.report import VerifyReport

_Compare = Callable[[int, dict[str, str], Entry], str | None]


@dataclass
class _Tally:
    as_logged: int = 0
    parsed: int = 0
    by_candidate: int = 0


@dataclass(frozen=True)
class _Reading:
    """How an entry says its table was read (`testigo.ledger.entries.table_reading`)."""

    layout: str
    mapping: str | None
    encoding: str


def check_tables(report: VerifyReport, bundle: Bundle, publication: Publication, cap: Callable[..., list[str]]) -> None:
    """Add the ``tables`` check: hash, media type and every logged row of every published table."""
    rows: dict[str, list[Entry]] = {}
    for entry in publication.entries:
        if entry.table_row and entry.sha256:
            rows.setdefault(entry.sha256, []).append(entry)
    problems = [
        f"{path} is not a table of any published log entry"
        for sha, path in bundle.tables.items()
        if sha not in publication.files.tables
    ]
    counts = _Tally()
    for sha, entries in rows.items():
        path = bundle.tables.get(sha)
        if path is None:
            problems.append(f"{SOURCES_DIR}/{sha}.*, the table of {len(entries)} published log entries, is missing")
            continue
        data = bundle.read_bytes(path)
        if sha256_hex(data) != sha:
            problems.append(f"{path}: the file hashes to {sha256_hex(data)}, not its name: the table was altered")
            continue
        problems += _check_rows(path, data, entries, publication.profile, counts)
    detail = (
        f"{len(rows)} tables in {SOURCES_DIR}/ hashed against their names; of their logged rows, "
        f"{counts.as_logged} parsed again with the layout, --map and encoding their entries log (station, votes, "
        f"invalid votes and declared ballots compared), {counts.parsed} parsed again with the layout recognised "
        f"from the table's header, {counts.by_candidate} compared by candidate column only (entries of an older "
        "log, which does not keep the --map: station ids and invalid votes were not re-read). "
        "A table row is a source's claim, not a tally sheet: no image backs it"
    )
    report.add("tables", detail, cap(problems, "table problems"))


def _check_rows(path: str, data: bytes, entries: list[Entry], profile: Profile, counts: _Tally) -> list[str]:
    if source_path(sha256_hex(data), _media_type(data)) != path:
        return [f"{path}: the file is not of the type its name says"]
    problems: list[str] = []
    older: list[Entry] = []
    by_reading: dict[_Reading, list[Entry]] = {}
    for entry in entries:
        if TABLE_READING not in entry.fields:
            older.append(entry)
            continue
        reading = _reading(entry.get(TABLE_READING))
        if reading is None:
            problems.append(
                f"log entry {entry.seq}: its {TABLE_READING!r} field is not a layout, --map and "
                "encoding, so its row cannot be parsed again"
            )
        else:
            by_reading.setdefault(reading, []).append(entry)
    for reading, logged in by_reading.items():
        problems += _check_as_logged(path, data, logged, profile, reading, counts)
    if older:
        problems += _check_older(path, data, older, profile, counts)
    return problems


def _reading(value: object) -> _Reading | None:
    if not isinstance(value, dict) or set(value) != {"layout", "map", "encoding"}:
        return None
    layout, mapping, encoding = value["layout"], value["map"], value["encoding"]
    if not isinstance(layout, str) or not isinstance(encoding, str) or not isinstance(mapping, str | None):
        return None
    return _Reading(layout, mapping, encoding)


def _check_as_logged(
    path: str, data: bytes, entries: list[Entry], profile: Profile, reading: _Reading, counts: _Tally
) -> list[str]:
    """Rows whose entries log how their table was read: read and parsed again exactly so, then compared."""
    seqs = ", ".join(str(e.seq) for e in entries[:5]) + (" …" if len(entries) > 5 else "")
    try:
        table = read_table(Path(path), data, None if reading.encoding == "parquet" else reading.encoding)
        layout = choose_layout(table.columns, profile.election, reading.mapping)
    except UserError as error:
        return [
            f"log entries {seqs}: {path} cannot be read as they log it (layout {reading.layout}, "
            f"encoding {reading.encoding}): {error}"
        ]
    if (table.encoding == "parquet") != (reading.encoding == "parquet"):
        return [f"log entries {seqs}: {path} reads as {table.encoding}, not the logged {reading.encoding}"]
    if layout.name != reading.layout:
        return [
            f"log entries {seqs}: {path} has the layout {layout.name} by its header, not the logged {reading.layout}"
        ]
    return _compare_rows(path, table, entries, _as_imported(profile, layout), counts, as_logged=True)


def _check_older(path: str, data: bytes, entries: list[Entry], profile: Profile, counts: _Tally) -> list[str]:
    """Rows of an older log (no reading logged): the header's layout, else the candidate columns."""
    try:
        table = read_table(Path(path), data)
    except UserError as error:
        return [f"{path} cannot be read as a table: {error}"]
    found = _comparison(table.columns, profile)
    if found is None:
        return [
            f"{path}: its header matches no layout and not the ballot's candidate columns, so no row was "
            "checked against the entries"
        ]
    compare, parsed_again = found
    return _compare_rows(path, table, entries, compare, counts, as_logged=False, parsed_again=parsed_again)


def _compare_rows(
    path: str,
    table: TableFile,
    entries: list[Entry],
    compare: _Compare,
    counts: _Tally,
    *,
    as_logged: bool,
    parsed_again: bool = True,
) -> list[str]:
    lines = dict(table.rows)
    problems = []
    for entry in entries:
        line = entry.get("part")
        row = lines.get(line) if isinstance(line, int) else None
        problem = f"row {line} is not in the table" if row is None else compare(line, row, entry)
        if problem:
            problems.append(f"log entry {entry.seq}: {path}: {problem}")
        elif as_logged:
            counts.as_logged += 1
        elif parsed_again:
            counts.parsed += 1
        else:
            counts.by_candidate += 1
    return problems


def _media_type(data: bytes) -> str:
    return "application/vnd.apache.parquet" if data[:4] == b"PAR1" else "text/csv"


def _comparison(columns: list[str], profile: Profile) -> tuple[_Compare, bool] | None:
    """How rows of a table with this header are compared with entries, and whether that parses them again."""
    if not profile.registry_from_data:
        try:
            layout = choose_layout(columns, profile.election, None)
        except UserError:
            layout = None
        if layout is not None:
            return _by_layout(profile, layout), True
    if set(profile.election.candidate_keys()) <= set(columns):
        return _by_candidate(profile), False
    return None


def _as_imported(profile: Profile, layout: Layout) -> _Compare:
    """The row parsed and turned into a record exactly as `testigo import` did, compared with the entry's."""

    def compare(line: int, row: dict[str, str], entry: Entry) -> str | None:
        try:
            rebuilt = row_record(profile, layout, layout.parse(line, row, profile.election))
            record = profile.parse(str(entry.payload))
        except (ValueError, PayloadError) as error:
            return f"cannot be compared: {error}"
        election = profile.election

        def figures(r: Record) -> dict[str, object]:
            return {
                "station": r.mesa_id,
                "votes": election.per_candidate(r.counts),
                "cards": list(r.counts),
                "invalid votes": r.null_votes,
                "declared ballots": r.extra.get(DECLARED_BALLOTS),
            }

        differ = _differ(figures(rebuilt), figures(record))
        if differ is None and rebuilt.payload != record.payload:
            return f"the row gives the payload {rebuilt.payload!r}, the entry logs {record.payload!r}"
        return differ

    return compare


def _by_layout(profile: Profile, layout: Layout) -> _Compare:
    def compare(line: int, row: dict[str, str], entry: Entry) -> str | None:
        try:
            parsed = layout.parse(line, row, profile.election)
            record = profile.parse(str(entry.payload))
        except (ValueError, PayloadError) as error:
            return f"cannot be compared: {error}"
        election = profile.election
        want: dict[str, object] = {
            "station": record.mesa_id,
            "votes": election.per_candidate(record.counts),
            "null votes": record.null_votes,
        }
        got: dict[str, object] = {
            "station": parsed.mesa_id,
            "votes": dict(zip(election.candidate_keys(), parsed.votes, strict=True)),
            "null votes": parsed.null_votes or 0,
        }
        if parsed.cards is not None:
            want["cards"], got["cards"] = list(record.counts), list(parsed.cards)
        return _differ(got, want)

    return compare


def _by_candidate(profile: Profile) -> _Compare:
    def compare(line: int, row: dict[str, str], entry: Entry) -> str | None:
        try:
            record = profile.parse(str(entry.payload))
            got = {key: whole_number(row[key], key) for key in profile.election.candidate_keys()}
        except (ValueError, PayloadError) as error:
            return f"cannot be compared: {error}"
        return _differ({"votes": got}, {"votes": profile.election.per_candidate(record.counts)})

    return compare


def _differ(got: dict[str, object], want: dict[str, object]) -> str | None:
    diffs = [
        f"the table gives {name} {got[name]}, the entry logs {want[name]}" for name in want if got[name] != want[name]
    ]
    return "; ".join(diffs) or None
