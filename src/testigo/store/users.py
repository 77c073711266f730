"""Accounts, invitations, sessions/API tokens and web upload activity (SQL access only).

The rules (who may do what, how secrets are made and checked) live in
`testigo.web`; this module only reads and writes rows. Secrets never reach the
database: invitations and tokens are stored by the SHA-256 of the secret.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, case, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from testigo.ledger.entries import WEB_CHANNEL
from testigo.store.db import changed_rows
from testigo.store.schema import (
    AuthTokenRow,
    DecisionRow,
    InvitationRow,
    ItemRow,
    KnownDeviceRow,
    OriginalFetchRow,
    SubmissionRow,
    UserRow,
)
from testigo.store.submissions import PENDING, now

SESSION = "session"
API = "api"
#: The channel of submissions that arrive through the web application.


def create_user(session: Session, *, username: str, role: str, password_hash: str, invited_by: int | None) -> UserRow:
    row = UserRow(
        username=username,
        role=role,
        password_hash=password_hash,
        invited_by=invited_by,
        created_at=now(),
        blocked=False,
    )
    session.add(row)
    session.flush()
    return row


def user_by_name(session: Session, username: str) -> UserRow | None:
    return session.execute(select(UserRow).where(UserRow.username == username)).scalar_one_or_none()


def set_password_hash(session: Session, user_id: int, password_hash: str) -> None:
    session.execute(update(UserRow).where(UserRow.id == user_id).values(password_hash=password_hash))


def all_users(session: Session) -> list[UserRow]:
    return list(session.execute(select(UserRow).order_by(UserRow.id)).scalars())


def revoke_user(session: Session, user_id: int) -> bool:
    """Revoke the account and every session and token it holds; False if no such active account."""
    moment = now()
    done = session.execute(
        update(UserRow).where(UserRow.id == user_id, UserRow.revoked_at.is_(None)).values(revoked_at=moment)
    )
    session.execute(
        update(AuthTokenRow)
        .where(AuthTokenRow.user_id == user_id, AuthTokenRow.revoked_at.is_(None))
        .values(revoked_at=moment)
    )
    return changed_rows(done) == 1


def set_restrictions(session: Session, user_id: int, *, blocked: bool, uploads_per_hour: int | None) -> bool:
    done = session.execute(
        update(UserRow).where(UserRow.id == user_id).values(blocked=blocked, uploads_per_hour=uploads_per_hour)
    )
    return changed_rows(done) == 1


def add_invitation(
    session: Session, *, token_sha256: str, role: str, note: str, created_by: int | None, expires_at: datetime
) -> InvitationRow:
    row = InvitationRow(
        token_sha256=token_sha256,
        role=role,
        note=note,
        created_by=created_by,
        created_at=now(),
        expires_at=expires_at,
    )
    session.add(row)
    session.flush()
    return row


def usable_invitation(session: Session, token_sha256: str) -> InvitationRow | None:
    """The invitation if it exists, is unused, unrevoked and unexpired."""
    row = session.get(InvitationRow, token_sha256)
    if row is None or row.used_at is not None or row.revoked_at is not None or aware(row.expires_at) <= now():
        return None
    return row


def use_invitation(session: Session, token_sha256: str, user_id: int) -> bool:
    """Mark the invitation used by `user_id`; False if someone used it first (single use, race-free)."""
    done = session.execute(
        update(InvitationRow)
        .where(
            InvitationRow.token_sha256 == token_sha256,
            InvitationRow.used_at.is_(None),
            InvitationRow.revoked_at.is_(None),
        )
        .values(used_at=now(), used_by=user_id)
    )
    return changed_rows(done) == 1


def open_invitations(session: Session) -> list[InvitationRow]:
    query = (
        select(InvitationRow)
        .where(InvitationRow.used_at.is_(None), InvitationRow.revoked_at.is_(None), InvitationRow.expires_at > now())
        .order_by(InvitationRow.created_at.desc())
    )
    return list(session.execute(query).scalars())


def revoke_invitation(session: Session, token_sha256: str) -> bool:
    done = session.execute(
        update(InvitationRow)
        .where(InvitationRow.token_sha256 == token_sha256, InvitationRow.used_at.is_(None))
        .values(revoked_at=now())
    )
    return changed_rows(done) == 1


def add_token(
    session: Session, *, token_sha256: str, user_id: int, kind: str, label: str | None, expires_at: datetime | None
) -> AuthTokenRow:
    row = AuthTokenRow(
        token_sha256=token_sha256,
        user_id=user_id,
        kind=kind,
        label=label,
        created_at=now(),
        expires_at=expires_at,
    )
    session.add(row)
    session.flush()
    return row


# run for every signed-in request: built once (see `testigo.store.submissions`)
_USER_FOR_TOKEN = (
    select(UserRow)
    .join(AuthTokenRow, AuthTokenRow.user_id == UserRow.id)
    .where(
        AuthTokenRow.token_sha256 == bindparam("token_sha256"),
        AuthTokenRow.kind == bindparam("kind"),
        AuthTokenRow.revoked_at.is_(None),
        or_(AuthTokenRow.expires_at.is_(None), AuthTokenRow.expires_at > bindparam("now")),
        UserRow.revoked_at.is_(None),
    )
)


def user_for_token(session: Session, token_sha256: str, kind: str) -> UserRow | None:
    """The account holding this live session/token, unless it or the account is revoked or it expired."""
    parameters = {"token_sha256": token_sha256, "kind": kind, "now": now()}
    return session.execute(_USER_FOR_TOKEN, parameters).scalar_one_or_none()


def revoke_token(session: Session, token_sha256: str, user_id: int) -> bool:
    done = session.execute(
        update(AuthTokenRow)
        .where(
            AuthTokenRow.token_sha256 == token_sha256,
            AuthTokenRow.user_id == user_id,
            AuthTokenRow.revoked_at.is_(None),
        )
        .values(revoked_at=now())
    )
    return changed_rows(done) == 1


def api_tokens_of(session: Session, user_id: int) -> list[AuthTokenRow]:
    query = (
        select(AuthTokenRow)
        .where(AuthTokenRow.user_id == user_id, AuthTokenRow.kind == API, AuthTokenRow.revoked_at.is_(None))
        .order_by(AuthTokenRow.created_at)
    )
    return list(session.execute(query).scalars())


def web_origin(user_id: int, upload_id: str) -> str:
    """The origin of a web upload: one per account and client upload id, so a retry is the same arrival."""
    return f"{WEB_CHANNEL}:{user_id}:{upload_id}"


_LATEST_ARRIVAL = (
    select(SubmissionRow).where(SubmissionRow.origin == bindparam("origin")).order_by(SubmissionRow.id.desc()).limit(1)
)


def upload_of(session: Session, user_id: int, upload_id: str) -> SubmissionRow | None:
    """The latest arrival of this account's upload id (a retry of the same bytes maps onto it)."""
    return session.execute(_LATEST_ARRIVAL, {"origin": web_origin(user_id, upload_id)}).scalar_one_or_none()


