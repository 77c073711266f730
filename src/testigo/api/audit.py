"""A risk-limiting check of the paper originals (`testigo.audit`): plan, record each sheet, see where it stands.

The figures audited are those the bundle publishes, derived from the log
exactly as `testigo publish` derives them (`testigo.publish.model.derive`),
at the workspace's latest signed checkpoint: committed, and published,
before the seed is known.

    status = testigo.audit_plan("./eleccion", seed="31415926535897932384")   # after `testigo publish`
    status.next_mesas                    # the paper sheets to fetch first
    testigo.audit_record("./eleccion", status.next_mesas[0], counts=[120, 80, 5], null_votes=3)
    testigo.audit_status("./eleccion").statement    # 'risk limit 5% met after 312 sheets (...), ...'
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from testigo.api.workspace import WorkspaceLike, using
from testigo.audit import AuditStatus, make_plan, measure
from testigo.audit.plan import Committed, MesaFigures
from testigo.audit.report import load_plan, status_of
from testigo.audit.state import FOLDER, AuditError, append_finding, plan_bytes, read_findings, read_plan, write_plan
from testigo.ledger.entries import read_entries, utc_timestamp
from testigo.store import ledger as log_table
from testigo.store.workspace import Store
from testigo.verify.audit import published_figures

__all__ = ["AuditStatus", "audit_plan", "audit_record", "audit_status"]


def audit_plan(
    workspace: WorkspaceLike, *, seed: str, risk_limit: float = 0.05, unknown_bound: int | None = None
) -> AuditStatus:
    """Plan the audit of the published figures at the latest checkpoint, with the public `seed` (decimal digits).

    `unknown_bound` is the most ballots the paper of a mesa can hold when the
    registry lacks its registered voters; by default the largest register of
    any mesa in the registry (stated in the plan, used only if such a mesa
    is published).

    Refuses (`AuditError`, a `UserError`) when no checkpoint was signed yet
    (publish first: the figures must be committed before the seed is drawn),
    when an audit is planned already, or when the figures tie.
    """
    with using(workspace) as store:
        checkpoint, mesas = _published_figures(store)
        plan = make_plan(
            seed=seed,
            risk_limit=risk_limit,
            checkpoint=checkpoint,
            election=store.profile.election,
            mesas=mesas,
            created_at=utc_timestamp(datetime.now(UTC)),
            unknown_bound=unknown_bound or max((m.registered or 0 for m in store.registry.mesas.values()), default=0),
        )
        write_plan(_folder(store), plan_bytes(plan.to_json()))
        return measure(plan, [])


def audit_record(
    workspace: WorkspaceLike,
    mesa: str,
    counts: Sequence[int],
    null_votes: int,
    *,
    reason: str | None = None,
) -> AuditStatus:
    """Record what the paper sheet of `mesa` says (votes per card in ballot order, null votes); the new status.

    A mesa recorded before is refused unless `reason` says why it is recorded
    again; both findings are kept, the latest counts.
    """
    with using(workspace) as store:
        folder = _folder(store)
        plan_data = read_plan(folder)
        plan = load_plan(plan_data)
        now = utc_timestamp(datetime.now(UTC))
        append_finding(folder, plan, plan_data, mesa, counts, null_votes, reason=reason, recorded_at=now)
        return measure(plan, read_findings(folder, plan_data))


def audit_status(workspace: WorkspaceLike) -> AuditStatus:
    """Where the audit stands: risk measured, discrepancies, the mesas to check next, the statement."""
    with using(workspace) as store:
        return status_of(_folder(store))


def _folder(store: Store) -> Path:
    return store.workspace.root / FOLDER


def _published_figures(store: Store) -> tuple[Committed, list[MesaFigures]]:
    """The latest signed checkpoint, and every mesa's counted figures in the log it covers."""
    with store.reads() as session:
        latest = log_table.latest_checkpoint(session)
        if latest is None:
            raise AuditError(
                "no checkpoint of the log is signed yet: run `testigo publish` first, so the figures audited are "
                "committed before the seed is drawn"
            )
        bodies = [row.body for row in log_table.entries(session, 0, latest.size)]
    entries, _ = read_entries(bodies)
    figures = published_figures(entries, store.profile, store.registry)
    return Committed(store.signer.name, latest.size, latest.root_hash), figures
