"""BU QR texts: the vectors read into the model and written back byte for byte; malformed texts refused."""

from __future__ import annotations

import re
from datetime import date

import pytest
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from testigo.profiles.base import PayloadError
from testigo.profiles.bu.model import Boletim, ContestKind, SectionKey
from testigo.profiles.bu.text import (
    MAX_DATA_CHARS,
    MalformedBoletim,
    MalformedPart,
    WriteError,
    build_contest,
    contest_from_fields,
    data_tokens,
    parse_boletim,
    parse_certificate_part,
    parse_code,
    parse_part,
    split_data,
    write_boletim,
    write_parts,
)
from tests.profiles.bu.vectors import FOUR_PARTS, MANUAL_2026, NAMES, lines

HASH = "A" * 128
SIG = "B" * 128


def boletim_of(name: str) -> Boletim:
    return parse_boletim([parse_part(text) for text in lines(name)])


@pytest.mark.parametrize("name", NAMES)
def test_every_vector_is_written_back_byte_for_byte(name: str) -> None:
    texts = lines(name)
    boletim = boletim_of(name)
    signature = bytes.fromhex(boletim.parts[-1].signature_hex or "")
    seen: list[bytes] = []

    def sign(message: bytes) -> bytes:
        seen.append(message)
        return signature

    assert write_boletim(boletim, sign) == texts
    assert seen == [bytes.fromhex(boletim.parts[-1].hash_hex)]  # 1.4/1.5 sign the raw last hash


def test_the_2026_manual_example_is_written_back_byte_for_byte() -> None:
    texts = tuple(MANUAL_2026.read_text().splitlines())
    boletim = parse_boletim([parse_part(text) for text in texts])
    assert boletim.format_version == "6.0" and boletim.key_version is None and boletim.signing_key_name is None
    assert boletim.aggregated == (17, 18, 19)
    assert [(c.election, c.office) for c in boletim.contests] == [(2102, 6), (2102, 7), (2102, 5), (2102, 3), (2101, 1)]
    assert write_boletim(boletim, lambda _: bytes.fromhex(boletim.parts[-1].signature_hex or "")) == texts


def test_a_2016_bu_reads_into_its_header_and_one_contest() -> None:
    boletim = boletim_of("ex2016_pe.txt")
    assert boletim.format_version == "1.4" and boletim.key_version is None
    assert boletim.section_key == SectionKey("PE", 24570, 101, 1, 188, 2)
    assert (boletim.eligible, boletim.came, boletim.absent) == (394, 295, 99)
    assert boletim.election_date == date(2016, 10, 30) and boletim.phase == "O" and boletim.origin == "VOTA"
    assert boletim.signing_key_name == "2016/LEGAL/opeqrcode.pub"
    (mayor,) = boletim.contests
    assert (mayor.election, mayor.office, mayor.kind) == (221, 11, ContestKind.MAJORITARIAN)
    assert dict(mayor.candidates) == {12: 112, 22: 130}
    assert (mayor.eligible, mayor.nominal, mayor.label_votes, mayor.blank, mayor.null, mayor.total) == (
        None,
        242,
        None,
        17,
        36,
        295,
    )
    assert mayor.field("VERC") == "201610061907"


def test_proportional_contests_read_into_parties_across_parts() -> None:
    boletim = boletim_of(FOUR_PARTS)
    councillors = boletim.contests[0]
    assert councillors.kind is ContestKind.PROPORTIONAL and councillors.office == 13
    assert [p.number for p in councillors.parties] == [91, 92, 93, 94, 95]
    party_92 = councillors.parties[1]  # its candidates run from part 1 into part 2
    assert (party_92.candidates[92001], party_92.candidates[92008], party_92.label_votes, party_92.total) == (
        2,
        6,
        0,
        112,
    )
    assert councillors.candidates == {}
    assert len(councillors.all_candidates()) == sum(len(p.candidates) for p in councillors.parties)
    assert (councillors.eligible, councillors.label_votes, councillors.total) == (559, 5, 504)


def test_each_election_block_keeps_its_contests() -> None:
    boletim = boletim_of("ex2018_sim_20180830.txt")
    assert [(c.election, c.office, c.kind) for c in boletim.contests] == [
        (3191, 6, ContestKind.PROPORTIONAL),
        (3191, 7, ContestKind.PROPORTIONAL),
        (3191, 5, ContestKind.MAJORITARIAN),
        (3191, 3, ContestKind.MAJORITARIAN),
        (3189, 1, ContestKind.MAJORITARIAN),
    ]
    assert boletim.contests[-1].total == 6  # its TOTC is alone in part 2
    assert boletim.key_version == "20180830" and boletim.field("ORLC") == "LEG" and not boletim.community


