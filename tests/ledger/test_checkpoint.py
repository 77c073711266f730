"""Checkpoints: the c2sp.org/tlog-checkpoint format, signing, tampering, and the ledger end to end."""

from __future__ import annotations

import base64

import pytest

from testigo.ledger import (
    Checkpoint,
    CheckpointError,
    InvalidSignatureError,
    MerkleLog,
    ProofError,
    Signer,
    UnknownKeyError,
    Verifier,
    leaf_hash,
    sign_checkpoint,
    verify_checkpoint,
    verify_consistency,
    verify_inclusion,
    verify_note,
)

ORIGIN = "testigo.example/ve2024"
SPEC_EXAMPLE = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
# sum.golang.org/latest as a witness received it (transparency-dev/witness README), with two
# test.example.com cosignatures, one of them of another signature type.
SUMDB_KEY = "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8"
SUMDB_CHECKPOINT = """go.sum database tree
15081221
BoMMe1wd25Tco0mYGROkyqxHZWx+hcSCtMV315Lu6Lg=

— sum.golang.org Az3grilD7vQqTrv66jRgKM84Y80KTprrSt4bKmiOPxgmS5ZVBTeCl6dUvjYnN13R+C8j0jGY1WnUADGMkok3U0m2Zgo=
— test.example.com qTGhC3917mAr6hGh+T55tNjxaej/D/GQivJZRIj7XGdAcQOTqfMWIPgp/v/904LEduN/h2sSRtHUJXUL4b9Gm7Bz4Qc=
— test.example.com /Pa7Y/dUvWMAAAAAQVwkQVi81ArPV7BIaQYrMIxyzY0m8a4BdeeBhSKd3PviPK4/3Sd+NKSc5N7PDTCfAkUSVniN+R2oKIggA4iiDQ==
"""


@pytest.fixture(scope="module")
def signer() -> Signer:
    return Signer.generate(ORIGIN)


def test_the_spec_example_parses_and_prints_back() -> None:
    checkpoint = Checkpoint.parse(SPEC_EXAMPLE)
    assert checkpoint.origin == "example.com/behind-the-sofa"
    assert checkpoint.size == 20852163
    assert checkpoint.root_hash == base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
    assert checkpoint.text() == SPEC_EXAMPLE


def test_extension_lines_round_trip(signer: Signer) -> None:
    checkpoint = Checkpoint(ORIGIN, 0, bytes(32), ("timestamp 1722124800", "other"))
    signed = sign_checkpoint(checkpoint, signer)
    assert signed.startswith(f"{ORIGIN}\n0\n{'A' * 43}=\ntimestamp 1722124800\nother\n\n— {ORIGIN} ")
    assert verify_checkpoint(signed, [signer.verifier], origin=ORIGIN) == checkpoint


def test_the_go_checksum_database_checkpoint_verifies() -> None:
    """The log's signature verifies with the key built into the go command; the untrusted
    cosignatures are ignored. Origins may contain spaces: this one is "go.sum database tree"."""
    sumdb = Verifier.parse(SUMDB_KEY)
    assert verify_note(SUMDB_CHECKPOINT, [sumdb]).verified_by == (sumdb,)
    checkpoint = verify_checkpoint(SUMDB_CHECKPOINT, [sumdb], origin="go.sum database tree")
    assert checkpoint.size == 15081221
    assert checkpoint.root_hash == base64.b64decode("BoMMe1wd25Tco0mYGROkyqxHZWx+hcSCtMV315Lu6Lg=")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("origin\n5\n" + "A" * 43 + "=", "must end with a newline"),
        ("origin\n5\n", "2 lines, expected origin, size and root hash"),
        ("origin\n05\n" + "A" * 43 + "=\n", "tree size '05' is not a decimal number"),
        ("origin\n+5\n" + "A" * 43 + "=\n", "tree size '\\+5' is not a decimal number"),
        ("origin\n\u0665\n" + "A" * 43 + "=\n", "is not a decimal number"),
        ("origin\n-1\n" + "A" * 43 + "=\n", "is not a decimal number"),
        ("origin\n5\nnot base64!\n", "root hash 'not base64!' is not base64"),
        ("origin\n5\n" + "A" * 42 + "==\n", "root hash is 31 bytes, expected 32"),
        ("\n5\n" + "A" * 43 + "=\n", "the origin must be one non-empty line"),
        ("origin\n5\n" + "A" * 43 + "=\n\nextension\n", "extension lines must be single non-empty lines"),
    ],
)
def test_malformed_checkpoints_are_rejected(text: str, message: str) -> None:
    with pytest.raises(CheckpointError, match=message):
        Checkpoint.parse(text)


