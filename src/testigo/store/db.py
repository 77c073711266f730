"""Connecting to the database and bringing its schema up to date.

SQLite is the zero-setup default; it runs in WAL mode so readers (a dashboard,
a tally) never block the ingest writer, with synchronous=FULL so a power cut or
kill -9 after a commit loses nothing. Transactions start with BEGIN IMMEDIATE:
a deferred transaction that read and then tries to write after another process
committed fails at once in WAL mode, whereas an immediate one simply waits its
turn (busy timeout), so a CLI ingest and the web server can write side by side. PostgreSQL works through the same URL
setting and the same Alembic migrations.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar, cast

from alembic import command
from alembic.config import Config
from sqlalchemy import CursorResult, Engine, Result, Table, create_engine, event, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
T = TypeVar("T")


def make_engine(url: str) -> Engine:
    """An engine for `url`, with SQLite tuned for durability and concurrent readers.

    A plain ``postgresql://`` URL uses psycopg 3 (the driver testigo ships with).
    """
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            url = "postgresql+psycopg://" + url[len(plain) :]
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 60})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _begin_immediate)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    dbapi_connection.isolation_level = None  # the driver must not BEGIN on its own: _begin_immediate does
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=60000")
    # 64 MiB of pages per connection, not SQLite's 2 MiB: at a million records the indexes every settled
    # record reads (mesa, center) no longer fit in 2 MiB, and each lookup went back to the file
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


#: Execution option of engines whose SQLite transactions only read (see `reader`).
READ_ONLY = "testigo_read_only"


def _begin_immediate(connection) -> None:  # type: ignore[no-untyped-def]
    """Writers take SQLite's write lock at BEGIN, so two of them queue instead of deadlocking on an upgrade;
    read-only transactions begin deferred and read their WAL snapshot without waiting for any writer."""
    deferred = connection.get_execution_options().get(READ_ONLY, False)
    connection.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")


def upgrade(engine: Engine) -> None:
    """Apply every Alembic migration not yet applied (idempotent)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def reader(engine: Engine) -> sessionmaker[Session]:
    """Sessions for transactions that only read: on SQLite they never wait for the write lock.

    A session of this factory must not write: SQLite would refuse to upgrade
    its read snapshot while another connection writes.
    """
    return sessionmaker(engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False)


#: SQLSTATEs after which the whole transaction may simply be run again.
_TRANSIENT = {"40P01", "40001"}  # deadlock detected, serialization failure
_ATTEMPTS = 5


def run_in_transaction(session: Session, work: Callable[[], T]) -> T:
    """Run `work` and commit; if the database aborted it as a deadlock victim, roll back and run it again.

    PostgreSQL resolves lock cycles between concurrent writers by aborting one
    of them; such a transaction did nothing and is safe to repeat.
    """
    for attempt in range(_ATTEMPTS):
        try:
            result = work()
            session.commit()
            return result
        except OperationalError as error:
            session.rollback()
            if getattr(error.orig, "sqlstate", None) not in _TRANSIENT or attempt == _ATTEMPTS - 1:
                raise
            time.sleep(0.02 * (attempt + 1))
    raise AssertionError("unreachable")


def changed_rows(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE changed.

    `Session.execute` is typed as returning a plain `Result`, which has no
    row count; for a data-changing statement it is a `CursorResult`, which does.
    """
    return cast(CursorResult[Any], result).rowcount


def insert_in_order(session: Session, table: Table, rows: Sequence[Mapping[str, object]]) -> list[int]:
    """Insert `rows` into `table`, whose primary key is the integer `id`, and return their ids in order.

    PostgreSQL numbers them itself, in one batched ``INSERT ... RETURNING``
    whose rows SQLAlchemy sorts back into the order given. On SQLite it
    cannot (no form of the statement ties new rowids to the order of the
    rows), so it falls back to one statement per row: a BU's five contests
    made ten INSERTs (five records, five items), 11.8 statements a BU in
    all, now 1.8. There the ids are given here instead, the next ones after
    the table's largest, and the rows go in one ``executemany``: SQLite's
    write transactions begin IMMEDIATE (`_begin_immediate`), so no other
    writer can take those ids meanwhile, and were one taken all the same,
    the primary key would refuse the row (`IntegrityError`), never
    overwrite it. Nothing is ever deleted from the tables this serves, so
    the ids are those SQLite would have chosen.
    """
    if not rows:
        return []
    if session.get_bind().dialect.name != "sqlite":
        statement = table.insert().returning(table.c.id, sort_by_parameter_order=True)
        return [int(row_id) for row_id in session.execute(statement, list(rows)).scalars()]
    largest = session.execute(select(func.max(table.c.id))).scalar_one()
    first = (largest or 0) + 1
    ids = list(range(first, first + len(rows)))
    session.execute(table.insert(), [{**row, "id": row_id} for row_id, row in zip(ids, rows, strict=True)])
    return ids
