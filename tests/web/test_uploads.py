"""Uploads through the API: confirmation by SHA-256, idempotent retries, and every malformed or hostile upload."""

from __future__ import annotations

import hashlib
import struct
import time
import zlib
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from testigo.store.schema import BlobRow, SubmissionRow
from testigo.store.workspace import Store
from testigo.web import accounts, create_app
from tests.conftest import small_mesas
from tests.web.conftest import acta_png, blank_png, log_in, web_settings


def _post(client: TestClient, csrf: str, data: bytes, name: str = "acta.png", **fields: str):  # type: ignore[no-untyped-def]
    """Upload asking for English answers, whose words these tests check (Spanish ones: test_spanish)."""
    return client.post(
        "/api/v1/uploads?lang=en",
        files={"file": (name, data, "image/png")},
        data=fields,
        headers={"X-CSRF-Token": csrf},
    )


def _count(store: Store, table: type) -> int:
    with store.sessions() as session:
        return int(session.execute(select(func.count()).select_from(table)).scalar_one())


@pytest.fixture
def volunteer(client: TestClient, web_store: Store) -> tuple[TestClient, str]:
    return client, log_in(client, web_store, "vol", accounts.VOLUNTEER)


def test_an_upload_is_confirmed_by_its_sha256_and_read(volunteer: tuple[TestClient, str]) -> None:
    client, csrf = volunteer
    mesa = small_mesas(1)[0]
    data = acta_png(mesa)
    response = _post(client, csrf, data, sha256=hashlib.sha256(data).hexdigest(), upload_id="u-1")
    assert response.status_code == 201
    body = response.json()
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    assert (body["state"], body["status"], body["mesa"]) == ("done", "accepted", f"{mesa}.1.0001")
    assert client.get("/api/v1/uploads/u-1").json()["status"] == "accepted"


def test_a_retry_of_the_same_upload_is_the_same_arrival(volunteer: tuple[TestClient, str], web_store: Store) -> None:
    client, csrf = volunteer
    data = acta_png(small_mesas(1)[0])
    first = _post(client, csrf, data, upload_id="phone-42")
    again = _post(client, csrf, data, upload_id="phone-42")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["repeat"] and again.json()["status"] == "accepted"
    assert _count(web_store, SubmissionRow) == 1


def test_without_an_upload_id_the_hash_makes_retries_idempotent(
    volunteer: tuple[TestClient, str], web_store: Store
) -> None:
    client, csrf = volunteer
    data = acta_png(small_mesas(1)[0])
    assert [_post(client, csrf, data).status_code for _ in range(2)] == [201, 200]
    assert _count(web_store, SubmissionRow) == 1


def test_the_same_photo_from_another_account_is_a_duplicate(
    make_client: Callable[..., TestClient], web_store: Store
) -> None:
    first, second = make_client(), make_client()
    data = acta_png(small_mesas(1)[0])
    assert _post(first, log_in(first, web_store, "ana", "volunteer"), data).json()["status"] == "accepted"
    other = _post(second, log_in(second, web_store, "bea", "volunteer"), data)
    assert other.status_code == 201 and other.json()["status"] == "duplicate"


