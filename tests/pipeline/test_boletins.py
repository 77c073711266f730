"""`check_boletins` on the real BUs and on simulated BU photos: totals equal the truth, every forgery caught."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from functools import partial
from pathlib import Path

import numpy as np
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from typer.testing import CliRunner

import testigo
from testigo.cli import app
from testigo.config import Workspace
from testigo.pipeline.boletins import BoletimStatus, check_boletins
from testigo.profiles.bu.keys import KeyName, KeyRing
from testigo.profiles.bu.model import Boletim
from testigo.profiles.bu.offices import constituency
from testigo.profiles.bu.text import parse_boletim, parse_part, write_parts
from testigo.simulate.boletim import (
    BuElection,
    SimulatedBoletim,
    draw_boletim,
    draw_election,
    public_key_bytes,
    qr_texts,
)
from testigo.simulate.bu_forgery import change_count, drop_part, foreign_part, recompute_chain
from testigo.simulate.strip import photograph, render_strip
from tests.api.sample import BU_VECTORS
from tests.profiles.bu.test_certificate import _certificate, _qrce

UFS = ("SP", "AC")
ELECTION = draw_election(17, 260, ufs=UFS)


def _keys(folder: Path, election: BuElection = ELECTION) -> KeyRing:
    """A workspace's key folder trusting the simulated election's test keys."""
    ring = KeyRing(folder)
    for uf in UFS:
        name = KeyName.parse(election.key_name(uf))
        ring.add(name, public_key_bytes(election.signing_key(uf)))
    return ring


def _write_texts(path: Path, texts: tuple[str, ...] | list[str]) -> Path:
    path.write_text("\n".join(texts) + "\n", encoding="ascii")
    return path


def _multi_part(index: int) -> tuple[SimulatedBoletim, tuple[str, ...]]:
    """Section `index`'s BU cut into three parts or more (a small data limit), as a forger needs."""
    bu = draw_boletim(ELECTION, index)
    return bu, qr_texts(ELECTION, bu, limit=len(bu.content) // 3 + 1)


def test_the_real_boletins_are_all_counted_and_their_totals_are_their_sums(tmp_path: Path) -> None:
    if not BU_VECTORS.exists():
        pytest.skip(f"{BU_VECTORS} not present")
    report = check_boletins([BU_VECTORS], KeyRing(None))
    texts = [path.read_text(encoding="ascii").split() for path in sorted(BU_VECTORS.glob("*.txt"))]
    assert report.summary()["counted"] == len(texts) == 8
    assert [f.reason for f in report.files if f.codes == 0] == ["not an image: looks like text"]  # expected.json
    parsed = [item.boletim for item in report.boletins]
    for total in report.totals:
        contests = [
            (bu, c)
            for bu in parsed
            for c in bu.contests
            if (bu.election_day, bu.round, c.election, c.office, constituency(bu, c.office))
            == (total.election_day, total.round, total.election, total.office, total.area)
        ]
        assert total.sections == len(contests) > 0
        assert total.total == sum(c.total or 0 for _, c in contests)
        assert total.candidates == sum((Counter(c.all_candidates()) for _, c in contests), Counter())
    # one digit of a one-part BU's count changed: its HASH no longer matches, and the code is refused
    original = (BU_VECTORS / "ex2016_sp.txt").read_text(encoding="ascii").strip()
    part = parse_part(original)
    token = next(t for t in part.body.split() if t.split(":")[0].isdigit() and t.split(":")[1] != "0")
    number, votes = token.split(":")
    changed = original.replace(f" {token} ", f" {number}:{int(votes) + 1} ", 1)
    report = check_boletins([_write_texts(tmp_path / "altered.txt", [changed])], KeyRing(None))
    assert report.summary()["counted"] == 0 and report.boletins == ()
    [file] = report.files
    assert file.refused == ("part 1 of 1: its HASH does not match its data",)


@pytest.mark.slow
def test_photos_of_boletins_in_any_order_total_the_truth_and_every_forgery_is_caught(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    folder = tmp_path / "uploads"
    folder.mkdir()
    genuine = list(range(0, 200))
    # photos: a whole strip scanned, or one shot per code; each shot under a name that sorts at random
    for index in genuine[:6]:
        bu = draw_boletim(ELECTION, index)
        parts = qr_texts(ELECTION, bu)
        strip = render_strip(ELECTION, bu, parts, np.random.default_rng(index))
        shots = photograph(strip, "photo", rng, photos=len(parts)) if index % 2 else photograph(strip, "scan", rng)
        for shot in shots:
            (folder / f"{rng.integers(10**9):09d}.{shot.format.replace('jpeg', 'jpg')}").write_bytes(shot.data)
    # the rest as decoded texts, each BU's parts spread over two files read in an order drawn at random
    for index in genuine[6:]:
        bu, parts = _multi_part(index)
        _write_texts(folder / f"{rng.integers(10**9):09d}-b.txt", parts[1:])
        _write_texts(folder / f"{rng.integers(10**9):09d}-a.txt", parts[:1])
    forged = {
        "recomputed": recompute_chain(_multi_part(240)[1], rng),
        "changed": change_count(_multi_part(241)[1], rng),
        "dropped": drop_part(_multi_part(242)[1], rng),
        "foreign": foreign_part(_multi_part(243)[1], _multi_part(244)[1], rng),
    }
    for name, forgery in forged.items():
        _write_texts(folder / f"forged-{name}.txt", forgery.parts)
    # a second BU of section 0, signed with the key: the closing time differs, both verify, neither counts
    first = draw_boletim(ELECTION, 0)
    rival = replace(first, header=tuple((k, "235959" if k == "HRFC" else v) for k, v in first.header))
    _write_texts(folder / "rival.txt", qr_texts(ELECTION, rival))
    (folder / "notes.txt").write_text("not a code\n", encoding="utf-8")

    report = check_boletins([folder], _keys(tmp_path / "keys"), workers=2)

    by_status = Counter(item.status for item in report.boletins)
    assert by_status == {BoletimStatus.COUNTED: len(genuine) - 1, BoletimStatus.CONFLICT: 2, BoletimStatus.INVALID: 1}
    [invalid] = [item for item in report.boletins if item.status is BoletimStatus.INVALID]
    assert invalid.reason.startswith("invalid: bad signature under key ")
    assert invalid.section == _boletim(forged["recomputed"].parts).section_key
    conflicts = {item.section for item in report.boletins if item.status is BoletimStatus.CONFLICT}
    assert conflicts == {_boletim(qr_texts(ELECTION, first)).section_key}
    # the changed, dropped and foreign BUs never complete: each is incomplete, lacking what was taken or broken
    incomplete = {str(missing.section_key): missing for missing in report.incomplete}
    for name in ("changed", "dropped", "foreign"):
        assert _section_of(forged[name].parts[0]) in incomplete, (name, list(incomplete))
    [dropped] = forged["dropped"].description["missing"]
    # received: the parts before the one dropped; lacking: it and every later part, which wait for it
    assert incomplete[_section_of(forged["dropped"].parts[0])].missing[0] == dropped
    assert report.waiting >= 2  # at least the changed part and the foreign one wait for parts they cannot follow
    assert [f.reason for f in report.files if f.codes == 0] == ["not an image: looks like text"]

    # the totals are the truth of the counted sections, summed per contest and constituency
    truth: dict[tuple[int, str], Counter[int]] = {}
    for index in genuine[1:]:
        bu = draw_boletim(ELECTION, index)
        parsed = _boletim(qr_texts(ELECTION, bu))
        for votes in bu.results:
            contest = votes.contest_result()
            key = (contest.office, constituency(parsed, contest.office))
            truth.setdefault(key, Counter()).update(contest.all_candidates())
    assert {(t.office, t.area): t.candidates for t in report.totals} == truth


def _boletim(texts: tuple[str, ...]) -> Boletim:
    return parse_boletim([parse_part(text) for text in texts])


def _section_of(first_part: str) -> str:
    """The section a part 1 names, as `Incomplete` prints it."""
    fields = dict(token.split(":", 1) for token in first_part.split() if ":" in token)
    return (
        f"{fields['UNFE']} municipality {int(fields['MUNI'])} zone {int(fields['ZONA'])} section "
        f"{int(fields['SECA'])} (PLEI {int(fields['PLEI'])}, round {int(fields['TURN'])})"
    )


def test_without_the_keys_nothing_is_counted_and_the_command_says_which_key_is_missing(tmp_path: Path) -> None:
    bu = draw_boletim(ELECTION, 3)
    path = _write_texts(tmp_path / "bu.txt", qr_texts(ELECTION, bu))
    result = CliRunner().invoke(app, ["bu", "check", str(path), "--json", "--workspace", str(tmp_path / "none")])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    [item] = document["boletins"]
    key = ELECTION.key_name(bu.section.uf)
    assert (item["status"], item["reason"]) == ("unverified", f"chain valid, signature not checked: key {key} missing")
    assert document["totals"] == [] and document["summary"]["counted"] == 0
    # the same file, once the workspace trusts the key: counted
    workspace = tmp_path / "ws"
    CliRunner().invoke(app, ["init", "--workspace", str(workspace)], catch_exceptions=False)
    _keys(Workspace.locate(str(workspace)).trusted_keys_dir)
    result = CliRunner().invoke(app, ["bu", "check", str(path), "--json", "--workspace", str(workspace)])
    assert json.loads(result.stdout)["summary"]["counted"] == 1
    human = CliRunner().invoke(app, ["bu", "check", str(path), "--workspace", str(workspace)]).stdout
    assert "counted: 1" in human and "verified: chain of" in human
    assert f"({bu.section.uf}, PLEI " in human  # a state office's total, named by its constituency


def test_a_missing_file_and_a_broken_image_are_reasons_and_the_batch_goes_on(tmp_path: Path) -> None:
    bu = draw_boletim(ELECTION, 5)
    good = _write_texts(tmp_path / "bu.txt", qr_texts(ELECTION, bu))
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 64)
    report = check_boletins([tmp_path / "gone.jpg", broken, good], _keys(tmp_path / "keys"))
    reasons = {Path(f.path).name: f.reason for f in report.files}
    assert reasons["gone.jpg"] and reasons["broken.jpg"] and reasons["bu.txt"] is None
    assert all("\n" not in (why or "") for why in reasons.values())
    assert report.summary()["counted"] == 1


def test_a_2026_boletim_is_checked_with_its_urna_certificate_and_never_counted_without_a_tse_root(
    tmp_path: Path,
) -> None:
    key = ec.generate_private_key(ec.SECP521R1())
    forger = ec.generate_private_key(ec.SECP521R1())
    der = _certificate(key, subject="ueao02031032").public_bytes(serialization.Encoding.DER)

    def urna_bu(index: int, signer: ec.EllipticCurvePrivateKey) -> list[str]:
        """Section `index`'s BU in format 6.0, signed as the urna signs (ECDSA P-521 over SHA-512 of the
        last HASH: `sign` gets that digest), with its urna's certificate codes under the BU's own IDUE."""
        bu = draw_boletim(ELECTION, index)
        sign = partial(signer.sign, signature_algorithm=ec.ECDSA(Prehashed(hashes.SHA512())))
        parts = write_parts(bu.fields, format_version="6.0", key_version=None, sign=sign)
        return [*parts, *_qrce(der, serial=bu.field("IDUE"))]

    _write_texts(tmp_path / "genuine.txt", urna_bu(1, key))
    _write_texts(tmp_path / "forged.txt", urna_bu(2, forger))  # a count could be anything: the key is not the urna's
    _write_texts(tmp_path / "alone.txt", urna_bu(3, key)[:-2])  # the certificate codes not photographed
    report = check_boletins([tmp_path], KeyRing(None))
    by_urna = {item.boletim.field("IDUE"): item for item in report.boletins}
    genuine, forged, alone = (by_urna[draw_boletim(ELECTION, i).field("IDUE")] for i in (1, 2, 3))
    assert genuine.status is BoletimStatus.UNVERIFIED
    assert "urna certificate: signature verified" in genuine.reason
    assert "chain not checked: no TSE root certificate for urna model 2015" in genuine.reason
    assert forged.status is BoletimStatus.INVALID
    assert (
        forged.reason == "invalid: signature invalid: ASSI does not verify under the urna certificate's ECDSA P-521 key"
    )
    assert alone.status is BoletimStatus.UNVERIFIED and "(its QRCE codes) was not read" in alone.reason
    assert report.totals == ()


def test_the_api_takes_the_keys_of_an_open_workspace_and_refuses_a_path_that_holds_none(tmp_path: Path) -> None:
    bu = draw_boletim(ELECTION, 7)
    path = _write_texts(tmp_path / "bu.txt", qr_texts(ELECTION, bu))
    with testigo.init(tmp_path / "ws") as ws:
        assert testigo.check_boletins([path], workspace=ws).summary()["unverified"] == 1
        _keys(Workspace.locate(str(ws.path)).trusted_keys_dir)
        assert testigo.check_boletins([path], workspace=ws).summary()["counted"] == 1
    with pytest.raises(testigo.UserError, match="no workspace at"):
        testigo.check_boletins([path], workspace=tmp_path / "elsewhere")
