"""The sums of a BU: the vectors satisfy them, and each rule catches a crafted counterexample."""

from __future__ import annotations

import pytest

from testigo.profiles.bu.arithmetic import Arithmetic, Finding, Severity, check_arithmetic
from testigo.profiles.bu.model import Boletim
from testigo.profiles.bu.text import parse_boletim, parse_part
from tests.profiles.bu.vectors import MANUAL_2026, NAMES, lines

INVALID, FLAG = Severity.INVALID, Severity.FLAG


def altered(name: str, *changes: tuple[str, str]) -> Boletim:
    """Vector `name` with each (old, new) replaced once; the chain is broken, which the sums do not look at."""
    texts = list(lines(name))
    for old, new in changes:
        k = next(k for k, text in enumerate(texts) if old in text)
        texts[k] = texts[k].replace(old, new, 1)
    return parse_boletim([parse_part(text) for text in texts])


def one_part(data: str) -> Boletim:
    """A one-part BU of these data, with placeholder hash and signature."""
    return parse_boletim([parse_part(f"QRBU:1:1 VRQR:1.5 VRCH:20240507 {data} HASH:{'A' * 128} ASSI:{'B' * 128}")])


def rules(boletim: Boletim) -> set[tuple[Severity, str]]:
    return {(f.severity, f.rule) for f in check_arithmetic(boletim).findings}


HEADER = "ORIG:VOTA ORLC:LEG DTPL:20261004 PLEI:1 TURN:1 FASE:O UNFE:AC MUNI:1 ZONA:1 SECA:1 APTO:10 COMP:6 FALT:4"


@pytest.mark.parametrize("name", NAMES)
def test_every_vector_adds_up(name: str) -> None:
    result = check_arithmetic(parse_boletim([parse_part(text) for text in lines(name)]))
    assert result.invalid == ()
    expected_flags = [("nobody-came", None)] if name == "ex2018_sim_20180830_b.txt" else []
    assert [(f.rule, f.contest) for f in result.flags] == expected_flags


def test_the_senate_fills_two_seats_in_2018_and_2026() -> None:
    assert check_arithmetic(altered("ex2018_sim_20180830.txt")).seats == (1, 1, 2, 1, 1)
    manual = parse_boletim([parse_part(t) for t in MANUAL_2026.read_text().splitlines()])
    assert check_arithmetic(manual) == Arithmetic((), (1, 1, 2, 1, 1))


@pytest.mark.parametrize(
    ("name", "changes", "expected"),
    [
        ("ex2016_pe.txt", [("FALT:99", "FALT:98")], {(INVALID, "turnout")}),
        ("ex2016_pe.txt", [("BRAN:17", "BRAN:18")], {(INVALID, "sum")}),
        ("ex2016_pe.txt", [("NOMI:242", "NOMI:241")], {(INVALID, "nominal")}),
        ("ex2018_sim_20180830.txt", [("LEGC:2", "LEGC:3")], {(INVALID, "label")}),
        ("ex2018_sim_20180830.txt", [("1001:2 LEGP:1 TOTP:3", "1001:2 LEGP:1 TOTP:4")], {(INVALID, "party")}),
        # the Senate's 13 votes are no whole number of seats for 6 voters
        ("ex2018_sim_20180830.txt", [("BRAN:2 NULO:7 TOTC:12", "BRAN:3 NULO:7 TOTC:13")], {(INVALID, "seats")}),
        # a mayor elected twice per voter, a Senate three times
        ("ex2016_pe.txt", [("BRAN:17 NULO:36 TOTC:295", "BRAN:312 NULO:36 TOTC:590")], {(INVALID, "seats")}),
        ("ex2018_sim_20180830.txt", [("BRAN:2 NULO:7 TOTC:12", "BRAN:2 NULO:13 TOTC:18")], {(INVALID, "seats")}),
        # votes where nobody came, and none where people did
        (
            "ex2018_sim_20180830_b.txt",
            [("BRAN:0 NULO:0 TOTC:0", "BRAN:1 NULO:0 TOTC:1")],
            {(INVALID, "seats"), (FLAG, "nobody-came")},
        ),
        (
            "ex2016_pe.txt",
            [("12:112 22:130 NOMI:242 BRAN:17 NULO:36 TOTC:295", "NOMI:0 BRAN:0 NULO:0 TOTC:0")],
            {(INVALID, "seats")},
        ),
        # a candidate with more votes than voters came (the totals made consistent with it)
        (
            "ex2016_pe.txt",
            [("12:112", "12:300"), ("NOMI:242", "NOMI:430"), ("BRAN:17 NULO:36 TOTC:295", "BRAN:0 NULO:160 TOTC:590")],
            {
                (INVALID, "seats"),
                (INVALID, "eligible"),
            },
        ),
        # a candidate with more votes than the contest has eligible voters
        (
            "ex2024_manual_20240507.txt",
            [("92:1 APTA:144 APTS:144 APTT:0 NOMI:1 BRAN:0 NULO:1", "92:2 APTA:1 APTS:1 APTT:0 NOMI:2 BRAN:0 NULO:0")],
            {(INVALID, "eligible")},
        ),
        # a contest with more eligible voters than the section
        ("ex2024_manual_20240507.txt", [("APTA:144 APTS:144", "APTA:145 APTS:145")], {(INVALID, "eligible")}),
        # fewer eligible for the contest (voters in transit): fewer votes are fine, more than came are not
        (
            "ex2024_manual_20240507.txt",
            [("92:1 APTA:144 APTS:144", "92:1 APTA:140 APTS:140")],
            set(),
        ),
        (
            "ex2024_manual_20240507.txt",
            [("92:1 APTA:144 APTS:144", "92:1 APTA:140 APTS:140"), ("NULO:1 TOTC:2 HASH", "NULO:2 TOTC:3 HASH")],
            {(INVALID, "seats")},
        ),
        ("ex2024_manual_20240507.txt", [("APTO:144 APTS:144", "APTO:144 APTS:143")], {(FLAG, "eligible-split")}),
        (
            "ex2024_manual_20240507.txt",
            [("92:1 APTA:144 APTS:144", "92:1 APTA:144 APTS:143")],
            {(FLAG, "eligible-split")},
        ),
        ("ex2016_pe.txt", [("APTO:394", "APTO:295"), ("FALT:99", "FALT:0")], {(FLAG, "everyone-came")}),
        ("ex2016_pe.txt", [("12:112 22:130", "12:242")], {(FLAG, "one-candidate")}),
        ("ex2016_pe.txt", [("12:112 22:130", "12:112 13:0 22:130")], {(FLAG, "zero-listed")}),
        (
            "ex2018_sim_20180830.txt",
            [("PART:17 LEGP:1 TOTP:1 PART:20 LEGP:1 TOTP:1", "PART:17 LEGP:2 TOTP:2 PART:20 LEGP:0 TOTP:0")],
            {(FLAG, "zero-listed")},
        ),
    ],
)
def test_each_rule_catches_its_counterexample(
    name: str, changes: list[tuple[str, str]], expected: set[tuple[Severity, str]]
) -> None:
    assert rules(altered(name, *changes)) == expected


