"""The web application's secret and what is derived from it: CSRF tokens and reviewer pseudonyms.

The secret lives in the workspace's ``keys/`` folder beside the log signing
key (mode 0600, never published, never in the database), so every server
process of the workspace derives the same values and a database dump alone
does not let anyone forge a CSRF token or link a pseudonym to an account.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from testigo.config import Workspace

SECRET_FILE = "web-secret.key"


def load_or_create_secret(workspace: Workspace) -> bytes:
    """The workspace's web secret, created on first use (two processes starting at once agree on one)."""
    path = workspace.signer_key_path.parent / SECRET_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read(path)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secrets.token_hex(32) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return _read(path)


def _read(path: Path) -> bytes:
    text = path.read_text(encoding="utf-8").strip()
    if len(text) != 64:
        raise RuntimeError(f"{path} does not hold a 32-byte hex secret")
    return bytes.fromhex(text)


def new_token() -> str:
    """A fresh secret for a session, an API token or an invitation (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What the database keeps of a token: its SHA-256, useless to whoever copies the database."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def csrf_token(secret: bytes, binding: str) -> str:
    """The CSRF token bound to a session (or an anonymous visitor's cookie): a page of another site cannot read it."""
    return hmac.new(secret, b"csrf\x00" + binding.encode("utf-8"), hashlib.sha256).hexdigest()


def csrf_valid(secret: bytes, binding: str, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(csrf_token(secret, binding), presented or "")


def pseudonym(secret: bytes, user_id: int) -> str:
    """A reviewer's stable public name in log entries: unlinkable to the account without the secret."""
    digest = hmac.new(secret, f"reviewer\x00{user_id}".encode(), hashlib.sha256).hexdigest()
    return f"reviewer-{digest[:16]}"
