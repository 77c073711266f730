"""The database schema (SQLAlchemy 2 declarative). Alembic migrations mirror it.

Every table is written so that nothing accepted is ever overwritten:
submissions and items are only inserted (a submission's `state` moves from
pending to done once), records are inserted once per distinct content per mesa,
and the one-accepted-record-per-mesa rule is a unique index the database
enforces, so two concurrent writers can never both accept a mesa.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Meta(Base):
    """Key/value facts about the workspace's data (profile, registry version)."""

    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class AreaRow(Base):
    """A geographic area above the mesa (state, municipality, parish, center)."""

    __tablename__ = "areas"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    level: Mapped[str] = mapped_column(String(16), index=True)
    name: Mapped[str] = mapped_column(Text)
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("areas.id"), index=True)
    registered: Mapped[int | None] = mapped_column(Integer)


class MesaRow(Base):
    """A polling table of the registry."""

    __tablename__ = "mesas"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    center_id: Mapped[str] = mapped_column(ForeignKey("areas.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    registered: Mapped[int | None] = mapped_column(Integer)


class BlobRow(Base):
    """An original file, stored byte for byte in the blob store under its SHA-256."""

    __tablename__ = "blobs"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str | None] = mapped_column(String(64))
    stored_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SubmissionRow(Base):
    """One arrival of a file: who/when/how, and whether its reading is finished.

    `origin` says where it came from (``file:/abs/path``, ``file:/abs/a.zip!entry``,
    ``web:...``); the pair (origin, blob) identifies an arrival so that re-running
    an ingest over the same folder resumes instead of adding new arrivals.
    `blob_sha256` is empty only for inputs refused before their bytes were read
    (an unsafe archive entry).
    """

    __tablename__ = "submissions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    blob_sha256: Mapped[str | None] = mapped_column(ForeignKey("blobs.sha256"), index=True)
    origin: Mapped[str] = mapped_column(Text)
    display_path: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(16))
    submitted_by: Mapped[str | None] = mapped_column(String(128))
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    state: Mapped[str] = mapped_column(String(16), index=True)  # pending | done
    __table_args__ = (UniqueConstraint("origin", "blob_sha256", name="uq_submissions_origin_blob"),)


class ItemRow(Base):
    """The outcome of one page / one code of a submission.

    A single photo gives one item; a PDF gives one per page; a page showing two
    actas gives one per distinct code. `payload` keeps the decoded text even for
    invalid sheets, so a reviewer sees exactly what was read. `sheet_print` is
    the compact aligned bitmap of the sheet above its QR code
    (`testigo.read.sheetprint`, about 2.4 KB), null for imported rows and
    codes whose position was unknown; `duplicates` compares them.
    """

    __tablename__ = "items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    page: Mapped[int] = mapped_column(Integer)
    part: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[str | None] = mapped_column(Text)
    strategy: Mapped[str | None] = mapped_column(String(64))
    mesa_id: Mapped[str | None] = mapped_column(String(64), index=True)
    record_id: Mapped[int | None] = mapped_column(ForeignKey("records.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sheet_print: Mapped[bytes | None] = mapped_column(LargeBinary)
    __table_args__ = (UniqueConstraint("submission_id", "page", "part", name="uq_items_submission_page_part"),)


class PrintedRow(Base):
    """What the print of an item's sheet said (`testigo.domain.printed.PrintedSheet`), one row per item read.

    `figures`, `scores` and `quads` are JSON objects keyed by the layout's
    field names. A sheet whose code was read has its figures compared with
    it (outcome confirmed, partial or mismatch); one without has them read
    alone (certain or uncertain), and an uncertain reading is the machine's
    entry in its transcription.
    """

    __tablename__ = "printed"
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), primary_key=True)
    layout: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16), index=True)
    detail: Mapped[str] = mapped_column(Text)
    figures: Mapped[str] = mapped_column(Text)
    scores: Mapped[str] = mapped_column(Text)
    quads: Mapped[str] = mapped_column(Text)
    model: Mapped[str] = mapped_column(String(64))
    differing: Mapped[str] = mapped_column(Text)  # JSON list of field names


