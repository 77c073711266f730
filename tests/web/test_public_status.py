"""A public page that cannot be misread: coverage first, as of when, what is not counted, where figures come from."""

from __future__ import annotations

import time
from collections.abc import Callable

from fastapi.testclient import TestClient

from testigo.capture import Incoming
from testigo.ledger.entries import WEB_CHANNEL
from testigo.pipeline.ingest import ingest_files, register_incoming
from testigo.store.db import run_in_transaction
from testigo.store.workspace import Store
from testigo.web import accounts
from testigo.web.decisions import enter_manual
from testigo.web.results import NATIONAL
from tests.conftest import small_mesas
from tests.web.conftest import PASSWORD, acta_png, blank_png


def _ingest(store: Store, name: str, data: bytes) -> None:
    ingest_files(store, [Incoming(f"test:{name}", name, data)], workers=1)


def _still_being_read(store: Store) -> None:
    """An arrival stored but not read yet (what an upload is until a decoder gets to it)."""
    with store.sessions() as session:
        run_in_transaction(
            session,
            lambda: register_incoming(
                store, session, Incoming("web:1:x", "x.png", blank_png(side=333)), WEB_CHANNEL, "v"
            ),
        )


def test_the_national_page_leads_with_coverage_as_of_and_what_is_not_counted(
    client: TestClient, web_store: Store
) -> None:
    first, second, third = small_mesas(3)
    _ingest(web_store, "a.png", acta_png(first, gonzalez=200))
    _ingest(web_store, "b.png", acta_png(first, gonzalez=150))  # a conflict
    _ingest(web_store, "c.png", acta_png(second))
    _ingest(web_store, "blurred.png", blank_png())  # awaiting transcription
    _still_being_read(web_store)
    page = client.get("/").text
    coverage, votes = page.index('id="coverage"'), page.index('class="votes"')
    assert coverage < votes  # coverage before any share
    lead = page[coverage:votes]
    mesas = len(web_store.registry.mesas)
    assert f"2 de {mesas:,}".replace(",", ".") in lead and "del registro" in lead
    assert "30.026 mesas del país" in lead and "Dos denominadores" in lead
    assert "electores inscritos" in lead
    assert "Cifras al " in lead and " UTC" in lead
    assert '<li id="in-conflict"><b>1</b>' in lead
    assert '<li id="awaiting-transcription"><b>1</b>' in lead
    assert '<li id="being-read"><b>1</b>' in lead
    assert '<li id="awaiting-finding"><b>0</b> actas cuyas cifras impresas difieren' in lead
    assert "No los publique como resultado" in lead  # 2 mesas of thousands: loudly not a result
    assert "Mapa de cobertura" in page and page.index("Mapa de cobertura") < page.index("Mapa por estado")
    status = client.get("/api/v1/areas").json()["status"]
    assert status["conflicts"] == 1 and status["awaiting_transcription"] == 1 and status["being_read"] == 1
    assert status["awaiting_finding"] == 0
    assert status["mesas_covered"] == 2 and status["mesas_national"] == 30026 and status["as_of"]
    area = client.get(f"/area/{first[:2]}").text
    assert 'id="coverage"' in area and "para todo el país" in area and "Cifras al " in area
    _ = third


def test_hand_typed_and_imported_figures_are_labelled_and_the_footer_says_so(
    client: TestClient, web_store: Store
) -> None:
    first, second = small_mesas(2)
    _ingest(web_store, "a.png", acta_png(first))
    _ingest(web_store, "blurred.png", blank_png())
    ana, bea = (
        accounts.accept_invitation(web_store, accounts.invite(web_store, accounts.REVIEWER), name, PASSWORD)
        for name in ("ana", "bea")
    )
    from testigo.store import reviews

    with web_store.sessions() as session:
        [line] = reviews.unreadable_queue(session, 0).items
    for who in (ana, bea):
        enter_manual(web_store, b"s" * 32, who, line.item_id, second, [1] * 38, 0)
    page = client.get("/").text
    assert "1 actas leídas del código QR" in page and "1 transcritas a mano" in page
    assert "transcrita por dos revisores" in page and "importada de una tabla" in page  # the footer
    assert "Cada cifra viene de una foto" not in page
    mesa = client.get(f"/mesa/{second}").text
    assert "transcrita por dos revisores" in mesa


def test_figures_follow_new_uploads_without_anyone_asking(
    make_client: Callable[..., TestClient], web_store: Store
) -> None:
    client = make_client(results_refresh_seconds=0.2)
    before = client.get("/api/v1/areas").json()["status"]["mesas_covered"]
    results = client.app.state.web.results  # type: ignore[attr-defined]

    def held_covered() -> int:  # what the refresher holds, read without a visit (which could refresh it)
        return int(results.held.coverage[NATIONAL].mesas_covered)

    _ingest(web_store, "a.png", acta_png(small_mesas(1)[0]))
    deadline = time.monotonic() + 60  # a refresh takes ~0.8 s here, several times that on a loaded machine
    # not merely a new version: one refresh may land between the upload's arrival and its acceptance
    while held_covered() == before and time.monotonic() < deadline:
        time.sleep(0.1)  # nobody visits meanwhile: the refresher alone must see the upload
    assert client.get("/api/v1/areas").json()["status"]["mesas_covered"] == before + 1
    assert "stale-while-revalidate" not in client.get("/").headers["cache-control"]
