"""Boletins de urna ingested into a workspace of profile br: parts gathered across uploads, one record per
contest, per-contest tallies equal to the truth, every forgery and rival kept out of the totals."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

import testigo
from testigo.cli import app
from testigo.pipeline.boletins import check_boletins
from testigo.pipeline.bu_ingest import settle_boletins
from testigo.pipeline.decode import LISTED
from testigo.pipeline.ingest import IngestReport
from testigo.profiles.br import LABEL, contest_key
from testigo.profiles.bu.keys import KeyRing
from testigo.profiles.bu.text import parse_boletim, parse_part
from testigo.publish.layout import contest_prefix
from testigo.read import FileReading
from testigo.read.decode import PageReading
from testigo.simulate.boletim import draw_boletim, public_key_bytes, qr_texts
from testigo.simulate.bu_forgery import change_count, drop_part, foreign_part, recompute_chain
from testigo.simulate.strip import photograph, render_strip
from testigo.store import ledger
from testigo.store.schema import RecordRow
from testigo.store.workspace import Store, init_workspace, open_workspace
from tests.api.sample import BU_VECTORS
from tests.pipeline.test_boletins import ELECTION, _keys, _multi_part, _write_texts


@pytest.fixture
def brazil(tmp_path: Path) -> Store:
    """A workspace of profile br trusting the simulated election's keys."""
    store = init_workspace(str(tmp_path / "ws"), "br")
    _keys(store.workspace.trusted_keys_dir)
    return store


def _statuses(report: IngestReport) -> Counter[str]:
    return Counter(line.status for line in report.files)


def _truth(indexes: list[int]) -> dict[str, Counter[str]]:
    """Votes per option of every contest, summed over the simulated sections (what the BUs state)."""
    truth: dict[str, Counter[str]] = {}
    for index in indexes:
        texts = qr_texts(ELECTION, draw_boletim(ELECTION, index))
        boletim = parse_boletim([parse_part(text) for text in texts])
        for contest in boletim.contests:
            votes = truth.setdefault(contest_key(boletim, contest), Counter())
            votes.update({str(n): v for n, v in contest.all_candidates().items() if v})
            votes.update({f"{LABEL}{p.number}": p.label_votes for p in contest.parties if p.label_votes})
    return truth


def _tallies(store: Store) -> dict[str, Counter[str]]:
    found = {}
    for contest in testigo.contests(store):
        [row] = testigo.results(store, contest=contest).to_pylist()
        keys = store.profile.election_of(contest).candidate_keys()
        found[contest] = Counter({k: row[k] for k in keys if row[k]})
    return found


def test_the_real_boletins_count_one_record_per_contest_and_a_second_copy_is_a_duplicate(tmp_path: Path) -> None:
    if not BU_VECTORS.exists():
        pytest.skip(f"{BU_VECTORS} not present")
    store = init_workspace(str(tmp_path / "ws"), "br")
    report = testigo.ingest(store, [BU_VECTORS], workers=1)
    expected = check_boletins([BU_VECTORS], KeyRing(None))
    contests = sum(len(item.boletim.contests) for item in expected.boletins)
    assert _statuses(report) == {"accepted": contests, "rejected": 1}  # expected.json is no list of codes
    store.forget_cached()
    # every contest's total is the checker's, option by option, and its coverage its own constituency's
    for total in expected.totals:
        key = f"{total.election_day}:{total.round}:{total.election}:{total.office}:{total.area}"
        [row] = testigo.results(store, contest=key).to_pylist()
        assert {k: row[k] for k in map(str, total.candidates)} == {str(n): v for n, v in total.candidates.items()}
        assert row["null_votes"] == total.blank + total.null and row["actas"] == total.sections
        coverage = testigo.coverage(store, contest=key)
        assert coverage.mesas_covered == total.sections
        # the registry of a state's or a municipality's contest is that area's sections only (the examples of
        # three elections share Acre's: a workspace holds one election, whose rounds share their sections)
        sections = {item.section for item in expected.boletins}
        if total.area != "BR":
            inside = {s for s in sections if total.area in (s.uf, f"{s.uf}-{s.municipality}")}
            assert coverage.mesas_registry == len({(s.uf, s.municipality, s.zone, s.section) for s in inside})
    # the same codes again, in another file: every contest a duplicate of the one counted
    codes = (BU_VECTORS / "ex2016_sp.txt").read_text(encoding="ascii")
    (tmp_path / "again.txt").write_text("\n" + codes, encoding="ascii")
    again = testigo.ingest(store, [tmp_path / "again.txt"], workers=1)
    assert [line.status for line in again.files] == ["duplicate"]


