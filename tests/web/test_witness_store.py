"""The queries behind witness protection and review, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from testigo.capture import Incoming
from testigo.ledger.entries import WEB_CHANNEL
from testigo.pipeline.ingest import ingest_files, register_incoming
from testigo.store import overview, reviews, users
from testigo.store.db import run_in_transaction
from testigo.store.workspace import Store
from testigo.web import accounts
from testigo.web.decisions import dismiss, enter_manual, own_entry, undo_dismissal
from tests.conftest import small_mesas
from tests.web.conftest import PASSWORD, acta_png, blank_png, ready

SECRET = b"s" * 32


def _account(store: Store, name: str, role: str = accounts.REVIEWER) -> accounts.Account:
    return accounts.accept_invitation(store, accounts.invite(store, role), name, PASSWORD)


def _web_upload(store: Store, who: str, n: int, data: bytes) -> None:
    incoming = Incoming(f"web:1:{who}-{n}", f"{who}-{n}.png", data)
    ingest_files(store, [incoming], workers=1)
    with store.sessions.begin() as session:  # as the web application records its arrivals
        from sqlalchemy import update

        from testigo.store.schema import SubmissionRow

        session.execute(
            update(SubmissionRow)
            .where(SubmissionRow.origin == incoming.origin)
            .values(channel=WEB_CHANNEL, submitted_by=who)
        )


def test_shuffled_queues_corrections_and_dismissals(store: Store) -> None:
    ready(store)
    for n in range(12):
        ingest_files(store, [Incoming(f"test:{n}", f"{n}.png", blank_png(side=200 + n))], workers=1)
    first, second = small_mesas(2)
    for name, data in (("a", acta_png(first)), ("b", acta_png(first, gonzalez=1)), ("c", acta_png(second))):
        ingest_files(store, [Incoming(f"test:{name}", f"{name}.png", data)], workers=1)
    ingest_files(store, [Incoming("test:d", "d.png", acta_png(second, gonzalez=2))], workers=1)
    ana, bea = _account(store, "ana"), _account(store, "bea")
    with store.sessions() as session:
        arrival = [u.item_id for u in reviews.unreadable_queue(session, ana.id, limit=50).items]
        mine = [u.item_id for u in reviews.unreadable_queue(session, ana.id, limit=50, seed=ana.id).items]
        paged = [
            u.item_id
            for offset in range(0, 12, 5)
            for u in reviews.unreadable_queue(session, ana.id, offset=offset, limit=5, seed=ana.id).items
        ]
        conflicts = reviews.conflict_queue(session, seed=ana.id).items
        flagged = reviews.flagged_queue(session, seed=ana.id).items
    assert sorted(mine) == arrival and mine != arrival and paged == mine
    assert sorted(m for m, _ in conflicts) == sorted([first, second])
    assert isinstance(flagged, list)

    item = mine[0]
    typo = [1] * 38
    enter_manual(store, SECRET, ana, item, first, typo, 0)
    right = [2] * 38
    assert enter_manual(store, SECRET, bea, item, first, right, 0).disagreement
    found = own_entry(store, ana, item)
    assert found is not None and found.differs == {f"card_{i}" for i in range(1, 39)}
    assert enter_manual(store, SECRET, ana, item, first, right, 0).decided is not None

    dismiss(store, bea, mine[1], "a selfie")
    with store.sessions() as session:
        assert mine[1] not in {u.item_id for u in reviews.unreadable_queue(session, ana.id, limit=50).items}
        [shown] = reviews.dismissals(session)
        work = overview.public_work(session)
        version = overview.work_version(session)
    assert work.awaiting_transcription == 10 and sorted(work.conflict_mesas) == sorted([first, second])
    assert work.sources[first] == "image"
    boss = _account(store, "boss", accounts.ADMIN)
    undo_dismissal(store, boss, shown.decision_id)
    with store.sessions() as session:
        assert overview.public_work(session).awaiting_transcription == 11
        assert overview.work_version(session) != version


def test_accounts_outcomes_fetches_and_known_devices(store: Store) -> None:
    ready(store)
    spammer = _account(store, "spammer", accounts.VOLUNTEER)
    for n in range(5):
        _web_upload(store, "spammer", n, blank_png(side=400 + n))
    _web_upload(store, "good", 0, acta_png(small_mesas(1)[0]))
    rev = _account(store, "rev")
    with store.sessions() as session:
        lines = reviews.unreadable_queue(session, rev.id, limit=50).items
    dismiss(store, rev, lines[0].item_id, "")
    with store.sessions() as session:
        outcomes = {o.username: o for o in users.outcomes_per_account(session, reviews.NOT_AN_ACTA)}
    assert (outcomes["spammer"].uploads, outcomes["spammer"].unusable, outcomes["spammer"].not_an_acta) == (5, 5, 1)
    assert outcomes["spammer"].mostly_junk and not outcomes["good"].mostly_junk
    assert outcomes["good"].accepted == 1

    with store.sessions.begin() as session:
        users.record_original_fetch(session, user_id=spammer.id, sha256="a" * 64)
    with store.sessions() as session:
        [fetch] = users.original_fetches(session)
    assert (fetch.username, fetch.sha256) == ("spammer", "a" * 64)

    assert not accounts.is_known_device(store, "spammer", "device-1")
    accounts.remember_device(store, spammer, "device-1")
    accounts.remember_device(store, spammer, "device-1")  # again: updated, not duplicated
    assert accounts.is_known_device(store, "spammer", "device-1")
    assert not accounts.is_known_device(store, "rev", "device-1")


def test_an_arrival_still_being_read_is_counted(store: Store) -> None:
    ready(store)
    with store.sessions() as session:
        run_in_transaction(
            session,
            lambda: register_incoming(store, session, Incoming("web:1:x", "x.png", blank_png()), WEB_CHANNEL, "v"),
        )
    with store.sessions() as session:
        assert overview.public_work(session).being_read == 1
