"""Plant known manipulations in per-mesa results, to measure what the forensic tests catch.

A spec is a comma-separated list of manipulations, each ``TYPE:RATE[:SIZE]``:

``stuffing:RATE:SIZE``
    In round(RATE × N) mesas, add round(SIZE × registered voters of the mesa)
    ballots for the beneficiary, capped so the mesa's ballots never exceed its
    registered voters (a stuffer who went past the register would be caught by
    arithmetic alone). Only mesas with a known register and room left qualify.
``switch:RATE:SIZE``
    In round(RATE × N) mesas, move round(SIZE × the victim's votes) (at least 1)
    from the victim to the beneficiary; ballots and turnout are unchanged. Only
    mesas where the victim has votes qualify.
``copy:RATE``
    In round(RATE × N) mesas, replace the votes (per card when known) and null
    votes by those of another, untouched mesa: one of the same center when the
    center has another, else of the same parish, else any — a forger copies a
    sheet at hand. Each original is copied once and left untouched by the
    manipulations that follow, so every copy keeps an identical twin.

Each mesa is manipulated at most once; manipulations are applied in spec order,
each choosing among mesas not yet touched, uniformly at random with `seed`.
The beneficiary defaults to the runner-up of the input and the victim to its
leader: the manipulation that would turn the result over.

With per-card counts, stuffed votes go to the beneficiary's card with the most
votes in that mesa, and switched votes leave the victim's cards in proportion
to their votes (largest remainders).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import overload

import numpy as np

from testigo.domain import Registry
from testigo.domain.table import MesaTable

TYPES = ("stuffing", "switch", "copy")


@dataclass(frozen=True)
class Manipulation:
    """One item of a spec (`size` is 0 for copy, which has none)."""

    type: str
    rate: float
    size: float = 0.0


def parse_spec(spec: str) -> list[Manipulation]:
    """Parse ``stuffing:0.02:0.15,switch:0.02:0.2,copy:0.01``; ValueError explains what is wrong."""
    items = []
    for part in filter(None, (p.strip() for p in spec.split(","))):
        fields = part.split(":")
        kind = fields[0]
        expected = 2 if kind == "copy" else 3
        if kind not in TYPES:
            raise ValueError(f"unknown manipulation {kind!r} in {part!r}; known: {', '.join(TYPES)}")
        if len(fields) != expected:
            shape = "copy:RATE" if kind == "copy" else f"{kind}:RATE:SIZE"
            raise ValueError(f"{part!r} should read {shape}")
        try:
            numbers = [float(v) for v in fields[1:]]
        except ValueError:
            raise ValueError(f"{part!r}: RATE and SIZE must be numbers") from None
        if not all(0 <= v <= 1 for v in numbers):
            raise ValueError(f"{part!r}: RATE and SIZE must be between 0 and 1")
        items.append(Manipulation(kind, *numbers))
    if not items:
        raise ValueError("empty manipulation spec")
    return items


Rows = Sequence[Mapping[str, int | str]]


@overload
def inject(
    data: MesaTable,
    spec: str,
    seed: int,
    *,
    registry: Registry | None = None,
    beneficiary: str | None = None,
    victim: str | None = None,
) -> tuple[MesaTable, list[tuple[str, str]]]: ...


@overload
def inject(
    data: Rows,
    spec: str,
    seed: int,
    *,
    registry: Registry | None = None,
    beneficiary: str | None = None,
    victim: str | None = None,
) -> tuple[list[dict[str, int | str]], list[tuple[str, str]]]: ...


def inject(
    data: MesaTable | Rows,
    spec: str,
    seed: int,
    *,
    registry: Registry | None = None,
    beneficiary: str | None = None,
    victim: str | None = None,
) -> tuple[MesaTable | list[dict[str, int | str]], list[tuple[str, str]]]:
    """Apply `spec` (see the module docstring) and return (manipulated data, [(mesa, type), ...]).

    `data` is a MesaTable, or `load_results()`-style rows together with the
    `registry` that gives their registered voters; the result has the same form.
    """
    if isinstance(data, MesaTable):
        table = data
    elif registry is None:
        raise ValueError("rows need the registry (registered voters and geography)")
    else:
        table = MesaTable.from_results(data, registry)
    leaders = table.leaders()
    plan = _Plan(
        table, np.random.default_rng(seed), table.index(beneficiary or leaders[1]), table.index(victim or leaders[0])
    )
    for item in parse_spec(spec):
        plan.apply(item)
    result = replace(table, votes=plan.votes, null_votes=plan.nulls, cards=plan.cards)
    injected = [(str(table.mesa_ids[i]), kind) for i, kind in plan.log]
    return (result if isinstance(data, MesaTable) else result.to_rows()), injected


class _Plan:
    """Mutable copies of the arrays being manipulated, and what was done to which mesa."""

    def __init__(self, table: MesaTable, rng: np.random.Generator, beneficiary: int, victim: int) -> None:
        if beneficiary == victim:
            raise ValueError("beneficiary and victim must differ")
        self.table, self.rng = table, rng
        self.beneficiary, self.victim = beneficiary, victim
        self.votes, self.nulls = table.votes.copy(), table.null_votes.copy()
        self.cards = None if table.cards is None else table.cards.copy()
        card_candidate = table.card_candidate if table.card_candidate is not None else np.empty(0, dtype=np.int64)
        self.beneficiary_cards = np.flatnonzero(card_candidate == beneficiary)
        self.victim_cards = np.flatnonzero(card_candidate == victim)
        self.touched = np.zeros(len(table), dtype=bool)
        self.log: list[tuple[int, str]] = []

    def apply(self, item: Manipulation) -> None:
        table = self.table
        if item.type == "stuffing":
            room = table.registered - (self.votes.sum(axis=1) + self.nulls)
            eligible = table.has_registered & (room > 0)
        elif item.type == "switch":
            eligible = self.votes[:, self.victim] > 0
        else:
            eligible = np.ones(len(table), dtype=bool)
        chosen = self._choose(eligible, item.rate)
        for i in chosen:
            if item.type == "stuffing":
                self._add(i, min(round(item.size * table.registered[i]), int(room[i])))
            elif item.type == "switch":
                moved = max(1, round(item.size * self.votes[i, self.victim]))
                self._take_from_victim(i, moved)
                self._add(i, moved)
            else:
                self._copy(i)
            self.log.append((int(i), item.type))

    def _choose(self, eligible: np.ndarray, rate: float) -> np.ndarray:
        pool = np.flatnonzero(eligible & ~self.touched)
        count = min(len(pool), round(rate * len(self.table)))
        chosen = np.sort(self.rng.choice(pool, size=count, replace=False))
        self.touched[chosen] = True
        return chosen

    def _add(self, i: int, amount: int) -> None:
        self.votes[i, self.beneficiary] += amount
        if self.cards is not None:
            cards = self.beneficiary_cards
            self.cards[i, cards[np.argmax(self.cards[i, cards])]] += amount

    def _take_from_victim(self, i: int, amount: int) -> None:
        self.votes[i, self.victim] -= amount
        if self.cards is None:
            return
        cards = self.victim_cards
        held = self.cards[i, cards]
        exact = amount * held / held.sum()
        taken = np.floor(exact).astype(np.int64)
        remainder_order = np.argsort(-(exact - taken), kind="stable")
        taken[remainder_order[: amount - taken.sum()]] += 1
        self.cards[i, cards] -= taken

    def _copy(self, i: int) -> None:
        table = self.table
        source = -1
        for ids in (table.center_ids, table.parish_ids, None):
            same = np.ones(len(table), dtype=bool) if ids is None else ids == ids[i]
            pool = np.flatnonzero(same & ~self.touched)
            if len(pool):
                source = int(self.rng.choice(pool))
                break
        if source < 0:
            raise ValueError("copy: no untouched mesa left to copy from")
        self.touched[source] = True  # the original stays as it is, so the pair stays identical
        self.votes[i], self.nulls[i] = self.votes[source], self.nulls[source]
        if self.cards is not None:
            self.cards[i] = self.cards[source]
