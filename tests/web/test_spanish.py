"""Spanish by default everywhere: errors, invitation and manual-entry validation, upload failures, record flags.

Each case is checked against both catalogs: the Spanish text is on the page,
and the English text of the same message is not.
"""

from __future__ import annotations

from fastapi.testclient import TestClient

from testigo.capture import Incoming
from testigo.pipeline.importer import PER_CANDIDATE_ONLY
from testigo.pipeline.ingest import ingest_files
from testigo.store import reviews
from testigo.store.workspace import Store
from testigo.web import accounts
from testigo.web.i18n import catalog
from tests.conftest import small_mesas
from tests.web.conftest import blank_png, csrf_of, log_in, qr_png

MESA = small_mesas(1)[0]


def _spanish(text: str, key: str, **params: object) -> None:
    spanish, english = (catalog(lang)[key].format(**params) for lang in ("es", "en"))
    assert spanish in text, key
    assert english not in text, key


def test_server_errors_are_spanish(client: TestClient, web_store: Store) -> None:
    _spanish(client.get("/mesa/999999999.99").text, "err_no_mesa", mesa="999999999.99")
    _spanish(client.get("/api/v1/areas/nowhere").json()["detail"], "err_no_area", area="nowhere")
    _spanish(client.get("/api/v1/review/queue").json()["detail"], "err_login_required")
    log_in(client, web_store, "vol", accounts.VOLUNTEER)
    _spanish(client.get("/review", follow_redirects=False).text, "err_needs_reviewer")


def test_invitation_validation_is_spanish(client: TestClient, web_store: Store) -> None:
    token = accounts.invite(web_store, accounts.VOLUNTEER)
    page = client.get(f"/invite/{token}")
    answer = client.post(
        f"/invite/{token}",
        data={"username": "X", "password": "a long enough password", "csrf_token": csrf_of(page.text)},
    )
    assert answer.status_code == 422
    _spanish(answer.text, "account_bad_username")


def test_upload_failures_are_spanish(client: TestClient, web_store: Store) -> None:
    csrf = log_in(client, web_store, "vol", accounts.VOLUNTEER)
    empty = client.post("/api/v1/uploads", files={"file": ("a.png", b"", "image/png")}, headers={"X-CSRF-Token": csrf})
    _spanish(empty.json()["detail"], "upload_empty")
    damaged = client.post(
        "/api/v1/uploads",
        files={"file": ("a.png", blank_png(), "image/png")},
        data={"sha256": "0" * 64},
        headers={"X-CSRF-Token": csrf},
    )
    _spanish(damaged.json()["detail"], "upload_damaged")
    assert "upload.js" in client.get("/upload").text  # the queue shows the API's detail: Spanish by default


def test_manual_entry_validation_is_spanish(client: TestClient, web_store: Store) -> None:
    ingest_files(web_store, [Incoming("test:blank", "blank.png", blank_png())], workers=1)
    with web_store.sessions() as session:
        [line] = reviews.unreadable_queue(session, reviewer_id=0).items
    log_in(client, web_store, "rev", accounts.REVIEWER)
    form = client.get(f"/review/unreadable/{line.item_id}").text
    assert 'placeholder="' in form and "010101001.01" not in form or min(web_store.registry.mesas) in form
    fields = {
        "csrf_token": csrf_of(form),
        "mesa": "nada",
        "null_votes": "0",
        **{f"card_{i}": "0" for i in range(1, 39)},
    }
    unknown = client.post(f"/review/unreadable/{line.item_id}", data=fields)
    assert unknown.status_code == 422
    _spanish(unknown.text, "decision_unknown_mesa", mesa="nada", example=min(web_store.registry.mesas))
    not_numbers = client.post(f"/review/unreadable/{line.item_id}", data={**fields, "card_3": "tres"})
    _spanish(not_numbers.text, "err_whole_numbers")


def test_record_flags_are_spanish(client: TestClient, web_store: Store) -> None:
    counts = [0] * 38
    counts[0], counts[35] = 10, 20
    payload = web_store.profile.encode(f"{MESA}.1.0001", counts, 1, {"second_count": 7})
    ingest_files(web_store, [Incoming("test:flagged", "flagged.png", qr_png(payload))], workers=1)
    page = client.get(f"/mesa/{MESA}").text
    flags = page.split('<ul class="flags">')[1].split("</ul>")[0]  # the log entry below keeps its exact bytes
    _spanish(flags, "flag_second_count", second=7, nulls=1)
    from testigo.web.flags import flag_text

    assert flag_text(PER_CANDIDATE_ONLY, "es") == catalog("es")["flag_per_candidate_only"]
