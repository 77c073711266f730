"""The witnesses a workspace asks to cosign its checkpoints: ``witnesses.txt``, one ``<url> <verifier key>`` a line.

A plain file beside the settings, so it can be read, diffed and edited by
hand; `testigo witness add` writes it (write-then-rename) and checks each
key. Lines starting with ``#`` are comments.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from testigo.config import Workspace, list_lines, write_list
from testigo.errors import UserError
from testigo.ledger import CosignatureVerifier, LedgerError


@dataclass(frozen=True)
class RosterEntry:
    """One witness: where to send add-checkpoint, and the key its cosignatures must verify with."""

    url: str
    verifier: CosignatureVerifier

    def line(self) -> str:
        return f"{self.url} {self.verifier}\n"


def parse_entry(url: str, key: str) -> RosterEntry:
    """A roster entry from a URL and a witness verifier key (type 0x04); raises `UserError`."""
    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
        raise UserError(f"witness URL {url!r} is not an http:// or https:// address")
    try:
        return RosterEntry(url.rstrip("/"), CosignatureVerifier.parse(key.strip()))
    except LedgerError as error:
        raise UserError(f"witness key for {url}: {error}") from None


def read_roster(workspace: Workspace) -> list[RosterEntry]:
    """The workspace's witnesses, in file order; none when the file does not exist."""
    entries = []
    for number, line in list_lines(workspace.witnesses_path):
        fields = line.split()
        if len(fields) != 2:
            raise UserError(f"{workspace.witnesses_path} line {number} is not '<url> <witness verifier key>'")
        entries.append(parse_entry(*fields))
    return entries


def add_to_roster(workspace: Workspace, entry: RosterEntry) -> list[RosterEntry]:
    """Add (or replace, same URL or same key name) a witness; returns the new roster."""
    kept = [e for e in read_roster(workspace) if e.url != entry.url and e.verifier.name != entry.verifier.name]
    roster = [*kept, entry]
    write_list(workspace.witnesses_path, (e.line() for e in roster))
    return roster
