"""What one simulated acta says: the printed text and the QR payload, as data.

The sheet is kept apart from its image so that the truth a test compares
against (counts, payload, mesa) never depends on rendering or degradation.
The print and the QR code are two media that a genuine acta makes agree and
an altered one does not, so each has its own `Figures`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from testigo.domain import Registry
from testigo.profiles import Profile
from testigo.profiles.ve2024 import acta_id_for


class CardLine(NamedTuple):
    """One printed row of the results table, in ballot order."""

    number: int
    party: str
    candidate: str  # display name as printed
    votes: int  # as printed


class Figures(NamedTuple):
    """The results as one medium of an acta (its print or its QR code) states them.

    `valid_votes` and `total_votes` are what that medium says, which a
    forger may have left at their old values: they are not always the sums.
    """

    counts: tuple[int, ...]
    null_votes: int
    valid_votes: int
    total_votes: int

    @classmethod
    def summed(cls, counts: tuple[int, ...], null_votes: int) -> Figures:
        """Figures whose totals follow from the counts, as a voting machine computes them."""
        return cls(counts, null_votes, sum(counts), sum(counts) + null_votes)

    def to_json(self) -> dict[str, object]:
        return {
            "cards": list(self.counts),
            "valid_votes": self.valid_votes,
            "null_votes": self.null_votes,
            "total_votes": self.total_votes,
        }


@dataclass(frozen=True)
class ActaSheet:
    """Everything printed on one acta, including the text its QR code carries.

    For a genuine acta the printed figures and `payload` agree; a simulated
    forgery is simply a sheet built from other figures or another mesa's id.
    An altered acta also sets `qr_figures` (what its QR carries, when the print
    was changed or the code re-made) or `printed_totals` (valid and total
    votes as printed, when a forger changed a card but not the totals).
    """

    mesa_id: str
    acta_id: str
    state: str
    municipality: str
    parish: str
    center_code: str
    center_name: str
    mesa_number: int
    registered: int | None
    cards: tuple[CardLine, ...]
    null_votes: int  # as printed (no alteration touches them, so the QR's too)
    payload: str
    qr_figures: Figures | None = None  # None: the QR carries the printed counts
    printed_totals: tuple[int, int] | None = None  # (valid, total) as printed; None: the sums of the print

    @property
    def printed(self) -> Figures:
        """The figures as printed on the strip."""
        counts = tuple(card.votes for card in self.cards)
        if self.printed_totals is None:
            return Figures.summed(counts, self.null_votes)
        return Figures(counts, self.null_votes, *self.printed_totals)

    @property
    def qr(self) -> Figures:
        """The figures the QR code carries (for an acta-shaped payload)."""
        if self.qr_figures is not None:
            return self.qr_figures
        return Figures.summed(self.printed.counts, self.null_votes)

    @property
    def counts(self) -> tuple[int, ...]:
        """Votes per card in ballot order, as the QR carries them."""
        return self.qr.counts

    @property
    def valid_votes(self) -> int:
        return self.qr.valid_votes

    @property
    def total_votes(self) -> int:
        return self.qr.total_votes


def make_sheet(profile: Profile, registry: Registry, mesa_id: str, counts: list[int], null_votes: int) -> ActaSheet:
    """The acta a voting machine would print for `mesa_id` with these counts.

    Geography and names come from the registry, the payload from the profile's
    own encoder, so a sheet always matches what validation will look up.
    """
    mesa = registry.mesas[mesa_id]
    center, parish, municipality, state = registry.ancestors(mesa.center_id)
    names = {c.key: c.name.upper() for c in profile.election.candidates}
    cards = tuple(
        CardLine(card.number, card.party, names[card.candidate], votes)
        for card, votes in zip(profile.election.cards, counts, strict=True)
    )
    acta_id = acta_id_for(mesa_id)
    return ActaSheet(
        mesa_id=mesa_id,
        acta_id=acta_id,
        state=state.name,
        municipality=municipality.name,
        parish=parish.name,
        center_code=center.id,
        center_name=center.name,
        mesa_number=mesa.number,
        registered=mesa.registered,
        cards=cards,
        null_votes=null_votes,
        payload=profile.encode(acta_id, list(counts), null_votes),
    )
