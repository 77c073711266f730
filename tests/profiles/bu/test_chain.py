"""The SHA-512 chain and the signature: the vectors verify, and no one-byte alteration of them does."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from testigo.profiles.base import PayloadError
from testigo.profiles.bu.chain import UnusableKey, Verdict, chain_hashes, check, signature, signed_message
from testigo.profiles.bu.model import BuPart
from testigo.profiles.bu.text import ALPHABET, parse_boletim, parse_part, write_boletim
from tests.profiles.bu.vectors import EXPECTED, FOUR_PARTS, KEYS, MANUAL_2026, NAMES, full_check, lines, verifies


@pytest.mark.parametrize("name", NAMES)
def test_every_vector_verifies_under_the_key_it_names(name: str) -> None:
    parts = [parse_part(text) for text in lines(name)]
    result = full_check(parts)
    assert not isinstance(result, str)
    assert result.verified and result.chain_valid and result.verdict is Verdict.VERIFIED
    assert result.key_name == EXPECTED[name]["key"]
    assert str(result) == f"verified: chain of {len(parts)} part(s) signed by key {EXPECTED[name]['key']}"


def test_without_its_key_a_bu_is_only_chain_valid() -> None:
    parts = [parse_part(text) for text in lines(FOUR_PARTS)]
    result = check(parts, None, "20240507/LEGAL/sacqrcode.pub")
    assert result.verdict is Verdict.KEY_MISSING and result.chain_valid and not result.verified
    assert str(result) == "chain valid, signature not checked: key 20240507/LEGAL/sacqrcode.pub missing"


def test_under_another_key_the_signature_is_bad() -> None:
    parts = [parse_part(text) for text in lines("ex2016_pe.txt")]
    result = check(parts, KEYS["2016/LEGAL/ospqrcode.pub"], "2016/LEGAL/ospqrcode.pub")
    assert result.verdict is Verdict.INVALID and result.chain_valid and result.broken_part is None
    assert str(result) == "invalid: bad signature under key 2016/LEGAL/ospqrcode.pub"
    with pytest.raises(UnusableKey, match="has 31 bytes"):
        check(parts, KEYS["2016/LEGAL/ospqrcode.pub"][:31], "short")


def test_a_broken_chain_names_the_first_part_that_fails() -> None:
    texts = list(lines(FOUR_PARTS))
    texts[2] = texts[2].replace("94001:2", "94001:3")
    result = check([parse_part(text) for text in texts], KEYS[EXPECTED[FOUR_PARTS]["key"]], "k")
    assert result.verdict is Verdict.INVALID and not result.chain_valid and result.broken_part == 3
    assert str(result) == "invalid: the HASH of part 3 of 4 does not match the data before it"
    other_key = [
        parse_part(t.replace("VRCH:20240507", "VRCH:20240508") if t.startswith("QRBU:3") else t)
        for t in lines(FOUR_PARTS)
    ]
    assert str(check(other_key, None, "k")) == "invalid: part 3 has another VRQR or VRCH than part 1"
    shuffled = [parse_part(text) for text in lines(FOUR_PARTS)][::-1]
    assert str(check(shuffled, None, "k")).startswith("invalid: the parts (4/4, 3/4, 2/4, 1/4) are not parts 1 to 4")


def test_each_hash_covers_everything_before_it() -> None:
    parts = [parse_part(text) for text in lines(FOUR_PARTS)]
    text = parts[0].body
    for part in parts:
        if part.index > 1:
            text += f" HASH:{parts[part.index - 2].hash_hex} {part.body}"
        assert hashlib.sha512(text.encode()).hexdigest().upper() == part.hash_hex
    assert chain_hashes([p.body for p in parts]) == tuple(p.hash_hex for p in parts)


def test_format_6_0_is_chain_checked_and_its_signed_message_exposed() -> None:
    parts = [parse_part(text) for text in MANUAL_2026.read_text().splitlines()]
    result = check(parts, None, "")
    assert result.verdict is Verdict.URNA_SIGNED and result.chain_valid and not result.verified
    assert str(result) == "chain valid, signature not checked here: format 6.0 is signed by the urna's own key"
    raw = bytes.fromhex(parts[-1].hash_hex)
    assert signed_message("6.0", parts[-1].hash_hex) == hashlib.sha512(raw).digest()
    assert signed_message("1.5", parts[-1].hash_hex) == raw
    assert len(signature(parts)) == 132  # EdDSA on E-521
    broken = list(MANUAL_2026.read_text().splitlines())
    broken[0] = broken[0].replace("NOMI:2 ", "NOMI:3 ", 1)
    assert check([parse_part(text) for text in broken], None, "").broken_part == 1


def test_a_bu_written_and_signed_with_a_key_verifies_under_it() -> None:
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    boletim = parse_boletim([parse_part(text) for text in lines(FOUR_PARTS)])
    texts = write_boletim(boletim, key.sign)
    parts = [parse_part(text) for text in texts]
    assert check(parts, public, "test").verified
    assert not check(parts, KEYS[EXPECTED[FOUR_PARTS]["key"]], "real").verified


_CLASSES = ("0123456789", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", " ", ":", "$%*+-./")
assert set("".join(_CLASSES)) == ALPHABET


def _substitutes(original: str, position: int) -> list[str]:
    """One other character of each class of the alphabet, rotating with the position so that every character
    of the alphabet stands in somewhere."""
    out = []
    for chars in _CLASSES:
        others = [c for c in chars if c != original]
        if others:
            out.append(others[position % len(others)])
    return out


def _fails(texts: list[str], parsed: list[BuPart], k: int, altered: str) -> bool:
    """True when the BU with part k altered does not verify, looking no further than needed.

    The other parts are parsed once (`parsed`); an altered part that does not parse, or whose chain breaks
    (the common case), fails without the slower whole-BU reading; whatever is left goes through the
    reader's whole check."""
    try:
        part = parse_part(altered)
    except PayloadError:
        return True
    parts = parsed[:k] + [part] + parsed[k + 1 :]
    if not check(parts, None, "").chain_valid:
        return True
    return not verifies(texts[:k] + [altered] + texts[k + 1 :])


@pytest.mark.parametrize("name", NAMES)
def test_every_one_byte_alteration_of_a_vector_fails(name: str) -> None:
    """Every position of every part, each replaced by a character of each class of the alphabet (5 a position,
    every character of the alphabet used across positions; all 44 at every position is 9x slower)."""
    texts = list(lines(name))
    parsed = [parse_part(text) for text in texts]
    assert verifies(texts)
    cases = survivors = 0
    for k, text in enumerate(texts):
        for position, original in enumerate(text):
            for char in _substitutes(original, position):
                cases += 1
                if not _fails(texts, parsed, k, text[:position] + char + text[position + 1 :]):
                    survivors += 1
    assert cases >= 4 * sum(len(t) for t in texts)
    assert survivors == 0
