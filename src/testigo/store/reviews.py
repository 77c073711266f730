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

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    ScalarSelect,
    Select,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session

from testigo.domain import Status

# the decision vocabulary is the log's: a decision is stored and logged under one name (re-exported here)
from testigo.ledger.entries import FLAG_REVIEWED, MANUAL_ENTRY, RESOLVE_MISMATCH
from testigo.store.db import changed_rows
from testigo.store.records import ACCEPTED, CONFLICT
from testigo.store.schema import (
    DecisionRow,
    ItemRow,
    KnownEntryRow,
    LogEntryRow,
    ManualEntryRow,
    PrintedRow,
    RecordRow,
    SubmissionRow,
)
from testigo.store.submissions import now

#: A reviewer set an unreadable item aside as not an acta (a selfie, a blank page, a photo of something else). Stored
#: with the decisions, never logged: it changes no figure. An admin can undo it (`undo_dismissal`).
NOT_AN_ACTA = "not_an_acta"

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


def untyped_known(reviewer_id: int) -> ColumnElement[bool]:
    """Whether a `KnownEntryRow` is a known sheet handed to `reviewer_id` that they have neither typed nor set aside."""
    return and_(
        KnownEntryRow.reviewer_id == reviewer_id,
        KnownEntryRow.entered_at.is_(None),
        KnownEntryRow.set_aside_at.is_(None),
    )


def _commonest_unreadable_reason() -> ScalarSelect[str]:
    """The reason the most unreadable items give (one query for the page: it names no outer row)."""
    unreadable = ItemRow.__table__.alias("unreadable")
    return (
        select(unreadable.c.reason)
        .where(unreadable.c.status == Status.UNREADABLE.value)
        .group_by(unreadable.c.reason)
        .order_by(func.count().desc(), unreadable.c.reason)
        .limit(1)
        .scalar_subquery()
    )


@dataclass(frozen=True)
class UnreadableLine:
    """An unreadable sheet waiting for manual entry."""

    item_id: int
    sha256: str | None
    received_at: datetime
    reason: str | None
    entries: int
    entered_by_me: bool


def shuffled(column: ColumnElement[int] | InstrumentedAttribute[int], seed: int) -> ColumnElement[int]:
    """An order of rows by `column` (an integer id) that looks random and is the same on every page for one `seed`.

    Work is handed out in this order, not in arrival order, so partial results
    are not biased by which region uploads first; each reviewer gets their own
    order (seeded by their id), so two reviewers rarely start on the same
    sheet. The id times a multiplier of the seed's own (a power of a primitive
    root), modulo the prime 2**31 - 1: a permutation, in integer SQL that
    SQLite and PostgreSQL compute alike, below 2**62 for any 32-bit id.
    """
    multiplier = pow(16807, seed % 1_000_003 + 1, _PRIME)
    # in 64-bit integers: PostgreSQL computes INTEGER * INTEGER in 32 bits, and overflows
    return (cast(column, BigInteger) * literal(multiplier, BigInteger)) % literal(_PRIME, BigInteger)


_PRIME = 2**31 - 1


def unreadable_queue(
    session: Session,
    reviewer_id: int,
    *,
    offset: int = 0,
    limit: int = QUEUE_PAGE,
    item_id: int | None = None,
    seed: int | None = None,
) -> Page[UnreadableLine]:
    """Unreadable items no manual entry has settled yet, nor a reviewer set aside as not an acta (or only `item_id`),
    and the known sheets handed to this reviewer that they have not typed yet (`testigo.web.measure`).

    Sheets another reviewer has started (one entry, not mine) come first, so
    they settle; then the rest in an order shuffled by `seed` (arrival order
    without one). A known sheet is listed as an unreadable sheet nobody has
    started, with the reason most unreadable sheets give now: nothing in the
    line tells it apart.
    """
    settled = exists().where(DecisionRow.item_id == ItemRow.id, DecisionRow.action == MANUAL_ENTRY)
    dismissed = exists().where(
        DecisionRow.item_id == ItemRow.id, DecisionRow.action == NOT_AN_ACTA, DecisionRow.undone_at.is_(None)
    )
    known = exists().where(KnownEntryRow.item_id == ItemRow.id, untyped_known(reviewer_id))
    typed = select(func.count()).where(ManualEntryRow.item_id == ItemRow.id).scalar_subquery()
    entries = case((known, 0), else_=typed)
    mine = exists().where(ManualEntryRow.item_id == ItemRow.id, ManualEntryRow.reviewer_id == reviewer_id)
    started_by_others = case((entries > 0, case((mine, 2), else_=0)), else_=1)
    order = [ItemRow.id] if seed is None else [started_by_others, shuffled(ItemRow.id, seed), ItemRow.id]
    reason = case((known, func.coalesce(_commonest_unreadable_reason(), ItemRow.reason)), else_=ItemRow.reason)
    query = (
        select(ItemRow.id, SubmissionRow.blob_sha256, SubmissionRow.submitted_at, reason, entries, mine & ~known)
        .join(SubmissionRow, SubmissionRow.id == ItemRow.submission_id)
        .where(or_(and_(ItemRow.status == Status.UNREADABLE, ~settled, ~dismissed), known))
        .order_by(*order)
    )
    if item_id is not None:
        query = query.where(ItemRow.id == item_id)
    return _page(session, query, offset, limit, lambda row: UnreadableLine(*row))


