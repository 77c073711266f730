"""BU QR texts read into the model and written back, byte for byte.

One QR code ("part") reads::

    QRBU:i:n VRQR:<version> [VRCH:<yyyymmdd>] <data> HASH:<128 hex> [ASSI:<hex>]

- ``1 <= i <= n <= 9``; ``VRQR`` is 1.4 (2016), 1.5 (2018-2024) or 6.0
  (2026); ``VRCH``, the date naming the TSE key, is on every part of format
  1.5 and on none of 1.4 and 6.0.
- the data are ``KEY:VALUE`` tokens separated by single spaces (the key four
  capitals, or a candidate's number whose value is its votes); every part
  carries ``HASH`` (see `testigo.profiles.bu.chain`) and only the last carries
  ``ASSI``: 64 bytes (Ed25519) in 1.4 and 1.5; in 6.0 132 bytes (EdDSA E-521)
  or a DER ECDSA P-521 signature.
- the text uses only the QR code's alphanumeric characters (the manual's
  rule), so anything else is refused.

The whole BU's data is cut into parts of at most `MAX_DATA_CHARS` characters
at the last space before the cut, the space dropped (`split_data`), and the
parts' data joined with one space again are: the section header, then per
election ``IDEL`` and per office a block from ``CARG`` to the block's total
(``PART``/candidates/``LEGP``/``TOTP`` per party in proportional contests).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from itertools import pairwise

from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from testigo.errors import TestigoError
from testigo.profiles.base import PayloadError
from testigo.profiles.bu.chain import chain_hashes, order_problem, signed_message
from testigo.profiles.bu.model import (
    FORMAT_VERSIONS,
    TSE_SIGNED_FORMATS,
    Boletim,
    BuPart,
    CertificatePart,
    ContestKind,
    ContestResult,
    Fields,
    PartyResult,
    frozen_votes,
)

#: The QR code's alphanumeric mode characters, the only ones a BU code carries.
ALPHABET = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")

#: The most data characters one part carries: the 1,100 characters of a printed
#: code less the 277 the urna's code reserves for the part's header and tail.
#: Every cut in the vectors (2018, 2024 and the 2026 manual's example) falls
#: where this limit puts it.
MAX_DATA_CHARS = 823

#: Most parts a BU may have (the 2026 manual's large example has 9).
MAX_PARTS = 9

_STRAY = re.compile("[^" + re.escape("".join(sorted(ALPHABET))) + "]")
_HEX = re.compile(r"[0-9A-F]+")
_INT = re.compile(r"0|[1-9][0-9]{0,8}")
_INT_DIGITS = 9
_KEY = re.compile(r"[A-Z]{4}|[0-9]{1,9}")
#: a whole part's data: KEY:VALUE tokens, single spaces between (what `_key_value` checks of each token)
_TOKEN = f"(?:{_KEY.pattern}):[^ ]+"
_BODY = re.compile(f"{_TOKEN}(?: {_TOKEN})*")
#: one token of a body `_BODY` matched, as (key, value)
_PAIR = re.compile(f"({_KEY.pattern}):([^ ]+)")
_PART_ID = re.compile(r"(QRBU|QRCE):([1-9]):([1-9])")
_VRCH = re.compile(r"[0-9]{8}")
_ED25519_SIGNATURE_HEX = 128
_ED521_SIGNATURE_HEX = 264
_MAX_ECDSA_P521_DER = 139

#: Keys with a place of their own in the part's text, never in its data.
_FRAME_KEYS = frozenset({"QRBU", "QRCE", "VRQR", "VRCH", "HASH", "ASSI"})
#: Well-formed data: KEY:VALUE tokens, none of them a frame key, single spaces between them.
_DATA_TOKEN = r"(?!(?:" + "|".join(sorted(_FRAME_KEYS)) + r"):)(?:[A-Z]{4}|[0-9]{1,9}):[^ ]+"
_DATA = re.compile(f"{_DATA_TOKEN}(?: {_DATA_TOKEN})*")
#: Header keys read as numbers, each allowed once.
_HEADER_INTS = ("PLEI", "TURN", "MUNI", "ZONA", "SECA", "APTO", "COMP", "FALT")
#: A contest's summary counts, each allowed once and read as a number when present.
_CONTEST_INTS = ("APTA", "APTS", "APTT", "CSEC", "NOMI", "LEGC", "BRAN", "NULO", "TOTC")
#: Origins whose BU carries the section's turnout (the counting system's, SA, does not).
_VOTING_ORIGINS = ("VOTA", "RED")

#: The first characters of every BU code and urna-certificate code.
CODE_PREFIXES = ("QRBU:", "QRCE:")


class MalformedPart(PayloadError):
    """One QR text is not a well-formed BU or certificate part; str() names the token at fault."""


class MalformedBoletim(PayloadError):
    """Parts that do not make one well-formed BU; str() says why."""


class WriteError(TestigoError):
    """Contents that no BU could print (too many parts, a token longer than a part, an unknown format)."""


def _shown(token: str) -> str:
    return repr(token if len(token) <= 40 else token[:37] + "...")


def _check_alphabet(text: str) -> None:
    stray = _STRAY.search(text)
    if stray is not None:
        raise MalformedPart(f"character {stray[0]!r} at position {stray.start()} is not one a BU QR code carries")


def _split_tokens(text: str) -> list[str]:
    if not text:
        raise MalformedPart("the text is empty")
    tokens = text.split(" ")
    if "" in tokens:
        raise MalformedPart("tokens must be separated by single spaces, with none at either end")
    return tokens


def _key_value(token: str) -> tuple[str, str]:
    key, colon, value = token.partition(":")
    if not colon or not value or not _KEY.fullmatch(key):
        raise MalformedPart(f"token {_shown(token)} is not KEY:VALUE")
    return key, value


def _part_id(token: str, mark: str) -> tuple[int, int]:
    match = _PART_ID.fullmatch(token)
    if match is None or match[1] != mark:
        raise MalformedPart(f"token {_shown(token)} is not {mark}:i:n with 1 <= i <= n <= {MAX_PARTS}")
    index, count = int(match[2]), int(match[3])
    if index > count:
        raise MalformedPart(f"token {_shown(token)}: part {index} of only {count}")
    return index, count


def _field(token: str, key: str) -> str:
    found, value = _key_value(token) if ":" in token else (token, "")
    if found != key:
        raise MalformedPart(f"token {_shown(token)} where {key} was expected")
    return value


def _hex_field(token: str, key: str) -> str:
    value = _field(token, key)
    if not _HEX.fullmatch(value):
        raise MalformedPart(f"token {_shown(token)}: {key} is not upper-case hexadecimal")
    return value


def _is_der_ecdsa(raw: bytes) -> bool:
    """A DER ECDSA signature of P-521's size, encoded the one canonical way."""
    if len(raw) > _MAX_ECDSA_P521_DER:
        return False
    try:
        r, s = decode_dss_signature(raw)
    except ValueError:
        return False
    return encode_dss_signature(r, s) == raw


