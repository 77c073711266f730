"""What one mesa's page shows: its records, their images and log entries, decisions and the inclusion proof.

Nothing here names who uploaded a file or who decided: the page shows files
by their SHA-256, decisions by what they changed and when, and the proof that
the accepted acta's entry is in the signed log. Times are rounded down to the
workspace's ``published_time_seconds``, as in the log (an hour by default).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from testigo.domain import Area, Election, Mesa
from testigo.domain.printed import CONFIRMED
from testigo.errors import UserError
from testigo.ledger.entries import FLAG_REVIEWED, MANUAL_ENTRY, RESOLVE_CONFLICT, RESOLVE_MISMATCH, coarse_time
from testigo.pipeline.logbook import InclusionProof, inclusion
from testigo.store import ledger as log_table
from testigo.store import reviews
from testigo.store.records import ACCEPTED, CONFLICT
from testigo.store.schema import DecisionRow, RecordRow
from testigo.store.workspace import Store

#: Decisions a mesa's page shows (the ones in the public log): never a sheet set aside, never an admin's action.
PUBLIC_DECISIONS = frozenset({RESOLVE_CONFLICT, MANUAL_ENTRY, RESOLVE_MISMATCH, FLAG_REVIEWED})
#: What backs a record's figures, by the source it was first stored from (see `backing`).
_BACKING = {"print": "print", "manual": "reviewers", "manual_print": "reviewer_print", "import": "import"}


def backing(source: str, evidence: list[reviews.Evidence]) -> str:
    """What backs a record's figures, as the mesa and review pages say it (the ``backing_*`` texts).

    By the record's source, as the public results count actas (``image``,
    ``print``, ``manual``, ``manual_print``, ``import``), and within actas
    read from a QR code by what their prints said: ``qr_print`` when a sheet
    of it had every printed figure confirm the code, ``qr_reviewer`` when a
    reviewer found a mismatched print misread (it shows the code's figures).
    """
    if source != "image":
        return _BACKING.get(source, source)
    if any(e.printed == CONFIRMED for e in evidence):
        return "qr_print"
    if any(e.status == RESOLVE_MISMATCH for e in evidence):
        return "qr_reviewer"
    return "qr"


@dataclass(frozen=True)
class RecordView:
    """One distinct acta content for the mesa, with the files that carried it."""

    id: int
    status: str
    acta_id: str
    counts: list[int]
    candidates: dict[str, int]
    null_votes: int
    valid_votes: int
    flags: list[str]
    source: str
    payload: str
    evidence: list[reviews.Evidence]

    @property
    def image(self) -> str | None:
        return next((e.sha256 for e in self.evidence if e.sha256), None)

    @property
    def backing(self) -> str:
        return backing(self.source, self.evidence)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "acta_id": self.acta_id,
            "counts": self.counts,
            "candidates": self.candidates,
            "null_votes": self.null_votes,
            "valid_votes": self.valid_votes,
            "flags": self.flags,
            "source": self.source,
            "backing": self.backing,
            "payload": self.payload,
            # the public sees the metadata-free preview and the original's SHA-256, never the original itself
            "files": [
                {
                    "sha256": e.sha256,
                    "preview": f"/blobs/{e.sha256}/preview.jpg" if e.sha256 else None,
                    "status": e.status,
                    "received_at": e.received_at.isoformat(),
                    "log_seq": e.log_seq,
                    "print": e.printed,
                }
                for e in self.evidence
            ],
        }


@dataclass(frozen=True)
class DecisionView:
    action: str
    outcome: str | None
    reason: str | None
    decided_at: datetime
    log_seq: int | None

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "outcome": self.outcome,
            "reason": self.reason,
            "decided_at": self.decided_at.isoformat(),
            "log_seq": self.log_seq,
        }


@dataclass(frozen=True)
class MesaView:
    """A mesa in one contest: its accepted record, the other versions and the decisions about them.

    `contests` names every contest the mesa has records in (key → name): one,
    ``""``, for a one-contest format; a Brazilian section's BU gives several,
    and the page shows one at a time (`contest`, with `election` its ballot).
    """

    mesa: Mesa
    trail: list[Area]
    accepted: RecordView | None
    others: list[RecordView]
    decisions: list[DecisionView]
    election: Election
    contest: str = ""
    contests: dict[str, str] = field(default_factory=dict)

    @property
    def state(self) -> str:
        """accepted, conflict (waiting for a reviewer) or missing (no valid acta yet)."""
        if any(r.status == CONFLICT for r in self.others):
            return "conflict"
        return "accepted" if self.accepted else "missing"

    @property
    def proof_seq(self) -> int | None:
        """The log entry that made the accepted record count: the latest decision about it, else its first file."""
        if self.accepted is None:
            return None
        decided = [d.log_seq for d in self.decisions if d.outcome == ACCEPTED and d.log_seq is not None]
        if decided:
            return decided[-1]
        return next((e.log_seq for e in self.accepted.evidence if e.status == ACCEPTED), None)

    def to_json(self) -> dict[str, Any]:
        """The mesa as the API gives it; ``contest`` and ``contests`` only for a sheet of several contests."""
        several = {"contest": self.contest, "contests": self.contests} if self.contest else {}
        return several | {
            "mesa": self.mesa.id,
            "number": self.mesa.number,
            "registered": self.mesa.registered,
            "areas": [{"id": a.id, "level": a.level, "name": a.name} for a in self.trail],
            "state": self.state,
            "accepted": self.accepted.to_json() if self.accepted else None,
            "others": [r.to_json() for r in self.others],
            "decisions": [d.to_json() for d in self.decisions],
            "proof_seq": self.proof_seq,
        }


def mesa_view(store: Store, mesa_id: str, contest: str | None = None) -> MesaView | None:
    """The mesa in `contest` (default: its first, in the profile's order); None for a mesa the registry lacks."""
    registry = store.registry
    mesa = registry.mesas.get(mesa_id)
    if mesa is None:
        return None
    granularity = store.settings.published_time_seconds
    with store.reads() as session:
        every = reviews.records_of_mesa(session, mesa_id)
        names = store.profile.contests()
        order = list(names)
        present = sorted({r.contest for r in every}, key=lambda c: order.index(c) if c in order else len(order))
        contests = {c: names.get(c, c) for c in present}
        chosen = contest if contest is not None else next(iter(contests), "")
        election = store.profile.election_of(chosen)
        rows = [r for r in every if r.contest == chosen]
        ids = {r.id for r in rows}
        evidence = {
            record_id: [replace(e, received_at=coarse_time(e.received_at, granularity)) for e in lines]
            for record_id, lines in reviews.evidence_of(session, [r.id for r in rows]).items()
        }
        decisions = [
            replace(_decision(d), decided_at=coarse_time(d.created_at, granularity))
            for d in reviews.decisions_of_mesa(session, mesa_id)
            if d.action in PUBLIC_DECISIONS and (d.record_id is None or d.record_id in ids)
        ]
    views = [record_view(election, row, evidence[row.id]) for row in rows]
    accepted = next((v for v in views if v.status == ACCEPTED), None)
    others = [v for v in views if v.status != ACCEPTED]
    trail = list(reversed(registry.ancestors(mesa.center_id)))
    return MesaView(mesa, trail, accepted, others, decisions, election, chosen, contests if chosen else {})


def record_view(election: Election, row: RecordRow, evidence: list[reviews.Evidence]) -> RecordView:
    """One record of the mesa, its counts read against its contest's ballot (`election`); a count list
    stored before the ballot grew reads as zeros beyond its end."""
    counts = [int(v) for v in row.counts.split(",")]
    counts += [0] * (len(election.cards) - len(counts))
    return RecordView(
        row.id,
        row.status,
        row.acta_id,
        counts,
        election.per_candidate(counts),
        row.null_votes,
        row.valid_votes,
        json.loads(row.flags),
        row.source,
        row.payload,
        evidence,
    )


def _decision(row: DecisionRow) -> DecisionView:
    return DecisionView(row.action, row.outcome, row.reason, row.created_at, row.log_seq)


def proof_for(store: Store, seq: int) -> tuple[InclusionProof, str] | None:
    """The inclusion proof of entry `seq` against the latest signed checkpoint, with that checkpoint's note.

    None while the entry is newer than the latest checkpoint (the server signs
    one every few seconds).
    """
    with store.reads() as session:
        latest = log_table.latest_checkpoint(session)
    if latest is None or seq >= latest.size:
        return None
    try:
        return inclusion(store, seq, latest.size), latest.note
    except UserError:
        return None
