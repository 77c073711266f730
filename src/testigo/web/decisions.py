"""Reviewer decisions as a library: resolve a conflict, double-enter an unreadable sheet, clear flags.

Each decision is one transaction that changes the records, stores who decided
what, when and why, and appends a ``decision`` entry to the tamper-evident log
— so the log alone replays every change of a mesa, and a decision cannot be
half made. Reviewers appear in the log only as pseudonyms.

Manual entry follows the double-entry rule of volunteer tallies (Honduras
2025 "Actas Abiertas"): a sheet typed by hand counts only when two different
reviewers typed exactly the same mesa and numbers; when two disagree, the next
entry that matches either of them settles it. Entries are blind: nobody sees
another's numbers before typing their own. When the machine read the sheet's
print (it has no readable code, and the print was not certain enough to count
alone), its reading is the first entry: one reviewer typing exactly the same
settles the sheet, a different one calls a second reviewer. The machine's
figures are never shown to a reviewer; it is named `MACHINE_READER` in the
decision's log entry, which the replay checks against the print the sheet's
own entry logged.

Among the sheets a reviewer types, some are known sheets that measure them
(`testigo.web.measure`): their entries are scored and stored apart, and
settle nothing. A reviewer whose accuracy on them is too low keeps typing,
but their entries no longer make or confirm a record until an admin
reinstates them.

An author may correct their own entry until the sheet settles: alone (a typo
seen after saving), or after a disagreement, when the form marks *which*
fields differ from another entry — never what the other typed — so each of
two reviewers can look at those figures again. With only two reviewers a
sheet is therefore never stuck: one of them corrects, and the entries agree.

A sheet that is not an acta at all (a selfie, a blank page) is set aside by
one reviewer (`dismiss`), with who, when and why stored; it changes no
figure, so it is not logged, and an admin can put it back (`undo_dismissal`).

A sheet whose print differs from its QR code (a `mismatch`) counts nowhere
until one reviewer, comparing the two on the image, says what it is
(`resolve_mismatch`): the machine misread the print (it shows the code's
figures), and the code's payload is settled like any sheet; or the print
really differs (an altered sheet), and it stays out of the count, now
confirmed. Either way the finding is logged with its reason.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

import testigo.web.measure as measure
from testigo.domain import Status
from testigo.ledger.entries import (
    FINDINGS,
    FLAG_REVIEWED,
    MACHINE_READER,
    MANUAL_ENTRY,
    MISREAD,
    RESOLVE_CONFLICT,
    RESOLVE_MISMATCH,
    SUPERSEDED,
    decision_entry,
)
from testigo.pipeline.printed import machine_reading
from testigo.pipeline.reconcile import settle_payload
from testigo.store import ledger as log_table
from testigo.store import reviews, users
from testigo.store.records import ACCEPTED, CONFLICT
from testigo.store.submissions import now, printed_of
from testigo.store.workspace import Store
from testigo.web.accounts import Account
from testigo.web.flags import INFORMATIONAL_FLAGS
from testigo.web.i18n import CatalogError
from testigo.web.keys import pseudonym

MAX_REASON = 1000
#: The source of a record two reviewers typed, and of one a reviewer typed exactly as the machine read its print
#: (others: ``image``, ``print``, ``import``).
MANUAL_SOURCE = "manual"
MANUAL_PRINT_SOURCE = "manual_print"


class DecisionError(CatalogError):
    """A decision that cannot be taken as asked.

    409 by default: the review has moved on (settled, changed meanwhile, typed
    twice). What the reviewer typed cannot be taken: 422; the item is not
    waiting for entry: 404. It carries a catalog `message`, so the reviewer
    reads why in the page's language; ``str()`` is the English text.
    """

    status_code = 409


@dataclass(frozen=True)
class Decided:
    """What a decision did: the status it produced and where it sits in the log."""

    action: str
    status: str
    mesa_id: str | None
    log_seq: int
    reason: str | None = None
    finding: str | None = None
    """What a reviewer found on a mismatched sheet (``misread`` or ``altered``); None for other decisions."""

    def to_json(self) -> dict[str, object]:
        return {
            "action": self.action,
            "status": self.status,
            "mesa": self.mesa_id,
            "log_seq": self.log_seq,
            "reason": self.reason,
            "finding": self.finding,
        }


@dataclass(frozen=True)
class ManualResult:
    """After one manual entry: settled (`decided`) or waiting for a matching one; `revised`: a correction.

    `entries` counts the machine's reading of the print when it is one
    (`machine`); `machine_agreed`: it is one of the two entries that settled
    the sheet. `printed_total` is the valid-votes total the reviewer read on
    the sheet, if they typed it: it is not part of the entry, only checked
    against the sum of the typed cards (`cards_sum`), and a difference is a
    warning, never a refusal (the sheet itself may not add up).
    """

    entries: int
    disagreement: bool
    decided: Decided | None
    revised: bool = False
    machine: bool = False
    machine_agreed: bool = False
    cards_sum: int = 0
    printed_total: int | None = None

    @property
    def total_differs(self) -> bool:
        return self.printed_total is not None and self.printed_total != self.cards_sum

    def to_json(self) -> dict[str, object]:
        return {
            "entries": self.entries,
            "disagreement": self.disagreement,
            "decided": self.decided.to_json() if self.decided else None,
            "revised": self.revised,
            "machine_entry": self.machine,
            "machine_agreed": self.machine_agreed,
            "cards_sum": self.cards_sum,
            "printed_total": self.printed_total,
            "total_differs": self.total_differs,
        }


def resolve_conflict(
    store: Store, secret: bytes, reviewer: Account, mesa_id: str, record_id: int, reason: str
) -> Decided:
    """Make `record_id` the accepted record of the mesa in its contest; every other live record of the mesa in
    that contest is superseded (the mesa's other contests, on a sheet that carries several, are left alone)."""
    reason = _reason(reason)
    with store.sessions.begin() as session:
        live = [r for r in reviews.records_of_mesa(session, mesa_id) if r.status in (ACCEPTED, CONFLICT)]
        chosen = next((r for r in live if r.id == record_id), None)
        if chosen is not None:
            live = [r for r in live if r.contest == chosen.contest]
        if not any(r.status == CONFLICT for r in live):
            raise DecisionError("decision_no_open_conflict", mesa=mesa_id)
        if chosen is None:
            raise DecisionError("decision_not_a_version", status_code=422, record=record_id, mesa=mesa_id)
        set_aside = [r for r in live if r.id != chosen.id]
        replaced = next((r.id for r in set_aside if r.status == ACCEPTED), None)
        # the previously accepted record leaves first: the database allows one accepted record per mesa and contest
        for row in sorted(set_aside, key=lambda r: r.status != ACCEPTED):
            if not reviews.set_record_status(session, row.id, row.status, SUPERSEDED):
                raise DecisionError("decision_changed_meanwhile", mesa=mesa_id)
        if chosen.status == CONFLICT and not reviews.set_record_status(session, chosen.id, CONFLICT, ACCEPTED):
            raise DecisionError("decision_changed_meanwhile", mesa=mesa_id)
        seq = _decide(
            store,
            secret,
            session,
            RESOLVE_CONFLICT,
            reviewer,
            [reviewer.id],
            acta_id=chosen.acta_id,
            payload=chosen.payload,
            status=ACCEPTED,
            reason=reason,
            mesa_id=mesa_id,
            record_id=chosen.id,
            replaced_record_id=replaced,
            set_aside=[r.payload_sha256 for r in set_aside],
        )
    return Decided(RESOLVE_CONFLICT, ACCEPTED, mesa_id, seq, reason)


def resolve_mismatch(
    store: Store, secret: bytes, reviewer: Account, item_id: int, finding: str, reason: str
) -> Decided:
    """One reviewer's finding on a sheet whose print differs from its QR code, logged with their reason.

    `MISREAD`: the print shows the code's figures, so the code's payload is
    settled as the sheet it is (accepted, duplicate, conflict or invalid, as
    reconciliation decides, source ``image``). `ALTERED`: the print really
    differs; the sheet stays out of the count, and the log says a person
    confirmed it. The item keeps its status: what it was read as is history.
    """
    reason = _reason(reason)
    if finding not in FINDINGS:
        raise DecisionError("decision_unknown_finding", status_code=422, finding=finding)
    with store.sessions.begin() as session:
        found = reviews.item_with_submission(session, item_id, lock=True)  # two reviewers at once: one finding
        payload = found[0].payload if found is not None and found[0].status == Status.MISMATCH else None
        if found is None or payload is None:
            raise DecisionError("decision_not_mismatch", status_code=404, item=item_id)
        if reviews.decision_for_item(session, item_id, RESOLVE_MISMATCH) is not None:
            raise DecisionError("decision_mismatch_resolved", item=item_id)
        item, submission = found
        mesa_id = store.profile.parse(payload).mesa_id  # it parsed when the sheet was found a mismatch
        status, record_id = Status.MISMATCH.value, None
        if finding == MISREAD:
            outcome = settle_payload(
                session, store.profile, store.registry, payload, source="image", page=item.page, part=item.part
            )
            status, record_id = outcome.status, outcome.record_id
        seq = _decide(
            store,
            secret,
            session,
            RESOLVE_MISMATCH,
            reviewer,
            [reviewer.id],
            acta_id=item.mesa_id,
            payload=payload,
            status=status,
            reason=reason,
            mesa_id=mesa_id,
            item_id=item_id,
            record_id=record_id,
            sha256=submission.blob_sha256,
            finding=finding,
        )
    return Decided(RESOLVE_MISMATCH, status, mesa_id, seq, reason, finding)


def review_flags(store: Store, secret: bytes, reviewer: Account, record_id: int, note: str) -> Decided:
    """Record that a reviewer checked the flags of an accepted record (it keeps counting)."""
    note = _reason(note)
    with store.sessions.begin() as session:
        if not reviews.lock_record(session, record_id):  # two reviewers clearing the same flags: one decision
            raise DecisionError("decision_no_flags", record=record_id)
        found = reviews.flagged_queue(session, INFORMATIONAL_FLAGS, record_id=record_id).items
        if not found:
            raise DecisionError("decision_no_flags", record=record_id)
        row = found[0]
        seq = _decide(
            store,
            secret,
            session,
            FLAG_REVIEWED,
            reviewer,
            [reviewer.id],
            acta_id=row.acta_id,
            payload=row.payload,
            status=ACCEPTED,
            reason=note,
            mesa_id=row.mesa_id,
            record_id=row.id,
        )
    return Decided(FLAG_REVIEWED, ACCEPTED, row.mesa_id, seq, note)


def enter_manual(
    store: Store,
    secret: bytes,
    reviewer: Account,
    item_id: int,
    mesa_id: str,
    counts: list[int],
    null_votes: int,
    printed_total: int | None = None,
) -> ManualResult:
    """Store one reviewer's typing of an unreadable sheet; settle the sheet when two entries agree (the machine's
    reading of its print, when it has one, is the first entry)."""
    _check_numbers(store, mesa_id, counts, null_votes)
    if printed_total is not None and printed_total < 0:
        raise DecisionError("decision_negative", status_code=422)
    with store.sessions.begin() as session:
        # The item's row is locked before anything is read, so entries of one sheet are taken one at a time:
        # on PostgreSQL two simultaneous matching entries would otherwise each miss the other (and the sheet
        # never settle), and two simultaneous tie-breakers would both settle it. SQLite ignores FOR UPDATE;
        # its write transactions (BEGIN IMMEDIATE) already run one at a time.
        found = reviews.item_with_submission(session, item_id, lock=True)
        if measure.enter_known(session, reviewer, item_id, mesa_id, counts, null_votes):
            # a known sheet: scored, and answered as a first entry is (`testigo.web.measure`)
            return ManualResult(1, False, None, cards_sum=sum(counts), printed_total=printed_total)
        if found is None or found[0].status != Status.UNREADABLE:
            raise DecisionError("decision_not_unreadable", status_code=404, item=item_id)
        if reviews.decision_for_item(session, item_id, MANUAL_ENTRY) is not None:
            raise DecisionError("decision_already_settled")
        if reviews.dismissal_of(session, item_id) is not None:
            raise DecisionError("decision_dismissed", item=item_id)
        own = next((e for e in reviews.manual_entries(session, item_id) if e.reviewer_id == reviewer.id), None)
        if own is not None:  # unsettled, so alone or disagreeing: the author corrects it
            reviews.revise_manual_entry(session, own, mesa_id=mesa_id, counts=counts, null_votes=null_votes)
        elif (
            reviews.add_manual_entry(
                session, item_id=item_id, reviewer_id=reviewer.id, mesa_id=mesa_id, counts=counts, null_votes=null_votes
            )
            is None
        ):
            raise DecisionError("decision_typed_twice")
        entries = _entries(store, session, item_id)
        # a reviewer benched by their accuracy on known sheets keeps their entries, which settle nothing
        benched = measure.not_counting(session, [e.reviewer_id for e in entries if e.reviewer_id is not None])
        agreeing = _agreeing([e for e in entries if e.reviewer_id not in benched])
        sha256 = found[1].blob_sha256
        decided = _settle_manual(store, secret, session, reviewer, item_id, sha256, agreeing) if agreeing else None
    return ManualResult(
        len(entries),
        len({e.key for e in entries}) > 1,
        decided,
        own is not None,
        machine=any(e.machine for e in entries),
        machine_agreed=any(e.machine for e in agreeing),
        cards_sum=sum(counts),
        printed_total=printed_total,
    )


@dataclass(frozen=True)
class _Entry:
    """One entry of a sheet's transcription: a reviewer's typing, or the machine's reading of its print
    (`reviewer_id` None)."""

    reviewer_id: int | None
    mesa_id: str
    counts: str  # comma-separated, as stored
    null_votes: int

    @property
    def machine(self) -> bool:
        return self.reviewer_id is None

    @property
    def key(self) -> tuple[str, str, int]:
        return self.mesa_id, self.counts, self.null_votes


def _entries(store: Store, session: Session, item_id: int) -> list[_Entry]:
    """The sheet's entries in the order they count: the machine's first (it read the sheet before anyone), then
    the reviewers' in the order they typed."""
    typed = [_Entry(e.reviewer_id, e.mesa_id, e.counts, e.null_votes) for e in reviews.manual_entries(session, item_id)]
    machine = _machine_entry(store, session, item_id)
    return [machine, *typed] if machine is not None else typed


def _machine_entry(store: Store, session: Session, item_id: int) -> _Entry | None:
    """The machine's entry of a sheet: its print read alone, when every figure of an entry was read as a number."""
    sheet = printed_of(session, item_id)
    record = machine_reading(store.profile, sheet) if sheet is not None else None
    if record is None:
        return None
    return _Entry(None, record.mesa_id, ",".join(str(v) for v in record.counts), record.null_votes)


@dataclass(frozen=True)
class OwnEntry:
    """A reviewer's own entry of a sheet, for correcting it: what they typed and which fields differ from another's.

    `differs` names fields (``mesa``, ``card_3``, ``null_votes``) where
    another reviewer's entry has another value; the other value is never
    shown. `others` counts the other entries, the machine's included
    (`machine`). A difference from the machine's reading is only said, never
    located (`machine_differs`): marked field by field, it would let one
    reviewer correct their entry until it matched the machine and settle the
    sheet alone; the difference calls a second reviewer instead.
    """

    mesa_id: str
    counts: list[int]
    null_votes: int
    others: int
    differs: frozenset[str]
    machine: bool = False
    machine_differs: bool = False


def machine_read(store: Store, item_id: int) -> bool:
    """Whether the machine's reading of the sheet's print is one of its entries (its values stay hidden)."""
    with store.sessions() as session:
        return _machine_entry(store, session, item_id) is not None


def own_entry(store: Store, reviewer: Account, item_id: int) -> OwnEntry | None:
    """The reviewer's own unsettled entry of a sheet, or None if they have not typed it."""
    with store.sessions() as session:
        entries = _entries(store, session, item_id)
    own = next((e for e in entries if e.reviewer_id == reviewer.id), None)
    if own is None:
        return None
    counts = [int(v) for v in own.counts.split(",")]
    differs: set[str] = set()
    others = [e for e in entries if e.reviewer_id != reviewer.id]
    for other in (e for e in others if not e.machine):
        if other.mesa_id != own.mesa_id:
            differs.add("mesa")
        if other.null_votes != own.null_votes:
            differs.add("null_votes")
        theirs = [int(v) for v in other.counts.split(",")]
        differs.update(f"card_{i}" for i, (a, b) in enumerate(zip(counts, theirs, strict=False), start=1) if a != b)
    machine = next((e for e in entries if e.machine), None)
    return OwnEntry(
        own.mesa_id,
        counts,
        own.null_votes,
        len(others),
        frozenset(differs),
        machine is not None,
        machine is not None and machine.key != own.key,
    )


def dismiss(store: Store, reviewer: Account, item_id: int, reason: str) -> None:
    """Set an unreadable sheet aside as not an acta: it leaves the queue (who, when and why are stored)."""
    reason = " ".join(reason.split())[:MAX_REASON] or "not an acta"
    with store.sessions.begin() as session:
        if measure.set_aside_known(session, reviewer, item_id):
            return  # a known sheet handed to this reviewer: noted in their measurement, and it leaves their queue
        found = reviews.item_with_submission(session, item_id, lock=True)
        if found is None or found[0].status != Status.UNREADABLE:
            raise DecisionError("decision_not_unreadable", status_code=404, item=item_id)
        if reviews.decision_for_item(session, item_id, MANUAL_ENTRY) is not None:
            raise DecisionError("decision_already_settled")
        if reviews.dismissal_of(session, item_id) is not None:
            raise DecisionError("decision_dismissed", item=item_id)
        reviews.add_decision(
            session,
            action=reviews.NOT_AN_ACTA,
            reviewer_id=reviewer.id,
            reviewers=[reviewer.id],
            item_id=item_id,
            reason=reason,
        )


def undo_dismissal(store: Store, admin: Account, decision_id: int) -> None:
    """An admin puts a sheet set aside as not an acta back in the queue (recorded as an admin action)."""
    with store.sessions.begin() as session:
        row = reviews.undo_dismissal(session, decision_id, admin.id)
        if row is None:
            raise DecisionError("decision_no_dismissal", status_code=404, decision=decision_id)
        users.record_admin_action(
            session, admin_id=admin.id, action=users.UNDO_NOT_AN_ACTA, user_id=row.reviewer_id, detail=str(row.item_id)
        )


def _settle_manual(
    store: Store,
    secret: bytes,
    session: Session,
    reviewer: Account,
    item_id: int,
    sha256: str | None,
    agreeing: list[_Entry],
) -> Decided:
    """Settle the figures two agreeing entries give; the machine, when it is one of them, is logged as
    `MACHINE_READER` (the payload is the one `machine_reading` gives, which the replay re-derives)."""
    first = agreeing[0]
    acta_id = store.profile.acta_id_for(first.mesa_id)
    payload = store.profile.encode(acta_id, [int(v) for v in first.counts.split(",")], first.null_votes)
    machine = any(e.machine for e in agreeing)
    source = MANUAL_PRINT_SOURCE if machine else MANUAL_SOURCE
    outcome = settle_payload(session, store.profile, store.registry, payload, source=source)
    seq = _decide(
        store,
        secret,
        session,
        MANUAL_ENTRY,
        reviewer,
        sorted({e.reviewer_id for e in agreeing if e.reviewer_id is not None}),
        machine=machine,
        acta_id=acta_id,
        payload=payload,
        status=outcome.status,
        reason=outcome.reason,
        mesa_id=first.mesa_id,
        item_id=item_id,
        record_id=outcome.record_id,
        sha256=sha256,
    )
    return Decided(MANUAL_ENTRY, outcome.status, first.mesa_id, seq, outcome.reason)


def _agreeing(entries: list[_Entry]) -> list[_Entry]:
    """The first group of identical entries by two different authors (the machine is one), else empty."""
    groups: dict[tuple[str, str, int], list[_Entry]] = defaultdict(list)
    for entry in entries:
        groups[entry.key].append(entry)
        if len({e.reviewer_id for e in groups[entry.key]}) >= 2:
            return groups[entry.key]
    return []


def manual_entry_possible(store: Store) -> bool:
    """Whether the workspace's profile has a ballot to type into (a `generic` workspace has none before its import).

    Typed figures become a record through the profile itself — the sheet id
    its genuine sheets carry for the mesa, its payload encoding — so a typed
    sheet reconciles with a decoded one of the same mesa, whatever the format.
    """
    return bool(store.profile.election.cards)


def example_mesa(store: Store) -> str:
    """A mesa id of this workspace's registry, to show how one is typed."""
    return min(store.registry.mesas, default="")


def _check_numbers(store: Store, mesa_id: str, counts: list[int], null_votes: int) -> None:
    if not manual_entry_possible(store):
        raise DecisionError("decision_no_ballot", profile=store.profile.name)
    cards = len(store.profile.election.cards)
    if mesa_id not in store.registry.mesas:
        raise DecisionError("decision_unknown_mesa", status_code=422, mesa=mesa_id, example=example_mesa(store))
    if len(counts) != cards:
        raise DecisionError("decision_card_count", status_code=422, cards=cards, got=len(counts))
    if any(v < 0 for v in counts) or null_votes < 0:
        raise DecisionError("decision_negative", status_code=422)


def _reason(text: str) -> str:
    text = " ".join(text.split())
    if not text:
        raise DecisionError("decision_say_why", status_code=422)
    return text[:MAX_REASON]


def _decide(
    store: Store,
    secret: bytes,
    session: Session,
    action: str,
    by: Account,
    reviewer_ids: Sequence[int],
    *,
    machine: bool = False,
    acta_id: str | None,
    payload: str | None,
    status: str,
    reason: str | None,
    mesa_id: str | None,
    item_id: int | None = None,
    record_id: int | None = None,
    replaced_record_id: int | None = None,
    sha256: str | None = None,
    finding: str | None = None,
    set_aside: list[str] | None = None,
) -> int:
    """Log a decision and keep its row beside the entry, which say one thing twice; returns the entry's number.

    The entry is public (reviewers by pseudonym, `MACHINE_READER` when the
    machine's reading of the print was one of the entries); the row is the
    workspace's own (account ids, the records it moved) and names the entry.
    """
    names = [pseudonym(secret, i) for i in reviewer_ids] + ([MACHINE_READER] if machine else [])
    body = decision_entry(
        decided_at=now(),
        action=action,
        profile=store.profile.name,
        acta_id=acta_id,
        payload=payload,
        status=status,
        reason=reason,
        reviewers=names,
        set_aside=set_aside,
        sha256=sha256,
        finding=finding,
        granularity=store.settings.published_time_seconds,
    )
    [seq] = log_table.append(session, [("decision", body, None)])
    reviews.add_decision(
        session,
        action=action,
        reviewer_id=by.id,
        reviewers=reviewer_ids,
        mesa_id=mesa_id,
        item_id=item_id,
        record_id=record_id,
        replaced_record_id=replaced_record_id,
        outcome=status,
        reason=reason,
        log_seq=seq,
    )
    return seq
