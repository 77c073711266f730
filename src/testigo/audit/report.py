"""Where an audit stands: the risk measured from the findings, the discrepancies, what to check next, the statement.

`measure` is a pure function of the plan and the findings, so the command
line, the Python API, `testigo publish` (``audit/report.json``) and
`testigo verify` all compute the same thing from the same two files.

The risk is measured on the longest run of draws, from the first, whose
mesas all have a finding: the test is sequential, so a draw cannot be
skipped (auditors who leave out an awkward sheet must not lower the risk).
Findings further on wait until the draws before them are checked. A mesa
drawn twice counts twice with its one finding (sampling with replacement).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from testigo.audit import risk
from testigo.audit.plan import Plan, plan_from_json
from testigo.audit.state import (
    FINDINGS_FILE,
    FOLDER,
    PLAN_FILE,
    AuditError,
    Finding,
    check_figures,
    parse_findings,
    read_findings,
    read_plan,
)
from testigo.ledger.entries import AUDIT_FINDING, AUDIT_PLAN, Entry

MET = "met"
CONTINUE = "continue"
HAND_COUNT = "full hand count"
REPORT_FILE = "report.json"

_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}


@dataclass(frozen=True)
class Discrepancy:
    """A paper sheet whose figures differ from the published ones."""

    mesa: str
    overstatement: int
    """Votes by which the published figures overstated the winner's lead over the loser most affected
    (relative to that pair's margin); negative: the paper gives the winner more (an understatement)."""
    taint: float
    """e_p / u_p: the share of the mesa's error bound the difference uses (1: all of it)."""
    figures: tuple[str, ...]
    """Which figures differ (``card 3``, ``null votes``)."""
    counted: bool
    """Whether the risk measurement has used this sheet yet."""

    def to_json(self) -> dict[str, Any]:
        return {
            "mesa": self.mesa,
            "overstatement": self.overstatement,
            "taint": self.taint,
            "figures": list(self.figures),
            "counted": self.counted,
        }

    @property
    def words(self) -> str:
        votes = abs(self.overstatement)
        if votes == 0:
            return "moving no margin"
        kind = "overstatement" if self.overstatement > 0 else "understatement"
        return f"{_WORDS.get(votes, str(votes))}-vote {kind}"


@dataclass(frozen=True)
class AuditStatus:
    """Where the audit stands (`measure`): outcome, risk, discrepancies, the mesas to check next, the statement."""

    plan: Plan = field(repr=False)
    outcome: str
    """``met`` (the risk limit is met: the audit is over), ``continue`` or ``full hand count``."""
    risk: float
    """The Kaplan–Markov P-value after `draws` draws (at most 1): the chance that a wrong outcome got this far."""
    draws: int
    """Draws the measurement used: up to the decision, or the checked run of draws."""
    sheets: int
    """Distinct mesas among those draws."""
    recorded: int
    """Findings recorded (lines of findings.jsonl)."""
    planned_draws: int | None
    """While the audit continues: the draws in all if none still to check shows a discrepancy."""
    next_mesas: tuple[str, ...]
    """Mesas whose paper sheet to check next: the planned draws not checked yet, in draw order; every mesa
    without a finding in a full hand count."""
    discrepancies: tuple[Discrepancy, ...]
    corrections: tuple[tuple[str, str], ...]
    """(mesa, reason) of every finding recorded again."""
    hand_count_winner: str | None
    """Once a full hand count has every sheet: who won on paper (``tie`` for a tie)."""
    statement: str

    def to_json(self) -> dict[str, Any]:
        plan = self.plan
        return {
            "outcome": self.outcome,
            "statement": self.statement,
            "risk_limit": plan.risk_limit,
            "risk": self.risk,
            "draws": self.draws,
            "sheets": self.sheets,
            "recorded": self.recorded,
            "initial_draws": plan.initial_draws,
            "planned_draws": self.planned_draws,
            "next_mesas": list(self.next_mesas),
            "discrepancies": [d.to_json() for d in self.discrepancies],
            "corrections": [{"mesa": mesa, "reason": reason} for mesa, reason in self.corrections],
            "hand_count_winner": self.hand_count_winner,
            "winner": plan.candidates[plan.winner],
            "margins": {plan.candidates[i]: int(v) for i, v in zip(plan.losers, plan.margins, strict=True)},
            "mesas": len(plan.mesas),
            "total_error_bound": plan.total_bound,
            "seed": plan.seed,
            "checkpoint": plan.checkpoint.to_json(),
            "method": "Kaplan-Markov P-value, PPEB sampling, MACRO taint (Stark 2009); see docs/audit.md",
        }


def measure(plan: Plan, findings: list[Finding]) -> AuditStatus:
    """The audit's state after `findings` (in the order recorded; a mesa's latest finding counts)."""
    for finding in findings:
        check_figures(plan, finding.mesa, finding.counts, finding.null_votes)
    latest = {f.mesa: f for f in findings}
    mesas = len(plan.mesas)
    draws = plan.draws(mesas + 1)  # `risk.course` decides every audit within this many draws
    audited = sorted(plan.index[m] for m in latest)
    taint_of, discrepancies = _compare(plan, [latest[plan.mesas[i].mesa] for i in audited], audited)
    checked = next((k for k, i in enumerate(draws) if i not in taint_of), len(draws))
    course = risk.course(np.array([taint_of[i] for i in draws[:checked]]), plan.total_bound, plan.risk_limit, mesas)
    met_at, count_all_at = int(course.met_at[0]), int(course.count_all_at[0])
    used = met_at if met_at >= 0 else count_all_at if count_all_at >= 0 else checked
    outcome = MET if met_at >= 0 else HAND_COUNT if count_all_at >= 0 else CONTINUE
    counted = {plan.mesas[i].mesa for i in draws[:used]} if outcome != HAND_COUNT else set(latest)
    discrepancies = [d if d.mesa in counted else _uncounted(d) for d in discrepancies]
    planned, upcoming, winner = None, [], None
    if outcome == CONTINUE:
        planned = checked + int(course.needed[0])
        upcoming = [i for i in dict.fromkeys(draws[checked:planned]) if i not in taint_of]
    elif outcome == HAND_COUNT:
        upcoming = [i for i in range(mesas) if i not in taint_of]
        winner = None if upcoming else _paper_winner(plan, [latest[m.mesa] for m in plan.mesas])
    status = AuditStatus(
        plan=plan,
        outcome=outcome,
        risk=min(1.0, math.exp(float(course.log_risk[0, used]))),
        draws=used,
        sheets=len(set(draws[:used])),
        recorded=len(findings),
        planned_draws=planned,
        next_mesas=tuple(plan.mesas[i].mesa for i in upcoming),
        discrepancies=tuple(discrepancies),
        corrections=tuple((f.mesa, f.reason) for f in findings if f.reason),
        hand_count_winner=winner,
        statement="",
    )
    return _with_statement(status, any(taint_of[i] >= 1 for i in draws[:used]))


def _compare(plan: Plan, findings: list[Finding], indices: list[int]) -> tuple[dict[int, float], list[Discrepancy]]:
    """Each audited mesa's taint, and the discrepancies among them."""
    if not findings:
        return {}, []
    counts = np.array([f.counts for f in findings], dtype=np.int64)
    where = np.array(indices, dtype=np.int64)
    relative, votes = plan.overstatement(where, plan.candidate_votes(counts))
    taints = relative / plan.error_bounds[where]
    discrepancies = []
    for k, finding in enumerate(findings):
        published = plan.mesas[indices[k]]
        differ = [
            f"card {c + 1}" for c, (a, b) in enumerate(zip(finding.counts, published.counts, strict=True)) if a != b
        ]
        differ += ["null votes"] if finding.null_votes != published.null_votes else []
        if differ:
            discrepancies.append(Discrepancy(finding.mesa, int(votes[k]), float(taints[k]), tuple(differ), True))
    return dict(zip(indices, (float(t) for t in taints), strict=True)), discrepancies


def _uncounted(d: Discrepancy) -> Discrepancy:
    return Discrepancy(d.mesa, d.overstatement, d.taint, d.figures, False)


def _paper_winner(plan: Plan, findings: list[Finding]) -> str:
    totals = plan.candidate_votes(np.array([f.counts for f in findings], dtype=np.int64)).sum(axis=0)
    top = int(np.argmax(totals))
    return "tie" if (totals == totals[top]).sum() > 1 else plan.candidates[top]


def _with_statement(status: AuditStatus, exhausted: bool) -> AuditStatus:
    """The one sentence a press release can quote."""
    plan = status.plan
    limit = f"{plan.risk_limit * 100:g}%"
    counted = [d for d in status.discrepancies if d.counted]
    found = "no discrepancy" if not counted else f"{len(counted)} discrepanc{'y' if len(counted) == 1 else 'ies'}"
    if counted:
        kinds: dict[str, int] = {}
        for d in counted:
            kinds[d.words] = kinds.get(d.words, 0) + 1
        found += " (" + ", ".join(f"{n} {words}" for words, n in kinds.items()) + ")"
    sheets = f"{status.sheets:,} sheet{'s' if status.sheets != 1 else ''}"
    if status.outcome == MET:
        text = f"risk limit {limit} met after {sheets} ({status.draws:,} draws), {found}"
    elif status.outcome == CONTINUE:
        more = (status.planned_draws or 0) - status.draws
        text = (
            f"risk {status.risk:.1%} after {sheets} ({status.draws:,} draws), {found}; limit {limit}: "
            f"{more:,} more draws without discrepancy would meet it"
        )
    elif status.hand_count_winner is not None:
        verdict = "confirms" if status.hand_count_winner == plan.candidates[plan.winner] else "overturns"
        text = (
            f"full hand count of all {len(plan.mesas):,} sheets {verdict} the published outcome: "
            f"winner {status.hand_count_winner}"
        )
    else:
        why = (
            "a sheet differs from its published figures by all its bound allows"
            if exhausted
            else "meeting it would take more draws than there are mesas"
        )
        text = (
            f"risk limit {limit} not met after {sheets}, {found} ({why}): count every sheet by hand, "
            f"{len(status.next_mesas):,} of {len(plan.mesas):,} mesas left"
        )
    return replace(status, statement=text)


def status_of(folder: Path) -> AuditStatus:
    """The audit kept in `folder` (a workspace's ``audit/``), measured; raises `AuditError` if there is none."""
    plan_data = read_plan(folder)
    return measure(load_plan(plan_data), read_findings(folder, plan_data))


def load_plan(data: bytes) -> Plan:
    """The plan in a plan file's bytes; raises `AuditError` if they are not one."""
    try:
        document = json.loads(data)
    except ValueError as error:
        raise AuditError(f"{PLAN_FILE} is not JSON ({error})") from None
    return plan_from_json(document)


def published_files(folder: Path, entries: Sequence[Entry]) -> list[tuple[str, bytes]]:
    """What a bundle of the log `entries` publishes of the audit in `folder`: plan, findings and the report.

    Only what those entries log (`testigo.ledger.entries.audit_entry`): the
    plan once its entry is among them, and as many findings as they hold
    finding entries — a sheet recorded while a bundle is written waits for
    the next one, so the files always match the signed log. Bundle paths are
    ``audit/<file>``; empty when no audit is planned in the log. The report
    (``report.json``) is `measure` of the two others, written at publish
    time; `testigo verify` computes it again and compares.
    """
    steps = [entry.get("step") for entry in entries if entry.is_audit]
    if AUDIT_PLAN not in steps or not (folder / PLAN_FILE).exists():
        return []
    plan_data = read_plan(folder)
    findings_path = folder / FINDINGS_FILE
    kept = findings_path.read_bytes().splitlines(keepends=True) if findings_path.exists() else []
    findings_data = b"".join(kept[: steps.count(AUDIT_FINDING)])
    status = measure(load_plan(plan_data), parse_findings(findings_data, plan_data))
    files = [(f"{FOLDER}/{PLAN_FILE}", plan_data)]
    files += [(f"{FOLDER}/{FINDINGS_FILE}", findings_data)] if findings_path.exists() else []
    return [*files, (f"{FOLDER}/{REPORT_FILE}", report_bytes(status))]


def report_bytes(status: AuditStatus) -> bytes:
    return (json.dumps(status.to_json(), ensure_ascii=False, indent=1) + "\n").encode("utf-8")
