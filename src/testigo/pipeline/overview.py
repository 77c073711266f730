"""What a workspace holds, for `testigo status` and the review queue of `testigo items`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from testigo.store import overview as queries
from testigo.store.overview import ItemInfo
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


def overview(store: Store) -> Overview:
    with store.reads() as session:
        counts = queries.counts(session)
    return Overview(str(store.workspace.root), store.profile.name, *counts)


def list_items(store: Store, status: str | None = None) -> list[ItemInfo]:
    """Every item in arrival order, or only those with `status`."""
    with store.reads() as session:
        return list(queries.item_lines(session, status))
