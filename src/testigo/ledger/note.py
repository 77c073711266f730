"""Signed notes (c2sp.org/signed-note) with Ed25519 keys.

A signed note is a text ending in a newline, a blank line, then one line per
signature: ``— <key name> <base64(4-byte key id || signature)>``. Keys are
written as text, ``<name>+<hex key id>+<base64(0x01 || public key)>`` for a
verifier and ``PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 || seed)>`` for a
signer, exactly as Go's golang.org/x/mod/sumdb/note writes them, so
checkpoints signed by testigo can be checked with the Go tools used by
Certificate Transparency, sumdb and their witnesses, and the other way round.

The key id is only a short identifier for picking the right key, not a
security measure: a verifier is configured with the full public key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import ClassVar, Self, TypeVar

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from testigo.ledger.errors import InvalidSignatureError, MalformedKeyError, MalformedNoteError, UnknownKeyError

ALGORITHM_ED25519 = 0x01
"""Signature type byte of Ed25519 in keys and key ids (c2sp.org/signed-note)."""

MAX_SIGNATURES = 100
"""More signature lines than this make a note malformed, as in Go, so parsing stays cheap."""

_ED25519_KEY_SIZE = 32
_KEY_ID_SIZE = 4
_PRIVATE_PREFIX = "PRIVATE+KEY+"
_SIGNATURE_PREFIX = "— "
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")


def key_id(name: str, public_key: bytes, algorithm: int = ALGORITHM_ED25519) -> int:
    """The 32-bit id of a key: SHA-256(name || 0x0A || algorithm byte || public key), first 4 bytes.

    The algorithm byte is 0x01 for note signatures; other signature types over
    the same Ed25519 key (cosignature/v1's 0x04) get another id, so a verifier
    never checks one kind of signature as the other.
    """
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([algorithm]) + public_key).digest()
    return int.from_bytes(digest[:_KEY_ID_SIZE], "big")


def _is_valid_name(name: str) -> bool:
    """Key names are non-empty and contain no Unicode space and no '+', which separates key fields."""
    return bool(name) and "+" not in name and not any(char.isspace() for char in name)


def _key_label(name: str, id_: int) -> str:
    """How keys are named in messages, the same short form as Go's errors."""
    return f"{name}+{id_:08x}"


@dataclass(frozen=True)
class Verifier:
    """A public Ed25519 key with its name; `str()` gives the verifier key text to publish.

    A subclass for another signature type over an Ed25519 key sets `algorithm`
    and overrides `verify` (see `testigo.ledger.cosignature`).
    """

    algorithm: ClassVar[int] = ALGORITHM_ED25519
    name: str
    public_key: bytes
    key_id: int = field(init=False)

    def __post_init__(self) -> None:
        if not _is_valid_name(self.name):
            raise MalformedKeyError(f"key name {self.name!r} must be non-empty, without spaces or '+'")
        if len(self.public_key) != _ED25519_KEY_SIZE:
            raise MalformedKeyError(f"an Ed25519 public key is {_ED25519_KEY_SIZE} bytes, not {len(self.public_key)}")
        object.__setattr__(self, "key_id", key_id(self.name, self.public_key, self.algorithm))

    @classmethod
    def parse(cls, text: str) -> Self:
        """Read a verifier key ``<name>+<hex8>+<base64>``; raises `MalformedKeyError`."""
        name, id_, key = _parse_key_fields(text, "verifier key", cls.algorithm)
        return _require_key_id(cls(name, key), id_, "verifier key")

    def __str__(self) -> str:
        return _format_key(self.name, self.key_id, self.public_key, self.algorithm)

    def verify(self, message: bytes, signature: bytes) -> bool:
        """Whether `signature` (without the key id) is this key's Ed25519 signature of `message`."""
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except InvalidSignature:
            return False
        return True


class Signer:
    """A named Ed25519 private key. Its text form is a secret, so it never appears in `repr()` or errors.

    `verifier_type` is the kind of signature it makes: a subclass for another
    type sets it and overrides `sign` (see `testigo.ledger.cosignature`).
    """

    verifier_type: ClassVar[type[Verifier]] = Verifier

    def __init__(self, name: str, seed: bytes) -> None:
        if len(seed) != _ED25519_KEY_SIZE:
            raise MalformedKeyError(f"an Ed25519 private key seed is {_ED25519_KEY_SIZE} bytes, not {len(seed)}")
        self._key = Ed25519PrivateKey.from_private_bytes(seed)
        self.verifier = self.verifier_type(name, self._key.public_key().public_bytes_raw())

    @classmethod
    def generate(cls, name: str) -> Self:
        """A new random key pair; publish `str(signer.verifier)` and keep `signer.private_key_text()` secret."""
        return cls(name, Ed25519PrivateKey.generate().private_bytes_raw())

    @classmethod
    def parse(cls, text: str) -> Self:
        """Read a signer key ``PRIVATE+KEY+<name>+<hex8>+<base64>``; raises `MalformedKeyError`."""
        if not text.startswith(_PRIVATE_PREFIX):
            raise MalformedKeyError(f"a signer key starts with {_PRIVATE_PREFIX!r}")
        algorithm = cls.verifier_type.algorithm
        name, id_, seed = _parse_key_fields(text.removeprefix(_PRIVATE_PREFIX), "signer key", algorithm)
        return _require_key_id(cls(name, seed), id_, "signer key")

    @property
    def name(self) -> str:
        return self.verifier.name

    @property
    def key_id(self) -> int:
        return self.verifier.key_id

    def private_key_text(self) -> str:
        """The secret signer key text, readable by `Signer.parse` and by Go's note.NewSigner."""
        return _PRIVATE_PREFIX + _format_key(
            self.name, self.key_id, self._key.private_bytes_raw(), self.verifier.algorithm
        )

    def sign(self, message: bytes) -> bytes:
        """Raw Ed25519 signature of `message` (deterministic, RFC 8032)."""
        return self._key.sign(message)

    def __repr__(self) -> str:
        return f"Signer({_key_label(self.name, self.key_id)})"


def _format_key(name: str, id_: int, key: bytes, algorithm: int) -> str:
    return f"{name}+{id_:08x}+{base64.b64encode(bytes([algorithm]) + key).decode()}"


def _parse_key_fields(text: str, what: str, algorithm: int) -> tuple[str, int, bytes]:
    """Split ``<name>+<hex8>+<base64(algorithm || key)>`` into name, key id and the 32 key bytes.

    Messages never quote `text`: it may be a private key pasted in the wrong place.
    """
    parts = text.split("+", 2)
    if len(parts) != 3 or not re.fullmatch(r"[0-9a-fA-F]{8}", parts[1]) or not _is_valid_name(parts[0]):
        raise MalformedKeyError(f"{what} is not <name>+<8 hex digits>+<base64 key>")
    name, id_hex, encoded = parts
    try:
        key = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        raise MalformedKeyError(f"{what} has invalid base64 key data") from None
    if not key or key[0] != algorithm:
        raise MalformedKeyError(
            f"{what} is not an Ed25519 key of the expected type (algorithm byte {key[:1].hex() or 'missing'}, "
            f"expected {algorithm:02x}; 01 is a log's signing key, 04 a witness's cosigning key)"
        )
    if len(key) != 1 + _ED25519_KEY_SIZE:
        raise MalformedKeyError(f"{what} holds {len(key) - 1} key bytes, expected {_ED25519_KEY_SIZE}")
    return name, int(id_hex, 16), key[1:]


_Key = TypeVar("_Key", bound=Verifier | Signer)


def _require_key_id(key: _Key, stated: int, what: str) -> _Key:
    """The key id written in a key text must be the one its name and public key give."""
    if key.key_id != stated:
        raise MalformedKeyError(
            f"{what} {_key_label(key.name, stated)} does not match its public key, which gives key id {key.key_id:08x}"
        )
    return key


@dataclass(frozen=True)
class Signature:
    """One signature line of a note, verified or not."""

    name: str
    key_id: int
    signature: bytes
    """The algorithm's signature bytes, without the 4-byte key id."""

    def line(self) -> str:
        """The signature line, with its newline."""
        encoded = base64.b64encode(self.key_id.to_bytes(_KEY_ID_SIZE, "big") + self.signature).decode()
        return f"{_SIGNATURE_PREFIX}{self.name} {encoded}\n"


@dataclass(frozen=True)
class Note:
    """A note text and its signatures; `str()` gives the signed-note text."""

    text: str
    signatures: tuple[Signature, ...] = ()

    def sign(self, *signers: Signer) -> Note:
        """This note with a signature by each signer added, replacing any earlier one by the same key.

        Signatures by other keys are kept, so an observer can co-sign a
        checkpoint the log already signed.
        """
        _require_valid_text(self.text)
        message = self.text.encode()
        replaced = {(s.name, s.key_id) for s in signers}
        kept = tuple(s for s in self.signatures if (s.name, s.key_id) not in replaced)
        return Note(self.text, kept + tuple(Signature(s.name, s.key_id, s.sign(message)) for s in signers))

    def __str__(self) -> str:
        return self.text + "\n" + "".join(signature.line() for signature in self.signatures)


@dataclass(frozen=True)
class VerifiedNote:
    """A note with the trusted keys whose signatures on it verified (at least one)."""

    note: Note
    verified_by: tuple[Verifier, ...]

    @property
    def text(self) -> str:
        return self.note.text


def sign_note(text: str, *signers: Signer) -> str:
    """The signed-note text of `text` (which must end with a newline) signed by each signer."""
    return str(Note(text).sign(*signers))


def parse_note(message: str | bytes) -> Note:
    """Split a signed note into its text and signature lines, checking syntax only.

    Nothing is verified: use `verify_note` before trusting the text.
    Raises `MalformedNoteError` naming the first problem found.
    """
    if isinstance(message, bytes):
        try:
            message = message.decode("utf-8")
        except UnicodeDecodeError as error:
            raise MalformedNoteError(f"malformed note: not valid UTF-8 at byte {error.start}") from None
    _require_no_control_characters(message)
    split = message.rfind("\n\n")
    if split < 0:
        raise MalformedNoteError("malformed note: no blank line separates the text from the signatures")
    text, block = message[: split + 1], message[split + 2 :]
    if not block.endswith("\n"):
        raise MalformedNoteError("malformed note: the signature block must end with a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise MalformedNoteError(f"malformed note: {len(lines)} signatures, at most {MAX_SIGNATURES} allowed")
    return Note(text, tuple(_parse_signature_line(number, line) for number, line in enumerate(lines, 1)))


def _parse_signature_line(number: int, line: str) -> Signature:
    if not line.startswith(_SIGNATURE_PREFIX):
        raise MalformedNoteError(f"malformed note: signature line {number} does not start with '{_SIGNATURE_PREFIX}'")
    name, _, encoded = line.removeprefix(_SIGNATURE_PREFIX).partition(" ")
    try:
        raw = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        raw = b""
    if not _is_valid_name(name) or len(raw) <= _KEY_ID_SIZE:
        raise MalformedNoteError(f"malformed note: signature line {number} is not '— <key name> <base64 signature>'")
    return Signature(name, int.from_bytes(raw[:_KEY_ID_SIZE], "big"), raw[_KEY_ID_SIZE:])


def verify_note(message: str | bytes, verifiers: Iterable[Verifier]) -> VerifiedNote:
    """Parse a signed note and check its signatures against the trusted `verifiers`.

    As c2sp.org/signed-note requires, signatures by keys not in `verifiers`
    are ignored (they may be co-signatures by witnesses), every signature by a
    trusted key must verify, and at least one must be present. Raises
    `MalformedNoteError`, `InvalidSignatureError` or `UnknownKeyError`.
    """
    note = parse_note(message)
    trusted = _index_verifiers(verifiers)
    message_bytes = note.text.encode()
    verified: dict[tuple[str, int], Verifier] = {}
    for signature in note.signatures:
        key = (signature.name, signature.key_id)
        verifier = trusted.get(key)
        if verifier is None:
            continue
        if not verifier.verify(message_bytes, signature.signature):
            raise InvalidSignatureError(
                f"invalid signature by key {_key_label(*key)}: the note text was altered or the signature forged"
            )
        verified[key] = verifier
    if not verified:
        signed_by = ", ".join(_key_label(s.name, s.key_id) for s in note.signatures)
        known = ", ".join(_key_label(*key) for key in trusted) or "none"
        raise UnknownKeyError(
            f"the note is not signed by a trusted key: it is signed by {signed_by}; trusted keys: {known}"
        )
    return VerifiedNote(note, tuple(verified.values()))


def _index_verifiers(verifiers: Iterable[Verifier]) -> dict[tuple[str, int], Verifier]:
    """Trusted keys by (name, key id); two different keys sharing both cannot be told apart."""
    index: dict[tuple[str, int], Verifier] = {}
    for verifier in verifiers:
        key = (verifier.name, verifier.key_id)
        if index.setdefault(key, verifier) != verifier:
            raise MalformedKeyError(f"two different trusted keys share the name and key id {_key_label(*key)}")
    return index


def _require_valid_text(text: str) -> None:
    if not text.endswith("\n"):
        raise MalformedNoteError("malformed note: the text must end with a newline")
    _require_no_control_characters(text)


def _require_no_control_characters(text: str) -> None:
    control = _CONTROL.search(text)
    if control:
        raise MalformedNoteError(
            f"malformed note: control character U+{ord(control.group()):04X} at character {control.start()}"
        )
