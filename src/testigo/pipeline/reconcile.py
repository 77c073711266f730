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

from dataclasses import replace

from sqlalchemy.orm import Session

from testigo.domain import Record, Registry, Status
from testigo.ledger.entries import neutral_name
from testigo.profiles import CheckContext, PayloadError, Profile
from testigo.store import records
from testigo.store.schema import RecordRow
from testigo.store.submissions import ItemOutcome

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
            return Status.DUPLICATE, same, f"same acta as the {same.status} one from {_label(session, same.id)}"
        accepted = records.accepted_for(session, record.mesa_id, record.contest)
        row = records.insert(session, record, records.CONFLICT if accepted else records.ACCEPTED, source)
        if row is None:
            continue
        if accepted is None:
            return Status.ACCEPTED, row, _flag_note(record)
        return Status.CONFLICT, row, describe_conflict(session, profile, accepted, record)
    raise RuntimeError(f"could not settle mesa {record.mesa_id}: concurrent writers kept changing it")


def describe_conflict(session: Session, profile: Profile, accepted: RecordRow, record: Record) -> str:
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


def _label(session: Session, record_id: int) -> str:
    """The accepted sheet's file as the log may name it: by content (`neutral_name`), never as it was submitted
    (a reason is published with its entry)."""
    found = records.first_blob_of(session, record_id)
    return neutral_name(*found) if found and found[0] else f"record {record_id}"


def _flag_note(record: Record) -> str | None:
    return "; ".join(record.flags) or None
