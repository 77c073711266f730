"""The S3-compatible blob store, against a real S3 API server (moto) on loopback."""

from __future__ import annotations

import hashlib
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import boto3  # type: ignore[import-untyped]
import pytest
import segno
from moto.server import ThreadedMotoServer

from testigo.config import Environment, option
from testigo.pipeline.ingest import ingest
from testigo.store.blobs import open_blobs
from testigo.store.s3blobs import S3BlobStore
from testigo.store.workspace import init_workspace
from tests.conftest import payload_for, small_mesas

ENDPOINT_ENV = option(Environment, "s3_endpoint_url").env or ""
BUCKET = "actas"


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An S3 server on a free loopback port with an empty bucket; credentials in the environment."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)  # inherited by spawned decoding processes
    monkeypatch.delenv(ENDPOINT_ENV, raising=False)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    # moto keeps its buckets per process, not per server: start each test from an empty store
    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"), timeout=10).close()
    boto3.client("s3", endpoint_url=url).create_bucket(Bucket=BUCKET)
    yield url
    server.stop()


def test_put_get_has_verify_like_the_folder_store(endpoint: str) -> None:
    blobs = S3BlobStore(BUCKET, "ws1/blobs", endpoint)
    digest = blobs.put(b"acta")
    assert digest == hashlib.sha256(b"acta").hexdigest()
    assert blobs.get(digest) == b"acta" and blobs.has(digest) and blobs.verify(digest)
    assert blobs.put(b"acta") == digest  # idempotent
    listed = boto3.client("s3", endpoint_url=endpoint).list_objects_v2(Bucket=BUCKET)["Contents"]
    assert [o["Key"] for o in listed] == [f"ws1/blobs/{digest[:2]}/{digest[2:4]}/{digest}"]
    missing = hashlib.sha256(b"other").hexdigest()
    assert not blobs.has(missing)
    with pytest.raises(FileNotFoundError):
        blobs.get(missing)
    with pytest.raises(ValueError):
        blobs.get("../../etc/passwd")


def test_the_url_names_the_same_store_on_any_machine(endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    blobs = S3BlobStore(BUCKET, "p", endpoint)
    again = open_blobs(blobs.url)
    assert isinstance(again, S3BlobStore)
    assert (again.bucket, again.prefix, again.endpoint_url) == (BUCKET, "p", endpoint)
    monkeypatch.setenv(ENDPOINT_ENV, endpoint)
    from_env = S3BlobStore.from_url(f"s3://{BUCKET}/p")
    assert from_env.endpoint_url == endpoint and from_env.url == blobs.url
    with pytest.raises(ValueError):
        S3BlobStore.from_url("s3:///no-bucket")


def test_ingest_keeps_originals_in_s3_and_decodes_them_in_other_processes(
    endpoint: str, tmp_path: Path, database_url: str
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for i, mesa in enumerate(small_mesas(3)):
        segno.make(payload_for(mesa, maduro=10 + i), error="m").save(str(folder / f"acta_{i}.png"), scale=3)
    url = f"s3://{BUCKET}/eleccion?endpoint={endpoint}"
    store = init_workspace(str(tmp_path / "ws"), "ve2024", database_url, blobs_url=url)

    report = ingest(store, [folder], workers=2)  # spawned processes fetch the bytes from S3

    assert report.summary()["accepted"] == 3
    assert store.workspace.load_settings().blobs_url == url
    assert all(f.sha256 and store.blobs.verify(f.sha256) for f in report.files)
    assert not any(p.is_file() for p in store.workspace.blobs_dir.rglob("*"))  # nothing kept locally
    store.close()
