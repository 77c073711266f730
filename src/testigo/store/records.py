"""Reading and writing reconciled records (SQL access only; the rules live in pipeline.reconcile)."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy import insert as insert_into
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from testigo.domain import Record
from testigo.domain.printed import CERTAIN, CONFIRMED
from testigo.store.db import insert_in_order
from testigo.store.schema import BlobRow, ItemRow, MesaRow, PrintedRow, RecordRow, SubmissionRow
from testigo.store.submissions import now

ACCEPTED = "accepted"
CONFLICT = "conflict"
#: Key of `extra` holding the ballots a sheet or table row declares (valid plus invalid, as printed).
DECLARED_BALLOTS = "ballots"


# run for every settled sheet: built once (see `testigo.store.submissions`)
_SAME = select(RecordRow).where(
    RecordRow.mesa_id == bindparam("mesa_id"), RecordRow.payload_sha256 == bindparam("payload_sha256")
)
_ACCEPTED_FOR = select(RecordRow).where(
    RecordRow.mesa_id == bindparam("mesa_id"), RecordRow.contest == bindparam("contest"), RecordRow.status == ACCEPTED
)
# one range of ix_records_center_status (see `RecordRow`): no join, so no join order for a planner to get wrong
_CENTER_VOTES_ELSEWHERE = select(func.coalesce(func.sum(RecordRow.valid_votes + RecordRow.null_votes), 0)).where(
    RecordRow.center_id == bindparam("center_id"),
    RecordRow.status == ACCEPTED,
    RecordRow.contest == bindparam("contest"),
    RecordRow.mesa_id != bindparam("mesa_id"),
)
#: The center of a mesa, as the registry in the database has it: written on each new record.
_CENTER_OF = select(MesaRow.center_id).where(MesaRow.id == bindparam("of_mesa")).scalar_subquery()
# an ORM INSERT ... RETURNING, not session.add and a flush: the unit of work cost ~1.2 ms of the ~3.6 ms a
# settled record took (24,532 imported rows: 29 s of 89), and cloning _CENTER_OF with .params() 0.3 ms more
_INSERT = insert_into(RecordRow).values(center_id=_CENTER_OF).returning(RecordRow)
_FIRST_FILE_OF = (
    select(SubmissionRow.display_path)
    .join(ItemRow, ItemRow.submission_id == SubmissionRow.id)
    .where(ItemRow.record_id == bindparam("record_id"))
    .order_by(ItemRow.id)
    .limit(1)
)


def find_same(session: Session, record: Record) -> RecordRow | None:
    """The record already stored with this mesa and content (the content names its contest)."""
    parameters = {"mesa_id": record.mesa_id, "payload_sha256": record.payload_sha256}
    return session.execute(_SAME, parameters).scalar_one_or_none()


def accepted_for(session: Session, mesa_id: str, contest: str = "") -> RecordRow | None:
    """The accepted record of a mesa in a contest (``""``: the one contest of a one-contest format)."""
    return session.execute(_ACCEPTED_FOR, {"mesa_id": mesa_id, "contest": contest}).scalar_one_or_none()


def insert(session: Session, record: Record, status: str, source: str) -> RecordRow | None:
    """Store `record` with `status`, or return None when a unique index refuses it.

    The insert runs in a savepoint, so a refusal (another writer stored the
    same content, or accepted the mesa, first) leaves the caller's
    transaction usable: it decides again with what that writer stored.
    """
    values = {**_values(record, status, source), "of_mesa": record.mesa_id}
    try:
        with session.begin_nested():
            return session.execute(_INSERT, values).scalar_one()
    except IntegrityError:
        return None


def insert_many(
    session: Session, decided: Sequence[tuple[Record, str]], source: str, centers: Mapping[str, str]
) -> list[int] | None:
    """Store each (record, status) in one statement, returning their ids in order, or None when a unique
    index refuses any of them (in a savepoint, as `insert`: the caller settles them one by one instead).

    `centers` gives each mesa's center (`centers_of`), which `insert` reads from the registry per row.
    """
    if not decided:
        return []
    rows = [{**_values(record, status, source), "center_id": centers.get(record.mesa_id)} for record, status in decided]
    try:
        with session.begin_nested():
            return insert_in_order(session, cast(Table, RecordRow.__table__), rows)
    except IntegrityError:
        return None


def _values(record: Record, status: str, source: str) -> dict[str, object]:
    return {
        "profile": record.profile,
        "mesa_id": record.mesa_id,
        "acta_id": record.acta_id,
        "contest": record.contest,
        "payload": record.payload,
        "payload_sha256": record.payload_sha256,
        "counts": ",".join(str(v) for v in record.counts),
        "null_votes": record.null_votes,
        "valid_votes": record.valid_votes,
        "extra": json.dumps(record.extra, sort_keys=True),
        "flags": json.dumps(list(record.flags)),
        "status": status,
        "source": source,
        "created_at": now(),
    }


@dataclass(frozen=True)
class Stored:
    """What reconciliation reads of a stored record: whether new content repeats it or conflicts with it."""

    id: int
    mesa_id: str
    contest: str
    payload_sha256: str
    status: str
    counts: str
    null_votes: int

    @classmethod
    def of(cls, row: RecordRow) -> Stored:
        return cls(row.id, row.mesa_id, row.contest, row.payload_sha256, row.status, row.counts, row.null_votes)


def stored_of_mesas(session: Session, mesa_ids: Collection[str]) -> list[Stored]:
    """Every record of these mesas, through the index on the mesa (one range per mesa)."""
    columns = (
        RecordRow.id,
        RecordRow.mesa_id,
        RecordRow.contest,
        RecordRow.payload_sha256,
        RecordRow.status,
        RecordRow.counts,
        RecordRow.null_votes,
    )
    query = select(*columns).where(RecordRow.mesa_id.in_(sorted(mesa_ids)))
    return [Stored(*row) for row in session.execute(query).tuples()]


def accepted_votes_in(session: Session, center_ids: Collection[str]) -> list[tuple[str, str, str, int]]:
    """(center, mesa, contest, valid + null votes) of the accepted records of these centers: the ranges of
    ix_records_center_status that `center_votes_elsewhere` reads one center at a time."""
    query = select(
        RecordRow.center_id, RecordRow.mesa_id, RecordRow.contest, RecordRow.valid_votes + RecordRow.null_votes
    ).where(RecordRow.center_id.in_(sorted(center_ids)), RecordRow.status == ACCEPTED)
    return [(str(center), mesa, contest, int(votes)) for center, mesa, contest, votes in session.execute(query)]


def centers_of(session: Session, mesa_ids: Collection[str]) -> dict[str, str]:
    """Mesa id → its center, as the registry in the database has it (mesas missing from it are absent)."""
    query = select(MesaRow.id, MesaRow.center_id).where(MesaRow.id.in_(sorted(mesa_ids)))
    return dict(session.execute(query).tuples().all())


def center_votes_elsewhere(session: Session, center_id: str, mesa_id: str, contest: str = "") -> int:
    """Votes (valid + null) of the accepted records of a center's other mesas in one contest.

    Per contest: each voter votes once in every contest of the ballot, so
    the center's ceiling of registered voters holds contest by contest.

    Run for every settled sheet and imported row, so its cost must not grow
    with the records stored: it reads the center's own accepted records
    through ix_records_center_status and nothing else
    (tests/store/test_per_record_cost.py holds it to that).
    """
    parameters = {"center_id": center_id, "mesa_id": mesa_id, "contest": contest}
    return int(session.execute(_CENTER_VOTES_ELSEWHERE, parameters).scalar_one())


def first_blob_of(session: Session, record_id: int) -> tuple[str | None, str | None] | None:
    """(SHA-256, media type) of the first file whose reading produced this record (for messages that are
    published: they name a file by its content, never by the name it was submitted under)."""
    query = (
        select(SubmissionRow.blob_sha256, BlobRow.media_type)
        .join(ItemRow, ItemRow.submission_id == SubmissionRow.id)
        .outerjoin(BlobRow, BlobRow.sha256 == SubmissionRow.blob_sha256)
        .where(ItemRow.record_id == record_id)
        .order_by(ItemRow.id)
        .limit(1)
    )
    row = session.execute(query).first()
    return (row[0], row[1]) if row else None


def first_file_of(session: Session, record_id: int) -> str | None:
    """The path of the first file whose reading produced this record (for messages)."""
    return session.execute(_FIRST_FILE_OF, {"record_id": record_id}).scalar_one_or_none()


def accepted_per_contest(session: Session) -> dict[str, int]:
    """Contest → how many accepted records it has (``{"": n}`` for a workspace of a one-contest format)."""
    query = select(RecordRow.contest, func.count()).where(RecordRow.status == ACCEPTED).group_by(RecordRow.contest)
    return {contest: int(count) for contest, count in session.execute(query).tuples()}


def accepted_counts(session: Session, contest: str = "") -> list[tuple[str, str, str, int]]:
    """(mesa_id, acta_id, counts text, null votes) of every accepted record of a contest."""
    query = select(RecordRow.mesa_id, RecordRow.acta_id, RecordRow.counts, RecordRow.null_votes).where(
        RecordRow.status == ACCEPTED, RecordRow.contest == contest
    )
    # straight from the driver's cursor (the parameters are inlined, escaped by the dialect): at a
    # million records SQLAlchemy's per-row objects cost more than the query itself
    connection = session.connection()
    sql = str(query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql)
        rows = cursor.fetchall()
        return cast(list[tuple[str, str, str, int]], rows)
    finally:
        cursor.close()


def accepted_evidence(session: Session, contest: str = "") -> dict[str, str]:
    """Mesa id → what backs its accepted record of a contest, as the published bundle names it
    (`ledger.entries.EVIDENCE`).

    From the record's source and the print of the sheet that first gave it
    (the item the log's accepted entry records): ``image+print`` when that
    sheet's print agreed with its code, ``print`` when it was read from the
    print alone, ``image``, ``manual``, ``manual+print`` or ``table``
    otherwise.
    """
    # a grouped subquery joined once: SQLite re-runs an ``IN (subquery)`` inside a LEFT JOIN's
    # condition for every record (90 s on the 24,532 imported actas of 2024, 0.1 s this way)
    first = (
        select(ItemRow.record_id, func.min(ItemRow.id).label("item_id"))
        .where(ItemRow.record_id.is_not(None))
        .group_by(ItemRow.record_id)
        .subquery()
    )
    query = (
        select(RecordRow.mesa_id, RecordRow.source, PrintedRow.outcome)
        .outerjoin(first, first.c.record_id == RecordRow.id)
        .outerjoin(PrintedRow, PrintedRow.item_id == first.c.item_id)
        .where(RecordRow.status == ACCEPTED, RecordRow.contest == contest)
    )
    sources = {"import": "table", "manual": "manual", "manual_print": "manual+print"}
    printed = {CONFIRMED: "image+print", CERTAIN: "print"}
    return {
        mesa: sources.get(source) or printed.get(outcome or "", "image")
        for mesa, source, outcome in session.execute(query)
    }


def declared_ballots(session: Session, contest: str = "") -> dict[str, int]:
    """Mesa id → ballots declared by its accepted record of `contest`, for the records whose source declares them.

    Only records whose `extra` mentions the key are parsed, so a workspace of
    decoded actas (which declare none) costs one indexed scan and no JSON.
    """
    query = select(RecordRow.mesa_id, RecordRow.extra).where(
        RecordRow.status == ACCEPTED,
        RecordRow.contest == contest,
        RecordRow.extra.contains(f'"{DECLARED_BALLOTS}"'),
    )
    declared: dict[str, int] = {}
    for mesa_id, extra in session.execute(query):
        value = json.loads(extra).get(DECLARED_BALLOTS)
        if isinstance(value, int):
            declared[mesa_id] = value
    return declared


def accepted_sheet_prints(session: Session) -> dict[str, bytes]:
    """Mesa id → sheet print of the first image item behind its accepted record (mesas without one are absent)."""
    first = (
        select(func.min(ItemRow.id))
        .join(RecordRow, ItemRow.record_id == RecordRow.id)
        .where(RecordRow.status == ACCEPTED, ItemRow.sheet_print.is_not(None))
        .group_by(ItemRow.record_id)
    )
    query = (
        select(RecordRow.mesa_id, ItemRow.sheet_print)
        .join(ItemRow, ItemRow.record_id == RecordRow.id)
        .where(ItemRow.id.in_(first))
    )
    return {mesa: data for mesa, data in session.execute(query) if data is not None}


def drop_flags(session: Session, record_ids: Collection[int], prefix: str) -> None:
    """Take the flags starting with `prefix` off these records (the rest of each record is left as it is)."""
    query = select(RecordRow.id, RecordRow.flags).where(RecordRow.id.in_(sorted(record_ids)))
    for record_id, flags in session.execute(query).tuples().all():
        kept = [flag for flag in json.loads(flags) if not flag.startswith(prefix)]
        session.execute(update(RecordRow).where(RecordRow.id == record_id).values(flags=json.dumps(kept)))
