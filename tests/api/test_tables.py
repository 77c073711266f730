"""Results, records and items as Arrow tables: flat typed columns, the library's figures, one line to pandas."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pytest

import testigo
from testigo.tally import tally
from tests.api.sample import ROWS

#: The ve2024 candidates in ballot order.
CANDIDATES = "maduro martinez bertucci brito ecarri fermin ceballos gonzalez marquez rausseo".split()


def test_results_have_one_int_column_per_candidate_and_one_share(ws: testigo.Workspace) -> None:
    table = testigo.results(ws, level="state")
    assert table.column_names == [
        *("id", "name", "actas", "mesas_registry", "valid_votes", "null_votes"),
        *CANDIDATES,
        *(f"share_{k}" for k in CANDIDATES),
    ]
    types = dict(zip(table.column_names, table.schema.types, strict=True))
    assert {types[k] for k in CANDIDATES} == {pa.int64()}
    assert {types[f"share_{k}"] for k in CANDIDATES} == {pa.float64()}
    assert types["id"] == pa.string() and types["actas"] == pa.int64()
    field = table.schema.field("gonzalez")
    assert field.metadata == {b"candidate": b"gonzalez", b"name": "Edmundo González".encode()}
    metadata = table.schema.metadata
    assert json.loads(metadata[b"testigo.level"]) == "state"
    assert json.loads(metadata[b"testigo.coverage"])["mesas_covered"] == ROWS
    assert list(json.loads(metadata[b"testigo.candidates"])) == CANDIDATES


def test_results_are_the_tally_at_every_level(ws: testigo.Workspace) -> None:
    for level in testigo.LEVELS:
        table = testigo.results(ws, level)
        expected = tally(ws.store, level)
        assert table.column("id").to_pylist() == [row.id for row in expected.rows]
        for key in CANDIDATES:
            assert table.column(key).to_pylist() == [row.candidates[key] for row in expected.rows]
            assert table.column(f"share_{key}").to_pylist() == [row.shares[key] for row in expected.rows]
        assert table.column("valid_votes").to_pylist() == [row.valid_votes for row in expected.rows]
    country = testigo.results(ws).to_pylist()[0]
    states = testigo.results(ws, "state")
    assert country["id"] == "national" and country["actas"] == ROWS
    assert country["gonzalez"] == pc.sum(states.column("gonzalez")).as_py()
    assert states.num_rows > 20  # the sample reaches nearly every state
    with pytest.raises(testigo.UserError, match="unknown level 'province'"):
        testigo.results(ws, "province")


def test_to_pandas_is_one_line_with_integer_columns(ws: testigo.Workspace) -> None:
    pytest.importorskip("pandas")
    frame = testigo.results(ws, level="state").to_pandas()
    assert str(frame["gonzalez"].dtype) == "int64" and str(frame["share_gonzalez"].dtype) == "float64"
    assert frame.set_index("id").loc["01", "name"] == "DISTRITO CAPITAL"


def test_records_are_the_accepted_mesas_with_geography_candidates_and_cards(ws: testigo.Workspace) -> None:
    table = testigo.records(ws)
    cards = [f"card_{card.number}" for card in ws.store.profile.election.cards]
    assert table.column_names == [
        *("mesa_id", "acta_id", "state_id", "municipality_id", "parish_id", "center_id", "registered"),
        *CANDIDATES,
        "valid_votes",
        "null_votes",
        *cards,
    ]
    assert table.num_rows == ROWS
    ids = table.column("mesa_id").to_pylist()
    assert ids == sorted(ids)
    first = table.slice(0, 1).to_pylist()[0]
    assert first["mesa_id"].startswith(first["center_id"]) and first["center_id"].startswith(first["parish_id"])
    assert first["parish_id"].startswith(first["municipality_id"]) and first["municipality_id"][:2] == first["state_id"]
    assert first["registered"] == ws.store.registry.mesas[first["mesa_id"]].registered
    for row in table.to_pylist():
        assert sum(row[c] for c in cards) == row["valid_votes"] == sum(row[k] for k in CANDIDATES)
    country = testigo.results(ws).to_pylist()[0]
    assert {k: pc.sum(table.column(k)).as_py() for k in CANDIDATES} == {k: country[k] for k in CANDIDATES}


def test_records_saved_as_csv_import_back_to_the_same_results(ws: testigo.Workspace, tmp_path: Path) -> None:
    """The columns are those of the published mesas.csv, a layout `testigo import` reads."""
    pacsv.write_csv(testigo.records(ws), tmp_path / "records.csv")
    with testigo.init(tmp_path / "copy", "ve2024") as copy:
        report = testigo.import_table(copy, tmp_path / "records.csv")
        assert report.layout == "cards" and {r.status for r in report.rows} == {"accepted"}
        for level in ("country", "state", "mesa"):
            assert copy.results(level).drop_columns(["name"]).equals(ws.results(level).drop_columns(["name"]))


def test_items_are_the_review_queue(ws: testigo.Workspace) -> None:
    table = testigo.items(ws)
    assert table.column_names == ["path", "sha256", "page", "status", "reason", "mesa", "submitted_at"]
    assert table.schema.field("submitted_at").type == pa.timestamp("us", tz="UTC")
    assert table.schema.field("page").type == pa.int64()
    assert table.num_rows == ROWS and set(table.column("status").to_pylist()) == {"accepted"}
    assert testigo.items(ws, status="conflict").num_rows == 0
    with pytest.raises(testigo.UserError, match="unknown status 'pending'"):
        testigo.items(ws, status="pending")


def test_status_and_coverage_are_the_library_types(ws: testigo.Workspace) -> None:
    overview = testigo.status(ws)
    assert isinstance(overview, testigo.Overview)
    assert overview.records == {"accepted": ROWS} and overview.pending_submissions == 0
    coverage = testigo.coverage(ws)
    assert isinstance(coverage, testigo.Coverage)
    assert coverage.mesas_covered == ROWS and coverage.mesas_national == 30026
