"""Ingest end to end on simulated actas: exact tallies, bad inputs, duplicates, resume."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from testigo.domain import Status
from testigo.pipeline.ingest import ingest
from testigo.simulate import simulate
from testigo.store.schema import ItemRow, RecordRow, SubmissionRow
from testigo.store.workspace import Store, init_workspace
from testigo.tally import tally


def _truth(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "truth.json").read_text(encoding="utf-8"))


@pytest.mark.slow
def test_mixed_quality_election_tallies_exactly_to_the_truth(tmp_path: Path) -> None:
    # SQLite only: decoding does not depend on the database, and PostgreSQL runs the other ingest tests
    store = init_workspace(str(tmp_path / "ws"), "ve2024")
    sim = tmp_path / "sim"
    # 30 sheets, 10 of each quality: every sheet's print is read too (about 0.85 s of CPU each, so 60 sheets
    # took 52 s of the suite); benchmarks/print.py measures the rates, this holds the whole path to an exact tally
    simulate(sim, 30, seed=7, quality="mixed", workers=2)
    truth = _truth(sim)
    report = ingest(store, [sim / "actas"], workers=2)
    assert report.summary()["accepted"] == 30, [f for f in report.files if f.status != "accepted"]
    expected = {e["acta_id"]: (e["counts"], e["null_votes"]) for e in truth["files"] if e["kind"] == "acta"}
    got = {row.id: (row.cards, row.null_votes) for row in tally(store, "mesa").rows}
    assert got == expected  # every card of every mesa, no wrong read, nothing missing
    assert all(f.strategy for f in report.files)
    national = tally(store, "country").rows[0].candidates
    assert national["gonzalez"] == sum(sum(c[33:36]) for c, _ in expected.values())


def test_bad_files_and_forgeries_end_as_the_truth_expects(store: Store, tmp_path: Path) -> None:
    sim = tmp_path / "sim"
    simulate(sim, 6, seed=11, quality="scan", bad_files=True, forgeries=3, workers=1)
    truth = _truth(sim)
    report = ingest(store, [sim / "actas"], workers=1)
    for entry in truth["files"]:
        # a zip archive yields one result per entry, each named <archive>!<entry>
        result = [f for f in report.files if Path(f.path.split("!")[0]) == sim / entry["file"]]
        assert result, f"{entry['file']} missing from the report"
        assert {f.status for f in result} == {entry["expected"]}, (entry, result)
        if entry["expected"] != Status.ACCEPTED:
            assert all(f.reason and "\n" not in f.reason for f in result), result
    with store.sessions() as session:
        accepted = session.execute(select(func.count()).where(RecordRow.status == "accepted")).scalar_one()
        conflicts = session.execute(select(func.count()).where(RecordRow.status == "conflict")).scalar_one()
    assert accepted == sum(1 for e in truth["files"] if e["expected"] == "accepted")
    assert conflicts == sum(1 for e in truth["files"] if e["expected"] == "conflict")


def test_reingest_is_idempotent_and_copies_are_duplicates(store: Store, tmp_path: Path) -> None:
    images = tmp_path / "sim" / "actas"
    simulate(tmp_path / "sim", 4, seed=3, quality="scan", workers=1)
    first = ingest(store, [images], workers=1)
    assert first.summary()["accepted"] == 4
    again = ingest(store, [images], workers=1)
    assert [(f.path, f.status, f.mesa) for f in again.files] == [(f.path, f.status, f.mesa) for f in first.files]
    assert all(f.from_earlier_run for f in again.files)
    copies = tmp_path / "copies"
    copies.mkdir()
    one = sorted(images.glob("acta_*"))[0]
    shutil.copy(one, copies / "renamed.jpg")
    [copy] = ingest(store, [copies], workers=1).files
    assert copy.status == Status.DUPLICATE and "identical file already submitted" in (copy.reason or "")
    with store.sessions() as session:
        assert session.execute(select(func.count()).select_from(SubmissionRow)).scalar_one() == 4 + 1
        assert session.execute(select(func.count()).select_from(RecordRow)).scalar_one() == 4
        assert session.execute(select(func.count()).select_from(ItemRow)).scalar_one() == 4 + 1
    blobs = [p for p in store.blobs.root.rglob("*") if p.is_file()]
    assert len(blobs) == 4  # the copy shares its blob
