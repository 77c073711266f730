"""Accounts as a library: invite, accept, log in, sessions, API tokens, revoke, restrict.

The web application and the command line (``testigo user ...``, which is how
the first admin gets in) call these same functions. Passwords are hashed with
Argon2id; sessions, API tokens and invitations are random 256-bit secrets of
which only the SHA-256 is stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from testigo.store import users
from testigo.store.schema import UserRow
from testigo.store.submissions import now
from testigo.store.workspace import Store
from testigo.web.i18n import CatalogError
from testigo.web.keys import new_token, token_hash

VOLUNTEER, REVIEWER, ADMIN = "volunteer", "reviewer", "admin"
#: Roles from the least to the most trusted; each may do what the ones before it may.
ROLES: tuple[str, ...] = (VOLUNTEER, REVIEWER, ADMIN)

_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{2,63}")
MIN_PASSWORD = 10
MAX_PASSWORD = 256

#: Argon2id with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane): tens of milliseconds per login, so
#: a guessing attacker pays dearly while the per-IP login limit keeps logins from exhausting a 2-core server.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
#: Verified against when the account does not exist, so timing does not tell which names exist.
_DUMMY_HASH = _hasher.hash("testigo-no-such-account")


class AccountError(CatalogError):
    """A refused account operation: English for the command line (``str()``), the catalog message for the web.

    The web answers 422 (what was typed cannot be taken), or 404 for an
    invitation that cannot be used (expired, used, revoked or never made).
    """


@dataclass(frozen=True)
class Account:
    """An account as the application sees it, detached from any database session."""

    id: int
    username: str
    role: str
    blocked: bool
    uploads_per_hour: int | None
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, row: UserRow) -> Account:
        return cls(row.id, row.username, row.role, row.blocked, row.uploads_per_hour, row.created_at, row.revoked_at)

    def may(self, role: str) -> bool:
        """Whether this account has at least the powers of `role`."""
        return ROLES.index(self.role) >= ROLES.index(role)


def check_role(role: str) -> str:
    if role not in ROLES:
        raise AccountError("account_unknown_role", role=role, roles=", ".join(ROLES))
    return role


def invite(store: Store, role: str, *, note: str = "", created_by: int | None = None, days: int = 7) -> str:
    """Create a single-use invitation; returns its secret token (shown once, never stored)."""
    token = new_token()
    with store.sessions.begin() as session:
        users.add_invitation(
            session,
            token_sha256=token_hash(token),
            role=check_role(role),
            note=note.strip()[:200],
            created_by=created_by,
            expires_at=now() + timedelta(days=days),
        )
    return token


def invitation_role(store: Store, token: str) -> str | None:
    """The role a still-usable invitation grants, or None."""
    with store.sessions() as session:
        row = users.usable_invitation(session, token_hash(token))
        return row.role if row else None


def accept_invitation(store: Store, token: str, username: str, password: str) -> Account:
    """Create the account an invitation grants; the invitation is then used up."""
    username = username.strip().lower()
    if not _USERNAME.fullmatch(username):
        raise AccountError("account_bad_username")
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise AccountError("account_bad_password", min=MIN_PASSWORD, max=MAX_PASSWORD)
    password_hash = _hasher.hash(password)  # slow on purpose: outside the transaction
    with store.sessions.begin() as session:
        invitation = users.usable_invitation(session, token_hash(token))
        if invitation is None:
            raise AccountError("account_invitation_unusable", status_code=404)
        if users.user_by_name(session, username) is not None:
            raise AccountError("account_username_taken", username=username)
        row = users.create_user(
            session,
            username=username,
            role=invitation.role,
            password_hash=password_hash,
            invited_by=invitation.created_by,
        )
        if not users.use_invitation(session, invitation.token_sha256, row.id):
            raise AccountError("account_invitation_used", status_code=404)
        return Account.of(row)


def authenticate(store: Store, username: str, password: str) -> Account | None:
    """The account if the password is right and the account is not revoked; None otherwise."""
    with store.sessions() as session:
        row = users.user_by_name(session, username.strip().lower())
        stored = row.password_hash if row is not None and row.revoked_at is None else _DUMMY_HASH
    try:
        _hasher.verify(stored, password[:MAX_PASSWORD])
    except (VerificationError, InvalidHashError):
        return None
    if row is None or row.revoked_at is not None:
        return None
    if _hasher.check_needs_rehash(stored):
        with store.sessions.begin() as session:
            users.set_password_hash(session, row.id, _hasher.hash(password))
    return Account.of(row)


def open_session(store: Store, account: Account, days: int) -> str:
    """A new login session for the account; returns the cookie's secret."""
    return _add_token(store, account.id, users.SESSION, None, now() + timedelta(days=days))