@dataclass(frozen=True)
class MismatchLine:
    """A sheet whose print differs from its QR code, waiting for a reviewer's finding."""

    item_id: int
    sha256: str | None
    received_at: datetime
    acta_id: str | None
    reason: str | None


def mismatch_queue(
    session: Session,
    *,
    offset: int = 0,
    limit: int = QUEUE_PAGE,
    item_id: int | None = None,
    seed: int | None = None,
) -> Page[MismatchLine]:
    """Sheets kept as a mismatch that no reviewer has resolved yet (or only `item_id`), shuffled by `seed`."""
    resolved = exists().where(DecisionRow.item_id == ItemRow.id, DecisionRow.action == RESOLVE_MISMATCH)
    order = [ItemRow.id] if seed is None else [shuffled(ItemRow.id, seed), ItemRow.id]
    query = (
        select(ItemRow.id, SubmissionRow.blob_sha256, SubmissionRow.submitted_at, ItemRow.mesa_id, ItemRow.reason)
        .join(SubmissionRow, SubmissionRow.id == ItemRow.submission_id)
        .where(ItemRow.status == Status.MISMATCH, ItemRow.payload.is_not(None), ~resolved)
        .order_by(*order)
    )
    if item_id is not None:
        query = query.where(ItemRow.id == item_id)
    return _page(session, query, offset, limit, lambda row: MismatchLine(*row))


def conflict_queue(
    session: Session, *, offset: int = 0, limit: int = QUEUE_PAGE, seed: int | None = None
) -> Page[tuple[str, int]]:
    """(mesa id, number of conflicting records) of every mesa with an undecided conflict, shuffled by `seed`
    (by mesa without one)."""
    first = func.min(RecordRow.id)
    order = [RecordRow.mesa_id] if seed is None else [shuffled(first, seed), RecordRow.mesa_id]
    query = (
        select(RecordRow.mesa_id, func.count())
        .where(RecordRow.status == CONFLICT)
        .group_by(RecordRow.mesa_id)
        .order_by(*order)
    )
    return _page(session, query, offset, limit, lambda row: (row[0], row[1]))


def conflicting_contests(session: Session, mesa_ids: Sequence[str]) -> dict[str, list[str]]:
    """The contests each of these mesas has an undecided conflict in (on a sheet of several contests, what a
    queue line names; ``""`` for a one-contest format, left out)."""
    if not mesa_ids:
        return {}
    query = (
        select(RecordRow.mesa_id, RecordRow.contest)
        .where(RecordRow.status == CONFLICT, RecordRow.mesa_id.in_(sorted(set(mesa_ids))), RecordRow.contest != "")
        .distinct()
    )
    found: dict[str, list[str]] = {}
    for mesa_id, contest in session.execute(query):
        found.setdefault(mesa_id, []).append(contest)
    return {mesa_id: sorted(contests) for mesa_id, contests in found.items()}


