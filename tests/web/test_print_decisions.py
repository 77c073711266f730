"""Reviewer decisions on sheets whose print was read: mismatches found misread or altered, and the machine's reading
as one entry of a transcription — each with its outcome in the records, the tally and a log that replays."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from testigo.domain.printed import MISMATCH
from testigo.ledger.entries import MACHINE_READER, read_entries
from testigo.pipeline.ingest import ingest
from testigo.publish.model import Files, derive
from testigo.simulate import simulate
from testigo.store import ledger as log_table
from testigo.store import overview, reviews
from testigo.store.records import ACCEPTED, CONFLICT
from testigo.store.workspace import Store
from testigo.tally import tally
from testigo.web import accounts
from testigo.web.decisions import (
    MANUAL_PRINT_SOURCE,
    DecisionError,
    enter_manual,
    own_entry,
    resolve_mismatch,
)
from testigo.web.keys import pseudonym
from tests.conftest import small_mesas
from tests.web.conftest import PASSWORD, acta_png, ready
from tests.web.printed_sheets import machine_read_sheet, mismatched_sheet
from tests.web.test_decisions import _ingest

SECRET = b"s" * 32


def _reviewer(store: Store, name: str) -> accounts.Account:
    return accounts.accept_invitation(store, accounts.invite(store, accounts.REVIEWER), name, PASSWORD)


def _decisions_logged(store: Store) -> list[dict[str, object]]:
    with store.sessions() as session:
        return [json.loads(e.body) for e in log_table.entries(session) if e.kind == "decision"]


def _replayed(store: Store):  # type: ignore[no-untyped-def]
    """What a bundle of this workspace would count: the log replayed on its own."""
    with store.sessions() as session:
        entries, problems = read_entries([e.body for e in log_table.entries(session)])
    assert not problems
    return derive(entries, store.profile, store.registry, Files())


def _gonzalez(store: Store) -> list[int]:
    """González's votes in each counted acta."""
    return [row.candidates["gonzalez"] for row in tally(store, "mesa").rows]


# --- mismatches --------------------------------------------------------------------------------------------------


def test_a_misread_print_settles_the_qr_code_as_an_accepted_acta(store: Store) -> None:
    ready(store)
    mesa = small_mesas(1)[0]
    item, payload = mismatched_sheet(store, mesa, gonzalez=200, printed=290)
    assert _gonzalez(store) == []  # a mismatch counts nowhere
    with store.sessions() as session:
        [line] = reviews.mismatch_queue(session).items
        # but its image is public already, as in the bundle: the evidence of a possibly altered sheet
        assert reviews.image_is_public(session, line.sha256 or "")
        assert overview.public_work(session).awaiting_finding == 1  # public pages say it waits for a reviewer
    assert line.item_id == item
    ana = _reviewer(store, "ana")
    decided = resolve_mismatch(store, SECRET, ana, item, "misread", "the print says 200; the 2 looked like a 9")
    assert (decided.status, decided.finding, decided.mesa_id) == (ACCEPTED, "misread", mesa)
    [row] = tally(store, "mesa").rows
    assert row.candidates["gonzalez"] == 200  # the QR code's figure, not the print as misread
    with store.sessions() as session:
        assert reviews.mismatch_queue(session).items == []
        [record] = reviews.records_of_mesa(session, mesa)
        assert (record.status, record.source, record.payload) == (ACCEPTED, "image", payload)
        [decision] = reviews.decisions_of_mesa(session, mesa)
        assert (decision.action, decision.item_id, decision.record_id) == ("resolve_mismatch", item, record.id)
        assert [e.status for e in reviews.evidence_of(session, [record.id])[record.id]] == ["resolve_mismatch"]
        assert reviews.image_is_public(session, line.sha256 or "")
    with store.sessions() as session:
        assert overview.public_work(session).awaiting_finding == 0
    [entry] = _decisions_logged(store)
    assert entry["action"] == "resolve_mismatch" and entry["finding"] == "misread" and entry["status"] == ACCEPTED
    assert entry["payload"] == payload and entry["sha256"] == line.sha256
    assert entry["reviewers"] == [pseudonym(SECRET, ana.id)] and entry["reason"].startswith("the print says 200")  # type: ignore[union-attr]
    replayed = _replayed(store)
    assert replayed.problems == ()
    result = replayed.mesas[mesa]
    assert result.record.payload == payload and result.decision is not None and result.accepted.evidence == "image"
    with pytest.raises(DecisionError) as again:
        resolve_mismatch(store, SECRET, _reviewer(store, "bea"), item, "altered", "no")
    assert again.value.status_code == 409


