"""Arrivals of files and the outcome of each of their pages/codes (SQL access only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from testigo.store.schema import BlobRow, ItemRow, SubmissionRow

PENDING = "pending"
DONE = "done"


@dataclass(frozen=True)
class ItemOutcome:
    """What became of one page/code of a submission, before it is written."""

    status: str
    reason: str | None = None
    page: int = 0
    part: int = 0
    payload: str | None = None
    strategy: str | None = None
    mesa_id: str | None = None
    record_id: int | None = None
    sheet_print: bytes | None = None


def now() -> datetime:
    return datetime.now(UTC)


def ensure_blob(session: Session, sha256: str, size: int, media_type: str | None) -> None:
    """Record a stored blob; a row another writer added first is left as it is.

    One INSERT ... ON CONFLICT DO NOTHING, no lookup first: a known blob is left untouched by it all the same.
    """
    values = {"sha256": sha256, "size": size, "media_type": media_type, "stored_at": now()}
    insert_ignore = sqlite_insert if session.get_bind().dialect.name == "sqlite" else postgresql_insert
    session.execute(insert_ignore(BlobRow).values(**values).on_conflict_do_nothing())


def find_arrival(session: Session, origin: str, sha256: str | None) -> SubmissionRow | None:
    """The earlier submission of these exact bytes from this exact place, if any."""
    query = select(SubmissionRow).where(SubmissionRow.origin == origin)
    query = query.where(SubmissionRow.blob_sha256.is_(None) if sha256 is None else SubmissionRow.blob_sha256 == sha256)
    return session.execute(query.order_by(SubmissionRow.id).limit(1)).scalar_one_or_none()


def first_submission_of_blob(session: Session, sha256: str) -> SubmissionRow | None:
    query = select(SubmissionRow).where(SubmissionRow.blob_sha256 == sha256).order_by(SubmissionRow.id).limit(1)
    return session.execute(query).scalar_one_or_none()


def register_arrival(
    session: Session,
    *,
    origin: str,
    display_path: str,
    sha256: str | None,
    channel: str,
    submitted_by: str | None = None,
) -> tuple[SubmissionRow, bool]:
    """The submission for this (origin, bytes): (row, True) if new, (earlier row, False) if known.

    Two processes registering the same file at once both get the one row: the
    unique (origin, blob) constraint refuses the second insert, which then
    finds the first.
    """
    earlier = find_arrival(session, origin, sha256)
    if earlier is not None:
        return earlier, False
    try:
        with session.begin_nested():
            row = add_submission(
                session, origin=origin, display_path=display_path, sha256=sha256, channel=channel,
                submitted_by=submitted_by,
            )
        return row, True
    except IntegrityError:
        earlier = find_arrival(session, origin, sha256)
        if earlier is None:
            raise
        return earlier, False


def add_submission(
    session: Session,
    *,
    origin: str,
    display_path: str,
    sha256: str | None,
    channel: str,
    submitted_by: str | None = None,
    state: str = PENDING,
) -> SubmissionRow:
    row = SubmissionRow(
        blob_sha256=sha256,
        origin=origin,
        display_path=display_path,
        channel=channel,
        submitted_by=submitted_by,
        submitted_at=now(),
        state=state,
    )
    session.add(row)
    session.flush()
    return row


class AlreadyFinished(Exception):
    """The submission was finished by someone else in the meantime; roll back."""


def pending_among(session: Session, submission_ids: list[int]) -> list[SubmissionRow]:
    """Those of the given submissions still pending, in id order."""
    rows: list[SubmissionRow] = []
    for start in range(0, len(submission_ids), 500):
        chunk = submission_ids[start : start + 500]
        query = select(SubmissionRow).where(SubmissionRow.id.in_(chunk), SubmissionRow.state == PENDING)
        rows.extend(session.execute(query).scalars())
    return sorted(rows, key=lambda row: row.id)


def finish(session: Session, submission: SubmissionRow, outcomes: list[ItemOutcome]) -> list[ItemRow]:
    """Write the outcomes and mark the submission done, in the caller's transaction.

    The state moves from pending to done with a conditional update, so of two
    processes settling the same submission only one can: the other gets
    `AlreadyFinished` and must roll back. That is what makes "exactly once" hold.
    """
    claimed = session.execute(
        update(SubmissionRow)
        .where(SubmissionRow.id == submission.id, SubmissionRow.state == PENDING)
        .values(state=DONE)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise AlreadyFinished(f"submission {submission.id} is already done")
    submission.state = DONE
    created = now()
    rows = [
        ItemRow(
            submission_id=submission.id,
            page=o.page,
            part=o.part,
            status=o.status,
            reason=o.reason,
            payload=o.payload,
            strategy=o.strategy,
            mesa_id=o.mesa_id,
            record_id=o.record_id,
            created_at=created,
            sheet_print=o.sheet_print,
        )
        for o in outcomes
    ]
    session.add_all(rows)
    session.flush()
    return rows


def items_of(session: Session, submission_id: int) -> list[ItemRow]:
    query = select(ItemRow).where(ItemRow.submission_id == submission_id).order_by(ItemRow.page, ItemRow.part)
    return list(session.execute(query).scalars())
