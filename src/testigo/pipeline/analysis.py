"""Forensics and projection over a workspace's accepted actas (the CLI's `forensics` and `tally --project`)."""

from __future__ import annotations

from testigo.forensics import MesaTable
from testigo.store.workspace import Store
from testigo.tally.aggregate import accepted_matrix


def accepted_table(store: Store) -> MesaTable:
    """The accepted records as the forensics' per-mesa table (votes per candidate and per card)."""
    accepted = accepted_matrix(store)
    return MesaTable.from_cards(
        accepted.mesa_ids, accepted.cards, accepted.nulls, store.profile.election, store.registry
    )
