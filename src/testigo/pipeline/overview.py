"""What a workspace holds, for `testigo status` and the review queue of `testigo items`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from testigo.store import overview as queries
from testigo.store.workspace import Store


@dataclass(frozen=True)
class Overview:
    """The state of a workspace: items (pages or codes of files) and records by status, work still pending."""

    workspace: str
    profile: str
    items: dict[str, int]
    records: dict[str, int]
    pending_submissions: int

    def to_json(self) -> dict[str, Any]:
        return {
            "workspace": self.workspace,
            "profile": self.profile,
            "items": self.items,
            "records": self.records,
            "pending_submissions": self.pending_submissions,
        }


@dataclass(frozen=True)
class ItemInfo:
    """One submitted file, page or code with its outcome: a line of the review queue."""

    path: str
    sha256: str | None
    page: int
    status: str
    reason: str | None
    mesa: str | None
    payload: str | None
    submitted_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "sha256": self.sha256,
            "page": self.page,
            "status": self.status,
            "reason": self.reason,
            "mesa": self.mesa,
            "payload": self.payload,
            "submitted_at": self.submitted_at.isoformat(),
        }


def overview(store: Store) -> Overview:
    with store.reads() as session:
        counts = queries.counts(session)
    return Overview(str(store.workspace.root), store.profile.name, *counts)


def list_items(store: Store, status: str | None = None) -> list[ItemInfo]:
    """Every item in arrival order, or only those with `status`."""
    with store.reads() as session:
        return [ItemInfo(*line) for line in queries.item_lines(session, status)]
