"""The migrations build exactly the schema the models declare, and the newest ones go back and forth."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from testigo.store.db import upgrade
from testigo.store.schema import Base
from tests.store.test_known_sheets import _migrate, empty_engine


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_the_migrations_build_the_schema_the_models_declare(
    tmp_path: Path, dialect: str, request: pytest.FixtureRequest
) -> None:
    """A table, column or index added to a model without its migration (or the reverse) fails here."""
    engine = empty_engine(tmp_path, dialect, request)
    upgrade(engine)
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    _migrate(engine, "0010", down=True)
    assert "unverified_boletins" not in inspect(engine).get_table_names()
    assert "ix_records_contest_status_center" not in {i["name"] for i in inspect(engine).get_indexes("records")}
    _migrate(engine, "head")
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    engine.dispose()
