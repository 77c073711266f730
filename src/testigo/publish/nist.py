"""The results as a NIST SP 1500-100 v2 Election Results Common Data Format report (JSON).

Election offices and results aggregators read this format, so the bundle can
feed their tools directly. The report is precinct-level: each mesa is a
``precinct`` GpUnit, composed into its center (``polling-place``), parish,
municipality, state and the country; each candidate is a CandidateSelection
whose VoteCounts give its votes in each mesa, and each mesa's SummaryCounts
give the ballots cast (valid + null: null votes are BallotsCast minus the sum
of the selections). Every object carries the ``@type`` and the properties the
NIST JSON schema requires. Per-card counts are in data/mesas.*, not here: the
format has no notion of several ballot cards for one candidate.

A bundle of several contests (profile ``br``) lists every contest in the one
report, each with its ElectoralDistrictId (the whole country, a state or a
municipality) and its own selections: a candidate is a CandidateSelection, a
party's label votes (``legenda 13``) a PartySelection, and null votes are
blank plus null. VotesAllowed is 1 for every contest: a boletim does not state
the seats a contest fills (two for the Senate in some years), and the
per-precinct counts are exact either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from testigo import __version__
from testigo.domain import Election
from testigo.profiles.br import LABEL
from testigo.publish.layout import contest_folder
from testigo.publish.model import Publication

_NS = "ElectionResults."

#: The ReportingUnitType of each level of the geography (parish has none of its own).
_UNIT_TYPES: dict[str, tuple[str, str | None]] = {
    "country": ("country", None),
    "state": ("state", None),
    "municipality": ("municipality", None),
    "parish": ("other", "parish"),
    "center": ("polling-place", None),
    "mesa": ("precinct", None),
}


@dataclass(frozen=True)
class ElectionFacts:
    """What the report needs and the profile's Election does not (yet) say."""

    date: str
    country: str
    contest: str
    language: str


_FACTS: dict[str, ElectionFacts] = {
    "ve2024": ElectionFacts("2024-07-28", "Venezuela", "Presidencia de la República", "es"),
}


def _imported_facts(publication: Publication) -> ElectionFacts:
    """Facts for a ballot imported from a table (``generic``), which names no date, country or language.

    The date is that of the latest logged data, so the report stays derivable
    from the log alone; it is not claimed to be the election's date.
    """
    as_of = (publication.data_as_of or "1970-01-01")[:10]
    return ElectionFacts(as_of, "", publication.ballot.name, "und")


def unit_id(level: str, area_id: str) -> str:
    """The GpUnit @id of an area (an XML NCName: starts with a letter)."""
    return "gpu-country" if level == "country" else f"gpu-{level}-{area_id}"


def election_report(publications: Sequence[Publication], origin: str) -> dict[str, Any]:
    """The ElectionReport of the mesas with an accepted acta, every contest; `origin` (the log's name) is the
    issuer."""
    publication = publications[0]
    facts = _FACTS.get(publication.profile.name) or _imported_facts(publication)
    several = any(p.contest for p in publications)
    contests = [_Contest(p, index, several) for index, p in enumerate(publications, start=1)]
    return {
        "@type": _NS + "ElectionReport",
        "Format": "precinct-level",
        "GeneratedDate": publication.data_as_of or f"{facts.date}T00:00:00+00:00",
        "Issuer": origin,
        "IssuerAbbreviation": "testigo",
        "VendorApplicationId": f"testigo {__version__}",
        "Status": "unofficial-partial",
        "SequenceStart": 1,
        "SequenceEnd": 1,
        "Notes": (
            "Per-mesa results decoded from the QR codes of tally-sheet images, each recorded in a signed, "
            "tamper-evident log (see log/ in the same bundle). Null votes = BallotsCast - sum of VoteCounts."
        ),
        "GpUnit": _units(publications, facts),
        "Party": [party for contest in contests for party in contest.parties(facts)],
        "Election": [
            {
                "@type": _NS + "Election",
                "Name": _text(_SEVERAL if several else publication.ballot.name, facts),
                "Type": "general",
                "StartDate": facts.date,
                "EndDate": facts.date,
                "ElectionScopeId": unit_id("country", ""),
                "Candidate": [candidate for contest in contests for candidate in contest.candidates(facts)],
                "Contest": [contest.document(facts) for contest in contests],
            }
        ],
    }


#: The Election's name in a report of several contests.
_SEVERAL = "Boletins de urna"


