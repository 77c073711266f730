"""BUs counted before their TSE key was added, judged again once it is (`testigo keys add`).

A BU whose signing key is missing is counted, flagged "signature not
verified: ..." and never called verified (`testigo.pipeline.bu_ingest`),
and its parts wait (`testigo.store.unverified`). When keys are added, every
waiting BU whose key is now in the ring is judged again, in one
transaction, as ingest judges it (`testigo.pipeline.boletins.judge`):

- **verified**: its records stay as they were counted, and lose the flag;
- **invalid** (the key refuses the signature): its records, accepted or in
  conflict, are superseded: they stay stored, counted nowhere, and a rival
  sheet of the section waits for review as before.

Either way one log entry per BU says so (`testigo.ledger.entries.signature_entry`).
A BU whose key file cannot be used (the official list refuses it) keeps
waiting.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from testigo.ledger.entries import SIGNATURE_KIND, SUPERSEDED, signature_entry
from testigo.pipeline.boletins import BoletimStatus, CheckedBoletim, KeyLookup, judge
from testigo.pipeline.bu_ingest import NOT_VERIFIED
from testigo.profiles.br import contest_sheets, section_id
from testigo.profiles.bu.assemble import Collector
from testigo.profiles.bu.keys import KeyRing
from testigo.profiles.bu.model import Boletim
from testigo.store import ledger as log_table
from testigo.store import records, reviews, unverified
from testigo.store.submissions import now
from testigo.store.workspace import Store


@dataclass(frozen=True)
class Rejudged:
    """One waiting BU judged with its key: its section, the key, the verdict and the records it changed."""

    section: str
    key: str
    verdict: str  # "verified" | "invalid"
    reason: str
    records: int

    def to_json(self) -> dict[str, Any]:
        return {
            "section": self.section,
            "key": self.key,
            "verdict": self.verdict,
            "reason": self.reason,
            "records": self.records,
        }


def judge_waiting(store: Store) -> list[Rejudged]:
    """Judge every BU waiting for a key the workspace now trusts (see the module's docstring)."""
    keys = KeyLookup(KeyRing(store.workspace.trusted_keys_dir))
    judged: list[Rejudged] = []
    with store.sessions.begin() as session:
        usable = [name for name in unverified.waiting_keys(session) if keys.find(name)[0] is not None]
        done: list[int] = []
        for row_id, name, parts in unverified.waiting_for(session, usable):
            boletim = _whole(parts)
            checked = judge(boletim, keys.find(name), {})
            if checked.status is BoletimStatus.UNVERIFIED:
                continue
            done.append(row_id)
            judged.append(_apply(session, store, boletim, checked, name))
        unverified.judged(session, done)
    return judged


def _whole(parts: list[str]) -> Boletim:
    """The BU of these parts, as the collector assembled it when they were counted."""
    collector = Collector()
    completed = [boletim for text in parts for boletim in collector.add(text).completed]
    return completed[0]


def _apply(session: Session, store: Store, boletim: Boletim, checked: CheckedBoletim, key: str) -> Rejudged:
    """Change the BU's records as its verdict says, and log it."""
    section = section_id(boletim)
    payloads = [sheet.payload() for sheet in contest_sheets(boletim)]
    shas = {hashlib.sha256(payload.encode("utf-8")).hexdigest() for payload in payloads}
    mine = [stored for stored in records.stored_of_mesas(session, [section]) if stored.payload_sha256 in shas]
    if checked.status is BoletimStatus.INVALID:
        verdict = "invalid"
        for stored in mine:
            reviews.set_record_status(session, stored.id, stored.status, SUPERSEDED)
    else:
        verdict = "verified"
        records.drop_flags(session, [stored.id for stored in mine], NOT_VERIFIED)
    text = "\n".join(part.text for part in boletim.parts)
    body = signature_entry(
        checked_at=now(),
        key=key,
        section=section,
        parts_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        verdict=verdict,
        reason=checked.reason,
        payloads=payloads,
        granularity=store.settings.published_time_seconds,
    )
    log_table.append(session, [(SIGNATURE_KIND, body, None)])
    return Rejudged(section, key, verdict, checked.reason, len(mine))
