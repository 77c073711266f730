"""Altered actas: one card's count changed on the print or in the QR code, never in both.

A forger with a genuine acta in hand can reprint it with one figure changed
(the QR, which he cannot rewrite by hand, still carries the genuine counts),
or print a new QR over genuine figures. Either way the two media of the sheet
disagree, which only a reader of the printed figures can see; the pipeline
must then give the sheet `Status.MISMATCH`.

The changes are the ones a forger makes: on one of the biggest cards (where
a change moves the result), either a round-looking shift of 10-200 votes or
one digit rewritten (``186`` -> ``486``), always a count the mesa could hold
(the QR's total never passes the mesa's or its center's registered voters,
so the sheet fails no other check). A reprinted sheet may have its totals
made consistent with the change or left at the genuine values; the truth
says which.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from testigo.domain import Registry, Status
from testigo.profiles import Profile
from testigo.simulate.plan import Planned
from testigo.simulate.sheet import ActaSheet, Figures

#: Which medium the forger changed: the print (the QR keeps the genuine figures) or the QR code.
ALTERATION_KINDS = ("print_altered", "qr_altered")
#: The card is one of this many biggest of the sheet.
_BIGGEST = 3


@dataclass(frozen=True)
class Alteration:
    """What a forger changed on one acta: which card, from what to what, how, and whether the totals followed."""

    kind: str  # one of ALTERATION_KINDS
    card: int  # the card's number (1-based, ballot order)
    genuine: int
    altered: int
    change: str  # "+120", "-35" or "digit" (one digit rewritten)
    totals_follow: bool | None  # print_altered: printed totals made consistent; qr_altered: None (no totals)

    def to_json(self) -> dict[str, object]:
        return dataclasses.asdict(self)


def altered_actas(
    sheets: Sequence[ActaSheet],
    election: Sequence[ActaSheet],
    profile: Profile,
    registry: Registry,
    rng: np.random.Generator,
) -> list[Planned]:
    """One altered acta per sheet of `sheets` (real mesas outside the election), cycling `ALTERATION_KINDS`.

    `election` is what else arrives from each center, so that a QR code raised
    by the forger still fits under its center's registered voters.
    """
    planned = []
    for i, sheet in enumerate(sheets):
        kind = ALTERATION_KINDS[i % len(ALTERATION_KINDS)]
        room = _room(sheet, election, registry)
        if kind == "print_altered":
            forged, alteration = alter_print(sheet, room, rng)
        else:
            forged, alteration = alter_qr(sheet, room, profile, rng)
        planned.append(
            Planned(
                f"altered_{i + 1:03d}_{kind.split('_')[0]}",
                "forged",
                Status.MISMATCH,
                describe(sheet, alteration, profile),
                sheet=forged,
                quality="photo",
                alteration=alteration,
            )
        )
    return planned


def alter_print(sheet: ActaSheet, room: int, rng: np.random.Generator) -> tuple[ActaSheet, Alteration]:
    """The sheet reprinted with one card changed; its QR code still carries the genuine figures.

    `room` is how many votes the total may grow by and stay plausible.
    """
    index, genuine, altered, change = _change(sheet.printed.counts, room, rng)
    follow = bool(rng.random() < 0.5)
    cards = tuple(card._replace(votes=altered) if i == index else card for i, card in enumerate(sheet.cards))
    printed_totals = None if follow else (sheet.printed.valid_votes, sheet.printed.total_votes)
    forged = dataclasses.replace(sheet, cards=cards, qr_figures=sheet.qr, printed_totals=printed_totals)
    return forged, Alteration("print_altered", sheet.cards[index].number, genuine, altered, change, follow)


def alter_qr(sheet: ActaSheet, room: int, profile: Profile, rng: np.random.Generator) -> tuple[ActaSheet, Alteration]:
    """The genuine print under a new QR code whose one card differs (the code carries no totals to fix)."""
    index, genuine, altered, change = _change(sheet.qr.counts, room, rng)
    counts = list(sheet.qr.counts)
    counts[index] = altered
    payload = profile.encode(sheet.acta_id, counts, sheet.null_votes)
    forged = dataclasses.replace(sheet, payload=payload, qr_figures=Figures.summed(tuple(counts), sheet.null_votes))
    return forged, Alteration("qr_altered", sheet.cards[index].number, genuine, altered, change, None)


def describe(sheet: ActaSheet, alteration: Alteration, profile: Profile) -> str:
    """The truth's note: which medium, which card, from what to what."""
    party = profile.election.cards[alteration.card - 1].party
    card = f"card {alteration.card} ({party})"
    if alteration.kind == "print_altered":
        totals = "printed totals follow the change" if alteration.totals_follow else "printed totals left genuine"
        return (
            f"acta of {sheet.mesa_id} reprinted with {card} at {alteration.altered} where its QR says "
            f"{alteration.genuine} ({alteration.change}); {totals}"
        )
    return (
        f"acta of {sheet.mesa_id} with a QR code whose {card} is {alteration.altered} where the print says "
        f"{alteration.genuine} ({alteration.change})"
    )


def _room(sheet: ActaSheet, election: Sequence[ActaSheet], registry: Registry) -> int:
    """Votes the sheet's total may gain and still pass the mesa's and its center's registered voters."""
    limits = []
    if sheet.registered is not None:
        limits.append(sheet.registered - sheet.total_votes)
    center_registered = registry.center_registered(registry.mesas[sheet.mesa_id].center_id)
    if center_registered is not None:
        elsewhere = sum(s.total_votes for s in election if s.center_code == sheet.center_code)
        limits.append(center_registered - elsewhere - sheet.total_votes)
    return max(min(limits, default=200), 0)


def _change(counts: tuple[int, ...], room: int, rng: np.random.Generator) -> tuple[int, int, int, str]:
    """(card index, genuine count, altered count, how): one of the biggest cards, shifted or with a digit rewritten."""
    ranked = sorted(range(len(counts)), key=lambda i: (-counts[i], i))
    biggest = [i for i in ranked[:_BIGGEST] if counts[i] >= 10] or ranked[:1]
    index = biggest[int(rng.integers(0, len(biggest)))]
    genuine = counts[index]
    if rng.random() < 0.5:
        digit = _rewrite_digit(genuine, room, rng)
        if digit is not None:
            return index, genuine, digit, "digit"
    shift = int(rng.integers(10, 201))
    up = bool(rng.random() < 0.5)
    if up and room < 10 <= genuine:
        up = False  # no room to add: take away instead
    elif not up and genuine < 10 <= room:
        up = True  # nothing to take: add instead
    shift = min(shift, room if up else genuine)
    if shift < 1:  # neither (an empty card of a full mesa): the smallest change there is
        up, shift = genuine == 0, 1
    altered = genuine + shift if up else genuine - shift
    return index, genuine, altered, f"{'+' if up else '-'}{shift}"


def _rewrite_digit(count: int, room: int, rng: np.random.Generator) -> int | None:
    """`count` with one digit rewritten (never a leading zero), within `room` above it; None if none fits."""
    digits = str(count)
    options = []
    for position, old in enumerate(digits):
        for new in "0123456789":
            if new == old or (position == 0 and new == "0" and len(digits) > 1):
                continue
            value = int(digits[:position] + new + digits[position + 1 :])
            if value - count <= room:
                options.append(value)
    if not options:
        return None
    return options[int(rng.integers(0, len(options)))]