class RecordRow(Base):
    """One distinct, valid sheet content for a mesa.

    Identical content arriving again links to the same row (a duplicate); a
    different valid content for a mesa that already has an accepted one is
    inserted with status ``conflict`` and waits for review.

    `center_id` repeats the center of the mesa (a mesa never changes center):
    every settled sheet totals the accepted votes of its center
    (`testigo.store.records.center_votes_elsewhere`), and with the center on
    the row that is one range of the index on (center, status), whatever the
    planner knows about the tables. Through a join with `mesas`, SQLite
    without fresh statistics drove the query from the index on status and
    read every accepted record for every sheet: import and ingest grew
    quadratically (migration 0008 fills it in for older workspaces). It is
    null only for a record of a mesa missing from the registry, which no
    profile accepts.

    `contest` is the contest of the sheet the record holds (``""`` for a
    one-contest format): a sheet that carries several contests gives one
    record per contest, whose payload names its contest, and one record may
    be accepted per mesa and contest, so reconciliation is per contest
    (migration 0010). One record per mesa and content stays unique as it was.
    Its index leads with the contest and ends with the center (migration
    0012): a contest's tally reads its own accepted records only (before it,
    the President's national tally over 2.5 million records of five contests
    took 17 s, reading them all), and the per-record center total finds three
    equalities in it, never a range of one contest's accepted records, which
    for a one-contest workspace is every accepted record (see `center_id`).
    """

    __tablename__ = "records"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    profile: Mapped[str] = mapped_column(String(32))
    mesa_id: Mapped[str] = mapped_column(String(64), index=True)
    center_id: Mapped[str | None] = mapped_column(String(64))
    acta_id: Mapped[str] = mapped_column(String(64))
    contest: Mapped[str] = mapped_column(String(64), server_default="")
    payload: Mapped[str] = mapped_column(Text)
    payload_sha256: Mapped[str] = mapped_column(String(64))
    counts: Mapped[str] = mapped_column(Text)  # comma-separated per-card counts, ballot order
    null_votes: Mapped[int] = mapped_column(Integer)
    valid_votes: Mapped[int] = mapped_column(Integer)
    extra: Mapped[str] = mapped_column(Text)  # JSON
    flags: Mapped[str] = mapped_column(Text)  # JSON list of strings
    status: Mapped[str] = mapped_column(String(16), index=True)  # accepted | conflict
    source: Mapped[str] = mapped_column(String(16))  # image | print | manual | manual_print | import
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    __table_args__ = (
        UniqueConstraint("mesa_id", "payload_sha256", name="uq_records_mesa_payload"),
        Index(
            "uq_records_one_accepted_per_mesa_contest",
            "mesa_id",
            "contest",
            unique=True,
            sqlite_where=text("status = 'accepted'"),
            postgresql_where=text("status = 'accepted'"),
        ),
        Index("ix_records_center_status", "center_id", "status"),
        Index("ix_records_contest_status_center", "contest", "status", "center_id"),
    )


class WaitingCodeRow(Base):
    """A code of a sheet printed over several (a Brazilian BU's parts) whose sheet is not complete yet.

    Kept in arrival order until the sheet completes, in this upload or any
    later one (`testigo.pipeline.bu_ingest`); then its codes leave the table
    (the items that read them stay, with their outcomes). Only codes waiting
    are replayed for each upload, not every code ever read, so the cost of
    an upload does not grow with the BUs already counted.
    """

    __tablename__ = "waiting_codes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class UnverifiedBoletimRow(Base):
    """A BU counted while the TSE key that signs it was missing: its parts, kept to verify it once the key is added.

    Its records are flagged "signature not verified" (`testigo.pipeline.bu_ingest`);
    `testigo keys add` judges it again with the key (`testigo.pipeline.bu_keys`):
    verified, the flag goes and the row with it; a signature the key refuses
    takes its records out of the tally. Only BUs whose key is missing wait
    here: a format 6.0 BU, signed by its urna, cannot be verified by adding
    a TSE key.
    """

    __tablename__ = "unverified_boletins"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)  # of `parts`: a BU waits once
    key_name: Mapped[str] = mapped_column(String(128), index=True)
    parts: Mapped[str] = mapped_column(Text)  # the BU's codes, one per line, in part order
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LogEntryRow(Base):
    """One entry of the tamper-evident log: leaf `seq` of the Merkle tree.

    `body` is the exact byte string that was hashed (canonical JSON, UTF-8);
    `item_id` links an entry that records an item outcome back to it.
    """

    __tablename__ = "log_entries"
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(16))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LogNodeRow(Base):
    """The hash of a perfect subtree of the log, written once when it completes.

    The primary key makes the log append-only at the database level: a second
    writer trying to add the same node (a fork of the log) fails.
    """

    __tablename__ = "log_nodes"
    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class CheckpointRow(Base):
    """A signed checkpoint (C2SP signed note) of the log at some size."""

    __tablename__ = "log_checkpoints"
    size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root_hash: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class UserRow(Base):
    """An account of the web application: a volunteer, a reviewer or an admin.

    Accounts are never deleted, since uploads and review decisions refer to
    them. Revoking sets `revoked_at`, which refuses every session and API token
    of the account at once; `blocked` only stops it from uploading and acting
    (an abusive volunteer), and `uploads_per_hour` overrides the default upload
    rate limit for this one account (a coordinator sending a whole state).
    """

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))  # admin | reviewer | volunteer
    password_hash: Mapped[str] = mapped_column(Text)
    invited_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    uploads_per_hour: Mapped[int | None] = mapped_column(Integer)


