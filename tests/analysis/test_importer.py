"""`testigo import`: both real 2024 layouts, the per-card layout, encodings, bad rows, official rows."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from testigo.pipeline.importer import NO_NULL_VOTES, PER_CANDIDATE_ONLY, import_table
from testigo.store import official
from testigo.store.schema import RecordRow
from testigo.store.workspace import Store, init_workspace
from testigo.tally import tally


@pytest.fixture
def ws(tmp_path: Path) -> Store:
    return init_workspace(str(tmp_path / "ws"), "ve2024")


def _records(store: Store) -> list[RecordRow]:
    with store.sessions() as session:
        return list(session.query(RecordRow).order_by(RecordRow.id))


def test_resultados_layout_keeps_every_per_candidate_figure(ws: Store, resultados: Path) -> None:
    report = import_table(ws, resultados, "citizen").to_json()
    assert report["layout"] == "resultados" and report["encoding"] == "utf-8-sig"
    assert report["summary"]["accepted"] == 200 and report["problems"] == []
    first = resultados.read_text(encoding="utf-8-sig").splitlines()[1].split(",")
    record = _records(ws)[0]
    assert record.source == "import" and record.mesa_id == f"{first[6].zfill(9)}.{first[7].zfill(2)}"
    votes = ws.profile.election.per_candidate([int(v) for v in record.counts.split(",")])
    # columns EG NM LM JABE JOBR AE CF DC EM BERA are 11..20
    assert [votes[k] for k in ("gonzalez", "maduro", "martinez")] == [int(v) for v in first[11:14]]
    assert record.null_votes == int(first[10]) and PER_CANDIDATE_ONLY in record.flags
    assert '"imported_from": "resultados"' in record.extra


def test_actas_layout_says_null_votes_are_missing_and_reimport_counts_nothing_twice(ws: Store, actas: Path) -> None:
    report = import_table(ws, actas, "citizen").to_json()
    assert report["layout"] == "actas" and report["summary"]["accepted"] == 200
    record = _records(ws)[0]
    assert record.acta_id == "010101001.01.1.0001" and NO_NULL_VOTES in record.flags
    assert '"Otros": "12"' in record.extra and record.null_votes == 0
    again = import_table(ws, actas, "citizen").to_json()
    assert again["from_earlier_run"] and again["summary"] == report["summary"]
    assert tally(ws).rows[0].actas == 200


def test_both_tables_reconcile_as_duplicates_or_conflicts_never_overwrite(
    ws: Store, resultados: Path, actas: Path
) -> None:
    import_table(ws, resultados, "citizen")
    before = tally(ws).rows[0].candidates
    second = import_table(ws, actas, "citizen").to_json()["summary"]
    assert second["accepted"] + second["duplicate"] + second["conflict"] == 200
    common = tally(ws).rows[0]
    assert common.actas == 200 + second["accepted"]  # mesas of the first table keep their first record
    assert all(common.candidates[k] >= before[k] for k in before)


def test_bad_rows_are_reported_with_their_row_number_and_the_rest_goes_in(ws: Store, resultados: Path) -> None:
    lines = resultados.read_text(encoding="utf-8-sig").splitlines()
    bad = lines[2].split(",")
    bad[11] = "12x"  # EG not a number
    negative = lines[3].split(",")
    negative[12] = "-4"
    unknown = lines[4].split(",")
    unknown[6] = "999999999"
    lines[2:5] = [",".join(bad), ",".join(negative), ",".join(unknown)]
    resultados.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = import_table(ws, resultados, "citizen").to_json()
    problems = {p["row"]: p["reason"] for p in report["problems"]}
    assert set(problems) == {3, 4, 5}
    assert "EG is '12x'" in problems[3] and "row 3" in problems[3]
    assert "NM is '-4'" in problems[4]
    assert "unknown center 999999999" in problems[5]
    assert report["summary"]["accepted"] == 197 and report["summary"]["invalid"] == 3


@pytest.mark.parametrize("encoding", ["latin-1", "cp1252", "utf-8-sig", "utf-16"])
def test_any_common_encoding_and_semicolons(ws: Store, actas: Path, encoding: str) -> None:
    text = actas.read_text(encoding="utf-8").replace("UNIDAD EDUCATIVA", "ESCUELA ÁNGEL NIÑO")
    actas.write_bytes(text.replace(",", ";").encode(encoding))
    report = import_table(ws, actas, "citizen").to_json()
    assert report["summary"]["accepted"] == 200 and report["problems"] == []


def test_per_card_layout_and_parquet(ws: Store, tmp_path: Path) -> None:
    cards = [0] * 38
    cards[0], cards[35], cards[34] = 120, 200, 7  # PSUV, MUD, MPV: votes on several of González's cards
    row = {"mesa_id": "010101001.01", "null_votes": 3, **{f"card_{i + 1}": v for i, v in enumerate(cards)}}
    path = tmp_path / "cards.parquet"
    pq.write_table(pa.Table.from_pylist([row]), path)
    report = import_table(ws, path, "citizen").to_json()
    assert report["layout"] == "cards" and report["summary"]["accepted"] == 1
    record = _records(ws)[0]
    assert [int(v) for v in record.counts.split(",")] == cards and PER_CANDIDATE_ONLY not in record.flags


def test_official_rows_are_kept_apart(ws: Store, resultados: Path, cli: Callable[..., Any]) -> None:
    report = cli("import", str(resultados), "--source", "official", "--workspace", str(ws.workspace.root))
    assert report["summary"]["accepted"] == 200
    assert _records(ws) == [] and tally(ws).rows == []
    with ws.sessions() as session:
        assert len(official.load(session)) == 200
    again = cli("import", str(resultados), "--source", "official", "--workspace", str(ws.workspace.root))
    assert again["summary"]["duplicate"] == 200
