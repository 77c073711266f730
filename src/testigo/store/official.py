"""Official results, kept apart from the citizens' records (SQL access only).

The official body's per-mesa figures are a second source to compare against,
never evidence: they do not enter reconciliation, tallies or forensics of the
citizen records. One row per mesa; a later official file that gives the same
mesa different figures is reported, and the first figures stay, as with
conflicting actas.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import DateTime, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from testigo.store.schema import Base
from testigo.store.submissions import now


class OfficialResultRow(Base):
    """One mesa's official figures: votes per candidate (ballot order) and, where given, null votes."""

    __tablename__ = "official_results"
    mesa_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    votes: Mapped[str] = mapped_column(Text)  # comma-separated, per candidate in ballot order
    null_votes: Mapped[int | None] = mapped_column(Integer)
    source_sha256: Mapped[str] = mapped_column(String(64))  # the imported file, kept in the blob store
    source_line: Mapped[int] = mapped_column(Integer)
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class OfficialResult:
    mesa_id: str
    votes: list[int]
    null_votes: int | None
    source_sha256: str
    source_line: int


def load(session: Session) -> dict[str, OfficialResult]:
    """Every stored official result, by mesa."""
    rows = session.execute(select(OfficialResultRow)).scalars()
    return {
        row.mesa_id: OfficialResult(
            row.mesa_id, [int(v) for v in row.votes.split(",")], row.null_votes, row.source_sha256, row.source_line
        )
        for row in rows
    }


def add(session: Session, results: list[OfficialResult]) -> None:
    """Store new official results (the caller has checked none of their mesas is stored yet)."""
    created = now()
    session.add_all(
        OfficialResultRow(
            mesa_id=r.mesa_id,
            votes=",".join(str(v) for v in r.votes),
            null_votes=r.null_votes,
            source_sha256=r.source_sha256,
            source_line=r.source_line,
            imported_at=created,
        )
        for r in results
    )
