"""The per-mesa open data: one row per mesa with an accepted acta, as JSON, CSV and Parquet.

Each row says what backs its figures (`evidence`, `testigo.ledger.entries.
Entry.evidence`): ``image`` (a sheet read by its code; `images` lists it),
``image+print`` (and its printed figures agree with the code), ``print`` (a
sheet without a readable code, read from its print), ``table`` (a row of an
imported table, in `tables`: no image proves it), ``manual`` (two reviewers
typed an unreadable sheet, in `images`) or ``manual+print`` (one reviewer typed
what the machine read on its print); `decision_entry` is the log entry of the
reviewer decision that made the figures count, if one did.

The three files carry the same rows; `columns` fixes their order and types, and
each format has a writer and a reader returning flat rows, so `verify` can
compare every file, cell by cell, with the rows the log gives.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from testigo.domain import Election
from testigo.publish.model import MesaResult, Publication

#: Columns before the per-candidate ones; `registered` may be empty, the rest always have a value.
_LEADING: tuple[tuple[str, type], ...] = (
    ("mesa_id", str),
    ("acta_id", str),
    ("state_id", str),
    ("municipality_id", str),
    ("parish_id", str),
    ("center_id", str),
    ("registered", int),
    ("log_entry", int),
    ("images", str),
    ("tables", str),
    ("evidence", str),
    ("decision_entry", int),
)
_NULLABLE = frozenset({"registered", "decision_entry"})
#: Columns holding lists in JSON, joined by spaces in the tables.
_LISTS = ("images", "tables")


def columns(election: Election) -> list[tuple[str, type]]:
    """(name, type) of every column, in order: ids, candidates, valid and null votes, one per card."""
    return [
        *_LEADING,
        *((c.key, int) for c in election.candidates),
        ("valid_votes", int),
        ("null_votes", int),
        *((f"card_{card.number}", int) for card in election.cards),
    ]


def mesa_row(publication: Publication, result: MesaResult) -> dict[str, Any]:
    """The JSON row of a mesa: lists for images and cards, a mapping for candidates."""
    registry, election, record = publication.registry, publication.ballot, result.record
    mesa = result.mesa
    return {
        "mesa_id": mesa.id,
        "acta_id": record.acta_id,
        **{f"{level}_id": registry.area_of(mesa, level) for level in ("state", "municipality", "parish", "center")},
        "registered": mesa.registered,
        "log_entry": result.accepted.seq,
        "images": [publication.image_files[sha] for sha in result.image_shas()],
        "tables": [publication.files.tables[sha] for sha in result.table_shas()],
        "evidence": result.accepted.evidence,
        "decision_entry": result.decision.seq if result.decision else None,
        "candidates": election.per_candidate(record.counts),
        "valid_votes": record.valid_votes,
        "null_votes": record.null_votes,
        "cards": list(record.counts),
    }


def flatten(row: dict[str, Any], election: Election) -> dict[str, Any]:
    """A JSON row as a table row (images joined by spaces, one column per candidate and per card)."""
    flat = {name: row.get(name) for name, _ in _LEADING}
    flat.update({name: " ".join(row.get(name) or []) for name in _LISTS})
    flat.update({c.key: (row.get("candidates") or {}).get(c.key) for c in election.candidates})
    flat["valid_votes"], flat["null_votes"] = row.get("valid_votes"), row.get("null_votes")
    cards = row.get("cards") or []
    flat.update({f"card_{card.number}": cards[i] if i < len(cards) else None for i, card in enumerate(election.cards)})
    return flat


def mesas_document(publication: Publication) -> dict[str, Any]:
    """data/mesas.json: the contest and its ballot, then the rows."""
    election = publication.ballot
    document = {
        "profile": publication.profile.name,
        "election": election.name,
        "candidates": [{"key": c.key, "name": c.name} for c in election.candidates],
        "cards": [{"number": c.number, "party": c.party, "candidate": c.candidate} for c in election.cards],
        "mesas": [mesa_row(publication, result) for result in publication.mesas.values()],
    }
    if publication.contest:  # a contest of a sheet of several (the one contest "" of ve2024 names none)
        document["contest"] = publication.contest
    return document


def json_bytes(document: Any, *, indent: int | None = None) -> bytes:
    """The encoding of every JSON file of a bundle: UTF-8, sorted keys, compact unless indented."""
    separators = (",", ": ") if indent else (",", ":")
    text = json.dumps(document, ensure_ascii=False, sort_keys=True, indent=indent, separators=separators)
    return (text + "\n").encode("utf-8")


def csv_bytes(rows: Iterable[dict[str, Any]], election: Election) -> bytes:
    names = [name for name, _ in columns(election)]
    stream = io.StringIO()
    writer = csv.DictWriter(stream, names, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return stream.getvalue().encode("utf-8")


def read_csv(data: bytes, election: Election) -> list[dict[str, Any]]:
    """Rows of a mesas CSV, typed by `columns`; raises ValueError naming the line and column."""
    types = dict(columns(election))
    reader = csv.DictReader(io.StringIO(data.decode("utf-8")))
    if reader.fieldnames != list(types):
        raise ValueError(f"the header is not the expected {len(types)} columns")
    rows = []
    for line, raw in enumerate(reader, start=2):
        row: dict[str, Any] = {}
        for name, kind in types.items():
            text = raw[name]
            try:
                row[name] = None if text == "" and name in _NULLABLE else kind(text)
            except ValueError:
                raise ValueError(f"line {line}, column {name}: {text!r} is not a number") from None
        rows.append(row)
    return rows


def parquet_bytes(rows: list[dict[str, Any]], election: Election) -> bytes:
    schema = pa.schema(
        [
            pa.field(name, pa.string() if kind is str else pa.int64(), nullable=name in _NULLABLE)
            for name, kind in columns(election)
        ]
    )
    sink = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), sink)
    return sink.getvalue()


def read_parquet(data: bytes) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = pq.read_table(io.BytesIO(data)).to_pylist()
    return rows
