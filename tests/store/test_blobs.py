"""The content-addressed blob store."""

from __future__ import annotations

import hashlib
import os
import stat
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import pytest

from testigo.store.blobs import BlobStore


def test_put_is_content_addressed_read_only_and_idempotent(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path)
    digest = blobs.put(b"acta")
    assert digest == hashlib.sha256(b"acta").hexdigest()
    path = blobs.path(digest)
    assert path.read_bytes() == b"acta"
    assert path.relative_to(tmp_path).parts[:2] == (digest[:2], digest[2:4])
    assert not os.stat(path).st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    mtime = path.stat().st_mtime_ns
    assert blobs.put(b"acta") == digest
    assert path.stat().st_mtime_ns == mtime  # never rewritten
    assert blobs.verify(digest)
    assert not list(path.parent.glob(".tmp-*"))


def test_rejects_paths_that_are_not_digests(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        BlobStore(tmp_path).path("../../etc/passwd")


def _put_many(root: str, seed: int) -> list[str]:
    blobs = BlobStore(Path(root))
    return [blobs.put(b"shared acta " * 50_000), blobs.put(f"own acta {seed}".encode())]


def test_concurrent_writers_of_one_folder_all_see_whole_blobs(tmp_path: Path) -> None:
    """As on a folder shared by several machines: eight writers race to store the same blob."""
    with ProcessPoolExecutor(8, mp_context=get_context("spawn")) as pool:
        results = list(pool.map(_put_many, [str(tmp_path)] * 8, range(8)))
    shared = {r[0] for r in results}
    assert len(shared) == 1
    blobs = BlobStore(tmp_path)
    assert all(blobs.verify(sha) for r in results for sha in r)
    assert len([p for p in tmp_path.rglob("*") if p.is_file()]) == 1 + 8  # no temporary file left
