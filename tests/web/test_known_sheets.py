"""Reviewers measured on known sheets: a careless reviewer is found and stops counting, an honest one keeps
counting, known sheets settle nothing, and only admins see the figures."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from testigo.capture import Incoming
from testigo.ledger.entries import MANUAL_ENTRY
from testigo.pipeline.ingest import ingest_files
from testigo.store import known as known_rows
from testigo.store import reviews, users
from testigo.store.schema import DecisionRow, ItemRow, KnownEntryRow, LogEntryRow, RecordRow
from testigo.store.workspace import Store
from testigo.web import accounts, measure
from tests.conftest import small_mesas
from tests.web.conftest import acta_png, blank_png, log_in

Clients = Callable[..., TestClient]
#: The figures of one entry: mesa, 38 cards, null votes.
FIGURES = 40


@dataclass(frozen=True)
class Sheet:
    mesa: str
    counts: list[int]
    nulls: int


def _known_sheets(store: Store, mesas: list[str]) -> dict[int, Sheet]:
    """QR-read sheets of `mesas` (accepted records): item id -> the figures the sheet shows."""
    ingest_files(
        store,
        [
            Incoming(f"test:q{i}", f"q{i}.png", acta_png(m, maduro=90 + i, gonzalez=150 + 3 * i))
            for i, m in enumerate(mesas)
        ],
        workers=1,
    )
    with store.sessions() as session:
        rows = session.execute(select(ItemRow.id, RecordRow).join(RecordRow, RecordRow.id == ItemRow.record_id))
        return {item: Sheet(r.mesa_id, [int(v) for v in r.counts.split(",")], r.null_votes) for item, r in rows}


def _unreadable_sheets(store: Store, mesas: list[str], side: int = 200) -> dict[int, Sheet]:
    """Blank (unreadable) sheets, each standing for an acta of one of `mesas`: item id -> its figures.

    Each is `side` pixels wide and up (a different file each: pass a `side` past the earlier ones)."""
    before = _unreadable_ids(store)
    blanks = [Incoming(f"test:u{side + i}", f"u{side + i}.png", blank_png(side=side + i)) for i in range(len(mesas))]
    ingest_files(store, blanks, workers=1)
    new = sorted(_unreadable_ids(store) - before)
    sheets: dict[int, Sheet] = {}
    for i, (item, mesa) in enumerate(zip(new, mesas, strict=True)):
        counts = [0] * 38
        counts[0], counts[35], counts[4] = 120 + i, 210 - i, i % 7
        sheets[item] = Sheet(mesa, counts, 2 + i % 3)
    return sheets


def _unreadable_ids(store: Store) -> set[int]:
    with store.sessions() as session:
        return {line.item_id for line in reviews.unreadable_queue(session, 0, limit=500).items}


@dataclass
class Typist:
    """A simulated reviewer who mistypes each figure with probability `slip` (a wrong mesa, a count off by one)."""

    name: str
    client: TestClient
    csrf: str
    slip: float
    rng: random.Random
    mesas: list[str]

    def type(self, item: int, truth: Sheet) -> int:
        """Type the sheet through the form; the number of figures mistyped."""
        mesa = truth.mesa
        wrong = 0
        if self.rng.random() < self.slip:
            mesa, wrong = next(m for m in self.mesas if m != truth.mesa), 1
        counts = []
        for value in truth.counts:
            slipped = self.rng.random() < self.slip
            counts.append(value + 1 if slipped else value)
            wrong += slipped
        nulls = truth.nulls + 1 if self.rng.random() < self.slip else truth.nulls
        wrong += nulls != truth.nulls
        form = {"csrf_token": self.csrf, "mesa": mesa, "null_votes": str(nulls)}
        form.update({f"card_{i}": str(v) for i, v in enumerate(counts, start=1)})
        answer = self.client.post(f"/review/unreadable/{item}", data=form)
        assert answer.status_code == 200, answer.text
        return wrong


def _work(typist: Typist, sheets: dict[int, Sheet], known: set[int], known_wanted: int) -> tuple[int, int]:
    """Take sheets from /review/next and type them until `known_wanted` known ones were typed; (known, ordinary)."""
    done = {"known": 0, "ordinary": 0}
    while done["known"] < known_wanted:
        answer = typist.client.get("/review/next", follow_redirects=False)
        found = re.search(r"/review/unreadable/(\d+)$", answer.headers["location"])
        assert found, answer.headers["location"]
        item = int(found.group(1))
        page = typist.client.get(f"/review/unreadable/{item}")
        assert page.status_code == 200
        typist.type(item, sheets[item])
        done["known" if item in known else "ordinary"] += 1
        assert done["ordinary"] < 40, "known sheets are not handed out"
    return done["known"], done["ordinary"]


def _typist(maker: Clients, store: Store, name: str, slip: float, seed: int) -> Typist:
    client = maker()
    csrf = log_in(client, store, name, accounts.REVIEWER)
    return Typist(name, client, csrf, slip, random.Random(seed), small_mesas(60))


def _admin(maker: Clients, store: Store) -> tuple[TestClient, str]:
    client = maker()
    return client, log_in(client, store, "boss", accounts.ADMIN)


def _scores(admin: TestClient) -> dict[str, dict[str, object]]:
    answer = admin.get("/api/v1/admin/reviewers")
    assert answer.status_code == 200, answer.text
    return {line["username"]: line for line in answer.json()["reviewers"]}


@pytest.fixture
def seeded(monkeypatch: pytest.MonkeyPatch) -> None:
    """The draws of known sheets from a seeded generator: the same run every time (the app uses the system's)."""
    monkeypatch.setattr(measure, "_draw", random.Random(20240728))


def test_a_reviewer_mistyping_10_percent_of_figures_stops_counting_and_an_honest_one_keeps_counting(
    make_client: Clients, web_store: Store, seeded: None
) -> None:
    mesas = small_mesas(60)
    known = _known_sheets(web_store, mesas[:14])
    ordinary = _unreadable_sheets(web_store, mesas[20:44])
    sheets = {**known, **ordinary}
    admin, acsrf = _admin(make_client, web_store)
    rules = {"rate": 0.5, "min_accuracy": 0.98, "min_sheets": 5}
    assert (
        admin.post("/api/v1/admin/reviewers/settings", json=rules, headers={"X-CSRF-Token": acsrf}).status_code == 200
    )
    careless = _typist(make_client, web_store, "careless", 0.10, 1)
    honest = _typist(make_client, web_store, "honest", 0.005, 2)
    assert _work(careless, sheets, set(known), 6)[0] == 6
    assert _work(honest, sheets, set(known), 6)[0] == 6

    scores = _scores(admin)
    bad, good = scores["careless"], scores["honest"]
    assert bad["known_sheets"] == 6 and bad["figures"] == 6 * FIGURES
    assert isinstance(bad["accuracy"], float) and 0.84 <= bad["accuracy"] <= 0.95, bad
    assert isinstance(bad["accuracy_upper_bound"], float) and bad["accuracy_upper_bound"] < 0.98
    assert bad["counting"] is False
    assert isinstance(good["accuracy"], float) and good["accuracy"] >= 0.99 and good["counting"] is True, good
    assert isinstance(bad["median_seconds"], float) and bad["median_seconds"] >= 0
    assert isinstance(bad["disagreements"], int) and bad["disagreements"] >= 1  # typed unlike "honest" elsewhere
    page = admin.get("/admin/reviewers").text  # the admin's page: the same figures, in the page's language (Spanish)
    shown = f"{bad['accuracy'] * 100:.2f}".replace(".", ",") + " %"
    assert re.search(r'id="reviewer-careless" class="differs"', page) and shown in page and "no cuenta" in page
    assert 'id="reviewer-honest">' in page

    # a fresh unreadable sheet: the careless reviewer's entry, although right, confirms nothing
    [(item, truth)] = _unreadable_sheets(web_store, [mesas[50]], side=300).items()
    careless.slip = honest.slip = 0.0
    careless.type(item, truth)
    honest.type(item, truth)
    ids = {name: accounts.find_account(web_store, name).id for name in ("careless", "honest")}
    with web_store.sessions() as session:
        assert reviews.decision_for_item(session, item, MANUAL_ENTRY) is None
        assert {e.reviewer_id for e in reviews.manual_entries(session, item)} == set(ids.values())  # kept
    third = _typist(make_client, web_store, "third", 0.0, 3)
    third.type(item, truth)  # an entry that counts, agreeing with the honest one: settled, without "careless"
    ids["third"] = accounts.find_account(web_store, "third").id
    with web_store.sessions() as session:
        settled = reviews.decision_for_item(session, item, MANUAL_ENTRY)
    assert settled is not None and settled.outcome == "accepted"
    assert set(json.loads(settled.reviewers)) == {ids["honest"], ids["third"]}

    # an admin re-checks the careless reviewer: they count again, and the reinstatement is recorded
    answer = admin.post("/api/v1/admin/reviewers/careless/reinstate", headers={"X-CSRF-Token": acsrf})
    assert answer.status_code == 200, answer.text
    assert _scores(admin)["careless"]["counting"] is True and _scores(admin)["careless"]["known_sheets"] == 0
    with web_store.sessions() as session:
        assert users.admin_actions(session)[0].action == users.REINSTATE
    [(again, again_truth)] = _unreadable_sheets(web_store, [mesas[51]], side=301).items()
    careless.type(again, again_truth)
    honest.type(again, again_truth)
    with web_store.sessions() as session:
        assert reviews.decision_for_item(session, again, MANUAL_ENTRY) is not None
        logged = b"".join(session.execute(select(LogEntryRow.body)).scalars())
    assert all(name.encode() not in logged for name in ("careless", "honest", "third"))  # pseudonyms only


def _hand(store: Store, username: str, item: int) -> None:
    """Hand `item`, a QR-read sheet, to a reviewer as a known sheet (what /review/next does at the admin's rate)."""
    reviewer = accounts.find_account(store, username)
    with store.sessions.begin() as session:
        found = reviews.item_with_submission(session, item)
        assert found is not None and found[0].record_id is not None
        known_rows.hand_out(session, reviewer.id, item, found[0].record_id)


def test_known_sheets_never_make_a_record_nor_touch_the_log(make_client: Clients, web_store: Store) -> None:
    mesas = small_mesas(30)
    known = _known_sheets(web_store, mesas[:7])
    aside = max(known)
    del known[aside]
    _unreadable_sheets(web_store, mesas[10:12])

    def state() -> tuple[int, int, int, list[str]]:
        with web_store.sessions() as session:
            records = session.execute(select(func.count()).select_from(RecordRow)).scalar_one()
            log = session.execute(select(func.count()).select_from(LogEntryRow)).scalar_one()
            decisions = session.execute(select(func.count()).select_from(DecisionRow)).scalar_one()
            statuses = [r.status for r in session.execute(select(RecordRow).order_by(RecordRow.id)).scalars()]
        return records, log, decisions, statuses

    before = state()
    typists = [_typist(make_client, web_store, name, 0.0, n) for n, name in enumerate(("ana", "bea"))]
    wrong = Sheet(mesas[7], [5] * 38, 9)  # another mesa's figures: as a record, it would be a new one
    for typist in typists:  # both type each known sheet identically: two matching entries, and still nothing
        for n, (item, truth) in enumerate(sorted(known.items())):
            _hand(web_store, typist.name, item)
            assert typist.client.get(f"/review/unreadable/{item}").status_code == 200
            typist.type(item, wrong if n % 2 else truth)
            again = typist.client.get(f"/review/unreadable/{item}")  # typed: it left the queue, as a settled sheet
            assert again.status_code == 404
    _hand(web_store, "ana", aside)
    answer = typists[0].client.post(
        f"/review/unreadable/{aside}/not-an-acta", data={"csrf_token": typists[0].csrf}, follow_redirects=False
    )
    assert answer.status_code == 303  # answered as any sheet set aside is
    assert state() == before
    with web_store.sessions() as session:
        rows = list(session.execute(select(KnownEntryRow)).scalars())
        assert reviews.dismissal_of(session, aside) is None
    assert len(rows) == 13 and sum(r.entered_at is not None for r in rows) == 12
    assert [r.item_id for r in rows if r.set_aside_at is not None] == [aside]
    assert {r.figures_right for r in rows if r.entered_at} == {0, FIGURES}


def test_known_sheets_come_at_about_the_rate_the_admin_set(
    make_client: Clients, web_store: Store, seeded: None
) -> None:
    mesas = small_mesas(80)
    _known_sheets(web_store, mesas[:60])
    _unreadable_sheets(web_store, mesas[70:72])
    admin, acsrf = _admin(make_client, web_store)
    reviewer = _typist(make_client, web_store, "rev", 0.0, 1)
    reviewer_id = accounts.find_account(web_store, "rev").id

    def handed_after(rate: float, asks: int) -> int:
        rules = {"rate": rate, "min_accuracy": 0.98, "min_sheets": 5}
        answer = admin.post("/api/v1/admin/reviewers/settings", json=rules, headers={"X-CSRF-Token": acsrf})
        assert answer.status_code == 200 and answer.json() == rules
        with web_store.sessions() as session:
            before = len(known_rows.lines(session, [reviewer_id]))
        for _ in range(asks):
            assert reviewer.client.get("/review/next", follow_redirects=False).status_code == 303
        with web_store.sessions() as session:
            return len(known_rows.lines(session, [reviewer_id])) - before

    handed = handed_after(0.2, 200)
    assert 25 <= handed <= 55, handed  # 40 expected; a binomial's standard deviation is 5.7
    assert handed_after(0.0, 50) == 0
    refused = admin.post(
        "/api/v1/admin/reviewers/settings",
        json={"rate": 0.9, "min_accuracy": 0.98, "min_sheets": 5},
        headers={"X-CSRF-Token": acsrf},
    )
    assert refused.status_code == 422  # at most half the sheets handed out may be known ones


def test_a_known_sheet_looks_like_any_unreadable_sheet(make_client: Clients, web_store: Store) -> None:
    mesas = small_mesas(10)
    known = _known_sheets(web_store, mesas[:1])
    ordinary = _unreadable_sheets(web_store, mesas[5:6])
    reviewer = _typist(make_client, web_store, "rev", 0.0, 1)
    [known_item], [ordinary_item] = list(known), list(ordinary)
    _hand(web_store, "rev", known_item)

    def seen(item: int) -> tuple[str, dict[str, object]]:
        page = reviewer.client.get(f"/review/unreadable/{item}")
        assert page.status_code == 200
        lines = reviewer.client.get("/api/v1/review/queue").json()["unreadable"]
        [line] = [line for line in lines if line["item_id"] == item]
        text = re.sub(rf"(?<=[ /]){item}(?=[<\" /?])", "ITEM", page.text.replace(str(line["sha256"]), "SHA"))
        return text, {key: value for key, value in line.items() if key not in ("item_id", "sha256", "received_at")}

    known_page, known_line = seen(known_item)
    ordinary_page, ordinary_line = seen(ordinary_item)
    assert known_line == ordinary_line
    assert known_page == ordinary_page


def test_only_admins_see_the_measurement(make_client: Clients, web_store: Store) -> None:
    admin, acsrf = _admin(make_client, web_store)
    reviewer = _typist(make_client, web_store, "rev", 0.0, 1)
    for path in ("/admin/reviewers", "/api/v1/admin/reviewers"):
        assert reviewer.client.get(path).status_code == 403
        assert make_client().get(path, follow_redirects=False).status_code in (401, 303)
    refused = reviewer.client.post("/admin/reviewers/rev/reinstate", data={"csrf_token": reviewer.csrf})
    assert refused.status_code == 403
    refused = reviewer.client.post(
        "/api/v1/admin/reviewers/settings",
        json={"rate": 0.3, "min_accuracy": 0.5, "min_sheets": 1},
        headers={"X-CSRF-Token": reviewer.csrf},
    )
    assert refused.status_code == 403
    form = {"csrf_token": acsrf, "rate_percent": "12.5", "min_accuracy_percent": "97", "min_sheets": "8"}
    assert admin.post("/admin/reviewers/settings", data=form, follow_redirects=False).status_code == 303
    assert measure.settings(web_store) == measure.MeasureSettings(0.125, 0.97, 8)
    page = admin.get("/admin/reviewers").text
    assert 'id="reviewer-rev"' in page and 'value="12.5"' in page
    bad = admin.post("/admin/reviewers/settings", data={**form, "min_sheets": "many"})
    assert bad.status_code == 422


def test_an_admin_confirmed_typed_sheet_measures_those_who_did_not_type_it(
    make_client: Clients, web_store: Store
) -> None:
    mesas = small_mesas(10)
    [(item, truth)] = _unreadable_sheets(web_store, mesas[:1]).items()
    [(open_item, _)] = _unreadable_sheets(web_store, mesas[1:2], side=300).items()
    ana, bea, cy = (_typist(make_client, web_store, name, 0.0, n) for n, name in enumerate(("ana", "bea", "cyd")))
    ana.type(item, truth)
    bea.type(item, truth)
    admin, acsrf = _admin(make_client, web_store)
    headers = {"X-CSRF-Token": acsrf}
    assert admin.post(f"/api/v1/admin/known-sheets/{open_item}", headers=headers).status_code == 404  # not settled
    assert admin.post(f"/api/v1/admin/known-sheets/{item}", headers=headers).json() == {"item_id": item, "known": True}
    ids = {t.name: accounts.find_account(web_store, t.name).id for t in (ana, cy)}
    with web_store.sessions.begin() as session:
        assert known_rows.pick(session, ids["ana"], seed=1) is None  # she typed it: it would measure nothing
        found = known_rows.pick(session, ids["cyd"], seed=1)
        assert found is not None and found[0] == item
        known_rows.hand_out(session, ids["cyd"], *found)
        decisions_before = session.execute(select(func.count()).select_from(DecisionRow)).scalar_one()
    assert cy.client.get(f"/review/unreadable/{item}").status_code == 200  # settled, yet in cy's queue
    cy.type(item, truth)
    with web_store.sessions() as session:
        [row] = session.execute(select(KnownEntryRow)).scalars()
        assert (row.item_id, row.figures_right, row.figures) == (item, FIGURES, FIGURES)
        assert session.execute(select(func.count()).select_from(DecisionRow)).scalar_one() == decisions_before
