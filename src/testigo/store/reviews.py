"""The review queue, manual entries, decisions and the per-mesa evidence pages show (SQL access only).

The rules — when two entries agree, what a resolution changes — live in
`testigo.web.decisions`; this module reads and writes the rows they need.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, exists, func, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from testigo.domain import Status

# the decision vocabulary is the log's: a decision is stored and logged under one name (re-exported here)
from testigo.ledger.entries import FLAG_REVIEWED, MANUAL_ENTRY
from testigo.store.db import changed_rows
from testigo.store.records import ACCEPTED, CONFLICT
from testigo.store.schema import (
    DecisionRow,
    ItemRow,
    LogEntryRow,
    ManualEntryRow,
    MesaRow,
    RecordRow,
    SubmissionRow,
)
from testigo.store.submissions import now

#: Lines of a queue shown at once: a reviewer works from the top, and 30,000 lines would not load on a phone.
QUEUE_PAGE = 50

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a queue: its lines, how many wait in all, and where the page starts."""

    items: list[T]
    total: int
    offset: int
    limit: int

    @property
    def next_offset(self) -> int | None:
        return self.offset + self.limit if self.offset + self.limit < self.total else None

    @property
    def previous_offset(self) -> int | None:
        return max(0, self.offset - self.limit) if self.offset > 0 else None


def _page(session: Session, query: Select[Any], offset: int, limit: int, line: Callable[[Any], T]) -> Page[T]:
    """Run `query` for one page (it must be ordered) and count every line it has."""
    offset, limit = max(0, offset), max(1, limit)
    total = session.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    rows = session.execute(query.offset(offset).limit(limit))
    return Page([line(row) for row in rows], total, offset, limit)


@dataclass(frozen=True)
class UnreadableLine:
    """An unreadable sheet waiting for manual entry."""

    item_id: int
    sha256: str | None
    received_at: datetime
    reason: str | None
    entries: int
    entered_by_me: bool


def unreadable_queue(
    session: Session, reviewer_id: int, *, offset: int = 0, limit: int = QUEUE_PAGE, item_id: int | None = None
) -> Page[UnreadableLine]:
    """Unreadable items no manual-entry decision has settled yet, oldest first (or only `item_id`)."""
    settled = exists().where(DecisionRow.item_id == ItemRow.id, DecisionRow.action == MANUAL_ENTRY)
    entries = select(func.count()).where(ManualEntryRow.item_id == ItemRow.id).scalar_subquery()
    mine = exists().where(ManualEntryRow.item_id == ItemRow.id, ManualEntryRow.reviewer_id == reviewer_id)
    query = (
        select(ItemRow.id, SubmissionRow.blob_sha256, SubmissionRow.submitted_at, ItemRow.reason, entries, mine)
        .join(SubmissionRow, SubmissionRow.id == ItemRow.submission_id)
        .where(ItemRow.status == Status.UNREADABLE, ~settled)
        .order_by(ItemRow.id)
    )
    if item_id is not None:
        query = query.where(ItemRow.id == item_id)
    return _page(session, query, offset, limit, lambda row: UnreadableLine(*row))


def conflict_queue(session: Session, *, offset: int = 0, limit: int = QUEUE_PAGE) -> Page[tuple[str, int]]:
    """(mesa id, number of conflicting records) of every mesa with an undecided conflict."""
    query = (
        select(RecordRow.mesa_id, func.count())
        .where(RecordRow.status == CONFLICT)
        .group_by(RecordRow.mesa_id)
        .order_by(RecordRow.mesa_id)
    )
    return _page(session, query, offset, limit, lambda row: (row[0], row[1]))


