"""Who is on the ballot: candidates and the party cards that carry their votes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Candidate:
    """A person on the ballot; `key` is the short stable name used in outputs."""

    key: str
    name: str


@dataclass(frozen=True)
class Card:
    """One party card on the ballot, in ballot order; its votes count for `candidate`."""

    number: int
    party: str
    candidate: str  # Candidate.key


@dataclass(frozen=True)
class Election:
    """The ballot of one election: candidates and, in ballot order, their cards.

    Keeping cards (not only candidates) matters: the tally sheet reports votes per
    card, and a forged sheet may move votes between cards of one candidate.
    """

    name: str
    candidates: tuple[Candidate, ...]
    cards: tuple[Card, ...]

    def candidate_keys(self) -> list[str]:
        return [c.key for c in self.candidates]

    def card_candidate_index(self) -> list[int]:
        """For each card, the index of its candidate in `candidates`."""
        index = {c.key: i for i, c in enumerate(self.candidates)}
        return [index[card.candidate] for card in self.cards]

    def per_candidate(self, counts: tuple[int, ...] | list[int]) -> dict[str, int]:
        """Sum per-card counts into per-candidate votes, in ballot order of candidates."""
        totals = {c.key: 0 for c in self.candidates}
        for card, votes in zip(self.cards, counts, strict=True):
            totals[card.candidate] += votes
        return totals