class _Contest:
    """One contest of the report: its ids, selections and counts.

    A one-contest report keeps the ids it always had (``contest-1``,
    ``candidate-<key>``, ``party-<card>``); with several contests every id
    carries the contest's folder (`contest_prefix`), and an option its place
    on the ballot, since keys such as ``legenda 13`` are not XML names.
    """

    def __init__(self, publication: Publication, index: int, several: bool) -> None:
        self.pub, self.several = publication, several
        self.ballot: Election = publication.ballot
        self.tag = contest_folder(publication.contest) if several else ""
        self.id = f"contest-{self.tag}" if several else f"contest-{index}"
        self.results = list(publication.mesas.values())

    def option_id(self, kind: str, key: str) -> str:
        if not self.several:
            return f"{kind}-{key}"
        return f"{kind}-{self.tag}-{self.ballot.candidate_keys().index(key) + 1}"

    def is_party(self, key: str) -> bool:
        return self.several and key.startswith(LABEL)

    def candidates(self, facts: ElectionFacts) -> list[dict[str, Any]]:
        return [
            {"@type": _NS + "Candidate", "@id": self.option_id("candidate", c.key), "BallotName": _text(c.name, facts)}
            for c in self.ballot.candidates
            if not self.is_party(c.key)
        ]

    def parties(self, facts: ElectionFacts) -> list[dict[str, Any]]:
        """Each card's party (one-contest), or each party whose label votes the contest counts."""
        if self.several:
            return [
                {
                    "@type": _NS + "Party",
                    "@id": self.option_id("party", c.key),
                    "Abbreviation": c.key.removeprefix(LABEL),
                    "Name": _text(c.name, facts),
                }
                for c in self.ballot.candidates
                if self.is_party(c.key)
            ]
        return [
            {
                "@type": _NS + "Party",
                "@id": f"party-{card.number}",
                "Abbreviation": card.party,
                "Name": _text(card.party, facts),
            }
            for card in self.ballot.cards
        ]

    def document(self, facts: ElectionFacts) -> dict[str, Any]:
        election = self.ballot
        votes = [election.per_candidate(r.record.counts) for r in self.results]
        selections = []
        for order, candidate in enumerate(election.candidates, start=1):
            counts = [
                {
                    "@type": _NS + "VoteCounts",
                    "GpUnitId": unit_id("mesa", r.mesa.id),
                    "Type": "total",
                    "Count": by_candidate[candidate.key],
                }
                for r, by_candidate in zip(self.results, votes, strict=True)
            ]
            selection: dict[str, Any] = {"@id": self.option_id("selection", candidate.key), "SequenceOrder": order}
            if self.is_party(candidate.key):
                party = self.option_id("party", candidate.key)
                selection.update({"@type": _NS + "PartySelection", "PartyIds": [party]})
            else:
                endorsing = [] if self.several else [c for c in election.cards if c.candidate == candidate.key]
                selection.update(
                    {
                        "@type": _NS + "CandidateSelection",
                        "CandidateIds": [self.option_id("candidate", candidate.key)],
                        "EndorsementPartyIds": [f"party-{card.number}" for card in endorsing],
                    }
                )
            selections.append({**selection, "VoteCounts": counts})
        return {
            "@type": _NS + "CandidateContest",
            "@id": self.id,
            "Name": election.name if self.several else facts.contest,
            "ElectoralDistrictId": self._district(),
            "VotesAllowed": 1,
            "BallotSelection": selections,
            "SummaryCounts": [
                {
                    "@type": _NS + "SummaryCounts",
                    "GpUnitId": unit_id("mesa", r.mesa.id),
                    "Type": "total",
                    "BallotsCast": r.record.total_votes,
                }
                for r in self.results
            ],
        }

    def _district(self) -> str:
        """The GpUnit the contest is voted in (`Profile.contest_area`): the country unless an area says."""
        area = self.pub.profile.contest_area(self.pub.contest)
        known = self.pub.registry.areas.get(area) if area else None
        return unit_id(known.level, known.id) if known else unit_id("country", "")


def _units(publications: Sequence[Publication], facts: ElectionFacts) -> list[dict[str, Any]]:
    """The country, every area holding a published mesa (of any contest), and the mesas, each listing what
    composes it."""
    registry = publications[0].registry.copy()
    for publication in publications[1:]:  # each contest's registry is a part of the whole
        registry.areas.update(publication.registry.areas)
        registry.mesas.update(publication.registry.mesas)
    results = {r.mesa.id: r for publication in publications for r in publication.mesas.values()}
    children: dict[tuple[str, str], set[tuple[str, str]]] = {}
    for result in results.values():
        child = ("mesa", result.mesa.id)
        for area in registry.ancestors(result.mesa.center_id):
            children.setdefault((area.level, area.id), set()).add(child)
            child = (area.level, area.id)
        children.setdefault(("country", ""), set()).add(child)
    units = []
    for (level, area_id), parts in sorted(children.items()):
        known = registry.areas.get(area_id)
        unit = _unit(level, area_id, known.name if known else facts.country)
        unit["ComposingGpUnitIds"] = sorted(unit_id(*part) for part in parts)
        if known is not None and known.registered is not None:
            unit["VotersRegistered"] = known.registered
        units.append(unit)
    for _, result in sorted(results.items()):
        unit = _unit("mesa", result.mesa.id, f"Mesa {result.mesa.number}")
        if result.mesa.registered is not None:
            unit["VotersRegistered"] = result.mesa.registered
        units.append(unit)
    return units


def _unit(level: str, area_id: str, name: str) -> dict[str, Any]:
    kind, other = _UNIT_TYPES[level]
    unit: dict[str, Any] = {"@type": _NS + "ReportingUnit", "@id": unit_id(level, area_id), "Type": kind, "Name": name}
    if other:
        unit["OtherType"] = other
    return unit


def _text(content: str, facts: ElectionFacts) -> dict[str, Any]:
    """An InternationalizedText with one string in the election's language."""
    return {
        "@type": _NS + "InternationalizedText",
        "Text": [{"@type": _NS + "LanguageString", "Content": content, "Language": facts.language}],
    }
