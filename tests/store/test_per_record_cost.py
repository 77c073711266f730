"""Every query that import and ingest run per record reaches its rows through an index.

A per-record query that scans a table of records, items, submissions or
log rows makes import and ingest quadratic: the Russian 2011 table (95,000
stations) did not finish importing in 11 minutes while the center total of
each row read every accepted record. Timing that here would be slow and
flaky; the plans say it at once. Each test imports a few rows and settles one
decoded file, lists every statement they issued, and asks the database how
it would run each one: SQLite with and without statistics (a workspace only
gathers them when opened), PostgreSQL with sequential scans priced out (so a
plan that still scans has no index to use). The timings themselves live in
benchmarks/import_cost.py.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from testigo.capture import Incoming
from testigo.domain import Status
from testigo.pipeline.decode import Decoded
from testigo.pipeline.importer import import_table
from testigo.pipeline.ingest import register_incoming, settle_decoded
from testigo.pipeline.reconcile import settle_payload
from testigo.read import FileReading
from testigo.read.decode import PageReading
from testigo.store import records, reviews
from testigo.store.db import MIGRATIONS_DIR, make_engine, upgrade
from testigo.store.schema import RecordRow, SubmissionRow
from testigo.store.workspace import Store, init_workspace, open_workspace
from tests.conftest import payload_for

#: Tables that grow with the records stored; areas and mesas are the registry, which does not.
GROWING = ("records", "items", "submissions", "log_entries", "log_nodes", "printed", "blobs", "review_decisions")
HEADER = (
    "COD_EDO,EDO,COD_MUN,MUN,COD_PAR,PAR,CENTRO,MESA,RE,VOTOS_VALIDOS,VOTOS_NULOS,"
    "EG,NM,LM,JABE,JOBR,AE,CF,DC,EM,BERA,URL"
)


def _table(store: Store, path: Path) -> Path:
    """A results table of the 2024 layout: the first mesas of three centers, two mesas each."""
    by_center: dict[str, list[str]] = {}
    for mesa in sorted(store.registry.mesas.values(), key=lambda m: m.id):
        if (mesa.registered or 0) >= 300:
            by_center.setdefault(mesa.center_id, []).append(mesa.id)
    lines = [HEADER]
    for center, mesas in [(c, m) for c, m in by_center.items() if len(m) >= 2][:3]:
        for mesa_id in mesas[:2]:
            number = int(mesa_id.rsplit(".", 1)[1])
            lines.append(f"1,E,1,M,1,P,{int(center)},{number},300,109,2,60,40,1,1,1,1,1,1,1,2,u")
    path.write_text("\n".join(lines) + "\n")
    return path


def _statements(store: Store, tmp_path: Path) -> dict[str, Any]:
    """Every statement a small import and the settling of one decoded file issue, with one set of parameters."""
    seen: dict[str, Any] = {}

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, many: bool) -> None:
        if many and isinstance(parameters, list | tuple):
            parameters = parameters[0]
        seen.setdefault(statement, parameters)

    event.listen(store.engine, "before_cursor_execute", capture)
    try:
        report = import_table(store, _table(store, tmp_path / "table.csv"), "citizen")
        assert report.to_json()["summary"]["accepted"] == 6
        mesa = sorted(store.registry.mesas)[-1]
        payload = payload_for(mesa)
        with store.sessions() as session:
            incoming = Incoming(origin="file:/sheet.jpg", display="sheet.jpg", data=b"jpeg " + payload.encode())
            sid, _ = register_incoming(store, session, incoming, "cli", None)
            session.commit()
            row = session.get(SubmissionRow, sid)
            assert row is not None and row.blob_sha256 is not None
            reading = FileReading("image/jpeg", (PageReading(0, (payload,)),))
            settle_decoded(store, session, row, Decoded(row.blob_sha256, reading))
            session.commit()
    finally:
        event.remove(store.engine, "before_cursor_execute", capture)
    return {s: p for s, p in seen.items() if s.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE"))}


def _sqlite_scans(engine: Engine, statements: dict[str, Any]) -> list[str]:
    scans = []
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for statement, parameters in statements.items():
            for *_, detail in cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters).fetchall():
                if _reads_a_growing_share(detail, statement):
                    scans.append(f"{detail}: {' '.join(statement.split())[:160]}")
    finally:
        raw.close()
    return scans


def _reads_a_growing_share(detail: str, statement: str) -> bool:
    """Whether a line of SQLite's plan reads a share of a growing table rather than a few rows.

    A SCAN reads it all. A SEARCH constrained only by a status column (or the
    contest, the same for every record of a one-contest workspace) reads
    every row with that status: that is how the center total once read every
    accepted record (``SEARCH records USING INDEX ix_records_status (status=?)``).
    The one exception is the log's size, max(idx) of a level, which SQLite
    answers from the last entry of the primary key.
    """
    scan = re.match(r"SCAN (\w+)", detail)
    if scan:
        return scan.group(1) in GROWING
    search = re.match(r"SEARCH (\w+) USING .*?\((.*)\)$", detail)
    if not search or search.group(1) not in GROWING:
        return False
    columns = {term.split("=")[0].split(">")[0].split("<")[0].strip() for term in search.group(2).split(" AND ")}
    if columns == {"level"} and "max(log_nodes.idx)" in statement:
        return False
    return columns <= {"status", "state", "level", "outcome", "kind", "channel", "contest"}


@pytest.fixture(scope="module")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh ve2024 workspace, made once: loading the registry is most of a test's time."""
    root = tmp_path_factory.mktemp("template") / "ws"
    init_workspace(str(root), "ve2024").close()
    return root


