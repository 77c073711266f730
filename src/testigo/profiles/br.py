"""Profile `br`: Brazil's boletins de urna counted into a workspace, one record per contest of each BU.

A BU carries every contest of its section's ballot (`testigo.profiles.bu`).
Its QR codes are parts of one signed text, gathered across photos and
uploads by `testigo.pipeline.bu_ingest`, which checks the chain, the
signature and the sums before anything reaches this profile. Here a whole,
judged BU becomes records:

- **One record per contest.** A contest is one office in one constituency
  (`testigo.profiles.bu.offices`) in one round, keyed
  ``PLEI:TURN:IDEL:CARG:area`` (``406:1:544:1:BR``: election day 406,
  round 1, election 544, office 1, the President, voted in all of Brazil).
  Candidate numbers repeat between constituencies, so a contest is never
  summed across them.
- **The ballot of a contest is built from the BUs** as they arrive: its
  options are the candidate numbers (``"13"``) and, in a proportional
  contest, the parties' label votes (``"legenda 13"``) that any BU listed,
  kept in the workspace's facts (one fact per contest, `BALLOT_FACT`) and
  only ever appended to. A record's counts follow the ballot as it stood
  when it was stored; a shorter list reads as zeros beyond its end.
- **Blank and null votes** are both outside the valid votes (as Brazilian
  law counts them): a record's `null_votes` is their sum, and its `extra`
  keeps each (``blank``, ``null``) with the contest's eligible voters.
- **The payload** of a record is its contest as canonical JSON (section,
  contest, votes per option, blank, null, eligible), so the same contest
  read from two copies of a BU is a duplicate, and a BU of the section with
  other figures a conflict of that contest only.
- **Geography from the BUs**: UF → ``state``, municipality →
  ``municipality``, zone → ``parish``, polling place (``LOCA``) →
  ``center``, section → mesa, with the section's eligible voters (``APTO``)
  as its registered voters. Names are the codes until a table of names is
  imported. A contest's coverage counts the sections of its constituency,
  so a workspace holds one election (both its rounds: they share their
  sections).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from itertools import repeat

from testigo.domain import Area, Candidate, Card, Election, Mesa, Record, Registry
from testigo.profiles.base import CheckContext, PayloadError, Profile
from testigo.profiles.bu.model import Boletim, ContestResult
from testigo.profiles.bu.offices import constituency, office_name
from testigo.profiles.bu.text import is_code, listed_codes

#: Prefix of the workspace facts holding each contest's ballot (JSON: name and options in ballot order).
BALLOT_FACT = "br_ballot:"
#: Prefix of a party's label votes among a contest's options.
LABEL = "legenda "


@dataclass(frozen=True)
class Ballot:
    """One contest's name and options in ballot order (only ever appended to)."""

    name: str
    options: tuple[str, ...]

    @cached_property
    def fact(self) -> str:
        """The ballot as the workspace stores it (`from_fact` reads it back), made once: a stored ballot is
        compared with it for every file."""
        return json.dumps({"name": self.name, "options": list(self.options)}, ensure_ascii=False)

    @cached_property
    def known(self) -> frozenset[str]:
        """The options as a set, made once: every BU's contest asks whether its ballot holds its options."""
        return frozenset(self.options)

    @classmethod
    def from_fact(cls, text: str) -> Ballot:
        data = json.loads(text)
        return cls(str(data["name"]), tuple(str(option) for option in data["options"]))

    def extended(self, options: Iterable[str]) -> Ballot:
        """This ballot with the options it lacks appended, in the order given."""
        new = [option for option in dict.fromkeys(options) if option not in self.known]
        return Ballot(self.name, self.options + tuple(new)) if new else self

    def election(self) -> Election:
        """The ballot as testigo totals it: one candidate and one card per option."""
        names = [option if option.startswith(LABEL) else f"candidate {option}" for option in self.options]
        return Election(
            self.name,
            tuple(Candidate(option, name) for option, name in zip(self.options, names, strict=True)),
            tuple(Card(number, option, option) for number, option in enumerate(self.options, start=1)),
        )


@dataclass(frozen=True)
class ContestSheet:
    """One contest of one judged BU, before it is a record: what the ballot must hold to store it."""

    contest: str
    name: str
    mesa_id: str
    votes: dict[str, int]
    blank: int
    null: int
    eligible: int | None

    def payload(self) -> str:
        data = {
            "contest": self.contest,
            "section": self.mesa_id,
            "votes": self.votes,
            "blank": self.blank,
            "null": self.null,
            "eligible": self.eligible,
        }
        return json.dumps(data, sort_keys=True, separators=(",", ":"))


