"""What the published log says: neutral file names and coarse times (format 2); older entries still verify."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from testigo.ledger import entries as entry_format
from testigo.ledger.entries import canonical, coarse_time, neutral_name, published_time, utc_timestamp
from testigo.pipeline import logbook
from testigo.pipeline.ingest import ingest
from testigo.publish import publish
from testigo.store import ledger as log_table
from testigo.store.schema import SubmissionRow
from testigo.store.workspace import init_workspace
from testigo.verify import verify_bundle
from tests.conftest import payload_for, small_mesas
from tests.web.conftest import qr_png

REAL_NAME = "IMG-20240728-WA0012.jpg"


def test_times_are_rounded_down_and_names_come_from_the_content() -> None:
    moment = datetime(2024, 7, 28, 22, 41, 7, 123456, tzinfo=UTC)
    assert coarse_time(moment, 3600) == datetime(2024, 7, 28, 22, 0, tzinfo=UTC)
    assert published_time(moment, 3600) == "2024-07-28T22:00:00Z"
    assert published_time(moment, 900) == "2024-07-28T22:30:00Z"
    assert published_time(moment, 0) == "2024-07-28T22:41:07.123456Z"
    assert neutral_name("ab" * 32, "image/jpeg") == "abababababababab.jpg"
    assert neutral_name(None, None) == "unnamed"


def _v1_item_entry(**fields: Any) -> bytes:
    """An entry exactly as format 1 wrote it: the submitted file's own name, the time to the microsecond."""
    return canonical(
        {
            "v": 1,
            "kind": "item",
            "received_at": utc_timestamp(fields["received_at"]),
            "channel": fields["channel"],
            "file": REAL_NAME,
            "sha256": fields["sha256"],
            "page": fields["page"],
            "part": fields["part"],
            "status": fields["status"],
            "reason": fields["reason"],
            "profile": fields["profile"],
            "payload": fields["payload"],
            "acta_id": fields["acta_id"],
        }
    )


def test_the_log_publishes_neutral_names_and_coarse_times_and_old_entries_still_verify(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = small_mesas(2)
    old, new = tmp_path / "maria-perez", tmp_path / "jose"
    old.mkdir()
    new.mkdir()
    (old / REAL_NAME).write_bytes(qr_png(payload_for(first)))
    (new / "Acta de José Pérez.png").write_bytes(qr_png(payload_for(second)))
    store = init_workspace(str(tmp_path / "ws"), "ve2024")
    try:
        with monkeypatch.context() as patched:  # a log begun by an older testigo
            patched.setattr(logbook, "item_entry", _v1_item_entry)
            assert ingest(store, [old / REAL_NAME], workers=1).summary()["accepted"] == 1
        assert ingest(store, [new], workers=1).summary()["accepted"] == 1
        with store.sessions() as session:
            bodies = [row.body for row in log_table.entries(session)]
            names = sorted(row.display_path.rsplit("/", 1)[-1] for row in session.query(SubmissionRow))
        assert names == sorted([REAL_NAME, "Acta de José Pérez.png"])  # the database keeps them, for admins
        v1, v2 = (json.loads(body) for body in bodies)
        assert v1["v"] == 1 and v1["file"] == REAL_NAME
        assert v2["v"] == entry_format.ENTRY_VERSION == 2
        assert v2["file"] == f"{v2['sha256'][:16]}.png" and "José" not in bodies[1].decode()
        assert v2["received_at"].endswith(":00:00Z") and v2["time_granularity"] == 3600

        report = publish(store, tmp_path / "bundle")
        assert report is not None
        verified = verify_bundle(tmp_path / "bundle", workers=1)
        assert verified.ok, verified.to_json()
        published = (tmp_path / "bundle" / "log" / "entries.jsonl").read_text(encoding="utf-8")
        assert "José" not in published and "jose" not in published
    finally:
        store.close()


def test_a_workspace_can_publish_exact_times_if_it_chooses(tmp_path: Path) -> None:
    store = init_workspace(str(tmp_path / "ws"), "ve2024")
    settings = json.loads(store.workspace.settings_path.read_text(encoding="utf-8"))
    store.workspace.settings_path.write_text(json.dumps({**settings, "published_time_seconds": 60}), "utf-8")
    store.close()
    from testigo.store.workspace import open_workspace

    store = open_workspace(str(tmp_path / "ws"))
    try:
        (tmp_path / "a.png").write_bytes(qr_png(payload_for(small_mesas(1)[0])))
        ingest(store, [tmp_path / "a.png"], workers=1)
        with store.sessions() as session:
            [entry] = [json.loads(row.body) for row in log_table.entries(session)]
        assert entry["time_granularity"] == 60 and entry["received_at"].endswith(":00Z")
    finally:
        store.close()