def test_an_office_of_unknown_seats_is_flagged_when_it_fills_more_than_one() -> None:
    office = "IDEL:1 CARG:25 TIPO:0 VERC:1 7:6 APTA:10 NOMI:6 BRAN:3 NULO:3 TOTC:12"
    assert rules(one_part(f"{HEADER} {office}")) == {(FLAG, "seats")}
    assert check_arithmetic(one_part(f"{HEADER} {office}")).seats == (2,)


def test_an_office_without_candidates_counts_its_attendance() -> None:
    assert rules(one_part(f"{HEADER} IDEL:1 CARG:3 TIPO:0 APTA:10 CSEC:6")) == set()
    assert rules(one_part(f"{HEADER} IDEL:1 CARG:3 TIPO:0 APTA:10 CSEC:7")) == {(INVALID, "attendance")}
    assert rules(one_part(f"{HEADER} IDEL:1 CARG:3 TIPO:0 APTA:10 CSEC:5")) == {(FLAG, "attendance")}
    assert rules(one_part(f"{HEADER} IDEL:1 CARG:3 TIPO:0 APTA:9 CSEC:5")) == set()


def test_a_referendum_answers_once_per_voter() -> None:
    question = "IDEL:1 CARG:1 TIPO:2 VERC:1 1:3 2:3 APTA:10 NOMI:6 BRAN:3 NULO:3 TOTC:12"
    assert rules(one_part(f"{HEADER} {question}")) == {(INVALID, "seats")}


def test_a_counting_system_bu_has_only_its_sums_checked() -> None:
    header = "ORIG:SA ORLC:LEG DTPL:20261004 PLEI:1 TURN:1 FASE:O UNFE:ZZ MUNI:1 ZONA:1 SECA:1 JUNT:1 TURM:1"
    contest = "IDEL:1 MAJO:5 CARG:1 TIPO:0 VERC:1 13:4 22:1 APTA:0 NOMI:5 BRAN:0 NULO:0 TOTC:5"
    boletim = one_part(f"{header} {contest}")
    assert boletim.came is None and boletim.contests[0].election_fields == (("MAJO", "5"),)
    assert check_arithmetic(boletim) == Arithmetic((), (None,))
    assert rules(one_part(f"{header} {contest.replace('TOTC:5', 'TOTC:6')}")) == {(INVALID, "sum")}


def test_findings_read_as_one_line_with_where() -> None:
    (finding,) = check_arithmetic(altered("ex2016_pe.txt", ("NOMI:242", "NOMI:241"))).findings
    assert finding == Finding(INVALID, "nominal", (221, 11), "NOMI 241 is not the candidates' 242 votes")
    assert str(finding) == "invalid: election 221 office 11: NOMI 241 is not the candidates' 242 votes"
    (turnout,) = check_arithmetic(altered("ex2016_pe.txt", ("FALT:99", "FALT:98"))).invalid
    assert str(turnout) == "invalid: APTO 394 is not COMP 295 + FALT 98"
