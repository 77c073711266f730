"""Reconciliation rules: first accepted stays, identical is duplicate, different is conflict."""

from __future__ import annotations

from sqlalchemy import select

from testigo.domain import Status
from testigo.pipeline.reconcile import settle_payload
from testigo.store.schema import RecordRow
from testigo.store.workspace import Store
from tests.conftest import payload_for, small_mesas


def _settle(store: Store, payload: str):  # type: ignore[no-untyped-def]
    with store.sessions.begin() as session:
        return settle_payload(session, store.profile, store.registry, payload, source="image")


def test_first_accepted_then_duplicate_then_conflict_kept_side_by_side(store: Store) -> None:
    [mesa] = small_mesas(1)
    first = _settle(store, payload_for(mesa, gonzalez=200))
    again = _settle(store, payload_for(mesa, gonzalez=200))
    other = _settle(store, payload_for(mesa, gonzalez=150))
    other_again = _settle(store, payload_for(mesa, gonzalez=150))
    assert first.status == Status.ACCEPTED and first.mesa_id == mesa + ".1.0001"
    assert again.status == Status.DUPLICATE and again.record_id == first.record_id
    assert other.status == Status.CONFLICT and other.record_id != first.record_id
    assert "gonzalez 200→150" in (other.reason or "")
    assert other_again.status == Status.DUPLICATE and other_again.record_id == other.record_id
    assert "conflict" in (other_again.reason or "")
    with store.sessions() as session:
        query = select(RecordRow).where(RecordRow.mesa_id == mesa).order_by(RecordRow.id)
        rows = session.execute(query).scalars().all()
    assert [(r.status, r.payload) for r in rows] == [
        ("accepted", payload_for(mesa, gonzalez=200)),
        ("conflict", payload_for(mesa, gonzalez=150)),
    ]


def test_votes_moved_between_cards_of_one_candidate_is_a_conflict(store: Store) -> None:
    [mesa] = small_mesas(1)
    counts = [0] * 38
    counts[0], counts[35] = 50, 60
    moved = list(counts)
    moved[35], moved[34] = 50, 10
    acta = mesa + ".1.0001"
    assert _settle(store, store.profile.encode(acta, counts, 0)).status == Status.ACCEPTED
    conflict = _settle(store, store.profile.encode(acta, moved, 0))
    assert conflict.status == Status.CONFLICT
    assert "votes moved between cards 35, 36" in (conflict.reason or "")


def test_invalid_payloads_never_become_records(store: Store) -> None:
    [mesa] = small_mesas(1)
    too_many = payload_for(mesa, gonzalez=store.registry.mesas[mesa].registered or 0)
    outcomes = [_settle(store, p) for p in (too_many, "201301006.01.1.0001!1,2!0!0", payload_for("999999999.01"))]
    assert [o.status for o in outcomes] == [Status.INVALID] * 3
    assert "exceed the mesa's" in (outcomes[0].reason or "")
    assert outcomes[1].reason == "wrong shape: expected 38 card counts, found 2"
    assert outcomes[2].reason == "unknown center 999999999"
    with store.sessions() as session:
        assert session.execute(select(RecordRow)).first() is None


def test_a_writer_that_loses_the_race_for_a_mesa_ends_as_a_conflict(store: Store) -> None:
    """Writer B decides while A's accepted acta is still uncommitted: the database, not the code, settles it.

    On PostgreSQL B reads no accepted acta, its insert waits on the unique index
    and fails once A commits, and B decides again; on SQLite B's transaction
    waits for A's. Either way: one accepted, one conflict, never two accepted.
    """
    import threading
    import time

    [mesa] = small_mesas(1)
    outcome_b: list[object] = []
    writer_b = threading.Thread(target=lambda: outcome_b.append(_settle(store, payload_for(mesa, gonzalez=150))))
    with store.sessions.begin() as session:
        outcome_a = settle_payload(
            session, store.profile, store.registry, payload_for(mesa, gonzalez=200), source="image"
        )
        writer_b.start()
        time.sleep(0.5)  # B reads and tries its insert while A is uncommitted
    writer_b.join(timeout=30)
    [outcome] = outcome_b
    assert outcome_a.status == Status.ACCEPTED
    assert outcome.status == Status.CONFLICT and "gonzalez 200→150" in (outcome.reason or "")
    with store.sessions() as session:
        statuses = session.execute(select(RecordRow.status).where(RecordRow.mesa_id == mesa)).scalars().all()
    assert sorted(statuses) == ["accepted", "conflict"]
