"""Where an audit is kept: two append-only files in the workspace's ``audit/`` folder, not database tables.

- ``plan.json``: the plan (`testigo.audit.plan`), written once; a second
  ``audit plan`` is refused, so a seed that gave an unwelcome sample can
  never be swapped for another.
- ``findings.jsonl``: what each paper sheet says, one canonical JSON line per
  finding, in the order recorded. Lines are only ever appended: each names
  the SHA-256 of the line before it (the first, of the plan file), so a line
  changed, removed or reordered later breaks the chain, which `read_findings`
  and `testigo verify` refuse. A second finding for a mesa needs a reason (a
  sheet re-examined, a typing mistake) and is kept beside the first; the
  latest counts, and the report lists every correction.

Files rather than tables: the audit is published as these very bytes
(``audit/`` in the bundle), and a person can read, copy and check them with
nothing but a text editor and ``sha256sum``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from testigo.errors import UserError
from testigo.ledger.entries import canonical

if TYPE_CHECKING:
    from testigo.audit.plan import Plan

#: The workspace's audit folder, and the bundle's: the same name and files in both.
FOLDER = "audit"
PLAN_FILE = "plan.json"
FINDINGS_FILE = "findings.jsonl"


class AuditError(UserError):
    """An audit step that cannot be taken as asked, or audit files that do not hold together; str() says why."""


@dataclass(frozen=True)
class Finding:
    """What one paper sheet says, as an auditor recorded it: votes per card in ballot order, and null votes."""

    mesa: str
    counts: tuple[int, ...]
    null_votes: int
    recorded_at: str
    reason: str | None
    """Why a mesa already recorded is recorded again (None for the first finding of a mesa)."""
    prev: str
    """SHA-256 of the line before this one in findings.jsonl (of plan.json for the first)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "mesa": self.mesa,
            "counts": list(self.counts),
            "null_votes": self.null_votes,
            "recorded_at": self.recorded_at,
            "reason": self.reason,
            "prev": self.prev,
        }


def plan_bytes(data: dict[str, Any]) -> bytes:
    """The plan file's bytes: canonical JSON and a newline."""
    return canonical(data) + b"\n"


def write_plan(folder: Path, data: bytes) -> None:
    """Write the plan file, refusing if one exists: a plan is never replaced."""
    folder.mkdir(parents=True, exist_ok=True)
    try:
        with (folder / PLAN_FILE).open("xb") as file:
            file.write(data)
    except FileExistsError:
        raise AuditError(
            f"an audit is already planned in {folder}: its plan and seed are never replaced (start another "
            "workspace for another audit)"
        ) from None


def read_plan(folder: Path) -> bytes:
    try:
        return (folder / PLAN_FILE).read_bytes()
    except FileNotFoundError:
        raise AuditError(
            "no audit is planned in this workspace: run `testigo audit plan --seed DIGITS` first"
        ) from None


def read_findings(folder: Path, plan: bytes) -> list[Finding]:
    path = folder / FINDINGS_FILE
    return parse_findings(path.read_bytes(), plan) if path.exists() else []


def parse_findings(data: bytes, plan: bytes) -> list[Finding]:
    """The findings of a findings.jsonl, each checked against the chain; raises `AuditError` at the first break."""
    findings: list[Finding] = []
    prev = hashlib.sha256(plan).hexdigest()
    for number, line in enumerate(data.splitlines(), 1):
        try:
            fields = json.loads(line)
            if canonical(fields) != line:
                raise ValueError("not canonical JSON")
            finding = Finding(
                str(fields["mesa"]),
                tuple(int(v) for v in fields["counts"]),
                int(fields["null_votes"]),
                str(fields["recorded_at"]),
                None if fields["reason"] is None else str(fields["reason"]),
                str(fields["prev"]),
            )
        except (ValueError, KeyError, TypeError) as error:
            raise AuditError(f"{FINDINGS_FILE} line {number} is not a finding ({error})") from None
        if finding.prev != prev:
            raise AuditError(
                f"{FINDINGS_FILE} line {number} does not follow the line before it (the SHA-256 it names differs): "
                "a finding was changed, removed or reordered"
            )
        findings.append(finding)
        prev = hashlib.sha256(line).hexdigest()
    return findings


def append_finding(
    folder: Path,
    plan: Plan,
    plan_data: bytes,
    mesa: str,
    counts: Sequence[int],
    null_votes: int,
    *,
    reason: str | None,
    recorded_at: str,
) -> Finding:
    """Check one paper sheet's figures and append them; raises `AuditError` for figures that cannot be right."""
    check_figures(plan, mesa, counts, null_votes)
    reason = (reason or "").strip() or None
    findings = read_findings(folder, plan_data)
    if reason is None and any(f.mesa == mesa for f in findings):
        raise AuditError(
            f"mesa {mesa} is recorded already: nothing recorded is overwritten; to record its sheet again, "
            "say why with --reason (both findings are kept and published; the latest counts)"
        )
    prev = hashlib.sha256(_last_line(folder)).hexdigest() if findings else hashlib.sha256(plan_data).hexdigest()
    finding = Finding(mesa, tuple(counts), null_votes, recorded_at, reason, prev)
    with (folder / FINDINGS_FILE).open("ab") as file:
        file.write(canonical(finding.to_json()) + b"\n")
    return finding


def check_figures(plan: Plan, mesa: str, counts: Sequence[int], null_votes: int) -> None:
    """Refuse (`AuditError`) a finding for a mesa outside the audit, or with figures no sheet of the ballot has."""
    if mesa not in plan.index:
        raise AuditError(f"mesa {mesa} is not in the audit: it had no accepted acta at the committed checkpoint")
    cards = len(plan.card_candidates)
    if len(counts) != cards:
        raise AuditError(f"the ballot has {cards} cards: give {cards} counts and the null votes, not {len(counts)}")
    if min(*counts, null_votes) < 0:
        raise AuditError(f"mesa {mesa}: a count cannot be negative")


def _last_line(folder: Path) -> bytes:
    return (folder / FINDINGS_FILE).read_bytes().splitlines()[-1]
