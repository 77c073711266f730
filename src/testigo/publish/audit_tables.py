"""Checking the imported tables a bundle publishes (sources/): their hash, and each logged row against its table.

A row of an imported table has no image to decode: its evidence is the table
file itself. `verify` hashes each published table against its name, reads it
with the importer's own reader (`read_table`) and compares every logged row
(the entry's ``part`` is the row's line) with the entry's payload:

- a table whose layout the profile recognises from its header (``ve2024``'s
  ``resultados``, ``actas`` and ``cards`` tables) is parsed again with that
  layout, and the station, per-candidate votes, per-card votes (when the
  table has them) and null votes must be the entry's;
- a table imported with ``--map`` (every ``generic`` table) cannot be parsed
  again, since the mapping is not logged: its candidate columns are the
  ballot's names, so each candidate's votes are compared, but the station id
  and the invalid votes are not — the check's detail says so.

What no check can prove: that the table's figures are what the polling
stations counted. A table is a source's claim, not a sheet; that is why its
records say ``evidence: table`` in the open data and on their pages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from testigo.errors import UserError
from testigo.ledger.bundle import SOURCES_DIR, Bundle, source_path
from testigo.pipeline.layouts import Layout, choose_layout
from testigo.pipeline.table_file import read_table, whole_number
from testigo.profiles import PayloadError, Profile
from testigo.publish.model import Entry, Publication
from testigo.store.blobs import sha256_hex

if TYPE_CHECKING:
    from testigo.ledger.verify import VerifyReport

_Compare = Callable[[int, dict[str, str], Entry], str | None]


@dataclass
class _Tally:
    parsed: int = 0
    by_candidate: int = 0
    tables: int = 0


def check_tables(report: VerifyReport, bundle: Bundle, publication: Publication, cap: Callable[..., list[str]]) -> None:
    """Add the ``tables`` check: hash, media type and every logged row of every published table."""
    rows: dict[str, list[Entry]] = {}
    for entry in publication.entries:
        if entry.table_row and entry.sha256:
            rows.setdefault(entry.sha256, []).append(entry)
    problems = [f"{path} is not a table of any published log entry" for sha, path in bundle.tables.items()
                if sha not in publication.files.tables]
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
        f"{counts.parsed} parsed again with the table's layout, {counts.by_candidate} compared by candidate column "
        "only (the table was imported with --map, which the log does not keep: station ids and invalid votes "
        "were not re-read). A table row is a source's claim, not a tally sheet: no image backs it"
    )
    report.add("tables", detail, cap(problems, "table problems"))


def _check_rows(path: str, data: bytes, entries: list[Entry], profile: Profile, counts: _Tally) -> list[str]:
    if source_path(sha256_hex(data), _media_type(data)) != path:
        return [f"{path}: the file is not of the type its name says"]
    try:
        table = read_table(Path(path), data)
    except UserError as error:
        return [f"{path} cannot be read as a table: {error}"]
    lines = dict(table.rows)
    found = _comparison(table.columns, profile)
    if found is None:
        return [f"{path}: its header matches no layout and not the ballot's candidate columns, so no row was "
                "checked against the entries"]
    compare, parsed_again = found
    problems = []
    for entry in entries:
        line = entry.get("part")
        row = lines.get(line) if isinstance(line, int) else None
        problem = f"row {line} is not in the table" if row is None else compare(line, row, entry)
        if problem:
            problems.append(f"log entry {entry.seq}: {path}: {problem}")
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


def _by_layout(profile: Profile, layout: Layout) -> _Compare:
    def compare(line: int, row: dict[str, str], entry: Entry) -> str | None:
        try:
            parsed = layout.parse(line, row, profile.election)
            record = profile.parse(str(entry.payload))
        except (ValueError, PayloadError) as error:
            return f"cannot be compared: {error}"
        election = profile.election
        want: dict[str, object] = {
            "station": record.mesa_id, "votes": election.per_candidate(record.counts), "null votes": record.null_votes,
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
    diffs = [f"the table gives {name} {got[name]}, the entry logs {want[name]}"
             for name in want if got[name] != want[name]]
    return "; ".join(diffs) or None
