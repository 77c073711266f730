"""Rows written in one batched statement come back with their own ids, in order, on SQLite and PostgreSQL.

`testigo.store.db.insert_in_order` numbers rows itself on SQLite (the next
ids after the table's largest, under the writer's lock) and lets PostgreSQL
number them; either way an id handed back must be the row given at that
place, or an item would point at another sheet's record.
"""

from __future__ import annotations

from sqlalchemy import select

from testigo.domain import Status
from testigo.store import records
from testigo.store.schema import RecordRow
from testigo.store.workspace import Store
from tests.conftest import payload_for, small_mesas


def _store_batch(store: Store, mesas: list[str], maduro: int) -> list[int]:
    profile = store.profile
    decided = [
        (profile.parse(payload_for(mesa, maduro=maduro + k)), Status.ACCEPTED.value) for k, mesa in enumerate(mesas)
    ]
    with store.sessions() as session:
        ids = records.insert_many(session, decided, "image", records.centers_of(session, mesas))
        session.commit()
    assert ids is not None
    return ids


def test_each_id_is_the_row_given_at_its_place(store: Store) -> None:
    mesas = small_mesas(12)
    first = _store_batch(store, mesas[:7], maduro=100)
    second = _store_batch(store, mesas[7:], maduro=300)
    ids = first + second
    assert len(set(ids)) == len(ids)
    assert min(second) > max(first)  # a later batch never reuses an id
    with store.sessions() as session:
        rows = {row.id: row for row in session.execute(select(RecordRow)).scalars()}
    expected = [(mesa, 100 + k) for k, mesa in enumerate(mesas[:7])] + [
        (mesa, 300 + k) for k, mesa in enumerate(mesas[7:])
    ]
    assert [(rows[i].mesa_id, int(rows[i].counts.split(",")[0])) for i in ids] == expected
