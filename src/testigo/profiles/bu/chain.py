"""The SHA-512 chain across a BU's parts and the signature of its last hash.

Each part's ``HASH`` covers everything before it, hashes included::

    HASH_1 = SHA-512(data_1)
    HASH_k = SHA-512(data_1 + " HASH:" + HASH_1 + " " + ... + " " + data_k)

(upper-case hex, ASCII text). Only the last part carries ``ASSI``, the
signature of the last hash:

- formats 1.4 and 1.5: Ed25519 (RFC 8032, no pre-hash, no context) by the
  TSE's key for the election, phase and state, over the raw 64 bytes of
  ``HASH_n``. `check` verifies it when the key is given.
- format 6.0: the urna's own key (EdDSA on curve E-521 for the UE2020/2022
  models, ECDSA P-521 for UE2013/2015), over SHA-512 of the raw bytes of
  ``HASH_n`` (the 2026 manual's reference code hashes before verifying). The
  key is in the urna's certificate (`QRCE` codes); neither E-521 nor the
  certificate is this module's business, so `check` verifies the chain and
  reports the signature as not checked here, and `signed_message` and
  `signature` give the certificate's checker exactly what it needs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import Enum

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from testigo.errors import UserError
from testigo.profiles.bu.model import TSE_SIGNED_FORMATS, BuPart

#: Bytes of an Ed25519 public key, as the TSE publishes each key file.
ED25519_KEY_BYTES = 32


class UnusableKey(UserError):
    """The public key given is not a raw 32-byte Ed25519 key: the key file, not the BU, is at fault."""


class Verdict(Enum):
    """How far a BU's authenticity could be established."""

    #: chain and TSE signature both valid
    VERIFIED = "verified"
    #: chain valid; the TSE key that signs this BU is not available
    KEY_MISSING = "key missing"
    #: chain valid; format 6.0, signed by the urna's own key, checked with its certificate elsewhere
    URNA_SIGNED = "urna signed"
    #: broken chain, bad signature or parts that do not make one BU
    INVALID = "invalid"


@dataclass(frozen=True)
class ChainCheck:
    """The outcome of `check`; `reason` is the one line a person reads."""

    verdict: Verdict
    reason: str
    key_name: str | None
    #: the hash chain holds, whatever became of the signature
    chain_valid: bool
    #: the first part whose HASH does not match, when the chain is broken
    broken_part: int | None = None

    @property
    def verified(self) -> bool:
        """True only when the chain and the TSE's signature were both checked and valid."""
        return self.verdict is Verdict.VERIFIED

    def __str__(self) -> str:
        return self.reason


def running_hashes(bodies: Sequence[str]) -> Iterator[tuple[str, hashlib._Hash]]:
    """``HASH_k`` of each body in turn, with the hasher fed up to and including ``" HASH:" + HASH_k``.

    One pass, linear in the total length: each prefix is hashed once and the
    state copied. The hasher yielded with ``HASH_k`` is the prefix that part
    k+1's data continues after a space, which the collector of parts keeps.
    """
    hasher = hashlib.sha512()
    for k, body in enumerate(bodies):
        hasher.update((body if k == 0 else " " + body).encode("ascii"))
        digest = hasher.copy().hexdigest().upper()
        hasher.update(f" HASH:{digest}".encode("ascii"))
        yield digest, hasher.copy()


def chain_hashes(bodies: Sequence[str]) -> tuple[str, ...]:
    """The ``HASH`` field each part of these data must carry (upper-case hex)."""
    return tuple(digest for digest, _ in running_hashes(bodies))


def signed_message(format_version: str, last_hash_hex: str) -> bytes:
    """The bytes the signature in ``ASSI`` signs, given the last part's ``HASH``.

    Formats 1.4 and 1.5: the raw 64 bytes of the hash (the Ed25519 message).
    Format 6.0: SHA-512 of those bytes, the message of the E-521 EdDSA
    signature and the digest of the P-521 ECDSA one (ECDSA with SHA-512 over
    the raw hash bytes signs the same digest).
    """
    raw = bytes.fromhex(last_hash_hex)
    return raw if format_version in TSE_SIGNED_FORMATS else hashlib.sha512(raw).digest()


def signature(parts: Sequence[BuPart]) -> bytes:
    """The signature bytes of the last part's ``ASSI`` (empty when it has none)."""
    return bytes.fromhex(parts[-1].signature_hex or "")


def order_problem(parts: Sequence[BuPart]) -> str | None:
    """Why these are not parts 1 to n of one BU, in order and of one format; None when they are.

    ``VRQR`` and ``VRCH`` are outside what the chain and the signature cover,
    so parts that disagree on them are refused here rather than trusted.
    """
    if not parts:
        return "no parts"
    first = parts[0]
    count = first.count
    if len(parts) != count or any(p.index != k or p.count != count for k, p in enumerate(parts, start=1)):
        got = ", ".join(f"{p.index}/{p.count}" for p in parts)
        return f"the parts ({got}) are not parts 1 to {count} of one BU in order"
    for part in parts[1:]:
        if (part.format_version, part.key_version) != (first.format_version, first.key_version):
            return f"part {part.index} has another VRQR or VRCH than part 1"
    return None


def check(parts: Sequence[BuPart], public_key: bytes | None, key_name: str) -> ChainCheck:
    """Verify the chain of a BU's parts (complete, in order) and, when possible, its signature.

    `public_key` is the raw Ed25519 key named `key_name` (formats 1.4 and 1.5),
    or None when it is not available; it is not used for format 6.0.
    Raises `UnusableKey` when a key is given that is not 32 bytes.
    """
    problem = order_problem(parts)
    if problem is not None:
        return ChainCheck(Verdict.INVALID, f"invalid: {problem}", key_name, chain_valid=False)
    for part, expected in zip(parts, chain_hashes([p.body for p in parts]), strict=True):
        if part.hash_hex != expected:
            return ChainCheck(
                Verdict.INVALID,
                f"invalid: the HASH of part {part.index} of {part.count} does not match the data before it",
                key_name,
                chain_valid=False,
                broken_part=part.index,
            )
    version = parts[0].format_version
    if version not in TSE_SIGNED_FORMATS:
        reason = f"chain valid, signature not checked here: format {version} is signed by the urna's own key"
        return ChainCheck(Verdict.URNA_SIGNED, reason, key_name, chain_valid=True)
    if public_key is None:
        reason = f"chain valid, signature not checked: key {key_name} missing"
        return ChainCheck(Verdict.KEY_MISSING, reason, key_name, chain_valid=True)
    if len(public_key) != ED25519_KEY_BYTES:
        raise UnusableKey(f"key {key_name} has {len(public_key)} bytes, not the 32 of an Ed25519 public key")
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(
            signature(parts), signed_message(version, parts[-1].hash_hex)
        )
    except InvalidSignature:
        reason = f"invalid: bad signature under key {key_name}"
        return ChainCheck(Verdict.INVALID, reason, key_name, chain_valid=True)
    reason = f"verified: chain of {len(parts)} part(s) signed by key {key_name}"
    return ChainCheck(Verdict.VERIFIED, reason, key_name, chain_valid=True)
