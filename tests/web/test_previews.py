"""Previews are drawn once per app and blob, whatever the blob store is (`Blobs` is a protocol: not always hashable)."""

from __future__ import annotations

from dataclasses import dataclass, field

from testigo.store.blobs import sha256_hex
from testigo.web.previews import Previews
from tests.web.conftest import qr_png


@dataclass
class CountingBlobs:
    """A blob store in memory that counts its reads; a dataclass, so unhashable (``__hash__`` is None)."""

    blobs: dict[str, bytes] = field(default_factory=dict)
    reads: int = 0
    url: str = "memory:"

    def put(self, data: bytes, sha256: str | None = None) -> str:
        sha256 = sha256 or sha256_hex(data)
        self.blobs[sha256] = data
        return sha256

    def get(self, sha256: str) -> bytes:
        self.reads += 1
        return self.blobs[sha256]

    def has(self, sha256: str) -> bool:
        return sha256 in self.blobs

    def verify(self, sha256: str) -> bool:
        return sha256_hex(self.blobs[sha256]) == sha256


def test_a_preview_is_drawn_once_from_any_blob_store() -> None:
    store = CountingBlobs()
    sha256 = store.put(qr_png("testigo"))
    previews = Previews(store, max_pixels=50_000_000)
    first = previews.get(sha256)
    assert first is not None and first.startswith(b"\xff\xd8")  # a JPEG
    assert previews.get(sha256) == first
    assert store.reads == 1


def test_each_app_keeps_its_own_previews() -> None:
    store = CountingBlobs()
    sha256 = store.put(qr_png("testigo"))
    Previews(store, max_pixels=50_000_000).get(sha256)
    Previews(store, max_pixels=50_000_000).get(sha256)
    assert store.reads == 2
