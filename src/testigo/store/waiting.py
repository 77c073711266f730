"""Codes of sheets printed over several codes, waiting for the rest of their sheet (SQL access only)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from testigo.store.schema import WaitingCodeRow
from testigo.store.submissions import now


def waiting_texts(session: Session) -> list[str]:
    """Every waiting code, in arrival order."""
    return list(session.execute(select(WaitingCodeRow.text).order_by(WaitingCodeRow.id)).scalars())


def keep_waiting(session: Session, texts: Iterable[str]) -> None:
    """Add codes to the waiting ones (a code waiting already stays where it is)."""
    new = {_sha256(text): text for text in texts}
    if not new:
        return
    kept = set(session.execute(select(WaitingCodeRow.sha256).where(WaitingCodeRow.sha256.in_(new))).scalars())
    added = now()
    rows = [WaitingCodeRow(sha256=sha, text=text, created_at=added) for sha, text in new.items() if sha not in kept]
    session.add_all(rows)
    session.flush()


def stop_waiting(session: Session, texts: Iterable[str]) -> None:
    """Take the codes of a sheet that completed out of the waiting ones."""
    shas = [_sha256(text) for text in texts]
    if shas:
        session.execute(delete(WaitingCodeRow).where(WaitingCodeRow.sha256.in_(shas)))


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
