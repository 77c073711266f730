"""The public BU vectors and keys of ../shared/data/br, and the whole check a reader of a BU makes.

The keys are read from the shared keys.json directly (the package ships its
own copy separately), named as the TSE names the key files.
"""

from __future__ import annotations

import json
from pathlib import Path

from testigo.profiles.base import PayloadError
from testigo.profiles.bu.chain import ChainCheck, check
from testigo.profiles.bu.model import BuPart
from testigo.profiles.bu.text import parse_boletim, parse_part

DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "br"
EXPECTED: dict[str, dict[str, str]] = json.loads((DATA / "vectors" / "expected.json").read_text())
KEYS: dict[str, bytes] = {
    name: bytes.fromhex(entry["hex"]) for name, entry in json.loads((DATA / "keys" / "keys.json").read_text()).items()
}
NAMES = sorted(EXPECTED)
#: The 2026 manual's small example (format 6.0), see data/README.md.
MANUAL_2026 = Path(__file__).resolve().parent / "data" / "ex2026_manual_small.txt"
FOUR_PARTS = "ex2024_manual_4parts_20240507.txt"


def lines(name: str) -> tuple[str, ...]:
    """The QR texts of vector `name`, one part a line."""
    return tuple((DATA / "vectors" / name).read_text().splitlines())


def full_check(parts: list[BuPart]) -> ChainCheck | str:
    """What a reader concludes from these parts: the contents read, then chain and signature under the key the
    BU itself names; a string (the reason) when the parts do not even make a well-formed BU."""
    try:
        boletim = parse_boletim(parts)
    except PayloadError as error:
        return str(error)
    name = boletim.signing_key_name or ""
    return check(parts, KEYS.get(name), name)


def verifies(texts: tuple[str, ...] | list[str]) -> bool:
    """True when these QR texts make a BU whose chain and TSE signature hold."""
    try:
        parts = [parse_part(text) for text in texts]
    except PayloadError:
        return False
    result = full_check(parts)
    return not isinstance(result, str) and result.verified
