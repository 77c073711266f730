"""Cosignatures (c2sp.org/tlog-cosignature v1) against published vectors and an independent construction.

The vectors are from transparency-dev/formats note/note_cosigv1_test.go: a
witness verifier key of type 0x04 whose key id it checks, and a cosignature
line whose timestamp it reads. No published vector pairs a key with a signed
checkpoint, so the signature bytes are checked against a construction made
here from the spec's text with the bare `cryptography` primitives.
"""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from testigo.ledger import (
    Checkpoint,
    CosignatureVerifier,
    Cosigner,
    InvalidSignatureError,
    MalformedKeyError,
    MalformedNoteError,
    Note,
    Signer,
    UnknownKeyError,
    cosignature_time,
    parse_note,
    verify_checkpoint,
    verify_note,
)

REMORA_KEY = "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"
VECTOR_SIGNATURE = (
    "ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOworDcFiEBYJXORmnFBOBA=="
)
SEED = bytes(range(32))
CHECKPOINT = Checkpoint(
    "example.com/behind-the-sofa", 20852163, base64.b64decode(b"CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
)


def test_a_published_witness_key_parses_with_its_type_0x04_key_id() -> None:
    verifier = CosignatureVerifier.parse(REMORA_KEY)
    assert (verifier.name, verifier.key_id) == ("remora.n621.de", 0xDA77ADE7)
    assert str(verifier) == REMORA_KEY


def test_a_note_key_is_not_a_witness_key_and_the_other_way_round() -> None:
    note_key = str(Signer.generate("w").verifier)
    with pytest.raises(MalformedKeyError, match="algorithm byte 01, expected 04"):
        CosignatureVerifier.parse(note_key)
    with pytest.raises(MalformedKeyError, match="algorithm byte 04, expected 01"):
        Signer.verifier_type.parse(REMORA_KEY)


def test_the_timestamp_of_a_published_cosignature_is_read() -> None:
    line = f"— witness {VECTOR_SIGNATURE}\n"
    [signature] = parse_note("text\n\n" + line).signatures
    assert signature.key_id == 0x646846B9
    assert cosignature_time(signature) == 1727964367


def test_a_note_signature_has_no_cosignature_time() -> None:
    [signature] = parse_note(str(Note("text\n").sign(Signer.generate("log")))).signatures
    with pytest.raises(MalformedNoteError, match="not the 72 of a cosignature/v1"):
        cosignature_time(signature)


def test_the_signature_bytes_are_those_the_spec_describes() -> None:
    """Key id, timestamp and Ed25519 signature rebuilt from the spec's words with the bare primitives."""
    cosigner = Cosigner("witness.example.com/w1", SEED)
    text = CHECKPOINT.text()
    raw = cosigner.sign_at(text.encode(), 1679315147)

    public = Ed25519PrivateKey.from_private_bytes(SEED).public_key().public_bytes_raw()
    expected_id = hashlib.sha256(b"witness.example.com/w1\n\x04" + public).digest()[:4]
    message = b"cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\n"
    message += b"CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    assert cosigner.key_id == int.from_bytes(expected_id, "big")
    assert raw[:8] == (1679315147).to_bytes(8, "big")
    Ed25519PublicKey.from_public_bytes(public).verify(raw[8:], message)  # raises if not
    assert raw[8:] == Ed25519PrivateKey.from_private_bytes(SEED).sign(message)  # Ed25519 is deterministic
    vkey = base64.b64encode(b"\x04" + public).decode()
    assert str(cosigner.verifier) == f"witness.example.com/w1+{expected_id.hex()}+{vkey}"


def test_a_cosigned_checkpoint_verifies_for_the_log_and_for_the_witness() -> None:
    log = Signer.generate(CHECKPOINT.origin)
    witness = Cosigner.generate("witness.example/w1")
    cosigned = str(Note(CHECKPOINT.text()).sign(log).sign(witness))
    assert verify_checkpoint(cosigned, [log.verifier], origin=CHECKPOINT.origin) == CHECKPOINT
    assert verify_note(cosigned, [witness.verifier]).verified_by == (witness.verifier,)
    with pytest.raises(UnknownKeyError):  # the same key as a note key has another id: not a cosignature
        verify_note(cosigned, [Signer(witness.name, SEED).verifier])


def test_an_altered_checkpoint_or_time_fails_the_cosignature() -> None:
    witness = Cosigner(witness_name := "w", SEED)
    cosigned = str(Note(CHECKPOINT.text()).sign(witness))
    with pytest.raises(InvalidSignatureError, match=f"key {witness_name}\\+{witness.key_id:08x}"):
        verify_note(cosigned.replace("20852163", "20852164"), [witness.verifier])
    note = parse_note(cosigned)
    [signature] = note.signatures
    moved = bytes([signature.signature[0] ^ 1]) + signature.signature[1:]
    assert not witness.verifier.verify(note.text.encode(), moved)
    assert not witness.verifier.verify(note.text.encode(), signature.signature[:-1])


def test_a_private_witness_key_round_trips_and_keeps_its_type() -> None:
    witness = Cosigner.generate("witness.example/w1")
    text = witness.private_key_text()
    assert base64.b64decode(text.split("+", 4)[4])[0] == 0x04  # PRIVATE+KEY+name+id+key: base64 may hold "+"
    assert Cosigner.parse(text).verifier == witness.verifier
    with pytest.raises(MalformedKeyError, match="expected 04"):
        Cosigner.parse(Signer.generate("log").private_key_text())