def test_parts_across_uploads_complete_once_and_the_tally_is_the_truth_per_contest(
    brazil: Store, tmp_path: Path
) -> None:
    rng = np.random.default_rng(3)
    sections = list(range(20))
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir(), second.mkdir()
    for index in sections:
        _, parts = _multi_part(index)
        # the later parts come first: they wait, and the upload with part 1 completes them
        _write_texts(first / f"{index}.txt", parts[1:])
        _write_texts(second / f"{index}.txt", parts[:1])
    waiting = testigo.ingest(brazil, [first], workers=1)
    assert set(_statuses(waiting)) == {"incomplete"}
    assert all("waits for the parts before it" in (line.reason or "") for line in waiting.files)
    done = testigo.ingest(brazil, [second], workers=1)
    contests = sum(len(draw_boletim(ELECTION, i).results) for i in sections)
    assert _statuses(done) == {"accepted": contests}
    # a whole strip photographed, for a section not seen yet: its codes gathered from the one photo
    index = 30
    bu = draw_boletim(ELECTION, index)
    strip = render_strip(ELECTION, bu, qr_texts(ELECTION, bu), np.random.default_rng(index))
    [shot] = photograph(strip, "scan", rng)
    (tmp_path / "strip.png").write_bytes(shot.data)
    photo = testigo.ingest(brazil, [tmp_path / "strip.png"], workers=1)
    assert _statuses(photo) == {"accepted": len(bu.results)}
    brazil.forget_cached()
    assert _tallies(brazil) == _truth([*sections, index])


def test_forgeries_are_invalid_a_rival_is_a_conflict_and_a_missing_key_is_flagged(
    brazil: Store, tmp_path: Path
) -> None:
    rng = np.random.default_rng(11)
    genuine = draw_boletim(ELECTION, 40)
    _write_texts(tmp_path / "genuine.txt", qr_texts(ELECTION, genuine))
    _write_texts(tmp_path / "recomputed.txt", recompute_chain(_multi_part(41)[1], rng).parts)
    _write_texts(tmp_path / "changed.txt", change_count(_multi_part(42)[1], rng).parts)
    report = testigo.ingest(brazil, [tmp_path / "genuine.txt", tmp_path / "recomputed.txt"], workers=1)
    by_file = {Path(line.path).name: line for line in report.files if line.status != "accepted"}
    assert by_file["recomputed.txt"].status == "invalid"
    assert (by_file["recomputed.txt"].reason or "").startswith("invalid: bad signature under key ")
    changed = testigo.ingest(brazil, [tmp_path / "changed.txt"], workers=1)
    assert "accepted" not in _statuses(changed)  # a count changed: the part no longer follows, or fails its hash
    # a part dropped, or one taken from another BU: the BU never completes, and says which parts it lacks
    dropped = drop_part(_multi_part(43)[1], rng)
    _write_texts(tmp_path / "dropped.txt", dropped.parts)
    _write_texts(tmp_path / "foreign.txt", foreign_part(_multi_part(44)[1], _multi_part(45)[1], rng).parts)
    names = ("dropped.txt", "foreign.txt")
    waiting = {name: testigo.ingest(brazil, [tmp_path / name], workers=1).files for name in names}
    for name, lines in waiting.items():
        assert {line.status for line in lines} == {"incomplete"}, name
        assert any(", lacks " in (line.reason or "") for line in lines), name
    [missing] = dropped.description["missing"]  # received: the parts before it; lacking: it and every later one
    assert any(f"lacks {missing}" in (line.reason or "") for line in waiting["dropped.txt"])
    # a second BU of the section with the same figures (another print): a duplicate, contest by contest
    reprint = replace(genuine, header=tuple((k, "235959" if k == "HRFC" else v) for k, v in genuine.header))
    _write_texts(tmp_path / "reprint.txt", qr_texts(ELECTION, reprint))
    assert set(_statuses(testigo.ingest(brazil, [tmp_path / "reprint.txt"], workers=1))) == {"duplicate"}
    # one where a vote moved between two candidates of the first contest, signed with the key: that contest is
    # in conflict, kept for review, its accepted record still the one that counts; the others are duplicates
    result = genuine.results[0]
    giver, taker = sorted(result.votes, key=lambda n: -result.votes[n])[:2]
    votes = {**result.votes, giver: result.votes[giver] - 1, taker: result.votes[taker] + 1}
    rival = replace(reprint, results=(replace(result, votes=votes), *genuine.results[1:]))
    _write_texts(tmp_path / "rival.txt", qr_texts(ELECTION, rival))
    outcome = testigo.ingest(brazil, [tmp_path / "rival.txt"], workers=1)
    assert _statuses(outcome) == {"conflict": 1, "duplicate": len(genuine.results) - 1}
    [conflict] = [line for line in outcome.files if line.status == "conflict"]
    assert f"{giver} {result.votes[giver]}→{result.votes[giver] - 1}" in (conflict.reason or "")
    brazil.forget_cached()
    assert _tallies(brazil) == _truth([40])

    # a BU signed with a key the workspace lacks: counted, flagged with the reason, never called verified
    other = init_workspace(str(tmp_path / "bare"), "br")
    unverified = testigo.ingest(other, [tmp_path / "genuine.txt"], workers=1)
    assert set(_statuses(unverified)) == {"accepted"}
    with other.sessions() as session:
        flags = {json.loads(row.flags)[0] for row in session.execute(select(RecordRow)).scalars()}
    key = ELECTION.key_name(genuine.section.uf)
    assert flags == {f"signature not verified: chain valid, signature not checked: key {key} missing"}


