"""The audit of the real 2024 table: how many paper sheets the published figures would need checked."""

from __future__ import annotations

from testigo.audit import make_plan, measure
from testigo.audit.plan import Committed, MesaFigures
from testigo.profiles import get_profile
from testigo.profiles.ve2024_data import load_results


def test_the_2024_actas_need_16_sheets_at_5_percent_and_24_at_1() -> None:
    """24,560 mesas (28 of them without registered voters: bounded by the largest register, 1,451), González
    ahead of Maduro by 3.9 million votes: the error bound U is 5.5, so 16 draws (16 distinct sheets) that agree
    with the published figures meet a 5% risk limit, 24 a 1% one."""
    profile = get_profile("ve2024")
    registry, election = profile.load_registry(), profile.election
    first_card = {key: election.card_candidate_index().index(i) for i, key in enumerate(election.candidate_keys())}
    mesas = []
    for row in load_results():
        counts = [0] * len(election.cards)
        for key, card in first_card.items():
            counts[card] = int(row[key])
        mesa_id = str(row["mesa_id"])
        mesas.append(MesaFigures(mesa_id, tuple(counts), int(row["null"]), registry.mesas[mesa_id].registered))
    planned = {}
    for risk_limit in (0.05, 0.01):
        plan = make_plan(
            seed="20240728202407282024",
            risk_limit=risk_limit,
            checkpoint=Committed("testigo.example/log", 24560, "00" * 32),
            election=election,
            mesas=mesas,
            created_at="2026-12-03T00:00:00Z",
            unknown_bound=max(m.registered or 0 for m in registry.mesas.values()),
        )
        status = measure(plan, [])
        planned[risk_limit] = (plan.initial_draws, len(status.next_mesas))
        assert plan.candidates[plan.winner] == "gonzalez" and int(plan.margins.min()) == 3_919_305
    assert len(mesas) == 24_560 and sum(m.registered is None for m in mesas) == 28
    assert planned == {0.05: (16, 16), 0.01: (24, 24)}
