"""The workspace's Ed25519 key that signs log checkpoints.

Created with the workspace and kept beside it (mode 0600), outside the
database and outside anything `publish` writes: whoever holds it can sign
checkpoints in the log's name.
"""

from __future__ import annotations

import os
import secrets

from testigo.config import Workspace
from testigo.ledger import Signer


def new_origin(profile: str) -> str:
    """A log origin unique to this workspace (C2SP: a schema-less URL-like name)."""
    return f"testigo.local/{profile}/{secrets.token_hex(6)}"


def load_or_create_signer(workspace: Workspace, origin: str) -> Signer:
    path = workspace.signer_key_path
    if path.exists():
        return Signer.parse(path.read_text(encoding="utf-8").strip())
    signer = Signer.generate(origin)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(signer.private_key_text() + "\n")
    return signer
