"""Public pages and API: results, drill-down, mesa pages with proofs, caching, privacy and security headers."""

from __future__ import annotations

import csv
import io
import json
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from testigo.profiles import get_profile
from testigo.store import reviews
from testigo.store.workspace import Store
from testigo.web import accounts, geo
from testigo.web.i18n import LANGUAGES, catalog
from testigo.web.render import STATIC, TEMPLATES
from tests.conftest import small_mesas
from tests.web.conftest import acta_png, blank_png, log_in

MESA = small_mesas(1)[0]
CENTER = MESA.split(".")[0]
STATE = CENTER[:2]


@pytest.fixture
def published(client: TestClient, web_store: Store) -> TestClient:
    """One accepted acta (González 200, Maduro 100) and one unreadable photo, uploaded by "witness-juana"."""
    csrf = log_in(client, web_store, "witness-juana", accounts.VOLUNTEER)
    for data in (acta_png(MESA), blank_png()):
        response = client.post(
            "/api/v1/uploads", files={"file": ("IMG_juana.png", data, "image/png")}, headers={"X-CSRF-Token": csrf}
        )
        assert response.status_code == 201
    client.post("/logout", data={"csrf_token": csrf})
    client.cookies.clear()
    _wait_until_settled_and_signed(web_store, entries=2)
    return client


def _wait_until_settled_and_signed(store: Store, entries: int) -> None:
    """Uploads are read in the background and checkpoints signed every 0.2 s: both change every ETag,
    so tests about pages start once the log holds `entries` entries and a checkpoint covers them all."""
    from testigo.store import ledger as log_table

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with store.sessions() as session:
            size = log_table.open_log(session).size
            latest = log_table.latest_checkpoint(session)
        if size == entries and latest is not None and latest.size == size:
            return
        time.sleep(0.05)
    raise AssertionError(f"the uploads were not settled and signed in time (log size {size})")


def test_national_results_and_coverage(published: TestClient) -> None:
    data = published.get("/api/v1/results").json()
    [national] = data["rows"]
    assert national["candidates"]["gonzalez"] == 200 and national["candidates"]["maduro"] == 100
    assert data["coverage"]["mesas_covered"] == 1
    page = published.get("/")
    assert page.status_code == 200 and "Resultados nacionales" in page.text and "Edmundo González" in page.text
    assert '<svg class="map"' in page.text and f'href="/area/{STATE}"' in page.text


def test_drill_down_from_state_to_mesa(published: TestClient) -> None:
    path = [STATE, CENTER[:4], CENTER[:6], CENTER]
    for area_id in path:
        data = published.get(f"/api/v1/areas/{area_id}").json()
        assert data["totals"]["candidates"]["gonzalez"] == 200, area_id
        assert published.get(f"/area/{area_id}").status_code == 200
    center = published.get(f"/api/v1/areas/{CENTER}").json()
    [mesa] = [c for c in center["children"] if c["id"] == MESA]
    assert mesa["level"] == "mesa" and mesa["totals"]["cards"][35] == 200
    assert f'href="/mesa/{MESA}"' in published.get(f"/area/{CENTER}").text
    assert published.get("/area/nowhere").status_code == 404


def test_a_mesa_page_shows_image_counts_state_and_inclusion_proof(published: TestClient) -> None:
    data = published.get(f"/api/v1/mesas/{MESA}").json()
    assert data["state"] == "accepted" and data["accepted"]["candidates"]["gonzalez"] == 200
    sha = data["accepted"]["files"][0]["sha256"]
    page = published.get(f"/mesa/{MESA}").text
    assert f"/blobs/{sha}/preview.jpg" in page and "aceptada" in page and ">200<" in page
    proof = _proof(published)
    assert proof["tree_size"] > proof["seq"] and proof["proof"] and "testigo.local" in proof["checkpoint"]
    image = published.get(f"/blobs/{sha}/preview.jpg")
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    assert "immutable" in image.headers["cache-control"] and "sandbox" in image.headers["content-security-policy"]


def _proof(client: TestClient) -> dict[str, Any]:
    """The proof against a checkpoint covering both uploads (the server signs one every 0.2 s in the tests)."""
    for _ in range(50):
        response = client.get(f"/api/v1/mesas/{MESA}/proof")
        if response.status_code == 200 and response.json()["tree_size"] == 2:
            return response.json()  # type: ignore[no-any-return]
        time.sleep(0.1)
    raise AssertionError(response.text)


