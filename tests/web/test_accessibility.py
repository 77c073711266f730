"""Accessibility: axe-core (vendored from npm, tests/web/vendor) finds no serious or critical violation on any public,
volunteer or reviewer page, in Chromium at a phone's size.

axe is injected as a script, which the site's Content-Security-Policy would refuse: these pages are opened with
the policy bypassed (the pages themselves never load it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from testigo.store import reviews
from testigo.store.workspace import Store
from testigo.web import accounts
from tests.conftest import small_mesas
from tests.web.conftest import acta_png, blank_png
from tests.web.printed_sheets import machine_read_sheet, mismatched_sheet
from tests.web.test_browser import (  # noqa: F401 - fixtures, used by name
    _ingest,
    _log_in,
    chromium,
    open_page,
    server,
)

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
#: What fails the check: axe's two highest impacts. Moderate and minor findings are reported, not failed.
FAILING = ("serious", "critical")
RUN_AXE = """async () => {
  const result = await axe.run(document, { resultTypes: ["violations"],
    runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] } });
  return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }));
}"""


def _violations(page: Any, path: str) -> list[dict[str, Any]]:
    page.goto(path)
    page.wait_for_load_state("networkidle")
    page.add_script_tag(path=str(AXE))
    found: list[dict[str, Any]] = page.evaluate(RUN_AXE)
    return [{**v, "page": path} for v in found]


def _serious(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [v for v in found if v["impact"] in FAILING]


def test_public_pages_have_no_serious_accessibility_violation(open_page: Any, web_store: Store) -> None:  # noqa: F811
    first, second = small_mesas(2)
    _ingest(web_store, "a.png", acta_png(first))
    _ingest(web_store, "b.png", acta_png(first, gonzalez=1))
    _ingest(web_store, "c.png", acta_png(second))
    center = first.split(".")[0]
    page = open_page(bypass_csp=True)
    found: list[dict[str, Any]] = []
    for path in (
        "/",
        "/?lang=en",
        f"/area/{first[:2]}",
        f"/area/{center}",
        f"/mesa/{first}",
        f"/mesa/{second}?lang=en",
        "/search?q=escuela",
        "/downloads",
        "/login",
        "/no/such/page",
    ):
        found += _violations(page, path)
    assert not _serious(found), _serious(found)


def test_volunteer_and_reviewer_pages_have_no_serious_accessibility_violation(
    open_page: Any,  # noqa: F811
    web_store: Store,
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect

    mesa = small_mesas(1)[0]
    invitation = accounts.invite(web_store, accounts.VOLUNTEER)
    page = open_page(bypass_csp=True)
    found = _violations(page, f"/invite/{invitation}")
    _log_in(page, web_store, "juana", accounts.VOLUNTEER, "/upload")
    (tmp_path / "a.png").write_bytes(acta_png(mesa))
    (tmp_path / "b.png").write_bytes(blank_png())
    for n, name in enumerate(("a.png", "b.png"), start=1):  # the page with outcomes in its list
        page.set_input_files("#photo", str(tmp_path / name))
        expect(page.locator("#queue li.confirmed:not(.outcome-pending)")).to_have_count(n)
    page.add_script_tag(path=str(AXE))
    found += [{**v, "page": "/upload (after uploads)"} for v in page.evaluate(RUN_AXE)]
    found += _violations(page, "/upload")
    found += _violations(page, "/account")

    _ingest(web_store, "c.png", acta_png(mesa, gonzalez=1))
    _ingest(web_store, "blurred.png", blank_png(side=301))
    with web_store.sessions() as session:
        line = reviews.unreadable_queue(session, 0).items[0]
    mismatch, _ = mismatched_sheet(web_store, small_mesas(2)[1])
    counts = [0] * 38
    counts[0], counts[35] = 117, 240
    machine = machine_read_sheet(web_store, small_mesas(3)[2], counts, 3)
    reviewer = open_page(bypass_csp=True)
    _log_in(reviewer, web_store, "rita", accounts.REVIEWER, "/review")
    for path in (
        "/review",
        f"/review/unreadable/{line.item_id}",
        f"/review/conflicts/{mesa}",
        f"/review/mismatch/{mismatch}",
        f"/review/unreadable/{machine}",
    ):
        found += _violations(reviewer, path)
    admin = open_page(bypass_csp=True)
    _log_in(admin, web_store, "boss", accounts.ADMIN, "/admin")
    found += _violations(admin, "/admin")
    found += _violations(admin, "/admin/reviewers")
    assert not _serious(found), _serious(found)
