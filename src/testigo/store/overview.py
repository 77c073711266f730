"""Counting and listing what a workspace holds: the queries behind `testigo status` and `testigo items`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from testigo.ledger.entries import MANUAL_ENTRY, RESOLVE_MISMATCH
from testigo.store.records import ACCEPTED, CONFLICT
from testigo.store.reviews import NOT_AN_ACTA
from testigo.store.schema import DecisionRow, ItemRow, RecordRow, SubmissionRow
from testigo.store.submissions import PENDING


class Counts(NamedTuple):
    """Items and records by status, and submissions still waiting to be read."""

    items: dict[str, int]
    records: dict[str, int]
    pending_submissions: int


@dataclass(frozen=True)
class ItemInfo:
    """One item (a page or code of a submitted file) with its file, outcome and reason: a line of the review queue."""

    path: str
    sha256: str | None
    page: int
    status: str
    reason: str | None
    mesa: str | None
    payload: str | None
    submitted_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "sha256": self.sha256,
            "page": self.page,
            "status": self.status,
            "reason": self.reason,
            "mesa": self.mesa,
            "payload": self.payload,
            "submitted_at": self.submitted_at.isoformat(),
        }


def counts(session: Session) -> Counts:
    items = session.execute(select(ItemRow.status, func.count()).group_by(ItemRow.status)).tuples()
    records = session.execute(select(RecordRow.status, func.count()).group_by(RecordRow.status)).tuples()
    pending = session.execute(
        select(func.count()).select_from(SubmissionRow).where(SubmissionRow.state == PENDING)
    ).scalar_one()
    return Counts(dict(items.all()), dict(records.all()), int(pending))


def item_lines(session: Session, status: str | None = None) -> Iterator[ItemInfo]:
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
        yield ItemInfo(*row)


class PublicWork(NamedTuple):
    """What the public pages say is not counted yet, and where each counted mesa's figures come from.

    `conflict_mesas`: mesas with an undecided conflict; `awaiting_transcription`:
    unreadable sheets no two reviewers have typed yet (not those set aside as
    not an acta); `awaiting_finding`: sheets whose print differs from their
    code, no reviewer's finding yet; `being_read`: arrivals stored but not
    read yet; `sources`:
    the source (``image``, ``print``, ``manual``, ``manual_print``, ``import``) of each accepted record by mesa.
    """

    conflict_mesas: list[str]
    awaiting_transcription: int
    awaiting_finding: int
    being_read: int
    sources: dict[str, str]


def public_work(session: Session) -> PublicWork:
    conflicts = session.execute(select(RecordRow.mesa_id).where(RecordRow.status == CONFLICT).distinct()).scalars()
    settled = select(DecisionRow.item_id).where(
        DecisionRow.item_id.is_not(None),
        (DecisionRow.action == MANUAL_ENTRY) | ((DecisionRow.action == NOT_AN_ACTA) & DecisionRow.undone_at.is_(None)),
    )
    waiting = session.execute(
        select(func.count()).select_from(ItemRow).where(ItemRow.status == "unreadable", ItemRow.id.not_in(settled))
    ).scalar_one()
    found = select(DecisionRow.item_id).where(DecisionRow.action == RESOLVE_MISMATCH, DecisionRow.item_id.is_not(None))
    unfound = session.execute(
        select(func.count()).select_from(ItemRow).where(ItemRow.status == "mismatch", ItemRow.id.not_in(found))
    ).scalar_one()
    being_read = session.execute(
        select(func.count()).select_from(SubmissionRow).where(SubmissionRow.state == PENDING)
    ).scalar_one()
    sources = session.execute(select(RecordRow.mesa_id, RecordRow.source).where(RecordRow.status == ACCEPTED))
    return PublicWork(sorted(conflicts), int(waiting), int(unfound), int(being_read), dict(sources.tuples().all()))


def work_version(session: Session) -> str:
    """A version of what `public_work` counts that the log's size does not see: arrivals still being read and
    sheets set aside or put back (neither is logged). Cheap: two counts."""
    pending = session.execute(
        select(func.count()).select_from(SubmissionRow).where(SubmissionRow.state == PENDING)
    ).scalar_one()
    dismissals = session.execute(
        select(func.count(), func.count(DecisionRow.undone_at)).where(DecisionRow.action == NOT_AN_ACTA)
    ).one()
    return f"{pending}.{dismissals[0]}.{dismissals[1]}"