def _check_signature(token: str, value: str, version: str) -> None:
    if version in TSE_SIGNED_FORMATS:
        if len(value) != _ED25519_SIGNATURE_HEX:
            raise MalformedPart(f"token {_shown(token)}: ASSI has {len(value)} hex digits, not the 128 of Ed25519")
    elif len(value) != _ED521_SIGNATURE_HEX and not (len(value) % 2 == 0 and _is_der_ecdsa(bytes.fromhex(value))):
        raise MalformedPart(f"token {_shown(token)}: ASSI is neither an E-521 nor a DER P-521 ECDSA signature")


def _data_fault(data: list[str]) -> str:
    """Why these data tokens do not match `_DATA`: the first token at fault."""
    for token in data:
        key, colon, value = token.partition(":")
        if not colon or not value or not _KEY.fullmatch(key):
            return f"token {_shown(token)} is not KEY:VALUE"
        if key in _FRAME_KEYS:
            return f"token {_shown(token)} out of place"
    return "the data are not KEY:VALUE tokens"


def parse_part(text: str) -> BuPart:
    """One BU QR text (``QRBU:…``) as a `BuPart`; raises `MalformedPart` naming the token at fault."""
    _check_alphabet(text)
    tokens = _split_tokens(text)
    index, count = _part_id(tokens[0], "QRBU")
    version = _field(tokens[1], "VRQR") if len(tokens) > 1 else ""
    if version not in FORMAT_VERSIONS:
        raise MalformedPart(f"format VRQR:{version} is not one of {', '.join(FORMAT_VERSIONS)}")
    start = 2
    key_version: str | None = None
    if version == "1.5":
        key_version = _field(tokens[2], "VRCH") if len(tokens) > 2 else ""
        if not _VRCH.fullmatch(key_version):
            raise MalformedPart(f"VRCH:{key_version} is not a key version (a date, yyyymmdd)")
        start = 3
    last = index == count
    signature_hex = _hex_field(tokens[-1], "ASSI") if last else None
    hash_hex = _hex_field(tokens[-2 if last else -1], "HASH")
    if len(hash_hex) != 128:
        raise MalformedPart(f"HASH has {len(hash_hex)} hex digits, not the 128 of SHA-512")
    if signature_hex is not None:
        _check_signature(tokens[-1], signature_hex, version)
    data = tokens[start : len(tokens) - (2 if last else 1)]
    if not data:
        raise MalformedPart(f"part {index} of {count} carries no data")
    body = " ".join(data)
    if not _DATA.fullmatch(body):  # one pattern for the whole data is the fast path; then find the fault
        raise MalformedPart(_data_fault(data))
    return BuPart(index, count, version, key_version, body, hash_hex, signature_hex, text)