def contest_key(boletim: Boletim, contest: ContestResult) -> str:
    """``PLEI:TURN:IDEL:CARG:area``: one office in one constituency in one round."""
    area = constituency(boletim, contest.office)
    return f"{boletim.election_day}:{boletim.round}:{contest.election}:{contest.office}:{area}"


def contest_name(boletim: Boletim, contest: ContestResult) -> str:
    area = constituency(boletim, contest.office)
    return f"{office_name(contest.office)} {area}, round {boletim.round} (PLEI {boletim.election_day})"


def options_of(contest: ContestResult) -> dict[str, int]:
    """A contest's votes per option: candidates by number, then each party's label votes, in that order."""
    votes = {str(number): count for number, count in sorted(contest.all_candidates().items())}
    for party in sorted(contest.parties, key=lambda p: p.number):
        votes[f"{LABEL}{party.number}"] = party.label_votes
    return votes


@dataclass(frozen=True)
class PlaceIds:
    """The registry's ids of a section and the areas above it, and its polling place's name by default."""

    uf: str
    municipality: str
    zone: str
    center: str
    center_name: str
    section: str


def place_ids(uf: str, municipality: int, zone: int, section: int, place: str) -> PlaceIds:
    """Ids from a section's codes (numbers, so ``0012`` and ``12`` are one zone): a section without a polling
    place (``LOCA``) is its own center."""
    parish = f"{uf}-{municipality}-{zone}"
    center = f"{parish}-L{place}" if place else f"{parish}-S{section}"
    name = f"local {place}" if place else f"seção {section}"
    return PlaceIds(uf, f"{uf}-{municipality}", parish, center, name, f"{parish}-{section}")


def section_places(boletim: Boletim) -> tuple[list[Area], Mesa]:
    """The areas (UF → municipality → zone → polling place) and the mesa of a BU's section."""
    zone = boletim.zone
    ids = place_ids(boletim.uf, boletim.municipality, zone, boletim.section, boletim.field("LOCA") or "")
    areas = [
        Area(ids.uf, "state", ids.uf, None),
        Area(ids.municipality, "municipality", ids.municipality, ids.uf),
        Area(ids.zone, "parish", f"zona {zone}", ids.municipality),
        Area(ids.center, "center", ids.center_name, ids.zone),
    ]
    return areas, Mesa(ids.section, ids.center, boletim.section, boletim.eligible)


def section_id(boletim: Boletim) -> str:
    """The mesa id of a BU's section: ``UF-municipality-zone-section``."""
    return place_ids(boletim.uf, boletim.municipality, boletim.zone, boletim.section, "").section


def contest_sheets(boletim: Boletim) -> tuple[ContestSheet, ...]:
    """Every contest of a BU, ready to become records once the ballots hold their options."""
    mesa_id = section_id(boletim)
    return tuple(
        ContestSheet(
            contest_key(boletim, contest),
            contest_name(boletim, contest),
            mesa_id,
            options_of(contest),
            contest.blank or 0,
            contest.null or 0,
            contest.eligible if contest.eligible is not None else boletim.eligible,
        )
        for contest in boletim.contests
    )


def _ballots(facts: Mapping[str, str]) -> dict[str, Ballot]:
    """Each contest's ballot among a workspace's facts."""
    prefix = len(BALLOT_FACT)
    return {key[prefix:]: Ballot.from_fact(value) for key, value in facts.items() if key.startswith(BALLOT_FACT)}


def _contest_order(key: str) -> tuple[tuple[int, str], ...]:
    """A contest key's fields as numbers where they are, so that office 3 comes before office 11."""
    return tuple((int(part), "") if part.isdigit() else (0, part) for part in key.split(":"))


