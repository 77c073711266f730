"""The "audit" check: the paper audit a bundle publishes (``audit/``) follows from its log, seed and findings.

`testigo verify` trusts none of the three files. It derives every mesa's
figures from the log entries the plan's checkpoint covers (as `publish`
does), checks that checkpoint against the verified tree, rebuilds the plan
from them with the plan's seed and risk limit, and so redraws the sample;
it checks the findings' hash chain, and that the log's ``audit`` entries
hold the SHA-256 of the plan and of every finding, in order (so the files
are as tamper-evident as the figures: a chain rewritten whole no longer
matches the signed, witnessed log), measures the risk from the findings
again and compares with ``report.json``. Each disagreement is one line.

What it cannot prove: that the findings say what the paper says (only the
auditors and observers in the room know), nor that the seed was drawn after
the checkpoint was published (the public ceremony is the evidence, and the
plan's checkpoint must be one the public saw: a checkpoint file of the
bundle, or one kept from before).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from typing import Any

from testigo.audit import make_plan, measure
from testigo.audit.plan import MesaFigures
from testigo.audit.report import REPORT_FILE, load_plan
from testigo.audit.state import FINDINGS_FILE, FOLDER, PLAN_FILE, AuditError, parse_findings
from testigo.domain import Registry
from testigo.ledger.entries import AUDIT_FINDING, AUDIT_PLAN, Entry
from testigo.profiles import Profile
from testigo.publish.model import Files, derive
from testigo.verify.bundle import Bundle, BundleError
from testigo.verify.log import CheckedLog
from testigo.verify.report import VerifyReport

PLAN = f"{FOLDER}/{PLAN_FILE}"
FINDINGS = f"{FOLDER}/{FINDINGS_FILE}"
REPORT = f"{FOLDER}/{REPORT_FILE}"
#: Every file of a bundle's audit (the "files" check accounts for them).
AUDIT_FILES = (PLAN, FINDINGS, REPORT)


def published_figures(entries: Sequence[Entry], profile: Profile, registry: Registry) -> list[MesaFigures]:
    """Every mesa's counted figures as the bundle of these entries publishes them: the audit's cast-vote records."""
    publication = derive(entries, profile, registry, Files())
    return [
        MesaFigures(mesa_id, result.record.counts, result.record.null_votes, result.mesa.registered)
        for mesa_id, result in publication.mesas.items()
    ]


def check_audit(
    report: VerifyReport,
    bundle: Bundle,
    log: CheckedLog,
    entries: Sequence[Entry],
    profile: Profile,
    registry: Registry,
) -> None:
    """Add the "audit" check when the bundle publishes an audit or its log holds one (otherwise no line)."""
    present = [path for path in AUDIT_FILES if (bundle.root / path).exists()]
    if not present:
        logged = [entry.seq for entry in entries if entry.is_audit]
        if logged:
            problem = f"log entries {logged[0]}..{logged[-1]} are of a paper audit, and the bundle has no {PLAN}"
            report.add("audit", "the paper audit the log holds", [problem])
        return
    try:
        detail, problems = _check(bundle, log, entries, profile, registry)
    except (AuditError, BundleError) as error:
        detail, problems = "the paper audit's plan, findings and report", [f"{FOLDER}: {error}"]
    report.add("audit", detail, problems)


def _check(
    bundle: Bundle, log: CheckedLog, entries: Sequence[Entry], profile: Profile, registry: Registry
) -> tuple[str, list[str]]:
    plan_data = bundle.read_bytes(PLAN)
    found = load_plan(plan_data)
    committed = found.checkpoint
    if committed.origin != log.head.origin or not 0 < committed.size <= log.head.size:
        return "the paper audit's plan", [f"{PLAN} commits to a checkpoint of another log, or beyond this one"]
    if log.tree.root(committed.size).hex() != committed.root_hash:
        return "the paper audit's plan", [
            f"{PLAN} commits to a root hash the log's first {committed.size} entries do not have"
        ]
    plan = make_plan(
        seed=found.seed,
        risk_limit=found.risk_limit,
        checkpoint=committed,
        election=profile.election,
        mesas=published_figures(entries[: committed.size], profile, registry),
        created_at=found.created_at,
        unknown_bound=found.unknown_bound,
    )
    problems = _differences(PLAN, plan.to_json(), json.loads(plan_data))
    findings_data = bundle.read_bytes(FINDINGS) if (bundle.root / FINDINGS).exists() else b""
    problems += _unlogged(entries, plan_data, findings_data, committed.size)
    findings = parse_findings(findings_data, plan_data)
    status = measure(plan, findings)
    problems += _differences(REPORT, status.to_json(), bundle.read_json(REPORT))
    detail = (
        f"{status.statement}: figures of the {len(plan.mesas)} mesas at checkpoint {committed.size}, sample redrawn "
        f"from seed {plan.seed}, risk measured again from {len(findings)} findings"
    )
    return detail, problems


def _unlogged(entries: Sequence[Entry], plan_data: bytes, findings_data: bytes, committed: int) -> list[str]:
    """The first place where the audit files and the log's ``audit`` entries part, if any (one line).

    The log must hold the plan's SHA-256 and then each finding line's, in
    the files' order, and nothing else of the audit; and the plan's entry
    must come after the checkpoint it commits to (figures first, seed after).
    """
    logged = [entry for entry in entries if entry.is_audit]
    files = [(AUDIT_PLAN, PLAN, plan_data)]
    files += [(AUDIT_FINDING, f"{FINDINGS} line {n}", line) for n, line in enumerate(findings_data.splitlines(), 1)]
    for entry, (step, name, data) in zip(logged, files, strict=False):
        if (entry.get("step"), entry.get("file_sha256")) != (step, hashlib.sha256(data).hexdigest()):
            return [
                f"{name} is not what log entry {entry.seq} holds: changed, dropped or reordered after it was logged"
            ]
    if len(files) > len(logged):
        return [f"{files[len(logged)][1]} is not in the log (no audit entry holds its SHA-256)"]
    if len(logged) > len(files):
        return [f"log entry {logged[len(files)].seq} holds an audit step that {FINDINGS} lacks: a finding was removed"]
    if logged[0].seq < committed:
        return [f"{PLAN} was logged (entry {logged[0].seq}) before the checkpoint of size {committed} it commits to"]
    return []


def _differences(path: str, expected: dict[str, Any], found: Any) -> list[str]:
    """One line per top-level field of `found` that is not what the bundle's own data give."""
    if not isinstance(found, dict):
        return [f"{path} is not a JSON object"]
    return [
        f"{path}: {key} is not what the log, seed and findings give"
        for key in sorted(expected.keys() | found.keys())
        if not _same(expected.get(key), found.get(key))
    ]


def _same(a: Any, b: Any) -> bool:
    """Equal, floats to 1e-9 (the risk is a product of logarithms: its last bits may differ between machines)."""
    if isinstance(a, float) or isinstance(b, float):
        numbers = all(isinstance(x, int | float) and not isinstance(x, bool) for x in (a, b))
        return numbers and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)