def parse_certificate_part(text: str) -> CertificatePart:
    """One certificate QR text of format 6.0 (``QRCE:i:n IDUE:… MDUE:… CERT:…``); raises `MalformedPart`."""
    _check_alphabet(text)
    tokens = _split_tokens(text)
    if len(tokens) != 4:
        raise MalformedPart(f"a certificate code has 4 tokens (QRCE IDUE MDUE CERT), not {len(tokens)}")
    index, count = _part_id(tokens[0], "QRCE")
    urna, model = _field(tokens[1], "IDUE"), _field(tokens[2], "MDUE")
    for token, value in ((tokens[1], urna), (tokens[2], model)):
        if not value.isdigit():
            raise MalformedPart(f"token {_shown(token)} is not a number")
    return CertificatePart(index, count, urna, model, _hex_field(tokens[3], "CERT"), text)


def parse_code(text: str) -> BuPart | CertificatePart:
    """A BU part or a certificate part, whichever the text is; raises `MalformedPart` if neither."""
    return parse_certificate_part(text) if text.startswith("QRCE:") else parse_part(text)


def listed_codes(data: bytes) -> list[str] | None:
    """The codes of a decoded-text file, one per line, or None when `data` is not one.

    What a phone's QR reader app shares, or the TSE's examples: every
    non-blank line a BU or urna-certificate code, in the order read.
    """
    try:
        lines = [line.strip() for line in data.decode("ascii").splitlines()]
    except UnicodeDecodeError:
        return None
    codes = [line for line in lines if line]
    if not codes or not all(line.startswith(CODE_PREFIXES) for line in codes):
        return None
    return codes


def is_code(text: str) -> bool:
    """Whether `text` parses as a BU part or an urna-certificate part (what a reader accepts as read)."""
    try:
        parse_code(text)
    except PayloadError:
        return False
    return True


def data_tokens(body: str) -> Fields:
    """A part's data as ``(KEY, VALUE)`` tokens (the value is everything after the first colon).

    The whole body is matched once (`_BODY`) and then cut into pairs by one
    `findall` (`_PAIR`: each match starts where a token does, as the value
    runs to the next space), instead of one match or split per token: a BU
    of a general election has hundreds of tokens, and this ran for every
    one of half a million BUs. A body that does not match is read token by
    token, for the message naming the token at fault.
    """
    if _BODY.fullmatch(body):
        return tuple(_PAIR.findall(body))
    return tuple(_key_value(token) for token in body.split(" "))


def _int(key: str, value: str) -> int:
    """`value` as the urna prints a count (`_INT`: no sign, no leading zero), tested without a regex: this
    runs twice for every candidate of every BU."""
    if not (value.isascii() and value.isdigit() and len(value) <= _INT_DIGITS and (value[0] != "0" or value == "0")):
        raise MalformedBoletim(f"{key}:{value} is not a number as the urna prints them")
    return int(value)


