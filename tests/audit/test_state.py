"""The audit's files: a plan written once, findings only appended, each line chained to the one before."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from testigo.audit import AuditError, make_plan, measure
from testigo.audit.report import load_plan, published_files, status_of
from testigo.audit.state import FINDINGS_FILE, PLAN_FILE, append_finding, plan_bytes, read_findings, write_plan
from tests.audit.elections import ELECTION, Simulated, simulate


@pytest.fixture
def kept(tmp_path: Path) -> tuple[Path, Simulated, bytes]:
    sim = simulate(np.random.default_rng(9), mesas=150)
    data = plan_bytes(sim.plan.to_json())
    write_plan(tmp_path, data)
    return tmp_path, sim, data


def _record(folder: Path, sim: Simulated, data: bytes, mesa: str, reason: str | None = None, shift: int = 0) -> None:
    paper = [int(v) for v in sim.paper[sim.plan.index[mesa]]]
    paper[0] += shift
    null_votes = int(sim.nulls[sim.plan.index[mesa]])
    append_finding(folder, sim.plan, data, mesa, paper, null_votes, reason=reason, recorded_at="2026-12-03T02:00:00Z")


def test_the_plan_is_written_once_and_read_back_whole(kept: tuple[Path, Simulated, bytes]) -> None:
    folder, sim, data = kept
    with pytest.raises(AuditError, match="already planned"):
        write_plan(folder, data)
    assert (folder / PLAN_FILE).read_bytes() == data
    again = load_plan(data)
    assert again.to_json() == sim.plan.to_json() == json.loads(data)
    assert sim.plan.initial_draws < 150
    assert json.loads(data)["first_draws"] == [sim.plan.mesas[i].mesa for i in sim.plan.draws(sim.plan.initial_draws)]


def test_findings_chain_and_a_mesa_recorded_again_needs_a_reason(kept: tuple[Path, Simulated, bytes]) -> None:
    folder, sim, data = kept
    first, second = sim.plan.mesas[0].mesa, sim.plan.mesas[1].mesa
    _record(folder, sim, data, first, shift=1)
    _record(folder, sim, data, second)
    with pytest.raises(AuditError, match=f"mesa {first} is recorded already"):
        _record(folder, sim, data, first)
    _record(folder, sim, data, first, reason="  sheet re-read: card 1 was 1 vote less  ")
    findings = read_findings(folder, data)
    lines = (folder / FINDINGS_FILE).read_bytes().splitlines()
    assert [f.mesa for f in findings] == [first, second, first]
    assert findings[0].prev == hashlib.sha256(data).hexdigest()
    assert [f.prev for f in findings[1:]] == [hashlib.sha256(line).hexdigest() for line in lines[:-1]]
    status = status_of(folder)
    assert status.corrections == ((first, "sheet re-read: card 1 was 1 vote less"),)
    assert [d.mesa for d in status.discrepancies] == []  # the latest finding of `first` agrees with its paper


@pytest.mark.parametrize(
    ("mesa", "counts", "nulls", "why"),
    [
        ("nowhere", [1, 2, 3, 4], 0, "mesa nowhere is not in the audit"),
        ("m0001", [1, 2, 3], 0, "the ballot has 4 cards: give 4 counts and the null votes, not 3"),
        ("m0001", [1, 2, 3, 4], -1, "mesa m0001: a count cannot be negative"),
    ],
)
def test_impossible_findings_are_refused(
    kept: tuple[Path, Simulated, bytes], mesa: str, counts: list[int], nulls: int, why: str
) -> None:
    folder, sim, data = kept
    with pytest.raises(AuditError, match=why):
        append_finding(folder, sim.plan, data, mesa, counts, nulls, reason=None, recorded_at="2026-12-03T02:00:00Z")
    assert not (folder / FINDINGS_FILE).exists()


def test_a_changed_or_removed_finding_breaks_the_chain(kept: tuple[Path, Simulated, bytes]) -> None:
    folder, sim, data = kept
    for mesa in ("m0001", "m0002", "m0003"):
        _record(folder, sim, data, mesa)
    lines = (folder / FINDINGS_FILE).read_bytes().splitlines(keepends=True)
    (folder / FINDINGS_FILE).write_bytes(lines[0].replace(b'"counts":[', b'"counts":[1') + b"".join(lines[1:]))
    with pytest.raises(AuditError, match="line 2 does not follow the line before it"):
        read_findings(folder, data)
    (folder / FINDINGS_FILE).write_bytes(lines[0] + lines[2])
    with pytest.raises(AuditError, match="line 2 does not follow"):
        status_of(folder)


def test_what_a_bundle_publishes(kept: tuple[Path, Simulated, bytes], tmp_path: Path) -> None:
    folder, sim, data = kept
    assert published_files(tmp_path / "none") == []
    _record(folder, sim, data, "m0005", shift=-2)
    files = dict(published_files(folder))
    assert list(files) == ["audit/plan.json", "audit/findings.jsonl", "audit/report.json"]
    assert files["audit/plan.json"] == data
    report = json.loads(files["audit/report.json"])
    assert report == json.loads(json.dumps(measure(sim.plan, read_findings(folder, data)).to_json()))
    [found] = report["discrepancies"]
    assert found["mesa"] == "m0005" and found["overstatement"] == 2 and found["figures"] == ["card 1"]


def test_a_mesa_without_registered_voters_needs_a_stated_bound() -> None:
    plan = simulate(np.random.default_rng(9), mesas=150).plan
    unknown = replace(plan.mesas[0], registered=None)
    inputs = {
        "seed": plan.seed,
        "risk_limit": plan.risk_limit,
        "checkpoint": plan.checkpoint,
        "election": ELECTION,
        "created_at": plan.created_at,
    }
    with pytest.raises(AuditError, match=f"mesa {unknown.mesa} has no registered voters"):
        make_plan(**inputs, mesas=[unknown, *plan.mesas[1:]])
    bounded = make_plan(**inputs, mesas=[unknown, *plan.mesas[1:]], unknown_bound=900)
    assert bounded.unknown_bound == 900 and bounded.bound(bounded.mesas[0]) == 900
    assert make_plan(**inputs, mesas=plan.mesas, unknown_bound=900).unknown_bound is None  # not needed: not kept
