"""Eight processes ingesting overlapping sets into one database end as a serial ingest does."""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import segno
from sqlalchemy import func, select

from testigo.ledger import MerkleLog
from testigo.pipeline.ingest import ingest
from testigo.store.schema import ItemRow, LogEntryRow, RecordRow, SubmissionRow
from testigo.store.workspace import Store, init_workspace
from tests.conftest import payload_for, small_mesas

PROCESSES = 8


def _files(folder: Path) -> list[Path]:
    """24 genuine actas, 8 differing second versions, 4 byte-identical copies."""
    folder.mkdir()
    mesas = small_mesas(24)
    files = []
    for i, mesa in enumerate(mesas):
        files.append(folder / f"acta_{i:02}.png")
        segno.make(payload_for(mesa, maduro=10 + i, gonzalez=50 + i), error="m").save(str(files[-1]), scale=3)
    for i, mesa in enumerate(mesas[:8]):
        files.append(folder / f"other_{i:02}.png")
        segno.make(payload_for(mesa, maduro=90 + i, gonzalez=5), error="m").save(str(files[-1]), scale=3)
    for i in range(4):
        files.append(folder / f"copy_{i:02}.png")
        shutil.copy(files[i], files[-1])
    return files


def _state(store: Store) -> dict[str, object]:
    with store.sessions() as session:
        records = session.execute(select(RecordRow.mesa_id, RecordRow.payload, RecordRow.status)).all()
        per_submission = session.execute(
            select(SubmissionRow.origin, func.count(ItemRow.id)).join(ItemRow).group_by(SubmissionRow.origin)
        ).all()
        bodies = session.execute(select(LogEntryRow.body).order_by(LogEntryRow.seq)).scalars().all()
        items = session.execute(select(func.count()).select_from(ItemRow)).scalar_one()
    log = MerkleLog()
    log.append_many(bodies)
    accepted_per_mesa: dict[str, int] = {}
    for mesa, _, status in records:
        accepted_per_mesa[mesa] = accepted_per_mesa.get(mesa, 0) + (status == "accepted")
    return {
        "records": sorted((mesa, payload) for mesa, payload, _ in records),
        "statuses": sorted(status for _, _, status in records),
        "accepted_per_mesa": set(accepted_per_mesa.values()),
        "submissions": sorted(per_submission),
        "log_entries": len(bodies),
        "items": items,
        "log_root_matches_db": bytes(log.root()) == _db_root(store),
    }


def _db_root(store: Store) -> bytes:
    from testigo.store import ledger as log_table

    with store.sessions() as session:
        return log_table.open_log(session).root()


@pytest.mark.slow
def test_parallel_overlapping_ingests_equal_a_serial_one(
    tmp_path: Path, database_url: str, request: pytest.FixtureRequest
) -> None:
    files = _files(tmp_path / "actas")
    rng = random.Random(4)
    subsets = [rng.sample(files, k=len(files) * 3 // 5) for _ in range(PROCESSES)]
    leftovers = set(files) - {f for s in subsets for f in s}
    subsets[0].extend(sorted(leftovers))

    parallel = init_workspace(str(tmp_path / "parallel"), "ve2024", database_url)
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "testigo",
                "ingest",
                *map(str, subset),
                "--workspace",
                str(tmp_path / "parallel"),
                "--workers",
                "1",
                "--json",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for subset in subsets
    ]
    for worker in workers:
        _, errors = worker.communicate(timeout=300)
        assert worker.returncode == 0, errors

    serial_url = "" if not database_url else request.getfixturevalue("new_postgres_database")()
    serial = init_workspace(str(tmp_path / "serial"), "ve2024", serial_url)
    ingest(serial, [tmp_path / "actas"], workers=1)

    got, expected = _state(parallel), _state(serial)
    assert got == expected
    assert expected["accepted_per_mesa"] == {1}
    assert expected["statuses"].count("conflict") == 8  # type: ignore[union-attr]
    assert expected["log_entries"] == expected["items"] == len(files)
    assert got["log_root_matches_db"]
