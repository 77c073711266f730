"""Bulk insertion of accepted records, for benchmarks and tests at national scale.

Ingest settles one file per transaction, with reconciliation and a log entry
each: right for real arrivals, far too slow to build a million-mesa
workspace to time tally and forensics on. This writes accepted records
directly, in large batches, and nothing else: no submission, item or log
entry, so such a workspace can be tallied and analysed but not published.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

import numpy as np
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from testigo.profiles import Profile
from testigo.store.records import ACCEPTED
from testigo.store.schema import MesaRow, RecordRow
from testigo.store.submissions import now

BATCH = 20_000


def add_accepted_records(
    session: Session,
    profile: Profile,
    mesa_ids: Sequence[str],
    cards: np.ndarray,
    nulls: np.ndarray,
    contest: str = "",
) -> None:
    """Insert one accepted record per mesa (mesas × cards counts) of `contest`, in the caller's transaction.

    The mesas must be in the registry already: each record carries its mesa's center (`RecordRow`), and a
    contest other than ``""`` its ballot in the workspace (profile br: `testigo.profiles.br.BALLOT_FACT`).
    """
    named: dict[str, int | str] | None = {"contest": contest} if contest else None
    created = now()
    center_of = {mesa: center for mesa, center in session.execute(select(MesaRow.id, MesaRow.center_id)).tuples()}
    for start in range(0, len(mesa_ids), BATCH):
        rows = []
        for mesa_id, counts, null_votes in zip(
            mesa_ids[start : start + BATCH],
            cards[start : start + BATCH].tolist(),
            nulls[start : start + BATCH].tolist(),
            strict=True,
        ):
            acta_id = profile.acta_id_for(mesa_id)
            payload = profile.encode(acta_id, counts, null_votes, named)
            rows.append(
                {
                    "profile": profile.name,
                    "mesa_id": mesa_id,
                    "center_id": center_of[mesa_id],
                    "acta_id": acta_id,
                    "contest": contest,
                    "payload": payload,
                    "payload_sha256": hashlib.sha256(payload.encode()).hexdigest(),
                    "counts": ",".join(map(str, counts)),
                    "null_votes": null_votes,
                    "valid_votes": sum(counts),
                    "extra": "{}",
                    "flags": json.dumps([]),
                    "status": ACCEPTED,
                    "source": "import",
                    "created_at": created,
                }
            )
        session.execute(insert(RecordRow), rows)
