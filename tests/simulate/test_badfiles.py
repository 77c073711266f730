"""Hostile and broken inputs are what they claim to be, byte for byte."""

from __future__ import annotations

import io
import struct
import zipfile

import pytest
from PIL import Image

from testigo.simulate.badfiles import png_bomb, truncated, zip_with


def test_png_bomb_is_small_but_claims_a_huge_image() -> None:
    data = png_bomb()
    assert len(data) < 4096
    assert data[12:16] == b"IHDR" and struct.unpack(">II", data[16:24]) == (40_000, 40_000)
    with pytest.raises(Image.DecompressionBombError):
        Image.open(io.BytesIO(data))


def test_truncated_jpeg_does_not_load() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (400, 400), "white").save(buffer, "JPEG")
    cut = truncated(buffer.getvalue())
    assert 0 < len(cut) < len(buffer.getvalue())
    with pytest.raises(OSError):
        Image.open(io.BytesIO(cut)).load()


def test_zip_entries_keep_unsafe_names() -> None:
    data = zip_with([("../evil.jpg", b"a"), ("/tmp/evil.jpg", b"b")])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist() == ["../evil.jpg", "/tmp/evil.jpg"]
        assert archive.read("../evil.jpg") == b"a"


def test_encrypted_flag_is_seen_by_readers() -> None:
    data = zip_with([("acta.jpg", b"secret")], encrypted=True)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        [info] = archive.infolist()
        assert info.flag_bits & 0x1
        with pytest.raises(RuntimeError, match="encrypted"):
            archive.read(info)
    assert data[6] & 0x1, "the local header is flagged too"


def test_nested_zip_holds_a_zip() -> None:
    inner = zip_with([("acta.jpg", b"x")])
    with zipfile.ZipFile(io.BytesIO(zip_with([("inner.zip", inner)]))) as archive:
        assert archive.read("inner.zip") == inner