def test_an_altered_sheet_stays_out_of_the_count_and_is_logged_as_confirmed(store: Store) -> None:
    ready(store)
    mesa = small_mesas(1)[0]
    item, payload = mismatched_sheet(store, mesa)
    decided = resolve_mismatch(store, SECRET, _reviewer(store, "ana"), item, "altered", "the 290 is printed over")
    assert (decided.status, decided.finding) == (MISMATCH, "altered")
    assert tally(store, "mesa").rows == []
    with store.sessions() as session:
        assert reviews.records_of_mesa(session, mesa) == []
        assert reviews.mismatch_queue(session).items == []
        [decision] = reviews.decisions_of_mesa(session, mesa)
        assert (decision.outcome, decision.record_id) == (MISMATCH, None)
    [entry] = _decisions_logged(store)
    assert (entry["finding"], entry["status"], entry["payload"]) == ("altered", MISMATCH, payload)
    replayed = _replayed(store)
    assert replayed.problems == () and replayed.mesas == {}


def test_a_misread_print_of_a_mesa_already_counted_otherwise_is_a_conflict(store: Store) -> None:
    ready(store)
    mesa = small_mesas(1)[0]
    _ingest(store, "first.png", acta_png(mesa, gonzalez=150))
    item, _ = mismatched_sheet(store, mesa, gonzalez=200)
    decided = resolve_mismatch(store, SECRET, _reviewer(store, "ana"), item, "misread", "print shows 200")
    assert decided.status == CONFLICT
    assert _gonzalez(store) == [150]
    with store.sessions() as session:
        assert [mesa] == [m for m, _ in reviews.conflict_queue(session).items]
    assert _replayed(store).problems == ()


def test_a_finding_needs_a_reason_a_known_word_and_a_waiting_mismatch(store: Store) -> None:
    ready(store)
    item, _ = mismatched_sheet(store, small_mesas(1)[0])
    ana = _reviewer(store, "ana")
    with pytest.raises(DecisionError, match="say why"):
        resolve_mismatch(store, SECRET, ana, item, "misread", " ")
    with pytest.raises(DecisionError) as unknown:
        resolve_mismatch(store, SECRET, ana, item, "accepted", "because")
    assert unknown.value.status_code == 422
    with pytest.raises(DecisionError) as missing:
        resolve_mismatch(store, SECRET, ana, item + 1000, "misread", "because")
    assert missing.value.status_code == 404
    assert _decisions_logged(store) == []


@pytest.mark.slow
def test_an_altered_acta_goes_from_ingest_to_the_queue_and_a_finding(store: Store, tmp_path: Path) -> None:
    """End to end: a rendered acta whose print was altered is read, kept as a mismatch, and found misread or
    altered by a reviewer (here: altered, as it is)."""
    ready(store)
    truth = json.loads(simulate(tmp_path / "sim", 1, seed=5, quality="scan", altered=1, workers=1).read_text())
    [altered] = [e for e in truth["files"] if e["expected"] == "mismatch"]
    report = ingest(store, [tmp_path / "sim" / altered["file"]], workers=1)
    assert [f.status for f in report.files] == [MISMATCH]
    with store.sessions() as session:
        [line] = reviews.mismatch_queue(session).items
    assert line.acta_id == altered["acta_id"]
    decided = resolve_mismatch(store, SECRET, _reviewer(store, "ana"), line.item_id, "altered", "card 1 reprinted")
    assert decided.status == MISMATCH and tally(store, "mesa").rows == []
    assert _replayed(store).problems == ()


# --- the machine's reading as one entry --------------------------------------------------------------------------


def _counts(gonzalez: int = 240) -> list[int]:
    counts = [0] * 38
    counts[0], counts[35] = 120, gonzalez
    return counts


