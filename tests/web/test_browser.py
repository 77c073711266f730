"""The pages in a real browser: Playwright driving Debian's Chromium (headless) against a live server.

Covers what only a browser can show: the QR code read on the phone by
zxing-wasm, the IndexedDB queue surviving a reload while offline, and the
review forms used by two people. Every request the pages make must stay on
the server under test: nothing may come from a CDN.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import uvicorn

from testigo.capture import Incoming
from testigo.pipeline.ingest import ingest_files
from testigo.store import reviews
from testigo.store.schema import SubmissionRow
from testigo.store.workspace import Store
from testigo.web import accounts, create_app
from testigo.web.render import number
from tests.conftest import small_mesas
from tests.web.conftest import PASSWORD, acta_png, blank_png, web_settings

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
TIMEOUT_MS = 60_000  # generous: CI machines are slow and shared


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        if os.environ.get("TESTIGO_REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} is missing: the test command installs Debian's chromium")
        pytest.skip(f"no browser at {CHROMIUM} (apt-get install chromium)")
    playwright_api.expect.set_options(timeout=20_000)  # assertions wait as long as a slow shared CI machine needs
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Path, dict[str, Any]]]:
    """Simulated phone photos of actas, each with its truth."""
    from testigo.simulate import simulate

    folder = tmp_path_factory.mktemp("sim")
    truth = json.loads(simulate(folder, 2, seed=41, quality="photo", workers=1).read_text(encoding="utf-8"))
    return [(folder / entry["file"], entry) for entry in truth["files"] if entry["kind"] == "acta"]


class LiveServer:
    """The app served by uvicorn on a free loopback port, in a thread of the test process."""

    def __init__(self, store: Store) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            create_app(store, web_settings(checkpoint_seconds=0.5)),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


@pytest.fixture
def server(web_store: Store) -> Iterator[LiveServer]:
    with LiveServer(web_store) as live:
        yield live


@pytest.fixture
def open_page(chromium: Any, server: LiveServer) -> Iterator[Any]:
    """Opens a phone-sized page in a fresh browser context (one person) that refuses any off-site request."""
    contexts: list[Any] = []
    outside: list[str] = []

    def open_page(**options: Any) -> Any:
        # service_workers="block" for a test that fails the network with page.route: requests of a page a
        # service worker controls bypass the page's routes
        context = chromium.new_context(viewport={"width": 390, "height": 844}, base_url=server.url, **options)
        context.set_default_timeout(TIMEOUT_MS)
        context.on("request", lambda request: _check_local(request.url, outside))
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()
    assert not outside, f"pages requested resources off the site: {outside}"


def _check_local(url: str, outside: list[str]) -> None:
    parsed = urlparse(url)
    if parsed.scheme in ("http", "https", "ws", "wss") and parsed.hostname != "127.0.0.1":
        outside.append(url)


def _log_in(page: Any, store: Store, username: str, role: str, then: str) -> None:
    accounts.accept_invitation(store, accounts.invite(store, role), username, PASSWORD)
    page.goto(f"/login?next={then}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.narrow button")
    page.wait_for_url(f"**{then}")


def _mesa_of(entry: dict[str, Any]) -> str:
    return ".".join(entry["acta_id"].split(".")[:2])


def test_a_volunteer_uploads_a_photo_sees_it_confirmed_and_the_mesa_page_shows_it(
    open_page: Any, web_store: Store, photos: list[tuple[Path, dict[str, Any]]]
) -> None:
    from playwright.sync_api import expect

    photo, truth = photos[0]
    mesa = _mesa_of(truth)
    page = open_page()
    _log_in(page, web_store, "juana", accounts.VOLUNTEER, "/upload")
    page.set_input_files("#photo", str(photo))
    expect(page.locator("#qr-result")).to_contain_text(f"mesa {mesa}")  # read in the phone by zxing-wasm
    confirmed = page.locator("#queue li.confirmed")
    expect(confirmed).to_have_count(1)
    expect(confirmed).to_contain_text("aceptada")
    page.goto(f"/mesa/{mesa}")
    gonzalez = sum(truth["counts"][33:36])
    expect(page.locator("table.votes")).to_contain_text(number("es", gonzalez))
    expect(page.locator(".facts")).to_contain_text("aceptada")


def test_the_offline_queue_survives_a_reload_and_uploads_when_the_network_returns(
    open_page: Any, web_store: Store, photos: list[tuple[Path, dict[str, Any]]]
) -> None:
    from playwright.sync_api import expect

    photo, truth = photos[1]
    page = open_page()
    _log_in(page, web_store, "pedro", accounts.VOLUNTEER, "/upload")
    # the page keeps itself, its scripts, stylesheet and the QR reader's WebAssembly for offline use
    page.wait_for_function(
        "async () => (await (await caches.open('testigo-upload-v1')).keys()).length >= 5", polling=200
    )
    page.evaluate("navigator.serviceWorker.ready")
    page.wait_for_load_state("networkidle")  # the QR reader's WebAssembly is compiled
    page.context.set_offline(True)
    page.set_input_files("#photo", str(photo))
    expect(page.locator("#qr-result")).to_contain_text(f"mesa {_mesa_of(truth)}")  # read with no network
    queued = page.locator("#queue li.queued")
    expect(queued).to_have_count(1)
    expect(page.locator("#network")).to_contain_text("sin conexión")
    page.reload()  # offline: the service worker serves the page, IndexedDB still holds the photo
    expect(page.locator("#queue li.queued")).to_have_count(1)
    with web_store.sessions() as session:
        assert reviews.records_of_mesa(session, _mesa_of(truth)) == []  # nothing reached the server
    page.context.set_offline(False)
    expect(page.locator("#queue li.confirmed")).to_have_count(1)
    with web_store.sessions() as session:
        assert [r.status for r in reviews.records_of_mesa(session, _mesa_of(truth))] == ["accepted"]


def _ingest(store: Store, name: str, data: bytes) -> None:
    ingest_files(store, [Incoming(f"test:{name}", name, data)], workers=1)


def test_a_reviewer_resolves_a_conflict_side_by_side(open_page: Any, web_store: Store) -> None:
    from playwright.sync_api import expect

    mesa = small_mesas(1)[0]
    _ingest(web_store, "first.png", acta_png(mesa, gonzalez=200))
    _ingest(web_store, "second.png", acta_png(mesa, gonzalez=150))
    page = open_page()
    _log_in(page, web_store, "rita", accounts.REVIEWER, "/review")
    page.click(f"a[href='/review/conflicts/{mesa}']")
    versions = page.locator("section.version")
    expect(versions).to_have_count(2)
    expect(page.locator("section.version img")).to_have_count(2)
    page.locator("section.version", has_text="en conflicto").locator("input[type=radio]").check()
    page.fill("textarea[name=reason]", "the printed figures say 150")
    page.click("form button:has-text('Decidir')")
    page.wait_for_url("**/review?done=*")
    expect(page.locator("#conflicts + p")).to_contain_text("Nada pendiente")
    page.goto(f"/mesa/{mesa}")
    expect(page.locator("table.votes")).to_contain_text("150")
    expect(page.locator("body")).to_contain_text("conflicto resuelto")


def test_two_reviewers_double_enter_an_unreadable_acta(open_page: Any, web_store: Store) -> None:
    from playwright.sync_api import expect

    _ingest(web_store, "blurred.png", blank_png())
    mesa = small_mesas(1)[0]
    counts = [0] * 38
    counts[0], counts[35] = 123, 234
    for name, expected in (("ana", "Falta que otro revisor"), ("bea", "Dos revisores coinciden")):
        page = open_page()
        _log_in(page, web_store, name, accounts.REVIEWER, "/review")
        page.click("#unreadable + ul a")
        page.fill("input[name=mesa]", mesa)
        for card, votes in enumerate(counts, start=1):
            page.fill(f"input[name=card_{card}]", str(votes))
        page.fill("input[name=null_votes]", "2")
        page.click("form.manual button")
        expect(page.locator("main")).to_contain_text(expected)
    page.goto(f"/mesa/{mesa}")
    expect(page.locator("table.votes")).to_contain_text("234")
    expect(page.locator("body")).to_contain_text("transcrita por dos revisores")


def test_pages_fit_a_phone_screen(open_page: Any, web_store: Store) -> None:
    mesa = small_mesas(1)[0]
    _ingest(web_store, "one.png", acta_png(mesa))
    page = open_page()
    for path in ("/", f"/area/{mesa[:2]}", f"/mesa/{mesa}", "/search?q=escuela", "/login"):
        page.goto(path)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{path} is {overflow}px wider than the phone"


def test_each_account_on_a_phone_has_its_own_queue_and_too_big_photos_are_refused_at_once(
    open_page: Any, web_store: Store, photos: list[tuple[Path, dict[str, Any]]]
) -> None:
    """A phone passed from one witness to the next must not send the first one's photos under the second's name."""
    from playwright.sync_api import expect

    photo, _truth = photos[0]
    page = open_page(service_workers="block")
    page.route("**/api/v1/uploads*", lambda route: route.abort())  # the server cannot be reached for now
    _log_in(page, web_store, "ana", accounts.VOLUNTEER, "/upload")
    page.set_input_files("#photo", str(photo))
    expect(page.locator("#queue li.queued")).to_have_count(1)
    too_big = {"name": "huge.jpg", "mimeType": "image/jpeg", "buffer": b"\xff" * (20 * 1024 * 1024 + 1)}
    page.set_input_files("#photo", files=[too_big])
    expect(page.locator("#qr-result")).to_contain_text("demasiado grande")
    expect(page.locator("#qr-result")).to_contain_text("el límite es 20 MB")  # as the docs say, not 21.0
    expect(page.locator("#queue li")).to_have_count(1)  # not queued
    page.context.clear_cookies()  # ana leaves; bea logs in on the same phone (same browser storage)
    page.unroute("**/api/v1/uploads*")
    _log_in(page, web_store, "bea", accounts.VOLUNTEER, "/upload")
    expect(page.locator("#queue-empty")).to_be_visible()
    page.wait_for_timeout(1500)
    with web_store.sessions() as session:
        assert session.query(SubmissionRow).count() == 0  # ana's photo was not sent under bea's name