def test_the_data_are_cut_where_the_urna_cuts_them() -> None:
    tokens = tuple((f"{k:04d}", "1") for k in range(1000, 1400))  # "1000:1 1001:1 ...", 7 characters with a space
    pieces = split_data(tokens)
    assert all(len(piece) <= MAX_DATA_CHARS for piece in pieces)
    assert " ".join(pieces) == " ".join(f"{k}:{v}" for k, v in tokens)
    assert pieces[0].endswith(" 1116:1") and len(pieces[0]) == 117 * 7 - 1 and pieces[1].startswith("1117:1 ")
    # the urna's code cuts back to the last space even when the 823rd character ends a token
    long = ("ABCD", "1" * (MAX_DATA_CHARS - 12))  # 816 characters, then a space, then 6 more: 823
    assert split_data((long, ("EFGH", "1"))) == (f"ABCD:{long[1]}", "EFGH:1")
    # and keeps the whole slice when its last character is the space after a token
    whole = ("ABCD", "1" * (MAX_DATA_CHARS - 6))
    assert split_data((whole, ("EFGH", "1"))) == (f"ABCD:{whole[1]}", "EFGH:1")
    assert split_data((("ABCD", "1"),)) == ("ABCD:1",)
    with pytest.raises(WriteError, match="longer than a part"):
        split_data((("CERT", "A" * 900),))


def test_writing_refuses_what_no_bu_prints() -> None:
    tokens = (("ORIG", "VOTA"),)
    with pytest.raises(WriteError, match="needs VRCH"):
        write_parts(tokens, format_version="1.5", key_version=None, sign=bytes)
    with pytest.raises(WriteError, match="has no VRCH"):
        write_parts(tokens, format_version="6.0", key_version="20240507", sign=bytes)
    with pytest.raises(WriteError, match="not one of"):
        write_parts(tokens, format_version="2.0", key_version=None, sign=bytes)
    many = tuple((f"{k}", "1") for k in range(10000, 11500))
    with pytest.raises(WriteError, match="more than a BU's 9"):
        write_parts(many, format_version="1.4", key_version=None, sign=bytes)


def _part(data: str, *, head: str = "QRBU:1:1 VRQR:1.5 VRCH:20240507", tail: str = f"HASH:{HASH} ASSI:{SIG}") -> str:
    return f"{head} {data} {tail}"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (_part("ORIG:vota"), "character 'v' at position"),
        (_part("ORIG:VOTA\n"), "character '\\n'"),
        (_part("ORIG:VOTA", head="QRBU:0:1 VRQR:1.5 VRCH:20240507"), "'QRBU:0:1' is not QRBU:i:n"),
        (_part("ORIG:VOTA", head="QRBU:2:1 VRQR:1.5 VRCH:20240507"), "part 2 of only 1"),
        (_part("ORIG:VOTA", head="QRBU:1:10 VRQR:1.5 VRCH:20240507"), "is not QRBU:i:n"),
        (_part("ORIG:VOTA", head="QRCE:1:1 VRQR:1.5 VRCH:20240507"), "is not QRBU:i:n"),
        (_part("ORIG:VOTA", head="QRBU:1:1 VRQR:1.6 VRCH:20240507"), "VRQR:1.6 is not one of"),
        (_part("ORIG:VOTA", head="QRBU:1:1 VRQR:1.5"), "'ORIG:VOTA' where VRCH was expected"),
        (_part("ORIG:VOTA", head="QRBU:1:1 VRQR:1.5 VRCH:2024057"), "VRCH:2024057 is not a key version"),
        (_part("VRCH:20160101 ORIG:VOTA", head="QRBU:1:1 VRQR:1.4"), "'VRCH:20160101' out of place"),
        (_part("ORIG:VOTA HASH:" + HASH), "'HASH:AAAAAAAA"),
        (_part("ORIG:VOTA", tail=f"HASH:{HASH[:-2]} ASSI:{SIG}"), "HASH has 126 hex digits"),
        (_part("ORIG:VOTA", tail=f"HASH:{HASH.lower()} ASSI:{SIG}"), "character 'a'"),
        (_part("ORIG:VOTA", tail=f"HASH:{'G' * 128} ASSI:{SIG}"), "HASH is not upper-case hexadecimal"),
        (_part("ORIG:VOTA", tail=f"HASH:{HASH}"), "where ASSI was expected"),
        (_part("ORIG:VOTA", head="QRBU:1:2 VRQR:1.5 VRCH:20240507"), "'ASSI:BBBBBB"),
        (_part("ORIG:VOTA", tail=f"HASH:{HASH} ASSI:{SIG}00"), "ASSI has 130 hex digits, not the 128"),
        (_part("ORIG:VOTA", head="QRBU:1:1 VRQR:6.0"), "neither an E-521 nor a DER P-521"),
        (_part("ORIG:VOTA ", head="QRBU:1:1 VRQR:1.4"), "single spaces"),
        (_part("ORIG:VOTA  APTO:1"), "single spaces"),
        (_part("ORIG:"), "'ORIG:' is not KEY:VALUE"),
        (_part("ORIGEM:VOTA"), "'ORIGEM:VOTA' is not KEY:VALUE"),
        (_part("1234567890:1"), "is not KEY:VALUE"),
        ("QRBU:1:1 VRQR:1.5 VRCH:20240507 " + f"HASH:{HASH} ASSI:{SIG}", "carries no data"),
        ("QRBU:1:1", "format VRQR: is not one of"),
        ("", "the text is empty"),
        (f"QRBU:1:1 HASH:{HASH} ASSI:{SIG}", "where VRQR was expected"),
    ],
)
def test_a_malformed_part_is_refused_naming_its_fault(text: str, reason: str) -> None:
    with pytest.raises(MalformedPart) as caught:
        parse_part(text)
    assert reason in str(caught.value)
    assert isinstance(caught.value, PayloadError) and "\n" not in str(caught.value)


