"""Reconciliation rules: first accepted stays, identical is duplicate, different is conflict."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy import select

from testigo.domain import Status
from testigo.pipeline.reconcile import Placed, settle_payload, settle_record, settle_records
from testigo.store.schema import RecordRow
from testigo.store.submissions import ItemOutcome
from testigo.store.workspace import Store, init_workspace
from tests.conftest import payload_for, small_mesas

T = TypeVar("T")


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


def _race(store: Store, payload_a: str, writer_b: Callable[[], T]) -> tuple[ItemOutcome, T]:
    """Writer A settles `payload_a` and holds its transaction open while `writer_b` runs in another thread;
    A's outcome, and B's once A has committed."""
    import threading
    import time

    outcome_b: list[T] = []
    thread = threading.Thread(target=lambda: outcome_b.append(writer_b()))
    with store.sessions.begin() as session:
        outcome_a = settle_payload(session, store.profile, store.registry, payload_a, source="image")
        thread.start()
        time.sleep(0.5)  # B reads and tries its insert while A is uncommitted
    thread.join(timeout=30)
    [outcome] = outcome_b
    return outcome_a, outcome


def test_a_writer_that_loses_the_race_for_a_mesa_ends_as_a_conflict(store: Store) -> None:
    """Writer B decides while A's accepted acta is still uncommitted: the database, not the code, settles it.

    On PostgreSQL B reads no accepted acta, its insert waits on the unique index
    and fails once A commits, and B decides again; on SQLite B's transaction
    waits for A's. Either way: one accepted, one conflict, never two accepted.
    """
    [mesa] = small_mesas(1)
    outcome_a, outcome = _race(
        store, payload_for(mesa, gonzalez=200), lambda: _settle(store, payload_for(mesa, gonzalez=150))
    )
    assert outcome_a.status == Status.ACCEPTED
    assert outcome.status == Status.CONFLICT and "gonzalez 200→150" in (outcome.reason or "")
    with store.sessions() as session:
        statuses = session.execute(select(RecordRow.status).where(RecordRow.mesa_id == mesa)).scalars().all()
    assert sorted(statuses) == ["accepted", "conflict"]


def _two_mesas_of_one_center(store: Store) -> tuple[str, str, str]:
    """Two mesas of one center, and a mesa of another; the first center's ceiling lowered to 550 voters
    (in this process's registry) so that its mesas' sheets can exceed it together."""
    by_center: dict[str, list[str]] = {}
    for mesa in sorted(store.registry.mesas.values(), key=lambda m: m.id):
        if (mesa.registered or 0) >= 400:
            by_center.setdefault(mesa.center_id, []).append(mesa.id)
    [first, second, *_], [third, *_] = [m for m in by_center.values() if len(m) >= 2][:2]
    center = store.registry.mesas[first].center_id
    store.registry.areas[center] = replace(store.registry.areas[center], registered=550)
    return first, second, third


def _settled_rows(store: Store) -> list[tuple[object, ...]]:
    with store.sessions() as session:
        query = select(RecordRow.id, RecordRow.mesa_id, RecordRow.center_id, RecordRow.status, RecordRow.payload)
        return [tuple(row) for row in session.execute(query.order_by(RecordRow.id))]


def test_records_settled_together_end_as_settled_one_by_one(
    store: Store, tmp_path: Path, database_url: str, request: pytest.FixtureRequest
) -> None:
    """Duplicates and conflicts within one batch and with earlier ones, invalid sheets and a center's ceiling
    reached by a sheet decided earlier in the same batch: `settle_records` words and stores every outcome as
    `settle_record` does, record ids included."""
    url = request.getfixturevalue("new_postgres_database")() if database_url else ""
    one_by_one = init_workspace(str(tmp_path / "one-by-one"), "ve2024", url)
    first, second, third = _two_mesas_of_one_center(store)
    _two_mesas_of_one_center(one_by_one)
    batches = [
        [
            payload_for(first, gonzalez=200),
            payload_for(first, gonzalez=200),  # a duplicate of the record above
            payload_for(first, gonzalez=150),  # a conflict with it
            payload_for(first, gonzalez=150),  # a duplicate of the conflict
            payload_for(second, maduro=150, gonzalez=100),  # 301 + 251 votes: above the center's 550
            payload_for(second, maduro=100, gonzalez=100),
            payload_for("999999999.01"),
            payload_for(third),
        ],
        [payload_for(third), payload_for(third, maduro=99), payload_for(second, maduro=100, gonzalez=100)],
    ]
    try:
        for batch in batches:
            placed = [Placed(store.profile.parse(p), part=line) for line, p in enumerate(batch, 1)]
            with store.sessions.begin() as session:
                together = settle_records(session, store.profile, store.registry, placed, source="import")
            with one_by_one.sessions.begin() as session:
                alone = [
                    settle_record(
                        session, one_by_one.profile, one_by_one.registry, p.record, source="import", part=p.part
                    )
                    for p in placed
                ]
            assert together == alone
        assert [o.status for o in together] == [Status.DUPLICATE, Status.CONFLICT, Status.DUPLICATE]
        assert _settled_rows(store) == _settled_rows(one_by_one)
        statuses = [row[3] for row in _settled_rows(store)]
        assert statuses == ["accepted", "conflict", "accepted", "accepted", "conflict"]
    finally:
        one_by_one.close()


def test_a_batch_that_loses_the_race_for_a_mesa_is_settled_one_by_one(store: Store) -> None:
    """Writer A accepts a mesa and holds its transaction open while B settles a batch with another sheet of it.

    On PostgreSQL B reads no accepted sheet, decides the batch in memory, its
    insert waits on the unique index and is refused once A commits, and B
    settles the batch again one record at a time; on SQLite B's transaction
    waits for A's and reads its sheet. Either way: A's sheet accepted, B's a
    conflict with it, B's other mesa accepted.
    """
    first, _, third = _two_mesas_of_one_center(store)
    placed = [Placed(store.profile.parse(payload_for(m)), part=n) for n, m in enumerate((first, third), 1)]

    def writer_b() -> list[ItemOutcome]:
        with store.sessions.begin() as session:
            return settle_records(session, store.profile, store.registry, placed, source="import")

    outcome_a, outcomes = _race(store, payload_for(first, gonzalez=180), writer_b)
    assert outcome_a.status == Status.ACCEPTED
    assert [o.status for o in outcomes] == [Status.CONFLICT, Status.ACCEPTED]
    assert "gonzalez 180→200" in (outcomes[0].reason or "")
    assert [row[1:4] for row in _settled_rows(store)] == [
        (first, store.registry.mesas[first].center_id, "accepted"),
        (first, store.registry.mesas[first].center_id, "conflict"),
        (third, store.registry.mesas[third].center_id, "accepted"),
    ]