def _once(fields: Fields, keys: Iterable[str], where: str) -> dict[str, str]:
    wanted = set(keys)
    found: dict[str, str] = {}
    for key, value in fields:
        if key in wanted:
            if key in found:
                raise MalformedBoletim(f"{where} has {key} twice")
            found[key] = value
    return found


def _check_header(header: Fields, version: str) -> None:
    single = _once(header, (*_HEADER_INTS, "ORIG", "ORLC", "DTPL", "FASE", "UNFE", "AGRE"), "the BU header")
    required = ["ORIG", "DTPL", "PLEI", "TURN", "FASE", "UNFE", "MUNI", "ZONA", "SECA"]
    if version != "1.4":
        required.append("ORLC")
    if single.get("ORIG") in _VOTING_ORIGINS:
        required += ["APTO", "COMP", "FALT"]
    missing = [key for key in required if key not in single]
    if missing:
        raise MalformedBoletim(f"the BU header lacks {', '.join(missing)}")
    for key in _HEADER_INTS:
        if key in single:
            _int(key, single[key])
    checks = (
        ("ORIG", single["ORIG"] in ("VOTA", "RED", "SA")),
        ("ORLC", single.get("ORLC", "LEG") in ("LEG", "COM")),
        ("FASE", single["FASE"] in ("O", "S", "T")),
        ("UNFE", re.fullmatch("[A-Z]{2}", single["UNFE"]) is not None),
        ("TURN", single["TURN"] in ("1", "2")),
        ("DTPL", _is_date(single["DTPL"])),
        ("AGRE", all(_INT.fullmatch(s) for s in single.get("AGRE", "0").split("."))),
    )
    for key, ok in checks:
        if not ok:
            raise MalformedBoletim(f"{key}:{single[key]} is not a valid {key}")


def _is_date(value: str) -> bool:
    if not re.fullmatch("[0-9]{8}", value):
        return False
    try:
        date(int(value[:4]), int(value[4:6]), int(value[6:8]))
    except ValueError:
        return False
    return True


def _parties(office: str, block: Fields, proportional: bool) -> tuple[tuple[PartyResult, ...], dict[int, int]]:
    """The contest's parties (proportional) or candidates (otherwise), checked for their order."""
    parties: list[PartyResult] = []
    votes: dict[int, int] = {}
    seen: set[int] = set()
    party: int | None = None
    label: int | None = None
    where = f"office CARG:{office}"
    for key, value in block:
        if key.isdigit():
            number = _int("candidate", key)
            if number in seen:
                raise MalformedBoletim(f"{where} lists candidate {key} twice")
            if proportional and (party is None or label is not None):
                raise MalformedBoletim(f"{where}: candidate {key} outside a party's PART ... LEGP")
            seen.add(number)
            votes[number] = _int(key, value)
        elif key == "PART":
            if not proportional or party is not None:
                raise MalformedBoletim(f"{where}: PART:{value} where no party may open")
            party, votes = _int(key, value), {}
        elif key == "LEGP":
            if party is None or label is not None:
                raise MalformedBoletim(f"{where}: LEGP:{value} outside a party")
            label = _int(key, value)
        elif key == "TOTP":
            if party is None or label is None:
                raise MalformedBoletim(f"{where}: TOTP:{value} before the party's LEGP")
            parties.append(PartyResult(party, frozen_votes(votes), label, _int(key, value)))
            party, label, votes = None, None, {}
    if party is not None:
        raise MalformedBoletim(f"office CARG:{office}: party PART:{party} not closed by TOTP")
    return tuple(parties), votes