def test_public_pages_and_api_never_reveal_who_uploaded(published: TestClient) -> None:
    paths = [
        "/",
        f"/area/{CENTER}",
        f"/mesa/{MESA}",
        "/api/v1/results?level=mesa",
        f"/api/v1/mesas/{MESA}",
        f"/api/v1/areas/{CENTER}",
        "/api/v1/downloads/mesa.csv",
        "/downloads",
        f"/search?q={CENTER}",
    ]
    for path in paths:
        body = published.get(path).text
        assert "juana" not in body.lower(), path
    _proof(published)
    assert "juana" not in published.get(f"/api/v1/mesas/{MESA}/proof").text.lower()


def test_unreadable_photos_are_for_reviewers_only(published: TestClient, web_store: Store) -> None:
    with web_store.sessions() as session:
        [line] = reviews.unreadable_queue(session, reviewer_id=0).items
    assert published.get(f"/blobs/{line.sha256}").status_code == 404
    assert published.get(f"/blobs/{line.sha256}/full.jpg").status_code == 404
    log_in(published, web_store, "rev", accounts.REVIEWER)
    private = published.get(f"/blobs/{line.sha256}/full.jpg")
    assert private.status_code == 200 and private.headers["cache-control"] == "private, no-store"
    assert published.get(f"/blobs/{line.sha256}").status_code == 403  # the original: admins only


def test_public_answers_are_cacheable_and_revalidate_with_etags(published: TestClient) -> None:
    for path in ("/", f"/mesa/{MESA}", "/api/v1/results?level=state", f"/api/v1/mesas/{MESA}"):
        first = published.get(path)
        assert first.headers["cache-control"].startswith("public, max-age=")
        assert "set-cookie" not in first.headers
        again = published.get(path, headers={"If-None-Match": first.headers["etag"]})
        assert again.status_code == 304 and not again.content, path


def test_english_is_available_and_both_catalogs_have_the_same_messages(published: TestClient) -> None:
    page = published.get("/?lang=en").text
    assert "National results" in page and 'href="/area/' in page and "?lang=en" in page
    assert published.get("/?lang=en").headers["etag"] != published.get("/").headers["etag"]
    keys = [set(catalog(language)) for language in LANGUAGES]
    assert all(k == keys[0] for k in keys)


def test_search_by_center_name_or_code(published: TestClient) -> None:
    by_code = published.get(f"/api/v1/search?q={CENTER}").json()["centers"]
    assert [c["id"] for c in by_code] == [CENTER]
    name = by_code[0]["name"]
    by_name = published.get("/api/v1/search", params={"q": name.lower()}).json()["centers"]
    assert CENTER in [c["id"] for c in by_name]
    assert name in published.get("/search", params={"q": name}).text


def test_downloads_give_every_level_as_csv(published: TestClient) -> None:
    rows = list(csv.DictReader(io.StringIO(published.get("/api/v1/downloads/mesa.csv").text)))
    assert [r["id"] for r in rows] == [f"{MESA}.1.0001"] and rows[0]["card_36"] == "200"
    states = published.get("/api/v1/downloads/state.csv")
    assert "attachment" in states.headers["content-disposition"] and STATE in states.text
    assert published.get("/api/v1/downloads/planet.csv").status_code == 404
    checkpoint = published.get("/api/v1/log/checkpoint").json()
    assert checkpoint["note"].startswith(checkpoint["verifier_key"].split("+")[0])


def test_user_content_is_escaped(client: TestClient, web_store: Store) -> None:
    log_in(client, web_store, "boss", accounts.ADMIN)
    csrf = log_in(client, web_store, "boss2", accounts.ADMIN)
    client.post(
        "/api/v1/admin/invitations",
        json={"role": "volunteer", "note": "<script>alert(1)</script>"},
        headers={"X-CSRF-Token": csrf},
    )
    page = client.get("/admin").text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    search = client.get("/search", params={"q": '"><img src=x onerror=alert(1)>'}).text
    assert "<img src=x" not in search


def test_every_response_carries_the_security_headers(client: TestClient) -> None:
    headers = client.get("/").headers
    assert "script-src 'self' 'wasm-unsafe-eval'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY"


