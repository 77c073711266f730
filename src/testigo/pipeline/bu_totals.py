"""Per-contest totals of counted boletins de urna, kept as they arrive and taken back when a BU stops counting.

A BU carries every contest of its section's ballot. Candidate numbers are
reused from one constituency to the next (15 is a different mayor in each
municipality), so a contest is totalled per constituency: ``BR`` for
President, the UF for a state's offices, ``<UF>-<municipality>`` for the
others (and for any office this table does not know).

The checker adds each BU when it is judged and keeps nothing else of it (half
a million parsed BUs do not fit in memory); a BU that a later rival of its
section turns into a conflict is taken back out (`Totals.remove`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from testigo.profiles.bu.model import Boletim
from testigo.profiles.bu.offices import constituency, office_name

#: election day (PLEI), round, election (IDEL), office (CARG), constituency
ContestKey = tuple[int, int, int, int, str]


@dataclass
class ContestTotal:
    """One contest summed over the counted BUs of its constituency (`area`)."""

    election_day: int
    round: int
    election: int
    office: int
    area: str
    sections: int = 0
    eligible: int = 0
    #: votes per candidate number (a proportional contest's candidates with those of every party)
    candidates: Counter[int] = field(default_factory=Counter)
    label_votes: int = 0
    blank: int = 0
    null: int = 0
    total: int = 0
    #: how many counted BUs list each candidate: a candidate leaves `candidates` when none does any more
    listed: Counter[int] = field(default_factory=Counter, repr=False, compare=False)

    @property
    def name(self) -> str:
        return office_name(self.office)


class Totals:
    """Every contest's running total."""

    def __init__(self) -> None:
        self._by_key: dict[ContestKey, ContestTotal] = {}

    def add(self, boletim: Boletim) -> None:
        self._apply(boletim, 1)

    def remove(self, boletim: Boletim) -> None:
        """Take back a BU added before (one that a rival of its section turned into a conflict)."""
        self._apply(boletim, -1)

    def contests(self) -> tuple[ContestTotal, ...]:
        """The totals with at least one section, by contest key."""
        return tuple(self._by_key[key] for key in sorted(self._by_key) if self._by_key[key].sections)

    def _apply(self, bu: Boletim, sign: int) -> None:
        for contest in bu.contests:
            key = (bu.election_day, bu.round, contest.election, contest.office, constituency(bu, contest.office))
            total = self._by_key.setdefault(key, ContestTotal(*key))
            total.sections += sign
            total.eligible += sign * (contest.eligible or 0)
            total.label_votes += sign * (contest.label_votes or 0)
            total.blank += sign * (contest.blank or 0)
            total.null += sign * (contest.null or 0)
            total.total += sign * (contest.total or 0)
            for number, votes in contest.all_candidates().items():
                total.candidates[number] += sign * votes
                total.listed[number] += sign
                if not total.listed[number]:
                    del total.candidates[number], total.listed[number]
