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
- decision ``manual_entry``: the figures two entries agreed on for an unreadable sheet, settled
  like a sheet with the logged status (``accepted``, ``conflict``, ``duplicate``, ``invalid``).
  The entries are two different reviewers', or one reviewer's and the machine's reading of the
  sheet's print (`MACHINE_READER` among the reviewers, counted once): then the sheet's earlier
  unreadable entry must have logged a print whose figures give exactly the decided payload
  (`testigo.pipeline.printed.machine_reading`, the function the live system used);
- decision ``resolve_mismatch``: a reviewer's finding on a sheet whose print differs from its
  code. ``misread``: the code's payload settles like a sheet with the logged status; ``altered``
  (status ``mismatch``): nothing changes. Each resolves one earlier item entry that logged that
  image as a ``mismatch`` with that payload;
- decision ``flag_reviewed``: changes nothing; it is shown with its mesa.

Anything the live system could not have logged (a second accepted record for a
mesa, a resolution between records that were not the mesa's live versions, a
manual entry by fewer than two different reviewers, of a sheet not logged as
unreadable, or naming the machine for figures its logged print does not give;
a mismatch resolved without a mismatch logged before it, or twice) is a
problem: it means the log was altered.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from testigo.domain import Record, Registry, Status
from testigo.domain.printed import PrintedSheet
from testigo.ledger.entries import (
    ALTERED,
    FLAG_REVIEWED,
    MACHINE_READER,
    MANUAL_ENTRY,
    MISREAD,
    PRINT_READING,
    RESOLVE_CONFLICT,
    RESOLVE_MISMATCH,
    SUPERSEDED,
)
from testigo.pipeline.printed import machine_reading
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
    mesas: dict[tuple[str, str], MesaState] = field(default_factory=dict)
    """By mesa id and contest (``""`` for a one-contest format): a sheet of several contests settles each alone."""
    problems: list[str] = field(default_factory=list)


def replay(entries: Sequence[Entry], profile: Profile, registry: Registry) -> Replay:
    """Apply every item and decision entry in log order; see the module docstring for the rules."""
    state = Replay()
    unreadable: set[str] = set()
    machine: dict[str, set[str]] = {}  # image -> payloads the machine's readings of its prints give
    mismatched: Counter[tuple[str, str]] = Counter()  # (image, payload) logged as a mismatch, not yet resolved
    mesas_of_image: dict[str, list[tuple[str, str]]] = {}
    for entry in entries:
        kind = entry.get("kind")
        if kind not in ("item", "decision"):
            continue
        if entry.get("profile") != profile.name:
            state.problems.append(
                f"log entry {entry.seq} is for profile {entry.get('profile')!r}, not {profile.name!r}"
            )
            continue
        if kind == "item" and (entry.payload is None or _is_part(profile, entry.payload)):
            if entry.status == Status.UNREADABLE and entry.sha256:
                unreadable.add(entry.sha256)
                reading = _machine_payload(entry, profile)
                if reading is not None:
                    machine.setdefault(entry.sha256, set()).add(reading)
            if entry.status == Status.DUPLICATE and entry.sha256 in mesas_of_image:
                for key in mesas_of_image[entry.sha256]:  # the same file again: shown with its acta
                    state.mesas[key].related.append(entry)
            continue
        record = _parse(state, entry, profile)
        if record is None:
            continue
        mesa = state.mesas.setdefault((record.mesa_id, record.contest), MesaState())
        mesa.related.append(entry)
        if entry.shows_acta and entry.sha256:
            mesas_of_image.setdefault(entry.sha256, []).append((record.mesa_id, record.contest))
        if kind == "item":
            if entry.status == Status.MISMATCH and entry.sha256:
                mismatched[(entry.sha256, record.payload)] += 1
            _settle(state, mesa, entry, record, registry)
        elif entry.get("action") == RESOLVE_CONFLICT:
            _resolve(state, mesa, entry, record)
        elif entry.get("action") == MANUAL_ENTRY:
            _check_manual(state, entry, unreadable, machine)
            _settle(state, mesa, entry, record, registry)
        elif entry.get("action") == RESOLVE_MISMATCH:
            if _check_mismatch(state, entry, record, mismatched) and entry.get("finding") == MISREAD:
                _settle(state, mesa, entry, record, registry)
        elif entry.get("action") != FLAG_REVIEWED:
            state.problems.append(f"log entry {entry.seq} is a decision of unknown kind {entry.get('action')!r}")
    return state