def test_a_6_0_signature_is_e521_sized_or_canonical_der() -> None:
    der = encode_dss_signature(2**520 + 1, 2**519 + 3).hex().upper()
    part = parse_part(_part("ORIG:VOTA", head="QRBU:1:1 VRQR:6.0", tail=f"HASH:{HASH} ASSI:{der}"))
    assert part.signature_hex == der and part.key_version is None
    assert parse_part(_part("ORIG:VOTA", head="QRBU:1:1 VRQR:6.0", tail=f"HASH:{HASH} ASSI:{'C' * 264}"))
    for bad in ("31" + der[2:], der + "00", "C" * 262):
        with pytest.raises(MalformedPart, match="neither an E-521"):
            parse_part(_part("ORIG:VOTA", head="QRBU:1:1 VRQR:6.0", tail=f"HASH:{HASH} ASSI:{bad}"))


def test_certificate_parts_are_read_apart_from_bu_parts() -> None:
    part = parse_code("QRCE:1:2 IDUE:2250280 MDUE:2022 CERT:2D2D2D2D2D42")
    assert part == parse_certificate_part(part.text)
    assert (part.index, part.count, part.urna_id, part.model, part.certificate_hex) == (
        1,
        2,
        "2250280",
        "2022",
        "2D2D2D2D2D42",
    )
    for text, reason in (
        ("QRCE:1:2 IDUE:2250280 MDUE:2022", "4 tokens"),
        ("QRCE:3:2 IDUE:1 MDUE:2022 CERT:AB", "part 3 of only 2"),
        ("QRCE:1:2 IDUE:X1 MDUE:2022 CERT:AB", "'IDUE:X1' is not a number"),
        ("QRCE:1:2 IDUE:1 MDUE:2022 CERT:XY", "CERT is not upper-case hexadecimal"),
        ("QRCE:1:2 MDUE:2022 IDUE:1 CERT:AB", "where IDUE was expected"),
    ):
        with pytest.raises(MalformedPart, match=reason):
            parse_code(text)


def _boletim(header: str, contests: str, version: str = "1.5") -> None:
    head = f"QRBU:1:1 VRQR:{version}" + (" VRCH:20240507" if version == "1.5" else "")
    parse_boletim([parse_part(_part(f"{header} {contests}", head=head))])


GOOD_HEADER = (
    "ORIG:VOTA ORLC:LEG DTPL:20241006 PLEI:1100 TURN:1 FASE:S UNFE:AC MUNI:1120 ZONA:8 SECA:2 APTO:9 COMP:2 FALT:7"
)
MAYOR = "IDEL:1 CARG:11 TIPO:0 92:1 APTA:9 NOMI:1 BRAN:0 NULO:1 TOTC:2"


