"""The TSE's public keys that sign Brazil's boletins de urna (formats 1.4 and 1.5), and which of them to trust.

The TSE publishes one Ed25519 key per key version (the BU's ``VRCH``), kind of
election, phase and state, each as a 32-byte raw file at
``{VRCH}/{LEGAL|COMUNITARIA}/{o|s|t}{uf}qrcode.pub``; that path is the key's
name here (`KeyName`). Format 1.4 (2016) has no VRCH: its keys live under
``2016/LEGAL/``. A `KeyRing` finds a key by name among the keys shipped in the
package (``profiles/data/br/keys.json``) and those the user added to the
workspace, stored as files in that same path form, so a folder copied from the
TSE's site is already a keyring.

A key is trusted only as much as its origin: where the TSE's official SHA-512
list of a key version's files is known (``profiles/data/br/*-qrcode.sha512``,
today 2022's), a key file that does not match it is refused; any other key is
kept but reported as not checked against an official list. A name never
silently changes its key: a different key under a name already trusted is
refused, the same key again is a no-op.

Format 6.0 (2026) is signed by each urna's own key instead: see
`testigo.profiles.bu.certificate`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path, PurePath
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from testigo.errors import UserError

#: the folders of the kinds of election (the BU's ORLC LEG or COM; `Boletim.signing_key_name` names the key)
KINDS = ("LEGAL", "COMUNITARIA")
#: the letter that starts a key's file name: official, simulated, training (the BU's FASE)
PHASES = ("o", "s", "t")
#: the 26 states, the Federal District, and ``zz`` for voting abroad
UFS = frozenset("ac al am ap ba ce df es go ma mg ms mt pa pb pe pi pr rj rn ro rr rs sc se sp to zz".split())
RAW_KEY_BYTES = 32
#: the public keys shipped with the package, and the official hash lists, in the package's data
DATA = ("data", "br")
SHIPPED_FILE = "keys.json"
HASH_LIST_SUFFIX = "-qrcode.sha512"

#: a VRCH date, or the election year of a format 1.4 BU, which carries no VRCH
_VERSION = re.compile(r"\d{8}|\d{4}")
_FILE = re.compile(r"([ost])([a-z]{2})qrcode\.pub")
_FORM = "VRCH/LEGAL|COMUNITARIA/{o|s|t}{uf}qrcode.pub, e.g. 20220829/LEGAL/ospqrcode.pub"


class KeyRefused(UserError):
    """A key name or key file the keyring will not take; str() is the one-line reason."""


@dataclass(frozen=True, order=True)
class KeyName:
    """Which TSE key signs a BU: key version, kind of election, phase and state; str() is the TSE's path."""

    version: str
    kind: str
    phase: str
    uf: str

    def __post_init__(self) -> None:
        if not (_VERSION.fullmatch(self.version) and self.kind in KINDS and self.phase in PHASES and self.uf in UFS):
            raise KeyRefused(f"{self.version}/{self.kind}/{self.phase}{self.uf} is not a TSE key name: {_FORM}")

    def __str__(self) -> str:
        return f"{self.version}/{self.kind}/{self.file_name}"

    @property
    def file_name(self) -> str:
        return f"{self.phase}{self.uf}qrcode.pub"

    @classmethod
    def parse(cls, text: str) -> KeyName:
        """The name written as the TSE's path, ``20220829/LEGAL/ospqrcode.pub``."""
        parts = text.strip().split("/")
        found = _FILE.fullmatch(parts[-1]) if len(parts) == 3 else None
        if found is None:
            raise KeyRefused(f"{text!r} is not a TSE key name: {_FORM}")
        return cls(parts[0], parts[1], found[1], found[2])

    @classmethod
    def from_path(cls, path: PurePath) -> KeyName:
        """The name a file's path gives when it ends as the TSE publishes it (``.../20220829/LEGAL/ospqrcode.pub``)."""
        try:
            return cls.parse("/".join(path.parts[-3:]))
        except KeyRefused:
            raise KeyRefused(f"{path} is not named like a TSE key file: {_FORM}") from None


