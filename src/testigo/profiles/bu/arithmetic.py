"""The sums a genuine BU satisfies, checked with a reason for each failure.

A finding is **invalid** when no urna could have printed it (the numbers
contradict each other or exceed the voters), and a **flag** when it is
possible but odd enough for a person to look at. The rules:

Invalid
  - ``turnout``: ``APTO = COMP + FALT``.
  - ``sum``: per contest, the candidates' votes + the party-label votes
    (``LEGP``) + ``BRAN`` + ``NULO`` = ``TOTC``.
  - ``nominal``: ``NOMI`` = the candidates' votes; ``label``: ``LEGC`` = the
    parties' ``LEGP``; ``party``: each party's ``TOTP`` = its candidates' votes
    + its ``LEGP``.
  - ``seats``: every voter who came casts each contest's votes (a blank or null
    vote is a vote), so ``TOTC`` = ``COMP`` x the seats the contest fills per
    voter. The format does not say the seats: they are derived as
    ``TOTC / COMP`` when that divides exactly, and must be 1, or 1 or 2 for the
    Senate (office 5, two seats every other general election). Where the
    contest's electorate ``APTA`` is below ``APTO`` (voters in transit vote
    only for President), fewer than ``COMP`` may vote in it, so only
    ``TOTC <= COMP x`` the most seats is required.
  - ``eligible``: no count above what the contest's voters can cast: a
    candidate's or a party's votes above its eligible voters (``APTA``, else
    ``APTO``) or above ``COMP``, a total above the seats times the eligible
    voters, or ``APTA`` above ``APTO``.
  - ``attendance``: an office without candidates (``CSEC``) attended by more
    than came.

Flag
  - ``everyone-came`` (``COMP = APTO``), ``nobody-came`` (``COMP = 0``).
  - ``one-candidate``: a contest's nominal votes (at least `ONE_CANDIDATE_MIN`)
    all for one candidate.
  - ``zero-listed``: a candidate or party listed with no votes (the urna lists
    only those with votes).
  - ``seats``: an office the table below does not know, filling more than one
    seat per voter.
  - ``eligible-split``: ``APTS + APTT`` differs from ``APTO`` or ``APTA``.
  - ``attendance``: ``CSEC`` differs from ``COMP`` though every eligible
    voter could attend.

A counting-system BU (``ORIG:SA``) has no turnout: only the sums are checked.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum

from testigo.profiles.bu.model import Boletim, ContestKind, ContestResult

#: Seats per voter each office may fill, by ``CARG``: the Senate renews one or two thirds.
OFFICE_SEATS: dict[int, tuple[int, ...]] = {1: (1,), 3: (1,), 5: (1, 2), 6: (1,), 7: (1,), 8: (1,), 11: (1,), 13: (1,)}

#: Fewer nominal votes than this all going to one candidate is unremarkable.
ONE_CANDIDATE_MIN = 20


class Severity(Enum):
    """Invalid: no urna prints it. Flag: possible, worth a look."""

    INVALID = "invalid"
    FLAG = "flag"


@dataclass(frozen=True)
class Finding:
    """One rule a BU breaks: which, where (``(IDEL, CARG)`` or None for the header) and a one-line reason."""

    severity: Severity
    rule: str
    contest: tuple[int, int] | None
    reason: str

    def __str__(self) -> str:
        where = f"election {self.contest[0]} office {self.contest[1]}: " if self.contest else ""
        return f"{self.severity.value}: {where}{self.reason}"


@dataclass(frozen=True)
class Arithmetic:
    """Every finding on one BU, and the seats per voter derived for each contest (None where not derivable)."""

    findings: tuple[Finding, ...]
    seats: tuple[int | None, ...]

    @property
    def invalid(self) -> tuple[Finding, ...]:
        """The findings no genuine BU has."""
        return tuple(f for f in self.findings if f.severity is Severity.INVALID)

    @property
    def flags(self) -> tuple[Finding, ...]:
        """The findings worth a look."""
        return tuple(f for f in self.findings if f.severity is Severity.FLAG)


def _seats(contest: ContestResult, came: int | None) -> int | None:
    """``TOTC / COMP`` when it divides exactly (and both are positive); None otherwise."""
    total = contest.total
    if came is None or total is None or not came or not total or total % came:
        return None
    return total // came


def _allowed_seats(contest: ContestResult) -> tuple[int, ...] | None:
    if contest.kind is ContestKind.REFERENDUM:
        return (1,)
    return OFFICE_SEATS.get(contest.office)


def _sums(contest: ContestResult) -> Iterator[tuple[Severity, str, str]]:
    votes = contest.all_candidates()
    nominal = sum(votes.values())
    labels = sum(p.label_votes for p in contest.parties)
    if contest.total is not None:
        counted = nominal + labels + (contest.blank or 0) + (contest.null or 0)
        if counted != contest.total:
            yield (
                Severity.INVALID,
                "sum",
                f"candidates {nominal} + party labels {labels} + blank {contest.blank} + null {contest.null}"
                f" = {counted}, not TOTC {contest.total}",
            )
    if contest.nominal is not None and contest.nominal != nominal:
        yield Severity.INVALID, "nominal", f"NOMI {contest.nominal} is not the candidates' {nominal} votes"
    if contest.label_votes is not None and contest.label_votes != labels:
        yield Severity.INVALID, "label", f"LEGC {contest.label_votes} is not the parties' {labels} LEGP"
    for party in contest.parties:
        party_votes = sum(party.candidates.values()) + party.label_votes
        if party.total != party_votes:
            yield (
                Severity.INVALID,
                "party",
                f"party {party.number}: TOTP {party.total} is not its candidates' and label votes {party_votes}",
            )
        if not party.total:
            yield Severity.FLAG, "zero-listed", f"party {party.number} listed with no votes"
    for number, count in votes.items():
        if not count:
            yield Severity.FLAG, "zero-listed", f"candidate {number} listed with no votes"
    if nominal >= ONE_CANDIDATE_MIN and max(votes.values()) == nominal:
        yield Severity.FLAG, "one-candidate", f"all {nominal} nominal votes for one candidate"


def _eligible_split(eligible: int | None, section: str | None, transferred: str | None, what: str) -> str | None:
    if eligible is None or section is None or transferred is None:
        return None
    if int(section) + int(transferred) == eligible:
        return None
    return f"APTS {section} + APTT {transferred} is not {what} {eligible}"


def _turnout_rules(contest: ContestResult, eligible: int, came: int) -> Iterator[tuple[Severity, str, str]]:
    """The contest against the section's turnout: seats, ceilings, attendance."""
    contest_eligible = eligible if contest.eligible is None else contest.eligible
    everyone = contest_eligible == eligible
    if contest_eligible > eligible:
        yield Severity.INVALID, "eligible", f"APTA {contest_eligible} above the section's APTO {eligible}"
    allowed = _allowed_seats(contest)
    most = max(allowed) if allowed else None
    seats = _seats(contest, came)
    total = contest.total
    attended = contest.field("CSEC")
    if attended is not None:
        if int(attended) > came:
            yield Severity.INVALID, "attendance", f"CSEC {attended} above COMP {came}"
        elif everyone and int(attended) != came:
            yield Severity.FLAG, "attendance", f"CSEC {attended} is not COMP {came}"
    elif total is not None and everyone:
        if (total != 0) != (came != 0) or (came and seats is None):
            yield Severity.INVALID, "seats", f"TOTC {total} is not COMP {came} times a whole number of seats"
        elif seats is not None and allowed is not None and seats not in allowed:
            yield Severity.INVALID, "seats", f"TOTC {total} is {seats} x COMP {came}: office elects {allowed} a voter"
        elif seats is not None and allowed is None and seats > 1:
            yield Severity.FLAG, "seats", f"TOTC {total} is {seats} x COMP {came}, for an office of unknown seats"
    elif total is not None and most is not None and total > most * came:
        yield Severity.INVALID, "seats", f"TOTC {total} above COMP {came} x {most} seat(s)"
    bound = seats or most or 1
    voters = min(contest_eligible, came)
    for number, count in contest.all_candidates().items():
        if count > voters:
            yield Severity.INVALID, "eligible", f"candidate {number}: {count} votes, from at most {voters} voters"
    for party in contest.parties:
        if party.total > voters:
            yield (
                Severity.INVALID,
                "eligible",
                f"party {party.number}: TOTP {party.total}, from at most {voters} voters",
            )
    counts = {"NOMI": contest.nominal, "LEGC": contest.label_votes, "BRAN": contest.blank, "NULO": contest.null}
    for name, value in (*counts.items(), ("TOTC", total)):
        if value is not None and value > bound * contest_eligible:
            yield Severity.INVALID, "eligible", f"{name} {value} above {bound} x APTA {contest_eligible}"


