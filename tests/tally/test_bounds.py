"""Assumption-free bounds on constructed elections whose outcome is, and is not, decided."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pytest

from testigo.domain import Area, Candidate, Card, Election, Mesa, Registry
from testigo.tally.aggregate import Accepted
from testigo.tally.bounds import AreaBounds, bounds

ELECTION = Election(
    "test contest",
    (Candidate("x", "Xavier"), Candidate("y", "Yolanda"), Candidate("z", "Zoe")),
    (Card(1, "PX", "x"), Card(2, "PY", "y"), Card(3, "PZ", "z")),
)
NAMES = {c.key: c.name for c in ELECTION.candidates}


def registry(
    mesas: Mapping[str, int | None],
    centers: dict[str, int] | None = None,
    *,
    unlisted: int = 0,
    roll: int | None = None,
) -> Registry:
    """Mesas ``<center 9 digits>.<nn>`` with their registered voters; state, municipality and parish are the
    center's first 2, 4 and 6 digits (as in ve2024); `centers` gives some centers a registered figure."""
    built = Registry(registered_national=roll)
    for mesa_id, registered in mesas.items():
        center = mesa_id[:9]
        chain = [("state", center[:2], None), ("municipality", center[:4], center[:2])]
        chain += [("parish", center[:6], center[:4]), ("center", center, center[:6])]
        for level, area_id, parent in chain:
            figure = (centers or {}).get(area_id) if level == "center" else None
            built.areas.setdefault(area_id, Area(area_id, level, f"{level} {area_id}", parent, figure))
        built.mesas[mesa_id] = Mesa(mesa_id, center, int(mesa_id[-2:]), registered)
    built.mesas_national = len(mesas) + unlisted
    return built


def accepted(votes: dict[str, tuple[int, int, int, int]]) -> Accepted:
    """Accepted records: per mesa, votes for x, y, z and the null votes."""
    ids = list(votes)
    return Accepted(
        mesa_ids=ids,
        acta_ids=[f"{m}.1" for m in ids],
        cards=np.array([votes[m][:3] for m in ids], dtype=np.int64).reshape(len(ids), 3),
        nulls=np.array([votes[m][3] for m in ids], dtype=np.int64),
        evidence=["table"] * len(ids),
    )


def area(reg: Registry, votes: dict[str, tuple[int, int, int, int]], level: str, area_id: str) -> AreaBounds:
    [found] = [a for a in bounds(ELECTION, reg, level, accepted(votes)).areas if a.id == area_id]
    return found


#: State 01: five mesas of 100 voters, four counted (x 90, y 5 each); state 02: two of 100, one counted (y ahead).
TWO_STATES = registry({f"010101001.0{i}": 100 for i in range(1, 6)} | {"020101001.01": 100, "020101001.02": 100})
TWO_STATES_VOTES = {f"010101001.0{i}": (90, 5, 0, 0) for i in range(1, 5)} | {"020101001.01": (40, 50, 0, 0)}


def test_decided_in_the_country_not_in_a_state() -> None:
    national = area(TWO_STATES, TWO_STATES_VOTES, "country", "national")
    assert national.counted == {"x": 400, "y": 70, "z": 0}
    assert (national.leader, national.runner_up, national.lead) == ("x", "y", 330)
    assert (national.mesas_counted, national.mesas_missing, national.mesas_unbounded) == (5, 2, 0)
    line = national.registered
    assert line.voters == 200 and line.decided and line.margin == 130
    # every missing voter for y: y 70 + 200 = 270, x still ahead by 130
    assert line.scenarios["y"].votes == 270 and line.scenarios["y"].leader == "x"
    assert line.scenarios["y"].margin == 130
    assert line.scenarios["x"].votes == 600 and line.scenarios["x"].margin == 530
    assert line.scenarios["z"].votes == 200 and line.scenarios["z"].margin == 200
    assert national.sentence(NAMES) == (
        "decided: even if all 2 missing mesas (200 registered voters in all) voted only for Yolanda, "
        "Xavier leads by 130"
    )
    assert national.arithmetic(NAMES) == (
        "Yolanda 70 counted + 200 missing registered voters = 270; Xavier 400 counted; 400 - 270 = 130"
    )

    one = area(TWO_STATES, TWO_STATES_VOTES, "state", "01")
    assert one.registered.voters == 100 and one.registered.decided and one.registered.margin == 360 - 20 - 100
    two = area(TWO_STATES, TWO_STATES_VOTES, "state", "02")
    assert (two.leader, two.runner_up, two.registered.voters) == ("y", "x", 100)
    assert not two.registered.decided and two.registered.margin == -90
    overturn = two.registered.scenarios["x"]
    assert (overturn.votes, overturn.leader, overturn.margin) == (140, "x", 90)
    assert two.sentence(NAMES) == (
        "not decided: if all 1 missing mesas (100 registered voters in all) voted only for Xavier, "
        "Xavier would lead by 90"
    )


def test_a_tie_is_not_decided() -> None:
    reg = registry({"010101001.01": 200, "010101001.02": 50})
    national = area(reg, {"010101001.01": (100, 50, 0, 0)}, "country", "national")
    assert national.registered.margin == 0 and not national.registered.decided
    tie = national.registered.scenarios["y"]
    assert (tie.votes, tie.leader, tie.margin) == (100, "y", 0)
    one_more = area(
        registry({"010101001.01": 200, "010101001.02": 49}), {"010101001.01": (100, 50, 0, 0)}, "country", "national"
    )
    assert one_more.registered.decided and one_more.registered.margin == 1


