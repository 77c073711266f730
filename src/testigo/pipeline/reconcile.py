"""Validation and reconciliation: what one decoded payload becomes.

Rules (the order matters):

1. A payload the profile cannot parse, or whose record fails the profile's
   checks against the registry, is **invalid**, with the reason.
2. A record identical (same mesa, same payload) to one already kept is a
   **duplicate** of it; nothing new is stored.
3. A record for a mesa (and contest) that already has an accepted one, with different content,
   is kept as a **conflict** for review; the accepted one stays.
4. Otherwise it is **accepted**. The database's unique indexes (one accepted
   record per mesa and contest, one record per mesa and content) are the final arbiters: if
   another writer stored the mesa first, the insert fails and the decision is
   taken again, becoming a conflict or a duplicate.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy.orm import Session

from testigo.domain import Record, Registry, Status
from testigo.ledger.entries import neutral_name
from testigo.profiles import CheckContext, PayloadError, Profile
from testigo.store import records
from testigo.store.schema import RecordRow
from testigo.store.submissions import ItemOutcome

#: Records settled together by `settle_records`: each chunk's IN lists stay far below SQLite's and
#: PostgreSQL's limits on bound parameters, and its cost is flat in the records already stored.
CHUNK = 500
#: Decisions retried when a concurrent writer wins a race (one retry always suffices in practice).
_ATTEMPTS = 5


def settle_payload(
    session: Session,
    profile: Profile,
    registry: Registry,
    payload: str,
    *,
    source: str,
    page: int = 0,
    part: int = 0,
    strategy: str | None = None,
) -> ItemOutcome:
    """Parse, validate and reconcile one payload inside the caller's transaction."""
    try:
        record = profile.parse(payload)
    except PayloadError as error:
        return ItemOutcome(
            status=Status.INVALID, reason=str(error), page=page, part=part, payload=payload, strategy=strategy
        )
    outcome = settle_record(session, profile, registry, record, source=source, page=page, part=part, strategy=strategy)
    return replace(outcome, payload=payload)  # what was read, byte for byte, not the parsed form


def settle_record(
    session: Session,
    profile: Profile,
    registry: Registry,
    record: Record,
    *,
    source: str,
    page: int = 0,
    part: int = 0,
    strategy: str | None = None,
) -> ItemOutcome:
    """Validate and reconcile one parsed record (a decoded sheet, or an imported row) in the caller's transaction."""
    outcome = ItemOutcome(
        status=Status.INVALID, page=page, part=part, payload=record.payload, strategy=strategy, mesa_id=record.acta_id
    )
    problems = validate(session, profile, registry, record)
    if problems:
        return replace(outcome, reason="; ".join(problems))
    status, row, reason = reconcile(session, profile, record, source)
    return replace(outcome, status=status, reason=reason, record_id=row.id)


@dataclass(frozen=True)
class Placed:
    """A record to settle, with where its file gave it (page, and part: a table's line)."""

    record: Record
    page: int = 0
    part: int = 0


def settle_records(
    session: Session, profile: Profile, registry: Registry, placed: Sequence[Placed], *, source: str
) -> list[ItemOutcome]:
    """`settle_record` for each of many records, in order, in the caller's transaction: the same outcomes,
    for a few statements per `CHUNK` records instead of four per record.

    Why: one record at a time, an imported table cost 3.3 ms a row (0.5 ms this way, measured by
    benchmarks/import_cost.py), nearly all of it SQLAlchemy's work around four small statements (find the
    same content, the mesa's accepted record, the center's other votes, the insert in its savepoint), and a
    BU's contests as much each. Here a chunk's mesas, their records and their centers' accepted votes are
    read at once through the same indexes, the decisions are taken in memory as the one-by-one path takes
    them (a record decided earlier in the chunk counts for the later ones), and the new records are
    inserted in one statement. When a unique index refuses that insert (another writer settled one of the
    mesas meanwhile), the chunk is settled one record at a time, which decides again with what that writer
    stored.
    """
    outcomes: list[ItemOutcome] = []
    for start in range(0, len(placed), CHUNK):
        chunk = placed[start : start + CHUNK]
        settled = _settle_chunk(session, profile, registry, chunk, source)
        if settled is None:
            settled = [
                settle_record(session, profile, registry, p.record, source=source, page=p.page, part=p.part)
                for p in chunk
            ]
        outcomes += settled
    return outcomes


