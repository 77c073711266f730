"""A sheet of several contests in the web application (profile br): the mesa page and API show one contest at a
time, a conflict is reviewed and resolved within its contest, and the mesa's other contests stay counted."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from urllib.parse import quote

from fastapi.testclient import TestClient

from testigo.capture import Incoming
from testigo.pipeline.ingest import ingest_files
from testigo.simulate.boletim import SimulatedBoletim, draw_boletim, qr_texts
from testigo.store import reviews
from testigo.store.records import ACCEPTED, CONFLICT
from testigo.store.workspace import Store, init_workspace, open_workspace
from testigo.web import accounts
from testigo.web.app import create_app
from testigo.web.decisions import resolve_conflict
from tests.pipeline.test_boletins import ELECTION, _keys
from tests.web.conftest import PASSWORD, log_in, qr_png, web_settings

SECRET = b"s" * 32


def _ingest(store: Store, name: str, boletim: SimulatedBoletim) -> None:
    text = "\n".join(qr_texts(ELECTION, boletim)) + "\n"
    ingest_files(store, [Incoming(f"test:{name}", name, text.encode("ascii"))], workers=1)


def _moved_vote(boletim: SimulatedBoletim) -> SimulatedBoletim:
    """The same section's BU with one vote of the first contest moved between its two leading candidates."""
    result = boletim.results[0]
    giver, taker = sorted(result.votes, key=lambda n: -result.votes[n])[:2]
    votes = {**result.votes, giver: result.votes[giver] - 1, taker: result.votes[taker] + 1}
    header = tuple((k, "235959" if k == "HRFC" else v) for k, v in boletim.header)
    return replace(boletim, header=header, results=(replace(result, votes=votes), *boletim.results[1:]))


def test_a_conflict_of_one_contest_is_shown_and_resolved_in_that_contest_only(tmp_path: Path) -> None:
    store = init_workspace(str(tmp_path / "ws"), "br")
    _keys(store.workspace.trusted_keys_dir)
    genuine = draw_boletim(ELECTION, 60)
    _ingest(store, "first.txt", genuine)
    _ingest(store, "second.txt", _moved_vote(genuine))
    store.forget_cached()
    [mesa] = store.registry.mesas
    contests = list(store.profile.contests())
    with store.sessions() as session:
        rows = reviews.records_of_mesa(session, mesa)
    assert sorted(r.status for r in rows) == [ACCEPTED] * len(contests) + [CONFLICT]
    conflicting = next(r for r in rows if r.status == CONFLICT)
    first = conflicting.contest  # the contest whose vote moved
    other = next(contest for contest in contests if contest != first)

    with TestClient(create_app(store, web_settings()), base_url="https://testserver") as client:
        page = client.get(f"/mesa/{mesa}", params={"contest": other})
        assert page.status_code == 200
        assert f"<b>{store.profile.contests()[other]}</b>" in page.text  # the contest shown, the others linked
        shown = client.get(f"/api/v1/mesas/{mesa}", params={"contest": first}).json()
        assert (shown["contest"], shown["state"]) == (first, "conflict")
        assert len(shown["others"]) == 1 and shown["contests"] == store.profile.contests()
        assert client.get(f"/api/v1/mesas/{mesa}", params={"contest": other}).json()["state"] == "accepted"
        assert client.get(f"/mesa/{mesa}", params={"contest": "9:9:9:9:XX"}).status_code == 404
        listed = client.get("/api/v1/contests").json()["contests"]
        assert [c["key"] for c in listed] == contests
        # a contest's results: its accepted record counts, the conflicting one does not (the moved vote)
        totals = client.get("/api/v1/results", params={"contest": first, "level": "mesa"}).json()
        accepted = next(r for r in rows if r.status == ACCEPTED and r.contest == first)
        assert totals["contest"] == first and [row["cards"] for row in totals["rows"]] == [
            [int(v) for v in accepted.counts.split(",")]
        ]
        assert client.get("/api/v1/results", params={"contest": "9:9:9:9:XX"}).status_code == 404
        # the review queue names the contest in conflict
        log_in(client, store, "rita", accounts.REVIEWER)
        queued = client.get("/api/v1/review/queue").json()["conflicts"]
        assert queued == [{"mesa": mesa, "conflicting": 1, "contests": [first]}]
        assert f"{store.profile.contests()[first]}</li>" in client.get("/review").text

    ana = accounts.accept_invitation(store, accounts.invite(store, accounts.REVIEWER), "ana", PASSWORD)
    resolve_conflict(store, SECRET, ana, mesa, conflicting.id, "the paper copy shows the vote moved")
    with store.sessions() as session:
        after = {r.id: (r.contest, r.status) for r in reviews.records_of_mesa(session, mesa)}
    assert after[conflicting.id] == (first, ACCEPTED)
    # the first contest's earlier record is superseded; every other contest keeps its accepted record
    assert sorted(status for contest, status in after.values() if contest != first) == [ACCEPTED] * (len(contests) - 1)
    assert [status for contest, status in after.values() if contest == first].count(ACCEPTED) == 1


