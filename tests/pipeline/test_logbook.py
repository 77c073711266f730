"""Every outcome is logged with its data, and checkpoints and proofs verify."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import segno
from sqlalchemy import func, select

from testigo.ledger import leaf_hash, verify_checkpoint, verify_consistency, verify_inclusion
from testigo.pipeline.ingest import ingest
from testigo.pipeline.logbook import checkpoint, consistency, inclusion
from testigo.store.schema import ItemRow, LogEntryRow
from testigo.store.workspace import Store
from tests.conftest import payload_for, small_mesas


def _qr(path: Path, text: str) -> Path:
    segno.make(text, error="m").save(str(path), scale=4, border=4)
    return path


def test_each_item_is_logged_with_what_was_concluded(store: Store, tmp_path: Path) -> None:
    mesa_a, mesa_b = small_mesas(2)
    _qr(tmp_path / "a.png", payload_for(mesa_a))
    _qr(tmp_path / "b.png", payload_for(mesa_b))
    _qr(tmp_path / "c-forged.png", payload_for(mesa_b, gonzalez=1))
    (tmp_path / "empty.jpg").write_bytes(b"")
    report = ingest(store, [tmp_path], workers=1)
    assert sorted(f.status for f in report.files) == ["accepted", "accepted", "conflict", "rejected"]
    with store.sessions() as session:
        entries = session.execute(select(LogEntryRow).order_by(LogEntryRow.seq)).scalars().all()
        items = session.execute(select(func.count()).select_from(ItemRow)).scalar_one()
        bodies = [json.loads(e.body) for e in entries]
    assert [e.seq for e in entries] == list(range(items))
    # the log names files by content (format 2): the name they were submitted under is not published
    by_file = {
        name: next(b for b in bodies if b["sha256"] == _sha(tmp_path / name)) for name in ("a.png", "c-forged.png")
    }
    by_file["empty.jpg"] = next(b for b in bodies if b["status"] == "rejected")
    assert all("forged" not in e.body.decode() for e in entries)
    assert by_file["c-forged.png"]["file"] == _sha(tmp_path / "c-forged.png")[:16] + ".png"
    assert by_file["c-forged.png"]["status"] == "conflict"
    assert by_file["c-forged.png"]["payload"] == payload_for(mesa_b, gonzalez=1)
    assert by_file["a.png"]["acta_id"] == mesa_a + ".1.0001"
    assert by_file["empty.jpg"]["reason"] == "empty file (0 bytes)"
    assert all(str(tmp_path) not in e.body.decode() for e in entries)  # no local folders published
    assert all(b["received_at"].endswith(":00:00Z") and b["time_granularity"] == 3600 for b in bodies)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_checkpoint_and_proofs_verify_with_the_public_key(store: Store, tmp_path: Path) -> None:
    mesas = small_mesas(5)
    for i, mesa in enumerate(mesas[:3]):
        _qr(tmp_path / f"first{i}.png", payload_for(mesa))
    ingest(store, [tmp_path], workers=1)
    old = verify_checkpoint(checkpoint(store).note, [store.signer.verifier], origin=store.signer.name)
    assert old.size == 3
    later = tmp_path / "later"
    later.mkdir()
    for i, mesa in enumerate(mesas[3:]):
        _qr(later / f"later{i}.png", payload_for(mesa))
    ingest(store, [later], workers=1)
    new = verify_checkpoint(checkpoint(store).note, [store.signer.verifier], origin=store.signer.name)
    assert new.size == 5
    for seq in range(new.size):
        proof = inclusion(store, seq)
        assert proof.size == new.size and proof.leaf_hash == leaf_hash(proof.body)
        verify_inclusion(seq, new.size, leaf_hash(proof.body), proof.proof, new.root_hash)
    linked = consistency(store, old.size)
    assert (linked.old_root, linked.new_root) == (old.root_hash, new.root_hash)
    verify_consistency(old.size, new.size, linked.proof, old.root_hash, new.root_hash)
    assert checkpoint(store).size == 5  # no new checkpoint while the log has not grown


def test_simultaneous_signers_store_one_checkpoint_per_size(store: Store) -> None:
    """Ingests finishing at once all sign the same head: one row, and no signer fails."""
    import threading

    from testigo.store import ledger as log_table
    from testigo.store.schema import CheckpointRow

    with store.sessions.begin() as session:
        log_table.append(session, [("item", f'{{"n":{i}}}'.encode(), None) for i in range(7)])
    barrier = threading.Barrier(8)
    results: list[object] = []

    def sign() -> None:
        barrier.wait()
        try:
            results.append(checkpoint(store).size)
        except Exception as error:  # noqa: BLE001 - the test reports any failure below
            results.append(error)

    threads = [threading.Thread(target=sign) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [7] * 8
    with store.sessions() as session:
        assert session.execute(select(CheckpointRow.size)).scalars().all() == [7]
