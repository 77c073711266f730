"""`testigo audit` end to end on a real workspace: plan after publishing, record, status, publish, verify."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

import testigo
from testigo.cli.audit import parse_figures
from testigo.errors import UserError
from testigo.verify import verify_bundle
from tests.conftest import small_mesas
from tests.test_cli import run, run_json

SEED = "86420975318642097531"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ve2024 workspace of 40 imported mesas (one invalid row), not published yet."""
    root = tmp_path_factory.mktemp("audit")
    table = root / "citizen.csv"
    with table.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["mesa_id", *(f"card_{i}" for i in range(1, 39)), "null_votes"])
        for n, mesa in enumerate(small_mesas(40)):
            cards = [0] * 38
            cards[0], cards[35] = 100 + n, 200
            writer.writerow([mesa, *cards, 2])
    run("import", str(table), "--workspace", str(root / "ws"), "--json")
    return root / "ws"


def _published_figures(workspace: Path, mesa: str) -> list[int]:
    plan = json.loads((workspace / "audit" / "plan.json").read_text(encoding="utf-8"))
    [row] = [m for m in plan["mesas"] if m["mesa"] == mesa]
    return [*row["counts"], row["null_votes"]]


def test_plan_record_status_publish_and_verify(workspace: Path, tmp_path: Path) -> None:
    ws = ("--workspace", str(workspace))
    early = run("audit", "plan", "--seed", SEED, *ws, check=False)
    assert early.returncode == 2
    assert early.stderr.strip() == (
        "testigo: no checkpoint of the log is signed yet: run `testigo publish` first, so the figures audited are "
        "committed before the seed is drawn"
    )
    bundle = tmp_path / "bundle"
    testigo.publish(workspace, bundle)
    planned = run_json("audit", "plan", "--seed", SEED, "--risk-limit", "0.05", *ws)
    assert planned["outcome"] == "continue" and planned["draws"] == 0 and planned["risk"] == 1.0
    assert planned["winner"] == "gonzalez" and planned["mesas"] == 39 and planned["checkpoint"]["size"] == 40
    assert planned["planned_draws"] == planned["initial_draws"] < 39
    again = run("audit", "plan", "--seed", SEED, *ws, check=False)
    assert again.returncode == 2 and "already planned" in again.stderr and len(again.stderr.splitlines()) == 1

    first = planned["next_mesas"][0]
    paper = _published_figures(workspace, first)
    paper[0] += 1  # the paper gives Maduro (card 1) one vote more than published: a one-vote overstatement
    named = ",".join([*(f"card_{i}={v}" for i, v in enumerate(paper[:-1], 1)), f"null_votes={paper[-1]}"])
    recorded = run_json("audit", "record", first, "--figures", named, *ws)
    assert recorded["discrepancies"] == [
        {
            "mesa": first,
            "overstatement": 1,
            "taint": recorded["discrepancies"][0]["taint"],
            "figures": ["card 1"],
            "counted": True,
        }
    ]
    refused = run("audit", "record", first, "--figures", ",".join(map(str, paper)), *ws, check=False)
    assert refused.returncode == 2 and "recorded already" in refused.stderr

    with testigo.open(workspace) as opened:  # the auditors' other sheets, each as published, through the API
        status = testigo.audit_status(opened)
        while status.outcome == "continue":
            for mesa in status.next_mesas:
                figures = _published_figures(workspace, mesa)
                status = testigo.audit_record(opened, mesa, figures[:-1], figures[-1])
    assert status.outcome == "met" and status.risk <= 0.05
    printed = run("audit", "status", *ws).stdout
    assert printed.splitlines()[0] == (
        f"risk limit 5% met after {status.sheets} sheets ({status.draws} draws), 1 discrepancy "
        "(1 one-vote overstatement)"
    )

    testigo.publish(workspace, bundle)
    assert sorted(p.name for p in (bundle / "audit").iterdir()) == ["findings.jsonl", "plan.json", "report.json"]
    verified = verify_bundle(bundle, workers=1)
    [check] = [c for c in verified.checks if c.check == "audit"]
    assert verified.ok and check.ok and check.detail.startswith(status.statement)

    edited = tmp_path / "edited"
    shutil.copytree(bundle, edited)
    findings = edited / "audit" / "findings.jsonl"
    lines = findings.read_bytes().splitlines(keepends=True)
    lines[-1] = lines[-1].replace(b'"null_votes":2', b'"null_votes":3')
    findings.write_bytes(b"".join(lines))
    assert "audit/report.json: discrepancies is not what the log, seed and findings give" in _problems(edited)
    lines[0] = lines[0].replace(b'"counts":[', b'"counts":[7')
    findings.write_bytes(b"".join(lines))
    assert (
        "audit: findings.jsonl line 2 does not follow the line before it (the SHA-256 it names differs): a finding "
        "was changed, removed or reordered"
    ) in _problems(edited)


def _problems(bundle: Path) -> list[str]:
    """What `testigo verify` finds wrong (the "audit" check among them)."""
    report = verify_bundle(bundle, workers=1)
    [check] = [c for c in report.checks if c.check == "audit"]
    assert not check.ok
    return report.problems


def test_figures_are_read_in_ballot_order_or_by_name() -> None:
    assert parse_figures("120, 80,5,3") == ([120, 80, 5], 3)
    assert parse_figures("card_2=80,null_votes=3,card_1=120") == ([120, 80], 3)
    named = "--figures: name card_1 to card_N (every card of the ballot) and null_votes, each once"
    for bad, why in (
        ("1,two", "--figures takes whole numbers separated by commas, not '1,two'"),
        ("7", "--figures: give every card's votes in ballot order, then the null votes"),
        ("card_1=1,card_3=2,null_votes=0", named),
        ("card_1=1", named),
        ("card_1=1,card_1=2,null_votes=0", named),
    ):
        with pytest.raises(UserError) as refused:
            parse_figures(bad)
        assert str(refused.value) == why