class Brazil(Profile):
    name = "br"
    registry_from_data = True
    codes_span_uploads = True
    checks_center_total = False  # a BU's own sums bound its votes (`check`)

    def __init__(self, ballots: Mapping[str, Ballot] | None = None) -> None:
        self.ballots: dict[str, Ballot] = dict(ballots or {})
        self.election = Election("Boletins de urna: no contest counted yet", (), ())

    def for_workspace(self, facts: Mapping[str, str]) -> Profile:
        return Brazil(_ballots(facts))

    def ballot_facts(self) -> dict[str, str]:
        return {BALLOT_FACT + key: ballot.fact for key, ballot in self.ballots.items()}

    def catch_up(self, facts: Mapping[str, str]) -> None:
        """The contests and options other processes' BUs added (`take`)."""
        self.take(_ballots(facts))

    def take(self, ballots: Mapping[str, Ballot]) -> None:
        """Ballots read or grown elsewhere: a ballot only grows, so the longer one wins (one assignment per
        contest: a thread reading `ballots` meanwhile sees the old ballot or the new)."""
        for key, ballot in ballots.items():
            if len(ballot.options) > len(self.ballots.get(key, Ballot("", ())).options):
                self.ballots[key] = ballot

    def contests(self) -> dict[str, str]:
        """Every contest with a ballot, by election day, round, election, office (the President first) and area."""
        return {key: self.ballots[key].name for key in sorted(self.ballots, key=_contest_order)}

    def election_of(self, contest: str) -> Election:
        if contest in self.ballots:
            return self.ballots[contest].election()
        return super().election_of(contest)

    def listed_codes(self, data: bytes) -> list[str] | None:
        return listed_codes(data)

    def contest_area(self, contest: str) -> str | None:
        """The constituency of the contest key: None for ``BR``, else the UF or the municipality, which are
        the registry's area ids (`section_places`)."""
        area = contest.rsplit(":", 1)[-1]
        return None if area in ("BR", "") else area

    def is_code(self, text: str) -> bool:
        """A BU part or an urna-certificate part: a sheet spreads over several of them."""
        return is_code(text)

    def recognises(self, payload: str) -> bool:
        return payload.lstrip().startswith(('{"blank"', "QRBU:", "QRCE:"))

    def parse(self, payload: str) -> Record:
        """A record payload (`ContestSheet.payload`), with its counts in the order of its contest's ballot."""
        try:
            data = json.loads(payload)
            eligible = data["eligible"]
            sheet = ContestSheet(
                str(data["contest"]),
                "",
                str(data["section"]),
                {str(k): int(v) for k, v in data["votes"].items()},
                int(data["blank"]),
                int(data["null"]),
                eligible if isinstance(eligible, int) else None,
            )
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise PayloadError(f"wrong shape: not a contest of a boletim de urna ({error})") from None
        return self.record_of(sheet, payload)

    def record_of(self, sheet: ContestSheet, payload: str | None = None) -> Record:
        """`sheet` as a record, its counts in the order of its contest's ballot; `payload` is its text as
        logged (default: `ContestSheet.payload`). Ingest builds its records here, without the JSON round trip
        of `parse`."""
        ballot = self.ballots.get(sheet.contest)
        if ballot is None:
            raise PayloadError(f"contest {sheet.contest} has no ballot in this workspace")
        if not ballot.known.issuperset(sheet.votes):
            unknown = sorted(set(sheet.votes) - ballot.known)
            raise PayloadError(f"options {', '.join(unknown)} are not on the ballot of contest {sheet.contest}")
        counts = tuple(map(sheet.votes.get, ballot.options, repeat(0)))  # a state's ballot: hundreds of options
        extra: dict[str, int | str] = {"blank": sheet.blank, "null": sheet.null}
        if sheet.eligible is not None:
            extra["eligible"] = sheet.eligible
        text = sheet.payload() if payload is None else payload
        mesa_id = sheet.mesa_id
        return Record(
            self.name, mesa_id, mesa_id, counts, sheet.blank + sheet.null, text, extra=extra, contest=sheet.contest
        )

    def encode(
        self, acta_id: str, counts: list[int], null_votes: int, extra: dict[str, int | str] | None = None
    ) -> str:
        """The payload of contest ``extra["contest"]`` with these counts (ballot order); blank votes from
        ``extra["blank"]``, the rest of `null_votes` null."""
        extra = extra or {}
        contest = str(extra.get("contest", ""))
        ballot = self.ballots.get(contest)
        if ballot is None:
            raise PayloadError(f"contest {contest!r} has no ballot in this workspace")
        blank = int(extra.get("blank", 0))
        eligible = extra.get("eligible")
        votes = dict(zip(ballot.options, counts, strict=True))
        known = eligible if isinstance(eligible, int) else None
        return ContestSheet(contest, ballot.name, acta_id, votes, blank, null_votes - blank, known).payload()

    def load_registry(self) -> Registry:
        return Registry()  # built from the BUs as they arrive (`section_places`)

    def check(self, record: Record, ctx: CheckContext) -> list[str]:
        """A contest of a BU whose chain, signature and sums were checked already
        (`testigo.profiles.bu.arithmetic` holds the exact sums, votes against
        eligible voters included): its section must be known, its counts fit
        its ballot and none be negative."""
        problems: list[str] = []
        if record.contest not in self.ballots:
            problems.append(f"contest {record.contest} has no ballot in this workspace")
        elif len(record.counts) > len(self.ballots[record.contest].options):
            problems.append(f"{len(record.counts)} counts for a ballot of {len(self.ballots[record.contest].options)}")
        if min(record.counts, default=0) < 0 or record.null_votes < 0:
            problems.append("negative counts")
        if record.mesa_id not in ctx.registry.mesas:
            problems.append(f"unknown section {record.mesa_id}")
        return problems
