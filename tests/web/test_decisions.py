"""Reviewer decisions on SQLite and PostgreSQL: conflicts, blind double entry, flags — each logged."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest

from testigo.capture import Incoming
from testigo.ledger.entries import MANUAL_ENTRY, SUPERSEDED
from testigo.pipeline.importer import NO_NULL_VOTES, PER_CANDIDATE_ONLY
from testigo.pipeline.ingest import ingest_files
from testigo.pipeline.logbook import checkpoint, inclusion
from testigo.pipeline.reconcile import settle_record
from testigo.store import ledger as log_table
from testigo.store import reviews
from testigo.store.records import ACCEPTED, CONFLICT
from testigo.store.workspace import Store
from testigo.tally import tally
from testigo.web import accounts
from testigo.web.decisions import DecisionError, enter_manual, resolve_conflict, review_flags
from testigo.web.flags import INFORMATIONAL_FLAGS
from testigo.web.keys import pseudonym
from tests.conftest import small_mesas
from tests.web.conftest import PASSWORD, acta_png, blank_png, qr_png, ready

SECRET = b"s" * 32


def _ingest(store: Store, name: str, data: bytes) -> None:
    ingest_files(store, [Incoming(f"test:{name}", name, data)], workers=1)


def _reviewer(store: Store, name: str) -> accounts.Account:
    return accounts.accept_invitation(store, accounts.invite(store, accounts.REVIEWER), name, PASSWORD)


def _decision_entries(store: Store) -> list[dict[str, object]]:
    with store.sessions() as session:
        return [json.loads(e.body) for e in log_table.entries(session) if e.kind == "decision"]


@pytest.fixture
def conflict(store: Store) -> tuple[str, int, int]:
    """A mesa with an accepted acta (González 200) and a conflicting one (González 150)."""
    ready(store)
    mesa = small_mesas(1)[0]
    _ingest(store, "first.png", acta_png(mesa, gonzalez=200))
    _ingest(store, "second.png", acta_png(mesa, gonzalez=150))
    with store.sessions() as session:
        rows = {r.status: r.id for r in reviews.records_of_mesa(session, mesa)}
    return mesa, rows[ACCEPTED], rows[CONFLICT]


def test_choosing_the_conflicting_acta_supersedes_the_accepted_one(
    store: Store, conflict: tuple[str, int, int]
) -> None:
    mesa, accepted, conflicting = conflict
    ana = _reviewer(store, "ana")
    decided = resolve_conflict(store, SECRET, ana, mesa, conflicting, "the printed figures say 150")
    with store.sessions() as session:
        statuses = {r.id: r.status for r in reviews.records_of_mesa(session, mesa)}
        [decision] = reviews.decisions_of_mesa(session, mesa)
        assert reviews.conflict_queue(session).items == []
    assert statuses == {accepted: SUPERSEDED, conflicting: ACCEPTED}
    assert (decision.reviewer_id, decision.record_id, decision.replaced_record_id) == (ana.id, conflicting, accepted)
    assert decision.reason == "the printed figures say 150" and decision.created_at is not None
    [row] = tally(store, "mesa").rows
    assert row.candidates["gonzalez"] == 150
    [entry] = _decision_entries(store)
    assert entry["action"] == "resolve_conflict" and entry["status"] == "accepted"
    assert entry["reviewers"] == [pseudonym(SECRET, ana.id)] and "ana" not in json.dumps(entry)
    assert len(entry["set_aside"]) == 1  # type: ignore[arg-type]
    size = checkpoint(store).size
    assert inclusion(store, decided.log_seq, size).body == log_table_body(store, decided.log_seq)


def log_table_body(store: Store, seq: int) -> bytes:
    with store.sessions() as session:
        [entry] = log_table.entries(session, seq, seq + 1)
        return entry.body


def test_keeping_the_accepted_acta_sets_the_conflict_aside(store: Store, conflict: tuple[str, int, int]) -> None:
    mesa, accepted, conflicting = conflict
    resolve_conflict(store, SECRET, _reviewer(store, "ana"), mesa, accepted, "the second photo is of a forgery")
    with store.sessions() as session:
        statuses = {r.id: r.status for r in reviews.records_of_mesa(session, mesa)}
    assert statuses == {accepted: ACCEPTED, conflicting: SUPERSEDED}


def test_a_conflict_is_decided_once_and_only_between_its_own_versions(
    store: Store, conflict: tuple[str, int, int]
) -> None:
    mesa, accepted, conflicting = conflict
    ana = _reviewer(store, "ana")
    with pytest.raises(DecisionError, match="say why"):
        resolve_conflict(store, SECRET, ana, mesa, conflicting, "  ")
    with pytest.raises(DecisionError) as other:
        resolve_conflict(store, SECRET, ana, mesa, 999_999, "x")
    assert other.value.status_code == 422
    resolve_conflict(store, SECRET, ana, mesa, conflicting, "ok")
    with pytest.raises(DecisionError) as again:
        resolve_conflict(store, SECRET, _reviewer(store, "bea"), mesa, accepted, "no")
    assert again.value.status_code == 409


def _unreadable_item(store: Store) -> int:
    ready(store)
    _ingest(store, "blurred.png", blank_png())
    with store.sessions() as session:
        [line] = reviews.unreadable_queue(session, reviewer_id=0).items
    return line.item_id


def _right_and_typo() -> tuple[list[int], list[int]]:
    """The counts of a sheet, and the same with one figure mistyped (240 as 204)."""
    right = [0] * 38
    right[0], right[35] = 120, 240
    typo = list(right)
    typo[35] = 204
    return right, typo


def test_two_matching_entries_accept_a_typed_sheet_and_a_third_breaks_a_tie(store: Store) -> None:
    item = _unreadable_item(store)
    mesa = small_mesas(1)[0]
    right, typo = _right_and_typo()
    ana, bea, carla = (_reviewer(store, name) for name in ("ana", "bea", "carla"))
    first = enter_manual(store, SECRET, ana, item, mesa, right, 3)
    assert (first.entries, first.decided) == (1, None)
    again = enter_manual(store, SECRET, ana, item, mesa, right, 3)  # a correction of her own entry, not a second
    assert (again.entries, again.revised, again.decided) == (1, True, None)  # one person never supplies both
    second = enter_manual(store, SECRET, bea, item, mesa, typo, 3)
    assert second.disagreement and second.decided is None
    third = enter_manual(store, SECRET, carla, item, mesa, right, 3)
    assert third.decided is not None and third.decided.status == ACCEPTED
    [row] = tally(store, "mesa").rows
    assert row.candidates["gonzalez"] == 240 and row.null_votes == 3
    with store.sessions() as session:
        assert reviews.unreadable_queue(session, reviewer_id=0).items == []
        [record] = reviews.records_of_mesa(session, mesa)
        assert record.source == "manual"
        [decision] = reviews.decisions_of_mesa(session, mesa)
        assert json.loads(decision.reviewers) == sorted([ana.id, carla.id])
    [entry] = _decision_entries(store)
    assert entry["action"] == "manual_entry" and entry["sha256"] and entry["payload"].startswith(mesa)  # type: ignore[union-attr]
    assert sorted(entry["reviewers"]) == sorted(pseudonym(SECRET, r.id) for r in (ana, carla))  # type: ignore[arg-type]
    with pytest.raises(DecisionError, match="already been settled"):
        enter_manual(store, SECRET, _reviewer(store, "dora"), item, mesa, right, 3)


def test_typed_numbers_are_checked_before_they_are_stored(store: Store) -> None:
    item = _unreadable_item(store)
    ana = _reviewer(store, "ana")
    for mesa, counts, nulls in (
        ("999999999.01", [1] * 38, 0),
        (small_mesas(1)[0], [1] * 37, 0),
        (small_mesas(1)[0], [-1] + [1] * 37, 0),
    ):
        with pytest.raises(DecisionError) as refused:
            enter_manual(store, SECRET, ana, item, mesa, counts, nulls)
        assert refused.value.status_code == 422
    with store.sessions() as session:
        assert reviews.manual_entries(session, item) == []


def test_two_entries_of_an_impossible_sheet_settle_it_as_invalid(store: Store) -> None:
    item = _unreadable_item(store)
    mesa = small_mesas(1)[0]
    counts = [9000] + [0] * 37  # more votes than the mesa's registered voters
    enter_manual(store, SECRET, _reviewer(store, "ana"), item, mesa, counts, 0)
    result = enter_manual(store, SECRET, _reviewer(store, "bea"), item, mesa, counts, 0)
    assert result.decided is not None and result.decided.status == "invalid"
    assert tally(store, "mesa").rows == []


def test_flags_are_reviewed_once_and_logged(store: Store) -> None:
    ready(store)
    mesa = small_mesas(1)[0]
    counts = [0] * 38
    counts[0], counts[35] = 10, 20
    flagged = store.profile.encode(f"{mesa}.1.0001", counts, 1, {"second_count": 7})  # fourth field ≠ null votes
    _ingest(store, "flagged.png", qr_png(flagged))
    with store.sessions() as session:
        [record] = reviews.flagged_queue(session).items
    review_flags(store, SECRET, _reviewer(store, "ana"), record.id, "the machine printed it so")
    with store.sessions() as session:
        assert reviews.flagged_queue(session).items == []
    with pytest.raises(DecisionError):
        review_flags(store, SECRET, _reviewer(store, "bea"), record.id, "again")
    assert [e["action"] for e in _decision_entries(store)] == ["flag_reviewed"]


def _settle_rows(store: Store, rows: list[tuple[str, tuple[str, ...], dict[str, int | str] | None]]) -> None:
    """Accepted records as `testigo import` makes them: (mesa, flags, sheet figures beyond the counts)."""
    with store.sessions.begin() as session:
        for mesa, flags, sheet in rows:
            counts = [0] * 38
            counts[0], counts[35] = 10, 20
            record = store.profile.record_from_counts(mesa, counts, 1, sheet=sheet, flags=flags)
            outcome = settle_record(session, store.profile, store.registry, record, source="test")
            assert outcome.status == ACCEPTED, outcome.reason


def test_informational_flags_stay_out_of_the_flag_queue_which_is_paged(store: Store) -> None:
    ready(store)
    mesas = small_mesas(8)
    informational = (PER_CANDIDATE_ONLY, NO_NULL_VOTES)
    # every row of the 2024 tables carries these: they must not flood the queue
    rows: list[tuple[str, tuple[str, ...], dict[str, int | str] | None]] = [(m, informational, None) for m in mesas[:3]]
    # a real discrepancy (the fourth field differs from the null votes) waits, with or without the others
    rows += [(m, informational, {"second_count": 7}) for m in mesas[3:5]]
    rows += [(m, (), {"second_count": 7}) for m in mesas[5:8]]
    _settle_rows(store, rows)
    with store.sessions() as session:
        first = reviews.flagged_queue(session, INFORMATIONAL_FLAGS, limit=3)
        rest = reviews.flagged_queue(session, INFORMATIONAL_FLAGS, offset=3, limit=3)
    assert first.total == 5 and [r.mesa_id for r in first.items + rest.items] == mesas[3:8]
    assert (first.next_offset, rest.next_offset, rest.previous_offset) == (3, None, 0)


def _enter_at_once(
    store: Store, calls: list[tuple[accounts.Account, list[int]]], item: int, mesa: str, monkeypatch: pytest.MonkeyPatch
) -> list[object]:
    """Run the entries in threads released together; reading the entries is slowed so that, without the item
    lock, each transaction would read before the others commit."""
    reading = reviews.manual_entries

    def slow(session: object, item_id: int) -> object:
        time.sleep(0.3)
        return reading(session, item_id)  # type: ignore[arg-type]

    monkeypatch.setattr(reviews, "manual_entries", slow)
    barrier = threading.Barrier(len(calls))

    def enter(reviewer: accounts.Account, counts: list[int]) -> object:
        barrier.wait()
        try:
            return enter_manual(store, SECRET, reviewer, item, mesa, counts, 3)
        except DecisionError as error:
            return error

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(lambda call: enter(*call), calls))


def test_two_simultaneous_matching_entries_settle_the_sheet(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    item = _unreadable_item(store)
    mesa = small_mesas(1)[0]
    counts = [0] * 38
    counts[0], counts[35] = 120, 240
    ana, bea = (_reviewer(store, name) for name in ("ana", "bea"))
    results = _enter_at_once(store, [(ana, counts), (bea, counts)], item, mesa, monkeypatch)
    assert sorted(r.decided is not None for r in results) == [False, True]  # type: ignore[attr-defined]
    with store.sessions() as session:
        assert [d.action for d in reviews.decisions_of_mesa(session, mesa)] == [MANUAL_ENTRY]


def test_two_simultaneous_tie_breakers_settle_the_sheet_once(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    item = _unreadable_item(store)
    mesa = small_mesas(1)[0]
    right, typo = _right_and_typo()
    ana, bea, carla, dora = (_reviewer(store, name) for name in ("ana", "bea", "carla", "dora"))
    enter_manual(store, SECRET, ana, item, mesa, right, 3)
    enter_manual(store, SECRET, bea, item, mesa, typo, 3)
    results = _enter_at_once(store, [(carla, right), (dora, right)], item, mesa, monkeypatch)
    refused = [r for r in results if isinstance(r, DecisionError)]
    assert len(refused) == 1 and refused[0].status_code == 409
    with store.sessions() as session:
        assert len(reviews.decisions_of_mesa(session, mesa)) == 1
        assert len(reviews.records_of_mesa(session, mesa)) == 1


def test_manual_entry_follows_the_workspace_profile(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """The sheet id and the number of cards come from the profile, not from ve2024's format."""
    item = _unreadable_item(store)
    mesa = small_mesas(1)[0]
    monkeypatch.setattr(type(store.profile), "acta_id_for", lambda _self, mesa_id: f"{mesa_id}.1.0002")
    counts = [0] * 38
    counts[0], counts[35] = 120, 240
    enter_manual(store, SECRET, _reviewer(store, "ana"), item, mesa, counts, 3)
    enter_manual(store, SECRET, _reviewer(store, "bea"), item, mesa, counts, 3)
    with store.sessions() as session:
        [record] = reviews.records_of_mesa(session, mesa)
    assert record.acta_id == f"{mesa}.1.0002"


def test_manual_entry_is_refused_clearly_without_a_ballot(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    item = _unreadable_item(store)
    monkeypatch.setattr(store.profile, "election", replace(store.profile.election, cards=()))
    with pytest.raises(DecisionError) as refused:
        enter_manual(store, SECRET, _reviewer(store, "ana"), item, small_mesas(1)[0], [], 0)
    assert refused.value.status_code == 409 and "no ballot" in str(refused.value)
