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
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from testigo import __version__
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
    return ElectionFacts(as_of, "", publication.profile.election.name, "und")


def unit_id(level: str, area_id: str) -> str:
    """The GpUnit @id of an area (an XML NCName: starts with a letter)."""
    return "gpu-country" if level == "country" else f"gpu-{level}-{area_id}"


def election_report(publication: Publication, origin: str) -> dict[str, Any]:
    """The ElectionReport of the mesas with an accepted acta; `origin` (the log's name) is the issuer."""
    facts = _FACTS.get(publication.profile.name) or _imported_facts(publication)
    election = publication.profile.election
    results = list(publication.mesas.values())
    votes = [election.per_candidate(r.record.counts) for r in results]
    contest: dict[str, Any] = {
        "@type": _NS + "CandidateContest",
        "@id": "contest-1",
        "Name": facts.contest,
        "ElectoralDistrictId": unit_id("country", ""),
        "VotesAllowed": 1,
        "BallotSelection": [
            {
                "@type": _NS + "CandidateSelection",
                "@id": f"selection-{candidate.key}",
                "SequenceOrder": order,
                "CandidateIds": [f"candidate-{candidate.key}"],
                "EndorsementPartyIds": [
                    f"party-{card.number}" for card in election.cards if card.candidate == candidate.key
                ],
                "VoteCounts": [
                    {
                        "@type": _NS + "VoteCounts",
                        "GpUnitId": unit_id("mesa", r.mesa.id),
                        "Type": "total",
                        "Count": by_candidate[candidate.key],
                    }
                    for r, by_candidate in zip(results, votes, strict=True)
                ],
            }
            for order, candidate in enumerate(election.candidates, start=1)
        ],
        "SummaryCounts": [
            {
                "@type": _NS + "SummaryCounts",
                "GpUnitId": unit_id("mesa", r.mesa.id),
                "Type": "total",
                "BallotsCast": r.record.total_votes,
            }
            for r in results
        ],
    }
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
        "GpUnit": _units(publication, facts),
        "Party": [
            {
                "@type": _NS + "Party",
                "@id": f"party-{card.number}",
                "Abbreviation": card.party,
                "Name": _text(card.party, facts),
            }
            for card in election.cards
        ],
        "Election": [
            {
                "@type": _NS + "Election",
                "Name": _text(election.name, facts),
                "Type": "general",
                "StartDate": facts.date,
                "EndDate": facts.date,
                "ElectionScopeId": unit_id("country", ""),
                "Candidate": [
                    {"@type": _NS + "Candidate", "@id": f"candidate-{c.key}", "BallotName": _text(c.name, facts)}
                    for c in election.candidates
                ],
                "Contest": [contest],
            }
        ],
    }


def _units(publication: Publication, facts: ElectionFacts) -> list[dict[str, Any]]:
    """The country, every area holding a published mesa, and the mesas, each listing what composes it."""
    registry = publication.registry
    children: dict[tuple[str, str], set[tuple[str, str]]] = {}
    for result in publication.mesas.values():
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
    for result in publication.mesas.values():
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
