"""Witness safety: the public never gets an upload's original bytes, whose metadata can point at the witness;
reviewers read full-resolution copies without metadata; only admins fetch originals, and every fetch is recorded."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from PIL import Image

from testigo.store import users
from testigo.store.workspace import Store
from testigo.web import accounts
from tests.conftest import phone_jpeg, small_mesas
from tests.web.conftest import acta_png, log_in

MESA = small_mesas(1)[0]
SERIAL = "WITNESS-PHONE-SN-4711"
GPS = 0x8825


def _jpeg_with_gps() -> bytes:
    """A phone photo of an acta whose EXIF holds a GPS position and the phone's serial number."""
    data = phone_jpeg(acta_png(MESA), serial=SERIAL)
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS)  # the fixture really carries a position
    return data


def _no_metadata(data: bytes) -> bool:
    shown = Image.open(io.BytesIO(data))
    return not shown.getexif() and "exif" not in shown.info and "xmp" not in shown.info and SERIAL.encode() not in data


def _upload(client: TestClient, store: Store, original: bytes) -> str:
    csrf = log_in(client, store, "witness", accounts.VOLUNTEER)
    sent = client.post(
        "/api/v1/uploads", files={"file": ("IMG_0001.jpg", original, "image/jpeg")}, headers={"X-CSRF-Token": csrf}
    )
    assert sent.status_code == 201 and sent.json()["status"] == "accepted", sent.text
    client.cookies.clear()
    return str(sent.json()["sha256"])


def test_the_public_gets_a_metadata_free_preview_and_never_the_original(client: TestClient, web_store: Store) -> None:
    original = _jpeg_with_gps()
    sha = _upload(client, web_store, original)
    data = client.get(f"/api/v1/mesas/{MESA}").json()
    [file] = data["accepted"]["files"]
    assert file == {**file, "sha256": sha, "preview": f"/blobs/{sha}/preview.jpg"}
    page = client.get(f"/mesa/{MESA}").text
    assert sha in page and f'href="/blobs/{sha}"' not in page  # the hash is shown, the original not linked

    image = client.get(f"/blobs/{sha}/preview.jpg")
    assert image.status_code == 200 and image.content != original and _no_metadata(image.content)
    assert b"Exif" not in image.content

    refused = client.get(f"/blobs/{sha}")
    assert refused.status_code == 403 and original != refused.content
    assert client.get(f"/blobs/{sha}/full.jpg").status_code == 403


def test_a_reviewer_reads_a_full_resolution_copy_without_metadata_but_cannot_fetch_the_original(
    client: TestClient, web_store: Store
) -> None:
    original = _jpeg_with_gps()
    sha = _upload(client, web_store, original)
    log_in(client, web_store, "rev", accounts.REVIEWER)
    refused = client.get(f"/blobs/{sha}")
    assert refused.status_code == 403 and refused.content != original
    full = client.get(f"/blobs/{sha}/full.jpg")
    assert full.status_code == 200 and "no-store" in full.headers["cache-control"]
    assert _no_metadata(full.content)
    shown, source = Image.open(io.BytesIO(full.content)), Image.open(io.BytesIO(original))
    assert (shown.width, shown.height) in ((source.width, source.height), (source.height, source.width))
    with web_store.sessions() as session:
        assert users.original_fetches(session) == []  # nothing was fetched, nothing recorded


def test_an_admin_fetches_the_exact_original_and_the_fetch_is_recorded_and_shown(
    client: TestClient, web_store: Store
) -> None:
    original = _jpeg_with_gps()
    sha = _upload(client, web_store, original)
    log_in(client, web_store, "boss", accounts.ADMIN)
    exact = client.get(f"/blobs/{sha}")
    assert exact.status_code == 200 and exact.content == original
    assert "no-store" in exact.headers["cache-control"]
    with web_store.sessions() as session:
        [fetch] = users.original_fetches(session)
    assert (fetch.username, fetch.sha256) == ("boss", sha)
    page = client.get("/admin").text
    assert 'id="original-fetches"' in page and sha in page.split('id="original-fetches"')[1]
    listed = client.get("/api/v1/admin/original-fetches").json()["fetches"]
    assert [(f["username"], f["sha256"]) for f in listed] == [("boss", sha)]