def test_a_key_added_later_verifies_the_boletins_counted_without_it_and_drops_those_it_refuses(
    tmp_path: Path,
) -> None:
    """Counted before its key was trusted, a genuine BU is flagged; `keys add` then verifies it (the flag goes),
    and a BU of the same key whose chain was recomputed without it stops counting, each logged."""
    store = init_workspace(str(tmp_path / "ws"), "br")
    rng = np.random.default_rng(5)
    uf = draw_boletim(ELECTION, 60).section.uf
    genuine, forged = [i for i in range(60, 200) if draw_boletim(ELECTION, i).section.uf == uf][:2]
    _write_texts(tmp_path / "genuine.txt", qr_texts(ELECTION, draw_boletim(ELECTION, genuine)))
    _write_texts(tmp_path / "forged.txt", recompute_chain(_multi_part(forged)[1], rng).parts)
    counted = testigo.ingest(store, [tmp_path / "genuine.txt", tmp_path / "forged.txt"], workers=1)
    assert set(_statuses(counted)) == {"accepted"}  # the key is missing: both chains hold, neither is verified
    store.forget_cached()
    assert _tallies(store) != _truth([genuine])

    key_file = tmp_path / "key.pub"
    key_file.write_bytes(public_key_bytes(ELECTION.signing_key(uf)))
    name = ELECTION.key_name(uf)
    root = str(store.workspace.root)
    added = CliRunner().invoke(app, ["keys", "add", str(key_file), "--name", name, "--json", "--workspace", root])
    assert added.exit_code == 0, added.output
    judged = {entry["verdict"]: entry for entry in json.loads(added.stdout)["judged_again"]}
    contests = len(draw_boletim(ELECTION, genuine).results)
    assert judged["verified"]["records"] == contests and judged["verified"]["key"] == name
    assert judged["invalid"]["reason"].startswith("invalid: bad signature under key ")
    store.forget_cached()
    assert _tallies(store) == _truth([genuine])
    with store.sessions() as session:
        rows = session.execute(select(RecordRow.mesa_id, RecordRow.status, RecordRow.flags)).tuples().all()
    assert {(mesa == judged["verified"]["section"], status) for mesa, status, _ in rows} == {
        (True, "accepted"),
        (False, "superseded"),
    }
    assert not any(
        "signature not verified" in flags for mesa, _, flags in rows if mesa == judged["verified"]["section"]
    )
    with store.sessions() as session:
        logged = [json.loads(row.body) for row in ledger.entries(session) if row.kind == "signature"]
    assert sorted(e["verdict"] for e in logged) == ["invalid", "verified"]
    # judged once: adding the key again changes nothing more
    again = CliRunner().invoke(app, ["keys", "add", str(key_file), "--name", name, "--json", "--workspace", root])
    assert json.loads(again.stdout)["judged_again"] == [] and not json.loads(again.stdout)["added"]