def test_a_volunteer_uploads_a_bu_part_by_part_and_it_counts_when_its_last_part_arrives(tmp_path: Path) -> None:
    store = init_workspace(str(tmp_path / "ws"), "br")
    _keys(store.workspace.trusted_keys_dir)
    boletim = draw_boletim(ELECTION, 61)
    parts = qr_texts(ELECTION, boletim, limit=len(boletim.content) // 2 + 1)
    assert len(parts) >= 2
    with TestClient(create_app(store, web_settings()), base_url="https://testserver") as client:
        csrf = log_in(client, store, "vol", accounts.VOLUNTEER)

        def upload(name: str, text: str) -> dict[str, object]:
            files = {"file": (name, qr_png(text), "image/png")}
            response = client.post("/api/v1/uploads?lang=en", files=files, headers={"X-CSRF-Token": csrf})
            assert response.status_code == 201, response.text
            return dict(response.json())

        # the later parts first: each waits, kept, for the part before it
        for index, text in enumerate(parts[1:], start=2):
            assert upload(f"part{index}.png", text)["status"] == "incomplete"
        assert upload("part1.png", parts[0])["status"] == "accepted"
        listed = client.get("/api/v1/contests").json()["contests"]
        assert len(listed) == len(boletim.results)
        for contest in listed:
            [row] = client.get("/api/v1/results", params={"contest": contest["key"]}).json()["rows"]
            assert row["actas"] == 1


def test_a_running_server_takes_in_the_sections_and_contests_another_process_counted(tmp_path: Path) -> None:
    """A BU of a new section and state counted by another process (`testigo ingest` beside `testigo serve`):
    the server's next refresh finds its section, its contests and its state, no restart needed."""
    store = init_workspace(str(tmp_path / "ws"), "br")
    _keys(store.workspace.trusted_keys_dir)
    first = draw_boletim(ELECTION, 60)
    _ingest(store, "first.txt", first)
    store.forget_cached()
    later = next(bu for bu in (draw_boletim(ELECTION, i) for i in range(61, 200)) if bu.section.uf != first.section.uf)
    uf, section = later.field("UNFE"), "-".join([later.field(k) for k in ("UNFE", "MUNI", "ZONA", "SECA")])
    with TestClient(create_app(store, web_settings()), base_url="https://testserver") as client:
        before = {c["key"] for c in client.get("/api/v1/contests").json()["contests"]}
        assert client.get(f"/api/v1/areas/{uf}").status_code == 404
        other = open_workspace(str(store.workspace.root))  # another process's store: its own registry
        _ingest(other, "later.txt", later)
        other.close()
        after = {c["key"] for c in client.get("/api/v1/contests").json()["contests"]}
        governor = next(key for key in after - before if key.endswith(f":{uf}"))
        assert len(after - before) == len(later.results) - 1  # every contest but the President's is new
        state = client.get(f"/api/v1/areas/{uf}")  # by default in the first contest, the President's
        assert state.status_code == 200 and state.json()["id"] == uf
        assert state.json()["coverage"]["mesas_registry"] == 2  # the country's: both sections
        assert client.get(f"/mesa/{section}", params={"contest": governor}).status_code == 200
        totals = client.get("/api/v1/results", params={"contest": governor}).json()
        assert totals["rows"][0]["actas"] == 1
        found = client.get("/api/v1/search", params={"q": section}).json()
        assert [m["id"] for m in found["mesas"]] == [section]


def test_the_public_pages_show_one_contest_at_a_time_each_against_its_constituency(tmp_path: Path) -> None:
    """Two sections of two states: the President's pages count both, a Governor's only its state's; the
    selector, the drill-down, the API and the downloads carry the contest."""
    store = init_workspace(str(tmp_path / "ws"), "br")
    _keys(store.workspace.trusted_keys_dir)
    first = draw_boletim(ELECTION, 60)
    second = next(bu for bu in (draw_boletim(ELECTION, i) for i in range(61, 200)) if bu.section.uf != first.section.uf)
    _ingest(store, "first.txt", first)
    _ingest(store, "second.txt", second)
    store.forget_cached()
    contests = store.profile.contests()
    president = next(iter(contests))
    uf = first.field("UNFE")
    governor = next(key for key in contests if key.endswith(f":{uf}"))
    with TestClient(create_app(store, web_settings()), base_url="https://testserver") as client:
        national = client.get("/")
        assert national.status_code == 200
        assert f'<b aria-current="page">{contests[president]}</b>' in national.text  # the first contest, shown
        assert f"contest={quote(governor, safe='')}" in national.text  # the others, linked
        assert '<svg class="map"' not in national.text  # no map of Venezuela for Brazil's states
        page = client.get("/", params={"contest": governor})
        assert f'<b aria-current="page">{contests[governor]}</b>' in page.text
        assert f'href="/area/{uf}?contest={quote(governor, safe="")}"' in page.text  # the drill-down keeps it
        assert client.get("/", params={"contest": "1:2:3"}).status_code == 404
        # each contest counted against its own constituency: the President's both sections, a Governor's one
        whole = client.get("/api/v1/areas", params={"contest": president}).json()
        alone = client.get("/api/v1/areas", params={"contest": governor}).json()
        assert (whole["coverage"]["mesas_registry"], alone["coverage"]["mesas_registry"]) == (2, 1)
        assert alone["contest"] == governor and alone["totals"]["actas"] == 1
        result = next(r for r in first.results if governor.split(":")[3] == str(r.contest.office))
        assert sum(alone["totals"]["candidates"].values()) == result.nominal + result.label_total
        center = client.get(f"/area/{store.registry.mesas[_section(first)].center_id}", params={"contest": governor})
        assert center.status_code == 200 and f'href="/mesa/{_section(first)}?contest=' in center.text
        rows = client.get("/api/v1/results", params={"contest": governor, "level": "mesa"}).json()["rows"]
        assert [row["id"] for row in rows] == [_section(first)]
        csv = client.get("/api/v1/downloads/state.csv", params={"contest": governor})
        assert csv.status_code == 200 and csv.text.count("\n") == 2  # the header and the one state
        downloads = client.get("/downloads", params={"contest": governor}).text
        assert f"/api/v1/downloads/mesa.csv?contest={quote(governor, safe='')}" in downloads


def _section(boletim: SimulatedBoletim) -> str:
    return "-".join(boletim.field(k) for k in ("UNFE", "MUNI", "ZONA", "SECA"))
