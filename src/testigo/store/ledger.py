"""The tamper-evident log in the database (SQL access only; the Merkle logic lives in `testigo.ledger`).

Entries and tree nodes are inserted in the caller's transaction, so data and
its log entry commit or vanish together. The tree nodes' primary key
(level, index) makes the log append-only inside the database itself: a second
writer that read the same frontier cannot add a conflicting node, its whole
transaction fails and is retried.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from testigo.ledger import MerkleLog, Node, NodeId, parse_note
from testigo.store.schema import CheckpointRow, LogEntryRow, LogNodeRow

#: Arbitrary constant naming the log's advisory lock in PostgreSQL.
_LOG_LOCK_KEY = 0x7E5716
#: Largest number of node ids fetched in one query (well under SQLite's variable limit).
_FETCH_CHUNK = 200


#: Read at every append: built once (see `testigo.store.submissions`).
_LAST_LEAF = select(func.max(LogNodeRow.idx)).where(LogNodeRow.level == 0)


class SqlNodeStore:
    """A `testigo.ledger.NodeStore` over the `log_nodes` table, inside one session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def size(self) -> int:
        last = self.session.execute(_LAST_LEAF).scalar_one()
        return 0 if last is None else int(last) + 1

    def get_many(self, ids: Sequence[NodeId]) -> list[bytes]:
        found: dict[tuple[int, int], bytes] = {}
        for start in range(0, len(ids), _FETCH_CHUNK):
            found.update(self._fetch(ids[start : start + _FETCH_CHUNK]))
        missing = [node for node in ids if (node.level, node.index) not in found]
        if missing:
            raise KeyError(f"log node {missing[0]} is missing from the database")
        return [found[(node.level, node.index)] for node in ids]

    def _fetch(self, ids: Sequence[NodeId]) -> dict[tuple[int, int], bytes]:
        """One query, written as `level = L AND idx IN (...)` per level.

        A row-value `(level, idx) IN (...)` reads the same rows, but SQLite
        scans the whole table for it; this form uses the primary key. The SQL
        is plain text with the integers inlined (each passed through int(), so
        nothing but digits reaches it): building it as an expression costs more
        than the query itself, and a proof must stay well under a millisecond.
        """
        by_level: dict[int, list[str]] = {}
        for node in ids:
            by_level.setdefault(int(node.level), []).append(str(int(node.index)))
        where = " OR ".join(f"(level = {level} AND idx IN ({', '.join(idxs)}))" for level, idxs in by_level.items())
        query = text(f"SELECT level, idx, hash FROM {LogNodeRow.__tablename__} WHERE {where}")  # noqa: S608
        return {(level, idx): bytes(hash_) for level, idx, hash_ in self.session.execute(query)}

    def put_many(self, nodes: Sequence[Node]) -> None:
        if nodes:
            self.session.execute(
                insert(LogNodeRow), [{"level": n.level, "idx": n.index, "hash": n.hash} for n in nodes]
            )


def open_log(session: Session) -> MerkleLog:
    """The log as of the session's transaction (reads its frontier once)."""
    return MerkleLog(SqlNodeStore(session))


def append(session: Session, entries: Sequence[tuple[str, bytes, int | None]]) -> range:
    """Append (kind, body, item id) entries in the caller's transaction; returns their sequence numbers."""
    if not entries:
        return range(0)
    lock_log(session)
    indices = open_log(session).append_many(body for _, body, _ in entries)
    now = datetime.now(UTC)
    session.execute(
        insert(LogEntryRow),
        [
            {"seq": seq, "kind": kind, "body": body, "item_id": item_id, "created_at": now}
            for seq, (kind, body, item_id) in zip(indices, entries, strict=True)
        ],
    )
    return indices


def lock_log(session: Session) -> None:
    """Serialise appenders and checkpoint signers until the transaction ends.

    PostgreSQL: a transaction-scoped advisory lock, so two writers never read the
    same frontier and two signers never store a checkpoint of the same size.
    SQLite needs nothing: its transactions begin IMMEDIATE and so
    already hold the single writer lock.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOG_LOCK_KEY})


def entries(session: Session, start: int = 0, stop: int | None = None) -> list[LogEntryRow]:
    query = select(LogEntryRow).where(LogEntryRow.seq >= start).order_by(LogEntryRow.seq)
    if stop is not None:
        query = query.where(LogEntryRow.seq < stop)
    return list(session.execute(query).scalars())


def entry_for_item(session: Session, item_id: int) -> LogEntryRow | None:
    return session.execute(select(LogEntryRow).where(LogEntryRow.item_id == item_id)).scalar_one_or_none()


def add_checkpoint(session: Session, size: int, root_hash: bytes, note: str) -> CheckpointRow:
    row = CheckpointRow(size=size, root_hash=root_hash.hex(), note=note, created_at=datetime.now(UTC))
    session.add(row)
    session.flush()
    return row


def record_cosignatures(session: Session, size: int, note: str) -> None:
    """Store `note`, the checkpoint of `size` with witnesses' cosignature lines added, in place of its note.

    Only signature lines may change: the text the log signed must be the
    stored one's, or this raises `ValueError` (a bug, not a user's error).
    """
    row = session.get(CheckpointRow, size)
    if row is None or parse_note(row.note).text != parse_note(note).text:
        raise ValueError(f"the note to store is not the log's checkpoint of size {size}")
    row.note = note


def checkpoints(session: Session) -> list[CheckpointRow]:
    return list(session.execute(select(CheckpointRow).order_by(CheckpointRow.size)).scalars())


def latest_checkpoint(session: Session) -> CheckpointRow | None:
    query = select(CheckpointRow).order_by(CheckpointRow.size.desc()).limit(1)
    return session.execute(query).scalar_one_or_none()
