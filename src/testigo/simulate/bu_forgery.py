"""Forged boletins de urna: each way a BU's QR parts can be tampered with, and what a verifier must find.

A BU's parts are chained by SHA-512 and the last hash is signed with the
TSE's key (`testigo.profiles.bu.chain`). A forger who changes a count can
leave the chain alone (the part's ``HASH`` no longer matches: the chain
breaks there), or recompute every hash after the change and sign the last
one with a key of their own, since the TSE's is out of reach (the chain
holds; the signature fails). A BU can also reach a verifier with a part
missing (it never completes) or with a part of another BU in place of its
own (the chain breaks at the first part whose hash covers the stranger).

The counts are changed the way a careful forger would: votes moved from one
candidate to another of the same contest (and party, in a proportional one),
so every sum on the BU still holds and only the cryptography can tell. Each
forgery returns the altered part texts and a machine-readable description
(`Forgery.description`) of what was done and what a verifier must conclude.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from testigo.errors import UserError
from testigo.profiles.bu.chain import chain_hashes, signed_message
from testigo.profiles.bu.model import BuPart
from testigo.profiles.bu.text import parse_part

#: Most votes a forger moves from one candidate to another.
MAX_MOVED = 25


class ForgeryKind(StrEnum):
    COUNT_CHANGED = "count changed"  # the chain left alone: it breaks at the changed part
    CHAIN_RECOMPUTED = "chain recomputed"  # every hash recomputed and signed without the TSE's key
    PART_DROPPED = "part dropped"  # the BU never completes
    FOREIGN_PART = "foreign part"  # a part of another BU in place of one of its own


class Caught(StrEnum):
    """What a verifier must conclude about a forged BU."""

    BROKEN_CHAIN = "broken chain"
    BAD_SIGNATURE = "bad signature"
    INCOMPLETE = "incomplete"


@dataclass(frozen=True)
class Forgery:
    """A forged BU: its part texts (in order, as they would be photographed) and what was done to it.

    `description` is JSON-ready: ``kind`` and ``outcome`` (the `ForgeryKind`
    and `Caught` values), then, by kind, ``office``, ``party``, ``from``,
    ``to`` and ``votes`` (the votes moved between two candidates of office
    ``CARG``, of party ``PART`` in a proportional one, else None),
    ``parts_changed``, ``broken_part`` (the first part whose ``HASH`` no
    longer matches), ``missing`` (parts dropped), ``replaced`` and
    ``relabelled`` (a foreign part, and whether its ``QRBU`` header was
    rewritten to fit).
    """

    kind: ForgeryKind
    outcome: Caught
    parts: tuple[str, ...]
    description: dict[str, Any] = field(default_factory=dict)


class CannotForge(UserError):
    """The BU given does not allow this forgery (a single part to drop, no two candidates to move votes between)."""


def change_count(parts: Sequence[str], rng: np.random.Generator) -> Forgery:
    """Votes moved between two candidates of one contest, the hashes and signature left as they were."""
    parsed = [parse_part(text) for text in parts]
    bodies, move = _move_votes([p.body for p in parsed], rng)
    changed = [k for k, (old, new) in enumerate(zip(parsed, bodies, strict=True), start=1) if old.body != new]
    texts = tuple(
        _text(part, body, part.hash_hex, part.signature_hex) for part, body in zip(parsed, bodies, strict=True)
    )
    description = move | {"parts_changed": changed, "broken_part": changed[0]}
    return _forgery(ForgeryKind.COUNT_CHANGED, Caught.BROKEN_CHAIN, texts, description)


def recompute_chain(parts: Sequence[str], rng: np.random.Generator) -> Forgery:
    """Votes moved as in `change_count`, then every hash recomputed and the last signed with the forger's key.

    The forger's key is drawn from `rng`, so the ``ASSI`` is a well-formed
    Ed25519 signature that verifies under the forger's key and fails under
    the TSE's.
    """
    parsed = [parse_part(text) for text in parts]
    bodies, move = _move_votes([p.body for p in parsed], rng)
    hashes = chain_hashes(bodies)
    forger = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(rng.bytes(32)).digest())
    last = parsed[-1]
    assi = forger.sign(signed_message(last.format_version, hashes[-1])).hex().upper()
    texts = tuple(
        _text(part, body, digest, assi if part.is_last else None)
        for part, body, digest in zip(parsed, bodies, hashes, strict=True)
    )
    changed = [k for k, (old, new) in enumerate(zip(parsed, bodies, strict=True), start=1) if old.body != new]
    return _forgery(ForgeryKind.CHAIN_RECOMPUTED, Caught.BAD_SIGNATURE, texts, move | {"parts_changed": changed})


def drop_part(parts: Sequence[str], rng: np.random.Generator) -> Forgery:
    """One part of a multi-part BU left out: the BU waits for it and never completes."""
    if len(parts) < 2:
        raise CannotForge("a BU of one part has no part to drop and still be a BU")
    dropped = int(rng.integers(1, len(parts) + 1))
    kept = tuple(text for k, text in enumerate(parts, start=1) if k != dropped)
    return _forgery(ForgeryKind.PART_DROPPED, Caught.INCOMPLETE, kept, {"missing": [dropped], "count": len(parts)})


def foreign_part(parts: Sequence[str], other: Sequence[str], rng: np.random.Generator) -> Forgery:
    """Part k of this BU replaced by part k of `other` (another section's BU), relabelled ``k:n`` if need be.

    The ``QRBU`` header is outside the chain, so a forger can make the
    stranger's label fit; the hashes cannot be made to. The chain breaks at
    part k, or at part 2 when part 1 is the stranger (a first part's hash
    covers itself only).
    """
    count = len(parts)
    if count < 2:
        raise CannotForge("a BU of one part has no part to replace: another BU is simply another BU")
    index = int(rng.integers(1, min(count, len(other)) + 1))
    stranger = parse_part(other[index - 1])
    if stranger.body == parse_part(parts[index - 1]).body:
        raise CannotForge("the other BU's part is the same as this one's")
    # only a last part shows a signature: the stranger's if it was a last part too, else the one it replaces
    signature = (stranger.signature_hex or parse_part(parts[-1]).signature_hex) if index == count else None
    text = _text(stranger, stranger.body, stranger.hash_hex, signature, label=(index, count))
    relabelled = stranger.count != count
    texts = tuple(text if k == index else original for k, original in enumerate(parts, start=1))
    description = {"replaced": index, "relabelled": relabelled, "broken_part": max(index, 2), "count": count}
    return _forgery(ForgeryKind.FOREIGN_PART, Caught.BROKEN_CHAIN, texts, description)


def _forgery(kind: ForgeryKind, outcome: Caught, texts: tuple[str, ...], details: dict[str, Any]) -> Forgery:
    return Forgery(kind, outcome, texts, {"kind": kind.value, "outcome": outcome.value} | details)


def _text(
    part: BuPart, body: str, hash_hex: str, signature_hex: str | None, *, label: tuple[int, int] | None = None
) -> str:
    """A part's QR text: its header (``QRBU``, ``VRQR``, ``VRCH``), `body`, ``HASH`` and, on the last, ``ASSI``.

    `label` is the ``QRBU`` index and count to write, the part's own by default.
    """
    index, count = label or (part.index, part.count)
    head = f"QRBU:{index}:{count} VRQR:{part.format_version}"
    if part.key_version is not None:
        head += f" VRCH:{part.key_version}"
    tail = f" HASH:{hash_hex}" + (f" ASSI:{signature_hex}" if signature_hex is not None else "")
    return f"{head} {body}{tail}"


def _move_votes(bodies: list[str], rng: np.random.Generator) -> tuple[list[str], dict[str, Any]]:
    """Move 1 to `MAX_MOVED` votes between two candidates of one contest; returns the new bodies and the move.

    In a proportional contest both are of one party. The donor keeps at least
    one vote, so both tokens stay and every total on the BU (``NOMI``,
    ``TOTP``, ``TOTC``) still adds up.
    """
    tokens = [body.split(" ") for body in bodies]
    # candidate tokens (part, position) by (block, CARG, PART): votes moved within a party keep its TOTP
    groups: dict[tuple[int, str, str], list[tuple[int, int]]] = {}
    block, office, party = 0, "", ""
    for k, part_tokens in enumerate(tokens):
        for position, token in enumerate(part_tokens):
            key, _, value = token.partition(":")
            if key == "CARG":
                block, office, party = block + 1, value, ""
            elif key == "PART":
                party = value
            elif key.isdigit() and office:
                groups.setdefault((block, office, party), []).append((k, position))
    movable = [(key, places) for key, places in groups.items() if len(places) >= 2]
    donors = [
        (key, place, places)
        for key, places in movable
        for place in places
        if int(tokens[place[0]][place[1]].partition(":")[2]) >= 2
    ]
    if not donors:
        raise CannotForge("no contest (or party) has two candidates with votes, one of them with two or more")
    (_, office, party), donor, places = donors[int(rng.integers(0, len(donors)))]
    recipient = [p for p in places if p != donor][int(rng.integers(0, len(places) - 1))]
    donor_number, _, donor_votes = tokens[donor[0]][donor[1]].partition(":")
    recipient_number, _, recipient_votes = tokens[recipient[0]][recipient[1]].partition(":")
    moved = int(rng.integers(1, min(int(donor_votes) - 1, MAX_MOVED) + 1))
    tokens[donor[0]][donor[1]] = f"{donor_number}:{int(donor_votes) - moved}"
    tokens[recipient[0]][recipient[1]] = f"{recipient_number}:{int(recipient_votes) + moved}"
    move = {
        "office": int(office),
        "party": int(party) if party else None,
        "from": int(donor_number),
        "to": int(recipient_number),
        "votes": moved,
    }
    return [" ".join(part_tokens) for part_tokens in tokens], move
