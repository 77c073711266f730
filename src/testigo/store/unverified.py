"""BUs counted while their signing key was missing, waiting for it (SQL access only; see `UnverifiedBoletimRow`)."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from testigo.store.schema import UnverifiedBoletimRow
from testigo.store.submissions import now


def keep(session: Session, key_name: str, parts: Sequence[str]) -> None:
    """Keep a BU's parts until the key `key_name` is added (a BU kept already stays as it is)."""
    text = "\n".join(parts)
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    if session.execute(select(UnverifiedBoletimRow.id).where(UnverifiedBoletimRow.sha256 == sha)).first() is None:
        session.add(UnverifiedBoletimRow(sha256=sha, key_name=key_name, parts=text, created_at=now()))
        session.flush()


def waiting_for(session: Session, key_names: Collection[str]) -> list[tuple[int, str, list[str]]]:
    """(id, key name, parts) of every BU waiting for one of these keys, in arrival order."""
    query = (
        select(UnverifiedBoletimRow.id, UnverifiedBoletimRow.key_name, UnverifiedBoletimRow.parts)
        .where(UnverifiedBoletimRow.key_name.in_(sorted(key_names)))
        .order_by(UnverifiedBoletimRow.id)
    )
    return [(row_id, name, parts.split("\n")) for row_id, name, parts in session.execute(query).tuples()]


def waiting_keys(session: Session) -> list[str]:
    """The names of the keys some BU waits for."""
    return list(session.execute(select(UnverifiedBoletimRow.key_name).distinct()).scalars())


def judged(session: Session, ids: Collection[int]) -> None:
    """Take BUs judged with their key out of the waiting ones."""
    if ids:
        session.execute(delete(UnverifiedBoletimRow).where(UnverifiedBoletimRow.id.in_(sorted(ids))))
