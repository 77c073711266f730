"""A decoded tally sheet and the statuses a submitted file can end in."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import StrEnum


class Status(StrEnum):
    """Outcome of one submitted file (or one page / code of it).

    accepted   the first valid acta of its mesa; counts in the tally
    duplicate  same content as something already submitted (same bytes or same payload)
    conflict   a valid acta that differs from the accepted one of its mesa; kept for review
    mismatch   a valid acta whose printed figures differ from its QR code: the signature of an altered or
               re-printed sheet; kept for review and counted nowhere until a reviewer decides
    unreadable an image or PDF in which no acta code could be read; kept for manual review
    incomplete one code of a sheet printed over several (a Brazilian BU's parts) whose other parts have not
               arrived: kept, and the sheet is settled when its last part comes, in any later upload
    invalid    an acta code was read but failed validation (shape, numbers, registry)
    rejected   not a usable input at all (empty, corrupt, not an image, unsafe archive entry)
    """

    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    CONFLICT = "conflict"
    MISMATCH = "mismatch"
    UNREADABLE = "unreadable"
    INCOMPLETE = "incomplete"
    INVALID = "invalid"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Record:
    """The content of one tally sheet as a profile parsed it.

    `counts` are per card in ballot order. `payload` is the exact text decoded,
    kept so the record can always be re-derived and compared byte for byte.
    `flags` are oddities worth a reviewer's eye that do not make the sheet invalid.
    `contest` names the contest of the sheet this record holds, for a format
    whose sheet carries several (a Brazilian boletim: one record per contest,
    `docs/brazil-bu.md`); ``""`` for a one-contest format such as ``ve2024``.
    A mesa has at most one accepted record per contest.
    """

    profile: str
    acta_id: str
    mesa_id: str
    counts: tuple[int, ...]
    null_votes: int
    payload: str
    extra: dict[str, int | str] = field(default_factory=dict)
    flags: tuple[str, ...] = ()
    contest: str = ""

    @property
    def valid_votes(self) -> int:
        return sum(self.counts)

    @property
    def total_votes(self) -> int:
        return sum(self.counts) + self.null_votes

    @property
    def payload_sha256(self) -> str:
        return hashlib.sha256(self.payload.encode("utf-8")).hexdigest()
