"""Counting and listing what a workspace holds: the queries behind `testigo status` and `testigo items`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from testigo.store.schema import ItemRow, RecordRow, SubmissionRow
from testigo.store.submissions import PENDING


class Counts(NamedTuple):
    """Items and records by status, and submissions still waiting to be read."""

    items: dict[str, int]
    records: dict[str, int]
    pending_submissions: int


class ItemLine(NamedTuple):
    """One item (a page or code of a submitted file) with its file, outcome and reason."""

    path: str
    sha256: str | None
    page: int
    status: str
    reason: str | None
    mesa: str | None
    payload: str | None
    submitted_at: datetime


def counts(session: Session) -> Counts:
    items = session.execute(select(ItemRow.status, func.count()).group_by(ItemRow.status)).tuples()
    records = session.execute(select(RecordRow.status, func.count()).group_by(RecordRow.status)).tuples()
    pending = session.execute(
        select(func.count()).select_from(SubmissionRow).where(SubmissionRow.state == PENDING)
    ).scalar_one()
    return Counts(dict(items.all()), dict(records.all()), int(pending))


def item_lines(session: Session, status: str | None = None) -> Iterator[ItemLine]:
    """Every item in arrival order, or only those with `status`."""
    query = (
        select(
            SubmissionRow.display_path,
            SubmissionRow.blob_sha256,
            ItemRow.page,
            ItemRow.status,
            ItemRow.reason,
            ItemRow.mesa_id,
            ItemRow.payload,
            SubmissionRow.submitted_at,
        )
        .join(SubmissionRow, SubmissionRow.id == ItemRow.submission_id)
        .order_by(ItemRow.id)
    )
    if status is not None:
        query = query.where(ItemRow.status == status)
    for row in session.execute(query).tuples():
        yield ItemLine(*row)
