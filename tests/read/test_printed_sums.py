"""The exact posterior of figures tied by sums, against a brute-force enumeration of every arrangement."""

from __future__ import annotations

import itertools
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from testigo.read.printed.figures import ACCEPT_CONFIDENCE, rescue
from testigo.read.printed.sums import solve
from tests.read.stand_ins import Field, reading, sure
from tests.read.test_printed_figures import LAYOUT

SUMS = [("valid", ["c0", "c1", "c2"]), ("total", ["valid", "null"])]


def _enumerate(likelihoods: dict[str, dict[int, float]]) -> tuple[dict[str, int], float, dict[str, float]] | None:
    """Every arrangement that keeps SUMS: the best, its weight, and each figure's marginal for its value."""
    names = list(likelihoods)
    weights: list[tuple[float, dict[str, int]]] = []
    for combo in itertools.product(*(likelihoods[name].items() for name in names)):
        values = {name: value for name, (value, _) in zip(names, combo, strict=True)}
        if all(values[total] == sum(values[part] for part in parts) for total, parts in SUMS):
            weights.append((math.prod(weight for _, weight in combo), values))
    if not weights:
        return None
    weight, best = max(weights, key=lambda item: item[0])
    whole = sum(w for w, _ in weights)
    return best, weight, {name: sum(w for w, v in weights if v[name] == best[name]) / whole for name in names}


candidates = st.dictionaries(st.integers(0, 12), st.floats(0.01, 1.0), min_size=1, max_size=3)


@settings(max_examples=300, deadline=None)
@given(st.fixed_dictionaries({name: candidates for name in ["c0", "c1", "c2", "valid", "null", "total"]}))
def test_the_best_arrangement_and_the_marginals_are_those_of_every_arrangement_weighed(
    likelihoods: dict[str, dict[int, float]],
) -> None:
    expected = _enumerate(likelihoods)
    solution = solve(likelihoods, SUMS)
    if expected is None:
        assert solution is None
        return
    best, weight, marginals = expected
    assert solution is not None
    assert math.isclose(math.prod(likelihoods[n][v] for n, v in solution.values.items()), weight, rel_tol=1e-9)
    if solution.values == best:  # ties may pick another arrangement of the same weight
        for name, marginal in marginals.items():
            assert math.isclose(solution.confidence[name], marginal, rel_tol=1e-9)


def test_a_figure_with_no_candidate_makes_its_sum_impossible_and_one_in_no_sum_is_left_out() -> None:
    assert solve({"c0": {1: 1.0}, "c1": {2: 1.0}, "c2": {}, "valid": {3: 1.0}}, [("valid", ["c0", "c1", "c2"])]) is None
    solution = solve({"c0": {1: 1.0}, "valid": {1: 1.0}, "alone": {}}, [("valid", ["c0"])])
    assert solution is not None and solution.values == {"c0": 1, "valid": 1}


def test_three_misread_figures_are_found_when_the_sums_leave_no_other_way_and_left_to_a_person() -> None:
    # each card reads best as another figure, the printed one a close second; the totals are sharp
    printed = reading(
        card_1=Field({"9": -0.3, "3": -1.5}),
        card_2=Field({"4": -0.3, "7": -1.5}),
        card_3=Field({"6": -0.3, "5": -1.5}),
        valid_votes=sure(15),
        null_votes=sure(2),
        total_votes=sure(17),
    )
    rescued = rescue(printed, LAYOUT)
    assert rescued.values == {
        "card_1": 3,
        "card_2": 7,
        "card_3": 5,
        "valid_votes": 15,
        "null_votes": 2,
        "total_votes": 17,
    }
    assert rescued.corrected == ("card_1", "card_2", "card_3") and rescued.arithmetic
    # the sums are sure, but they changed what both readers read: a person confirms (`Rescued.doubtful`)
    assert min(rescued.confidence.values()) >= ACCEPT_CONFIDENCE and not rescued.certain
    assert rescued.doubtful() == ["card_1", "card_2", "card_3"]
