"""What backs each acta's figures, said alike on the mesa page, in its JSON and in the results' count by source."""

from __future__ import annotations

from fastapi.testclient import TestClient

from testigo.domain.printed import CERTAIN
from testigo.pipeline.reconcile import settle_record
from testigo.store import reviews
from testigo.store.workspace import Store
from testigo.web import accounts
from testigo.web.decisions import enter_manual, resolve_mismatch
from testigo.web.mesa import mesa_view
from tests.conftest import small_mesas
from tests.web.conftest import PASSWORD, acta_png, blank_png
from tests.web.printed_sheets import confirmed_sheet, machine_read_sheet, mismatched_sheet
from tests.web.test_decisions import _ingest

SECRET = b"s" * 32


def _counts() -> list[int]:
    counts = [0] * 38
    counts[0], counts[35] = 117, 240
    return counts


def test_each_source_of_an_acta_is_named_on_its_page_and_counted_on_the_results(
    client: TestClient, web_store: Store
) -> None:
    qr, confirmed, misread, alone, reviewers, with_print, imported = small_mesas(7)
    ana, bea = (
        accounts.accept_invitation(web_store, accounts.invite(web_store, accounts.REVIEWER), name, PASSWORD)
        for name in ("ana", "bea")
    )
    _ingest(web_store, "qr.png", acta_png(qr))
    confirmed_sheet(web_store, confirmed)
    item, _ = mismatched_sheet(web_store, misread)
    resolve_mismatch(web_store, SECRET, ana, item, "misread", "the print shows the code's figures")
    machine_read_sheet(web_store, alone, _counts(), 3, outcome=CERTAIN)
    _ingest(web_store, "blurred.png", blank_png())
    with web_store.sessions() as session:
        [line] = reviews.unreadable_queue(session, 0).items
    for reviewer in (ana, bea):
        enter_manual(web_store, SECRET, reviewer, line.item_id, reviewers, _counts(), 3)
    typed = machine_read_sheet(web_store, with_print, _counts(), 3)
    enter_manual(web_store, SECRET, ana, typed, with_print, _counts(), 3)
    with web_store.sessions.begin() as session:
        record = web_store.profile.record_from_counts(imported, _counts(), 3)
        settle_record(session, web_store.profile, web_store.registry, record, source="import")

    expected = {
        qr: ("qr", "leída del código QR"),
        confirmed: ("qr_print", "leída del código QR, confirmada por la impresión"),
        misread: ("qr_reviewer", "leída del código QR; un revisor constató que la impresión dice lo mismo"),
        alone: ("print", "leída de la impresión (sin código QR)"),
        reviewers: ("reviewers", "transcrita por dos revisores"),
        with_print: ("reviewer_print", "transcrita por un revisor y coincidente con la lectura de la impresión"),
        imported: ("import", "importada"),
    }
    for mesa, (backing, text) in expected.items():
        view = mesa_view(web_store, mesa)
        assert view is not None and view.accepted is not None and view.accepted.backing == backing, mesa
        assert client.get(f"/api/v1/mesas/{mesa}").json()["accepted"]["backing"] == backing
        assert f"De dónde vienen estas cifras: <b>{text}</b>" in client.get(f"/mesa/{mesa}").text
    sources = client.get("/").text
    assert (
        "3 actas leídas del código QR de una foto, 1 leídas de la impresión de una foto sin código, "
        "1 transcritas a mano por dos revisores, 1 transcritas por un revisor y coincidentes con la lectura de la "
        "impresión, 1 importadas de una tabla"
    ) in sources
