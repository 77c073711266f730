"""Known sheets in the store: migration 0009 upgrades a workspace in place, which sheets count as known, and the
bound that judges a reviewer."""

from __future__ import annotations

import math
from pathlib import Path

import numpy
import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, inspect, text

from testigo.capture import Incoming
from testigo.pipeline.ingest import ingest_files
from testigo.store import known, reviews
from testigo.store.db import MIGRATIONS_DIR, make_engine
from testigo.store.workspace import Store
from testigo.web.measure import wilson_upper
from tests.conftest import small_mesas
from tests.web.conftest import acta_png, add_account, blank_png


def _migrate(engine: Engine, revision: str, *, down: bool = False) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


def empty_engine(tmp_path: Path, dialect: str, request: pytest.FixtureRequest) -> Engine:
    """An engine on a new, empty database of `dialect` (a file for SQLite, a fresh PostgreSQL database)."""
    if dialect == "sqlite":
        return make_engine(f"sqlite:///{tmp_path / 'old.sqlite'}")
    return make_engine(request.getfixturevalue("new_postgres_database")())


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_migration_0009_adds_known_entries_and_goes_back(
    tmp_path: Path, dialect: str, request: pytest.FixtureRequest
) -> None:
    engine = empty_engine(tmp_path, dialect, request)
    _migrate(engine, "0008")
    assert "known_entries" not in inspect(engine).get_table_names()
    _migrate(engine, "0009")
    columns = {c["name"] for c in inspect(engine).get_columns("known_entries")}
    assert {
        "reviewer_id",
        "item_id",
        "record_id",
        "assigned_at",
        "entered_at",
        "set_aside_at",
        "figures_right",
    } <= columns
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM known_entries")).scalar_one() == 0
    _migrate(engine, "0008", down=True)
    assert "known_entries" not in inspect(engine).get_table_names()
    engine.dispose()


def test_a_known_sheet_is_a_qr_read_one_never_handed_twice_to_one_reviewer(store: Store) -> None:
    mesas = small_mesas(3)
    ingest_files(
        store, [Incoming("t:a", "a.png", acta_png(mesas[0])), Incoming("t:u", "u.png", blank_png())], workers=1
    )
    ana, bea = add_account(store, "ana", "reviewer"), add_account(store, "bea", "reviewer")
    with store.sessions.begin() as session:
        found = known.pick(session, ana.id, seed=7)
        assert found is not None
        item, record = found
        unreadable = [line.item_id for line in reviews.unreadable_queue(session, ana.id).items]
        assert item not in unreadable  # a QR-read sheet, not an unreadable one
        known.hand_out(session, ana.id, item, record)
        assert known.pick(session, ana.id, seed=7) is None  # the only one, handed already
        assert known.pick(session, bea.id, seed=7) == (item, record)  # another reviewer may get it
        listed = reviews.unreadable_queue(session, ana.id).items
        assert [line.item_id for line in listed] == sorted([*unreadable, item])
        assert [line.item_id for line in reviews.unreadable_queue(session, bea.id).items] == unreadable


@pytest.mark.parametrize(
    ("right", "total"), [(200, 200), (199, 200), (193, 200), (192, 200), (180, 200), (9, 10), (0, 5)]
)
def test_the_upper_wilson_bound_is_the_textbook_one(right: int, total: int) -> None:
    z = 1.6448536269514722  # the normal distribution's 95% quantile
    p = right / total
    expected = (p + z * z / (2 * total) + z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total))) / (
        1 + z * z / total
    )
    assert wilson_upper(right, total) == pytest.approx(expected, abs=1e-9)


def test_the_bound_forgives_slips_and_not_one_error_in_ten() -> None:
    """200 figures (5 ve2024 sheets): 7 wrong still above 98%, 8 below; one in ten far below."""
    assert wilson_upper(0, 0) == 1.0
    assert wilson_upper(193, 200) > 0.98 > wilson_upper(192, 200)
    assert wilson_upper(180, 200) < 0.935


def test_over_2000_simulated_reviewers_the_rule_benches_the_careless_and_spares_the_honest() -> None:
    """5 ve2024 known sheets (200 figures) each, at the default threshold (98%): a reviewer mistyping 10% of the
    figures is benched (0.9995 expected), one mistyping 0.5% almost never is (0.00001 expected)."""
    rng = numpy.random.default_rng(20240728)

    def benched(error_rate: float) -> float:
        rights = [int(right) for right in rng.binomial(200, 1 - error_rate, 2000)]
        bound = {right: wilson_upper(right, 200) for right in set(rights)}  # at most 201 distinct: computed once
        return sum(bound[right] < 0.98 for right in rights) / len(rights)

    assert benched(0.10) >= 0.995
    assert benched(0.005) <= 0.001
    assert benched(0.0) == 0.0