def test_the_cli_lists_the_contests_and_tallies_the_one_asked(brazil: Store, tmp_path: Path) -> None:
    path = _write_texts(tmp_path / "bu.txt", qr_texts(ELECTION, draw_boletim(ELECTION, 50)))
    root = str(brazil.workspace.root)
    assert CliRunner().invoke(app, ["ingest", str(path), "--workspace", root]).exit_code == 0
    listed = json.loads(CliRunner().invoke(app, ["contests", "--json", "--workspace", root]).stdout)["contests"]
    assert [c["accepted"] for c in listed] == [1] * len(listed) and listed[0]["name"].startswith("Presidente BR")
    last = listed[-1]["key"]
    document = json.loads(CliRunner().invoke(app, ["tally", "--contest", last, "--json", "--workspace", root]).stdout)
    assert document["contest"] == last and document["rows"][0]["actas"] == 1
    brazil.forget_cached()  # the ingest above ran in a Store of its own
    with pytest.raises(testigo.UserError, match=r"^unknown contest '1:2:3'; this workspace has '\d+:1:\d+:1:BR', "):
        testigo.results(brazil, contest="1:2:3")
    # published from the command line: one folder of pages and data per contest, each listed by the index
    published = CliRunner().invoke(app, ["publish", "--out", str(tmp_path / "bundle"), "--json", "--workspace", root])
    assert published.exit_code == 0 and json.loads(published.stdout)["mesas"] == 1
    index = (tmp_path / "bundle" / "index.html").read_text(encoding="utf-8")
    for contest in listed:
        assert (tmp_path / "bundle" / contest_prefix(contest["key"]) / "index.html").is_file()
        assert f'href="{contest_prefix(contest["key"])}index.html"' in index


def test_a_section_another_process_counted_joins_this_process_registry_with_its_areas(
    brazil: Store, tmp_path: Path
) -> None:
    genuine = draw_boletim(ELECTION, 70)
    _write_texts(tmp_path / "bu.txt", qr_texts(ELECTION, genuine))
    other = open_workspace(str(brazil.workspace.root))  # another process: the command line beside a server
    assert set(_statuses(testigo.ingest(other, [tmp_path / "bu.txt"], workers=1))) == {"accepted"}
    assert not brazil.registry.mesas  # loaded before that ingest
    reprint = replace(genuine, header=tuple((k, "235959" if k == "HRFC" else v) for k, v in genuine.header))
    _write_texts(tmp_path / "reprint.txt", qr_texts(ELECTION, reprint))
    assert set(_statuses(testigo.ingest(brazil, [tmp_path / "reprint.txt"], workers=1))) == {"duplicate"}
    [mesa] = brazil.registry.mesas.values()
    for level in ("state", "municipality", "parish", "center", "mesa"):  # every level finds the section's areas
        assert brazil.registry.area_of(mesa, level)


def test_ballots_another_process_grew_or_a_rolled_back_transaction_held_are_read_again(
    brazil: Store, tmp_path: Path
) -> None:
    """Each file's transaction reads the ballots as stored: options another process appended are used, and
    options a rolled-back transaction appended in this process are written again, never taken as stored."""
    sections = [80, 81, 82]
    _write_texts(tmp_path / "80.txt", qr_texts(ELECTION, draw_boletim(ELECTION, 80)))
    assert set(_statuses(testigo.ingest(brazil, [tmp_path / "80.txt"], workers=1))) == {"accepted"}
    other = open_workspace(str(brazil.workspace.root))  # another process appends the options of section 81
    _write_texts(tmp_path / "81.txt", qr_texts(ELECTION, draw_boletim(ELECTION, 81)))
    assert set(_statuses(testigo.ingest(other, [tmp_path / "81.txt"], workers=1))) == {"accepted"}
    other.close()
    # section 82's options, appended by a transaction of this process that is then rolled back
    codes = qr_texts(ELECTION, draw_boletim(ELECTION, 82))
    reading = FileReading("text/plain", (PageReading(0, tuple(codes), strategy=LISTED),))
    with brazil.sessions() as session:
        settle_boletins(brazil, session, reading)
        session.rollback()
    _write_texts(tmp_path / "82.txt", codes)
    assert set(_statuses(testigo.ingest(brazil, [tmp_path / "82.txt"], workers=1))) == {"accepted"}
    # every option counted is on its stored ballot, and every contest totals the truth
    fresh = open_workspace(str(brazil.workspace.root))
    assert _tallies(fresh) == _truth(sections)
    for contest, votes in _truth(sections).items():
        assert set(votes) <= set(fresh.profile.election_of(contest).candidate_keys())
    fresh.close()
