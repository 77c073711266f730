"""Simulated Brazilian elections: consistent arithmetic, TSE-like numbering, reproducible from the seed."""

from __future__ import annotations

import re

import pytest

from testigo.errors import UserError
from testigo.profiles.bu.arithmetic import check_arithmetic
from testigo.profiles.bu.chain import check
from testigo.profiles.bu.text import MAX_PARTS, parse_boletim, parse_part
from testigo.simulate.boletim import (
    FEDERAL_DEPUTY,
    GOVERNOR,
    PRESIDENT,
    PROPORTIONAL,
    SENATE_SEATS,
    SENATOR,
    STATE_DEPUTY,
    UFS,
    BuElection,
    draw_boletim,
    draw_election,
    public_key_bytes,
    qr_texts,
    signing_key,
)

ELECTION = draw_election(5, 400)
TOKEN = re.compile(r"^[A-Z0-9]+:[A-Z0-9.]+$")


def test_turnout_and_every_contest_add_up() -> None:
    for index in range(0, ELECTION.sections, 7):
        bu = draw_boletim(ELECTION, index)
        assert bu.eligible == bu.turnout + bu.absent and bu.turnout <= bu.eligible
        assert len(bu.results) == 5
        for result in bu.results:
            seats = result.contest.seats
            assert result.total == bu.turnout * seats
            assert result.nominal + result.label_total + result.blank + result.null == result.total
            assert result.eligible == bu.eligible
            assert min(result.votes.values()) >= 0 and result.blank >= 0 and result.null >= 0
            if result.contest.kind == PROPORTIONAL:
                assert sum(result.party_total(p) for p in result.contest.parties) == result.nominal + result.label_total
            else:
                assert result.label == {}


def test_qr_texts_parse_back_to_the_drawn_figures_and_verify_under_the_test_key() -> None:
    keys = ELECTION.public_keys()
    for index in range(0, ELECTION.sections, 40):
        bu = draw_boletim(ELECTION, index)
        texts = qr_texts(ELECTION, bu)
        assert 1 <= len(texts) <= MAX_PARTS
        parts = [parse_part(text) for text in texts]
        parsed = parse_boletim(parts)
        assert parsed.header == bu.header and parsed.phase == "S"
        assert (parsed.eligible, parsed.came, parsed.absent) == (bu.eligible, bu.turnout, bu.absent)
        assert parsed.signing_key_name == ELECTION.key_name(bu.section.uf)
        assert check(parts, keys[parsed.signing_key_name], parsed.signing_key_name).verified
        assert len(parsed.contests) == len(bu.results)
        for contest, result in zip(parsed.contests, bu.results, strict=True):
            assert (contest.office, contest.kind, contest.election) == (
                result.contest.office,
                result.contest.kind,
                result.contest.election,
            )
            assert dict(contest.all_candidates()) == {n: v for n, v in result.votes.items() if v}
            assert {p.number: p.label_votes for p in contest.parties} == {
                party: votes for party, votes in result.label.items() if result.party_total(party)
            }
            figures = (contest.eligible, contest.nominal, contest.blank, contest.null, contest.total)
            assert figures == (result.eligible, result.nominal, result.blank, result.null, result.total)
            assert contest.label_votes == (result.label_total if result.contest.kind is PROPORTIONAL else None)


@pytest.mark.parametrize(
    "election",
    [ELECTION, draw_election(8, 120, ufs=("RJ", "MG"), year=2018), draw_election(9, 60, turn=2)],
    ids=["2022", "2018-two-senators", "second-round"],
)
def test_the_codec_finds_the_arithmetic_of_a_genuine_bu(election: BuElection) -> None:
    """No invalid finding, and no candidate listed without votes (a flag a real urna never earns)."""
    for index in range(0, election.sections, 2):
        parsed = parse_boletim([parse_part(text) for text in qr_texts(election, draw_boletim(election, index))])
        arithmetic = check_arithmetic(parsed)
        assert arithmetic.invalid == ()
        assert {finding.rule for finding in arithmetic.flags} <= {"one-candidate"}
        seats = [SENATE_SEATS[election.year] if c.office == SENATOR else 1 for c in parsed.contests]
        assert list(arithmetic.seats) == seats


