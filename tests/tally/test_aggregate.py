"""Tallies by level equal sums computed independently from the payloads."""

from __future__ import annotations

import csv
import io

import pytest

from testigo.errors import UserError
from testigo.pipeline.reconcile import settle_payload
from testigo.store.workspace import Store
from testigo.tally import tally
from testigo.tally.aggregate import _card_matrix
from testigo.tally.export import write_csv
from tests.conftest import payload_for, small_mesas


def _load(store: Store, payloads: list[str]) -> None:
    with store.sessions.begin() as session:
        for payload in payloads:
            settle_payload(session, store.profile, store.registry, payload, source="image")


def test_country_state_and_mesa_levels(store: Store) -> None:
    mesas = small_mesas(6)
    votes = {m: (10 * i + 5, 20 * i + 7) for i, m in enumerate(mesas)}
    _load(store, [payload_for(m, maduro=a, gonzalez=b, nulls=2) for m, (a, b) in votes.items()])
    # a conflicting sheet must not change any total
    _load(store, [payload_for(mesas[0], maduro=999, gonzalez=1)])

    national = tally(store, "country")
    [row] = national.rows
    assert row.candidates["maduro"] == sum(a for a, _ in votes.values())
    assert row.candidates["gonzalez"] == sum(b for _, b in votes.values())
    assert row.null_votes == 12 and row.actas == 6
    assert row.shares["gonzalez"] == pytest.approx(row.candidates["gonzalez"] / row.valid_votes, abs=1e-6)
    cov = national.coverage
    registry = store.registry
    assert (cov.mesas_covered, cov.mesas_registry, cov.mesas_national) == (6, len(registry.mesas), 30_026)
    assert cov.registered_covered == sum(registry.mesas[m].registered or 0 for m in mesas)

    by_state = tally(store, "state")
    expected: dict[str, int] = {}
    for m, (a, _) in votes.items():
        expected[m[:2]] = expected.get(m[:2], 0) + a
    assert {r.id: r.candidates["maduro"] for r in by_state.rows} == expected
    assert all(r.name == registry.areas[r.id].name for r in by_state.rows)

    by_mesa = tally(store, "mesa")
    assert {r.id for r in by_mesa.rows} == {m + ".1.0001" for m in mesas}
    first = next(r for r in by_mesa.rows if r.id == mesas[0] + ".1.0001")
    assert first.cards is not None and first.cards[0] == votes[mesas[0]][0] and first.cards[35] == votes[mesas[0]][1]
    assert first.to_json()["cards"] == first.cards


def test_every_level_sums_to_the_national_total(store: Store) -> None:
    mesas = small_mesas(12)
    _load(store, [payload_for(m, maduro=3 + i, gonzalez=40 - i) for i, m in enumerate(mesas)])
    national = tally(store, "country").rows[0].candidates
    for level in ("state", "municipality", "parish", "center", "mesa"):
        rows = tally(store, level).rows
        assert sum(r.candidates["gonzalez"] for r in rows) == national["gonzalez"], level
        assert sum(r.actas for r in rows) == 12


def test_csv_export_and_unknown_level(store: Store) -> None:
    [mesa] = small_mesas(1)
    _load(store, [payload_for(mesa, maduro=7, gonzalez=9)])
    buffer = io.StringIO()
    write_csv(tally(store, "mesa"), buffer)
    [row] = list(csv.DictReader(io.StringIO(buffer.getvalue())))
    assert (row["id"], row["maduro"], row["gonzalez"], row["card_1"], row["card_36"]) == (
        mesa + ".1.0001",
        "7",
        "9",
        "7",
        "9",
    )
    with pytest.raises(UserError, match="unknown level"):
        tally(store, "galaxy")


def test_empty_workspace_tallies_to_nothing(store: Store) -> None:
    result = tally(store, "state")
    assert result.rows == [] and result.coverage.mesas_covered == 0


def test_stored_counts_shorter_than_a_grown_ballot_read_as_zeros_and_damage_is_refused() -> None:
    assert _card_matrix(["1,2,3", "4,5,6"], 3).tolist() == [[1, 2, 3], [4, 5, 6]]
    # a record stored before its contest's ballot gained two options (profile br builds ballots from the BUs)
    assert _card_matrix(["1,2,3", "4"], 3).tolist() == [[1, 2, 3], [4, 0, 0]]
    # lengths that would fit the matrix together but not row by row, a list longer than the ballot, a non-number
    for damaged in (["1,2", "3,4,5,6"], ["1,2,3,4"], ["1,x,3"], ["1,,3", "4,5,6"]):
        with pytest.raises(ValueError, match="the records table is damaged"):
            _card_matrix(damaged, 3)