def test_an_api_token_uploads_without_a_csrf_token(client: TestClient, web_store: Store) -> None:
    account = accounts.accept_invitation(web_store, accounts.invite(web_store, "volunteer"), "bot", "x" * 12)
    token = accounts.create_api_token(web_store, account, "bulk")
    response = client.post(
        "/api/v1/uploads",
        files={"file": ("a.png", acta_png(small_mesas(1)[0]), "image/png")},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201
    wrong = client.post(
        "/api/v1/uploads", files={"file": ("a.png", b"x", "image/png")}, headers={"Authorization": "Bearer nope"}
    )
    assert wrong.status_code == 401


def test_an_unreadable_photo_is_kept_for_review(volunteer: tuple[TestClient, str]) -> None:
    client, csrf = volunteer
    body = _post(client, csrf, blank_png()).json()
    assert (body["state"], body["status"]) == ("done", "unreadable")


def test_reading_that_takes_long_answers_pending_then_the_phone_polls(
    make_client: Callable[..., TestClient], web_store: Store
) -> None:
    client = make_client(settle_wait_seconds=0.0)
    csrf = log_in(client, web_store, "vol", "volunteer")
    response = _post(client, csrf, acta_png(small_mesas(1)[0]), upload_id="slow")
    assert response.status_code in (201, 202)  # 202 unless the reader won the race
    assert response.json()["sha256"]
    for _ in range(100):
        status = client.get("/api/v1/uploads/slow").json()
        if status["state"] == "done":
            break
        time.sleep(0.05)
    assert status["status"] == "accepted"
    assert client.get("/api/v1/uploads/someone-elses").status_code == 404


def _png_header(width: int, height: int) -> bytes:
    """A PNG that declares an enormous image in a few bytes (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


@pytest.mark.parametrize(
    ("data", "code", "words"),
    [
        (b"", 422, "empty"),
        (b"<html><body>error</body></html>", 415, "HTML"),
        (b"PK\x03\x04" + b"\x00" * 100, 415, "zip"),
        (_png_header(20_000, 20_000), 413, "megapixels"),
    ],
    ids=["empty", "html", "zip", "pixel-bomb"],
)
def test_malformed_uploads_are_refused_and_nothing_is_stored(
    volunteer: tuple[TestClient, str], web_store: Store, data: bytes, code: int, words: str
) -> None:
    client, csrf = volunteer
    response = _post(client, csrf, data)
    assert response.status_code == code and words in response.json()["detail"]
    assert _count(web_store, SubmissionRow) == 0 and _count(web_store, BlobRow) == 0


def test_a_damaged_transfer_is_refused_so_the_phone_sends_again(volunteer: tuple[TestClient, str]) -> None:
    client, csrf = volunteer
    response = _post(client, csrf, acta_png(small_mesas(1)[0]), sha256="0" * 64)
    assert response.status_code == 400 and "damaged" in response.json()["detail"]


def test_the_file_field_is_required(volunteer: tuple[TestClient, str]) -> None:
    client, csrf = volunteer
    response = client.post("/api/v1/uploads?lang=en", data={"photo": "x"}, headers={"X-CSRF-Token": csrf})
    assert response.status_code == 422 and "'file'" in response.json()["detail"]


def test_oversized_uploads_are_refused_before_being_read(
    make_client: Callable[..., TestClient], web_store: Store
) -> None:
    client = make_client(max_upload_bytes=100_000)
    csrf = log_in(client, web_store, "vol", "volunteer")
    big = _post(client, csrf, b"\xff\xd8\xff" + b"\x00" * 300_000)
    assert big.status_code == 413

    def chunked():  # no Content-Length: the limit holds while the body streams
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n\r\n'
        for _ in range(40):
            yield b"\x00" * 10_000
        yield b"\r\n--b--\r\n"

    streamed = client.post(
        "/api/v1/uploads",
        content=chunked(),
        headers={"X-CSRF-Token": csrf, "Content-Type": "multipart/form-data; boundary=b"},
    )
    assert streamed.status_code == 413
    assert _count(web_store, SubmissionRow) == 0


def test_other_forms_have_a_small_body_limit(client: TestClient) -> None:
    response = client.post("/login", content=b"x" * (2 * 1024 * 1024), headers={"Content-Type": "text/plain"})
    assert response.status_code == 413


def test_the_plain_form_works_without_javascript(volunteer: tuple[TestClient, str]) -> None:
    client, csrf = volunteer
    page = client.post(
        "/upload", files={"file": ("a.png", acta_png(small_mesas(1)[0]), "image/png")}, data={"csrf_token": csrf}
    )
    assert page.status_code == 200 and "aceptada" in page.text


def test_the_upload_page_loads_only_local_scripts(volunteer: tuple[TestClient, str]) -> None:
    client, _ = volunteer
    page = client.get("/upload")
    assert "/static/vendor/zxing-reader.js" in page.text and "/static/app/upload.js" in page.text
    assert "http://" not in page.text.replace("http://www.w3.org", "") and "https://" not in page.text
    assert client.get("/static/vendor/zxing_reader.wasm").headers["content-type"] == "application/wasm"
    worker = client.get("/upload-sw.js")
    assert worker.status_code == 200 and "javascript" in worker.headers["content-type"]


def test_web_uploads_left_pending_are_read_when_the_server_starts(web_store: Store) -> None:
    account = accounts.accept_invitation(web_store, accounts.invite(web_store, "volunteer"), "vol", "x" * 12)
    app = create_app(web_store, web_settings())
    data = acta_png(small_mesas(1)[0])
    sha = hashlib.sha256(data).hexdigest()
    app.state.web.uploads.register(account, "u-1", data, sha)  # stored, and the server "dies" before reading it
    with web_store.sessions() as session:
        assert session.execute(select(SubmissionRow.state)).scalar_one() == "pending"
    with TestClient(app):
        for _ in range(100):
            with web_store.sessions() as session:
                if session.execute(select(SubmissionRow.state)).scalar_one() == "done":
                    break
            time.sleep(0.05)
    assert app.state.web.uploads.result(account, "u-1").status == "accepted"  # type: ignore[union-attr]