def test_a_mesa_without_a_figure_is_unbounded_unless_its_center_or_the_roll_bounds_it() -> None:
    mesas = {"010101001.01": 100, "010101001.02": None}
    votes = {"010101001.01": (90, 0, 0, 0)}
    unbounded = area(registry(mesas), votes, "country", "national")
    assert unbounded.mesas_unbounded == 1 and unbounded.registered.voters is None
    assert not unbounded.registered.decided and unbounded.registered.margin is None
    assert unbounded.parish_turnout.voters is None and unbounded.registered.scenarios == {}
    assert unbounded.sentence(NAMES) == "not decided: nothing bounds the voters of 1 missing mesas"

    # the center's figure: 150 less the 100 its other mesa has
    by_center = area(registry(mesas, {"010101001": 150}), votes, "country", "national")
    assert by_center.mesas_unbounded == 0 and by_center.registered.voters == 50
    assert by_center.registered.decided and by_center.registered.margin == 40

    # the roll: 180 voters in all, 100 placed
    by_roll = area(registry(mesas, roll=180), votes, "country", "national")
    assert by_roll.registered.voters == 80 and by_roll.unplaced == 80
    assert by_roll.registered.decided and by_roll.registered.margin == 10


def test_a_center_remainder_less_the_ballots_of_its_counted_mesas_without_a_figure() -> None:
    mesas = {"010101001.01": 200, "010101001.02": None, "010101001.03": None}
    # center of 500: 300 voters between .02 and .03; .02 cast 120 ballots (100 + 20 null), so .03 has at most 180
    votes = {"010101001.01": (100, 50, 0, 0), "010101001.02": (60, 40, 0, 20)}
    national = area(registry(mesas, {"010101001": 500}), votes, "country", "national")
    assert national.counted == {"x": 160, "y": 90, "z": 0}
    assert national.registered.voters == 180 and national.registered.margin == 160 - 90 - 180


def test_unlisted_mesas_count_everywhere_when_the_roll_bounds_them() -> None:
    mesas = {"010101001.01": 100, "020101001.01": 100}
    votes = {"010101001.01": (90, 0, 0, 0), "020101001.01": (0, 50, 0, 0)}
    reg = registry(mesas, unlisted=3, roll=230)
    national = area(reg, votes, "country", "national")
    assert (national.mesas_missing, national.unplaced, national.registered.voters) == (3, 30, 30)
    assert national.registered.decided and national.registered.margin == 90 - 50 - 30
    # nothing says which state the unlisted mesas are in: each state's line includes them all
    one, two = (area(reg, votes, "state", state) for state in ("01", "02"))
    assert one.mesas_missing == 0 and one.registered.voters == 30 and one.registered.margin == 60
    assert (two.leader, two.registered.margin) == ("y", 20)
    assert "and the 30 voters the registry does not place" in one.sentence(NAMES)
    # without a roll nothing bounds them, in any area
    for level, area_id in (("country", "national"), ("state", "01")):
        loose = area(registry(mesas, unlisted=3), votes, level, area_id)
        assert loose.mesas_unbounded == 3 and loose.registered.voters is None and not loose.registered.decided


def test_the_parish_turnout_line() -> None:
    mesas = {"010101001.01": 100, "010101001.02": 100, "010102001.01": 200, "010201001.01": 100}
    # parish 010101: turnout 0.9 (90 + 0 null) and the missing .02; parish 010102 has nothing counted, so its
    # mesa takes its municipality's 0.9; municipality 0102 has nothing counted: the state's 0.9 as well
    votes = {"010101001.01": (80, 5, 0, 5)}
    national = area(registry(mesas), votes, "country", "national")
    assert national.registered.voters == 400
    assert national.parish_turnout.voters == 360
    assert national.parish_turnout.margin == 75 - 360
    # two parishes with their own highest turnout
    mesas = {"010101001.01": 100, "010101001.02": 100, "010102001.01": 100, "010102001.02": 100}
    votes = {"010101001.01": (50, 0, 0, 0), "010102001.01": (10, 90, 0, 0)}
    national = area(registry(mesas), votes, "country", "national")
    assert national.parish_turnout.voters == 50 + 100
    parishes = bounds(ELECTION, registry(mesas), "parish", accepted(votes)).areas
    assert [(a.id, a.parish_turnout.voters, a.parish_turnout.decided) for a in parishes] == [
        ("010101", 50, False),
        ("010102", 100, False),
    ]


def test_no_bounds_for_a_single_mesa() -> None:
    with pytest.raises(ValueError, match="no bounds at level 'mesa'"):
        bounds(ELECTION, TWO_STATES, "mesa", accepted(TWO_STATES_VOTES))


def test_an_area_without_votes_is_not_decided() -> None:
    reg = registry({"010101001.01": 100, "020101001.01": 100})
    empty = area(reg, {"010101001.01": (90, 0, 0, 0)}, "state", "02")
    assert empty.leader is None and not empty.registered.decided and empty.registered.margin is None
    assert empty.sentence(NAMES) == "not decided: no votes counted, 1 missing mesas with 100 registered voters"
