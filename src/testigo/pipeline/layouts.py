"""The column layouts `testigo import` understands, and how one row of each becomes figures.

Recognised by their header (profile ``ve2024``):

``resultados``
    the opposition's table ``resultados_2024_csv_v1.csv``: ``CENTRO`` + ``MESA``
    (center code with its leading zero dropped), ``RE`` registered voters,
    ``VOTOS_VALIDOS``, ``VOTOS_NULOS`` and votes per candidate (``EG``, ``NM``…).
``actas``
    ``actas_2024_presidential.csv``: ``Acta`` (the QR's acta id) and votes per
    candidate (``Maduro``…). It has no null votes (``Otros`` is not them: it
    differs from ``VOTOS_NULOS`` in 99% of the mesas both tables have); the
    record gets 0 null votes, says so in a flag and keeps ``Otros`` in `extra`.
``cards``
    one column per party card: ``mesa_id``, ``card_1`` … ``card_N``,
    ``null_votes`` (optional ``acta_id``, ``registered``) — the layout of
    testigo's own published ``mesas.csv``, so a published table imports back.

Any profile: ``--map`` (see `parse_map`) names the columns of any other table;
it is how the ``generic`` profile is fed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from testigo.domain import Election
from testigo.errors import UserError
from testigo.pipeline.table_file import OVERFLOW, whole_number
from testigo.profiles.ve2024_data import ACTAS_COLUMNS, RESULT_COLUMNS

#: Keys of `--map`; those taking several columns may be followed by bare column names.
MAP_KEYS = ("id", "registered", "invalid", "ballots", "region", "candidates")
_SINGLE = ("registered", "invalid", "ballots")
#: Joins the values of several id columns into one station id.
ID_JOIN = "-"


@dataclass(frozen=True)
class ParsedRow:
    """The figures of one row. `votes` per candidate in ballot order; `cards` only when the source has them.

    `null_votes` is None when the source does not give them; `flags` and
    `extra` travel to the record (what a reviewer should know about the row).
    """

    line: int
    mesa_id: str
    acta_id: str | None
    votes: list[int]
    cards: list[int] | None
    null_votes: int | None
    registered: int | None = None
    ballots: int | None = None
    regions: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    extra: dict[str, int | str] = field(default_factory=dict)


@dataclass(frozen=True)
class Layout:
    """Where a table keeps each figure.

    `vote_columns` are per card (`per_card`) or per candidate, in ballot order;
    `mesa_id` turns the values of `id_columns` into the registry's mesa id.
    """

    name: str
    id_columns: tuple[str, ...]
    vote_columns: tuple[str, ...]
    per_card: bool
    mesa_id: Callable[[list[str]], str]
    null_column: str | None = None
    registered_column: str | None = None
    ballots_column: str | None = None
    region_columns: tuple[str, ...] = ()
    acta_id_column: str | None = None
    valid_column: str | None = None
    kept_columns: tuple[str, ...] = ()

    def parse(self, line: int, row: dict[str, str], election: Election) -> ParsedRow:
        """The row's figures; ValueError naming the column at fault."""
        if OVERFLOW in row:
            raise ValueError(f"more values than the header's {len(row) - 1} columns")
        ids = [row[c].strip() for c in self.id_columns]
        empty = [c for c, v in zip(self.id_columns, ids, strict=True) if not v]
        if empty:
            raise ValueError(f"empty id column {empty[0]!r}")
        counts = [whole_number(row[c], c) for c in self.vote_columns]
        votes = (
            election.per_candidate(counts)
            if self.per_card
            else dict(zip(election.candidate_keys(), counts, strict=True))
        )
        flags: list[str] = []
        if self.valid_column is not None:
            declared = whole_number(row[self.valid_column], self.valid_column)
            if declared != sum(counts):
                flags.append(f"{self.valid_column} {declared} differs from the candidates' sum {sum(counts)}")
        return ParsedRow(
            line=line,
            mesa_id=self.mesa_id(ids),
            acta_id=row[self.acta_id_column].strip() or None if self.acta_id_column else None,
            votes=list(votes.values()),
            cards=counts if self.per_card else None,
            null_votes=self._optional(row, self.null_column),
            registered=self._optional(row, self.registered_column),
            ballots=self._optional(row, self.ballots_column),
            regions=tuple(row[c].strip() for c in self.region_columns),
            flags=tuple(flags),
            extra={c: row[c].strip() for c in self.kept_columns},
        )

    @staticmethod
    def _optional(row: dict[str, str], column: str | None) -> int | None:
        if column is None or not row[column].strip():
            return None
        return whole_number(row[column], column)


