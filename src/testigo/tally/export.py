"""Tally results as CSV (one row per area; per-card columns at mesa level)."""

from __future__ import annotations

import csv
from typing import TextIO

from testigo.tally.aggregate import TallyResult


def write_csv(result: TallyResult, stream: TextIO) -> None:
    keys = list(result.candidate_names)
    with_cards = result.level == "mesa"
    cards = len(result.rows[0].cards or []) if with_cards and result.rows else 0
    writer = csv.writer(stream, lineterminator="\n")
    header = ["level", "id", "name", "actas", "mesas_registry", *keys, "valid_votes", "null_votes"]
    writer.writerow(header + [f"card_{i}" for i in range(1, cards + 1)])
    for row in result.rows:
        values = [result.level, row.id, row.name, row.actas, row.mesas_registry]
        values += [row.candidates[k] for k in keys] + [row.valid_votes, row.null_votes]
        writer.writerow(values + list(row.cards or []))
