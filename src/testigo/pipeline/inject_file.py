"""`testigo simulate --inject`: a manipulated copy of a results table, to measure what forensics catch.

The table is read like `testigo import` reads it (same layouts, same `--map`),
the manipulations of `testigo.simulate.inject` are planted in the rows whose
mesa the workspace's registry knows (registered voters and siblings come from
it), and the copy is written with the same header, only the vote columns (and
the null and valid-votes columns, where present) of the manipulated rows
changed. The list of manipulated mesas is written next to it: the truth a
forensic run is scored against.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from testigo.domain.table import MesaTable
from testigo.errors import UserError
from testigo.pipeline.layouts import Layout, ParsedRow, choose_layout
from testigo.pipeline.table_file import read_table
from testigo.simulate.inject import inject
from testigo.store.workspace import Store

MANIPULATED_FILE = "manipulated.csv"


@dataclass(frozen=True)
class InjectReport:
    table: Path
    manipulated: Path
    rows: int
    eligible: int
    by_type: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        return {
            "table": str(self.table),
            "manipulated": str(self.manipulated),
            "rows": self.rows,
            "eligible": self.eligible,
            "by_type": self.by_type,
        }


def inject_file(
    store: Store, path: Path, spec: str, out_dir: Path, *, seed: int = 0, mapping: str | None = None
) -> InjectReport:
    """Write `out_dir/<name>.csv` (manipulated copy) and `out_dir/manipulated.csv` (mesa_id, type)."""
    table = read_table(path, path.read_bytes())
    profile, registry = store.profile, store.registry
    layout = choose_layout(table.columns, profile.election, mapping)
    parsed: list[tuple[int, ParsedRow]] = []
    for position, (line, row) in enumerate(table.rows):
        try:
            figures = layout.parse(line, row, profile.election)
        except ValueError:
            continue  # a bad row is copied as it is, never manipulated
        if figures.mesa_id in registry.mesas:
            parsed.append((position, figures))
    if not parsed:
        raise UserError(f"no row of {path.name} names a mesa of this workspace's registry: nothing to manipulate")
    mesas = [figures.mesa_id for _, figures in parsed]
    nulls = np.array([figures.null_votes or 0 for _, figures in parsed], dtype=np.int64)
    if layout.per_card:
        cards = np.array([figures.cards for _, figures in parsed], dtype=np.int64)
        source = MesaTable.from_cards(mesas, cards, nulls, profile.election, registry)
    else:
        keys = profile.election.candidate_keys()
        rows: list[dict[str, int | str]] = [
            {"mesa_id": figures.mesa_id, **dict(zip(keys, figures.votes, strict=True)), "null": int(n)}
            for (_, figures), n in zip(parsed, nulls.tolist(), strict=True)
        ]
        source = MesaTable.from_results(rows, registry, profile.election.candidate_keys())
    try:
        manipulated, log = inject(source, spec, seed)
    except ValueError as error:
        raise UserError(f"--inject: {error}") from None
    changed = {int(i) for i in np.flatnonzero(~_same_rows(source, manipulated))}
    rows_out = [dict(row) for _, row in table.rows]
    for index in changed:
        _write_back(layout, rows_out[parsed[index][0]], manipulated, index)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{path.stem}.csv"
    _write_csv(target, table.columns, rows_out)
    truth = out_dir / MANIPULATED_FILE
    _write_csv(truth, ["mesa_id", "type"], [{"mesa_id": m, "type": t} for m, t in log])
    by_type: dict[str, int] = {}
    for _, kind in log:
        by_type[kind] = by_type.get(kind, 0) + 1
    return InjectReport(target, truth, len(table.rows), len(parsed), by_type)


def _same_rows(a: MesaTable, b: MesaTable) -> np.ndarray:
    same: np.ndarray = (a.votes == b.votes).all(axis=1) & (a.null_votes == b.null_votes)
    if a.cards is not None and b.cards is not None:
        same &= (a.cards == b.cards).all(axis=1)
    return same


def _write_back(layout: Layout, row: dict[str, str], table: MesaTable, index: int) -> None:
    values = table.cards[index] if layout.per_card and table.cards is not None else table.votes[index]
    row.update({column: str(int(v)) for column, v in zip(layout.vote_columns, values.tolist(), strict=True)})
    if layout.null_column:
        row[layout.null_column] = str(int(table.null_votes[index]))
    if layout.valid_column:
        row[layout.valid_column] = str(int(table.votes[index].sum()))


def _write_csv(path: Path, columns: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
