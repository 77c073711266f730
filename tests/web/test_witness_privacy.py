"""Witness safety: the public never gets an upload's original bytes, whose metadata can point at the witness."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from PIL import Image

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


def test_the_public_gets_a_metadata_free_preview_and_only_reviewers_the_exact_original(
    client: TestClient, web_store: Store
) -> None:
    original = _jpeg_with_gps()
    csrf = log_in(client, web_store, "witness", accounts.VOLUNTEER)
    sent = client.post(
        "/api/v1/uploads", files={"file": ("IMG_0001.jpg", original, "image/jpeg")}, headers={"X-CSRF-Token": csrf}
    )
    assert sent.status_code == 201 and sent.json()["status"] == "accepted", sent.text
    sha = sent.json()["sha256"]
    client.cookies.clear()

    data = client.get(f"/api/v1/mesas/{MESA}").json()
    [file] = data["accepted"]["files"]
    assert file == {**file, "sha256": sha, "preview": f"/blobs/{sha}/preview.jpg"}
    page = client.get(f"/mesa/{MESA}").text
    assert sha in page and f'href="/blobs/{sha}"' not in page  # the hash is shown, the original not linked

    image = client.get(f"/blobs/{sha}/preview.jpg")
    assert image.status_code == 200 and image.content != original
    shown = Image.open(io.BytesIO(image.content))
    assert not shown.getexif() and "exif" not in shown.info and "xmp" not in shown.info
    assert b"Exif" not in image.content and SERIAL.encode() not in image.content

    refused = client.get(f"/blobs/{sha}")
    assert refused.status_code == 403 and original != refused.content

    log_in(client, web_store, "rev", accounts.REVIEWER)
    exact = client.get(f"/blobs/{sha}")
    assert exact.status_code == 200 and exact.content == original
    assert exact.headers["cache-control"] == "no-store" or "no-store" in exact.headers["cache-control"]