def test_one_reviewer_typing_what_the_machine_read_settles_the_sheet(store: Store) -> None:
    ready(store)
    mesa = small_mesas(1)[0]
    item = machine_read_sheet(store, mesa, _counts(), 3)
    ana = _reviewer(store, "ana")
    result = enter_manual(store, SECRET, ana, item, mesa, _counts(), 3)
    assert result.decided is not None and result.decided.status == ACCEPTED
    assert (result.entries, result.machine, result.machine_agreed) == (2, True, True)
    assert _gonzalez(store) == [240]
    with store.sessions() as session:
        [record] = reviews.records_of_mesa(session, mesa)
        assert record.source == MANUAL_PRINT_SOURCE
        [decision] = reviews.decisions_of_mesa(session, mesa)
        assert json.loads(decision.reviewers) == [ana.id]  # accounts only: the machine is none
    [entry] = _decisions_logged(store)
    assert entry["action"] == "manual_entry"
    assert entry["reviewers"] == sorted([pseudonym(SECRET, ana.id), MACHINE_READER])
    replayed = _replayed(store)
    assert replayed.problems == () and replayed.mesas[mesa].record.counts == tuple(_counts())


def test_a_reviewer_differing_from_the_machine_waits_for_a_second_one(store: Store) -> None:
    ready(store)
    mesa = small_mesas(1)[0]
    item = machine_read_sheet(store, mesa, _counts(240), 3)
    ana = _reviewer(store, "ana")
    result = enter_manual(store, SECRET, ana, item, mesa, _counts(204), 3)
    assert (result.decided, result.disagreement, result.entries, result.machine) == (None, True, 2, True)
    own = own_entry(store, ana, item)
    # said, never located: marked field by field, one reviewer could correct until they matched the machine
    assert own is not None and own.differs == frozenset() and own.machine_differs and own.others == 1
    assert tally(store, "mesa").rows == [] and _decisions_logged(store) == []
    with store.sessions() as session:
        [line] = reviews.unreadable_queue(session, reviewer_id=0).items
    assert line.item_id == item


@pytest.mark.parametrize(("second", "with_machine"), [(240, True), (204, False)])
def test_a_second_reviewer_agreeing_with_the_machine_or_the_first_settles_it(
    store: Store, second: int, with_machine: bool
) -> None:
    ready(store)
    mesa = small_mesas(1)[0]
    item = machine_read_sheet(store, mesa, _counts(240), 3)
    ana, bea = _reviewer(store, "ana"), _reviewer(store, "bea")
    enter_manual(store, SECRET, ana, item, mesa, _counts(204), 3)
    result = enter_manual(store, SECRET, bea, item, mesa, _counts(second), 3)
    assert result.decided is not None and result.decided.status == ACCEPTED
    assert result.machine_agreed is with_machine
    assert _gonzalez(store) == [second]
    [entry] = _decisions_logged(store)
    humans = [bea] if with_machine else [ana, bea]
    expected = [pseudonym(SECRET, r.id) for r in humans] + ([MACHINE_READER] if with_machine else [])
    assert entry["reviewers"] == sorted(expected)
    with store.sessions() as session:
        [record] = reviews.records_of_mesa(session, mesa)
    assert record.source == (MANUAL_PRINT_SOURCE if with_machine else "manual")
    assert _replayed(store).problems == ()


def test_a_machine_reading_with_an_illegible_figure_is_no_entry(store: Store) -> None:
    ready(store)
    mesa = small_mesas(1)[0]
    item = machine_read_sheet(store, mesa, _counts(), 3, illegible=("card_07",))
    result = enter_manual(store, SECRET, _reviewer(store, "ana"), item, mesa, _counts(), 3)
    assert (result.decided, result.entries, result.machine) == (None, 1, False)


def test_the_machine_counts_once_and_a_printed_total_only_warns(store: Store) -> None:
    ready(store)
    mesa = small_mesas(1)[0]
    item = machine_read_sheet(store, mesa, _counts(), 3)
    ana = _reviewer(store, "ana")
    typo = enter_manual(store, SECRET, ana, item, mesa, _counts(204), 3, printed_total=360)
    assert typo.total_differs and (typo.cards_sum, typo.printed_total) == (324, 360) and typo.decided is None
    corrected = enter_manual(store, SECRET, ana, item, mesa, _counts(240), 3, printed_total=360)
    assert corrected.revised and not corrected.total_differs and corrected.decided is not None
    [entry] = _decisions_logged(store)
    assert entry["reviewers"].count(MACHINE_READER) == 1  # type: ignore[union-attr]