def pending_web_uploads(session: Session) -> list[SubmissionRow]:
    """Web arrivals stored but not yet read (the server stopped before reading them)."""
    query = (
        select(SubmissionRow)
        .where(SubmissionRow.channel == WEB_CHANNEL, SubmissionRow.state == PENDING)
        .order_by(SubmissionRow.id)
    )
    return list(session.execute(query).scalars())


@dataclass(frozen=True)
class UploadLine:
    """One web upload as the admin's activity view shows it (admins only: it names the account)."""

    submitted_at: datetime
    username: str | None
    file: str
    sha256: str | None
    state: str
    status: str | None
    mesa: str | None


def recent_uploads(session: Session, limit: int = 100) -> list[UploadLine]:
    query = (
        select(
            SubmissionRow.submitted_at,
            SubmissionRow.submitted_by,
            SubmissionRow.display_path,
            SubmissionRow.blob_sha256,
            SubmissionRow.state,
            ItemRow.status,
            ItemRow.mesa_id,
        )
        .outerjoin(ItemRow, ItemRow.submission_id == SubmissionRow.id)
        .where(SubmissionRow.channel == WEB_CHANNEL)
        .order_by(SubmissionRow.id.desc())
        .limit(limit)
    )
    return [UploadLine(*row) for row in session.execute(query)]


