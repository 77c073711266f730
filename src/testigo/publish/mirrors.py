"""The signed list of mirrors: where else the bundle can be found when one address is blocked.

When a results site is blocked (Venezuela 2024) or seized (Catalonia 2017),
readers move to copies: other domains, onion services, archives passed around
messaging apps. They need to know which copies the publisher vouches for, and
a clone serving altered figures must not be able to add itself to that list.
So the list is a signed note (c2sp.org/signed-note) made with the log's own
key, the key readers already check checkpoints with, and every page shows it
with that key's fingerprint.

The note text is line based, like a checkpoint::

    testigo-mirrors/v1
    origin <log origin>
    size <checkpoint size the list accompanies>
    published <UTC time, RFC 3339>
    <kind> <address>[ <note>]
    ...

where kind is ``web`` (an http(s) address), ``onion`` (a v3 onion service)
or ``archive`` (the file name of the bundle's archive, `testigo publish
--archive`). Its first line cannot be a checkpoint's origin line followed by
a size, so the signature of one kind of note is never taken for the other.

The workspace keeps the entries in ``mirrors.txt``, one ``<kind> <address>[
<note>]`` a line (`testigo mirrors add`), the same lines the signed list carries.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

from testigo.config import Workspace, list_lines, write_list
from testigo.errors import UserError
from testigo.ledger import LedgerError, Signer, Verifier, sign_note, verify_note

FORMAT = "testigo-mirrors/v1"
KINDS = ("web", "onion", "archive")
MAX_NOTE = 200
"""Characters of a note: a line on a page, not a paragraph."""

_ONION_V3 = re.compile(r"[a-z2-7]{56}")
_ARCHIVE_NAME = re.compile(r"[^\W_][\w.+-]*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TIME = "%Y-%m-%dT%H:%M:%SZ"


class MirrorListError(ValueError):
    """A signed list of mirrors that does not read as one; str() says why in one line."""


@dataclass(frozen=True)
class Mirror:
    """One place the bundle can be found: its kind, address and a short note for readers."""

    kind: str
    address: str
    note: str = ""

    def line(self) -> str:
        """The entry as written in the workspace's mirrors.txt and in the signed list, with its newline."""
        return f"{self.kind} {self.address}" + (f" {self.note}" if self.note else "") + "\n"

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "address": self.address, "note": self.note}


def parse_mirror(address: str, note: str = "") -> Mirror:
    """A mirror from what a user typed: an http(s) URL, a v3 onion address, or an archive file name.

    Raises `UserError` with a one-line reason. A bare onion address gets
    ``http://`` (onion services need no TLS: the address is the key).
    """
    address, note = address.strip(), " ".join(note.split())
    if _CONTROL.search(note) or len(note) > MAX_NOTE:
        raise UserError(f"a mirror's note is one line of at most {MAX_NOTE} characters")
    if not address or _CONTROL.search(address) or any(char.isspace() for char in address):
        raise UserError(f"mirror {address!r} is empty or holds spaces or control characters")
    if "://" not in address and address.lower().endswith(".onion"):
        address = "http://" + address
    if "://" in address:
        return _url(address, note)
    if "/" in address or "\\" in address:
        raise UserError(
            f"mirror {address!r}: an address starts with http:// or https://; an archive name has no folder"
        )
    if address.lower().startswith("www."):
        raise UserError(f"mirror {address!r} looks like a web address: give it with https://")
    if not _ARCHIVE_NAME.fullmatch(address) or len(address) > 255:
        raise UserError(
            f"mirror {address!r} is not an archive file name (letters, digits, '.', '_', '-', '+'; at most 255)"
        )
    return Mirror("archive", address, note)


def _url(address: str, note: str) -> Mirror:
    try:
        parts = urlsplit(address)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 (raises ValueError on a port that is not a number)
    except ValueError as error:
        raise UserError(f"mirror {address!r} is not a valid address: {error}") from None
    if parts.scheme.lower() not in ("http", "https") or not host:
        raise UserError(f"mirror {address!r} is not an http:// or https:// address")
    if parts.username is not None or parts.password is not None:
        raise UserError(f"mirror {address!r} holds a user name or password: the list is public")
    # scheme and host are case-insensitive: one spelling, so the same mirror is never listed twice
    address = urlunsplit(parts._replace(scheme=parts.scheme.lower(), netloc=parts.netloc.lower()))
    if not host.endswith(".onion"):
        return Mirror("web", address, note)
    service = host.removesuffix(".onion").rsplit(".", 1)[-1]
    if problem := _onion_problem(service):
        raise UserError(f"mirror {address!r}: {problem}")
    return Mirror("onion", address, note)


def _onion_problem(service: str) -> str | None:
    """Why `service` (the part before ``.onion``) is not a v3 onion service, or None.

    A v3 address is base32(public key (32 bytes) || checksum (2) || version
    (0x03)), the checksum being the first two bytes of SHA3-256(".onion
    checksum" || public key || version) (Tor's rend-spec-v3), so a mistyped
    address is caught here rather than by a reader whose browser finds nothing.
    """
    if len(service) == 16:
        return "a v2 onion address (16 characters); Tor dropped them in 2021: give the 56-character v3 address"
    if not _ONION_V3.fullmatch(service):
        return "not a v3 onion address (56 characters a-z and 2-7 before .onion)"
    try:
        raw = base64.b32decode(service.upper())
    except binascii.Error:
        return "not a v3 onion address (invalid base32)"
    key, checksum, version = raw[:32], raw[32:34], raw[34:]
    if version != b"\x03":
        return f"onion address version {version.hex()}, not 03"
    if hashlib.sha3_256(b".onion checksum" + key + version).digest()[:2] != checksum:
        return "the onion address's checksum does not match: a character is mistyped"
    return None