@pytest.fixture
def sqlite_store(_sqlite_template: Path, tmp_path: Path) -> Iterator[Store]:
    shutil.copytree(_sqlite_template, tmp_path / "ws")
    opened = open_workspace(str(tmp_path / "ws"))
    yield opened
    opened.close()


@pytest.mark.parametrize("statistics", [False, True])
def test_sqlite_runs_no_per_record_statement_as_a_scan(
    sqlite_store: Store, tmp_path: Path, statistics: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # without statistics: as a web server or a long ingest that opened the workspace when it was empty sees it
    with sqlite_store.engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE" if statistics else "DELETE FROM sqlite_stat1")
    sqlite_store.engine.dispose()  # a fresh connection reads the statistics (or their absence)
    statements = _statements(sqlite_store, tmp_path)
    assert any("center_id" in s and "sum(" in s for s in statements), "the center total was not run"
    assert _sqlite_scans(sqlite_store.engine, statements) == []


def test_postgresql_has_an_index_for_every_per_record_statement(new_postgres_database: Any, tmp_path: Path) -> None:
    store = init_workspace(str(tmp_path / "ws"), "ve2024", new_postgres_database())
    try:
        statements = _statements(store, tmp_path)
        scans = []
        raw = store.engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute("SET enable_seqscan = off")  # a plan that still scans a table has no index for it
            for statement, parameters in statements.items():
                cursor.execute("EXPLAIN " + statement, parameters)
                for (line,) in cursor.fetchall():
                    found = re.search(r"Seq Scan on (\w+)", line)
                    if found and found.group(1) in GROWING:
                        scans.append(f"{line.strip()}: {' '.join(statement.split())[:160]}")
            raw.rollback()
        finally:
            raw.close()
        assert scans == []
    finally:
        store.close()


def test_new_records_carry_their_center_and_the_ceiling_counts_the_centers_other_mesas(sqlite_store: Store) -> None:
    store = sqlite_store
    center = next(c for c, n in _sizes(store).items() if n >= 2)
    first, second = sorted(m.id for m in store.registry.mesas.values() if m.center_id == center)[:2]
    with store.sessions.begin() as session:
        outcome = settle_payload(session, store.profile, store.registry, payload_for(first), source="image")
        assert outcome.status == Status.ACCEPTED
        row = session.get(RecordRow, outcome.record_id)
        assert row is not None and row.center_id == center
        assert records.center_votes_elsewhere(session, center, second) == 301  # 100 + 200 valid, 1 null
        assert records.center_votes_elsewhere(session, center, first) == 0
        assert [r.mesa_id for r in reviews.accepted_of_center(session, center)] == [first]  # a center's page


def _sizes(store: Store) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for mesa in store.registry.mesas.values():
        sizes[mesa.center_id] = sizes.get(mesa.center_id, 0) + 1
    return sizes


def _migrate(engine: Engine, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_migration_0008_gives_an_older_workspace_the_center_index(
    tmp_path: Path, dialect: str, request: pytest.FixtureRequest
) -> None:
    """A workspace made before 0008 upgrades in place: the records get their centers and the index."""
    if dialect == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    else:
        url = request.getfixturevalue("new_postgres_database")()
    engine = make_engine(url)
    _migrate(engine, "0007")
    now = "2024-07-28 20:00:00"
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO areas (id, level, name) VALUES ('c1', 'center', 'C1'), ('c2', 'center', 'C2')")
        )
        connection.execute(
            text(
                "INSERT INTO mesas (id, center_id, number) "
                "VALUES ('c1.01', 'c1', 1), ('c1.02', 'c1', 2), ('c2.01', 'c2', 1)"
            )
        )
        for number, (mesa, status) in enumerate([("c1.01", "accepted"), ("c1.02", "accepted"), ("c2.01", "conflict")]):
            connection.execute(
                text(
                    "INSERT INTO records (profile, mesa_id, acta_id, payload, payload_sha256, counts, null_votes, "
                    "valid_votes, extra, flags, status, source, created_at) VALUES ('ve2024', :mesa, :mesa, 'p', "
                    ":sha, '1', 1, :valid, '{}', '[]', :status, 'image', :now)"
                ),
                {"mesa": mesa, "sha": str(number), "valid": 10 * (number + 1), "status": status, "now": now},
            )
    upgrade(engine)
    indexes = {index["name"]: index["column_names"] for index in inspect(engine).get_indexes("records")}
    assert indexes["ix_records_center_status"] == ["center_id", "status"]
    with engine.connect() as connection:
        centers = connection.execute(text("SELECT mesa_id, center_id FROM records ORDER BY mesa_id")).all()
        assert [tuple(row) for row in centers] == [("c1.01", "c1"), ("c1.02", "c1"), ("c2.01", "c2")]
        if dialect == "sqlite":
            query = "SELECT sum(valid_votes) FROM records WHERE center_id = 'c1' AND status = 'accepted'"
            plan = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + query).all()
            assert "ix_records_center_status" in plan[-1][-1]

    with Session(engine) as session:
        assert records.center_votes_elsewhere(session, "c1", "c1.02") == 11
    engine.dispose()


def test_a_generic_import_gives_its_new_stations_records_their_region(tmp_path: Path) -> None:
    """A generic workspace's registry grows inside the import's own transaction: the records still get centers."""
    from tests.analysis.test_generic import MAP, _write

    store = init_workspace(str(tmp_path / "ws"), "generic")
    try:
        table = tmp_path / "t.csv"
        rows = [
            ["Область 0", "Район 0", "ТИК 0", str(1000 + i), "900", "100", "50", "10", "2", "162"] for i in range(3)
        ]
        _write(table, rows)
        assert import_table(store, table, "citizen", MAP).to_json()["summary"]["accepted"] == 3
        with store.sessions() as session:
            stored = session.execute(text("SELECT mesa_id, center_id FROM records")).all()
        assert len(stored) == 3
        assert all(center == store.registry.mesas[mesa].center_id for mesa, center in stored)
    finally:
        store.close()