def choose_layout(columns: list[str], election: Election, mapping: str | None) -> Layout:
    """The layout of a table with this header: `--map` when given, else recognised by its columns."""
    if mapping is not None:
        layout = parse_map(mapping)
    else:
        layout = _recognise(set(columns), election)
    missing = [c for c in _used_columns(layout) if c not in columns]
    if missing:
        raise UserError(f"column(s) {', '.join(missing)} not in the table; it has {', '.join(columns)}")
    return layout


def parse_map(mapping: str) -> Layout:
    """``id=COL[,COL...],registered=COL,invalid=COL,ballots=COL,region=COL[,COL...],candidates=COL[,COL...]``.

    A token without ``=`` adds one more column to the key before it; several
    ``id`` columns are joined with ``-`` into one station id; ``region`` columns
    go from the largest level to the smallest. ``id`` and ``candidates`` are
    required; ``invalid`` (default 0) and ``ballots`` (default: votes plus
    invalid) are optional.
    """
    chosen: dict[str, list[str]] = {}
    key: str | None = None
    for token in (t.strip() for t in mapping.split(",")):
        if "=" in token:
            key, column = (part.strip() for part in token.split("=", 1))
            if key not in MAP_KEYS:
                raise UserError(f"--map: unknown key {key!r}; known: {', '.join(MAP_KEYS)}")
            if key in chosen:
                raise UserError(f"--map: {key} given twice")
            chosen[key] = [column]
        elif key is None:
            raise UserError(f"--map: column {token!r} comes before any KEY=")
        elif key in _SINGLE:
            raise UserError(f"--map: {key} takes one column, found another: {token!r}")
        else:
            chosen[key].append(token)
    for required in ("id", "candidates"):
        if not chosen.get(required):
            raise UserError(f"--map needs {required}=COL")
    if any(not c for columns in chosen.values() for c in columns):
        raise UserError("--map: empty column name")
    single = {k: chosen[k][0] if k in chosen else None for k in _SINGLE}
    return Layout(
        name="map",
        id_columns=tuple(chosen["id"]),
        vote_columns=tuple(chosen["candidates"]),
        per_card=False,
        mesa_id=ID_JOIN.join,
        null_column=single["invalid"],
        registered_column=single["registered"],
        ballots_column=single["ballots"],
        region_columns=tuple(chosen.get("region", ())),
    )


def _recognise(columns: set[str], election: Election) -> Layout:
    keys = election.candidate_keys()
    if {"CENTRO", "MESA", "VOTOS_NULOS"} | set(RESULT_COLUMNS) <= columns:
        return Layout(
            name="resultados",
            id_columns=("CENTRO", "MESA"),
            vote_columns=_in_ballot_order(RESULT_COLUMNS, keys),
            per_card=False,
            mesa_id=lambda v: f"{v[0].zfill(9)}.{v[1].zfill(2)}",
            null_column="VOTOS_NULOS",
            registered_column="RE",
            valid_column="VOTOS_VALIDOS",
            kept_columns=("URL",) if "URL" in columns else (),
        )
    if {"Acta"} | set(ACTAS_COLUMNS) <= columns:
        return Layout(
            name="actas",
            id_columns=("Acta",),
            vote_columns=_in_ballot_order(ACTAS_COLUMNS, keys),
            per_card=False,
            mesa_id=lambda v: ".".join(v[0].split(".")[:2]),
            acta_id_column="Acta",
            kept_columns=("Otros",) if "Otros" in columns else (),
        )
    cards = tuple(f"card_{card.number}" for card in election.cards)
    if cards and {"mesa_id", *cards} <= columns:
        return Layout(
            name="cards",
            id_columns=("mesa_id",),
            vote_columns=cards,
            per_card=True,
            mesa_id=lambda v: v[0],
            null_column="null_votes" if "null_votes" in columns else None,
            registered_column="registered" if "registered" in columns else None,
            acta_id_column="acta_id" if "acta_id" in columns else None,
        )
    raise UserError(
        "unknown table layout: expected the columns of resultados_2024_csv_v1.csv (CENTRO, MESA, EG, NM…), "
        "of actas_2024_presidential.csv (Acta, Maduro, Gonzalez…), or mesa_id + card_1…card_N; "
        "for any other table give --map"
    )


def _in_ballot_order(columns: dict[str, str], keys: list[str]) -> tuple[str, ...]:
    by_key = {key: column for column, key in columns.items()}
    return tuple(by_key[key] for key in keys)


def _used_columns(layout: Layout) -> list[str]:
    optional = (
        layout.null_column,
        layout.registered_column,
        layout.ballots_column,
        layout.acta_id_column,
        layout.valid_column,
    )
    return [*layout.id_columns, *layout.vote_columns, *layout.region_columns, *(c for c in optional if c)]
