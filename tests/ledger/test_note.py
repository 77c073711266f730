"""Signed notes and keys against the vectors of Go's golang.org/x/mod/sumdb/note (note_test.go)."""

from __future__ import annotations

import hashlib

import pytest

from testigo.ledger import (
    InvalidSignatureError,
    MalformedKeyError,
    MalformedNoteError,
    Note,
    Signature,
    Signer,
    UnknownKeyError,
    Verifier,
    key_id,
    parse_note,
    sign_note,
    verify_note,
)

PETER_SIGNER_KEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_KEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_KEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
PETER_SIG = (
    "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
ENOCH_SIG = "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"


def peter() -> Verifier:
    return Verifier.parse(PETER_KEY)


def enoch() -> Verifier:
    return Verifier.parse(ENOCH_KEY)


# --- Keys


def test_go_keys_parse_and_print_back() -> None:
    signer = Signer.parse(PETER_SIGNER_KEY)
    assert signer.verifier == peter()
    assert (signer.name, signer.key_id) == ("PeterNeumann", 0xC74F20A3)
    assert key_id("PeterNeumann", peter().public_key) == 0xC74F20A3
    assert str(peter()) == PETER_KEY
    assert signer.private_key_text() == PETER_SIGNER_KEY


def manglings(text: str) -> list[str]:
    """Every proper substring and every single-character increment, as Go's TestNewVerifier tries."""
    substrings = {text[i:j] for i in range(len(text) + 1) for j in range(i + 1, len(text) + 1)} - {text}
    bumped = {text[:i] + chr(ord(text[i]) + 1) + text[i + 1 :] for i in range(len(text))}
    return sorted(substrings | bumped)


def test_mangled_verifier_keys_are_rejected() -> None:
    for mangled in manglings(PETER_KEY):
        with pytest.raises(MalformedKeyError):
            Verifier.parse(mangled)


def test_mangled_signer_keys_are_rejected() -> None:
    for mangled in manglings(PETER_SIGNER_KEY):
        with pytest.raises(MalformedKeyError):
            Signer.parse(mangled)


@pytest.mark.parametrize(
    ("key", "message"),
    [
        (
            "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
            "holds 36 key bytes, expected 32",
        ),
        (
            "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            "not an Ed25519 key of the expected type .algorithm byte 65",
        ),
        (
            "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            "PeterNeumann\\+c74f20a4 does not match .* c74f20a3",
        ),
        ("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "is not <name>\\+<8 hex digits>"),
        ("PeterNeumann+0xf20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "is not <name>\\+<8 hex digits>"),
    ],
)
def test_bad_verifier_keys_say_why(key: str, message: str) -> None:
    """The first two are Go's "wrong length" and "unknown algorithm" keys, with adjusted key hashes."""
    with pytest.raises(MalformedKeyError, match=message):
        Verifier.parse(key)


def test_private_keys_never_show_up_in_messages_or_repr() -> None:
    signer = Signer.parse(PETER_SIGNER_KEY)
    secret = PETER_SIGNER_KEY.rsplit("+", 1)[1]
    assert secret not in repr(signer)
    for mistake in (lambda: Verifier.parse(PETER_SIGNER_KEY), lambda: Signer.parse(PETER_SIGNER_KEY[:-4] + "AAA=")):
        with pytest.raises(MalformedKeyError) as caught:
            mistake()
        assert secret[:8] not in str(caught.value)


def test_generated_keys_round_trip() -> None:
    signer = Signer.generate("testigo.example/ve2024")
    again = Signer.parse(signer.private_key_text())
    assert again.verifier == signer.verifier == Verifier.parse(str(signer.verifier))
    assert signer.verifier.verify(b"hi", again.sign(b"hi"))
    assert not signer.verifier.verify(b"hj", again.sign(b"hi"))
    assert signer.key_id == key_id(signer.name, signer.verifier.public_key)


@pytest.mark.parametrize("name", ["", "a+b", "a b", "tab\there", "nbsp\u00a0"])
def test_key_names_without_spaces_or_plus(name: str) -> None:
    with pytest.raises(MalformedKeyError, match="key name"):
        Signer(name, bytes(32))


# --- Signing


def test_sign_reproduces_go_output() -> None:
    assert sign_note(TEXT, Signer.parse(PETER_SIGNER_KEY)) == TEXT + "\n" + PETER_SIG


def test_signing_again_replaces_the_signature_by_the_same_key() -> None:
    stale = Note(TEXT, (Signature("PeterNeumann", 0xC74F20A3, b"BADSIGN"),))
    assert str(stale.sign(Signer.parse(PETER_SIGNER_KEY))) == TEXT + "\n" + PETER_SIG


def test_cosigning_keeps_the_other_signatures() -> None:
    witness = Signer.generate("observer.example")
    cosigned = parse_note(TEXT + "\n" + PETER_SIG).sign(witness)
    assert str(cosigned).startswith(TEXT + "\n" + PETER_SIG + "— observer.example ")
    verified = verify_note(str(cosigned), [peter(), witness.verifier])
    assert verified.verified_by == (peter(), witness.verifier)


@pytest.mark.parametrize(
    ("text", "message"), [("abc", "must end with a newline"), ("a\x07b\n", "control character U\\+0007")]
)
def test_sign_rejects_malformed_text(text: str, message: str) -> None:
    with pytest.raises(MalformedNoteError, match=message):
        sign_note(text, Signer.parse(PETER_SIGNER_KEY))


# --- Verifying (Go's TestOpen)


def test_one_trusted_signature_is_enough_and_others_are_ignored() -> None:
    verified = verify_note(TEXT + "\n" + PETER_SIG + ENOCH_SIG, [peter()])
    assert verified.text == TEXT
    assert verified.verified_by == (peter(),)
    assert [s.name for s in verified.note.signatures] == ["PeterNeumann", "EnochRoot"]


def test_both_signatures_verify_when_both_are_trusted() -> None:
    assert verify_note((TEXT + "\n" + PETER_SIG + ENOCH_SIG).encode(), [peter(), enoch()]).verified_by == (
        peter(),
        enoch(),
    )


def test_no_trusted_signature_is_an_unknown_key_error() -> None:
    with pytest.raises(
        UnknownKeyError, match="signed by PeterNeumann\\+c74f20a3, EnochRoot\\+af0cfe78; trusted keys: none"
    ):
        verify_note(TEXT + "\n" + PETER_SIG + ENOCH_SIG, [])


def test_a_note_signed_by_another_key_of_the_same_name_is_not_trusted() -> None:
    impostor = Signer.generate("PeterNeumann")
    with pytest.raises(
        UnknownKeyError, match=f"signed by PeterNeumann\\+{impostor.key_id:08x}; trusted keys: PeterNeumann\\+c74f20a3"
    ):
        verify_note(sign_note(TEXT, impostor), [peter()])


def test_a_corrupted_signature_by_a_trusted_key_is_invalid() -> None:
    with pytest.raises(InvalidSignatureError, match="invalid signature by key PeterNeumann\\+c74f20a3"):
        verify_note(TEXT + "\n" + PETER_SIG[:60] + "ABCD" + PETER_SIG[60:], [peter()])


def test_an_altered_text_is_invalid() -> None:
    with pytest.raises(InvalidSignatureError, match="the note text was altered"):
        verify_note(TEXT.replace("answer", "solution") + "\n" + PETER_SIG, [peter()])


def test_repeated_signatures_verify_once() -> None:
    verified = verify_note(TEXT + "\n" + PETER_SIG + PETER_SIG + ENOCH_SIG + ENOCH_SIG, [peter()])
    assert verified.verified_by == (peter(),)


def test_two_different_trusted_keys_with_the_same_name_and_id_are_refused() -> None:
    """Two public keys whose ids collide under one name (found by a birthday search)."""
    twins = [Verifier("Twin", hashlib.sha256(b"collide %d" % n).digest()) for n in (2085, 130410)]
    assert twins[0].key_id == twins[1].key_id == 0xF354AD6A
    with pytest.raises(MalformedKeyError, match="share the name and key id Twin\\+f354ad6a"):
        verify_note(TEXT + "\n" + PETER_SIG, twins)


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        (TEXT, "no blank line"),
        (TEXT + "\n", "must end with a newline"),
        (TEXT + "\n" + PETER_SIG[:-1], "must end with a newline"),
        ("\x01" + TEXT + "\n" + PETER_SIG, "control character U\\+0001 at character 0"),
        (b"\xff" + (TEXT + "\n" + PETER_SIG).encode(), "not valid UTF-8 at byte 0"),
        (
            TEXT
            + "\n"
            + "— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
            "signature line 1 is not",
        ),
        (TEXT + "\n" + PETER_SIG + "Unexpected line.\n", "signature line 2 does not start with '— '"),
        (TEXT + "\n" + "— PeterNeumann x08gow==\n", "signature line 1 is not"),
        (TEXT + "\n" + PETER_SIG * 101, "101 signatures, at most 100"),
    ],
)
def test_malformed_notes_are_rejected(message: str | bytes, reason: str) -> None:
    with pytest.raises(MalformedNoteError, match=reason):
        verify_note(message, [peter()])


def test_text_may_contain_blank_lines() -> None:
    """The signatures start after the last blank line (c2sp.org/signed-note)."""
    signer = Signer.generate("log.example")
    text = "first\n\nsecond, after a blank line\n\n"
    assert verify_note(sign_note(text, signer), [signer.verifier]).text == text
