"""Content-addressed storage of original files.

Each file is stored once under its SHA-256 (``ab/cd/abcd…``), written to a
temporary file, flushed to disk and atomically renamed into place, then made
read-only. An existing blob is never rewritten, so a crash mid-write leaves at
worst a stray temporary file, never a corrupt blob.

Several machines can share one folder store (NFS, SMB, CephFS...): the temporary
file is unique per writer (``mkstemp``) and lives in the blob's own directory, so
the final rename is atomic on the shared filesystem too; two writers racing on
the same blob both rename identical bytes into place and either one wins.
Beyond a shared folder, ``s3://bucket/prefix`` selects the S3-compatible store
(`testigo.store.s3blobs`); `open_blobs` turns either URL into a store, which is
how decoding workers on other machines reach the bytes.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Protocol

S3_SCHEME = "s3://"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_sha256(sha256: str) -> None:
    """Refuse anything but a hex digest: blob names come from requests and must never be paths."""
    if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
        raise ValueError(f"not a sha256 hex digest: {sha256!r}")


def blob_key(sha256: str) -> str:
    """The blob's name under the store's root (``ab/cd/abcd…``): few entries per folder or prefix."""
    check_sha256(sha256)
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"


class Blobs(Protocol):
    """What ingest and decoding workers need of a blob store, whatever its backend."""

    @property
    def url(self) -> str:
        """Where the store is, as `open_blobs` takes it (a folder path or ``s3://bucket/prefix``)."""
        ...

    def put(self, data: bytes, sha256: str | None = None) -> str: ...

    def get(self, sha256: str) -> bytes: ...

    def has(self, sha256: str) -> bool: ...

    def verify(self, sha256: str) -> bool: ...


@lru_cache(maxsize=8)
def open_blobs(url: str) -> Blobs:
    """The blob store at `url`; cached so that a worker decoding many jobs opens it once."""
    if url.startswith(S3_SCHEME):
        from testigo.store.s3blobs import S3BlobStore  # boto3 only where S3 is used

        return S3BlobStore.from_url(url)
    return BlobStore(Path(url))


class BlobStore:
    """A folder of blobs; safe for several processes (or machines sharing the folder) writing at once."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def url(self) -> str:
        return str(self.root)

    def path(self, sha256: str) -> Path:
        return self.root / blob_key(sha256)

    def put(self, data: bytes, sha256: str | None = None) -> str:
        """Store `data` (if not already there) and return its SHA-256.

        `sha256`, if given, is the caller's own digest of these very bytes (a
        web upload is hashed once, when it is checked), so they are not hashed twice.
        """
        digest = sha256 if sha256 is not None else sha256_hex(data)
        target = self.path(digest)
        if target.exists():
            return digest
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, 0o444)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _fsync_dir(target.parent)
        return digest

    def get(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()

    def has(self, sha256: str) -> bool:
        return self.path(sha256).exists()

    def verify(self, sha256: str) -> bool:
        """Whether the stored bytes still hash to their name."""
        return sha256_hex(self.get(sha256)) == sha256


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
