"""Bringing results in through the API: `ingest` (files of actas) and `import_table` (per-mesa tables)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

import testigo
from testigo.pipeline.ingest import IngestReport as LibraryIngestReport
from testigo.simulate import simulate
from tests.api.sample import OFICIAL, RESULTADOS, ROWS, WORKSPACE


def test_ingest_reports_every_file_and_its_table(tmp_path: Path) -> None:
    simulate(tmp_path / "sim", 3, seed=5, quality="scan", workers=1)
    junk = tmp_path / "sim" / "actas" / "notes.txt"
    junk.write_text("not an acta", encoding="utf-8")
    with testigo.init(tmp_path / "ws", "ve2024") as ws:
        report = testigo.ingest(ws, [tmp_path / "sim" / "actas"], workers=1)
        assert isinstance(report, testigo.IngestReport) and isinstance(report, LibraryIngestReport)
        assert report.summary()["accepted"] == 3 and report.summary()["rejected"] == 1
        table = report.to_arrow()
        assert table.column_names == [
            *("path", "sha256", "page", "status", "reason", "mesa", "strategy", "from_earlier_run"),
        ]
        assert table.schema.field("from_earlier_run").type == pa.bool_()
        assert sorted(table.column("status").to_pylist()) == ["accepted"] * 3 + ["rejected"]
        again = ws.ingest([str(tmp_path / "sim" / "actas")], workers=1)  # idempotent: reported from the database
        assert all(again.to_arrow().column("from_earlier_run").to_pylist())
        assert ws.results().column("actas").to_pylist() == [3]
        assert ws.items("rejected").column("path").to_pylist() == [str(junk)]


def test_import_table_reports_rows_and_official_figures_stay_apart(sample: Path) -> None:
    with testigo.open(sample / WORKSPACE) as ws:
        again = testigo.import_table(ws, sample / RESULTADOS)  # the rows already in, from the same table
        assert isinstance(again, testigo.ImportReport)
        assert {row.status for row in again.rows} == {"duplicate"}
        official = ws.import_table(str(sample / OFICIAL), "official")
        assert official.source == "official" and official.layout == "resultados"
        table = official.to_arrow()
        assert table.column_names == ["row", "status", "reason", "mesa"] and table.num_rows == ROWS
        assert ws.results().column("actas").to_pylist() == [ROWS]  # official rows never count