def test_the_api_is_described_by_openapi(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    for path in (
        "/api/v1/uploads",
        "/api/v1/results",
        "/api/v1/mesas/{mesa_id}/proof",
        "/api/v1/review/queue",
        "/api/v1/admin/users",
    ):
        assert path in spec["paths"], path
    assert client.get("/docs").status_code == 404  # Swagger UI would load from a CDN
    assert json.dumps(spec).count("cdn.") == 0


def test_the_map_draws_every_state_of_the_registry_from_a_small_shipped_file(web_store: Store) -> None:
    shapes, _height = geo.shapes()
    states = {a.id for a in web_store.registry.areas.values() if a.level == "state"}
    assert states <= {s.state_id for s in shapes}
    assert geo.SHAPES_FILE.stat().st_size < 300_000


def test_front_end_assets_are_vendored_small_and_never_from_a_cdn() -> None:
    vendor = STATIC / "vendor"
    assert sum(p.stat().st_size for p in vendor.iterdir()) < 3_000_000
    assert (vendor / "zxing_reader.wasm").read_bytes()[:4] == b"\0asm"
    ours = [*TEMPLATES.glob("*.html"), *(STATIC / "app").iterdir()]
    for path in ours:
        text = path.read_text(encoding="utf-8")
        assert "//cdn" not in text and "jsdelivr" not in text and "unpkg" not in text, path


def test_private_json_is_never_stored_and_https_answers_carry_hsts(client: TestClient, web_store: Store) -> None:
    csrf = log_in(client, web_store, "boss", accounts.ADMIN)
    for path in ("/api/v1/review/queue", "/api/v1/admin/users", "/api/v1/admin/uploads", "/api/v1/admin/actions"):
        response = client.get(path)
        assert response.status_code == 200 and response.headers["cache-control"] == "no-store", path
    refused = client.post("/api/v1/admin/invitations", json={"role": "nobody"}, headers={"X-CSRF-Token": csrf})
    assert refused.status_code == 422 and refused.headers["cache-control"] == "no-store"
    assert client.get("/").headers["strict-transport-security"].startswith("max-age=")
    plain = TestClient(client.app, base_url="http://testserver")
    assert "strict-transport-security" not in plain.get("/").headers


def test_search_finds_a_center_code_without_its_leading_zero_and_a_mesa_or_acta_id(published: TestClient) -> None:
    assert CENTER.startswith("0")
    by_short_code = published.get(f"/api/v1/search?q={CENTER[1:]}").json()
    assert by_short_code["centers"][0]["id"] == CENTER
    number = MESA.split(".")[1]
    for typed in (MESA, f"{MESA}.1.0001", f"{CENTER[1:]}.{int(number)}"):
        found = published.get("/api/v1/search", params={"q": typed}).json()
        assert [m["id"] for m in found["mesas"]] == [MESA] and [c["id"] for c in found["centers"]] == [CENTER], typed
    assert f'href="/mesa/{MESA}"' in published.get("/search", params={"q": f"{MESA}.1.0001"}).text


def test_openapi_documents_the_upload_body_and_how_to_authenticate(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    schemes = spec["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} == {"http", "apiKey"}
    assert any(s.get("in") == "cookie" and s["name"] == "testigo_session" for s in schemes.values())
    upload = spec["paths"]["/api/v1/uploads"]["post"]
    body = upload["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert body["properties"]["file"]["format"] == "binary" and "file" in body["required"]
    assert upload["security"] and spec["paths"]["/api/v1/admin/users"]["get"]["security"]
    assert "security" not in spec["paths"]["/api/v1/results"]["get"]


def test_the_bound_leads_the_pages_and_the_area_api(published: TestClient) -> None:
    """One acta of 30,026: nothing is decided, and the page says by how much with the arithmetic."""
    registered = get_profile("ve2024").load_registry().mesas[MESA].registered
    assert registered is not None
    voters = 21_392_464 - registered  # the contest's roll less the one counted mesa's voters
    bound = published.get("/api/v1/areas").json()["bounds"]
    assert bound["counted"]["gonzalez"] == 200 and bound["counted"]["maduro"] == 100
    assert (bound["leader"], bound["runner_up"], bound["mesas_missing"]) == ("gonzalez", "maduro", 30_025)
    assert bound["registered"]["voters"] == voters and not bound["registered"]["decided"]
    assert bound["registered"]["margin"] == 100 - voters
    assert bound["registered"]["scenarios"]["maduro"]["leader"] == "maduro"
    page = published.get("/").text
    assert page.index("Lo que las mesas faltantes podrían cambiar") < page.index("Cuánto está contado")
    spanish = f"{voters:,}".replace(",", ".")
    assert (
        f"No decidido: si las 30.025 mesas faltantes ({spanish} electores inscritos) votaran solo por Nicolás "
        f"Maduro, Nicolás Maduro quedaría adelante por {f'{voters - 100:,}'.replace(',', '.')}."
    ) in page
    assert f"Nicolás Maduro: 100 contados + {spanish} electores inscritos faltantes" in page
    state = published.get(f"/area/{STATE}?lang=en").text
    assert "voters of the roll the registry does not place" in state