def test_a_smaller_part_spreads_a_bu_over_up_to_nine_parts() -> None:
    bu = draw_boletim(ELECTION, 1)
    texts = qr_texts(ELECTION, bu, limit=len(bu.content) // 8)
    assert len(texts) == MAX_PARTS
    assert parse_boletim([parse_part(text) for text in texts]).header == bu.header


def test_header_names_the_section_in_the_simulated_phase() -> None:
    bu = draw_boletim(ELECTION, 11)
    tokens = [f"{key}:{value}" for key, value in bu.fields]
    assert all(TOKEN.match(token) for token in tokens)
    assert tokens[:2] == ["ORIG:VOTA", "ORLC:LEG"] and "FASE:S" in tokens
    section = bu.section
    assert bu.field("UNFE") == section.uf and int(bu.field("MUNI")) == section.municipality.code
    assert (int(bu.field("ZONA")), int(bu.field("SECA"))) == (section.zone, section.number)
    assert bu.field("DTPL") == ELECTION.date == "20221002"
    # the state election's offices under one IDEL, then the President under another, as in 2018's BUs
    offices = [int(t[5:]) for t in tokens if t.startswith("CARG:")]
    assert offices == [FEDERAL_DEPUTY, STATE_DEPUTY, SENATOR, GOVERNOR, PRESIDENT]
    assert len([t for t in tokens if t.startswith("IDEL:")]) == 2


def test_candidates_are_numbered_like_the_tse_numbers_them() -> None:
    digits = {PRESIDENT: 2, GOVERNOR: 2, SENATOR: 3, FEDERAL_DEPUTY: 4, STATE_DEPUTY: 5}
    parties = {party.number for party in ELECTION.parties}
    for contests in ELECTION.contests.values():
        for contest in contests:
            numbers = [c.number for c in contest.candidates]
            assert len(set(numbers)) == len(numbers)
            for candidate in contest.candidates:
                assert len(str(candidate.number)) == digits[contest.office]
                assert int(str(candidate.number)[:2]) == candidate.party and candidate.party in parties
    president = {uf: contests[-1].candidates for uf, contests in ELECTION.contests.items()}
    assert len(set(president.values())) == 1  # one national race


def test_geography_is_consistent() -> None:
    seen: dict[tuple[str, int, int], int] = {}
    codes: dict[int, str] = {}
    for index in range(ELECTION.sections):
        section = ELECTION.section(index)
        assert section.index == index and section.uf in UFS
        key = (section.uf, section.zone, section.number)
        assert key not in seen, f"section {key} drawn twice"
        seen[key] = index
        assert codes.setdefault(section.municipality.code, section.uf) == section.uf
        assert 1000 <= section.municipality.code < 100_000
    with pytest.raises(IndexError):
        ELECTION.section(ELECTION.sections)


def test_drawn_again_from_the_seed_alone() -> None:
    again = draw_election(5, 400)
    assert [draw_boletim(again, i).content for i in (0, 199, 399)] == [
        draw_boletim(ELECTION, i).content for i in (0, 199, 399)
    ]
    assert [bu.section.index for bu in again.boletins()] == list(range(400))
    other = draw_election(6, 400)
    assert draw_boletim(other, 0).content != draw_boletim(ELECTION, 0).content


def test_two_seat_senate_counts_two_votes_per_voter() -> None:
    election = draw_election(8, 30, ufs=("RJ", "MG"), year=2018)
    bu = draw_boletim(election, 4)
    senate = next(r for r in bu.results if r.contest.office == SENATOR)
    assert senate.contest.seats == 2 and senate.total == 2 * bu.turnout
    assert max(senate.votes.values()) <= bu.turnout  # nobody votes twice for one candidate
    assert bu.field("DTPL") == "20181007"


def test_second_round_has_president_and_governor_with_two_candidates() -> None:
    election = draw_election(9, 20, ufs=("BA",), turn=2)
    bu = draw_boletim(election, 0)
    assert [r.contest.office for r in bu.results] == [GOVERNOR, PRESIDENT]
    assert all(len(r.contest.candidates) == 2 for r in bu.results)
    assert bu.field("TURN") == "2" and bu.field("DTPL") == "20221030"


def test_test_keys_are_per_uf_named_for_the_simulated_phase_and_never_official() -> None:
    keys = ELECTION.public_keys()
    assert set(keys) == {f"20220101/LEGAL/s{uf.lower()}qrcode.pub" for uf in ELECTION.contests}
    assert all(len(key) == 32 for key in keys.values()) and len(set(keys.values())) == len(keys)
    assert keys[ELECTION.key_name("SP")] == public_key_bytes(signing_key(5, "SP"))
    assert public_key_bytes(signing_key(6, "SP")) != keys[ELECTION.key_name("SP")]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"year": 2020}, "no general election"),
        ({"turn": 3}, "a round is 1 or 2"),
        ({"ufs": ("XX",)}, "known UFs"),
        ({"parties": 1}, "2 to 80 parties"),
    ],
)
def test_bad_parameters_are_refused(arguments: dict[str, object], message: str) -> None:
    with pytest.raises(UserError, match=message):
        draw_election(1, 10, **arguments)  # type: ignore[arg-type]


def test_an_election_whose_bus_could_need_more_than_nine_parts_is_refused() -> None:
    with pytest.raises(UserError, match="more than the 9 QR codes"):
        draw_election(1, 10, parties=30, federal_per_party=30, state_per_party=40)
