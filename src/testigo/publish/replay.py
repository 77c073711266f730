"""Replaying the log: which record of each mesa counts, after every sheet and every reviewer decision.

The live system keeps its records in the database (`testigo.pipeline.reconcile`
settles sheets and imported rows, `testigo.web.decisions` applies reviewers'
decisions). A bundle must show the same accepted record per mesa as
`testigo tally`, from the signed log alone, or a reviewer's decision would
silently not reach the published numbers. So the entries are applied in log
order with the rules the live system follows:

- item ``accepted``: the mesa's accepted record; item ``conflict``: a record kept for review;
- decision ``resolve_conflict``: its payload becomes the accepted record of its mesa, and the
  records whose payload SHA-256 it lists in ``set_aside`` stop counting (superseded);
- decision ``manual_entry``: the figures two reviewers typed from an unreadable sheet, settled
  like a sheet with the logged status (``accepted``, ``conflict``, ``duplicate``, ``invalid``);
- decision ``flag_reviewed``: changes nothing; it is shown with its mesa.

Anything the live system could not have logged (a second accepted record for a
mesa, a resolution between records that were not the mesa's live versions, a
manual entry by fewer than two different reviewers, of a sheet not logged as
unreadable) is a problem: it means the log was altered.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from testigo.domain import Record, Registry, Status
from testigo.ledger.entries import FLAG_REVIEWED, MANUAL_ENTRY, RESOLVE_CONFLICT, SUPERSEDED
from testigo.profiles import PayloadError, Profile

if TYPE_CHECKING:
    from testigo.ledger.entries import Entry

#: Statuses of a record that still takes part in its mesa: counted, or waiting for a decision.
_LIVE = (Status.ACCEPTED, Status.CONFLICT)


@dataclass
class _Version:
    """One distinct record of a mesa (one payload), where it came from and what it is now."""

    status: str
    entry: Entry
    record: Record


@dataclass
class MesaState:
    """A mesa as the log leaves it."""

    versions: dict[str, _Version] = field(default_factory=dict)
    """By payload SHA-256, as the database keys records (one record per mesa and content)."""
    accepted: str | None = None
    """Payload SHA-256 of the counted record."""
    decision: Entry | None = None
    """The decision that made the counted record count (a resolution or a manual entry), if one did."""
    related: list[Entry] = field(default_factory=list)

    def counted(self) -> _Version | None:
        return self.versions[self.accepted] if self.accepted else None


@dataclass
class Replay:
    mesas: dict[str, MesaState] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def replay(entries: Sequence[Entry], profile: Profile, registry: Registry) -> Replay:
    """Apply every item and decision entry in log order; see the module docstring for the rules."""
    state = Replay()
    unreadable: set[str] = set()
    mesas_of_image: dict[str, list[str]] = {}
    for entry in entries:
        kind = entry.get("kind")
        if kind not in ("item", "decision"):
            continue
        if entry.get("profile") != profile.name:
            state.problems.append(
                f"log entry {entry.seq} is for profile {entry.get('profile')!r}, not {profile.name!r}"
            )
            continue
        if kind == "item" and entry.payload is None:
            if entry.status == Status.UNREADABLE and entry.sha256:
                unreadable.add(entry.sha256)
            if entry.status == Status.DUPLICATE and entry.sha256 in mesas_of_image:
                for mesa_id in mesas_of_image[entry.sha256]:  # the same file again: shown with its acta
                    state.mesas[mesa_id].related.append(entry)
            continue
        record = _parse(state, entry, profile)
        if record is None:
            continue
        mesa = state.mesas.setdefault(record.mesa_id, MesaState())
        mesa.related.append(entry)
        if entry.shows_acta and entry.sha256:
            mesas_of_image.setdefault(entry.sha256, []).append(record.mesa_id)
        if kind == "item":
            _settle(state, mesa, entry, record, registry)
        elif entry.get("action") == RESOLVE_CONFLICT:
            _resolve(state, mesa, entry, record)
        elif entry.get("action") == MANUAL_ENTRY:
            _check_manual(state, entry, unreadable)
            _settle(state, mesa, entry, record, registry)
        elif entry.get("action") != FLAG_REVIEWED:
            state.problems.append(f"log entry {entry.seq} is a decision of unknown kind {entry.get('action')!r}")
    return state


def _parse(state: Replay, entry: Entry, profile: Profile) -> Record | None:
    if entry.payload is None:
        state.problems.append(f"log entry {entry.seq} is a {entry.get('action')} decision without a payload")
        return None
    try:
        return profile.parse(entry.payload)
    except PayloadError as error:
        if entry.status in (Status.ACCEPTED, Status.DUPLICATE, Status.CONFLICT):
            state.problems.append(f"log entry {entry.seq} is {entry.status} but its payload does not parse: {error}")
        return None


def _settle(state: Replay, mesa: MesaState, entry: Entry, record: Record, registry: Registry) -> None:
    """A sheet, row or typed sheet with the status reconciliation gave it."""
    key = record.payload_sha256
    if entry.status == Status.ACCEPTED:
        if mesa.accepted is not None:
            first = mesa.versions[mesa.accepted].entry.seq
            state.problems.append(f"log entries {first} and {entry.seq} both accept mesa {record.mesa_id}")
        elif record.mesa_id not in registry.mesas:
            state.problems.append(f"log entry {entry.seq} accepts mesa {record.mesa_id}, which is not in the registry")
        else:
            mesa.versions[key] = _Version(Status.ACCEPTED, entry, record)
            mesa.accepted = key
            mesa.decision = entry if entry.get("kind") == "decision" else None
    elif entry.status == Status.CONFLICT and key not in mesa.versions:
        mesa.versions[key] = _Version(Status.CONFLICT, entry, record)


def _resolve(state: Replay, mesa: MesaState, entry: Entry, chosen: Record) -> None:
    """A reviewer chose one live version of a mesa; every other live one must be the logged set-aside."""
    live = {key for key, version in mesa.versions.items() if version.status in _LIVE}
    key = chosen.payload_sha256
    set_aside = set(entry.get("set_aside") or [])
    where = f"log entry {entry.seq} (resolve_conflict of mesa {chosen.mesa_id})"
    if not any(mesa.versions[k].status == Status.CONFLICT for k in live):
        state.problems.append(f"{where}: the mesa had no open conflict")
        return
    if key not in live:
        state.problems.append(f"{where}: the chosen acta is not one of the mesa's live versions")
        return
    if set_aside != live - {key}:
        state.problems.append(f"{where}: the versions set aside are not the mesa's other live versions")
        return
    for other in set_aside:
        mesa.versions[other].status = SUPERSEDED
    mesa.versions[key].status = Status.ACCEPTED
    mesa.accepted = key
    mesa.decision = entry


def _check_manual(state: Replay, entry: Entry, unreadable: set[str]) -> None:
    """What the log can prove of a typed sheet: two different reviewers, and an unreadable sheet logged before.

    Each reviewer's own typing is not logged, only the figures they agreed on
    and who agreed (pseudonyms), so "two identical entries by different
    reviewers" is checked as the decision states it.
    """
    reviewers = entry.get("reviewers") or []
    if len(set(reviewers)) < 2:
        state.problems.append(
            f"log entry {entry.seq}: a manual entry needs two different reviewers who typed the same figures; "
            f"it names {len(set(reviewers))}"
        )
    if not entry.sha256 or entry.sha256 not in unreadable:
        state.problems.append(
            f"log entry {entry.seq}: a manual entry of a sheet that no earlier entry logs as unreadable"
        )
