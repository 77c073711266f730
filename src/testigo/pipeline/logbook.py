"""Writing outcomes into the tamper-evident log, and signing checkpoints of it.

Every item outcome (accepted, duplicate, conflict, unreadable, invalid,
rejected) is logged, not only accepted ones: proving that an unreadable or
conflicting sheet was received, and when, matters as much as proving a count.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from testigo.errors import UserError
from testigo.ledger import Checkpoint, sign_checkpoint
from testigo.ledger.entries import Entry, item_entry, parse
from testigo.store import ledger as log_table
from testigo.store import submissions as subs
from testigo.store.schema import CheckpointRow, SubmissionRow
from testigo.store.workspace import Store


def finish_logged(
    session: Session,
    store: Store,
    submission: SubmissionRow,
    outcomes: list[subs.ItemOutcome],
    table: dict[str, str | None] | None = None,
) -> list[int]:
    """Write the outcomes, mark the submission done and log each item — one transaction; the items' ids.

    The entry names the file by content and rounds its time (`testigo.ledger.entries`, format version 2);
    the submission row keeps the name it was submitted under and the exact time, for admins.

    `table` is how an imported table was read (`testigo.ledger.entries.table_reading`), logged with each row.
    """
    ids = subs.finish(session, submission, outcomes)
    media_type = subs.media_type_of(session, submission.blob_sha256) if submission.blob_sha256 else None
    if table is not None and media_type is None:  # a table's type is not sniffed: its reading says it
        media_type = "application/vnd.apache.parquet" if table.get("encoding") == "parquet" else "text/csv"
    log_table.append(
        session,
        [
            (
                "item",
                item_entry(
                    received_at=submission.submitted_at,
                    channel=submission.channel,
                    sha256=submission.blob_sha256,
                    media_type=media_type,
                    page=outcome.page,
                    part=outcome.part,
                    status=outcome.status,
                    reason=outcome.reason,
                    profile=store.profile.name,
                    payload=outcome.payload,
                    acta_id=outcome.mesa_id,
                    table=table,
                    printed=outcome.printed.logged() if outcome.printed else None,
                    granularity=store.settings.published_time_seconds,
                ),
                item_id,
            )
            for item_id, outcome in zip(ids, outcomes, strict=True)
        ],
    )
    return ids


@dataclass(frozen=True)
class SignedCheckpoint:
    """A signed tree head of the log: its size, root and the C2SP signed note."""

    size: int
    root_hash: bytes
    note: str

    def to_json(self) -> dict[str, object]:
        return {"size": self.size, "root_hash": self.root_hash.hex(), "note": self.note}


def checkpoint(store: Store) -> SignedCheckpoint:
    """Sign the current tree head, storing it unless the latest checkpoint already has this size.

    The log lock is taken first: several ingest processes finishing at once on
    PostgreSQL would otherwise all see the same unsigned size and insert the
    same checkpoint twice.
    """
    with store.sessions.begin() as session:
        log_table.lock_log(session)
        log = log_table.open_log(session)
        latest = log_table.latest_checkpoint(session)
        if latest is not None and latest.size == log.size:
            return _signed(latest)
        root = log.root()
        note = sign_checkpoint(Checkpoint(store.signer.name, log.size, root), store.signer)
        return _signed(log_table.add_checkpoint(session, log.size, root, note))


def _signed(row: CheckpointRow) -> SignedCheckpoint:
    return SignedCheckpoint(row.size, bytes.fromhex(row.root_hash), row.note)


@dataclass(frozen=True)
class InclusionProof:
    seq: int
    size: int
    leaf_hash: bytes
    proof: list[bytes]
    root_hash: bytes
    body: bytes

    def to_json(self) -> dict[str, object]:
        return {
            "seq": self.seq,
            "tree_size": self.size,
            "leaf_hash": self.leaf_hash.hex(),
            "proof": [h.hex() for h in self.proof],
            "root_hash": self.root_hash.hex(),
            "entry": self.body.decode("utf-8"),
        }


def inclusion(store: Store, seq: int, size: int | None = None) -> InclusionProof:
    """Proof that entry `seq` is in the tree of `size` entries (the latest checkpoint's by default)."""
    with store.reads() as session:
        log = log_table.open_log(session)
        if size is None:
            latest = log_table.latest_checkpoint(session)
            size = latest.size if latest else log.size
        if not 0 <= seq < size <= log.size:
            raise UserError(f"entry {seq} is not in a tree of size {size} (the log has {log.size} entries)")
        [entry] = log_table.entries(session, seq, seq + 1)
        return InclusionProof(seq, size, log.leaf_hash(seq), log.inclusion_proof(seq, size), log.root(size), entry.body)


@dataclass(frozen=True)
class ConsistencyProof:
    """Proof (RFC 9162) that the tree of `old_size` entries is a prefix of the tree of `new_size`."""

    old_size: int
    new_size: int
    old_root: bytes
    new_root: bytes
    proof: list[bytes]

    def to_json(self) -> dict[str, object]:
        return {
            "old_size": self.old_size,
            "new_size": self.new_size,
            "old_root": self.old_root.hex(),
            "new_root": self.new_root.hex(),
            "proof": [h.hex() for h in self.proof],
        }


def consistency(store: Store, old_size: int, new_size: int | None = None) -> ConsistencyProof:
    """Proof that the tree of `old_size` entries is a prefix of the tree of `new_size` (default: the log's)."""
    with store.reads() as session:
        log = log_table.open_log(session)
        new_size = log.size if new_size is None else new_size
        if not 0 <= old_size <= new_size <= log.size:
            raise UserError(f"sizes {old_size} → {new_size} do not fit a log of {log.size} entries")
        proof = log.consistency_proof(old_size, new_size)
        return ConsistencyProof(old_size, new_size, log.root(old_size), log.root(new_size), proof)


def entries(store: Store, start: int = 0, limit: int | None = None) -> list[Entry]:
    """The log's entries from `start` (at most `limit` of them), each its exact bytes and parsed fields."""
    with store.reads() as session:
        rows = log_table.entries(session, start, None if limit is None else start + limit)
        return [Entry(row.seq, row.body, parse(row.body)) for row in rows]