@pytest.mark.parametrize(
    ("header", "contests", "reason"),
    [
        (GOOD_HEADER, "CARG:11 TIPO:0", "no contest (no IDEL)"),
        (GOOD_HEADER.replace("SECA:2 ", ""), MAYOR, "header lacks SECA"),
        (GOOD_HEADER.replace("ORLC:LEG ", ""), MAYOR, "header lacks ORLC"),
        (GOOD_HEADER.replace("COMP:2 ", ""), MAYOR, "header lacks COMP"),
        (GOOD_HEADER + " SECA:3", MAYOR, "header has SECA twice"),
        (GOOD_HEADER.replace("FASE:S", "FASE:X"), MAYOR, "FASE:X is not a valid FASE"),
        (GOOD_HEADER.replace("ORIG:VOTA", "ORIG:URNA"), MAYOR, "ORIG:URNA is not a valid ORIG"),
        (GOOD_HEADER.replace("ORLC:LEG", "ORLC:XYZ"), MAYOR, "ORLC:XYZ is not a valid ORLC"),
        (GOOD_HEADER.replace("UNFE:AC", "UNFE:ACR"), MAYOR, "UNFE:ACR is not a valid UNFE"),
        (GOOD_HEADER.replace("TURN:1", "TURN:3"), MAYOR, "TURN:3 is not a valid TURN"),
        (GOOD_HEADER.replace("DTPL:20241006", "DTPL:20241306"), MAYOR, "DTPL:20241306 is not a valid DTPL"),
        (GOOD_HEADER.replace("DTPL:20241006", "DTPL:2024106"), MAYOR, "DTPL:2024106 is not a valid DTPL"),
        (GOOD_HEADER + " AGRE:3.X", MAYOR, "AGRE:3.X is not a valid AGRE"),
        (GOOD_HEADER.replace("ZONA:8", "ZONA:08"), MAYOR, "ZONA:08 is not a number as the urna prints them"),
        (GOOD_HEADER, "IDEL:1 IDEL:2 CARG:11 TIPO:0", "election IDEL:1 has no office"),
        (GOOD_HEADER, "IDEL:1 CARG:11 92:1 APTA:9 NOMI:1 BRAN:0 NULO:1 TOTC:2", "CARG:11 has no TIPO"),
        (GOOD_HEADER, MAYOR.replace("TIPO:0", "TIPO:3"), "TIPO:3 is not 0, 1 or 2"),
        (GOOD_HEADER, MAYOR.replace(" TOTC:2", ""), "CARG:11 lacks TOTC"),
        (GOOD_HEADER, MAYOR.replace(" APTA:9", ""), "CARG:11 lacks APTA"),
        (GOOD_HEADER, MAYOR + " NULO:1", "CARG:11 has NULO twice"),
        (GOOD_HEADER, MAYOR.replace("92:1", "92:1 92:2"), "lists candidate 92 twice"),
        (GOOD_HEADER, MAYOR.replace("92:1", "92:01"), "92:01 is not a number"),
        (GOOD_HEADER, MAYOR.replace("92:1", "PART:92 92:1"), "PART:92 where no party may open"),
        (GOOD_HEADER, MAYOR.replace("92:1", "LEGP:1"), "LEGP:1 outside a party"),
        (GOOD_HEADER, "IDEL:1 CARG:13 TIPO:1 93001:1 APTA:9 NOMI:1 LEGC:0 BRAN:0 NULO:1 TOTC:2", "outside a party"),
        (GOOD_HEADER, "IDEL:1 CARG:13 TIPO:1 PART:93 TOTP:1 APTA:9", "TOTP:1 before the party's LEGP"),
        (GOOD_HEADER, "IDEL:1 CARG:13 TIPO:1 PART:93 PART:94", "PART:94 where no party may open"),
        (GOOD_HEADER, "IDEL:1 CARG:13 TIPO:1 PART:93 LEGP:0 93001:1", "candidate 93001 outside a party"),
        (GOOD_HEADER, "IDEL:1 CARG:13 TIPO:1 PART:93 93001:1 LEGP:0", "PART:93 not closed by TOTP"),
        (GOOD_HEADER, "IDEL:1 CARG:13 TIPO:1 APTA:9 NOMI:0 BRAN:0 NULO:2 TOTC:2", "CARG:13 lacks LEGC"),
    ],
)
def test_a_malformed_boletim_is_refused_with_its_reason(header: str, contests: str, reason: str) -> None:
    with pytest.raises(MalformedBoletim, match=re.escape(reason)):
        _boletim(header, contests)


def test_the_good_header_of_the_table_above_reads() -> None:
    _boletim(GOOD_HEADER, MAYOR)
    _boletim(GOOD_HEADER.replace("ORLC:LEG ", ""), MAYOR.replace(" APTA:9", ""), version="1.4")
    _boletim(GOOD_HEADER, "IDEL:1 CARG:11 TIPO:0 APTA:9 CSEC:2")  # an office without candidates