def flagged_queue(
    session: Session,
    ignored: Sequence[str] = (),
    *,
    record_id: int | None = None,
    offset: int = 0,
    limit: int = QUEUE_PAGE,
) -> Page[RecordRow]:
    """Accepted records with a flag that is not in `ignored` and that no reviewer has looked at yet.

    `ignored` are flags that only inform (which ones is the caller's policy);
    a record carrying nothing else is not waiting for anyone.
    """
    reviewed = exists().where(DecisionRow.record_id == RecordRow.id, DecisionRow.action == FLAG_REVIEWED)
    query = (
        select(RecordRow)
        .where(RecordRow.status == ACCEPTED, _has_flag_besides(ignored), ~reviewed)
        .order_by(RecordRow.mesa_id, RecordRow.id)
    )
    if record_id is not None:
        query = query.where(RecordRow.id == record_id)
    return _page(session, query, offset, limit, lambda row: row[0])


def _has_flag_besides(ignored: Sequence[str]) -> ColumnElement[bool]:
    """Whether the record's JSON list of flags holds one not in `ignored`, decided in SQL (so paging counts right).

    Each ignored flag is cut out of the stored JSON text as the JSON string it
    is stored as; any other flag leaves its quotes behind.
    """
    remaining: ColumnElement[str] = RecordRow.flags.expression
    for flag in ignored:
        remaining = func.replace(remaining, json.dumps(flag), literal(""))
    return remaining.contains('"')


def lock_record(session: Session, record_id: int) -> bool:
    """Lock a record's row until the transaction ends (PostgreSQL; SQLite's write transactions are serial already)."""
    query = select(RecordRow.id).where(RecordRow.id == record_id).with_for_update()
    return session.execute(query).first() is not None


def records_of_mesa(session: Session, mesa_id: str) -> list[RecordRow]:
    return list(session.execute(select(RecordRow).where(RecordRow.mesa_id == mesa_id).order_by(RecordRow.id)).scalars())


def accepted_of_center(session: Session, center_id: str) -> list[RecordRow]:
    query = (
        select(RecordRow)
        .join(MesaRow, MesaRow.id == RecordRow.mesa_id)
        .where(MesaRow.center_id == center_id, RecordRow.status == ACCEPTED)
    )
    return list(session.execute(query).scalars())


def set_record_status(session: Session, record_id: int, expected: str, status: str) -> bool:
    """Move a record from `expected` to `status`; False if it is no longer `expected` (someone decided first)."""
    done = session.execute(
        update(RecordRow)
        .where(RecordRow.id == record_id, RecordRow.status == expected)
        .values(status=status)
        .execution_options(synchronize_session=False)
    )
    return changed_rows(done) == 1


@dataclass(frozen=True)
class Evidence:
    """One file behind a record: its image, what became of it, and its entry in the log."""

    item_id: int
    sha256: str | None
    status: str
    received_at: datetime
    log_seq: int | None


def evidence_of(session: Session, record_ids: Sequence[int]) -> dict[int, list[Evidence]]:
    """For each record, the items that read it and the unreadable items typed into it, oldest first."""
    found: dict[int, list[Evidence]] = {record_id: [] for record_id in record_ids}
    if not record_ids:
        return found
    columns = (ItemRow.id, SubmissionRow.blob_sha256, SubmissionRow.submitted_at, LogEntryRow.seq)
    read = (
        select(ItemRow.record_id, ItemRow.status, *columns)
        .join(SubmissionRow, SubmissionRow.id == ItemRow.submission_id)
        .outerjoin(LogEntryRow, LogEntryRow.item_id == ItemRow.id)
        .where(ItemRow.record_id.in_(record_ids))
    )
    typed = (
        select(DecisionRow.record_id, DecisionRow.action, *columns)
        .join(ItemRow, ItemRow.id == DecisionRow.item_id)
        .join(SubmissionRow, SubmissionRow.id == ItemRow.submission_id)
        .outerjoin(LogEntryRow, LogEntryRow.item_id == ItemRow.id)
        .where(DecisionRow.action == MANUAL_ENTRY, DecisionRow.record_id.in_(record_ids))
    )
    for query in (read, typed):
        for record_id, status, item_id, sha, received_at, seq in session.execute(query):
            found[record_id].append(Evidence(item_id, sha, status, received_at, seq))
    for lines in found.values():
        lines.sort(key=lambda e: e.item_id)
    return found