def test_a_changed_tree_size_breaks_the_signature(signer: Signer) -> None:
    signed = sign_checkpoint(Checkpoint(ORIGIN, 1000, leaf_hash(b"root")), signer)
    with pytest.raises(InvalidSignatureError, match=f"invalid signature by key {ORIGIN}\\+{signer.key_id:08x}"):
        verify_checkpoint(signed.replace("\n1000\n", "\n1001\n"), [signer.verifier], origin=ORIGIN)


def test_a_changed_root_breaks_the_signature(signer: Signer) -> None:
    root = base64.b64encode(leaf_hash(b"root")).decode()
    signed = sign_checkpoint(Checkpoint(ORIGIN, 1000, leaf_hash(b"root")), signer)
    forged = signed.replace(root, base64.b64encode(leaf_hash(b"forged")).decode())
    with pytest.raises(InvalidSignatureError):
        verify_checkpoint(forged, [signer.verifier], origin=ORIGIN)


def test_a_checkpoint_signed_by_another_key_is_rejected(signer: Signer) -> None:
    other = Signer.generate(ORIGIN)
    signed = sign_checkpoint(Checkpoint(ORIGIN, 7, leaf_hash(b"root")), other)
    with pytest.raises(UnknownKeyError, match="not signed by a trusted key"):
        verify_checkpoint(signed, [signer.verifier], origin=ORIGIN)


def test_a_checkpoint_of_another_log_is_rejected(signer: Signer) -> None:
    signed = sign_checkpoint(Checkpoint("testigo.example/co2026", 7, leaf_hash(b"root")), signer)
    with pytest.raises(
        CheckpointError, match=r"is for the log 'testigo\.example/co2026', expected 'testigo\.example/ve2024'"
    ):
        verify_checkpoint(signed, [signer.verifier], origin=ORIGIN)


def test_a_published_history_verifies_end_to_end(signer: Signer) -> None:
    """What a bundle verifier does: two signed checkpoints, a consistency proof, an inclusion proof."""
    log = MerkleLog()
    log.append_many(b"record %d" % i for i in range(1000))
    early = sign_checkpoint(Checkpoint(ORIGIN, log.size, log.root()), signer)
    log.append_many(b"record %d" % i for i in range(1000, 1500))
    late = sign_checkpoint(Checkpoint(ORIGIN, log.size, log.root()), signer)

    first = verify_checkpoint(early, [signer.verifier], origin=ORIGIN)
    second = verify_checkpoint(late, [signer.verifier], origin=ORIGIN)
    verify_consistency(first.size, second.size, log.consistency_proof(first.size), first.root_hash, second.root_hash)
    verify_inclusion(1234, second.size, leaf_hash(b"record 1234"), log.inclusion_proof(1234), second.root_hash)

    rewritten = MerkleLog()
    rewritten.append_many(b"record %d" % i if i != 17 else b"record seventeen" for i in range(1500))
    with pytest.raises(
        ProofError, match="consistency proof from size 1000 to size 1500 does not match the old tree head"
    ):
        verify_consistency(
            first.size, second.size, rewritten.consistency_proof(1000), first.root_hash, second.root_hash
        )