class InvitationRow(Base):
    """A single-use invitation to create an account with a given role.

    Only the SHA-256 of the invitation token is stored, so a copy of the
    database does not let anyone create accounts. `created_by` is empty for
    invitations made on the command line (how the first admin is created).
    """

    __tablename__ = "invitations"
    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    used_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AuthTokenRow(Base):
    """A login session (browser cookie) or an API token of an account.

    Stored server-side, by the SHA-256 of the secret the client holds, so that
    logging out, revoking a token or revoking the account takes effect on the
    very next request.
    """

    __tablename__ = "auth_tokens"
    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # session | api
    label: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ManualEntryRow(Base):
    """One reviewer's typing of an unreadable sheet: the mesa, the per-card counts and the null votes.

    A sheet is settled when two different reviewers typed exactly the same
    thing (the unique constraint keeps one entry per reviewer and sheet, so one
    person can never supply both). Its author may correct an entry while it is
    the only one, or while the entries disagree (`testigo.web.decisions`): the
    row is then rewritten and `revised_at` says when.
    """

    __tablename__ = "manual_entries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    mesa_id: Mapped[str] = mapped_column(String(64))
    counts: Mapped[str] = mapped_column(Text)  # comma-separated per-card counts, ballot order
    null_votes: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revised_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    __table_args__ = (UniqueConstraint("item_id", "reviewer_id", name="uq_manual_entries_item_reviewer"),)


class DecisionRow(Base):
    """A reviewer's decision: who, when, why, on what — and its entry in the tamper-evident log.

    `action` is ``resolve_conflict`` (`record_id` becomes the accepted record
    of the mesa, `replaced_record_id` was accepted before), ``manual_entry``
    (two matching entries for unreadable item `item_id` produced `record_id`
    with `outcome`; `reviewers` lists every agreeing reviewer as JSON — the
    machine's reading of the print, when it was one of the two, is no account:
    the record's source ``manual_print`` and the log entry say so),
    ``resolve_mismatch`` (a reviewer's finding on mismatched item `item_id`:
    misread, and its code made `record_id` with `outcome`; or altered,
    `outcome` ``mismatch`` and no record) or ``flag_reviewed`` (a reviewer
    looked at the flags of accepted `record_id`).
    An admin's action on an account is recorded here too, as ``admin_block``,
    ``admin_unblock``, ``admin_rate_limit``, ``admin_revoke``,
    ``admin_reinstate`` (a reviewer benched by their accuracy on known sheets
    counts again) or ``admin_measure_settings``: `reviewer_id` is the admin,
    `reviewers` holds the account acted upon, `reason` the new limit or
    settings (see `testigo.store.users.record_admin_action`).
    ``confirm_known``: an admin confirmed the figures of hand-typed `item_id`
    (`record_id`), so it may measure reviewers as a known sheet. ``not_an_acta``
    takes unreadable `item_id` out of the queue (junk: a selfie, a blank
    page); an admin may undo it (`undone_at`, `undone_by`), and it changes no
    figure, so it is not in the public log.
    """

    __tablename__ = "review_decisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    action: Mapped[str] = mapped_column(String(32))
    mesa_id: Mapped[str | None] = mapped_column(String(64), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"), index=True)
    record_id: Mapped[int | None] = mapped_column(ForeignKey("records.id"), index=True)
    replaced_record_id: Mapped[int | None] = mapped_column(ForeignKey("records.id"))
    outcome: Mapped[str | None] = mapped_column(String(16))
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reviewers: Mapped[str] = mapped_column(Text)  # JSON list of user ids
    reason: Mapped[str | None] = mapped_column(Text)
    log_seq: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    undone_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    undone_by: Mapped[int | None] = mapped_column(Integer)


class KnownDeviceRow(Base):
    """A browser that logged in to an account before (by the SHA-256 of its random visitor cookie).

    Failed logins from a known device are throttled on their own, so an
    attacker guessing an account's password from elsewhere cannot lock its
    holder out (`testigo.web.routes.account`). The cookie is random and names
    no account; only the server can link it to one.
    """

    __tablename__ = "known_devices"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    device_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_login_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class OriginalFetchRow(Base):
    """One fetch of an original file (its exact bytes, with whatever GPS position and phone serial they hold).

    Originals go to admins only, and every fetch is recorded — who, when,
    which — and shown to admins, so that collecting witnesses' locations
    leaves a trace an admin can see.
    """

    __tablename__ = "original_fetches"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    blob_sha256: Mapped[str] = mapped_column(String(64), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    fetched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class KnownEntryRow(Base):
    """One reviewer's typing of a known sheet: a sheet whose figures are known, mixed into their queue to measure
    them (`testigo.web.measure`).

    The row is made when the sheet is handed to the reviewer (`assigned_at`)
    and completed when they type it (`entered_at`, what they typed, and how
    many of its figures match `record_id`, the accepted record that makes the
    sheet known) or set it aside as not an acta (`set_aside_at`). It is kept
    apart from `ManualEntryRow` on purpose: an entry of a known sheet never
    settles a sheet, makes a record or reaches the log.
    """

    __tablename__ = "known_entries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"))
    assigned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    entered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    set_aside_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    mesa_id: Mapped[str | None] = mapped_column(String(64))
    counts: Mapped[str | None] = mapped_column(Text)  # comma-separated, as typed
    null_votes: Mapped[int | None] = mapped_column(Integer)
    figures: Mapped[int | None] = mapped_column(Integer)  # figures typed: the mesa, each card, the null votes
    figures_right: Mapped[int | None] = mapped_column(Integer)  # of which match the known record
    __table_args__ = (UniqueConstraint("item_id", "reviewer_id", name="uq_known_entries_item_reviewer"),)