def test_parts_must_be_one_bu_complete_and_in_order() -> None:
    parts = [parse_part(text) for text in lines(FOUR_PARTS)]
    with pytest.raises(MalformedBoletim, match=r"\(1/4, 3/4, 2/4, 4/4\) are not parts 1 to 4"):
        parse_boletim([parts[0], parts[2], parts[1], parts[3]])
    with pytest.raises(MalformedBoletim, match="not parts 1 to 4"):
        parse_boletim(parts[:3])
    with pytest.raises(MalformedBoletim, match="no parts"):
        parse_boletim([])
    other_key = parse_part(lines(FOUR_PARTS)[1].replace("VRCH:20240507", "VRCH:20240508"))
    with pytest.raises(MalformedBoletim, match="part 2 has another VRQR or VRCH"):
        parse_boletim([parts[0], other_key, parts[2], parts[3]])


def test_a_built_contest_is_what_the_parser_reads_from_its_tokens() -> None:
    council = build_contest(
        1101,
        13,
        ContestKind.PROPORTIONAL,
        candidates_version="202405101700",
        eligible=144,
        eligible_counts=(("APTS", "144"), ("APTT", "0")),
        blank=1,
        null=0,
        parties=[(93, {93001: 1, 93002: 0}, 0)],
    )
    written = " ".join(f"{k}:{v}" for k, v in council.fields)
    # the 2024 manual's example prints exactly this block
    assert written == (
        "CARG:13 TIPO:1 VERC:202405101700 PART:93 93001:1 LEGP:0 TOTP:1"
        " APTA:144 APTS:144 APTT:0 NOMI:1 LEGC:0 BRAN:1 NULO:0 TOTC:2"
    )
    example = boletim_of("ex2024_manual_20240507.txt").contests[0]
    assert council == example


def test_a_built_majoritarian_contest_lists_only_candidates_with_votes() -> None:
    mayor = build_contest(
        221,
        11,
        ContestKind.MAJORITARIAN,
        candidates_version="1",
        eligible=None,
        blank=1,
        null=2,
        candidates={22: 5, 12: 0, 13: 3},
        version="1.4",
    )
    assert (
        " ".join(f"{k}:{v}" for k, v in mayor.fields) == "CARG:11 TIPO:0 VERC:1 13:3 22:5 NOMI:8 BRAN:1 NULO:2 TOTC:11"
    )
    assert dict(mayor.candidates) == {13: 3, 22: 5} and mayor.eligible is None


@pytest.mark.parametrize(
    "value", ["0", "7", "10", "999999999", "1000000000", "007", "00", "-1", "+1", "1.0", "²", "１"]
)
def test_a_count_is_read_exactly_when_the_urna_would_print_it(value: str) -> None:
    """The count check runs without a regex (it runs for every candidate): it accepts what `0|[1-9][0-9]{0,8}` does."""
    block = (("CARG", "1"), ("TIPO", "0"), ("VERC", "1"), ("10", value), ("APTA", "5"), ("NOMI", value))
    block += (("BRAN", "0"), ("NULO", "0"), ("TOTC", value))
    if re.fullmatch(r"0|[1-9][0-9]{0,8}", value):
        assert contest_from_fields(1, block, "1.5").candidates == {10: int(value)}
    else:
        with pytest.raises(MalformedBoletim, match="is not a number as the urna prints them"):
            contest_from_fields(1, block, "1.5")


@pytest.mark.parametrize(
    "body", ["APTO:1 COMP:2", "APTO:1  COMP:2", "apto:1", "APTO:", "APTO", "12345678901:1", "123:4:5", "ABCDE:1"]
)
def test_a_part_is_split_into_the_tokens_each_one_would_give_alone(body: str) -> None:
    """`data_tokens` matches the whole body at once; it must accept and refuse exactly what token by token does."""
    alone: list[tuple[str, str]] | str = []
    for token in body.split(" "):
        key, colon, value = token.partition(":")
        if not (colon and value and re.fullmatch(r"[A-Z]{4}|[0-9]{1,9}", key)):
            alone = "refused"
            break
        assert isinstance(alone, list)
        alone.append((key, value))
    try:
        tokens: tuple[tuple[str, str], ...] | str = data_tokens(body)
    except MalformedPart:
        tokens = "refused"
    assert tokens == (alone if isinstance(alone, str) else tuple(alone))
