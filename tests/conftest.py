"""Shared fixtures: a fresh workspace per test and payload builders from the real registry."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Generator, Iterator
from pathlib import Path

import coverage
import pytest
from sqlalchemy import create_engine, make_url, text

from testigo.profiles import get_profile
from testigo.profiles.ve2024 import acta_id_for
from testigo.store.workspace import Store, init_workspace

POSTGRES_URL = os.environ.get("TESTIGO_TEST_POSTGRES_URL", "")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, object, object]:
    """Run the tests marked slow outside coverage's tracing: setup, call and teardown.

    They are end-to-end runs (images rendered and read, bundles published and verified) through modules
    that each have fast tests of their own, and tracing made them about 1.5 times slower: with them traced
    the suite took 23 minutes on two cores, 21 without. Coverage is the fast tests' measure (92.2% in CI;
    93.9% with the slow ones traced); the floor in pyproject.toml holds it.
    """
    tracer = coverage.Coverage.current() if item.get_closest_marker("slow") else None
    if tracer is None:
        return (yield)
    tracer.stop()
    try:
        return (yield)
    finally:
        tracer.start()


@pytest.fixture
def new_postgres_database() -> Iterator[Callable[[], str]]:
    """Makes fresh, empty PostgreSQL databases on the test server; drops them afterwards.

    The server comes from scripts/postgres.sh (the test command starts it). Run
    by hand without it, these tests skip — unless TESTIGO_REQUIRE_POSTGRES is
    set, as the test command does, so CI can never pass without them.
    """
    if not POSTGRES_URL:
        if os.environ.get("TESTIGO_REQUIRE_POSTGRES"):
            pytest.fail("TESTIGO_TEST_POSTGRES_URL is not set: start the server with scripts/postgres.sh")
        pytest.skip("no PostgreSQL test server (scripts/postgres.sh)")
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    created: list[str] = []

    def create() -> str:
        name = f"testigo_{uuid.uuid4().hex[:12]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        created.append(name)
        return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)

    yield create
    with admin.connect() as conn:
        for name in created:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each database test runs on SQLite (the default) and on a real PostgreSQL server."""
    if request.param == "sqlite":
        return ""
    return request.getfixturevalue("new_postgres_database")()


@pytest.fixture
def store(tmp_path: Path, database_url: str) -> Iterator[Store]:
    opened = init_workspace(str(tmp_path / "ws"), "ve2024", database_url)
    yield opened
    opened.close()


def small_mesas(count: int, *, min_registered: int = 300) -> list[str]:
    """Registry mesas (sorted, one per center) with a known registered figure."""
    registry = get_profile("ve2024").load_registry()
    chosen: list[str] = []
    centers: set[str] = set()
    for mesa in sorted(registry.mesas.values(), key=lambda m: m.id):
        if mesa.registered and mesa.registered >= min_registered and mesa.center_id not in centers:
            chosen.append(mesa.id)
            centers.add(mesa.center_id)
            if len(chosen) == count:
                break
    return chosen


def payload_for(mesa_id: str, *, maduro: int = 100, gonzalez: int = 200, nulls: int = 1) -> str:
    """A well-formed ve2024 payload for `mesa_id` with votes on PSUV (card 1) and MUD (card 36)."""
    counts = [0] * 38
    counts[0], counts[35] = maduro, gonzalez
    return get_profile("ve2024").encode(acta_id_for(mesa_id), counts, nulls)


def phone_jpeg(image_bytes: bytes, *, position: bool = True, serial: str | None = None) -> bytes:
    """`image_bytes` re-saved as a phone's JPEG: EXIF with a GPS position (unless not `position`) and a serial."""
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(image_bytes)).convert("RGB")
    exif = Image.Exif()
    if serial is not None:
        exif[0x010F] = "PhoneMaker"
        exif[0xA431] = serial  # BodySerialNumber
    if position:
        gps = exif.get_ifd(0x8825)
        gps[1], gps[2], gps[3], gps[4] = "N", (10.0, 30.0, 15.0), "W", (66.0, 55.0, 3.0)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95, exif=exif)
    return out.getvalue()
