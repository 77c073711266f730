"""The content-addressed blob store."""

from __future__ import annotations

import hashlib
import os
import stat
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
