"""`simulate.inject`: the planted manipulations do exactly what the spec says."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from testigo.domain.table import MesaTable
from testigo.profiles.ve2024_data import load_registry, load_results
from testigo.simulate.inject import Manipulation, inject, parse_spec
from tests.forensics.synthetic import synthetic_table


def test_parse_spec() -> None:
    assert parse_spec("stuffing:0.02:0.15, switch:0.01:0.2,copy:0.005") == [
        Manipulation("stuffing", 0.02, 0.15),
        Manipulation("switch", 0.01, 0.2),
        Manipulation("copy", 0.005),
    ]
    for bad, message in [
        ("stuff:0.1:0.1", "unknown manipulation"),
        ("copy:0.1:0.2", "copy:RATE"),
        ("switch:0.1", "RATE:SIZE"),
        ("stuffing:x:1", "numbers"),
        ("switch:0.1:2", "between"),
        ("", "empty"),
    ]:
        with pytest.raises(ValueError, match=message):
            parse_spec(bad)


def test_stuffing_adds_to_the_beneficiary_capped_by_the_register() -> None:
    table = synthetic_table(seed=1)
    out, injected = inject(table, "stuffing:0.1:0.5", seed=2, beneficiary="b")
    rows = np.isin(table.mesa_ids, [m for m, _ in injected])
    assert len(injected) == round(0.1 * len(table)) and {k for _, k in injected} == {"stuffing"}
    added = out.votes[:, 1] - table.votes[:, 1]
    expected = np.minimum(np.round(0.5 * table.registered), table.registered - table.total)
    assert (added[rows] == expected[rows]).all() and (added[~rows] == 0).all()
    assert (out.total <= table.registered).all()
    assert (np.delete(out.votes, 1, axis=1) == np.delete(table.votes, 1, axis=1)).all()


def test_switch_moves_votes_from_victim_and_keeps_ballots() -> None:
    table = synthetic_table(seed=1)
    out, injected = inject(table, "switch:0.2:0.3", seed=2, beneficiary="c", victim="a")
    rows = np.isin(table.mesa_ids, [m for m, _ in injected])
    moved = table.votes[:, 0] - out.votes[:, 0]
    assert (moved[rows] == np.maximum(1, np.round(0.3 * table.votes[:, 0]))[rows]).all()
    assert (out.votes[:, 2] - table.votes[:, 2] == moved).all() and (out.total == table.total).all()


def test_copy_takes_a_nearby_sheet_and_types_do_not_overlap() -> None:
    table = synthetic_table(seed=1)
    out, injected = inject(table, "copy:0.1,stuffing:0.1:0.1,switch:0.1:0.2", seed=5)
    mesas = [m for m, _ in injected]
    assert len(mesas) == len(set(mesas)) == 3 * round(0.1 * len(table))
    for mesa, kind in injected:
        if kind != "copy":
            continue
        i = int(np.flatnonzero(table.mesa_ids == mesa)[0])
        same = np.flatnonzero((out.votes == out.votes[i]).all(axis=1) & (np.arange(len(table)) != i))
        # from its center when an untouched sibling is left, else from its parish
        assert table.parish_ids[same[0]] == table.parish_ids[i] and out.null_votes[i] == out.null_votes[same[0]]
    # the default beneficiary is the runner-up, the victim the leader
    runner_up = table.leaders()[1]
    stuffed = [m for m, k in injected if k == "stuffing"]
    i = int(np.flatnonzero(table.mesa_ids == stuffed[0])[0])
    assert out.votes[i, table.index(runner_up)] > table.votes[i, table.index(runner_up)]
    spec = "copy:0.1,stuffing:0.1:0.1"
    assert inject(table, spec, seed=5)[1] == inject(table, spec, seed=5)[1]


def test_cards_stay_consistent_with_candidate_votes() -> None:
    table = synthetic_table(seed=3)
    cards = np.column_stack([table.votes[:, 0] // 2, table.votes[:, 0] - table.votes[:, 0] // 2, table.votes[:, 1:]])
    with_cards = replace(table, cards=cards, card_candidate=np.array([0, 0, 1, 2]))
    out, _ = inject(with_cards, "stuffing:0.1:0.2,switch:0.1:0.3,copy:0.1", seed=1, beneficiary="b", victim="a")
    assert out.cards is not None and (out.cards >= 0).all()
    summed = np.column_stack([out.cards[:, :2].sum(axis=1), out.cards[:, 2], out.cards[:, 3]])
    assert (summed == out.votes).all()


def test_rows_in_rows_out_with_the_registry() -> None:
    rows = load_results()[:400]
    registry = load_registry()
    out, injected = inject(rows, "stuffing:0.05:0.15", seed=1, registry=registry)
    assert isinstance(out, list) and len(out) == 400 and len(injected) == 20
    changed = [r["mesa_id"] for r, o in zip(rows, out, strict=True) if r != o]
    assert sorted(changed) == sorted(m for m, _ in injected)
    assert MesaTable.from_results(out, registry).total.sum() > MesaTable.from_results(rows, registry).total.sum()
    with pytest.raises(ValueError, match="registry"):
        inject(rows, "copy:0.1", seed=1)