@dataclass(frozen=True)
class TrustedKey:
    """A public key the keyring holds, where it came from, and whether an official list vouches for it."""

    name: KeyName
    public_key: bytes
    #: ``shipped`` (in the package) or ``workspace`` (added by the user)
    origin: str
    #: where the key was found: the public source of a shipped key, the file of an added one
    source: str
    #: whether the key file's SHA-512 matched the TSE's official list (False: no list covers its name)
    checked: bool

    @property
    def sha512(self) -> str:
        """SHA-512 of the key file as the TSE publishes it (the 32 raw bytes), in hex."""
        return hashlib.sha512(self.public_key).hexdigest()

    @property
    def check(self) -> str:
        return "matches the TSE's official SHA-512 list" if self.checked else "not checked against an official list"

    def to_json(self) -> dict[str, Any]:
        return {
            "name": str(self.name),
            "public_key": self.public_key.hex(),
            "sha512": self.sha512,
            "origin": self.origin,
            "source": self.source,
            "checked_against_official_list": self.checked,
        }


@dataclass(frozen=True)
class Added:
    """What `KeyRing.add` did: stored the key, or found the very same key already trusted (a no-op)."""

    key: TrustedKey
    added: bool
    #: how the file was read: ``raw`` (the TSE's 32-byte file), ``PEM`` or ``DER`` (SubjectPublicKeyInfo)
    read_as: str

    def to_json(self) -> dict[str, Any]:
        return {"added": self.added, "read_as": self.read_as, "key": self.key.to_json()}


@cache
def official_hashes() -> Mapping[KeyName, str]:
    """The TSE's official SHA-512 of each key file, from every list shipped (``{VRCH}-{KIND}-qrcode.sha512``).

    Each line is ``<hex>  <file name>``, as ``sha512sum`` writes it for the
    files of one key version and kind, so the list's own name completes each
    file name into a key name.
    """
    found: dict[KeyName, str] = {}
    for entry in resources.files("testigo.profiles").joinpath(*DATA).iterdir():
        if entry.name.endswith(HASH_LIST_SUFFIX):
            version, kind = entry.name.removesuffix(HASH_LIST_SUFFIX).split("-")
            for line in entry.read_text(encoding="ascii").splitlines():
                digest, file_name = line.split()
                found[KeyName.parse(f"{version}/{kind}/{file_name}")] = digest.lower()
    return found


@cache
def shipped_keys() -> Mapping[KeyName, TrustedKey]:
    """The keys shipped in the package, each vetted as an added one would be."""
    data = json.loads(resources.files("testigo.profiles").joinpath(*DATA, SHIPPED_FILE).read_text(encoding="utf-8"))
    keys = {}
    for text, entry in data.items():
        name, raw = KeyName.parse(text), bytes.fromhex(entry["hex"])
        keys[name] = TrustedKey(name, raw, "shipped", entry["source"], vet(name, raw, official_hashes()))
    return keys


def read_public_key(data: bytes) -> tuple[bytes, str]:
    """The raw 32-byte Ed25519 key in a file, and how it was read; `KeyRefused` for anything else.

    The TSE publishes raw 32-byte files; a PEM or DER SubjectPublicKeyInfo of
    an Ed25519 key (what OpenSSL writes) is taken too and reduced to those 32 bytes.
    """
    read_as = "raw" if len(data) == RAW_KEY_BYTES else "PEM" if data.lstrip().startswith(b"-----BEGIN") else "DER"
    try:
        if read_as == "raw":
            return Ed25519PublicKey.from_public_bytes(data).public_bytes_raw(), read_as
        key = (serialization.load_pem_public_key if read_as == "PEM" else serialization.load_der_public_key)(data)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise KeyRefused(
            f"not an Ed25519 public key: {len(data)} bytes, neither the TSE's 32-byte raw file nor a PEM or DER "
            "SubjectPublicKeyInfo"
        ) from None
    if not isinstance(key, Ed25519PublicKey):
        raise KeyRefused(f"a {read_as} public key of another algorithm ({type(key).__name__}), not Ed25519")
    return key.public_bytes_raw(), read_as


