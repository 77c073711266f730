"""Plain data of an election: no I/O here, so every other layer can share it."""

from testigo.domain.election import Candidate, Card, Election
from testigo.domain.geography import LEVELS, Area, Mesa, Registry
from testigo.domain.record import Record, Status

__all__ = [
    "LEVELS",
    "Area",
    "Candidate",
    "Card",
    "Election",
    "Mesa",
    "Record",
    "Registry",
    "Status",
]
