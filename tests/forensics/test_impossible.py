"""`impossible`: arithmetic that cannot be true is flagged, honest sheets are not."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from testigo.forensics.impossible import impossible
from tests.forensics.synthetic import synthetic_table


def test_each_rule_flags_its_planted_mesa_and_nothing_else() -> None:
    table = synthetic_table(seed=3)
    assert impossible(table).flagged == []
    votes, nulls, registered = table.votes.copy(), table.null_votes.copy(), table.registered.copy()
    votes[0, 1] = -4
    votes[1, 0] += registered[1]  # more ballots than voters
    votes[2], nulls[2] = 0, 0
    declared = np.full(len(table), -1)
    declared[3] = table.total[3] + 10
    planted = replace(table, votes=votes, null_votes=nulls, declared_totals=declared)
    result = impossible(planted)
    reasons = {f.mesa: f.reason for f in result.flagged}
    assert set(reasons) == set(table.mesa_ids[:4].tolist())
    assert "negative" in reasons[table.mesa_ids[0]]
    assert "too many" in reasons[table.mesa_ids[1]]
    assert reasons[table.mesa_ids[2]] == "every count is zero"
    assert "declared total" in reasons[table.mesa_ids[3]]
    assert result.estimate["mesas_flagged"] == 4 and result.p_value is None
