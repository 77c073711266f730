"""Smaller defects of a review, each pinned: huge numbers, languages kept, limits said right, headers everywhere."""

from __future__ import annotations

import io

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image
from typer.testing import CliRunner

from testigo.cli import app as cli_app
from testigo.store.workspace import Store
from testigo.web import accounts
from testigo.web.render import link, megabytes
from tests.web.conftest import add_account, log_in

SECURITY_HEADERS = ("x-content-type-options", "referrer-policy", "x-frame-options", "content-security-policy")


def _has_security_headers(response: object) -> bool:
    headers = response.headers  # type: ignore[attr-defined]
    return all(name in headers for name in SECURITY_HEADERS)


@pytest.mark.parametrize(
    "path",
    [
        "/review?unreadable_from=99999999999999999999999",
        "/review?conflicts_from=99999999999999999999999",
        "/review?flagged_from=9223372036854775808",
        "/review/unreadable/99999999999999999999999",
        "/review/flagged/9223372036854775808",
        "/api/v1/review/queue?offset=99999999999999999999999",
        "/review/unreadable/2147483648",
    ],
)
def test_huge_numbers_are_refused_or_empty_never_a_server_error(
    client: TestClient, web_store: Store, path: str
) -> None:
    log_in(client, web_store, "rev", accounts.REVIEWER)
    answer = client.get(path)
    assert answer.status_code in (200, 404, 422), answer.text
    if not path.startswith("/api/"):
        assert answer.headers["content-type"].startswith("text/html")


def test_an_admin_cannot_block_themself_and_the_command_line_can_unblock(client: TestClient, web_store: Store) -> None:
    csrf = log_in(client, web_store, "boss", accounts.ADMIN)
    refused = client.post("/api/v1/admin/users/boss/restrict", json={"blocked": True}, headers={"X-CSRF-Token": csrf})
    assert refused.status_code == 422
    assert not accounts.find_account(web_store, "boss").blocked
    add_account(web_store, "other", accounts.ADMIN)
    accounts.restrict(web_store, "boss", blocked=True, uploads_per_hour=None)
    folder = str(web_store.workspace.root)
    result = CliRunner().invoke(cli_app, ["user", "unblock", "boss", "--workspace", folder, "--json"])
    assert result.exit_code == 0, result.output
    assert not accounts.find_account(web_store, "boss").blocked
    result = CliRunner().invoke(cli_app, ["user", "block", "other", "--workspace", folder])
    assert result.exit_code == 0 and accounts.find_account(web_store, "other").blocked


def test_english_visitors_are_sent_to_the_english_login_page_and_come_back_in_english(
    client: TestClient, web_store: Store
) -> None:
    page = client.get("/review?lang=en&x=1", follow_redirects=False)
    assert page.status_code == 303
    login = client.get(page.headers["location"])
    assert 'lang="en"' in login.text and "Log in" in login.text
    assert link("en", "/review?x=1") == "/review?x=1&lang=en"
    assert link("es", "/review?x=1&lang=en") == "/review?x=1"
    assert link("en", "/review?x=1#unreadable", y=2) == "/review?x=1&y=2&lang=en#unreadable"


def test_a_pixel_bomb_is_named_without_an_absurd_figure(client: TestClient, web_store: Store) -> None:
    csrf = log_in(client, web_store, "vol", accounts.VOLUNTEER)
    out = io.BytesIO()
    Image.new("1", (20000, 20000)).save(out, "PNG")  # 400 megapixels, a few KB: Pillow calls it a bomb
    answer = client.post(
        "/api/v1/uploads?lang=en",
        files={"file": ("bomb.png", out.getvalue(), "image/png")},
        headers={"X-CSRF-Token": csrf},
    )
    assert answer.status_code == 413
    detail = answer.json()["detail"]
    assert "1099512" not in detail and ("400 megapixels" in detail or "decompression bomb" in detail), detail


def test_the_size_limit_is_said_as_the_docs_say_it(client: TestClient) -> None:
    assert megabytes(20_000_000) == "20 MB" and megabytes(1024 * 1024) == "1 MB"
    answer = client.post(
        "/api/v1/uploads?lang=en", content=b"x", headers={"Content-Length": "30000000", "Content-Type": "a/b"}
    )
    assert answer.status_code == 413 and "20 MB" in answer.json()["detail"]
    assert _has_security_headers(answer)


def test_a_server_error_has_the_security_headers_and_no_details() -> None:
    from testigo.web.app import SecurityHeaders

    inner = FastAPI()

    @inner.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret path /srv/testigo")

    inner.add_middleware(SecurityHeaders)
    answer = TestClient(inner, raise_server_exceptions=False).get("/boom")
    assert answer.status_code == 500 and _has_security_headers(answer)
    assert "secret" not in answer.text


def test_a_bad_api_token_on_a_page_is_a_401_page_not_a_server_error(client: TestClient) -> None:
    answer = client.get("/account", headers={"Authorization": "Bearer junk"})
    assert answer.status_code == 401 and answer.headers["content-type"].startswith("text/html")
    assert _has_security_headers(answer)


def test_unknown_urls_get_the_site_error_page_in_the_visitors_language(client: TestClient) -> None:
    spanish = client.get("/no/such/page")
    assert spanish.status_code == 404 and spanish.headers["content-type"].startswith("text/html")
    assert "No hay ninguna página" in spanish.text and '{"detail"' not in spanish.text
    english = client.get("/no/such/page?lang=en")
    assert "There is no page" in english.text and 'lang="en"' in english.text
    assert _has_security_headers(english)
    assert client.get("/api/v1/no-such").json() == {"detail": "Not Found"}  # the API keeps JSON


def test_every_page_has_a_skip_link_and_the_map_links_are_not_hidden_in_an_image(client: TestClient) -> None:
    page = client.get("/").text
    assert 'href="#main"' in page and 'id="main"' in page
    maps = [tag.split(">")[0] for tag in page.split('<svg class="map"')[1:]]
    assert maps and all('role="group"' in tag and 'role="img"' not in tag for tag in maps)
