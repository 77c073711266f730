"""Witness protection, review and the public page in a real browser (Chromium, a phone's viewport).

Each flow of the issue "Protect the witnesses, make review fast and exact, and
make the public page impossible to misread": what the volunteer sees for each
outcome, the phone left clean after logout, logging out with unsent photos,
reviewer zoom and correction, the public page's coverage and "as of".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from testigo.store import reviews
from testigo.store.schema import SubmissionRow
from testigo.store.workspace import Store
from testigo.web import accounts
from tests.conftest import small_mesas
from tests.web.conftest import PASSWORD, acta_png, blank_png
from tests.web.test_browser import (  # noqa: F401 - fixtures, used by name
    _ingest,
    _log_in,
    _mesa_of,
    chromium,
    open_page,
    photos,
    server,
)

pytestmark = pytest.mark.browser

#: Everything testigo may leave in a browser: IndexedDB databases, Cache Storage, service workers.
TRACES = """async () => ({
  databases: (await indexedDB.databases()).map((d) => d.name).filter((n) => n.startsWith("testigo")),
  caches: await caches.keys(),
  workers: (await navigator.serviceWorker.getRegistrations()).length,
})"""
#: What the account's queue holds right now (every item: unsent photos only).
QUEUE = """async (account) => await new Promise((resolve) => {
  const open = indexedDB.open("testigo-uploads-" + account);
  open.onsuccess = () => {
    const db = open.result;
    if (!db.objectStoreNames.contains("queue")) { db.close(); resolve([]); return; }
    const all = db.transaction("queue").objectStore("queue").getAll();
    all.onsuccess = () => { db.close(); resolve(all.result.map((i) => ({ state: i.state, sha: i.sha256 }))); };
  };
})"""


def _write(tmp: Path, name: str, data: bytes) -> str:
    path = tmp / name
    path.write_bytes(data)
    return str(path)


def _account_id(store: Store, username: str) -> int:
    return accounts.find_account(store, username).id


def test_each_outcome_has_its_own_look_and_next_step(
    open_page: Any,  # noqa: F811
    web_store: Store,
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect

    mesa = small_mesas(1)[0]
    page = open_page()
    _log_in(page, web_store, "juana", accounts.VOLUNTEER, "/upload")
    files = [
        _write(tmp_path, "a.png", acta_png(mesa, gonzalez=200)),
        _write(tmp_path, "b.png", blank_png()),
        _write(tmp_path, "c.png", acta_png(mesa, gonzalez=150)),
    ]
    for n, file in enumerate(files, start=1):
        page.set_input_files("#photo", file)
        expect(page.locator("#queue li.confirmed:not(.outcome-pending)")).to_have_count(n)
    expect(page.locator("#queue li.outcome-accepted")).to_have_count(1)
    unreadable = page.locator("#queue li.outcome-unreadable")
    expect(unreadable).to_contain_text("Vuelva a tomar la foto")
    conflict = page.locator("#queue li.outcome-conflict")
    expect(conflict).to_contain_text("un revisor las comparará")
    page.set_input_files("#photo", files[0])  # the same photo again
    expect(page.locator("#queue li.outcome-duplicate")).to_contain_text("no hace falta enviarla otra vez")
    colours = page.evaluate(
        """() => Object.fromEntries(["accepted", "unreadable", "conflict", "duplicate"].map((name) => [name,
        getComputedStyle(document.querySelector("#queue li.outcome-" + name)).borderLeftColor]))"""
    )
    assert len(set(colours.values())) == 4, colours  # never the same green for every outcome
    # the page keeps nothing of the confirmed photos: the queue empties although four lines show (a line can show
    # its outcome a moment before the photo's delete from the queue has completed: a render between the two)
    account = _account_id(web_store, "juana")
    page.wait_for_function(f"async (account) => (await ({QUEUE})(account)).length === 0", arg=account, polling=100)
    assert page.evaluate(QUEUE, account) == []


def test_the_phone_is_left_clean_after_logout(
    open_page: Any,  # noqa: F811
    web_store: Store,
    photos: list[tuple[Path, dict[str, Any]]],  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    photo, _truth = photos[0]
    page = open_page()
    _log_in(page, web_store, "pedro", accounts.VOLUNTEER, "/upload")
    page.wait_for_function("async () => (await caches.keys()).length > 0", polling=200)  # the offline copy
    page.set_input_files("#photo", str(photo))
    expect(page.locator("#queue li.confirmed")).to_have_count(1)
    traces = page.evaluate(TRACES)
    assert traces["databases"] and traces["caches"] and traces["workers"]  # while logged in: kept for offline
    page.click("form.logout button")
    page.wait_for_url("**/")
    expect(page.locator("form.logout")).to_have_count(0)
    assert page.evaluate(TRACES) == {"databases": [], "caches": [], "workers": 0}
    page.goto("/upload")  # nothing cached serves the page, which needs a login again
    expect(page.locator("input[name=username]")).to_be_visible()


def test_logging_out_with_unsent_photos_warns_and_sends_them_first(
    open_page: Any,  # noqa: F811
    web_store: Store,
    photos: list[tuple[Path, dict[str, Any]]],  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    photo, truth = photos[1]
    page = open_page(service_workers="block")
    page.route("**/api/v1/uploads*", lambda route: route.abort())  # the network fails for now
    _log_in(page, web_store, "ana", accounts.VOLUNTEER, "/upload")
    page.set_input_files("#photo", str(photo))
    expect(page.locator("#queue li.queued")).to_have_count(1)
    expect(page.locator("#clear-phone")).to_contain_text("1 foto(s) sin enviar")

    page.click("form.logout button")
    dialog = page.locator("#leave-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("1 foto(s)")
    page.click("#leave-cancel")  # cancel: still logged in, the photo still queued
    expect(dialog).to_be_hidden()
    expect(page.locator("#queue li.queued")).to_have_count(1)

    page.click("form.logout button")
    page.unroute("**/api/v1/uploads*")  # the network is back
    page.click("#leave-send")
    page.wait_for_url("**/")
    with web_store.sessions() as session:
        assert session.query(SubmissionRow).count() == 1  # sent before leaving, under her name
        assert [r.status for r in reviews.records_of_mesa(session, _mesa_of(truth))] == ["accepted"]
    assert page.evaluate(TRACES) == {"databases": [], "caches": [], "workers": 0}


def test_logging_out_elsewhere_with_unsent_photos_can_delete_them_but_never_silently(
    open_page: Any,  # noqa: F811
    web_store: Store,
    photos: list[tuple[Path, dict[str, Any]]],  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    photo, _truth = photos[0]
    page = open_page(service_workers="block")
    page.route("**/api/v1/uploads*", lambda route: route.abort())
    _log_in(page, web_store, "bea", accounts.VOLUNTEER, "/upload")
    page.set_input_files("#photo", str(photo))
    expect(page.locator("#queue li.queued")).to_have_count(1)
    page.goto("/account")  # another page: its logout button is guarded too
    page.click("form.logout button")
    expect(page.locator("#leave-dialog")).to_be_visible()
    page.click("#leave-discard")
    page.wait_for_url("**/")
    assert page.evaluate(TRACES) == {"databases": [], "caches": [], "workers": 0}
    with web_store.sessions() as session:
        assert session.query(SubmissionRow).count() == 0


def test_a_reviewer_zooms_keeps_the_sheet_in_view_and_corrects_an_entry(
    open_page: Any,  # noqa: F811
    web_store: Store,
) -> None:
    from playwright.sync_api import expect

    _ingest(web_store, "blurred.png", blank_png())
    mesa = small_mesas(1)[0]
    right = [0] * 38
    right[0], right[35] = 123, 234
    with web_store.sessions() as session:
        [line] = reviews.unreadable_queue(session, 0).items

    ana = open_page()
    _log_in(ana, web_store, "ana", accounts.REVIEWER, "/review")
    ana.click("a:has-text('Siguiente acta')")
    ana.wait_for_url(f"**/review/unreadable/{line.item_id}")
    image = ana.locator(".zoom img")
    expect(image).to_have_attribute("src", f"/blobs/{line.sha256}/full.jpg")
    width = image.evaluate("img => img.getBoundingClientRect().width")
    ana.click("[data-zoom=in]")
    ana.click("[data-zoom=in]")
    assert image.evaluate("img => img.getBoundingClientRect().width") > 1.9 * width
    # a wrong mesa code keeps every figure typed
    ana.fill("input[name=mesa]", "999999999.99")
    for card, votes in enumerate(right, start=1):
        ana.fill(f"input[name=card_{card}]", str(votes))
    ana.fill("input[name=null_votes]", "2")
    ana.locator("input[name=card_38]").scroll_into_view_if_needed()
    box = ana.locator(".sheet-view").bounding_box()
    assert box is not None and box["y"] >= -1 and box["y"] < 844  # the sheet stays in view while typing
    ana.click("form.manual button")
    expect(ana.locator("p.error")).to_contain_text("999999999.99")
    expect(ana.locator("input[name=card_36]")).to_have_value("234")
    ana.fill("input[name=mesa]", mesa)
    ana.fill("input[name=card_36]", "243")  # a typo
    ana.click("form.manual button")
    expect(ana.locator("main")).to_contain_text("Falta que otro revisor")

    bea = open_page()
    _log_in(bea, web_store, "bea", accounts.REVIEWER, "/review")
    bea.goto(f"/review/unreadable/{line.item_id}")
    expect(bea.locator("input[name=card_36]")).to_have_value("")  # blind: nothing of ana's entry
    bea.fill("input[name=mesa]", mesa)
    for card, votes in enumerate(right, start=1):
        bea.fill(f"input[name=card_{card}]", str(votes))
    bea.fill("input[name=null_votes]", "2")
    bea.click("form.manual button")
    expect(bea.locator("main")).to_contain_text("no coinciden")

    ana.goto(f"/review/unreadable/{line.item_id}")  # she checks again: which field differs is marked
    expect(ana.locator("label.differs input")).to_have_count(1)
    expect(ana.locator("label.differs input[name=card_36]")).to_have_value("243")
    ana.fill("input[name=card_36]", "234")
    ana.click("form.manual button")
    expect(ana.locator("main")).to_contain_text("Dos revisores coinciden")
    ana.goto(f"/mesa/{mesa}")
    expect(ana.locator("table.votes")).to_contain_text("234")


def test_the_public_page_leads_with_coverage_and_the_time_it_is_as_of(
    open_page: Any,  # noqa: F811
    web_store: Store,
) -> None:
    from playwright.sync_api import expect

    first, second = small_mesas(2)
    _ingest(web_store, "a.png", acta_png(first))
    _ingest(web_store, "b.png", acta_png(first, gonzalez=1))
    _ingest(web_store, "blurred.png", blank_png())
    page = open_page()
    page.goto("/")
    coverage = page.locator("#coverage")
    expect(coverage).to_contain_text("del registro")
    expect(coverage).to_contain_text("30.026 mesas del país")
    expect(coverage).to_contain_text("Cifras al")
    expect(page.locator("#in-conflict")).to_contain_text("1")
    expect(page.locator("#awaiting-transcription")).to_contain_text("1")
    expect(coverage.locator(".notice")).to_contain_text("no el resultado")
    top_of = lambda selector: page.locator(selector).first.bounding_box()["y"]  # noqa: E731
    assert top_of("#coverage") < top_of("table.votes") < top_of("svg.map")
    expect(page.locator("#sources")).to_contain_text("1 actas leídas del código QR")
    expect(page.locator("footer")).to_contain_text("transcrita por dos revisores")
    _ = second
    page.goto("/?lang=en")
    expect(page.locator("#coverage")).to_contain_text("Figures as of")
    _ = PASSWORD


def test_the_upload_page_has_a_skip_link_a_focus_ring_and_no_empty_box(
    open_page: Any,  # noqa: F811
    web_store: Store,
) -> None:
    from playwright.sync_api import expect

    page = open_page()
    _log_in(page, web_store, "luz", accounts.VOLUNTEER, "/upload")
    expect(page.locator("#reading")).to_be_hidden()  # no empty box under the main button
    assert page.locator("#reading").bounding_box() is None
    page.keyboard.press("Tab")
    expect(page.locator("a.skip")).to_be_focused()
    assert page.locator("a.skip").bounding_box()["x"] >= 0  # shown when focused
    page.focus("#photo")  # the camera button, reached by keyboard: a visible ring around it
    ring = page.locator("label.camera").evaluate("label => getComputedStyle(label).outlineStyle")
    assert ring == "solid"
    expect(page.locator("text=Tamaño máximo de una foto: 20 MB")).to_be_visible()


def test_on_a_shared_phone_the_previous_accounts_unsent_photos_are_never_dropped_silently(
    open_page: Any,  # noqa: F811
    web_store: Store,
    photos: list[tuple[Path, dict[str, Any]]],  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    photo, _truth = photos[0]
    page = open_page(service_workers="block")
    page.route("**/api/v1/uploads*", lambda route: route.abort())
    _log_in(page, web_store, "carla", accounts.VOLUNTEER, "/upload")
    page.set_input_files("#photo", str(photo))
    expect(page.locator("#queue li.queued")).to_have_count(1)
    page.context.clear_cookies()  # carla's session ends without a logout; dora takes the phone
    page.unroute("**/api/v1/uploads*")
    _log_in(page, web_store, "dora", accounts.VOLUNTEER, "/upload")
    expect(page.locator("#queue-empty")).to_be_visible()  # carla's photo is not dora's to send
    page.click("form.logout button")
    expect(page.locator("#leave-dialog")).to_contain_text("1 foto(s)")
    page.click("#leave-send")  # dora has nothing to send: the phone still holds carla's photo, so it asks again
    expect(page.locator("#leave-dialog")).to_be_visible()
    expect(page.locator("#leave-dialog")).to_contain_text("1 foto(s)")
    page.click("#leave-discard")
    page.wait_for_url("**/")
    assert page.evaluate(TRACES) == {"databases": [], "caches": [], "workers": 0}
    with web_store.sessions() as session:
        assert session.query(SubmissionRow).count() == 0  # never sent under dora's name