def contest_from_fields(election: int, block: Fields, version: str, election_fields: Fields = ()) -> ContestResult:
    """One contest block (``CARG`` first) as a `ContestResult`; raises `MalformedBoletim`."""
    office = block[0][1]
    counts = _once(block, ("TIPO", "VERC", *_CONTEST_INTS), f"office CARG:{office}")
    if "TIPO" not in counts:
        raise MalformedBoletim(f"office CARG:{office} has no TIPO")
    kind_number = _int("TIPO", counts["TIPO"])
    if kind_number not in set(ContestKind):
        raise MalformedBoletim(f"office CARG:{office}: TIPO:{kind_number} is not 0, 1 or 2")
    kind = ContestKind(kind_number)
    parties, candidates = _parties(office, block, kind is ContestKind.PROPORTIONAL)
    required = [] if "CSEC" in counts else ["NOMI", "BRAN", "NULO", "TOTC"]
    if kind is ContestKind.PROPORTIONAL and required:
        required.append("LEGC")
    if version != "1.4":
        required.append("APTA")
    missing = [key for key in required if key not in counts]
    if missing:
        raise MalformedBoletim(f"office CARG:{office} lacks {', '.join(missing)}")
    number = {key: _int(key, counts[key]) for key in _CONTEST_INTS if key in counts}
    return ContestResult(
        election=election,
        office=_int("CARG", office),
        kind=kind,
        fields=block,
        election_fields=election_fields,
        candidates=frozen_votes(candidates),
        parties=parties,
        eligible=number.get("APTA"),
        nominal=number.get("NOMI"),
        label_votes=number.get("LEGC"),
        blank=number.get("BRAN"),
        null=number.get("NULO"),
        total=number.get("TOTC"),
    )


def _contests(tokens: Fields, version: str) -> tuple[ContestResult, ...]:
    """The contest blocks after the header (`tokens` starts at the first ``IDEL``).

    The blocks' bounds (every ``IDEL`` and ``CARG``) are found in one pass over the tokens, then each block
    is read from its slice.
    """
    marks = [k for k, (key, _) in enumerate(tokens) if key == "CARG" or key == "IDEL"]
    marks.append(len(tokens))
    contests: list[ContestResult] = []
    election, election_fields = 0, tokens[:0]
    for start, end in pairwise(marks):
        key, value = tokens[start]
        if key == "IDEL":
            election, election_fields = _int("IDEL", value), tokens[start + 1 : end]
            if end == len(tokens) or tokens[end][0] == "IDEL":
                raise MalformedBoletim(f"election IDEL:{election} has no office")
            continue
        contests.append(contest_from_fields(election, tokens[start:end], version, election_fields))
    return tuple(contests)


def parse_boletim(parts: Sequence[BuPart], certificate: Sequence[CertificatePart] = ()) -> Boletim:
    """The BU these parts (all of them, in order) carry; raises `MalformedBoletim`.

    This reads the contents only: whether the chain and the signature hold is
    `testigo.profiles.bu.chain.check`'s question.
    """
    problem = order_problem(parts)
    if problem is not None:
        raise MalformedBoletim(problem)
    tokens = tuple(token for part in parts for token in data_tokens(part.body))
    first = next((k for k, (key, _) in enumerate(tokens) if key == "IDEL"), None)
    if first is None:
        raise MalformedBoletim("the BU has no contest (no IDEL)")
    header = tokens[:first]
    _check_header(header, parts[0].format_version)
    return Boletim(header, _contests(tokens[first:], parts[0].format_version), tuple(parts), tuple(certificate))


def contest_tokens(contests: Sequence[ContestResult]) -> Fields:
    """The contests' tokens in print order: ``IDEL`` (and its fields) whenever the election changes."""
    tokens: list[tuple[str, str]] = []
    previous: ContestResult | None = None
    for contest in contests:
        if previous is None or (previous.election, previous.election_fields) != (
            contest.election,
            contest.election_fields,
        ):
            tokens.append(("IDEL", str(contest.election)))
            tokens.extend(contest.election_fields)
        tokens.extend(contest.fields)
        previous = contest
    return tuple(tokens)


