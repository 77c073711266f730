"""The workspace's Ed25519 key that signs log checkpoints, and the key files of Ed25519 signers in general.

Created with the workspace and kept beside it (mode 0600), outside the
database and outside anything `publish` writes: whoever holds it can sign
checkpoints in the log's name. A witness's key (`testigo witness key`) is
kept the same way.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import TypeVar

from testigo.config import Workspace
from testigo.ledger import MalformedKeyError, Signer

_Signer = TypeVar("_Signer", bound=Signer)


def new_origin(profile: str) -> str:
    """A log origin unique to this workspace (C2SP: a schema-less URL-like name)."""
    return f"testigo.local/{profile}/{secrets.token_hex(6)}"


def load_or_create_signer(workspace: Workspace, origin: str) -> Signer:
    return load_or_create_key(workspace.signer_key_path, Signer, origin)


def load_key(path: Path, kind: type[_Signer]) -> _Signer:
    """The private key of type `kind` in the file `path`; a missing or wrong file raises a `UserError` subclass."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise MalformedKeyError(f"cannot read the key file {path}: {error}") from None
    return kind.parse(text.strip())


def load_or_create_key(path: Path, kind: type[_Signer], name: str) -> _Signer:
    """The key in `path`, or a new one named `name` written there first (created exclusively, mode 0600)."""
    if path.exists():
        return load_key(path, kind)
    signer = kind.generate(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(signer.private_key_text() + "\n")
    return signer