def check_arithmetic(boletim: Boletim) -> Arithmetic:
    """Every rule of the module's docstring on this BU."""
    findings: list[Finding] = []
    eligible, came, absent = boletim.eligible, boletim.came, boletim.absent
    if eligible is not None and came is not None and absent is not None:
        if eligible != came + absent:
            findings.append(
                Finding(Severity.INVALID, "turnout", None, f"APTO {eligible} is not COMP {came} + FALT {absent}")
            )
        if came == eligible and came:
            findings.append(Finding(Severity.FLAG, "everyone-came", None, f"every one of the {came} voters came"))
        if not came:
            findings.append(Finding(Severity.FLAG, "nobody-came", None, "no voter came"))
    split = _eligible_split(eligible, boletim.field("APTS"), boletim.field("APTT"), "APTO")
    if split:
        findings.append(Finding(Severity.FLAG, "eligible-split", None, split))
    for contest in boletim.contests:
        where = (contest.election, contest.office)
        rules = list(_sums(contest))
        split = _eligible_split(contest.eligible, contest.field("APTS"), contest.field("APTT"), "APTA")
        if split:
            rules.append((Severity.FLAG, "eligible-split", split))
        if eligible is not None and came is not None:
            rules += _turnout_rules(contest, eligible, came)
        findings += (Finding(severity, rule, where, reason) for severity, rule, reason in rules)
    seats = tuple(_seats(contest, came) for contest in boletim.contests)
    return Arithmetic(tuple(findings), seats)
