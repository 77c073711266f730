"""The review pages and JSON API for sheets whose print was read: the mismatch queue and its finding, the printed
cells beside the entry form (blind to the machine's reading), the sum warning, and what backs each acta."""

from __future__ import annotations

import io
import re

from fastapi.testclient import TestClient
from PIL import Image

from testigo.store import reviews
from testigo.store.workspace import Store
from testigo.web import accounts
from testigo.web.decisions import enter_manual
from tests.conftest import small_mesas
from tests.web.conftest import PASSWORD, log_in
from tests.web.printed_sheets import machine_read_sheet, mismatched_sheet

SECRET = b"s" * 32


def _counts(gonzalez: int = 240) -> list[int]:
    counts = [0] * 38
    counts[0], counts[35] = 117, gonzalez
    return counts


def _form(csrf: str, mesa: str, counts: list[int], nulls: int, **extra: str) -> dict[str, str]:
    form = {"csrf_token": csrf, "mesa": mesa, "null_votes": str(nulls), **extra}
    form.update({f"card_{i}": str(v) for i, v in enumerate(counts, start=1)})
    return form


def test_a_mismatch_waits_in_its_queue_shown_beside_its_code_until_a_reviewer_finds_it_misread(
    client: TestClient, web_store: Store
) -> None:
    mesa = small_mesas(1)[0]
    item, _ = mismatched_sheet(web_store, mesa, gonzalez=200, printed=290)
    csrf = log_in(client, web_store, "rev", accounts.REVIEWER)
    queued = client.get("/api/v1/review/queue").json()
    assert [line["item_id"] for line in queued["mismatch"]] == [item] and queued["total"]["mismatch"] == 1
    assert client.get("/review/next", follow_redirects=False).headers["location"] == f"/review/mismatch/{item}"
    page = client.get(f"/review/mismatch/{item}").text
    differing = page[page.index('id="differing"') : page.index('id="all-figures"')]
    row = re.search(r'<li class="differs" data-field="card_36">(.*?)</li>', differing, re.S)
    assert row is not None and differing.count("<li") == 1, "the differing figure is not listed alone"
    assert '"qr">200<' in row.group(1) and '"printed">290<' in row.group(1)
    assert f"/review/cells/{item}/card_36.jpg" in row.group(1)
    every = page[page.index('id="all-figures"') :]
    assert every.count("<tr") == 42 and every.count('class="differs"') == 1 and "/full.jpg" in page
    shown = client.get("/api/v1/review/mismatch/" + str(item)).json()
    [differing] = [f for f in shown["figures"] if f["differs"]]
    assert (differing["field"], differing["card"], differing["qr"], differing["printed"]) == ("card_36", 36, 200, "290")

    cell = client.get(f"/review/cells/{item}/card_36.jpg")
    assert cell.status_code == 200 and cell.headers["content-type"] == "image/jpeg"
    assert cell.headers["cache-control"] == "private, no-store"
    image = Image.open(io.BytesIO(cell.content))
    assert image.height < 100 and not image.getexif() and "exif" not in image.info
    assert client.get(f"/review/cells/{item}/registered.jpg").status_code == 404  # no box for it

    refused = client.post(f"/review/mismatch/{item}", data={"csrf_token": csrf, "finding": "misread", "reason": ""})
    assert refused.status_code == 422
    done = client.post(
        f"/review/mismatch/{item}",
        data={"csrf_token": csrf, "finding": "misread", "reason": "the print says 200"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert client.get("/api/v1/review/queue").json()["mismatch"] == []
    assert client.get(f"/review/mismatch/{item}").status_code == 404
    mesa_page = client.get(f"/mesa/{mesa}").text
    assert "un revisor constató que la impresión dice lo mismo" in mesa_page
    assert "impresión cotejada con el código QR" in mesa_page and "the print says 200" in mesa_page


def test_the_api_takes_an_altered_finding_and_refuses_an_unknown_one(client: TestClient, web_store: Store) -> None:
    item, _ = mismatched_sheet(web_store, small_mesas(1)[0])
    headers = {"X-CSRF-Token": log_in(client, web_store, "rev", accounts.REVIEWER)}
    url = f"/api/v1/review/mismatch/{item}"
    assert client.post(url, json={"finding": "genuine", "reason": "x"}, headers=headers).status_code == 422
    decided = client.post(url, json={"finding": "altered", "reason": "printed over"}, headers=headers)
    assert decided.status_code == 200, decided.text
    assert decided.json() | {"log_seq": 0} == {
        "action": "resolve_mismatch",
        "status": "mismatch",
        "mesa": small_mesas(1)[0],
        "log_seq": 0,
        "reason": "printed over",
        "finding": "altered",
    }
    assert client.post(url, json={"finding": "misread", "reason": "x"}, headers=headers).status_code == 409


def test_printed_cells_are_for_reviewers_only(make_client: object, web_store: Store) -> None:
    item, _ = mismatched_sheet(web_store, small_mesas(1)[0])
    anonymous = make_client()  # type: ignore[operator]
    assert anonymous.get(f"/review/cells/{item}/card_36.jpg", follow_redirects=False).status_code in (303, 401, 403)
    volunteer = make_client()  # type: ignore[operator]
    log_in(volunteer, web_store, "vol", accounts.VOLUNTEER)
    assert volunteer.get(f"/review/cells/{item}/card_36.jpg").status_code == 403
    assert volunteer.get(f"/review/mismatch/{item}").status_code == 403


def test_the_form_shows_each_printed_cell_but_never_what_the_machine_read(client: TestClient, web_store: Store) -> None:
    mesa = small_mesas(2)[1]  # not the example mesa the form shows
    machine = _counts(240)
    machine[6] = 4321  # a figure that appears nowhere else on the page
    item = machine_read_sheet(web_store, mesa, machine, 3)
    csrf = log_in(client, web_store, "rev", accounts.REVIEWER)
    page = client.get(f"/review/unreadable/{item}").text
    # blind: neither the machine's figures nor its mesa are on the page (a CSRF token may hold the digits)
    assert not re.search(r"\b4321\b", page) and mesa not in page
    assert all(not value for value in re.findall(r'name="(?:card_\d+|mesa|null_votes)"[^>]*value="([^"]*)"', page))
    assert "La máquina leyó la impresión de esta hoja" in page
    for field, cell in (("card_7", "card_07"), ("null_votes", "null_votes"), ("valid_votes", "valid_votes")):
        label = re.search(rf'<label class="" for="f-{field}">(.*?)</label>', page, re.S)
        assert label is not None and f"/review/cells/{item}/{cell}.jpg" in label.group(1), field
    mesa_label = re.search(r'<label class="" for="f-mesa">(.*?)</label>', page, re.S)
    assert mesa_label is not None
    assert re.findall(r"/review/cells/\d+/(\w+)\.jpg", mesa_label.group(1)) == ["center", "mesa"]
    assert client.get(f"/review/cells/{item}/card_07.jpg").status_code == 200

    typo = _counts(204)
    wrong_sum = client.post(f"/review/unreadable/{item}", data=_form(csrf, mesa, typo, 3, valid_votes="4678"))
    assert wrong_sum.status_code == 200
    assert "suman 321, no los 4.678 votos válidos impresos" in wrong_sum.text  # a warning ...
    assert "no coinciden todavía" in wrong_sum.text  # ... and the entry was saved, differing from the machine's
    again = client.get(f"/review/unreadable/{item}").text
    # the difference from the machine is said, never located: one reviewer must not match it field by field
    assert "difiere de la lectura de la impresión hecha por la máquina" in again and 'class="differs"' not in again


def test_a_sheet_settled_with_the_machine_says_so_on_the_mesa_and_results_pages(
    client: TestClient, web_store: Store
) -> None:
    mesa = small_mesas(1)[0]
    item = machine_read_sheet(web_store, mesa, _counts(), 3)
    csrf = log_in(client, web_store, "rev", accounts.REVIEWER)
    done = client.post(f"/review/unreadable/{item}", data=_form(csrf, mesa, _counts(), 3, valid_votes="357"))
    assert "coincide con la lectura de la impresión hecha por la máquina" in done.text
    assert "total-warning" not in done.text  # 117 + 240 = 357: no warning
    ana = accounts.accept_invitation(web_store, accounts.invite(web_store, accounts.REVIEWER), "ana", PASSWORD)
    with web_store.sessions() as session:
        assert reviews.unreadable_queue(session, ana.id).items == []
    assert "transcrita por un revisor y coincidente con la lectura de la impresión" in client.get(f"/mesa/{mesa}").text
    assert client.get(f"/api/v1/mesas/{mesa}").json()["accepted"]["backing"] == "reviewer_print"
    assert "1 transcritas por un revisor y coincidentes con la lectura de la impresión" in client.get("/").text


def test_the_api_entry_reports_the_machine_and_the_sum_warning(web_store: Store) -> None:
    mesa = small_mesas(1)[0]
    item = machine_read_sheet(web_store, mesa, _counts(), 3)
    ana = accounts.accept_invitation(web_store, accounts.invite(web_store, accounts.REVIEWER), "ana", PASSWORD)
    result = enter_manual(web_store, SECRET, ana, item, mesa, _counts(204), 3, printed_total=357).to_json()
    assert result | {"decided": None} == {
        "entries": 2,
        "disagreement": True,
        "decided": None,
        "revised": False,
        "machine_entry": True,
        "machine_agreed": False,
        "cards_sum": 321,
        "printed_total": 357,
        "total_differs": True,
    }
