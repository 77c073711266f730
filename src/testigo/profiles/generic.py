"""Profile `generic`: any country's per-station results table, so tally and forensics serve any election.

There is no tally sheet to decode: the registry and the ballot come from the
imported table itself (`testigo import FILE --map ...`). Its regions become
areas, its station ids mesas with their registered voters, and its candidate
columns the candidates (one card each, keyed by the column name as written, in
any script). The workspace keeps the candidate list in its facts so every later
command sees the same ballot.

A record's payload is a small JSON object ``{"mesa", "votes", "invalid"}``
(plus ``"ballots"`` when the table gives it), so re-importing the same row is
a duplicate and a changed figure a conflict, exactly as for decoded sheets.

The fixed levels of testigo's geography are filled from the region columns,
largest first: ``state`` ← 1st, ``municipality`` ← 2nd, ``parish`` ← 3rd,
``center`` ← the last (the full path). With fewer than four region columns the
smaller levels repeat the last region; with more, the ones between the 3rd and
the last are part of the center's path only.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

from testigo.domain import Area, Candidate, Card, Election, Record, Registry
from testigo.profiles.base import PayloadError, Profile

#: Workspace fact holding the JSON list of candidate column names.
CANDIDATES_FACT = "generic_candidates"
#: Area levels filled from the region columns, largest first.
AREA_LEVELS = ("state", "municipality", "parish", "center")
#: Longest id the database keeps (String(64) columns); longer ids are hashed.
MAX_ID = 64
#: Name of the single area of a table without region columns.
NO_REGION = "all"


def election_of(candidates: tuple[str, ...]) -> Election:
    """The ballot of an imported table: one candidate and one card per candidate column."""
    return Election(
        "Per-station results imported from a table",
        tuple(Candidate(name, name) for name in candidates),
        tuple(Card(number, name, name) for number, name in enumerate(candidates, start=1)),
    )


class Generic(Profile):
    name = "generic"
    registry_from_data = True
    #: stations of other countries can be larger than Venezuelan mesas; the registry's ceiling still applies
    max_card_votes = 1_000_000

    def __init__(self, candidates: tuple[str, ...] = ()) -> None:
        self.election = election_of(candidates)

    def for_workspace(self, facts: Mapping[str, str]) -> Profile:
        stored = tuple(json.loads(facts.get(CANDIDATES_FACT) or "[]"))
        return Generic(stored) if stored else self

    def ballot_facts(self) -> dict[str, str]:
        return {CANDIDATES_FACT: json.dumps(self.election.candidate_keys(), ensure_ascii=False)}

    def recognises(self, payload: str) -> bool:
        return payload.lstrip().startswith("{")

    def parse(self, payload: str) -> Record:
        try:
            data = json.loads(payload)
            mesa, votes, invalid = str(data["mesa"]), [int(v) for v in data["votes"]], int(data["invalid"])
        except (ValueError, KeyError, TypeError) as error:
            raise PayloadError(f"wrong shape: not a generic station record ({error})") from None
        extra: dict[str, int | str] = {"ballots": int(data["ballots"])} if "ballots" in data else {}
        return Record(self.name, mesa, mesa, tuple(votes), invalid, payload, extra=extra)

    def encode(
        self, acta_id: str, counts: list[int], null_votes: int, extra: dict[str, int | str] | None = None
    ) -> str:
        data: dict[str, object] = {"mesa": acta_id, "votes": list(counts), "invalid": null_votes}
        data.update(extra or {})
        return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    def load_registry(self) -> Registry:
        return Registry()  # filled by `testigo import`


def areas_for(regions: tuple[str, ...]) -> list[Area]:
    """The chain of areas (state → center) a station with these region values lies in."""
    path = regions or (NO_REGION,)
    depth = len(path)
    chain: list[Area] = []
    for i, level in enumerate(AREA_LEVELS):
        prefix = path if level == "center" else path[: min(i + 1, depth)]
        parent = chain[-1].id if chain else None
        chain.append(Area(short_id(f"{level}:{'/'.join(prefix)}"), level, prefix[-1], parent))
    return chain


def short_id(text: str) -> str:
    """`text` itself when it fits the database's id columns, else a stable hash of it."""
    if len(text) <= MAX_ID:
        return text
    return text.split(":", 1)[0][:10] + ":" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:40]
