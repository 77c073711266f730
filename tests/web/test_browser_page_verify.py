"""'Verify this page' in a real browser (Chromium): a published bundle checked by its own pages.

The bundle is opened from ``file://`` (a USB stick: no fetch, images picked
by the reader) and from a static server on a loopback port (any static host:
images fetched and hashed). An intact bundle passes; a copy with one changed
figure, one changed image, a forged checkpoint, a log key swapped by a
forger, or a damaged cosignature fails with the problem named.
"""

from __future__ import annotations

import base64
import json
import shutil
import threading
from collections.abc import Callable, Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from testigo.capture import Incoming
from testigo.ledger import Cosigner, Note, Signer, parse_note
from testigo.pipeline.ingest import ingest_files
from testigo.publish import publish
from testigo.publish.layout import LOG_SCRIPT, MESAS_JSON, WITNESSES, page_path
from testigo.store.workspace import init_workspace
from testigo.witness.roster import add_to_roster, parse_entry
from tests.conftest import payload_for, small_mesas
from tests.publish.bundles import FIRST, Published, copy_of, shared
from tests.web.conftest import qr_png
from tests.web.test_browser import TIMEOUT_MS, chromium  # noqa: F401 - fixture, used by name
from tests.witness.servers import ServedWitness

pytestmark = pytest.mark.browser

_LOG_PREFIX = "window.testigoLog = "


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        """No access log on the test's output."""


class StaticServer:
    """A folder served by Python's http.server on a free loopback port: any static host, no testigo."""

    def __init__(self, folder: Path) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(folder)))
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> StaticServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=30)


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Published:
    return shared(tmp_path_factory)


@pytest.fixture
def browser_page(chromium: Any) -> Iterator[Any]:  # noqa: F811 - the imported fixture, by name
    """A fresh page that records every address it asks for (none may leave the bundle's host)."""
    context = chromium.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.requested = []
    page.on("request", lambda request: page.requested.append(request.url))
    yield page
    context.close()


def _mesa_row(bundle: Path) -> dict[str, Any]:
    """A mesa logged before the first checkpoint: its proof is against an older checkpoint than the latest."""
    rows = json.loads((bundle / MESAS_JSON).read_text(encoding="utf-8"))["mesas"]
    return next(row for row in rows if row["log_entry"] < FIRST and row["images"])


def _verify(page: Any, url: str, *, key: str = "", witnesses: str = "", files: tuple[Path, ...] = ()) -> Any:
    """Open `url`, fill in what the reader gives, press the button; the outcome and every check line."""
    page.goto(url)
    page.fill(".verify-key", key)
    page.fill(".verify-witnesses", witnesses)
    if files:
        page.set_input_files(".verify-files", [str(f) for f in files])
    page.click(".verify-run")
    page.wait_for_function("['pass', 'fail'].includes(document.querySelector('section.verify').dataset.outcome)")
    outcome = page.get_attribute("section.verify", "data-outcome")
    checks = page.eval_on_selector_all(".verify-checks li", "items => items.map(i => [i.dataset.state, i.textContent])")
    return outcome, [(state, text[2:]) for state, text in checks]


def _states(checks: list[tuple[str, str]], start: str) -> list[str]:
    return [state for state, text in checks if text.startswith(start)]


def _edit_log_script(bundle: Path, change: Callable[[dict[str, Any]], None]) -> None:
    path = bundle / LOG_SCRIPT
    text = path.read_text(encoding="utf-8")
    data = json.loads(text.removeprefix(_LOG_PREFIX).removesuffix(";\n"))
    change(data)
    path.write_text(f"{_LOG_PREFIX}{json.dumps(data)};\n", encoding="utf-8")


def test_an_intact_mesa_page_verifies_from_file(published: Published, browser_page: Any) -> None:
    row = _mesa_row(published.bundle)
    url = (published.bundle / page_path("mesa", row["mesa_id"])).as_uri()
    outcome, checks = _verify(browser_page, url)
    assert outcome == "pass", checks
    assert _states(checks, "signed checkpoint: the log key's Ed25519 signature") == ["ok"]
    assert _states(checks, f"entry #{row['log_entry']}: in the signed log") == ["ok"]
    assert any("consistent with the latest" in text for _, text in checks)
    assert _states(checks, f"figures: every vote figure on screen is the one entry #{row['log_entry']}") == ["ok"]
    assert _states(checks, "log key: the one this bundle names") == ["skip"]
    [image] = row["images"]
    [(state, text)] = [(s, t) for s, t in checks if t.startswith(image)]
    assert state == "skip" and "SHA-256 not checked" in text

    outcome, checks = _verify(browser_page, url, files=(published.bundle / image,))
    assert outcome == "pass", checks
    assert _states(checks, f"{image} (entry #{row['log_entry']}): its SHA-256 is the one the entry logs") == ["ok"]
    assert all(address.startswith("file://") for address in browser_page.requested)

    outcome, checks = _verify(browser_page, (published.bundle / "index.html").as_uri())
    assert outcome == "pass", checks
    assert _states(checks, "figures: the totals of this page are not recomputed here") == ["skip"]


def test_an_intact_mesa_page_verifies_from_a_static_server(published: Published, browser_page: Any) -> None:
    row = _mesa_row(published.bundle)
    with StaticServer(published.bundle) as server:
        outcome, checks = _verify(browser_page, f"{server.url}/{page_path('mesa', row['mesa_id'])}", key=published.key)
        assert all(address.startswith(server.url) for address in browser_page.requested)
    assert outcome == "pass", checks
    assert _states(checks, "log key: the one you gave") == ["ok"]
    [image] = row["images"]
    assert _states(checks, f"{image} (entry #{row['log_entry']}): its SHA-256 is the one the entry logs") == ["ok"]


