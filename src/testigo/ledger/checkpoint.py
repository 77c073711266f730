"""Checkpoints (c2sp.org/tlog-checkpoint): the signed statement "this log had this root at this size".

A checkpoint is the text of a signed note: the log's origin, the tree size in
decimal, the base64 root hash, then optional extension lines. Publishing
signed checkpoints is what makes the ledger tamper-evident: once a
checkpoint is out, a consistency proof must link it to every later one, so
the operator cannot quietly rewrite or drop entries. The format is the one
Certificate Transparency logs, the Go checksum database and their witnesses
use, so observers can monitor and co-sign testigo logs with existing tools.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from dataclasses import dataclass

from testigo.ledger.errors import CheckpointError
from testigo.ledger.merkle import HASH_SIZE
from testigo.ledger.note import Signer, Verifier, sign_note, verify_note

_SIZE = re.compile(r"0|[1-9][0-9]*")


@dataclass(frozen=True)
class Checkpoint:
    """A log's tree head: origin, size and root hash, plus opaque extension lines (discouraged by the spec)."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin or "\n" in self.origin:
            raise CheckpointError("malformed checkpoint: the origin must be one non-empty line")
        if self.size < 0:
            raise CheckpointError(f"malformed checkpoint: tree size {self.size} is negative")
        if len(self.root_hash) != HASH_SIZE:
            raise CheckpointError(
                f"malformed checkpoint: root hash is {len(self.root_hash)} bytes, expected {HASH_SIZE}"
            )
        if any(not line or "\n" in line for line in self.extensions):
            raise CheckpointError("malformed checkpoint: extension lines must be single non-empty lines")

    def text(self) -> str:
        """The note text of this checkpoint, ending with a newline."""
        lines = [self.origin, str(self.size), base64.b64encode(self.root_hash).decode(), *self.extensions]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Read a checkpoint note text (without signatures); raises `CheckpointError`."""
        if not text.endswith("\n"):
            raise CheckpointError("malformed checkpoint: the text must end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise CheckpointError(f"malformed checkpoint: {len(lines)} lines, expected origin, size and root hash")
        origin, size, root, *extensions = lines
        if not _SIZE.fullmatch(size):
            raise CheckpointError(
                f"malformed checkpoint: tree size {size!r} is not a decimal number without leading zeros"
            )
        try:
            root_hash = base64.b64decode(root, validate=True)
        except binascii.Error:
            raise CheckpointError(f"malformed checkpoint: root hash {root!r} is not base64") from None
        return cls(origin, int(size), root_hash, tuple(extensions))


def sign_checkpoint(checkpoint: Checkpoint, *signers: Signer) -> str:
    """The checkpoint as a signed note; the log's own key name should be its origin."""
    return sign_note(checkpoint.text(), *signers)


def verify_checkpoint(message: str | bytes, verifiers: Iterable[Verifier], *, origin: str) -> Checkpoint:
    """The checkpoint in a signed note, once a trusted key's signature verified and the origin is the expected one.

    The origin is required because a valid checkpoint of another log (signed
    by a key trusted for it) must not be taken for this log's. Raises the
    errors of `verify_note`, or `CheckpointError`.
    """
    checkpoint = Checkpoint.parse(verify_note(message, verifiers).text)
    if checkpoint.origin != origin:
        raise CheckpointError(f"the checkpoint is for the log {checkpoint.origin!r}, expected {origin!r}")
    return checkpoint