def image_is_public(session: Session, sha256: str) -> bool:
    """Whether a stored file shows an acta that pages link to (read into a record, or typed into one).

    Anything else a volunteer uploaded — a blurred photo, a picture of something
    else — stays visible to reviewers only.
    """
    read = (
        select(ItemRow.id)
        .join(SubmissionRow, SubmissionRow.id == ItemRow.submission_id)
        .where(SubmissionRow.blob_sha256 == sha256, ItemRow.record_id.is_not(None))
        .limit(1)
    )
    typed = (
        select(DecisionRow.id)
        .join(ItemRow, ItemRow.id == DecisionRow.item_id)
        .join(SubmissionRow, SubmissionRow.id == ItemRow.submission_id)
        .where(SubmissionRow.blob_sha256 == sha256, DecisionRow.record_id.is_not(None))
        .limit(1)
    )
    return session.execute(read).first() is not None or session.execute(typed).first() is not None


def item_with_submission(session: Session, item_id: int, *, lock: bool = False) -> tuple[ItemRow, SubmissionRow] | None:
    """An item and the arrival it came in; `lock`: the item's row stays locked until the transaction ends."""
    query = select(ItemRow, SubmissionRow).join(SubmissionRow, SubmissionRow.id == ItemRow.submission_id)
    if lock:
        query = query.with_for_update(of=ItemRow)
    row = session.execute(query.where(ItemRow.id == item_id)).first()
    return (row[0], row[1]) if row else None


def add_manual_entry(
    session: Session, *, item_id: int, reviewer_id: int, mesa_id: str, counts: Sequence[int], null_votes: int
) -> ManualEntryRow | None:
    """Store one reviewer's typing of a sheet, or return None if this reviewer already typed it.

    The unique constraint (one entry per reviewer and sheet) decides, inside
    a savepoint, so the caller's transaction stays usable.
    """
    row = ManualEntryRow(
        item_id=item_id,
        reviewer_id=reviewer_id,
        mesa_id=mesa_id,
        counts=",".join(str(v) for v in counts),
        null_votes=null_votes,
        created_at=now(),
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return None
    return row


def manual_entries(session: Session, item_id: int) -> list[ManualEntryRow]:
    query = select(ManualEntryRow).where(ManualEntryRow.item_id == item_id).order_by(ManualEntryRow.id)
    return list(session.execute(query).scalars())


def add_decision(
    session: Session,
    *,
    action: str,
    reviewer_id: int,
    reviewers: Sequence[int],
    mesa_id: str | None = None,
    item_id: int | None = None,
    record_id: int | None = None,
    replaced_record_id: int | None = None,
    outcome: str | None = None,
    reason: str | None = None,
    log_seq: int | None = None,
) -> DecisionRow:
    row = DecisionRow(
        action=action,
        mesa_id=mesa_id,
        item_id=item_id,
        record_id=record_id,
        replaced_record_id=replaced_record_id,
        outcome=outcome,
        reviewer_id=reviewer_id,
        reviewers=json.dumps(sorted(reviewers)),
        reason=reason,
        log_seq=log_seq,
        created_at=now(),
    )
    session.add(row)
    session.flush()
    return row


def decision_for_item(session: Session, item_id: int, action: str) -> DecisionRow | None:
    query = select(DecisionRow).where(DecisionRow.item_id == item_id, DecisionRow.action == action).limit(1)
    return session.execute(query).scalar_one_or_none()


def decisions_of_mesa(session: Session, mesa_id: str) -> list[DecisionRow]:
    query = select(DecisionRow).where(DecisionRow.mesa_id == mesa_id).order_by(DecisionRow.id)
    return list(session.execute(query).scalars())