def vet(name: KeyName, raw: bytes, official: Mapping[KeyName, str]) -> bool:
    """Whether the official list vouches for this key (True), or covers no such name (False); refuse a mismatch."""
    expected = official.get(name)
    if expected is None:
        return False
    got = hashlib.sha512(raw).hexdigest()
    if got != expected:
        raise KeyRefused(
            f"the key file for {name} does not match the TSE's official SHA-512 of that file "
            f"(got {got[:16]}..., official {expected[:16]}...): not a genuine TSE key"
        )
    return True


class KeyRing:
    """The keys that verify BUs: the package's and, when given a folder, the workspace's own.

    The folder holds the added keys as the TSE lays them out,
    ``{VRCH}/{LEGAL|COMUNITARIA}/{o|s|t}{uf}qrcode.pub``. `official` is the
    table of official SHA-512 hashes (by default every list shipped).
    """

    def __init__(self, folder: Path | None, official: Mapping[KeyName, str] | None = None) -> None:
        self.folder = folder
        self.official = official_hashes() if official is None else official

    def find(self, name: KeyName) -> TrustedKey | None:
        """The key trusted under `name`, or None: a BU signed with it cannot be verified yet."""
        shipped = shipped_keys().get(name)
        path = self._path(name)
        if path is None or not path.is_file():
            return shipped
        added = self._read(name, path)
        if shipped is not None and shipped.public_key != added.public_key:
            raise KeyRefused(f"{path} differs from the key shipped as {name}: remove that file")
        return shipped or added

    def public_key(self, name: KeyName) -> bytes | None:
        """The 32 raw bytes of the key trusted under `name`, or None (what the BU chain check takes)."""
        found = self.find(name)
        return found.public_key if found else None

    def keys(self) -> list[TrustedKey]:
        """Every key trusted, shipped and added, by name."""
        names = set(shipped_keys()) | set(self._added_names())
        return [key for key in map(self.find, sorted(names)) if key is not None]

    def add(self, name: KeyName, data: bytes) -> Added:
        """Trust the key in a file's bytes under `name`; `KeyRefused` with the reason when it must not be.

        Refused: a file that is no Ed25519 public key, one whose official SHA-512
        is known and differs, a different key under a name already trusted. The
        very key already trusted under that name is a no-op (``added`` False).
        """
        raw, read_as = read_public_key(data)
        checked = vet(name, raw, self.official)
        path = self._path(name)
        if path is None:
            raise KeyRefused("no workspace to add keys to")
        if (existing := self.find(name)) is None:
            if self._store(path, raw):
                return Added(TrustedKey(name, raw, "workspace", str(path), checked), True, read_as)
            existing = self._read(name, path)  # another process added one meanwhile: compare with it
        if existing.public_key != raw:
            raise KeyRefused(
                f"a different key is already trusted as {name} ({existing.origin}, SHA-512 "
                f"{existing.sha512[:16]}...): refusing to replace it"
            )
        return Added(existing, False, read_as)

    @staticmethod
    def _store(path: Path, raw: bytes) -> bool:
        """Write the key file whole and readable by all (public data), unless one is there already (False)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(raw)
        try:
            tmp.chmod(0o644)
            os.link(tmp, path)  # atomic, and never over an existing file
        except FileExistsError:
            return False
        finally:
            tmp.unlink()
        return True

    def _path(self, name: KeyName) -> Path | None:
        return self.folder / name.version / name.kind / name.file_name if self.folder else None

    def _read(self, name: KeyName, path: Path) -> TrustedKey:
        """An added key as stored, vetted again: a file placed by hand gets no more trust than one added."""
        try:
            raw, _ = read_public_key(path.read_bytes())
            return TrustedKey(name, raw, "workspace", str(path), vet(name, raw, self.official))
        except KeyRefused as error:
            raise KeyRefused(f"{path}: {error}") from None

    def _added_names(self) -> Iterator[KeyName]:
        if self.folder is not None and self.folder.is_dir():
            for path in self.folder.glob("*/*/*qrcode.pub"):
                yield KeyName.from_path(path.relative_to(self.folder))