def _is_part(profile: Profile, payload: str) -> bool:
    """Whether an item's payload is one code of a sheet spread over several (a BU part, waiting, refused or
    received twice), not a record: only the sheet's contests, logged once it is whole, are records."""
    return profile.codes_span_uploads and "\n" not in payload and profile.is_code(payload)


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


def _check_manual(state: Replay, entry: Entry, unreadable: set[str], machine: dict[str, set[str]]) -> None:
    """What the log can prove of a typed sheet: two different entries that agreed, and an unreadable sheet logged
    before.

    Each reviewer's own typing is not logged, only the figures they agreed on
    and who agreed (pseudonyms), so "two identical entries by different
    reviewers" is checked as the decision states it. The machine's entry is
    logged, though — it is the print the sheet's own entry logged — so when
    the decision names it, its figures must give the decided payload; named
    twice, it is still one entry.
    """
    reviewers = set(entry.get("reviewers") or [])
    people = reviewers - {MACHINE_READER}
    if MACHINE_READER in reviewers:
        if not people:
            state.problems.append(
                f"log entry {entry.seq}: a manual entry needs a reviewer who typed the figures the machine read "
                "from the print; it names none"
            )
        if entry.payload not in machine.get(entry.sha256 or "", set()):
            state.problems.append(
                f"log entry {entry.seq}: a manual entry names the machine's reading of the print, but no earlier "
                "entry logged a print of that sheet whose figures give the decided payload"
            )
    elif len(people) < 2:
        state.problems.append(
            f"log entry {entry.seq}: a manual entry needs two different reviewers who typed the same figures; "
            f"it names {len(people)}"
        )
    if not entry.sha256 or entry.sha256 not in unreadable:
        state.problems.append(
            f"log entry {entry.seq}: a manual entry of a sheet that no earlier entry logs as unreadable"
        )


def _machine_payload(entry: Entry, profile: Profile) -> str | None:
    """The payload the machine's entry in the transcription of an unreadable sheet stands for, from the print
    its entry logged (None: no print logged, or one that gives no complete entry)."""
    logged = entry.get(PRINT_READING)
    if not isinstance(logged, dict):
        return None
    figures = logged.get("figures")
    if not isinstance(figures, dict) or not all(isinstance(v, str) for v in figures.values()):
        return None
    sheet = PrintedSheet(
        str(logged.get("layout")), str(logged.get("outcome")), "", {str(k): v for k, v in figures.items()}
    )
    record = machine_reading(profile, sheet)
    return record.payload if record is not None else None


def _check_mismatch(state: Replay, entry: Entry, record: Record, mismatched: Counter[tuple[str, str]]) -> bool:
    """Whether a reviewer's finding on a mismatched sheet is one the live system could log; it resolves the earlier
    mismatch entry of that image and payload, once."""
    where = f"log entry {entry.seq} (resolve_mismatch of mesa {record.mesa_id})"
    key = (entry.sha256 or "", record.payload)
    finding, status = entry.get("finding"), entry.status
    problem = None
    if mismatched[key] <= 0:
        problem = "no earlier entry logged that image as a mismatch with that payload, or it was resolved already"
    elif not entry.get("reviewers"):
        problem = "it names no reviewer"
    elif finding == ALTERED and status != Status.MISMATCH:
        problem = f"an altered sheet stays out of the count, but the entry says {status!r}"
    elif finding == MISREAD and status == Status.MISMATCH:
        problem = "a misread print settles the code's payload, but the entry leaves it a mismatch"
    elif finding not in (MISREAD, ALTERED):
        problem = f"unknown finding {finding!r}"
    if problem is not None:
        state.problems.append(f"{where}: {problem}")
        return False
    mismatched[key] -= 1
    return True