def _settle_chunk(
    session: Session, profile: Profile, registry: Registry, chunk: Sequence[Placed], source: str
) -> list[ItemOutcome] | None:
    """The outcomes of `chunk` (see `settle_records`), or None when its insert was refused."""
    mesa_ids = {p.record.mesa_id for p in chunk}
    stored = records.stored_of_mesas(session, mesa_ids)
    same: dict[tuple[str, str], records.Stored | int] = {(s.mesa_id, s.payload_sha256): s for s in stored}
    accepted: dict[tuple[str, str], records.Stored | int] = {
        (s.mesa_id, s.contest): s for s in stored if s.status == records.ACCEPTED
    }
    votes: dict[tuple[str, str], Counter[str]] = {}  # (center, contest) → accepted votes per mesa
    if profile.checks_center_total:
        centers = {registry.mesas[m].center_id for m in mesa_ids if m in registry.mesas}
        for center, other, contest, count in records.accepted_votes_in(session, centers):
            votes.setdefault((center, contest), Counter())[other] += count
    decided: list[tuple[Record, str]] = []  # the new records; an int in `same` or `accepted` is an index here
    steps: list[tuple[Placed, Status, records.Stored | int | str | None, int]] = []
    for p in chunk:
        record = p.record
        mesa = registry.mesas.get(record.mesa_id)
        per_mesa: Counter[str] = Counter()
        if mesa is not None and profile.checks_center_total:
            per_mesa = votes.setdefault((mesa.center_id, record.contest), Counter())
        elsewhere = sum(per_mesa.values()) - per_mesa[record.mesa_id]
        problems = profile.check(record, CheckContext(registry, elsewhere))
        earlier = same.get((record.mesa_id, record.payload_sha256))
        if problems:
            steps.append((p, Status.INVALID, "; ".join(problems), -1))
        elif earlier is not None:
            steps.append((p, Status.DUPLICATE, earlier, -1))
        else:
            rival = accepted.get((record.mesa_id, record.contest))
            same[(record.mesa_id, record.payload_sha256)] = len(decided)
            if rival is None:
                accepted[(record.mesa_id, record.contest)] = len(decided)
                per_mesa[record.mesa_id] += record.valid_votes + record.null_votes
            steps.append((p, Status.ACCEPTED if rival is None else Status.CONFLICT, rival, len(decided)))
            decided.append((record, records.ACCEPTED if rival is None else records.CONFLICT))
    ids = records.insert_many(session, decided, source, records.centers_of(session, mesa_ids))
    if ids is None:
        return None
    new = [_stored(record, status, row_id) for (record, status), row_id in zip(decided, ids, strict=True)]
    return [_chunk_outcome(session, profile, step, new) for step in steps]


def _chunk_outcome(
    session: Session,
    profile: Profile,
    step: tuple[Placed, Status, records.Stored | int | str | None, int],
    new: list[records.Stored],
) -> ItemOutcome:
    """One decision of `_settle_chunk` worded as `settle_record` words it, now that the new records have ids:
    the reason or the record it repeats or conflicts with, and the index of its own new record."""
    placed, status, which, mine = step
    record = placed.record
    outcome = ItemOutcome(
        status=status, page=placed.page, part=placed.part, payload=record.payload, mesa_id=record.acta_id
    )
    other = new[which] if isinstance(which, int) else which
    if isinstance(other, str):
        return replace(outcome, reason=other)
    if status is Status.DUPLICATE and other is not None:
        return replace(outcome, reason=_same_note(session, other.status, other.id), record_id=other.id)
    row_id = new[mine].id
    if other is None:
        return replace(outcome, reason=_flag_note(record), record_id=row_id)
    return replace(outcome, reason=describe_conflict(session, profile, other, record), record_id=row_id)


