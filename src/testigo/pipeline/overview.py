"""What a workspace holds, for `testigo status` and the review queue of `testigo items`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from testigo.store.schema import ItemRow, RecordRow, SubmissionRow
from testigo.store.workspace import Store


def overview(store: Store) -> dict[str, Any]:
    with store.sessions() as session:
        item_counts = dict(session.execute(select(ItemRow.status, func.count()).group_by(ItemRow.status)).all())
        record_counts = dict(session.execute(select(RecordRow.status, func.count()).group_by(RecordRow.status)).all())
        pending = session.execute(
            select(func.count()).select_from(SubmissionRow).where(SubmissionRow.state == "pending")
        ).scalar_one()
    return {
        "workspace": str(store.workspace.root),
        "profile": store.profile.name,
        "items": item_counts,
        "records": record_counts,
        "pending_submissions": pending,
    }


def list_items(store: Store, status: str | None = None) -> list[dict[str, Any]]:
    query = (
        select(
            SubmissionRow.display_path,
            SubmissionRow.blob_sha256,
            ItemRow.page,
            ItemRow.status,
            ItemRow.reason,
            ItemRow.mesa_id,
            ItemRow.payload,
            SubmissionRow.submitted_at,
        )
        .join(SubmissionRow, SubmissionRow.id == ItemRow.submission_id)
        .order_by(ItemRow.id)
    )
    if status is not None:
        query = query.where(ItemRow.status == status)
    with store.sessions() as session:
        return [
            {
                "path": path,
                "sha256": sha,
                "page": page,
                "status": item_status,
                "reason": reason,
                "mesa": mesa,
                "payload": payload,
                "submitted_at": submitted_at.isoformat(),
            }
            for path, sha, page, item_status, reason, mesa, payload, submitted_at in session.execute(query)
        ]
