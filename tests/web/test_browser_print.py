"""The review of printed sheets in a real browser: a mismatch decided side by side with its printed cells, and the
entry form's cell images and live sum warning."""

from __future__ import annotations

from typing import Any

import pytest

from testigo.store.workspace import Store
from testigo.web import accounts
from tests.conftest import small_mesas
from tests.web.printed_sheets import machine_read_sheet, mismatched_sheet
from tests.web.test_browser import (  # noqa: F401 - fixtures, used by name
    _log_in,
    chromium,
    open_page,
    server,
)

pytestmark = pytest.mark.browser

#: Whether an image finished loading with pixels (a broken one has no natural width).
LOADED = "(image) => image.complete && image.naturalWidth > 0"


def _assert_loads(image: Any, what: str) -> None:
    """`image` loads with pixels: scrolled into view (cells load lazily) and waited for until it has loaded or
    failed, for it loads after the page does (looked at at once, on a busy CI machine, it had not yet)."""
    from playwright.sync_api import expect

    image.scroll_into_view_if_needed()
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate(LOADED), f"{what} did not load"


def test_a_reviewer_finds_a_mismatched_print_altered_with_the_differing_cell_in_view(
    open_page: Any,  # noqa: F811
    web_store: Store,
) -> None:
    from playwright.sync_api import expect

    mesa = small_mesas(1)[0]
    item, _ = mismatched_sheet(web_store, mesa, gonzalez=200, printed=290)
    page = open_page()
    _log_in(page, web_store, "rita", accounts.REVIEWER, "/review")
    expect(page.locator("#mismatch")).to_contain_text("(1)")
    page.click(f"a[href='/review/mismatch/{item}']")
    differing = page.locator("#differing li.differs")
    expect(differing).to_have_count(1)
    expect(differing).to_have_attribute("data-field", "card_36")
    expect(differing.locator(".qr")).to_have_text("200")
    expect(differing.locator(".printed")).to_have_text("290")
    cell = differing.locator("img")
    expect(cell).to_have_count(1)
    _assert_loads(cell, "the printed cell")
    _assert_loads(page.locator(".sheet-view img"), "the sheet's photo")
    page.click("details summary")  # every figure, the differing one marked among them
    expect(page.locator("#all-figures tr.differs")).to_have_count(1)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than the phone"
    page.check("input[name=finding][value=altered]")
    page.fill("textarea[name=reason]", "the 290 is printed over a 200")
    page.click("form button:has-text('Decidir')")
    page.wait_for_url("**/review?done=*")
    expect(page.locator("#mismatch + p")).to_contain_text("Nada pendiente")
    page.goto(f"/mesa/{mesa}")
    expect(page.locator("body")).to_contain_text("impresión cotejada con el código QR")
    expect(page.locator("body")).to_contain_text("the 290 is printed over a 200")
    expect(page.locator("body")).to_contain_text("sin acta")  # nothing counts


def test_the_entry_form_shows_printed_cells_and_warns_live_when_the_cards_do_not_add_up(
    open_page: Any,  # noqa: F811
    web_store: Store,
) -> None:
    from playwright.sync_api import expect

    mesa = small_mesas(2)[1]
    counts = [0] * 38
    counts[0], counts[35] = 117, 240
    item = machine_read_sheet(web_store, mesa, counts, 3)
    page = open_page()
    _log_in(page, web_store, "ana", accounts.REVIEWER, f"/review/unreadable/{item}")
    for field in ("mesa", "card_1", "card_36", "null_votes", "valid_votes"):
        images = page.locator(f"label[for=f-{field}] .cells img")
        expect(images).to_have_count(2 if field == "mesa" else 1)
        _assert_loads(images.first, f"the printed cell of {field}")
    warning = page.locator("#total-warning")
    page.fill("input[name=mesa]", mesa)
    for card, votes in enumerate(counts, start=1):
        page.fill(f"input[name=card_{card}]", str(votes))
    page.fill("input[name=null_votes]", "3")
    page.fill("input[name=valid_votes]", "375")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("suman 357, no los 375 votos válidos impresos")
    page.fill("input[name=valid_votes]", "357")
    expect(warning).to_be_hidden()
    page.fill("input[name=card_36]", "258")  # the reviewer's typo: the sum no longer holds
    expect(warning).to_contain_text("suman 375, no los 357")
    page.fill("input[name=card_36]", "240")
    page.fill("input[name=valid_votes]", "375")  # the total misread, the cards right: saved, with the warning
    page.click("form.manual button")
    expect(page.locator("main")).to_contain_text("coincide con la lectura de la impresión hecha por la máquina")
    expect(page.locator("#total-warning")).to_contain_text("suman 357, no los 375")
    page.goto(f"/mesa/{mesa}")
    expect(page.locator("#backing")).to_contain_text("transcrita por un revisor y coincidente con la lectura")
