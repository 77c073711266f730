"""Reviewer decisions reach the bundle: its figures equal `testigo tally`'s after any decision; verify replays them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from testigo.capture import Incoming
from testigo.pipeline.ingest import ingest, ingest_files
from testigo.publish import publish
from testigo.publish.layout import MESAS_JSON, TOTALS_JSON, page_path
from testigo.simulate import simulate
from testigo.store import reviews
from testigo.store.records import ACCEPTED, CONFLICT
from testigo.store.schema import ItemRow
from testigo.store.workspace import Store, init_workspace
from testigo.tally import tally
from testigo.verify import verify_bundle
from testigo.web import accounts
from testigo.web.decisions import enter_manual, resolve_conflict, resolve_mismatch
from testigo.web.keys import pseudonym
from tests.conftest import small_mesas
from tests.web.conftest import PASSWORD, acta_png, blank_png
from tests.web.printed_sheets import machine_read_sheet

SECRET = b"s" * 32


def _ingest(store: Store, name: str, data: bytes) -> None:
    ingest_files(store, [Incoming(f"test:{name}", name, data)], workers=1)


def _reviewer(store: Store, name: str) -> accounts.Account:
    return accounts.accept_invitation(store, accounts.invite(store, accounts.REVIEWER), name, PASSWORD)


def _mesa_row(bundle: Path, mesa: str) -> dict[str, object]:
    rows = json.loads((bundle / MESAS_JSON).read_text(encoding="utf-8"))["mesas"]
    return next(row for row in rows if row["mesa_id"] == mesa)


def test_a_resolved_conflict_publishes_the_chosen_acta_and_verifies(tmp_path: Path) -> None:
    store = init_workspace(str(tmp_path / "ws"))
    mesa = small_mesas(1)[0]
    _ingest(store, "first.png", acta_png(mesa, gonzalez=200))
    _ingest(store, "second.png", acta_png(mesa, gonzalez=150))
    with store.sessions() as session:
        rows = {r.status: r.id for r in reviews.records_of_mesa(session, mesa)}
    ana = _reviewer(store, "ana")
    decided = resolve_conflict(store, SECRET, ana, mesa, rows[CONFLICT], "the printed figures say 150")
    bundle = tmp_path / "bundle"
    publish(store, bundle)
    [live] = tally(store, "country").rows
    key = str(store.signer.verifier)
    store.close()

    totals = json.loads((bundle / TOTALS_JSON).read_text(encoding="utf-8"))["country"]["rows"][0]
    assert totals["candidates"]["gonzalez"] == live.candidates["gonzalez"] == 150
    row = _mesa_row(bundle, mesa)
    assert row["candidates"]["gonzalez"] == 150 and row["decision_entry"] == decided.log_seq
    assert row["evidence"] == "image" and len(row["images"]) == 2
    page = (bundle / page_path("mesa", mesa)).read_text(encoding="utf-8")
    assert pseudonym(SECRET, ana.id) in page and "the printed figures say 150" in page and "ana" not in page
    report = verify_bundle(bundle, key=key, workers=1)
    assert report.ok, report.problems


def test_a_sheet_typed_by_two_reviewers_is_published_with_its_image_and_verifies(tmp_path: Path) -> None:
    store = init_workspace(str(tmp_path / "ws"))
    _ingest(store, "blurred.png", blank_png())
    with store.sessions() as session:
        item = session.query(ItemRow).one()
    mesa = small_mesas(1)[0]
    counts = [0] * 38
    counts[0], counts[35] = 120, 240
    ana, bea = _reviewer(store, "ana"), _reviewer(store, "bea")
    enter_manual(store, SECRET, ana, item.id, mesa, counts, 3)
    settled = enter_manual(store, SECRET, bea, item.id, mesa, counts, 3)
    assert settled.decided is not None and settled.decided.status == ACCEPTED
    bundle = tmp_path / "bundle"
    assert publish(store, bundle).mesas == 1
    [live] = tally(store, "country").rows
    key = str(store.signer.verifier)
    store.close()

    row = _mesa_row(bundle, mesa)
    assert row["candidates"]["gonzalez"] == live.candidates["gonzalez"] == 240
    assert row["evidence"] == "manual" and row["log_entry"] == row["decision_entry"] == settled.decided.log_seq
    [image] = row["images"]
    assert (bundle / image).is_file()
    page = (bundle / page_path("mesa", mesa)).read_text(encoding="utf-8")
    assert pseudonym(SECRET, ana.id) in page and pseudonym(SECRET, bea.id) in page
    report = verify_bundle(bundle, key=key, workers=1)
    assert report.ok, report.problems
    decoding = next(c for c in report.checks if c.check == "decoding")
    assert "1 images of unreadable sheets typed by hand were hashed, not decoded" in decoding.detail


@pytest.mark.slow
def test_print_findings_and_a_machine_entry_are_published_and_verify(tmp_path: Path) -> None:
    """An altered acta found altered, and a sheet one reviewer typed as the machine read its print: the bundle
    counts the one and not the other, and verify replays both from the log."""
    store = init_workspace(str(tmp_path / "ws"))
    truth = json.loads(simulate(tmp_path / "sim", 1, seed=5, quality="scan", altered=1, workers=1).read_text())
    [altered] = [e for e in truth["files"] if e["expected"] == "mismatch"]
    ingest(store, [tmp_path / "sim" / altered["file"]], workers=1)
    with store.sessions() as session:
        [line] = reviews.mismatch_queue(session).items
    ana = _reviewer(store, "ana")
    resolve_mismatch(store, SECRET, ana, line.item_id, "altered", "card 1 printed over")
    mesa = small_mesas(1)[0]
    counts = [0] * 38
    counts[0], counts[35] = 120, 240
    item = machine_read_sheet(store, mesa, counts, 3)
    settled = enter_manual(store, SECRET, ana, item, mesa, counts, 3)
    assert settled.decided is not None and settled.machine_agreed
    bundle = tmp_path / "bundle"
    assert publish(store, bundle).mesas == 1
    key = str(store.signer.verifier)
    store.close()

    row = _mesa_row(bundle, mesa)
    assert row["evidence"] == "manual" and row["decision_entry"] == settled.decided.log_seq
    assert not any(r["mesa_id"] == altered["mesa_id"] for r in _rows(bundle))
    report = verify_bundle(bundle, key=key, workers=1)
    assert report.ok, report.problems


def _rows(bundle: Path) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = json.loads((bundle / MESAS_JSON).read_text(encoding="utf-8"))["mesas"]
    return rows
