"""Review that is fast and exact: typed figures survive a refusal, authors correct, junk is set aside, random order."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from testigo.capture import Incoming
from testigo.pipeline.ingest import ingest_files
from testigo.store import reviews, users
from testigo.store.workspace import Store
from testigo.web import accounts
from testigo.web.decisions import dismiss, enter_manual, own_entry
from tests.conftest import small_mesas
from tests.web.conftest import PASSWORD, acta_png, blank_png, log_in

SECRET = b"s" * 32


def _unreadable(store: Store, name: str = "blurred.png", data: bytes | None = None) -> int:
    ingest_files(store, [Incoming(f"test:{name}", name, data or blank_png())], workers=1)
    with store.sessions() as session:
        return max(line.item_id for line in reviews.unreadable_queue(session, 0, limit=500).items)


def _reviewer(store: Store, name: str) -> accounts.Account:
    return accounts.accept_invitation(store, accounts.invite(store, accounts.REVIEWER), name, PASSWORD)


def _form(csrf: str, mesa: str, counts: list[int], nulls: int) -> dict[str, str]:
    form = {"csrf_token": csrf, "mesa": mesa, "null_votes": str(nulls)}
    form.update({f"card_{i}": str(v) for i, v in enumerate(counts, start=1)})
    return form


def test_a_wrong_mesa_code_keeps_the_38_typed_figures(client: TestClient, web_store: Store) -> None:
    item = _unreadable(web_store)
    csrf = log_in(client, web_store, "rev", accounts.REVIEWER)
    counts = [i * 7 for i in range(1, 39)]
    answer = client.post(f"/review/unreadable/{item}", data=_form(csrf, "999999999.99", counts, 5))
    assert answer.status_code == 422
    assert "999999999.99" in answer.text and 'role="alert"' in answer.text
    for i, value in enumerate(counts, start=1):
        assert re.search(rf'name="card_{i}"[^>]*value="{value}"', answer.text), f"card {i} lost"
    assert re.search(r'name="null_votes"[^>]*value="5"', answer.text)
    bad = client.post(f"/review/unreadable/{item}", data={**_form(csrf, small_mesas(1)[0], counts, 5), "card_3": "x"})
    assert bad.status_code == 422 and re.search(r'name="card_38"[^>]*value="266"', bad.text)


def test_the_form_names_candidates_and_warns_that_reasons_are_published(client: TestClient, web_store: Store) -> None:
    item = _unreadable(web_store)
    log_in(client, web_store, "rev", accounts.REVIEWER)
    page = client.get(f"/review/unreadable/{item}").text
    assert "Edmundo González" in page and "Nicolás Maduro" in page
    assert "/blobs/" in page and "/full.jpg" in page and 'class="zoom"' in page
    mesa = small_mesas(1)[0]
    ingest_files(web_store, [Incoming("test:a", "a.png", acta_png(mesa, gonzalez=200))], workers=1)
    ingest_files(web_store, [Incoming("test:b", "b.png", acta_png(mesa, gonzalez=150))], workers=1)
    conflict = client.get(f"/review/conflicts/{mesa}").text
    assert "se publica, palabra por palabra" in conflict and 'aria-describedby="reason-public"' in conflict


def test_with_two_reviewers_a_disagreement_is_never_stuck(web_store: Store) -> None:
    item = _unreadable(web_store)
    mesa = small_mesas(1)[0]
    ana, bea = _reviewer(web_store, "ana"), _reviewer(web_store, "bea")
    right = [0] * 38
    right[0], right[35] = 100, 240
    typo = list(right)
    typo[35] = 204
    alone = enter_manual(web_store, SECRET, ana, item, mesa, typo, 3)
    fixed_alone = enter_manual(web_store, SECRET, ana, item, mesa, typo, 4)  # corrects her own entry, still alone
    assert (alone.entries, fixed_alone.entries, fixed_alone.revised) == (1, 1, True)
    second = enter_manual(web_store, SECRET, bea, item, mesa, right, 3)
    assert second.disagreement and second.decided is None
    mine = own_entry(web_store, ana, item)
    assert mine is not None and mine.differs == {"card_36", "null_votes"} and mine.others == 1
    settled = enter_manual(web_store, SECRET, ana, item, mesa, right, 3)  # she checks those two figures again
    assert settled.revised and settled.decided is not None and settled.decided.status == "accepted"


def test_not_an_acta_clears_junk_an_admin_puts_it_back_and_junk_senders_are_visible(
    make_client: object, web_store: Store
) -> None:
    from collections.abc import Callable

    assert callable(make_client)
    maker: Callable[..., TestClient] = make_client  # type: ignore[assignment]
    volunteer = maker()
    csrf = log_in(volunteer, web_store, "spammer", accounts.VOLUNTEER)
    for n in range(6):
        sent = volunteer.post(
            "/api/v1/uploads",
            files={"file": (f"x{n}.png", blank_png(side=300 + n), "image/png")},
            headers={"X-CSRF-Token": csrf},
        )
        assert sent.status_code in (201, 202), sent.text
    reviewer = maker()
    rcsrf = log_in(reviewer, web_store, "rev", accounts.REVIEWER)
    with web_store.sessions() as session:
        lines = reviews.unreadable_queue(session, 0, limit=50).items
    assert len(lines) == 6
    answer = reviewer.post(
        f"/review/unreadable/{lines[0].item_id}/not-an-acta",
        data={"csrf_token": rcsrf, "reason": "a selfie"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    for line in lines[1:4]:
        dismiss(web_store, accounts.find_account(web_store, "rev"), line.item_id, "")
    with web_store.sessions() as session:
        assert len(reviews.unreadable_queue(session, 0, limit=50).items) == 2
        outcomes = {o.username: o for o in users.outcomes_per_account(session, reviews.NOT_AN_ACTA)}
    assert outcomes["spammer"].uploads == 6 and outcomes["spammer"].mostly_junk
    admin = maker()
    acsrf = log_in(admin, web_store, "boss", accounts.ADMIN)
    page = admin.get("/admin").text
    assert "a selfie" in page and "sobre todo basura" in page
    with web_store.sessions() as session:
        first = next(d for d in reviews.dismissals(session) if d.item_id == lines[0].item_id)
    undone = admin.post(
        f"/admin/dismissals/{first.decision_id}/undo", data={"csrf_token": acsrf}, follow_redirects=False
    )
    assert undone.status_code == 303
    with web_store.sessions() as session:
        assert lines[0].item_id in {u.item_id for u in reviews.unreadable_queue(session, 0, limit=50).items}
        assert users.admin_actions(session)[0].action == users.UNDO_NOT_AN_ACTA
    refused = reviewer.post(f"/admin/dismissals/{first.decision_id}/undo", data={"csrf_token": rcsrf})
    assert refused.status_code == 403


def test_work_is_handed_out_in_a_random_order_per_reviewer_not_arrival_order(web_store: Store) -> None:
    items = [_unreadable(web_store, f"s{n}.png", blank_png(side=200 + n)) for n in range(30)]
    with web_store.sessions() as session:
        arrival = [u.item_id for u in reviews.unreadable_queue(session, 0, limit=50).items]
        first = [u.item_id for u in reviews.unreadable_queue(session, 1, limit=50, seed=1).items]
        again = [u.item_id for u in reviews.unreadable_queue(session, 1, limit=50, seed=1).items]
        other = [u.item_id for u in reviews.unreadable_queue(session, 2, limit=50, seed=2).items]
        paged = [
            u.item_id
            for offset in (0, 10, 20)
            for u in reviews.unreadable_queue(session, 1, offset=offset, limit=10, seed=1).items
        ]
    assert arrival == sorted(items)
    assert sorted(first) == sorted(items) and first != arrival and first == again and first != other
    assert paged == first  # stable across pages: nothing is skipped or shown twice


def test_next_sheet_goes_to_a_sheet_started_by_someone_else_first(client: TestClient, web_store: Store) -> None:
    items = [_unreadable(web_store, f"s{n}.png", blank_png(side=200 + n)) for n in range(5)]
    other = _reviewer(web_store, "other")
    enter_manual(web_store, SECRET, other, items[3], small_mesas(1)[0], [1] * 38, 0)
    log_in(client, web_store, "rev", accounts.REVIEWER)
    answer = client.get("/review/next", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == f"/review/unreadable/{items[3]}"
