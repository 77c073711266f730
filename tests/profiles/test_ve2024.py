"""The ve2024 payload parser and validator: test vectors, bad shapes, round trips."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from testigo.profiles import CheckContext, PayloadError, get_profile
from testigo.profiles.ve2024 import CARDS, acta_id_for

PROFILE = get_profile("ve2024")
REGISTRY = PROFILE.load_registry()

VECTOR_1 = "201301006.01.1.0001!140,7,10,8,1,7,1,0,2,3,0,1,8,1,0,1,0,3,1,1,0,1,0,0,0,0,0,0,1,2,0,0,0,5,7,155,1,1!0!0"
VECTOR_2 = "110601011.04.1.0001!122,1,0,0,4,2,0,0,2,1,0,1,2,1,0,0,0,5,0,2,0,0,0,0,0,0,0,0,1,0,0,0,0,8,22,406,0,1!0!0"


@pytest.mark.parametrize(
    ("payload", "mesa", "maduro", "gonzalez", "valid"),
    [(VECTOR_1, "201301006.01", 188, 167, 368), (VECTOR_2, "110601011.04", 135, 436, 581)],
)
def test_issue_test_vectors(payload: str, mesa: str, maduro: int, gonzalez: int, valid: int) -> None:
    record = PROFILE.parse(payload)
    by_candidate = PROFILE.election.per_candidate(record.counts)
    assert record.mesa_id == mesa
    assert record.acta_id == mesa + ".1.0001"
    assert (by_candidate["maduro"], by_candidate["gonzalez"], record.valid_votes) == (maduro, gonzalez, valid)
    assert len(record.counts) == 38 and record.counts[35] == int(payload.split("!")[1].split(",")[35])
    assert record.flags == ()
    assert PROFILE.check(record, CheckContext(REGISTRY)) == []


def test_ballot_has_38_cards_in_issue_order() -> None:
    assert len(CARDS) == 38
    assert [c.party for c in CARDS[:2]] == ["PSUV", "PCV"]
    assert {c.number: c.candidate for c in CARDS}[20] == "bertucci"
    assert [c.party for c in CARDS if c.candidate == "gonzalez"] == ["UNTC", "MPV", "MUD"]
    assert CARDS[-1].party == "CONDE" and CARDS[-1].candidate == "rausseo"


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ("201301006.01.1.0001!1,2,3!0!0", "expected 38 card counts, found 3"),
        ("201301006.01.1.0001!" + ",".join(["1"] * 38) + "!0", "expected 4 fields"),
        ("20130100.01.1.0001!" + ",".join(["1"] * 38) + "!0!0", "acta id"),
        ("201301006.01.1.0001!" + ",".join(["1"] * 37 + ["x"]) + "!0!0", "non-numeric card 38"),
        ("201301006.01.1.0001!" + ",".join(["1"] * 38) + "!zero!0", "non-numeric null votes"),
        ("201301006.01.1.0001!" + ",".join(["1 "] * 38) + "!0!0", "non-numeric card 1"),
        ("201301006.01.1.0001!" + ",".join(["1"] * 37 + ["\u0663"]) + "!0!0", "non-numeric card 38"),
        ("201301006.01.1.0001!" + ",".join(["1"] * 37 + ["\uff17"]) + "!0!0", "non-numeric card 38"),
        ("201301006.01.1.0001!" + ",".join(["007"] + ["1"] * 37) + "!0!0", r"non-canonical card 1: '007' \(leading"),
        ("201301006.01.1.0001!" + ",".join(["1"] * 38) + "!-0!0", "non-canonical null votes"),
    ],
)
def test_malformed_payloads_are_refused_with_reason(payload: str, reason: str) -> None:
    assert PROFILE.recognises(payload)
    with pytest.raises(PayloadError, match=reason):
        PROFILE.parse(payload)


@pytest.mark.parametrize("text", ["https://example.org/acta?id=1", "hello", "", "WIFI:S:net;;", "4006381333931"])
def test_foreign_codes_are_not_recognised(text: str) -> None:
    assert not PROFILE.recognises(text)


def _check(payload: str) -> list[str]:
    return PROFILE.check(PROFILE.parse(payload), CheckContext(REGISTRY))


def test_validation_reasons() -> None:
    mesa = REGISTRY.mesas["201301006.01"]
    assert mesa.registered is not None
    counts = [0] * 38
    counts[5] = -3
    assert "negative counts on card(s) [6]" in _check(PROFILE.encode("201301006.01.1.0001", counts, 0))
    counts[5] = 10_001
    assert any("implausible count above 10000" in p for p in _check(PROFILE.encode("201301006.01.1.0001", counts, 0)))
    assert _check(PROFILE.encode("201301006.01.1.0001", [0] * 38, 0)) == ["all counts are zero"]
    assert _check(PROFILE.encode("999999999.01.1.0001", [1] * 38, 0)) == ["unknown center 999999999"]
    assert _check(PROFILE.encode("201301006.77.1.0001", [1] * 38, 0)) == [
        "unknown mesa 201301006.77 (center 201301006 is known)"
    ]
    counts = [0] * 38
    counts[0] = mesa.registered + 1
    assert _check(PROFILE.encode("201301006.01.1.0001", counts, 0)) == [
        f"{mesa.registered + 1} votes exceed the mesa's {mesa.registered} registered voters"
    ]


def test_center_ceiling_counts_other_mesas() -> None:
    mesa = next(m for m in REGISTRY.mesas.values() if REGISTRY.center_registered(m.center_id))
    center_registered = REGISTRY.center_registered(mesa.center_id)
    assert center_registered is not None
    record = PROFILE.parse(PROFILE.encode(acta_id_for(mesa.id), [5] * 38, 2))
    fits = CheckContext(REGISTRY, center_votes_elsewhere=center_registered - record.total_votes)
    assert PROFILE.check(record, fits) == []
    over = CheckContext(REGISTRY, center_votes_elsewhere=center_registered - record.total_votes + 1)
    assert PROFILE.check(record, over) == [
        f"center {mesa.center_id} would total {center_registered + 1} votes, "
        f"above its {center_registered} registered voters"
    ]


def test_unusual_fields_are_flagged_not_refused() -> None:
    odd = VECTOR_1.replace(".1.0001!", ".2.0001!")[:-1] + "3"
    record = PROFILE.parse(odd)
    assert record.acta_id == "201301006.01.2.0001" and record.mesa_id == "201301006.01"
    assert record.extra == {"second_count": 3}
    assert len(record.flags) == 2 and "suffix .2.0001" in record.flags[0] and "differs" in record.flags[1]


@given(
    mesa=st.sampled_from(sorted(REGISTRY.mesas)[:500]),
    counts=st.lists(st.integers(min_value=0, max_value=10_000), min_size=38, max_size=38),
    nulls=st.integers(min_value=0, max_value=10_000),
)
def test_encode_parse_round_trip(mesa: str, counts: list[int], nulls: int) -> None:
    payload = PROFILE.encode(acta_id_for(mesa), counts, nulls)
    record = PROFILE.parse(payload)
    assert (record.mesa_id, list(record.counts), record.null_votes, record.payload) == (mesa, counts, nulls, payload)
    assert PROFILE.encode(record.acta_id, list(record.counts), record.null_votes, record.extra) == payload


@given(st.text(max_size=300))
def test_parser_never_crashes_on_garbage(text: str) -> None:
    try:
        record = PROFILE.parse(text)
    except PayloadError as error:
        assert str(error) and "\n" not in str(error)
    else:
        assert len(record.counts) == 38