def _change_a_figure(bundle: Path, row: dict[str, Any], folder: str = "") -> str:
    """One card's votes on the mesa page, one more (`folder`: the contest's, in a bundle of several)."""
    page = bundle / folder / page_path("mesa", row["mesa_id"])
    html = page.read_text(encoding="utf-8")
    cell = '<td class="n" data-figure="card">'
    start = html.index(cell) + len(cell)
    votes = int(html[start : html.index("<", start)])
    page.write_text(html[:start] + str(votes + 1) + html[html.index("<", start) :], encoding="utf-8")
    return f"the page shows {votes + 1}, the entry logs {votes}"


def _change_an_image(bundle: Path, row: dict[str, Any]) -> str:
    [image] = row["images"]
    data = bytearray((bundle / image).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (bundle / image).write_bytes(bytes(data))
    return f"{image} (entry #{row['log_entry']}): its SHA-256 is "


def _forge_a_checkpoint(bundle: Path, row: dict[str, Any]) -> str:
    """The checkpoint the mesa's proof is against, with another root and the log's signature kept."""

    def forge(data: dict[str, Any]) -> None:
        note = data["checkpoints"][str(FIRST)]
        origin, size, _, rest = note.split("\n", 3)
        data["checkpoints"][str(FIRST)] = f"{origin}\n{size}\n{base64.b64encode(bytes(32)).decode()}\n{rest}"

    _edit_log_script(bundle, forge)
    return f"checkpoint of size {FIRST}: the log key's signature does not verify"


def _swap_the_key(bundle: Path, row: dict[str, Any]) -> str:
    """A forger re-signs every checkpoint with a key of the log's name; the reader pastes the real key."""

    def swap(data: dict[str, Any]) -> None:
        origin = data["key"].split("+")[0]
        forger = Signer.generate(origin)
        data["key"] = str(forger.verifier)
        for size, note in data["checkpoints"].items():
            data["checkpoints"][size] = str(Note(parse_note(note).text).sign(forger))

    _edit_log_script(bundle, swap)
    return "the key you gave is not the key this bundle names"


@pytest.mark.parametrize(
    "tamper", [_change_a_figure, _change_an_image, _forge_a_checkpoint, _swap_the_key], ids=lambda f: f.__name__[1:]
)
def test_a_tampered_copy_fails_naming_the_problem(
    published: Published, browser_page: Any, tmp_path: Path, tamper: Callable[[Path, dict[str, Any]], str]
) -> None:
    bundle = copy_of(published, tmp_path)
    row = _mesa_row(bundle)
    problem = tamper(bundle, row)
    with StaticServer(bundle) as server:
        outcome, checks = _verify(browser_page, f"{server.url}/{page_path('mesa', row['mesa_id'])}", key=published.key)
    assert outcome == "fail"
    failed = [text for state, text in checks if state == "fail"]
    assert any(problem in text for text in failed), failed
    assert browser_page.inner_text(".verify-outcome").startswith("NO VERIFICADA / NOT VERIFIED: ")


def test_cosignatures_are_checked_against_the_witness_keys_the_bundle_names(browser_page: Any, tmp_path: Path) -> None:
    store = init_workspace(str(tmp_path / "ws"), "ve2024")
    witness = Cosigner.generate("witness.example/w1")
    [mesa] = small_mesas(1)
    bundle = tmp_path / "bundle"
    try:
        with ServedWitness(witness, {store.signer.name: store.signer.verifier}, tmp_path / "w1") as served:
            add_to_roster(store.workspace, parse_entry(served.url, str(witness.verifier)))
            png = qr_png(payload_for(mesa))
            ingest_files(store, [Incoming(f"test:{mesa}.png", f"{mesa}.png", png)], workers=1)
            publish(store, bundle)
    finally:
        store.close()
    assert (bundle / WITNESSES).read_text(encoding="utf-8") == f"{witness.verifier}\n"
    url = (bundle / page_path("mesa", mesa)).as_uri()
    outcome, checks = _verify(browser_page, url)
    assert outcome == "pass", checks
    named = "witness witness.example/w1 (key this bundle names, not compared with one from elsewhere) cosigned the"
    assert _states(checks, named) == ["ok"]  # the latest checkpoint, which is the entry's too
    assert browser_page.inner_text(".verify-named-witnesses") == str(witness.verifier)

    outcome, checks = _verify(browser_page, url, witnesses=str(witness.verifier))
    assert _states(checks, "witness witness.example/w1 (key you gave) cosigned the latest checkpoint") == ["ok"]

    def damage(data: dict[str, Any]) -> None:
        for size, note in data["checkpoints"].items():
            text, block = note.rsplit("\n\n", 1)
            lines = block.splitlines()
            name, encoded = lines[-1].rsplit(" ", 1)
            raw = bytearray(base64.b64decode(encoded))
            raw[-1] ^= 1
            lines[-1] = f"{name} {base64.b64encode(bytes(raw)).decode()}"
            data["checkpoints"][size] = text + "\n\n" + "\n".join(lines) + "\n"

    damaged = Path(shutil.copytree(bundle, tmp_path / "damaged"))
    _edit_log_script(damaged, damage)
    outcome, checks = _verify(browser_page, (damaged / page_path("mesa", mesa)).as_uri())
    assert outcome == "fail"
    assert "its cosignature on the latest checkpoint does not verify" in browser_page.inner_text(".verify-outcome")