def build_contest(
    election: int,
    office: int,
    kind: ContestKind,
    *,
    candidates_version: str,
    eligible: int | None,
    blank: int,
    null: int,
    candidates: Mapping[int, int] | None = None,
    parties: Sequence[tuple[int, Mapping[int, int], int]] = (),
    eligible_counts: Fields = (),
    version: str = "1.5",
) -> ContestResult:
    """A contest block as the urna prints it, totals computed (for simulation).

    `candidates` are a majoritarian or referendum contest's votes; `parties`
    are a proportional contest's ``(party, {candidate: votes}, label votes)``.
    `eligible` is ``APTA`` (None in format 1.4, which has none) and
    `eligible_counts` the fields that follow it (``APTS``, ``APTT`` since 2024).
    Only candidates with votes are listed, as on a real BU.
    """
    block: list[tuple[str, str]] = [("CARG", str(office)), ("TIPO", str(int(kind))), ("VERC", candidates_version)]
    nominal = label = 0
    for party, votes, party_label in parties:
        listed = [(str(n), str(v)) for n, v in sorted(votes.items()) if v]
        party_total = sum(votes.values()) + party_label
        block += [("PART", str(party)), *listed, ("LEGP", str(party_label)), ("TOTP", str(party_total))]
        nominal, label = nominal + sum(votes.values()), label + party_label
    for number, votes_of in sorted((candidates or {}).items()):
        if votes_of:
            block.append((str(number), str(votes_of)))
            nominal += votes_of
    if eligible is not None:
        block += [("APTA", str(eligible)), *eligible_counts]
    block.append(("NOMI", str(nominal)))
    if kind is ContestKind.PROPORTIONAL:
        block.append(("LEGC", str(label)))
    total = nominal + label + blank + null
    block += [("BRAN", str(blank)), ("NULO", str(null)), ("TOTC", str(total))]
    return contest_from_fields(election, tuple(block), version)


def split_data(tokens: Fields, limit: int = MAX_DATA_CHARS) -> tuple[str, ...]:
    """The data of each part, cut as the urna cuts them.

    The urna's code takes `limit` characters of the tokens joined with spaces
    (and one trailing space); unless they end on a space it cuts back to the
    last space, drops it, and goes on from there. Raises `WriteError` for a
    token that fits no part.
    """
    text = " ".join(f"{key}:{value}" for key, value in tokens) + " "
    pieces: list[str] = []
    position = 0
    while position < len(text):
        piece = text[position : position + limit]
        cut = len(piece)
        if cut >= limit and not piece.endswith(" "):
            cut = piece.rfind(" ")
            if cut <= 0:
                raise WriteError(f"a token at character {position} is longer than a part's {limit} characters")
            piece = piece[:cut]
        pieces.append(piece.strip(" "))
        position += cut
    return tuple(pieces)


def write_parts(
    tokens: Fields,
    *,
    format_version: str,
    key_version: str | None,
    sign: Callable[[bytes], bytes],
    limit: int = MAX_DATA_CHARS,
) -> tuple[str, ...]:
    """The QR texts of a BU with these data tokens, chained, the last signed by `sign`.

    `sign` receives `testigo.profiles.bu.chain.signed_message` of the last
    hash (the raw 64 bytes for formats 1.4 and 1.5) and returns the signature.
    """
    if format_version not in FORMAT_VERSIONS:
        raise WriteError(f"format {format_version} is not one of {', '.join(FORMAT_VERSIONS)}")
    if (key_version is None) != (format_version != "1.5"):
        raise WriteError(f"format {format_version} {'needs' if format_version == '1.5' else 'has no'} VRCH")
    bodies = split_data(tokens, limit)
    if len(bodies) > MAX_PARTS:
        raise WriteError(f"the data fill {len(bodies)} parts, more than a BU's {MAX_PARTS}")
    hashes = chain_hashes(bodies)
    head = f"VRQR:{format_version}" + (f" VRCH:{key_version}" if key_version else "")
    texts = [
        f"QRBU:{k}:{len(bodies)} {head} {body} HASH:{digest}"
        for k, (body, digest) in enumerate(zip(bodies, hashes, strict=True), start=1)
    ]
    texts[-1] += " ASSI:" + sign(signed_message(format_version, hashes[-1])).hex().upper()
    return tuple(texts)


def write_boletim(boletim: Boletim, sign: Callable[[bytes], bytes], limit: int = MAX_DATA_CHARS) -> tuple[str, ...]:
    """The QR texts of this BU (its header and contests, in its format), the last signed by `sign`."""
    return write_parts(
        boletim.header + contest_tokens(boletim.contests),
        format_version=boletim.format_version,
        key_version=boletim.key_version,
        sign=sign,
        limit=limit,
    )