def flagged_queue(
    session: Session,
    ignored: Sequence[str] = (),
    *,
    record_id: int | None = None,
    offset: int = 0,
    limit: int = QUEUE_PAGE,
    seed: int | None = None,
) -> Page[RecordRow]:
    """Accepted records with a flag that is not in `ignored` and that no reviewer has looked at yet.

    `ignored` are flags that only inform (which ones is the caller's policy);
    a record carrying nothing else is not waiting for anyone.
    """
    reviewed = exists().where(DecisionRow.record_id == RecordRow.id, DecisionRow.action == FLAG_REVIEWED)
    order = [RecordRow.mesa_id, RecordRow.id] if seed is None else [shuffled(RecordRow.id, seed), RecordRow.id]
    query = (
        select(RecordRow).where(RecordRow.status == ACCEPTED, _has_flag_besides(ignored), ~reviewed).order_by(*order)
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


def accepted_of_center(session: Session, center_id: str, contest: str = "") -> list[RecordRow]:
    """The accepted records of `contest` in a center."""
    # by the center on the record (its index), not a join with mesas: see `RecordRow`
    query = select(RecordRow).where(
        RecordRow.center_id == center_id, RecordRow.status == ACCEPTED, RecordRow.contest == contest
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
    """One file behind a record: its image, what became of it, and its entry in the log.

    `status` is the item's, or the decision's action for a sheet a decision
    brought to the record (``manual_entry``: typed; ``resolve_mismatch``: its
    print found misread); `printed` is what its print said of its code
    (``confirmed``, ``partial``, ``mismatch``) or that it was read alone
    (``certain``, ``uncertain``), None when no print was read.
    """

    item_id: int
    sha256: str | None
    status: str
    received_at: datetime
    log_seq: int | None
    printed: str | None = None


def evidence_of(session: Session, record_ids: Sequence[int]) -> dict[int, list[Evidence]]:
    """For each record, the items that read it, the unreadable items typed into it and the mismatched sheets
    found misread into it, oldest first."""
    found: dict[int, list[Evidence]] = {record_id: [] for record_id in record_ids}
    if not record_ids:
        return found
    columns = (ItemRow.id, SubmissionRow.blob_sha256, SubmissionRow.submitted_at, LogEntryRow.seq, PrintedRow.outcome)
    read = (
        select(ItemRow.record_id, ItemRow.status, *columns)
        .join(SubmissionRow, SubmissionRow.id == ItemRow.submission_id)
        .outerjoin(LogEntryRow, LogEntryRow.item_id == ItemRow.id)
        .outerjoin(PrintedRow, PrintedRow.item_id == ItemRow.id)
        .where(ItemRow.record_id.in_(record_ids))
    )
    decided = (
        select(DecisionRow.record_id, DecisionRow.action, *columns)
        .join(ItemRow, ItemRow.id == DecisionRow.item_id)
        .join(SubmissionRow, SubmissionRow.id == ItemRow.submission_id)
        .outerjoin(LogEntryRow, LogEntryRow.item_id == ItemRow.id)
        .outerjoin(PrintedRow, PrintedRow.item_id == ItemRow.id)
        .where(DecisionRow.action.in_((MANUAL_ENTRY, RESOLVE_MISMATCH)), DecisionRow.record_id.in_(record_ids))
    )
    for query in (read, decided):
        for record_id, status, item_id, sha, received_at, seq, printed in session.execute(query):
            found[record_id].append(Evidence(item_id, sha, status, received_at, seq, printed))
    for lines in found.values():
        lines.sort(key=lambda e: e.item_id)
    return found


def image_is_public(session: Session, sha256: str) -> bool:
    """Whether a stored file shows an acta that pages link to (read into a record, or typed or found misread into
    one), or a sheet whose print differs from its valid code (the bundle publishes it too: it is the evidence
    of an altered sheet, and the public may judge it).

    Anything else a volunteer uploaded — a blurred photo, a picture of something
    else — stays visible to reviewers only.
    """
    read = (
        select(ItemRow.id)
        .join(SubmissionRow, SubmissionRow.id == ItemRow.submission_id)
        .where(
            SubmissionRow.blob_sha256 == sha256,
            ItemRow.record_id.is_not(None) | (ItemRow.status == Status.MISMATCH.value),
        )
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


def revise_manual_entry(
    session: Session, entry: ManualEntryRow, *, mesa_id: str, counts: Sequence[int], null_votes: int
) -> ManualEntryRow:
    """Rewrite a reviewer's own entry (a correction; the caller decides when one is allowed)."""
    entry.mesa_id = mesa_id
    entry.counts = ",".join(str(v) for v in counts)
    entry.null_votes = null_votes
    entry.revised_at = now()
    session.flush()
    return entry


def dismissal_of(session: Session, item_id: int) -> DecisionRow | None:
    """The standing not-an-acta decision of an item, if a reviewer set it aside and no admin undid it."""
    query = select(DecisionRow).where(
        DecisionRow.item_id == item_id, DecisionRow.action == NOT_AN_ACTA, DecisionRow.undone_at.is_(None)
    )
    return session.execute(query.limit(1)).scalar_one_or_none()


@dataclass(frozen=True)
class Dismissal:
    """A sheet set aside as not an acta: by whom, when, why (admins see these, and can undo them)."""

    decision_id: int
    item_id: int
    sha256: str | None
    reviewer_id: int
    reason: str | None
    at: datetime
    undone_at: datetime | None


def dismissals(session: Session, limit: int = 100) -> list[Dismissal]:
    """The latest sheets set aside as not an acta, newest first, undone ones included."""
    query = (
        select(
            DecisionRow.id,
            DecisionRow.item_id,
            SubmissionRow.blob_sha256,
            DecisionRow.reviewer_id,
            DecisionRow.reason,
            DecisionRow.created_at,
            DecisionRow.undone_at,
        )
        .join(ItemRow, ItemRow.id == DecisionRow.item_id)
        .join(SubmissionRow, SubmissionRow.id == ItemRow.submission_id)
        .where(DecisionRow.action == NOT_AN_ACTA)
        .order_by(DecisionRow.id.desc())
        .limit(limit)
    )
    return [Dismissal(*row) for row in session.execute(query)]


def undo_dismissal(session: Session, decision_id: int, admin_id: int) -> DecisionRow | None:
    """Put a sheet set aside as not an acta back in the queue; None if there is no such standing decision."""
    done = session.execute(
        update(DecisionRow)
        .where(DecisionRow.id == decision_id, DecisionRow.action == NOT_AN_ACTA, DecisionRow.undone_at.is_(None))
        .values(undone_at=now(), undone_by=admin_id)
        .execution_options(synchronize_session=False)
    )
    if changed_rows(done) != 1:
        return None
    return session.get(DecisionRow, decision_id)


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
