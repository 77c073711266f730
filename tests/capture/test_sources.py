"""Expanding folders and zip archives, and refusing hostile archive entries."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from testigo.capture import iter_inputs


def _zip(path: Path, entries: dict[str, bytes], *, encrypted: frozenset[str] = frozenset()) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    data = bytearray(path.read_bytes())
    # zipfile cannot encrypt: set the "encrypted" flag bit in the local and central headers
    for info in zipfile.ZipFile(path).infolist():
        if info.filename in encrypted:
            data[info.header_offset + 6] |= 0x1
            central = data.find(b"PK\x01\x02")
            while central != -1:
                name_len = int.from_bytes(data[central + 28 : central + 30], "little")
                if data[central + 46 : central + 46 + name_len] == info.filename.encode():
                    data[central + 8] |= 0x1
                central = data.find(b"PK\x01\x02", central + 4)
    path.write_bytes(bytes(data))
    return path


def test_folders_are_walked_recursively_and_sorted(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "deep").mkdir(parents=True)
    (tmp_path / "b" / "1.jpg").write_bytes(b"one")
    (tmp_path / "a" / "deep" / "2.jpg").write_bytes(b"two")
    (tmp_path / "top.png").write_bytes(b"three")
    found = list(iter_inputs([tmp_path]))
    assert [Path(i.display).relative_to(tmp_path).as_posix() for i in found] == ["top.png", "a/deep/2.jpg", "b/1.jpg"]
    assert all(i.reject is None and i.data for i in found)
    assert found[0].origin == f"file:{(tmp_path / 'top.png').resolve()}"


def test_missing_empty_and_oversized_files_get_reasons(tmp_path: Path) -> None:
    (tmp_path / "empty.jpg").write_bytes(b"")
    (tmp_path / "big.jpg").write_bytes(b"x" * 2000)
    found = {
        Path(i.display).name: i
        for i in iter_inputs([tmp_path / "nope.jpg", tmp_path / "empty.jpg", tmp_path / "big.jpg"], max_file_bytes=1000)
    }
    assert found["nope.jpg"].reject == "no such file or folder" and found["nope.jpg"].data is None
    assert found["empty.jpg"].reject == "empty file (0 bytes)" and found["empty.jpg"].data == b""
    assert found["big.jpg"].reject == "file too large: 2000 bytes (limit 1000)"


def test_zip_entries_become_inputs_and_hostile_ones_are_refused(tmp_path: Path) -> None:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as nested:
        nested.writestr("x.jpg", b"x")
    archive = _zip(
        tmp_path / "batch.zip",
        {
            "ok/acta1.jpg": b"jpeg-bytes",
            "../evil.jpg": b"evil",
            "/etc/abs.jpg": b"abs",
            "secret.jpg": b"secret",
            "inner.zip": inner.getvalue(),
            "disguised.jpg": inner.getvalue(),
            "bomb.png": b"\0" * 1_000_000,
        },
        encrypted=frozenset({"secret.jpg"}),
    )
    found = {i.display.split("!", 1)[1]: i for i in iter_inputs([archive])}
    assert found["ok/acta1.jpg"].data == b"jpeg-bytes" and found["ok/acta1.jpg"].reject is None
    assert found["ok/acta1.jpg"].origin == f"file:{archive.resolve()}!ok/acta1.jpg"
    assert "path escapes the archive" in (found["../evil.jpg"].reject or "")
    assert "absolute path" in (found["/etc/abs.jpg"].reject or "")
    assert (found["secret.jpg"].reject or "").startswith("encrypted archive entry")
    assert (found["inner.zip"].reject or "").startswith("nested archive")
    assert (found["disguised.jpg"].reject or "").startswith("nested archive")
    assert "zip bomb" in (found["bomb.png"].reject or "")
    assert all(found[k].data is None for k in found if k != "ok/acta1.jpg")


def test_corrupt_zip_is_one_rejected_input(tmp_path: Path) -> None:
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04" + b"\x00" * 50)
    [only] = list(iter_inputs([broken]))
    assert only.reject is not None and only.reject.startswith("corrupt zip archive")
    assert only.data is not None  # kept: the bytes are stored for review


def test_walk_skips_the_workspace_folder(tmp_path: Path) -> None:
    (tmp_path / "ws" / "blobs").mkdir(parents=True)
    (tmp_path / "ws" / "blobs" / "x").write_bytes(b"blob")
    (tmp_path / "acta.jpg").write_bytes(b"jpeg")
    found = [Path(i.display).name for i in iter_inputs([tmp_path], skip_folder=tmp_path / "ws")]
    assert found == ["acta.jpg"]


def test_an_archive_larger_than_the_file_limit_is_read_entry_by_entry(tmp_path: Path) -> None:
    """A coordinator's zip of many photos may exceed the per-file limit; only its entries are held to it."""
    import random

    noise = random.Random(7)  # incompressible, like JPEG data
    photos = {f"lote/acta{i}.jpg": noise.randbytes(600) for i in range(5)}
    archive = _zip(tmp_path / "lote.zip", {**photos, "huge.jpg": noise.randbytes(5000)})
    assert archive.stat().st_size > 1000
    found = {i.display.split("!", 1)[1]: i for i in iter_inputs([archive], max_file_bytes=1000)}
    assert {name: found[name].data for name in photos} == photos
    assert found["huge.jpg"].data is None
    assert found["huge.jpg"].reject == "archive entry too large: 5000 bytes (limit 1000)"


def test_an_oversized_corrupt_archive_is_refused_without_its_bytes(tmp_path: Path) -> None:
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04" + b"\x00" * 2000)
    [only] = list(iter_inputs([broken], max_file_bytes=1000))
    assert only.data is None
    assert only.reject is not None and only.reject.startswith("corrupt zip archive")
    assert "too large to keep" in only.reject


def test_a_folder_that_cannot_be_listed_is_reported_not_skipped(tmp_path: Path, monkeypatch) -> None:
    """Root reads every folder, so the refusal is simulated where os.walk lists folders."""
    import os

    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "acta.jpg").write_bytes(b"jpeg")
    (tmp_path / "open.jpg").write_bytes(b"jpeg")
    real_scandir = os.scandir

    def scandir(path):  # type: ignore[no-untyped-def]
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    found = {Path(i.display).name: i for i in iter_inputs([tmp_path])}
    assert set(found) == {"locked", "open.jpg"}
    assert found["locked"].reject == "cannot read folder: Permission denied"
    assert found["open.jpg"].reject is None
