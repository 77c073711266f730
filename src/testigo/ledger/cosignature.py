"""Witness cosignatures (c2sp.org/tlog-cosignature, Ed25519 cosignature/v1).

A witness that checked a checkpoint extends everything it saw of the log
before adds its own signature line to the note. The line is a signed-note
signature with key type 0x04: its key id is SHA-256(name || 0x0A || 0x04 ||
public key)[:4], its bytes are a big-endian u64 POSIX timestamp followed by
an Ed25519 signature over::

    cosignature/v1
    time <timestamp>
    <the checkpoint note text, final newline included>

Because these are ordinary note signatures, `Cosigner` and
`CosignatureVerifier` plug into `Note.sign` and `verify_note` like the log's
own keys; a reader that does not know the witness skips its line. Keys are
written as Go's transparency-dev/formats and litetlog write them, with the
0x04 type byte, so witnesses and verifiers of either side interoperate.
"""

from __future__ import annotations

import time

from testigo.ledger.errors import MalformedNoteError
from testigo.ledger.note import Signature, Signer, Verifier

ALGORITHM_COSIGNATURE_V1 = 0x04
"""Signature type byte of Ed25519 cosignature/v1 in keys and key ids."""

_TIMESTAMP_SIZE = 8
_SIGNATURE_SIZE = _TIMESTAMP_SIZE + 64
_MAX_TIMESTAMP = 2**63 - 1


def cosigned_message(text: bytes, timestamp: int) -> bytes:
    """The bytes a cosignature/v1 signs: the header line, the time line, then the checkpoint note text."""
    return b"cosignature/v1\ntime %d\n" % timestamp + text


class CosignatureVerifier(Verifier):
    """A witness's public key (type 0x04): verifies its cosignatures, whatever time they carry."""

    algorithm = ALGORITHM_COSIGNATURE_V1

    def verify(self, message: bytes, signature: bytes) -> bool:
        """Whether `signature` (timestamp || Ed25519 signature) cosigns the note text `message`."""
        if len(signature) != _SIGNATURE_SIZE:
            return False
        timestamp = int.from_bytes(signature[:_TIMESTAMP_SIZE], "big")
        if timestamp > _MAX_TIMESTAMP:
            return False
        return super().verify(cosigned_message(message, timestamp), signature[_TIMESTAMP_SIZE:])


class Cosigner(Signer):
    """A witness's private key: `Note.sign(cosigner)` adds a cosignature timestamped now."""

    verifier_type = CosignatureVerifier
    verifier: CosignatureVerifier

    def sign(self, message: bytes) -> bytes:
        return self.sign_at(message, int(time.time()))

    def sign_at(self, message: bytes, timestamp: int) -> bytes:
        """The cosignature bytes of note text `message` at POSIX time `timestamp`."""
        if not 0 <= timestamp <= _MAX_TIMESTAMP:
            raise ValueError(f"timestamp {timestamp} is not between 0 and 2**63 - 1")
        signed = super().sign(cosigned_message(message, timestamp))
        return timestamp.to_bytes(_TIMESTAMP_SIZE, "big") + signed


def cosignature_time(signature: Signature) -> int:
    """The POSIX time a cosignature line states it was made; raises `MalformedNoteError` if it is none."""
    if len(signature.signature) != _SIGNATURE_SIZE:
        raise MalformedNoteError(
            f"the signature by {signature.name}+{signature.key_id:08x} is {len(signature.signature)} bytes, "
            f"not the {_SIGNATURE_SIZE} of a cosignature/v1"
        )
    return int.from_bytes(signature.signature[:_TIMESTAMP_SIZE], "big")
