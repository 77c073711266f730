"""The witness itself: check that a log's new checkpoint extends the last one it cosigned, then cosign it.

This follows c2sp.org/tlog-witness: the request body is ``old <size>``, the
consistency proof from that size (one base64 hash a line), a blank line, and
the log's signed checkpoint. The witness answers with its cosignature line
only once the log's signature and the proof check out and the new
checkpoint is on disk; each refusal is a `Refused` carrying the HTTP status
the spec gives it. Checking and recording happen under one lock, so two
concurrent requests can never both pass against the same old size (the
rollback race the spec describes), and two different roots are never
cosigned for one size.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from testigo.errors import TestigoError
from testigo.ledger import (
    EMPTY_ROOT,
    HASH_SIZE,
    Checkpoint,
    Cosigner,
    LedgerError,
    ProofError,
    Verifier,
    parse_note,
    verify_consistency,
    verify_note,
)

MAX_PROOF_LINES = 63
"""More consistency proof lines than this make a request malformed (the spec's bound: 2**63 leaves)."""

SIZE_MEDIA_TYPE = "text/x.tlog.size"
"""Content type of a 409 answer, whose body is the witness's latest size (c2sp.org/tlog-witness)."""

_OLD = re.compile(r"old (0|[1-9][0-9]*)")


class Refused(TestigoError):
    """The witness will not cosign: `status` is the HTTP status the spec assigns, str() the reason."""

    def __init__(self, status: int, reason: str, *, size: int | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.size = size
        """For a 409 on the old size: the size of the latest checkpoint the witness cosigned."""


@dataclass(frozen=True)
class Request:
    """An add-checkpoint request body, parsed (nothing verified yet)."""

    old_size: int
    proof: tuple[bytes, ...]
    note: str


def parse_request(body: bytes) -> Request:
    """Split an add-checkpoint body into old size, proof and note; raises `Refused` (400) when malformed."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(400, "the request body is not UTF-8") from None
    head, blank, note = text.partition("\n\n")
    if not blank:
        raise Refused(400, "no blank line separates the old size and proof from the checkpoint")
    first, *hashes = head.split("\n")
    old = _OLD.fullmatch(first)
    if old is None:
        raise Refused(400, "the first line is not 'old <size>' in decimal without leading zeros")
    if len(hashes) > MAX_PROOF_LINES:
        raise Refused(400, f"{len(hashes)} consistency proof lines, at most {MAX_PROOF_LINES} allowed")
    proof = []
    for number, line in enumerate(hashes, 1):
        try:
            value = base64.b64decode(line, validate=True)
        except binascii.Error:
            value = b""
        if len(value) != HASH_SIZE:
            raise Refused(400, f"consistency proof line {number} is not a base64 {HASH_SIZE}-byte hash")
        proof.append(value)
    return Request(int(old.group(1)), tuple(proof), note)


def request_body(old_size: int, proof: list[bytes], note: str) -> bytes:
    """The add-checkpoint body a client sends: the inverse of `parse_request`."""
    lines = [f"old {old_size}", *(base64.b64encode(h).decode() for h in proof)]
    return ("".join(line + "\n" for line in lines) + "\n" + note).encode()


class WitnessState:
    """The latest checkpoint cosigned for each log, one file per origin in a folder.

    A file holds the signed note as the log sent it, so the state is itself
    evidence. It is replaced by writing a new file, syncing it, and renaming
    it over the old one (then syncing the folder): a crash leaves the old
    checkpoint or the new one, never a torn file.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def _path(self, origin: str) -> Path:
        return self.folder / f"{hashlib.sha256(origin.encode()).hexdigest()}.checkpoint"

    def latest(self, origin: str) -> Checkpoint | None:
        """The checkpoint last cosigned for `origin`, or None if never."""
        path = self._path(origin)
        if not path.exists():
            return None
        return Checkpoint.parse(parse_note(path.read_bytes()).text)

    def record(self, checkpoint: Checkpoint, note: str) -> None:
        """Make `note` (the signed `checkpoint`) the latest for its origin, durably."""
        path = self._path(checkpoint.origin)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        with open(tmp, "wb") as handle:
            handle.write(note.encode())
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        directory = os.open(self.folder, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


class Witness:
    """A witness for the logs in `logs` (origin -> the log's verifier key), cosigning with `cosigner`."""

    def __init__(self, cosigner: Cosigner, logs: Mapping[str, Verifier], state: WitnessState) -> None:
        self.cosigner = cosigner
        self.logs = dict(logs)
        self.state = state
        self._lock = threading.Lock()

    def add_checkpoint(self, body: bytes) -> str:
        """The cosignature line(s) for the checkpoint in an add-checkpoint request; raises `Refused`."""
        request = parse_request(body)
        checkpoint = self._verified_checkpoint(request.note)
        if request.old_size > checkpoint.size:
            raise Refused(400, f"old size {request.old_size} is larger than the checkpoint's size {checkpoint.size}")
        with self._lock:
            latest = self.state.latest(checkpoint.origin)
            latest_size, latest_root = (latest.size, latest.root_hash) if latest else (0, EMPTY_ROOT)
            if request.old_size != latest_size:
                raise Refused(
                    409, f"old size {request.old_size} is not {latest_size}, the latest cosigned", size=latest_size
                )
            if checkpoint.size == latest_size and checkpoint.root_hash != latest_root:
                raise Refused(
                    409,
                    f"a checkpoint of size {latest_size} with another root was cosigned: the log forked",
                    size=latest_size,
                )
            try:
                verify_consistency(latest_size, checkpoint.size, request.proof, latest_root, checkpoint.root_hash)
            except ProofError as error:
                raise Refused(422, str(error)) from None
            note = parse_note(request.note)
            line = note.sign(self.cosigner).signatures[-1].line()
            self.state.record(checkpoint, request.note)
        return line

    def _verified_checkpoint(self, note: str) -> Checkpoint:
        """The checkpoint of a known log whose signature verifies (404 unknown log, 403 bad signature)."""
        try:
            checkpoint = Checkpoint.parse(parse_note(note).text)
        except LedgerError as error:
            raise Refused(400, str(error)) from None
        verifier = self.logs.get(checkpoint.origin)
        if verifier is None:
            raise Refused(404, f"unknown log {checkpoint.origin!r}")
        try:
            verify_note(note, [verifier])
        except LedgerError as error:
            raise Refused(403, str(error)) from None
        return checkpoint
