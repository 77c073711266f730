"""A synthetic election drawn from the real 2024 per-mesa results.

The published tables give votes per *candidate*; an acta's QR carries votes per
*party card* (38 for ve2024). Each candidate's real votes are split over that
candidate's cards by a multinomial draw whose weights vary from mesa to mesa
around national-looking shares (Maduro's votes mostly on PSUV with a long tail
over twelve allies, González's mostly on MUD, some on MPV and UNTC — as in the
real actas quoted in the profile), so per-candidate sums stay exactly real while
the card vectors look like the machine's.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from testigo.errors import UserError
from testigo.profiles import Profile, get_profile
from testigo.profiles.ve2024_data import load_results
from testigo.simulate.sheet import ActaSheet, make_sheet

#: Mean share of each party card within its candidate's votes. Candidates with
#: a single card are absent (their card takes everything).
CARD_SHARES: dict[str, float] = {
    # maduro: PSUV ~80 %, the allies share the rest
    "PSUV": 0.80,
    "PCV": 0.015,
    "TUPAMARO": 0.025,
    "PPT": 0.025,
    "MSV": 0.01,
    "PODEMOS": 0.025,
    "MEP": 0.015,
    "APC": 0.01,
    "ORA": 0.01,
    "UPV": 0.02,
    "EV": 0.01,
    "PVV": 0.01,
    "PFV": 0.025,
    # martinez
    "AD": 0.45,
    "COPEI": 0.20,
    "MR": 0.08,
    "BR": 0.07,
    "DDP": 0.10,
    "UNE": 0.10,
    # brito
    "PV": 0.40,
    "VU": 0.25,
    "UVV": 0.20,
    "MPJ": 0.15,
    # ecarri
    "AP": 0.35,
    "MOVEV": 0.10,
    "CMC": 0.10,
    "FV": 0.10,
    "ALIANZA DEL LAPIZ": 0.25,
    "MIN UNIDAD": 0.10,
    # ceballos
    "VPA": 0.60,
    "AREPA": 0.40,
    # gonzalez: MUD ~90 %
    "UNTC": 0.05,
    "MPV": 0.05,
    "MUD": 0.90,
}
#: Dirichlet concentration of the per-mesa card shares: about ±5 points on PSUV,
#: the spread seen between real actas.
SHARE_CONCENTRATION = 60.0

SUPPORTED_PROFILES = ("ve2024",)


def draw_sheets(n: int, seed: int, profile_name: str = "ve2024") -> list[ActaSheet]:
    """`n` distinct real mesas with their real results split over party cards.

    The mesas are a prefix of one seeded permutation and each mesa's card split
    has its own seed, so ``draw_sheets(k, s)`` is the start of
    ``draw_sheets(n, s)`` for k < n: asking for extra sheets (forgeries, bad
    files) never changes the election itself.
    """
    if profile_name not in SUPPORTED_PROFILES:
        raise UserError(f"the simulator only has data for {', '.join(SUPPORTED_PROFILES)}, not {profile_name!r}")
    profile = get_profile(profile_name)
    results = _results()
    if not 0 <= n <= len(results):
        raise UserError(f"can draw between 0 and {len(results)} mesas, not {n}")
    order = np.random.default_rng(seed).permutation(len(results))[:n]
    return [_sheet(profile, results[i], np.random.default_rng([seed, int(i)])) for i in order]


def split_votes(profile: Profile, votes: dict[str, int], rng: np.random.Generator) -> list[int]:
    """Per-card counts (ballot order) whose per-candidate sums equal `votes` exactly."""
    cards = profile.election.cards
    counts = [0] * len(cards)
    for candidate, total in votes.items():
        positions = [i for i, card in enumerate(cards) if card.candidate == candidate]
        if len(positions) == 1:
            counts[positions[0]] = total
            continue
        means = np.array([CARD_SHARES[cards[i].party] for i in positions])
        shares = rng.dirichlet(means / means.sum() * SHARE_CONCENTRATION)
        for i, votes_on_card in zip(positions, rng.multinomial(total, shares), strict=True):
            counts[i] = int(votes_on_card)
    return counts


@cache
def _results() -> tuple[dict[str, int | str], ...]:
    return tuple(load_results())


def _sheet(profile: Profile, row: dict[str, int | str], rng: np.random.Generator) -> ActaSheet:
    votes = {c.key: int(row[c.key]) for c in profile.election.candidates}
    counts = split_votes(profile, votes, rng)
    return make_sheet(profile, profile.load_registry(), str(row["mesa_id"]), counts, int(row["null"]))
