"""What one simulated acta says: the printed text and the QR payload, as data.

The sheet is kept apart from its image so that the truth a test compares
against (counts, payload, mesa) never depends on rendering or degradation.
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
    votes: int


@dataclass(frozen=True)
class ActaSheet:
    """Everything printed on one acta, including the text its QR code carries.

    For a genuine acta the printed figures and `payload` agree; a simulated
    forgery is simply a sheet built from other figures or another mesa's id.
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
    null_votes: int
    payload: str

    @property
    def counts(self) -> tuple[int, ...]:
        """Votes per card in ballot order, as the QR carries them."""
        return tuple(card.votes for card in self.cards)

    @property
    def valid_votes(self) -> int:
        return sum(self.counts)

    @property
    def total_votes(self) -> int:
        return self.valid_votes + self.null_votes


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