def uploads_per_account(session: Session, since: datetime) -> dict[str, int]:
    """Web arrivals per account name since `since`."""
    query = (
        select(SubmissionRow.submitted_by, func.count())
        .where(SubmissionRow.channel == WEB_CHANNEL, SubmissionRow.submitted_at >= since)
        .group_by(SubmissionRow.submitted_by)
    )
    return {name or "": count for name, count in session.execute(query)}


@dataclass(frozen=True)
class AccountOutcomes:
    """What became of one account's web uploads (admins only): to see a volunteer whose uploads are mostly junk."""

    username: str
    uploads: int
    accepted: int
    unusable: int  # unreadable, rejected or invalid
    not_an_acta: int  # set aside by a reviewer as not an acta

    @property
    def junk_share(self) -> float:
        return (self.unusable + self.not_an_acta) / self.uploads if self.uploads else 0.0

    @property
    def mostly_junk(self) -> bool:
        """Enough uploads to judge (5), and more than half of them unusable or not an acta."""
        return self.uploads >= 5 and self.junk_share > 0.5


def outcomes_per_account(session: Session, not_an_acta: str) -> list[AccountOutcomes]:
    """Per account, its web uploads and how many were accepted, unusable or set aside (`not_an_acta` decisions)."""
    dismissed = (
        select(func.count())
        .select_from(DecisionRow)
        .where(DecisionRow.item_id == ItemRow.id, DecisionRow.action == not_an_acta, DecisionRow.undone_at.is_(None))
        .scalar_subquery()
    )
    query = (
        select(
            SubmissionRow.submitted_by,
            func.count(func.distinct(SubmissionRow.id)),
            func.sum(case((ItemRow.status == "accepted", 1), else_=0)),
            func.sum(case((ItemRow.status.in_(("unreadable", "rejected", "invalid")), 1), else_=0)),
            func.sum(dismissed),
        )
        .outerjoin(ItemRow, ItemRow.submission_id == SubmissionRow.id)
        .where(SubmissionRow.channel == WEB_CHANNEL)
        .group_by(SubmissionRow.submitted_by)
    )
    lines = [
        AccountOutcomes(name or "", int(total), int(ok or 0), int(bad or 0), int(junk or 0))
        for name, total, ok, bad, junk in session.execute(query)
    ]
    return sorted(lines, key=lambda line: (-line.junk_share, line.username))


def is_known_device(session: Session, username: str, device_sha256: str) -> bool:
    """Whether this browser logged in to this account before."""
    query = (
        select(KnownDeviceRow.user_id)
        .join(UserRow, UserRow.id == KnownDeviceRow.user_id)
        .where(UserRow.username == username, KnownDeviceRow.device_sha256 == device_sha256)
    )
    return session.execute(query.limit(1)).first() is not None


def remember_device(session: Session, user_id: int, device_sha256: str) -> None:
    row = session.get(KnownDeviceRow, (user_id, device_sha256))
    if row is None:
        session.add(KnownDeviceRow(user_id=user_id, device_sha256=device_sha256, last_login_at=now()))
    else:
        row.last_login_at = now()
    session.flush()


@dataclass(frozen=True)
class OriginalFetch:
    """One fetch of an original file: who, when, which (admins only)."""

    username: str
    sha256: str
    at: datetime