def _stored(record: Record, status: str, row_id: int) -> records.Stored:
    counts = ",".join(str(v) for v in record.counts)
    return records.Stored(
        row_id, record.mesa_id, record.contest, record.payload_sha256, status, counts, record.null_votes
    )


def validate(session: Session, profile: Profile, registry: Registry, record: Record) -> list[str]:
    """Why the record cannot be accepted (empty when valid): the profile's checks against the registry.

    The center's ceiling counts the center's other accepted sheets of the
    record's contest, read in the caller's transaction.
    """
    mesa = registry.mesas.get(record.mesa_id)
    elsewhere = 0
    if mesa is not None and profile.checks_center_total:
        elsewhere = records.center_votes_elsewhere(session, mesa.center_id, mesa.id, record.contest)
    return profile.check(record, CheckContext(registry, elsewhere))


def reconcile(session: Session, profile: Profile, record: Record, source: str) -> tuple[Status, RecordRow, str | None]:
    """Decide accepted / duplicate / conflict for a valid record and store it if new.

    The decision reads, then inserts inside a savepoint. If another writer
    committed the same mesa in between, a unique index refuses the insert and
    the decision is simply taken again with what that writer stored.
    """
    for _ in range(_ATTEMPTS):
        same = records.find_same(session, record)
        if same is not None:
            return Status.DUPLICATE, same, _same_note(session, same.status, same.id)
        accepted = records.accepted_for(session, record.mesa_id, record.contest)
        row = records.insert(session, record, records.CONFLICT if accepted else records.ACCEPTED, source)
        if row is None:
            continue
        if accepted is None:
            return Status.ACCEPTED, row, _flag_note(record)
        return Status.CONFLICT, row, describe_conflict(session, profile, records.Stored.of(accepted), record)
    raise RuntimeError(f"could not settle mesa {record.mesa_id}: concurrent writers kept changing it")


def describe_conflict(session: Session, profile: Profile, accepted: records.Stored, record: Record) -> str:
    """One line naming where the new sheet differs from the accepted one."""
    election = profile.election_of(record.contest)
    old = [int(v) for v in accepted.counts.split(",")]
    old, new = _same_length(old, list(record.counts))
    old_by = election.per_candidate(old)
    new_by = election.per_candidate(new)
    diffs = [f"{k} {old_by[k]}→{new_by[k]}" for k in old_by if old_by[k] != new_by[k]]
    if accepted.null_votes != record.null_votes:
        diffs.append(f"null {accepted.null_votes}→{record.null_votes}")
    if not diffs:
        moved = [str(i + 1) for i, (a, b) in enumerate(zip(old, new, strict=True)) if a != b]
        diffs.append(f"votes moved between cards {', '.join(moved)}" if moved else "other fields differ")
    where = _label(session, accepted.id)
    return f"differs from the accepted acta of mesa {record.acta_id} (from {where}): {'; '.join(diffs)}"


def _same_length(old: list[int], new: list[int]) -> tuple[list[int], list[int]]:
    """Two count lists of one contest padded with zeros to the longer (a ballot that grows: `Profile.election_of`)."""
    size = max(len(old), len(new))
    return old + [0] * (size - len(old)), new + [0] * (size - len(new))


def _same_note(session: Session, status: str, record_id: int) -> str:
    return f"same acta as the {status} one from {_label(session, record_id)}"


def _label(session: Session, record_id: int) -> str:
    """The accepted sheet's file as the log may name it: by content (`neutral_name`), never as it was submitted
    (a reason is published with its entry)."""
    found = records.first_blob_of(session, record_id)
    return neutral_name(*found) if found and found[0] else f"record {record_id}"


def _flag_note(record: Record) -> str | None:
    return "; ".join(record.flags) or None
