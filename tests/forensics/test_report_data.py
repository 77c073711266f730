"""`run_all` and `to_json`: every test, a q-value across tests, plain JSON."""

from __future__ import annotations

import json

import pytest

from testigo.forensics.report_data import TEST_IDS, flagged_mesas, run_all, to_json
from tests.forensics.synthetic import synthetic_table


def test_run_all_gives_every_test_as_plain_json() -> None:
    table = synthetic_table(states=4, parishes=5, centers=6, mesas=4, seed=1)
    results = run_all(table, candidate="a")
    assert [r.id for r in results] == list(TEST_IDS)
    data = json.loads(json.dumps(to_json(results), allow_nan=False))
    for test in data["tests"]:
        assert set(test) == {"id", "statistic", "p_value", "estimate", "flagged", "caveat"}
        assert test["caveat"] and "q_value" in test["estimate"]
        assert (test["estimate"]["q_value"] is None) == (test["p_value"] is None)
        assert all(set(flag) == {"mesa", "reason", "score"} for flag in test["flagged"])


def test_selected_tests_and_the_review_queue() -> None:
    table = synthetic_table(seed=2)
    results = run_all(table, tests=("impossible", "duplicates"))
    assert [r.id for r in results] == ["impossible", "duplicates"]
    assert flagged_mesas(results) == {}
    with pytest.raises(ValueError, match="unknown test"):
        run_all(table, tests=("benford",))
