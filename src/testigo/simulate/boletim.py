"""A synthetic Brazilian general election, section by section, as the urnas' boletins de urna (BU) carry it.

Brazil's general elections (2018, 2022) put five contests on one ballot:
President (office ``CARG`` 1, a federal election of its own ``IDEL``) and,
in a state election, Governor (3), Senator (5), Federal deputy (6) and State
deputy (7). The majoritarian offices are voted by candidate number; the
proportional ones by candidate or by party label (``LEGP``), so their BU
blocks list each party (``PART``) with its candidates' votes, its label
votes and its total (``TOTP``). Every block closes with eligible, nominal,
label, blank, null and total votes; a two-seat Senate race (2018) gives each
voter two votes, so its total is twice the turnout.

Everything here is invented but shaped like the real thing (see
``shared/data/br/README.md`` and the BUs in its ``vectors``): states are the
27 real UFs; municipalities get 5-digit codes and made-up names; zones are
numbered within their UF, sections within their zone; parties take two-digit
numbers, and candidates the numbers the TSE gives them: the party's number
for President and Governor, plus one digit for Senator, two for Federal and
three for State deputy. Every figure is drawn so that the arithmetic holds
exactly (APTO = COMP + FALT; per contest, candidates + label + blank + null
= total = turnout x seats).

The geography and the candidates come from the seed once (`draw_election`);
each section's results come from the seed and the section's index alone
(`draw_boletim`), so half a million sections can be drawn lazily, in any
order, and always give the same BU.

BUs are signed with a test key per UF derived from the seed
(`signing_key`), named like the TSE's keys but for the simulated phase
(``FASE:S``, ``{VRCH}/LEGAL/s{uf}qrcode.pub``) and with a key version
(``VRCH``) dated 1 January, a date no TSE key bears: a simulated BU can
never pass for one signed with an official key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from testigo.errors import UserError
from testigo.profiles.bu.model import ContestKind, ContestResult, Fields
from testigo.profiles.bu.text import MAX_DATA_CHARS, MAX_PARTS, build_contest, contest_tokens, write_parts

#: The 27 federative units (26 states and the Federal District) whose BUs carry ``UNFE``.
UFS = (
    "AC", "AL", "AM", "AP", "BA", "CE", "DF", "ES", "GO", "MA", "MG", "MS", "MT", "PA",
    "PB", "PE", "PI", "PR", "RJ", "RN", "RO", "RR", "RS", "SC", "SE", "SP", "TO",
)  # fmt: skip
#: Offices (``CARG``) of a general election, in the order the 2018 BUs list them.
PRESIDENT, GOVERNOR, SENATOR, FEDERAL_DEPUTY, STATE_DEPUTY = 1, 3, 5, 6, 7
OFFICE_NAMES = {
    PRESIDENT: "PRESIDENTE",
    GOVERNOR: "GOVERNADOR",
    SENATOR: "SENADOR",
    FEDERAL_DEPUTY: "DEPUTADO FEDERAL",
    STATE_DEPUTY: "DEPUTADO ESTADUAL",
}
MAJORITARIAN, PROPORTIONAL = ContestKind.MAJORITARIAN, ContestKind.PROPORTIONAL
#: Election days of the general elections simulated (first round, second round), and seats each voter
#: fills in the Senate (two thirds of it were renewed in 2018, one third in 2022).
ELECTION_DAYS = {2018: ("20181007", "20181028"), 2022: ("20221002", "20221030")}
SENATE_SEATS = {2018: 2, 2022: 1}
#: Format version of the QR codes (2018-2024).
FORMAT_VERSION = "1.5"
#: Eligible voters of a section: real ones hold a few dozen to about 500.
ELIGIBLE_RANGE = (40, 480)
#: Proportional votes that go to the party label rather than a candidate.
LABEL_SHARE = (0.03, 0.15)

#: Digits after the party's number in a candidate's number, per office.
_SUFFIX_DIGITS = {PRESIDENT: 0, GOVERNOR: 0, SENATOR: 1, FEDERAL_DEPUTY: 2, STATE_DEPUTY: 3}
#: Most characters of a BU's header, of a contest block without its candidates, and of one token.
_HEADER_CHARS, _BLOCK_CHARS, _LONGEST_TOKEN = 320, 90, 40
_GEOGRAPHY_STREAM, _CANDIDATE_STREAM, _SECTION_STREAM, _KEY_DOMAIN = 1, 2, 3, b"testigo simulated BU test key"
_NAME_PREFIXES = ("SAO ", "SANTA ", "NOVA ", "PORTO ", "BOM JESUS DO ", "BARRA DO ", "VILA ", "", "", "", "")
_SYLLABLES = ("ITA", "PI", "RA", "GUA", "TU", "BA", "JU", "CA", "MA", "RI", "PO", "TI", "NGA", "CU", "RU", "BI", "TA")
_GIVEN = (
    "ANA", "MARIA", "JOSE", "JOAO", "ANTONIO", "FRANCISCA", "CARLOS", "PAULO", "LUCAS", "MARCOS", "LUIZ",
    "PEDRO", "RITA", "SANDRA", "FERNANDO", "JULIANA", "RAIMUNDO", "TEREZA", "EDSON", "CLAUDIA",
)  # fmt: skip
_FAMILY = (
    "SILVA", "SANTOS", "OLIVEIRA", "SOUZA", "RODRIGUES", "FERREIRA", "ALVES", "PEREIRA", "LIMA", "GOMES",
    "COSTA", "RIBEIRO", "MARTINS", "CARVALHO", "ARAUJO", "MELO", "BARBOSA", "CARDOSO", "ROCHA", "DIAS",
)  # fmt: skip


@dataclass(frozen=True)
class Party:
    """A party: its two-digit number (the prefix of its candidates' numbers) and its acronym."""

    number: int
    acronym: str


@dataclass(frozen=True)
class Candidate:
    """A candidate of one contest: the number voters type, the name on the ballot, the party."""

    number: int
    name: str
    party: int


@dataclass(frozen=True)
class Contest:
    """One office on one state's ballot: its ``CARG``, ``TIPO``, seats, election id and candidates.

    `popularity` holds each candidate's (or, proportional, each party's)
    expected share, around which each section's results vary.
    """

    office: int
    kind: ContestKind  # TIPO
    seats: int
    election: int  # IDEL
    version: str  # VERC: when the candidate data were generated
    candidates: tuple[Candidate, ...]
    popularity: tuple[float, ...]  # per candidate (majoritarian) or per party (proportional)
    within: tuple[float, ...] = ()  # proportional: each candidate's share of its party's nominal votes

    @property
    def name(self) -> str:
        return OFFICE_NAMES[self.office]

    @cached_property
    def parties(self) -> tuple[int, ...]:
        """The parties with candidates in this contest, in number order."""
        return tuple(sorted({candidate.party for candidate in self.candidates}))

    @cached_property
    def members(self) -> dict[int, tuple[int, ...]]:
        """Each party's candidates, as indexes into `candidates`."""
        return {party: tuple(i for i, c in enumerate(self.candidates) if c.party == party) for party in self.parties}


@dataclass(frozen=True)
class Municipality:
    """A municipality: its TSE code, its (invented) name and the zone its sections belong to."""

    code: int  # MUNI
    name: str
    zone: int  # ZONA: the electoral zone that holds it (zones are numbered within the UF)


@dataclass(frozen=True)
class Section:
    """Where a BU comes from: state, municipality, zone, section and polling place (``LOCA``)."""

    index: int
    uf: str
    municipality: Municipality
    number: int  # SECA, numbered within the zone
    location: int  # LOCA

    @property
    def zone(self) -> int:
        return self.municipality.zone


@dataclass(frozen=True)
class ContestVotes:
    """One contest's figures in one section, as its BU block states them.

    `votes` maps candidate numbers to votes (every candidate, zero included);
    `label` maps party numbers to party-label votes (proportional only).
    """

    contest: Contest
    eligible: int  # APTA
    votes: dict[int, int]
    label: dict[int, int]
    blank: int
    null: int

    @property
    def nominal(self) -> int:  # NOMI
        return sum(self.votes.values())

    @property
    def label_total(self) -> int:  # LEGC
        return sum(self.label.values())

    @property
    def total(self) -> int:  # TOTC
        return self.nominal + self.label_total + self.blank + self.null

    def party_total(self, party: int) -> int:  # TOTP
        candidates = self.contest.candidates
        return sum(self.votes[candidates[i].number] for i in self.contest.members[party]) + self.label.get(party, 0)

    def contest_result(self) -> ContestResult:
        """The block as the urna writes it (only candidates and parties with votes), totals computed by the codec."""
        contest = self.contest
        numbers = {party: [contest.candidates[i].number for i in members] for party, members in contest.members.items()}
        parties = [
            (party, {number: self.votes[number] for number in numbers[party]}, self.label[party])
            for party in self.label
            if self.party_total(party)
        ]
        return build_contest(
            contest.election,
            contest.office,
            contest.kind,
            candidates_version=contest.version,
            eligible=self.eligible,
            blank=self.blank,
            null=self.null,
            candidates=self.votes if contest.kind is MAJORITARIAN else None,
            parties=parties,
            version=FORMAT_VERSION,
        )


@dataclass(frozen=True)
class SimulatedBoletim:
    """One section's BU: where it comes from, its header figures and every contest's result (the truth).

    `header` holds the section's ``KEY:VALUE`` pairs in the order the urna
    writes them (origin, process, dates, geography, urna, turnout, opening
    and closing times); `fields` are all the BU's data tokens, before they
    are cut into parts and chained (`qr_texts`).
    """

    section: Section
    header: Fields
    results: tuple[ContestVotes, ...]

    @property
    def eligible(self) -> int:  # APTO
        return int(self.field("APTO"))

    @property
    def turnout(self) -> int:  # COMP
        return int(self.field("COMP"))

    @property
    def absent(self) -> int:  # FALT
        return int(self.field("FALT"))

    def field(self, key: str) -> str:
        """A header field's value (``UNFE``, ``MUNI``, ``APTO``...); KeyError when the header lacks it."""
        return dict(self.header)[key]

    @property
    def fields(self) -> Fields:
        """Every ``(KEY, VALUE)`` token of the BU's data, in order, as the QR parts carry them joined."""
        return self.header + contest_tokens([result.contest_result() for result in self.results])

    @property
    def content(self) -> str:
        """The BU's data as one text (the parts' data joined with single spaces)."""
        return " ".join(f"{key}:{value}" for key, value in self.fields)


@dataclass(frozen=True, eq=False)  # its arrays have no truth value: an election equals only itself
class BuElection:
    """A simulated general election: its dates, parties, each state's contests and the sections of the country.

    Sections are numbered 0 .. `sections` - 1 in UF, zone and section order;
    `draw_boletim` draws any of them. `key_version` is the ``VRCH`` its BUs
    carry (see the module's docstring).
    """

    seed: int
    year: int
    turn: int
    parties: tuple[Party, ...]
    contests: dict[str, tuple[Contest, ...]]  # per UF, in BU order
    municipalities: dict[str, tuple[Municipality, ...]]
    section_ufs: np.ndarray  # per section: index into UFS
    section_municipalities: np.ndarray  # per section: index into its UF's municipalities
    section_numbers: np.ndarray  # per section: SECA
    section_locations: np.ndarray  # per section: LOCA
    process: int  # PROC
    election_day: int  # PLEI

    @property
    def sections(self) -> int:
        return int(self.section_ufs.size)

    @property
    def date(self) -> str:
        """The election day as ``DTPL`` writes it (yyyymmdd)."""
        return ELECTION_DAYS[self.year][self.turn - 1]

    @property
    def key_version(self) -> str:
        """``VRCH``: dated 1 January of the election year, a date no TSE key version bears."""
        return f"{self.year}0101"

    def section(self, index: int) -> Section:
        if not 0 <= index < self.sections:
            raise IndexError(f"section {index} out of 0..{self.sections - 1}")
        uf = UFS[int(self.section_ufs[index])]
        municipality = self.municipalities[uf][int(self.section_municipalities[index])]
        return Section(index, uf, municipality, int(self.section_numbers[index]), int(self.section_locations[index]))

    def key_name(self, uf: str) -> str:
        """The file name the TSE would give the key of `uf`'s BUs in this (simulated) phase."""
        return f"{self.key_version}/LEGAL/s{uf.lower()}qrcode.pub"

    def signing_key(self, uf: str) -> Ed25519PrivateKey:
        return signing_key(self.seed, uf)

    def public_keys(self) -> dict[str, bytes]:
        """Every UF's test public key (32 raw bytes, as the TSE publishes its keys) by `key_name`."""
        return {self.key_name(uf): public_key_bytes(self.signing_key(uf)) for uf in self.contests}

    def boletins(self) -> Iterator[SimulatedBoletim]:
        """Every section's BU, in section order (drawn lazily)."""
        return (draw_boletim(self, index) for index in range(self.sections))


def qr_texts(election: BuElection, boletim: SimulatedBoletim, *, limit: int = MAX_DATA_CHARS) -> tuple[str, ...]:
    """The BU's QR texts as the urna prints them: its data cut into parts, chained, signed with the UF's test key.

    `limit` is the data a part carries (the urna's; a smaller one spreads a
    BU over more parts, up to the nine a BU may have).
    """
    key = election.signing_key(boletim.section.uf)
    return write_parts(
        boletim.fields, format_version=FORMAT_VERSION, key_version=election.key_version, sign=key.sign, limit=limit
    )


def signing_key(seed: int, uf: str) -> Ed25519PrivateKey:
    """The Ed25519 test key of `uf`'s simulated BUs: its 32-byte seed is SHA-256 of a domain, the seed and the UF."""
    material = hashlib.sha256(_KEY_DOMAIN + f":{seed}:{uf.upper()}".encode("ascii")).digest()
    return Ed25519PrivateKey.from_private_bytes(material)


def public_key_bytes(key: Ed25519PrivateKey) -> bytes:
    """The raw 32-byte public key, the form of the TSE's ``*qrcode.pub`` files."""
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def draw_election(
    seed: int,
    sections: int,
    *,
    ufs: tuple[str, ...] = UFS,
    year: int = 2022,
    turn: int = 1,
    parties: int = 14,
    federal_per_party: int = 8,
    state_per_party: int = 12,
) -> BuElection:
    """The geography, parties and candidates of an election with `sections` sections spread over `ufs`.

    The second round (`turn` 2) has President and Governor only, two
    candidates each. `parties`, `federal_per_party` and `state_per_party` set
    the size of the proportional contests, hence how many QR parts a BU needs
    (the defaults: two to four parts); `UserError` says why parameters are
    refused, among them sizes whose BUs could need more than nine parts.
    """
    if year not in ELECTION_DAYS:
        raise UserError(f"no general election in {year}; one of {', '.join(map(str, ELECTION_DAYS))}")
    if turn not in (1, 2):
        raise UserError(f"a round is 1 or 2, not {turn}")
    if sections < 1 or not ufs or not set(ufs) <= set(UFS):
        raise UserError("need at least one section and known UFs")
    if not 2 <= parties <= 80 or not 1 <= federal_per_party <= 99 or not 1 <= state_per_party <= 999:
        raise UserError("need 2 to 80 parties, 1 to 99 federal and 1 to 999 state deputies per party")
    rng = np.random.default_rng([seed, _GEOGRAPHY_STREAM])
    numbers = np.sort(rng.choice(np.arange(10, 100), size=parties, replace=False))
    party_list = tuple(Party(int(n), _acronym(rng)) for n in numbers)
    uf_order = tuple(sorted(set(ufs), key=UFS.index))
    weights = rng.lognormal(0, 0.8, size=len(uf_order))
    per_uf = _spread(sections, weights, rng)
    # municipality codes, more than enough: a state has one municipality per section at most
    codes = rng.choice(np.arange(1000, 100_000), size=min(sections, 99_000), replace=False)
    columns: list[list[int]] = [[], [], [], []]
    municipalities: dict[str, tuple[Municipality, ...]] = {}
    for uf, count in zip(uf_order, per_uf, strict=True):
        if count == 0:
            continue
        towns, sections_of = _municipalities(int(count), codes, rng)
        codes = codes[len(towns) :]
        municipalities[uf] = towns
        _number_sections(UFS.index(uf), towns, sections_of, columns, rng)
    contests = {
        uf: _contests(seed, uf, party_list, year, turn, federal_per_party, state_per_party) for uf in municipalities
    }
    room = MAX_PARTS * (MAX_DATA_CHARS - _LONGEST_TOKEN)
    if max(_longest_data(ballot) for ballot in contests.values()) > room:
        raise UserError("so many candidates could fill more than the 9 QR codes a BU may have; draw fewer")
    ufs_of, towns_of, numbers, locations = (np.array(column, dtype=np.int32) for column in columns)
    return BuElection(
        seed,
        year,
        turn,
        party_list,
        contests,
        municipalities,
        section_ufs=ufs_of,
        section_municipalities=towns_of,
        section_numbers=numbers,
        section_locations=locations,
        process=int(rng.integers(100, 9000)),
        election_day=int(rng.integers(100, 9000)),
    )


def draw_boletim(election: BuElection, index: int) -> SimulatedBoletim:
    """Section `index`'s BU: its turnout and every contest's votes, from the seed and the index alone."""
    section = election.section(index)
    rng = np.random.default_rng([election.seed, _SECTION_STREAM, index])
    eligible = int(rng.integers(*ELIGIBLE_RANGE, endpoint=True))
    turnout = int(rng.binomial(eligible, rng.uniform(0.7, 0.9)))
    contests = election.contests[section.uf]
    results = tuple(_result(contest, eligible, turnout, rng) for contest in contests)
    opened = f"{8 if election.year < 2022 else 7:02d}{int(rng.integers(0, 3)):02d}{int(rng.integers(0, 60)):02d}"
    closed = f"17{int(rng.integers(0, 20)):02d}{int(rng.integers(0, 60)):02d}"
    header = (
        ("ORIG", "VOTA"),
        ("ORLC", "LEG"),
        ("PROC", str(election.process)),
        ("DTPL", election.date),
        ("PLEI", str(election.election_day)),
        ("TURN", str(election.turn)),
        ("FASE", "S"),
        ("UNFE", section.uf),
        ("MUNI", str(section.municipality.code)),
        ("ZONA", str(section.zone)),
        ("SECA", str(section.number)),
        ("IDUE", str(int(rng.integers(1_000_000, 2_400_000)))),
        ("IDCA", "".join(str(d) for d in rng.integers(0, 10, size=24))),
        ("VERS", "6.32.0.4" if election.year == 2018 else "8.26.0.0"),
        ("LOCA", str(section.location)),
        ("APTO", str(eligible)),
        ("COMP", str(turnout)),
        ("FALT", str(eligible - turnout)),
        ("HBMA", str(int(rng.binomial(turnout, 0.05)))),
        ("DTAB", election.date),
        ("HRAB", opened),
        ("DTFC", election.date),
        ("HRFC", closed),
    )
    return SimulatedBoletim(section, header, results)


# --- geography -----------------------------------------------------------------------------------


def _spread(total: int, weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """`total` split over len(`weights`) bins in proportion to the weights (a bin may get none)."""
    counts: np.ndarray = rng.multinomial(total, weights / weights.sum())
    return counts


def _municipalities(
    count: int, codes: np.ndarray, rng: np.random.Generator
) -> tuple[tuple[Municipality, ...], np.ndarray]:
    """A state's municipalities (about 40 sections each, unevenly) and the sections of each."""
    towns = max(1, min(count, round(count / 40)))
    sections_of = 1 + _spread(count - towns, rng.lognormal(0, 1.0, size=towns), rng)
    zones = max(1, round(towns / 3))
    names: set[str] = set()
    result = []
    for i in range(towns):
        name = _place_name(rng)
        while name in names:
            name = _place_name(rng)
        names.add(name)
        result.append(Municipality(int(codes[i]), name, 1 + i * zones // towns))
    return tuple(result), sections_of


def _number_sections(
    uf: int,
    towns: tuple[Municipality, ...],
    sections_of: np.ndarray,
    columns: list[list[int]],
    rng: np.random.Generator,
) -> None:
    """Append the sections of one state: numbered from 1 within each zone, about eight per polling place."""
    next_section: dict[int, int] = {}
    next_location: dict[int, int] = {}
    for i, (town, count) in enumerate(zip(towns, sections_of, strict=True)):
        for k in range(int(count)):
            number = next_section.get(town.zone, 1)
            next_section[town.zone] = number + 1
            if k % int(rng.integers(4, 13)) == 0 or town.zone not in next_location:
                next_location[town.zone] = next_location.get(town.zone, 1000) + int(rng.integers(1, 30))
            for column, value in zip(columns, (uf, i, number, next_location[town.zone]), strict=True):
                column.append(value)


def _place_name(rng: np.random.Generator) -> str:
    prefix = _NAME_PREFIXES[int(rng.integers(0, len(_NAME_PREFIXES)))]
    stem = "".join(_SYLLABLES[int(i)] for i in rng.integers(0, len(_SYLLABLES), size=int(rng.integers(2, 5))))
    return prefix + stem


def _acronym(rng: np.random.Generator) -> str:
    letters = "ABCDELMNORSTV"
    return "P" + "".join(letters[int(i)] for i in rng.integers(0, len(letters), size=int(rng.integers(1, 4))))


# --- candidates ----------------------------------------------------------------------------------


def _contests(
    seed: int, uf: str, parties: tuple[Party, ...], year: int, turn: int, federal: int, state: int
) -> tuple[Contest, ...]:
    """`uf`'s ballot, in the order the 2018 BUs list it: the state election's offices, then President.

    The President's candidates are drawn once for the country (the same
    stream for every UF); the others per UF.
    """
    national = np.random.default_rng([seed, _CANDIDATE_STREAM, len(UFS)])
    local = np.random.default_rng([seed, _CANDIDATE_STREAM, UFS.index(uf)])
    federal_election, state_election = 3000 + year % 100 * 2 - 1, 3000 + year % 100 * 2
    federal_ballot = (federal_election, f"{year}08301239")
    state_ballot = (state_election, f"{year}08301320")
    runners = 2 if turn == 2 else None
    president = _majoritarian(PRESIDENT, parties, runners or int(national.integers(4, 12)), 1, federal_ballot, national)
    governor = _majoritarian(GOVERNOR, parties, runners or int(local.integers(3, 9)), 1, state_ballot, local)
    if turn == 2:
        return governor, president
    senate = _majoritarian(SENATOR, parties, int(local.integers(3, 9)), SENATE_SEATS[year], state_ballot, local)
    return (
        _proportional(FEDERAL_DEPUTY, parties, federal, state_ballot, local),
        _proportional(STATE_DEPUTY, parties, state, state_ballot, local),
        senate,
        governor,
        president,
    )


def _majoritarian(
    office: int,
    parties: tuple[Party, ...],
    count: int,
    seats: int,
    ballot: tuple[int, str],
    rng: np.random.Generator,
) -> Contest:
    """`count` candidates of distinct parties, numbered with the party's number (Senate: and one digit more)."""
    digits = _SUFFIX_DIGITS[office]
    chosen = sorted(rng.choice(len(parties), size=min(count, len(parties)), replace=False))
    candidates = tuple(
        Candidate(parties[i].number * 10**digits + int(rng.integers(0, 10**digits)), _person(rng), parties[i].number)
        for i in chosen
    )
    return Contest(office, MAJORITARIAN, seats, *ballot, candidates, _shares(len(candidates), 1.2, rng))


def _proportional(
    office: int, parties: tuple[Party, ...], per_party: int, ballot: tuple[int, str], rng: np.random.Generator
) -> Contest:
    """Every party with half to all of `per_party` candidates, numbered with the party's number and 2 or 3 digits.

    `popularity` is per party; within a party a few candidates take most of
    the votes (a Zipf-like profile in a random order).
    """
    digits = _SUFFIX_DIGITS[office]
    candidates: list[Candidate] = []
    within: list[float] = []
    for party in parties:
        count = int(rng.integers(max(1, per_party // 2), per_party + 1))
        suffixes = np.sort(rng.choice(np.arange(1, 10**digits), size=count, replace=False))
        candidates += [Candidate(party.number * 10**digits + int(s), _person(rng), party.number) for s in suffixes]
        zipf = rng.permutation(1.0 / np.arange(1, count + 1) ** 1.3)
        within += (zipf / zipf.sum()).tolist()
    popularity = _shares(len(parties), 0.8, rng)
    return Contest(office, PROPORTIONAL, 1, *ballot, tuple(candidates), popularity, tuple(within))


def _longest_data(ballot: tuple[Contest, ...]) -> int:
    """The most characters a BU of this ballot can hold: every vote for another candidate, every count 3 digits."""
    worst = _HEADER_CHARS + 2 * len("IDEL:3044 ")
    for contest in ballot:
        worst += _BLOCK_CHARS
        listed = len(contest.candidates)
        if contest.kind is PROPORTIONAL:
            worst += len(contest.parties) * len("PART:10 LEGP:480 TOTP:480 ")
            listed = min(listed, ELIGIBLE_RANGE[1] * contest.seats)
        worst += listed * len(f"{contest.candidates[0].number}:480 ")
    return worst


def _shares(count: int, spread: float, rng: np.random.Generator) -> tuple[float, ...]:
    weights = rng.lognormal(0, spread, size=count)
    return tuple(float(w) for w in weights / weights.sum())


def _person(rng: np.random.Generator) -> str:
    given = _GIVEN[int(rng.integers(0, len(_GIVEN)))]
    family = _FAMILY[int(rng.integers(0, len(_FAMILY)))]
    return f"{given} {family}"


# --- results -------------------------------------------------------------------------------------


def _result(contest: Contest, eligible: int, turnout: int, rng: np.random.Generator) -> ContestVotes:
    """One contest's votes in a section: blank and null shares, the rest around the contest's popularity."""
    votes_cast = turnout * contest.seats
    blank = int(rng.binomial(votes_cast, rng.uniform(0.01, 0.06)))
    null = int(rng.binomial(votes_cast - blank, rng.uniform(0.02, 0.07)))
    valid = votes_cast - blank - null
    local = rng.dirichlet(np.array(contest.popularity) * 40 + 0.05)
    votes: dict[int, int] = {}
    if contest.kind == MAJORITARIAN:
        counts = (
            rng.multinomial(valid, local)
            if contest.seats == 1
            else _distinct(valid, turnout, contest.seats, local, rng)
        )
        votes = {c.number: int(n) for c, n in zip(contest.candidates, counts, strict=True)}
        return ContestVotes(contest, eligible, votes, {}, blank, null)
    party_votes = rng.multinomial(valid, local)
    labels = rng.binomial(party_votes, rng.uniform(*LABEL_SHARE, size=len(party_votes)))
    for members, nominal in zip(contest.members.values(), party_votes - labels, strict=True):
        shares = np.array([contest.within[i] for i in members])
        counts = rng.multinomial(int(nominal), shares / shares.sum())
        votes |= {contest.candidates[i].number: int(n) for i, n in zip(members, counts, strict=True)}
    label = {party: int(n) for party, n in zip(contest.parties, labels, strict=True)}
    return ContestVotes(contest, eligible, votes, label, blank, null)


def _distinct(valid: int, turnout: int, seats: int, shares: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Votes per candidate when each voter fills `seats` seats, never twice with one candidate.

    The `valid` votes go to random voters' seats (the others were blank or
    null); each voter ranks the candidates by `shares` plus chance (Gumbel
    noise: a draw without replacement) and votes for the first ones. No
    candidate gets more votes than voters came, as on a real two-seat ballot.
    """
    filled = np.bincount(rng.choice(turnout * seats, size=valid, replace=False) // seats, minlength=turnout)
    ranking = np.argsort(-(np.log(np.maximum(shares, 1e-12)) + rng.gumbel(size=(turnout, len(shares)))), axis=1)[
        :, :seats
    ]
    counts: np.ndarray = np.bincount(ranking[np.arange(seats) < filled[:, None]], minlength=len(shares))
    return counts
