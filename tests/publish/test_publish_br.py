"""A workspace of Brazil's boletins de urna published and verified: one page set and set of data files per
contest, every contest's totals the truth, the NIST report listing the contests, and every logged contest found
again in the BUs that the published images' codes make."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

import testigo
from testigo.cli import app
from testigo.ledger.entries import Entry, read_entries
from testigo.pipeline.decode import decode_blob
from testigo.profiles.br import contest_sheets
from testigo.profiles.bu.text import parse_boletim, parse_part
from testigo.publish import publish
from testigo.publish.layout import (
    ENTRIES,
    INDEX_PAGE,
    MESAS_CSV,
    MESAS_JSON,
    NIST_JSON,
    TOTALS_JSON,
    contest_prefix,
    page_path,
)
from testigo.simulate.boletim import draw_boletim, qr_texts
from testigo.simulate.bu_forgery import change_count, recompute_chain
from testigo.simulate.strip import photograph, render_strip
from testigo.store.blobs import sha256_hex
from testigo.store.workspace import Store, init_workspace
from testigo.verify import verify_bundle
from testigo.verify.boletins import read_boletins_again
from tests.api.sample import BU_VECTORS
from tests.pipeline.test_boletins import ELECTION, _keys, _multi_part, _write_texts
from tests.pipeline.test_bu_ingest import _truth
from tests.web.test_browser import TIMEOUT_MS, chromium  # noqa: F401 - fixture, used by name
from tests.web.test_browser_page_verify import _change_a_figure, _verify

#: Sections whose BUs come as lists of codes, their parts split over two uploads; and one photographed whole.
SECTIONS, PHOTOGRAPHED = list(range(8)), 30


@dataclass(frozen=True)
class Published:
    store: Store
    bundle: Path
    inputs: Path


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Published:
    root = tmp_path_factory.mktemp("br")
    store = init_workspace(str(root / "ws"), "br")
    _keys(store.workspace.trusted_keys_dir)
    first, second = root / "in" / "first", root / "in" / "second"
    first.mkdir(parents=True), second.mkdir()
    for index in SECTIONS:
        _, parts = _multi_part(index)
        _write_texts(first / f"{index}.txt", parts[1:])  # the later parts wait for part 1, in another upload
        _write_texts(second / f"{index}.txt", parts[:1])
    bu = draw_boletim(ELECTION, PHOTOGRAPHED)
    strip = render_strip(ELECTION, bu, qr_texts(ELECTION, bu), np.random.default_rng(PHOTOGRAPHED))
    [shot] = photograph(strip, "scan", np.random.default_rng(3))
    (second / "strip.png").write_bytes(shot.data)
    testigo.ingest(store, [first], workers=1)
    report = testigo.ingest(store, [second], workers=1)
    assert {line.status for line in report.files} == {"accepted"}
    store.forget_cached()
    publish(store, root / "bundle")
    return Published(store, root / "bundle", root / "in")


def test_every_contest_has_its_pages_and_data_and_its_totals_are_the_truth(published: Published) -> None:
    truth = _truth([*SECTIONS, PHOTOGRAPHED])
    contests = testigo.contests(published.store)
    assert set(contests) == set(truth) and len(contests) > 1
    index = (published.bundle / INDEX_PAGE).read_text(encoding="utf-8")
    for contest, name in contests.items():
        folder = published.bundle / contest_prefix(contest)
        assert f'href="{contest_prefix(contest)}{INDEX_PAGE}"' in index and name in index
        document = json.loads((folder / MESAS_JSON).read_text(encoding="utf-8"))
        assert document["contest"] == contest
        votes: Counter[str] = Counter()
        for row in document["mesas"]:
            votes.update({key: count for key, count in row["candidates"].items() if count})
        assert votes == truth[contest]
        national = json.loads((folder / TOTALS_JSON).read_text(encoding="utf-8"))["country"]
        [row] = national["rows"]
        assert row["actas"] == len(document["mesas"]) == national["coverage"]["mesas_covered"]
        assert (folder / MESAS_CSV).read_text(encoding="utf-8").count("\n") == len(document["mesas"]) + 1
        for mesa in document["mesas"]:
            assert (folder / "mesa" / f"{mesa['mesa_id']}.html").is_file()
    # a contest of one state is counted against that state's sections only
    [state_contest] = [key for key in contests if not key.endswith(":BR")][:1]
    area = state_contest.rsplit(":", 1)[1]
    registry = json.loads((published.bundle / contest_prefix(state_contest) / TOTALS_JSON).read_text())
    registry_file = json.loads((published.bundle / "data" / "registry.json").read_text())
    inside = [m for m in registry_file["mesas"] if m[0].startswith(f"{area}-")]
    assert registry["country"]["coverage"]["mesas_registry"] == len(inside)


def test_the_nist_report_lists_every_contest_with_its_district_and_counts(published: Published) -> None:
    report = json.loads((published.bundle / NIST_JSON).read_text(encoding="utf-8"))
    [election] = report["Election"]
    truth = _truth([*SECTIONS, PHOTOGRAPHED])
    assert len(election["Contest"]) == len(truth)
    units = {unit["@id"]: unit for unit in report["GpUnit"]}
    ids = [c["@id"] for c in election["Candidate"]] + [p["@id"] for p in report["Party"]]
    assert len(ids) == len(set(ids))  # ids are unique across contests
    for contest in election["Contest"]:
        [key] = [k for k in truth if contest["@id"] == "contest-" + contest_prefix(k).split("/")[1]]
        area = key.rsplit(":", 1)[1]
        district = "gpu-country" if area == "BR" else f"gpu-state-{area}"
        assert contest["ElectoralDistrictId"] == district and district in units
        total: Counter[str] = Counter()
        for selection in contest["BallotSelection"]:
            name = selection["@type"].removeprefix("ElectionResults.")
            assert name in ("CandidateSelection", "PartySelection")
            count = sum(v["Count"] for v in selection["VoteCounts"])
            if count:
                total[selection["@id"]] = count
            for vote in selection["VoteCounts"]:
                assert vote["GpUnitId"] in units
        assert sum(total.values()) == sum(truth[key].values())
        # a party's label votes are a PartySelection of that party
        labels = sum(v for option, v in truth[key].items() if option.startswith("legenda "))
        parties = sum(
            v["Count"]
            for s in contest["BallotSelection"]
            if s["@type"].endswith("PartySelection")
            for v in s["VoteCounts"]
        )
        assert parties == labels


def test_the_bundle_verifies_and_a_changed_contest_file_is_named(published: Published, tmp_path: Path) -> None:
    report = verify_bundle(published.bundle, workers=1)
    assert report.ok, report.problems
    decoding = next(check for check in report.checks if check.check == "decoding")
    bus = len(SECTIONS) + 1
    assert f"make {bus} whole BUs" in decoding.detail
    # the simulated election's keys ship with no testigo: its signatures are checked only with --bu-keys
    assert f"{bus} of them signed by a TSE key neither shipped with testigo nor in --bu-keys" in decoding.detail
    keys = str(published.store.workspace.trusted_keys_dir)
    run = CliRunner().invoke(app, ["verify", str(published.bundle), "--bu-keys", keys, "--workers", "1", "--json"])
    assert run.exit_code == 0, run.stdout
    [detail] = [c["detail"] for c in json.loads(run.stdout)["checks"] if c["check"] == "decoding"]
    assert f"make {bus} whole BUs" in detail and "neither shipped" not in detail
    # one vote more in one contest's per-mesa table is caught, naming the file
    copy = tmp_path / "bundle"
    copy.mkdir()
    for path in published.bundle.rglob("*"):
        target = copy / path.relative_to(published.bundle)
        if path.is_dir():
            target.mkdir(exist_ok=True)
        else:
            target.write_bytes(path.read_bytes())
    contest = next(iter(testigo.contests(published.store)))
    csv = copy / contest_prefix(contest) / MESAS_CSV
    lines = csv.read_text(encoding="utf-8").splitlines()
    header, first = lines[0].split(","), lines[1].split(",")
    column = header.index("valid_votes")
    first[column] = str(int(first[column]) + 1)
    csv.write_text("\n".join([lines[0], ",".join(first), *lines[2:]]) + "\n", encoding="utf-8")
    tampered = verify_bundle(copy, workers=1)
    assert not tampered.ok
    assert any(problem.startswith(f"{contest_prefix(contest)}{MESAS_CSV}") for problem in tampered.problems)


def _read_again(published: Published, entries: list[Entry]) -> list[str]:
    """The problems `verify` finds with these entries against the published images read again."""
    images = {p.name.split(".")[0]: p for p in (published.bundle / "actas").iterdir()}
    logged: dict[str, list[Entry]] = {}
    for entry in entries:
        if entry.get("kind") == "item" and entry.sha256:
            logged.setdefault(entry.sha256, []).append(entry)
    decoded = {sha: (f"actas/{path.name}", decode_blob(sha, str(path), "br")) for sha, path in images.items()}
    return read_boletins_again(logged, decoded).problems


def test_a_contest_the_bus_do_not_state_is_caught_when_the_images_are_read_again(published: Published) -> None:
    bodies = (published.bundle / ENTRIES).read_bytes().splitlines()
    entries, _ = read_entries(bodies)
    assert _read_again(published, entries) == []
    # one vote more for one option of one contest, in the log: no BU read again states it
    counted = next(e for e in entries if e.status == "accepted")
    contest = json.loads(str(counted.payload))
    option = next(iter(contest["votes"]))
    contest["votes"][option] += 1
    forged = json.loads(counted.body)
    forged["payload"] = json.dumps(contest, sort_keys=True, separators=(",", ":"))
    altered = [*entries[: counted.seq], Entry(counted.seq, b"", forged), *entries[counted.seq + 1 :]]
    [problem] = _read_again(published, altered)
    assert problem.startswith(f"log entry {counted.seq}: actas/{counted.sha256}") and "states the logged" in problem
    # the same contest logged of an image that holds no part of its BU
    other = next(e for e in entries if e.sha256 != counted.sha256 and e.status == "accepted")
    moved = json.loads(counted.body) | {"sha256": other.sha256}
    elsewhere = [*entries[: counted.seq], Entry(counted.seq, b"", moved), *entries[counted.seq + 1 :]]
    [problem] = _read_again(published, elsewhere)
    assert problem.startswith(f"log entry {counted.seq}: actas/{other.sha256}")


def _counting(parts: tuple[str, ...] | list[str], folder: Path, template: dict[str, object]) -> list[str]:
    """The problems `verify` finds with a log that counts every contest of the BU `parts` make, from their file."""
    path = _write_texts(folder / "codes.txt", parts)
    digest = sha256_hex(path.read_bytes())
    boletim = parse_boletim([parse_part(text) for text in parts])
    entries = [
        Entry(seq, b"", template | {"sha256": digest, "payload": sheet.payload(), "status": "accepted"})
        for seq, sheet in enumerate(contest_sheets(boletim))
    ]
    decoded = {digest: ("actas/codes.bin", decode_blob(digest, str(path), "br"))}
    problems = read_boletins_again({digest: entries}, decoded).problems
    assert len(problems) == len(entries)
    return problems


def test_a_forged_bu_whose_contests_a_log_counts_is_caught_when_read_again(
    published: Published, tmp_path: Path
) -> None:
    """A publisher who counted a forged BU and published its image."""
    template = json.loads((published.bundle / ENTRIES).read_bytes().splitlines()[0])
    # a count changed, the chain left alone: the changed part is not the one the chain expects, no BU completes
    _, parts = _multi_part(50)
    changed = _counting(change_count(parts, np.random.default_rng(5)).parts, tmp_path, template)
    assert all("a code of it makes no BU: it waits" in problem for problem in changed), changed
    # a real BU of 2016 (its TSE key ships with testigo), votes moved and the chain signed again by the forger
    if not BU_VECTORS.exists():
        pytest.skip(f"{BU_VECTORS} not present")
    real = [line for line in (BU_VECTORS / "ex2016_sp.txt").read_text(encoding="ascii").splitlines() if line]
    resigned = _counting(recompute_chain(real, np.random.default_rng(6)).parts, tmp_path, template)
    assert all("invalid when judged again" in problem and "signature" in problem for problem in resigned), resigned


@pytest.mark.browser
def test_a_contest_page_of_a_section_verifies_in_the_browser_and_a_changed_vote_fails(
    published: Published,
    chromium: Any,  # noqa: F811 - the imported fixture, by name
    tmp_path: Path,
) -> None:
    contest = next(iter(testigo.contests(published.store)))
    folder = contest_prefix(contest)
    [row, *_] = json.loads((published.bundle / folder / MESAS_JSON).read_text(encoding="utf-8"))["mesas"]
    context = chromium.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        url = (published.bundle / folder / page_path("mesa", row["mesa_id"])).as_uri()
        outcome, checks = _verify(page, url)
        assert outcome == "pass", checks
        figures = f"figures: every vote figure on screen is the one entry #{row['log_entry']}"
        assert [state for state, text in checks if text.startswith(figures)] == ["ok"]
        copy = Path(shutil.copytree(published.bundle, tmp_path / "bundle"))
        changed = _change_a_figure(copy, {"mesa_id": row["mesa_id"]}, folder)
        outcome, checks = _verify(page, (copy / folder / page_path("mesa", row["mesa_id"])).as_uri())
        assert outcome == "fail" and any(changed in text for state, text in checks if state == "fail"), checks
    finally:
        context.close()