def _parse_line(line: str) -> Mirror:
    """An entry line ``<kind> <address>[ <note>]``, checked as `parse_mirror` checks typed input."""
    kind, _, rest = line.partition(" ")
    address, _, note = rest.partition(" ")
    if kind not in KINDS:
        raise UserError(f"{line!r} does not start with one of {', '.join(KINDS)}")
    mirror = parse_mirror(address, note)
    if mirror.kind != kind or mirror.address != address or mirror.note != note:
        raise UserError(f"{line!r} is not written as `testigo mirrors add` writes it ({mirror.line().strip()!r})")
    return mirror


def key_fingerprint(key: str) -> str:
    """SHA-256 of the log's verifier key as log/key.pub holds it, in groups of four hex digits.

    What a reader compares across copies, or checks with ``sha256sum
    log/key.pub``: a clone that changes any figure cannot sign for this key,
    so it must ship another one, with another fingerprint.
    """
    digest = hashlib.sha256((key + "\n").encode()).hexdigest()
    return " ".join(digest[i : i + 4] for i in range(0, len(digest), 4))


# --- the workspace's list ---------------------------------------------------------------------------------


def read_mirrors(workspace: Workspace) -> list[Mirror]:
    """The workspace's mirrors, in file order; none when mirrors.txt does not exist. Raises `UserError`."""
    mirrors = []
    for number, line in list_lines(workspace.mirrors_path):
        try:
            mirrors.append(_parse_line(line))
        except UserError as error:
            raise UserError(f"{workspace.mirrors_path} line {number}: {error}") from None
    return mirrors


def add_mirror(workspace: Workspace, mirror: Mirror) -> list[Mirror]:
    """Add a mirror, or give one already listed (same address) its new note; returns the new list."""
    mirrors = read_mirrors(workspace)
    at = next((i for i, m in enumerate(mirrors) if m.address == mirror.address), len(mirrors))
    mirrors[at : at + 1] = [mirror]
    return _write_mirrors(workspace, mirrors)


def remove_mirror(workspace: Workspace, address: str) -> list[Mirror]:
    """Remove the mirror of this address (as typed to `add`); `UserError` when none is listed."""
    wanted = parse_mirror(address).address
    mirrors = read_mirrors(workspace)
    kept = [m for m in mirrors if m.address != wanted]
    if len(kept) == len(mirrors):
        raise UserError(f"{wanted} is not in the workspace's list of mirrors")
    return _write_mirrors(workspace, kept)


def _write_mirrors(workspace: Workspace, mirrors: list[Mirror]) -> list[Mirror]:
    write_list(workspace.mirrors_path, (m.line() for m in mirrors))
    return mirrors


# --- the signed list in the bundle ------------------------------------------------------------------------


@dataclass(frozen=True)
class MirrorList:
    """The list as signed: which log and checkpoint it accompanies, when it was signed, and the mirrors."""

    origin: str
    size: int
    published: datetime
    mirrors: tuple[Mirror, ...]

    def text(self) -> str:
        head = f"{FORMAT}\norigin {self.origin}\nsize {self.size}\npublished {self.published.strftime(_TIME)}\n"
        return head + "".join(m.line() for m in self.mirrors)

    @classmethod
    def parse(cls, text: str) -> MirrorList:
        """Read the note text (signatures checked or not: see `verify_mirror_list`); raises `MirrorListError`."""
        lines = text.removesuffix("\n").split("\n")
        if len(lines) < 4 or lines[0] != FORMAT:
            raise MirrorListError(f"not a {FORMAT} list (its first four lines are the format, origin, size, time)")
        fields = [line.partition(" ") for line in lines[1:4]]
        if [label for label, _, _ in fields] != ["origin", "size", "published"] or not fields[1][2].isdigit():
            raise MirrorListError("lines 2 to 4 are not 'origin <log>', 'size <number>', 'published <time>'")
        try:
            published = datetime.strptime(fields[2][2], _TIME).replace(tzinfo=UTC)
            mirrors = tuple(_parse_line(line) for line in lines[4:])
        except (ValueError, UserError) as error:
            raise MirrorListError(str(error)) from None
        return cls(fields[0][2], int(fields[1][2]), published, mirrors)


def sign_mirror_list(mirrors: list[Mirror], signer: Signer, size: int, kept: bytes | None = None) -> bytes:
    """The signed list of `mirrors` for the checkpoint of `size`, signed now by the log's `signer`.

    `kept` is the list the bundle already holds: when it is this log's, for
    the same checkpoint and the same mirrors, it is returned as it is, so a
    publication with nothing new rewrites nothing and its time stays the one
    it was first signed at.
    """
    if kept is not None:
        try:
            held = verify_mirror_list(kept, signer.verifier)
        except (LedgerError, MirrorListError):
            held = None
        if held is not None and (held.origin, held.size, held.mirrors) == (signer.name, size, tuple(mirrors)):
            return kept
    now = datetime.now(UTC).replace(microsecond=0)
    return sign_note(MirrorList(signer.name, size, now, tuple(mirrors)).text(), signer).encode()


def verify_mirror_list(note: bytes | str, verifier: Verifier) -> MirrorList:
    """The list, once its signature by the log key `verifier` holds; raises `LedgerError` or `MirrorListError`.

    Its origin must be the key's name, as a checkpoint's must.
    """
    found = MirrorList.parse(verify_note(note, [verifier]).text)
    if found.origin != verifier.name:
        raise MirrorListError(f"the list is for log {found.origin!r}, not {verifier.name!r}")
    return found
