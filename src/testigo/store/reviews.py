"""The review queue, manual entries, decisions and the per-mesa evidence pages show (SQL access only).

The rules — when two entries agree, what a resolution changes — live in
`testigo.web.decisions`; this module reads and writes the rows they need.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import Session

from testigo.domain import Status
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

#: Status of a record that a reviewer's decision took out of the tally (it stays stored, never deleted).
SUPERSEDED = "superseded"

RESOLVE_CONFLICT = "resolve_conflict"
MANUAL_ENTRY = "manual_entry"
FLAG_REVIEWED = "flag_reviewed"


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
    session: Session, reviewer_id: int, limit: int = 200, item_id: int | None = None
) -> list[UnreadableLine]:
    """Unreadable items no manual-entry decision has settled yet, oldest first (or only `item_id`)."""
    settled = exists().where(DecisionRow.item_id == ItemRow.id, DecisionRow.action == MANUAL_ENTRY)
    entries = select(func.count()).where(ManualEntryRow.item_id == ItemRow.id).scalar_subquery()
    mine = exists().where(ManualEntryRow.item_id == ItemRow.id, ManualEntryRow.reviewer_id == reviewer_id)
    query = (
        select(ItemRow.id, SubmissionRow.blob_sha256, SubmissionRow.submitted_at, ItemRow.reason, entries, mine)
        .join(SubmissionRow, SubmissionRow.id == ItemRow.submission_id)
        .where(ItemRow.status == Status.UNREADABLE, ~settled)
        .order_by(ItemRow.id)
        .limit(limit)
    )
    if item_id is not None:
        query = query.where(ItemRow.id == item_id)
    return [UnreadableLine(*row) for row in session.execute(query)]


def conflict_queue(session: Session) -> list[tuple[str, int]]:
    """(mesa id, number of conflicting records) of every mesa with an undecided conflict."""
    query = (
        select(RecordRow.mesa_id, func.count())
        .where(RecordRow.status == CONFLICT)
        .group_by(RecordRow.mesa_id)
        .order_by(RecordRow.mesa_id)
    )
    return [(mesa_id, count) for mesa_id, count in session.execute(query)]


def flagged_queue(session: Session, record_id: int | None = None) -> list[RecordRow]:
    """Accepted records carrying flags that no reviewer has looked at yet (or only `record_id`)."""
    reviewed = exists().where(DecisionRow.record_id == RecordRow.id, DecisionRow.action == FLAG_REVIEWED)
    query = (
        select(RecordRow)
        .where(RecordRow.status == ACCEPTED, RecordRow.flags != "[]", ~reviewed)
        .order_by(RecordRow.mesa_id)
    )
    if record_id is not None:
        query = query.where(RecordRow.id == record_id)
    return list(session.execute(query).scalars())


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
    return done.rowcount == 1


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


def item_with_submission(session: Session, item_id: int) -> tuple[ItemRow, SubmissionRow] | None:
    query = select(ItemRow, SubmissionRow).join(SubmissionRow, SubmissionRow.id == ItemRow.submission_id)
    row = session.execute(query.where(ItemRow.id == item_id)).first()
    return (row[0], row[1]) if row else None


def add_manual_entry(
    session: Session, *, item_id: int, reviewer_id: int, mesa_id: str, counts: Sequence[int], null_votes: int
) -> ManualEntryRow:
    row = ManualEntryRow(
        item_id=item_id, reviewer_id=reviewer_id, mesa_id=mesa_id, counts=",".join(str(v) for v in counts),
        null_votes=null_votes, created_at=now(),
    )
    session.add(row)
    session.flush()
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
        action=action, mesa_id=mesa_id, item_id=item_id, record_id=record_id, replaced_record_id=replaced_record_id,
        outcome=outcome, reviewer_id=reviewer_id, reviewers=json.dumps(sorted(reviewers)), reason=reason,
        log_seq=log_seq, created_at=now(),
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
