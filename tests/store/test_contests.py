"""Contests in the store: migration 0010 upgrades a workspace in place (its records become the one contest
``""``), and one record may be accepted per mesa *and contest*."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from tests.store.test_known_sheets import _migrate, empty_engine

_RECORD = (
    "INSERT INTO records (profile, mesa_id, acta_id, payload, payload_sha256, counts, null_votes, valid_votes,"
    " extra, flags, status, source, created_at{column}) VALUES ('br', 'SP-1-1-1', 'SP-1-1-1', :payload, :sha, '1',"
    " 0, 1, '{{}}', '[]', 'accepted', 'image', '2026-12-03'{value})"
)


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_migration_0010_keeps_old_records_in_the_one_contest_and_accepts_one_per_contest(
    tmp_path: Path, dialect: str, request: pytest.FixtureRequest
) -> None:
    engine = empty_engine(tmp_path, dialect, request)
    _migrate(engine, "0009")
    with engine.begin() as connection:
        connection.execute(text(_RECORD.format(column="", value="")), {"payload": "old", "sha": "a" * 64})
    _migrate(engine, "0010")
    assert "waiting_codes" in inspect(engine).get_table_names()
    with engine.begin() as connection:
        assert connection.execute(text("SELECT contest FROM records")).scalar_one() == ""
        insert = text(_RECORD.format(column=", contest", value=", :contest"))
        connection.execute(insert, {"payload": "president", "sha": "b" * 64, "contest": "1:1:1:1:BR"})
        connection.execute(insert, {"payload": "governor", "sha": "c" * 64, "contest": "1:1:1:3:SP"})
    with pytest.raises(IntegrityError), engine.begin() as connection:  # a second accepted one of a contest
        connection.execute(insert, {"payload": "again", "sha": "d" * 64, "contest": "1:1:1:1:BR"})
    # back to one contest per mesa: refused while a mesa has several accepted, done once it has one
    with pytest.raises(IntegrityError):
        _migrate(engine, "0009", down=True)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM records WHERE contest <> ''"))
    _migrate(engine, "0009", down=True)
    assert "contest" not in {c["name"] for c in inspect(engine).get_columns("records")}
    assert "waiting_codes" not in inspect(engine).get_table_names()
    engine.dispose()
