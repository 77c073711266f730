"""A witness over real HTTP: it cosigns only checkpoints that extend the last one, and remembers across restarts."""

from __future__ import annotations

from pathlib import Path

import pytest

from testigo.ledger import Cosigner, Signer, cosignature_time, parse_note, verify_note
from testigo.witness import WitnessFailed, cosigned, request_cosignature
from testigo.witness.core import request_body
from tests.witness.servers import ORIGIN, Log, ServedWitness

ENTRIES = [b"entry %d" % i for i in range(12)]


@pytest.fixture
def log() -> Log:
    return Log.of(ENTRIES)


@pytest.fixture
def cosigner() -> Cosigner:
    return Cosigner.generate("witness.example/w1")


def _state_files(state: Path) -> list[Path]:
    return sorted(state.glob("*.checkpoint"))


def test_the_witness_cosigns_a_log_as_it_grows(tmp_path: Path, log: Log, cosigner: Cosigner) -> None:
    with ServedWitness(cosigner, {ORIGIN: log.signer.verifier}, tmp_path) as witness:
        first = request_cosignature(witness.url, cosigner.verifier, log.note(3), 3, log.tree.consistency_proof)
        # the client first asks with old 0, is told 3, and sends the proof from 3 to 9
        second = request_cosignature(witness.url, cosigner.verifier, log.note(9), 9, log.tree.consistency_proof)
        # the same size again is cosigned again (a fresh timestamp), not a conflict
        again = request_cosignature(witness.url, cosigner.verifier, log.note(9), 9, log.tree.consistency_proof)
    for size, signature in ((3, first), (9, second), (9, again)):
        note = cosigned(log.note(size), [signature])
        assert verify_note(note, [cosigner.verifier]).verified_by == (cosigner.verifier,)
        assert abs(cosignature_time(signature) - cosignature_time(first)) < 60
    [state] = _state_files(tmp_path)
    assert parse_note(state.read_text()).text == parse_note(log.note(9)).text


def test_a_fork_at_the_same_size_is_refused_with_409(tmp_path: Path, log: Log, cosigner: Cosigner) -> None:
    forked = Log.of([*ENTRIES[:6], b"rewritten", *ENTRIES[7:]], log.signer)
    with ServedWitness(cosigner, {ORIGIN: log.signer.verifier}, tmp_path) as witness:
        request_cosignature(witness.url, cosigner.verifier, log.note(9), 9, log.tree.consistency_proof)
        status, kind, body = witness.post(request_body(9, [], forked.note(9)))
        assert (status, kind, body) == (409, "text/x.tlog.size", "9\n")
        with pytest.raises(WitnessFailed, match=r"HTTP 409"):
            request_cosignature(witness.url, cosigner.verifier, forked.note(9), 9, forked.tree.consistency_proof)
        # nor can the fork be passed off as growth: its proof from 9 to 12 does not match the root cosigned at 9
        status, _, body = witness.post(request_body(9, forked.tree.consistency_proof(9, 12), forked.note(12)))
        assert status == 422 and "does not match the old tree head" in body
    [state] = _state_files(tmp_path)
    assert parse_note(state.read_text()).text == parse_note(log.note(9)).text


def test_a_rollback_is_refused(tmp_path: Path, log: Log, cosigner: Cosigner) -> None:
    with ServedWitness(cosigner, {ORIGIN: log.signer.verifier}, tmp_path) as witness:
        request_cosignature(witness.url, cosigner.verifier, log.note(9), 9, log.tree.consistency_proof)
        assert witness.post(request_body(5, [], log.note(5))) == (409, "text/x.tlog.size", "9\n")
        status, _, body = witness.post(request_body(9, [], log.note(5)))
        assert status == 400 and "larger than the checkpoint's size 5" in body
        with pytest.raises(WitnessFailed, match="cosigned this log at size 9, larger than its 5 entries"):
            request_cosignature(witness.url, cosigner.verifier, log.note(5), 5, log.tree.consistency_proof)


def test_a_bad_proof_is_refused_with_422_and_changes_nothing(tmp_path: Path, log: Log, cosigner: Cosigner) -> None:
    with ServedWitness(cosigner, {ORIGIN: log.signer.verifier}, tmp_path) as witness:
        request_cosignature(witness.url, cosigner.verifier, log.note(5), 5, log.tree.consistency_proof)
        proof = log.tree.consistency_proof(5, 12)
        wrong = [bytes(32), *proof[1:]]
        status, _, body = witness.post(request_body(5, wrong, log.note(12)))
        assert status == 422 and "consistency proof from size 5 to size 12" in body
        status, _, body = witness.post(request_body(5, proof[:-1], log.note(12)))
        assert status == 422 and "hashes, expected" in body
        assert witness.post(request_body(0, [], log.note(12)))[2] == "5\n"


def test_unknown_logs_bad_signatures_and_malformed_bodies(tmp_path: Path, log: Log, cosigner: Cosigner) -> None:
    impostor = Log.of(ENTRIES, Signer.generate(ORIGIN))
    other = Log.of(ENTRIES, Signer.generate("example.org/another-log"))
    with ServedWitness(cosigner, {ORIGIN: log.signer.verifier}, tmp_path) as witness:
        status, _, body = witness.post(request_body(0, [], other.note(3)))
        assert status == 404 and "unknown log 'example.org/another-log'" in body
        status, _, body = witness.post(request_body(0, [], impostor.note(3)))
        assert status == 403 and "not signed by a trusted key" in body
        tampered = log.note(3).replace("\n3\n", "\n4\n")
        assert witness.post(request_body(0, [], tampered))[0] == 403
        for bad in (b"old 01\n\n" + log.note(3).encode(), b"old 0\n" + log.note(3).encode(), b"old 0\nxyz\n\n"):
            assert witness.post(bad)[0] == 400
        assert witness.post(b"x" * 70_000)[0] == 413
    assert _state_files(tmp_path) == []


def test_the_state_survives_a_restart(tmp_path: Path, log: Log, cosigner: Cosigner) -> None:
    logs = {ORIGIN: log.signer.verifier}
    with ServedWitness(cosigner, logs, tmp_path) as witness:
        request_cosignature(witness.url, cosigner.verifier, log.note(7), 7, log.tree.consistency_proof)
    forked = Log.of([b"other history"] * 7, log.signer)
    with ServedWitness(cosigner, logs, tmp_path) as witness:
        assert witness.post(request_body(0, [], log.note(12))) == (409, "text/x.tlog.size", "7\n")
        assert witness.post(request_body(7, [], forked.note(7)))[0] == 409
        request_cosignature(witness.url, cosigner.verifier, log.note(12), 12, log.tree.consistency_proof)
    assert [p.name.endswith(".tmp") for p in tmp_path.iterdir()] == [False]
