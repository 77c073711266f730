"""The tamper-evident ledger: an append-only Merkle log with signed checkpoints.

Every accepted submission and every decision is appended to the log as an
entry (bytes). Anyone holding an exported bundle can then check, with nothing
but hashes and the log's public key, that:

* an entry is in the log (`verify_inclusion` with a `MerkleLog.inclusion_proof`),
* a later checkpoint extends an earlier one without altering or removing
  anything (`verify_consistency` with a `MerkleLog.consistency_proof`),
* a checkpoint was signed by the log (`verify_checkpoint`),
* witnesses cosigned it (c2sp.org/tlog-cosignature: `Cosigner`,
  `CosignatureVerifier`, checked with `verify_note` like any note key).

The formats are public standards so that verification never depends on
testigo itself: RFC 9162 Merkle hashing and proofs, c2sp.org/tlog-checkpoint
checkpoints inside c2sp.org/signed-note notes, and Ed25519 key texts as
written by Go's golang.org/x/mod/sumdb/note.

Typical use::

    log = MerkleLog()                      # or MerkleLog(a database-backed NodeStore)
    index = log.append(entry)
    signer = Signer.generate("example.org/testigo/ve2024")
    signed = sign_checkpoint(Checkpoint(signer.name, log.size, log.root()), signer)

    checkpoint = verify_checkpoint(signed, [signer.verifier], origin=signer.name)
    verify_inclusion(index, checkpoint.size, leaf_hash(entry),
                     log.inclusion_proof(index, checkpoint.size), checkpoint.root_hash)

Every verification failure raises a `LedgerError` whose message is one line
for the user.
"""

from testigo.ledger.checkpoint import Checkpoint, sign_checkpoint, verify_checkpoint
from testigo.ledger.cosignature import CosignatureVerifier, Cosigner, cosignature_time
from testigo.ledger.errors import (
    CheckpointError,
    InvalidSignatureError,
    LedgerError,
    MalformedKeyError,
    MalformedNoteError,
    ProofError,
    UnknownKeyError,
)
from testigo.ledger.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    InMemoryNodeStore,
    MerkleLog,
    Node,
    NodeId,
    NodeStore,
    leaf_hash,
    node_hash,
    verify_consistency,
    verify_inclusion,
)
from testigo.ledger.note import (
    Note,
    Signature,
    Signer,
    VerifiedNote,
    Verifier,
    key_id,
    parse_note,
    sign_note,
    verify_note,
)

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "Checkpoint",
    "CheckpointError",
    "CosignatureVerifier",
    "Cosigner",
    "InMemoryNodeStore",
    "InvalidSignatureError",
    "LedgerError",
    "MalformedKeyError",
    "MalformedNoteError",
    "MerkleLog",
    "Node",
    "NodeId",
    "NodeStore",
    "Note",
    "ProofError",
    "Signature",
    "Signer",
    "UnknownKeyError",
    "VerifiedNote",
    "Verifier",
    "cosignature_time",
    "key_id",
    "leaf_hash",
    "node_hash",
    "parse_note",
    "sign_checkpoint",
    "sign_note",
    "verify_checkpoint",
    "verify_consistency",
    "verify_inclusion",
    "verify_note",
]
