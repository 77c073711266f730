"""Forensics, projection and comparison through the API: the library's typed results, plus Arrow views."""

from __future__ import annotations

from pathlib import Path

import pytest

import testigo
from testigo.forensics import run_all
from testigo.pipeline.analysis import accepted_table
from testigo.pipeline.analysis import projection as library_projection
from testigo.pipeline.compare import Comparison as LibraryComparison
from testigo.tally.projection import Projection as LibraryProjection
from tests.api.sample import OFICIAL, PLANTED, ROWS


def test_forensics_gives_the_tests_and_the_flagged_mesas(ws: testigo.Workspace, tmp_path: Path) -> None:
    found = testigo.forensics(ws, report=tmp_path / "report.html")
    assert [t.id for t in found.tests] == [*(t.id for t in run_all(accepted_table(ws.store))), "print_mismatch"]
    assert all(isinstance(t, testigo.TestResult) for t in found.tests)
    assert found.flagged.column_names == ["mesa", "tests", "flags"]
    flagged = {row["mesa"]: row["tests"] for row in found.flagged.to_pylist()}
    by_test = {t.id: {f.mesa for f in t.flagged} for t in found.tests}
    assert flagged == {m: [t for t in by_test if m in by_test[t]] for m in set().union(*by_test.values())}
    summary = found.to_arrow()
    assert summary.column_names == ["id", "statistic", "p_value", "q_value", "flagged", "caveat"]
    assert summary.column("flagged").to_pylist() == [len(t.flagged) for t in found.tests]
    assert found.flags().num_rows == sum(len(t.flagged) for t in found.tests)
    assert found.to_json()["tests"][0]["id"] == "impossible"
    assert "<html" in (tmp_path / "report.html").read_text(encoding="utf-8")[:500].lower()
    with pytest.raises(testigo.UserError, match="unknown candidate 'nobody'"):
        testigo.forensics(ws, candidate="nobody")


def test_forensics_and_projection_of_an_empty_workspace_say_so(tmp_path: Path) -> None:
    with testigo.init(tmp_path / "empty", "ve2024") as empty:
        with pytest.raises(testigo.UserError, match="no accepted actas yet"):
            empty.forensics()
        with pytest.raises(testigo.UserError, match="no accepted actas yet"):
            empty.projection()


def test_projection_is_the_library_projection_with_a_table(ws: testigo.Workspace) -> None:
    projected = testigo.projection(ws)
    assert isinstance(projected, testigo.Projection) and isinstance(projected, LibraryProjection)
    expected = library_projection(ws.store)
    assert projected.shares == expected.shares and projected.leader == expected.leader == "gonzalez"
    assert projected.mesas_covered == ROWS
    table = projected.to_arrow()
    assert table.column_names == ["key", "name", "votes", "votes_low", "votes_high", "share", "share_low", "share_high"]
    rows = {row["key"]: row for row in table.to_pylist()}
    assert list(rows)[-1] == "null" and rows["null"]["share"] is None
    gonzalez = rows["gonzalez"]
    assert gonzalez["name"] == "Edmundo González"
    assert gonzalez["share_low"] < gonzalez["share"] == expected.shares["gonzalez"].estimate < gonzalez["share_high"]
    assert testigo.projection(ws, confidence=0.99).to_arrow().schema.metadata[b"testigo.confidence"] == b"0.99"


def test_compare_finds_the_planted_differences(ws: testigo.Workspace, sample: Path) -> None:
    with pytest.raises(testigo.UserError, match="no official results yet"):
        testigo.compare(ws)
    ws.import_table(sample / OFICIAL, "official")
    compared = testigo.compare(ws, level="state")
    assert isinstance(compared, testigo.Comparison) and isinstance(compared, LibraryComparison)
    moved = sum(votes for _, votes in PLANTED)
    assert compared.national_effect["maduro"] == moved and compared.national_effect["gonzalez"] == -moved
    areas = compared.to_arrow()
    assert areas.column_names[:4] == ["id", "name", "mesas_compared", "mesas_differing"]
    assert sum(areas.column("mesas_compared").to_pylist()) == ROWS
    assert sum(areas.column("difference_maduro").to_pylist()) == moved
    mesas = compared.differing_to_arrow()
    assert mesas.num_rows == len(PLANTED)
    assert mesas.column("votes_changed").to_pylist() == [2 * votes for _, votes in PLANTED]
    for row in mesas.to_pylist():
        assert row["official_maduro"] - row["verified_maduro"] == row["difference_maduro"] == 50
