"""Results of a workspace's accepted actas: totals at any level, coverage, and the per-mesa records.

Only accepted records count, exactly as in ``testigo tally`` (`testigo.tally`):
conflicts wait for review and never enter a total.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from testigo.api.arrow import Columns, tally_table
from testigo.api.workspace import WorkspaceLike, using
from testigo.domain.table import UNKNOWN, MesaTable
from testigo.tally import Coverage, tally
from testigo.tally.aggregate import accepted_matrix


def contests(workspace: WorkspaceLike) -> dict[str, str]:
    """Contest key → name, in order: what `contest=` takes (``{"": ballot}`` for a one-contest format).

    A Brazilian boletim carries every contest of its section's ballot
    (profile ``br``): each contest is one office in one constituency and
    round, keyed ``PLEI:TURN:IDEL:CARG:area``.

        >>> testigo.contests("./eleccion")
        {'': 'Elección presidencial de Venezuela, 28 de julio de 2024'}
    """
    with using(workspace) as store:
        return store.profile.contests()


def results(workspace: WorkspaceLike, level: str = "country", *, contest: str | None = None) -> pa.Table:
    """Votes and shares of `contest` at `level`: one row per area with at least one accepted acta.

    `level` is one of `testigo.LEVELS` (country, state, municipality, parish,
    center, mesa). Columns: ``id``, ``name``, ``actas`` (accepted actas),
    ``mesas_registry`` (mesas the registry has in the area), ``valid_votes``,
    ``null_votes``, then one int64 column of votes per candidate, named by its
    key, and one float64 ``share_<key>`` of the valid votes per candidate, both
    in ballot order. The schema metadata holds the candidates' names, the
    level and the coverage (see `testigo.api.arrow`). The figures are those of
    ``testigo tally --level LEVEL``. `contest` is one of `contests` (default:
    the first, the only one of a one-contest format).

        >>> states = testigo.results("./eleccion", level="state")
        >>> states.select(["name", "gonzalez", "maduro", "share_gonzalez"]).slice(0, 2).to_pylist()
        [{'name': 'DISTRITO CAPITAL', 'gonzalez': 5547, 'maduro': 3248, 'share_gonzalez': 0.609426},
         {'name': 'ANZOATEGUI', 'gonzalez': 4923, 'maduro': 2518, 'share_gonzalez': 0.640599}]
        >>> frame = states.to_pandas()  # or polars.from_arrow(states)
    """
    with using(workspace) as store:
        result = tally(store, level, store.profile.contest_or_first(contest))
    rows = [row.to_json() for row in result.rows]
    return tally_table(result.level, rows, result.candidate_names, result.coverage.to_json())


def coverage(workspace: WorkspaceLike, *, contest: str | None = None) -> Coverage:
    """How much of the registry the accepted actas of `contest` cover, in mesas and registered voters (as
    ``testigo tally``; `contest` as in `results`).

    >>> covered = testigo.coverage("./eleccion")
    >>> covered.mesas_covered, covered.mesas_national
    (300, 30026)
    """
    with using(workspace) as store:
        return tally(store, "country", store.profile.contest_or_first(contest)).coverage


def records(workspace: WorkspaceLike, *, contest: str | None = None) -> pa.Table:
    """One row per accepted mesa of `contest` (as in `results`), sorted by mesa id: the per-mesa data every
    total is the sum of.

    Columns: ``mesa_id``, ``acta_id``, ``state_id``, ``municipality_id``,
    ``parish_id``, ``center_id``, ``registered`` (the mesa's registered
    voters, null where the registry has no figure), one int64 column of votes
    per candidate (named by its key), ``valid_votes``, ``null_votes``, and one
    column per party card (``card_1``, ``card_2``... in ballot order). The same
    columns as the published data/mesas.* (less the log's), so a table saved
    as CSV imports back with ``testigo import``.

        >>> records = testigo.records("./eleccion")
        >>> records.select(["mesa_id", "registered", "gonzalez", "card_34", "valid_votes"]).slice(0, 1).to_pylist()
        [{'mesa_id': '010101001.01', 'registered': 760, 'gonzalez': 323, 'card_34': 323, 'valid_votes': 449}]
    """
    with using(workspace) as store:
        chosen = store.profile.contest_or_first(contest)
        accepted = accepted_matrix(store, chosen)
        election, registry = store.profile.election_of(chosen), store.registry
    table = MesaTable.from_cards(accepted.mesa_ids, accepted.cards, accepted.nulls, election, registry)
    order = np.argsort(table.mesa_ids, kind="stable")
    table = table.take(order)
    acta_ids = [accepted.acta_ids[i] for i in order.tolist()]
    assert table.cards is not None  # from_cards always keeps them
    mesas = [registry.mesas[m] for m in table.mesa_ids.tolist()]
    columns = Columns({c.key: c.name for c in election.candidates})
    columns.add("mesa_id", pa.string(), table.mesa_ids.tolist(), nullable=False)
    columns.add("acta_id", pa.string(), acta_ids, nullable=False)
    columns.add("state_id", pa.string(), table.state_ids.tolist())
    columns.add("municipality_id", pa.string(), [registry.area_of(m, "municipality") for m in mesas])
    columns.add("parish_id", pa.string(), table.parish_ids.tolist())
    columns.add("center_id", pa.string(), table.center_ids.tolist())
    columns.add("registered", pa.int64(), [None if r == UNKNOWN else r for r in table.registered.tolist()])
    columns.per_candidate("", pa.int64(), {k: table.votes[:, i] for i, k in enumerate(table.candidates)})
    columns.add("valid_votes", pa.int64(), table.valid, nullable=False)
    columns.add("null_votes", pa.int64(), table.null_votes, nullable=False)
    for i, card in enumerate(election.cards):
        columns.add(f"card_{card.number}", pa.int64(), table.cards[:, i], nullable=False)
    return columns.table()