def create_api_token(store: Store, account: Account, label: str) -> str:
    """A new API token (no expiry; revocable) for scripts and bulk uploaders; returns its secret."""
    return _add_token(store, account.id, users.API, label.strip()[:100] or None, None)


def _add_token(store: Store, user_id: int, kind: str, label: str | None, expires_at: datetime | None) -> str:
    token = new_token()
    with store.sessions.begin() as session:
        users.add_token(
            session, token_sha256=token_hash(token), user_id=user_id, kind=kind, label=label, expires_at=expires_at
        )
    return token


def account_for(store: Store, token: str, kind: str) -> Account | None:
    """The live account behind a session cookie or API token, or None."""
    with store.reads() as session:
        row = users.user_for_token(session, token_hash(token), kind)
        return Account.of(row) if row is not None else None


def revoke_token(store: Store, account: Account, token_sha256: str) -> bool:
    """End a session or API token of this account (logging out ends the session the same way)."""
    with store.sessions.begin() as session:
        return users.revoke_token(session, token_sha256, account.id)


def is_known_device(store: Store, username: str, device: str) -> bool:
    """Whether the browser holding visitor cookie `device` logged in to the account `username` before."""
    if not device:
        return False
    with store.reads() as session:
        return users.is_known_device(session, username.strip().lower(), token_hash(device))


def remember_device(store: Store, account: Account, device: str) -> None:
    if device:
        with store.sessions.begin() as session:
            users.remember_device(session, account.id, token_hash(device))


def list_accounts(store: Store) -> list[Account]:
    with store.sessions() as session:
        return [Account.of(row) for row in users.all_users(session)]


def find_account(store: Store, username: str) -> Account:
    with store.sessions() as session:
        row = users.user_by_name(session, username.strip().lower())
        if row is None:
            raise AccountError("account_unknown", username=username)
        return Account.of(row)


def revoke_account(store: Store, username: str, by: Account | None = None) -> Account:
    """Revoke an account: every session and token it holds stops working at once.

    `by` is the admin who did it, recorded with the time (None: the command
    line, where whoever holds the workspace acts; `revoked_at` still says when).
    """
    account = find_account(store, username)
    with store.sessions.begin() as session:
        if not users.revoke_user(session, account.id):
            raise AccountError("account_already_revoked", username=username)
        if by is not None:
            users.record_admin_action(session, admin_id=by.id, action=users.REVOKE, user_id=account.id, detail=None)
    return find_account(store, username)


def restrict(
    store: Store, username: str, *, blocked: bool, uploads_per_hour: int | None, by: Account | None = None
) -> Account:
    """Block or unblock an account, and set (or clear, with None) its own upload rate limit.

    Each change made records which admin (`by`) made it and when, so an
    account blocked by mistake, or a limit nobody remembers setting, can be
    traced to a person.
    """
    if uploads_per_hour is not None and uploads_per_hour < 0:
        raise AccountError("account_negative_limit")
    account = find_account(store, username)
    if by is not None and by.id == account.id and blocked and not account.blocked:
        # an admin who blocks themself is locked out of the very page that unblocks (only the command line could)
        raise AccountError("account_block_self")
    with store.sessions.begin() as session:
        users.set_restrictions(session, account.id, blocked=blocked, uploads_per_hour=uploads_per_hour)
        if by is not None:
            changes: list[tuple[str, str | None]] = []
            if blocked != account.blocked:
                changes.append((users.BLOCK if blocked else users.UNBLOCK, None))
            if uploads_per_hour != account.uploads_per_hour:
                changes.append((users.RATE_LIMIT, None if uploads_per_hour is None else str(uploads_per_hour)))
            for action, detail in changes:
                users.record_admin_action(session, admin_id=by.id, action=action, user_id=account.id, detail=detail)
    return find_account(store, username)
