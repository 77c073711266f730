"""Forensics and projection over a workspace's accepted actas (`testigo forensics` and `tally --project`)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from testigo.domain.table import MesaTable
from testigo.store import records
from testigo.store.workspace import Store
from testigo.tally.aggregate import accepted_matrix
from testigo.tally.projection import Projection, Strata, project


def accepted_table(store: Store, contest: str = "") -> MesaTable:
    """The accepted records of `contest` as the forensics' per-mesa table (votes per candidate and per card).

    Ballots a source declares (an imported ``ballots`` column) become the
    table's `declared_totals`, so `impossible` checks them against the counts;
    mesas whose source declares none get -1. The sheet print of the first
    image behind each accepted record becomes `sheet_prints` (for the image
    half of `duplicates`), when any mesa has one.
    """
    accepted = accepted_matrix(store, contest)
    table = MesaTable.from_cards(
        accepted.mesa_ids, accepted.cards, accepted.nulls, store.profile.election_of(contest), store.registry
    )
    with store.sessions() as session:
        declared = records.declared_ballots(session, contest)
        prints = records.accepted_sheet_prints(session)
    if prints:
        column = np.empty(len(accepted.mesa_ids), dtype=object)
        column[:] = [prints.get(mesa) for mesa in accepted.mesa_ids]
        table = replace(table, sheet_prints=column)
    if not declared:
        return table
    totals = np.array([declared.get(mesa, -1) for mesa in accepted.mesa_ids], dtype=np.int64)
    return replace(table, declared_totals=totals)


def projection(store: Store, confidence: float = 0.95, contest: str = "") -> Projection:
    """The full result of `contest` projected from the accepted actas to every mesa of the registry."""
    return project(accepted_table(store, contest), Strata.from_registry(store.registry), confidence)
