"""A run killed with SIGKILL mid-ingest leaves no corrupt state; a re-run finishes exactly once."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from testigo.simulate import simulate


def _items_done(database: Path) -> int:
    if not database.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5) as conn:
            return conn.execute("select count(*) from items").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


@pytest.mark.slow
def test_kill_9_then_rerun_completes_exactly_once(tmp_path: Path) -> None:
    images = tmp_path / "sim"
    simulate(images, 16, seed=5, quality="scan", workers=2)
    truth = json.loads((images / "truth.json").read_text(encoding="utf-8"))
    expected = {e["acta_id"]: e["counts"] for e in truth["files"] if e["kind"] == "acta"}
    workspace = tmp_path / "ws"
    command = [sys.executable, "-m", "testigo", "ingest", str(images / "actas"), "--workspace", str(workspace)]
    command.append("--json")
    victim = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    database = workspace / "testigo.sqlite"
    deadline = time.monotonic() + 120
    while _items_done(database) < 3 and time.monotonic() < deadline and victim.poll() is None:
        time.sleep(0.05)
    os.killpg(victim.pid, signal.SIGKILL)
    victim.wait()
    partial = _items_done(database)
    assert 0 < partial < len(expected), "the kill should land mid-run"

    rerun = subprocess.run(command, capture_output=True, text=True, check=True)
    report = json.loads(rerun.stdout)
    assert report["summary"]["accepted"] == len(expected)
    assert sum(f["from_earlier_run"] for f in report["files"]) == partial

    with sqlite3.connect(database) as conn:
        assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
        per_submission = conn.execute("select submission_id, count(*) from items group by submission_id").fetchall()
        assert len(per_submission) == len(expected) and all(n == 1 for _, n in per_submission)
        assert conn.execute("select count(*) from submissions where state != 'done'").fetchone()[0] == 0
        records = dict(conn.execute("select acta_id, counts from records where status = 'accepted'").fetchall())
    assert {k: [int(v) for v in c.split(",")] for k, c in records.items()} == expected
