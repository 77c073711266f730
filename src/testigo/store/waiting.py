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
    for text in texts:
        sha = _sha256(text)
        if session.execute(select(WaitingCodeRow.id).where(WaitingCodeRow.sha256 == sha)).first() is None:
            session.add(WaitingCodeRow(sha256=sha, text=text, created_at=now()))
    session.flush()


def stop_waiting(session: Session, texts: Iterable[str]) -> None:
    """Take the codes of a sheet that completed out of the waiting ones."""
    shas = [_sha256(text) for text in texts]
    if shas:
        session.execute(delete(WaitingCodeRow).where(WaitingCodeRow.sha256.in_(shas)))


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
