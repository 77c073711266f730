"""Known sheets handed to reviewers, their entries of them, and the admin's settings (SQL access only).

The rules — when a known sheet is handed out, how an entry is scored, when a
reviewer stops counting — live in `testigo.web.measure`; this module reads
and writes the rows they need.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from testigo.domain import Status
from testigo.ledger.entries import MANUAL_ENTRY
from testigo.store.db import changed_rows
from testigo.store.records import ACCEPTED
from testigo.store.reviews import shuffled, untyped_known
from testigo.store.schema import DecisionRow, ItemRow, KnownEntryRow, ManualEntryRow, Meta, RecordRow
from testigo.store.submissions import now
from testigo.store.workspace import set_fact

#: An admin confirmed the figures of a sheet typed by hand, so it may serve as a known sheet (a decision row on
#: the item, never logged: it changes no figure).
CONFIRM_KNOWN = "confirm_known"
#: The source of a record read from a sheet's QR code (`testigo.pipeline.reconcile`): its figures are the code's.
QR_SOURCE = "image"


def setting(session: Session, key: str) -> str | None:
    """A workspace fact (`meta` row) as stored, None when never set."""
    row = session.get(Meta, key)
    return row.value if row is not None else None


def set_setting(session: Session, key: str, value: str) -> None:
    set_fact(session, key, value)


def pick(session: Session, reviewer_id: int, seed: int) -> tuple[int, int] | None:
    """(item id, record id) of a known sheet this reviewer was never handed nor typed, first in an order shuffled
    by `seed` (`testigo.store.reviews.shuffled`).

    Known: a sheet whose code was read into the accepted record of its mesa,
    or one typed by hand whose record an admin confirmed (`CONFIRM_KNOWN`);
    either way its record must still be the accepted one.
    """
    handed = exists().where(KnownEntryRow.item_id == ItemRow.id, KnownEntryRow.reviewer_id == reviewer_id)
    typed = exists().where(ManualEntryRow.item_id == ItemRow.id, ManualEntryRow.reviewer_id == reviewer_id)
    settled = aliased(DecisionRow)
    confirmed = exists().where(DecisionRow.item_id == ItemRow.id, DecisionRow.action == CONFIRM_KNOWN)
    read = select(ItemRow.id, RecordRow.id).join(RecordRow, RecordRow.id == ItemRow.record_id)
    read = read.where(ItemRow.status == Status.ACCEPTED.value, RecordRow.source == QR_SOURCE)
    confirmed_typed = (
        select(ItemRow.id, RecordRow.id)
        .join(settled, and_(settled.item_id == ItemRow.id, settled.action == MANUAL_ENTRY))
        .join(RecordRow, RecordRow.id == settled.record_id)
        .where(confirmed)
    )
    order = shuffled(ItemRow.id, seed)
    for query in (read, confirmed_typed):
        found = session.execute(
            query.where(RecordRow.status == ACCEPTED, ~handed, ~typed).order_by(order, ItemRow.id).limit(1)
        ).first()
        if found is not None:
            return found[0], found[1]
    return None


def hand_out(session: Session, reviewer_id: int, item_id: int, record_id: int) -> None:
    session.add(KnownEntryRow(reviewer_id=reviewer_id, item_id=item_id, record_id=record_id, assigned_at=now()))
    session.flush()


def pending(session: Session, reviewer_id: int, item_id: int) -> KnownEntryRow | None:
    """The reviewer's untyped known sheet `item_id` (locked until the transaction ends), or None."""
    query = select(KnownEntryRow).where(KnownEntryRow.item_id == item_id, untyped_known(reviewer_id))
    return session.execute(query.with_for_update()).scalar_one_or_none()


def handed(session: Session, reviewer_id: int, item_id: int) -> bool:
    """Whether `item_id` was ever handed to this reviewer as a known sheet (typed or not)."""
    query = select(KnownEntryRow.id).where(KnownEntryRow.item_id == item_id, KnownEntryRow.reviewer_id == reviewer_id)
    return session.execute(query).first() is not None


def complete(
    session: Session, row: KnownEntryRow, *, mesa_id: str, counts: Sequence[int], null_votes: int, right: int
) -> bool:
    """Store what the reviewer typed on a known sheet and how many figures were right; False if already typed."""
    done = session.execute(
        update(KnownEntryRow)
        .where(KnownEntryRow.id == row.id, KnownEntryRow.entered_at.is_(None), KnownEntryRow.set_aside_at.is_(None))
        .values(
            entered_at=now(),
            mesa_id=mesa_id,
            counts=",".join(str(v) for v in counts),
            null_votes=null_votes,
            figures=len(counts) + 2,
            figures_right=right,
        )
        .execution_options(synchronize_session=False)
    )
    return changed_rows(done) == 1


def set_aside(session: Session, row: KnownEntryRow) -> None:
    """The reviewer set a known sheet aside as not an acta (a mistake: it is one; counted, never a figure)."""
    row.set_aside_at = now()
    session.flush()


@dataclass(frozen=True)
class KnownLine:
    """One known sheet handed to a reviewer, for their measurement."""

    reviewer_id: int
    assigned_at: datetime
    entered_at: datetime | None
    set_aside_at: datetime | None
    figures: int | None
    figures_right: int | None


def lines(session: Session, reviewer_ids: Sequence[int] | None = None) -> list[KnownLine]:
    """Every known sheet handed out (to `reviewer_ids` only, when given), oldest first."""
    query = select(
        KnownEntryRow.reviewer_id,
        KnownEntryRow.assigned_at,
        KnownEntryRow.entered_at,
        KnownEntryRow.set_aside_at,
        KnownEntryRow.figures,
        KnownEntryRow.figures_right,
    ).order_by(KnownEntryRow.id)
    if reviewer_ids is not None:
        query = query.where(KnownEntryRow.reviewer_id.in_(reviewer_ids))
    return [KnownLine(*row) for row in session.execute(query)]


def disagreements(session: Session) -> dict[int, tuple[int, int]]:
    """Per reviewer: (ordinary sheets they typed, of which another reviewer typed something else).

    A disagreement is not an error — either of the two may be right — but a
    reviewer in many of them is worth a look beside their accuracy.
    """
    other = aliased(ManualEntryRow)
    differs = exists().where(
        other.item_id == ManualEntryRow.item_id,
        other.reviewer_id != ManualEntryRow.reviewer_id,
        or_(
            other.mesa_id != ManualEntryRow.mesa_id,
            other.counts != ManualEntryRow.counts,
            other.null_votes != ManualEntryRow.null_votes,
        ),
    )
    query = select(ManualEntryRow.reviewer_id, func.count(), func.sum(case((differs, 1), else_=0)))
    query = query.group_by(ManualEntryRow.reviewer_id)
    return {reviewer: (int(total), int(split or 0)) for reviewer, total, split in session.execute(query)}