def record_original_fetch(session: Session, *, user_id: int, sha256: str) -> None:
    session.add(OriginalFetchRow(blob_sha256=sha256, user_id=user_id, fetched_at=now()))
    session.flush()


def original_fetches(session: Session, limit: int = 100) -> list[OriginalFetch]:
    """The latest fetches of originals, newest first."""
    query = (
        select(UserRow.username, OriginalFetchRow.blob_sha256, OriginalFetchRow.fetched_at)
        .join(UserRow, UserRow.id == OriginalFetchRow.user_id)
        .order_by(OriginalFetchRow.id.desc())
        .limit(limit)
    )
    return [OriginalFetch(name, sha, aware(at)) for name, sha, at in session.execute(query)]


#: What an admin can do to an account, as recorded (``admin_`` + one of these is the row's action).
BLOCK, UNBLOCK, RATE_LIMIT, REVOKE = "block", "unblock", "rate_limit", "revoke"
#: An admin put back in the queue a sheet a reviewer had set aside as not an acta (detail: the item id).
UNDO_NOT_AN_ACTA = "undo_not_an_acta"
#: An admin re-checked a reviewer benched by their accuracy on known sheets and lets them count again
#: (`testigo.web.measure`); changed how reviewers are measured (detail: the new settings; on the admin's account).
REINSTATE, MEASURE_SETTINGS = "reinstate", "measure_settings"
_ADMIN_PREFIX = "admin_"


@dataclass(frozen=True)
class AdminAction:
    """One admin action on an account: who took it, when, on whom, and what (admins only)."""

    action: str
    admin: str
    username: str
    detail: str | None
    at: datetime


def record_admin_action(session: Session, *, admin_id: int, action: str, user_id: int, detail: str | None) -> None:
    """Record that admin `admin_id` took `action` on account `user_id`, now.

    Kept in the decisions table, which already records who decided what and
    when (here `reviewers` names the account acted upon), so that blocking,
    limiting or revoking an account is as accountable as a review decision
    without a schema change. Not in the public log: it names accounts.
    """
    session.add(
        DecisionRow(
            action=_ADMIN_PREFIX + action,
            reviewer_id=admin_id,
            reviewers=json.dumps([user_id]),
            reason=detail,
            created_at=now(),
        )
    )
    session.flush()


def admin_actions(session: Session, limit: int = 100) -> list[AdminAction]:
    """The latest admin actions, newest first."""
    admin = aliased(UserRow)
    query = (
        select(DecisionRow.action, admin.username, DecisionRow.reviewers, DecisionRow.reason, DecisionRow.created_at)
        .join(admin, admin.id == DecisionRow.reviewer_id)
        .where(DecisionRow.action.startswith(_ADMIN_PREFIX))
        .order_by(DecisionRow.id.desc())
        .limit(limit)
    )
    rows = session.execute(query).all()
    ids = {json.loads(row.reviewers)[0] for row in rows}
    names = dict(session.execute(select(UserRow.id, UserRow.username).where(UserRow.id.in_(ids))).tuples().all())
    return [
        AdminAction(
            row.action.removeprefix(_ADMIN_PREFIX),
            row.username,
            names.get(json.loads(row.reviewers)[0], "?"),
            row.reason,
            aware(row.created_at),
        )
        for row in rows
    ]


def last_action_on(session: Session, action: str) -> dict[int, datetime]:
    """Per account acted upon, when an admin last took `action` on it."""
    query = select(DecisionRow.reviewers, DecisionRow.created_at).where(DecisionRow.action == _ADMIN_PREFIX + action)
    latest: dict[int, datetime] = {}
    for reviewers, at in session.execute(query):
        user_id, moment = json.loads(reviewers)[0], aware(at)
        latest[user_id] = max(moment, latest.get(user_id, moment))
    return latest


def aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were written in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=now().tzinfo)
