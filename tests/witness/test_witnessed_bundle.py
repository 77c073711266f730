"""Witnesses end to end: `testigo publish` collects cosignatures, `testigo verify --min-witnesses` counts them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import testigo
from testigo.capture import Incoming
from testigo.cli import app
from testigo.errors import UserError
from testigo.ledger import Cosigner, Signature, parse_note
from testigo.pipeline.ingest import ingest_files
from testigo.publish.layout import CHECKPOINT, checkpoint_path
from testigo.store.workspace import Store, init_workspace
from testigo.witness import request_cosignature
from tests.conftest import payload_for, small_mesas
from tests.test_cli import invoke
from tests.web.conftest import qr_png
from tests.witness.servers import Log, ServedWitness, free_port

runner = CliRunner()
W1_KEY = str(Cosigner(name="w1", seed=bytes(32)).verifier)
W1_ALIAS = str(Cosigner(name="alias", seed=bytes(32)).verifier)  # a cosignature/v1 does not sign the name


def _ingest(store: Store, mesa: str) -> None:
    ingest_files(store, [Incoming(f"test:{mesa}.png", f"{mesa}.png", qr_png(payload_for(mesa)))], workers=1)


def _verify(bundle: Path, *witnesses: Cosigner | str, required: int | None = None) -> tuple[int, Any]:
    keys = [str(w.verifier) if isinstance(w, Cosigner) else w for w in witnesses]
    args = [a for key in keys for a in ("--witness", key)]
    if required is not None:
        args += ["--min-witnesses", str(required)]
    return invoke("verify", bundle, *args, "--workers", "1", "--json")


def _check(report: dict[str, Any], name: str) -> dict[str, Any]:
    [check] = [c for c in report["checks"] if c["check"] == name]
    return dict(check)


def test_publish_collects_cosignatures_and_verify_counts_them(tmp_path: Path) -> None:
    store = init_workspace(str(tmp_path / "ws"), "ve2024")
    ws, bundle = tmp_path / "ws", tmp_path / "bundle"
    first, second = small_mesas(2)
    w1, w2 = Cosigner.generate("witness.example/w1"), Cosigner.generate("witness.example/w2")
    logs = {store.signer.name: store.signer.verifier}
    down = f"http://127.0.0.1:{free_port()}"
    with ServedWitness(w1, logs, tmp_path / "w1") as one:
        with ServedWitness(w2, logs, tmp_path / "w2") as two:
            for url, witness in ((one.url, w1), (two.url, w2), (down, Cosigner.generate("witness.example/down"))):
                code, listed = invoke("witness", "add", url, str(witness.verifier), "-w", ws, "--json")
                assert code == 0, listed
            assert [w["url"] for w in listed["witnesses"]] == [one.url, two.url, down]

            _ingest(store, first)
            code, report = invoke("publish", "--out", bundle, "-w", ws, "--json")
            assert code == 0, report
            outcomes = {w["name"]: (w["cosigned"], w["detail"]) for w in report["witnesses"]}
            assert outcomes["witness.example/w1"][0] and outcomes["witness.example/w2"][0]
            assert outcomes["witness.example/down"][0] is False
            assert "cannot be reached" in outcomes["witness.example/down"][1]
            size = report["tree_size"]
            assert size > 0
            note = (bundle / CHECKPOINT).read_text()
            assert (bundle / checkpoint_path(size)).read_text() == note
            assert {s.name for s in parse_note(note).signatures} == {store.signer.name, w1.name, w2.name}

            code, verified = _verify(bundle, w1, w2, required=2)
            assert code == 0, verified["problems"]
            assert _check(verified, "witnesses")["detail"].startswith("2 of 2 witnesses cosigned (2 required)")

        _ingest(store, second)  # the log grows while w2 is down: w1 is asked from its old size, with a proof
        code, report = invoke("publish", "--out", bundle, "-w", ws, "--json")
        assert code == 0, report
        assert report["tree_size"] > size
        assert [(w["name"], w["cosigned"]) for w in report["witnesses"]] == [
            ("witness.example/w1", True),
            ("witness.example/w2", False),
            ("witness.example/down", False),
        ]
        # the first checkpoint keeps both cosignatures it got, though w2 is down now
        earlier = parse_note((bundle / checkpoint_path(size)).read_text()).signatures
        assert [s.name for s in earlier] == [store.signer.name, w1.name, w2.name]
        code, signed = invoke("log", "checkpoint", "-w", ws, "--json")
        assert [s.name for s in parse_note(signed["note"]).signatures] == [store.signer.name, w1.name]
        text = runner.invoke(app, ["publish", "--out", str(bundle), "-w", str(ws)]).stdout
        assert "witness witness.example/w1: cosigned" in text and "witness witness.example/w2: not cosigned" in text

    code, verified = _verify(bundle, w1, w2, required=2)
    assert code == 1
    assert verified["problems"] == [
        f"{CHECKPOINT} has 1 valid cosignature from the 2 witnesses given, 2 required; "
        f"none from {w2.name}+{w2.key_id:08x}"
    ]
    assert _verify(bundle, w1, w2, required=1)[0] == 0
    assert _verify(bundle, w1)[0] == 0  # one --witness: one cosignature required by default
    keys = [str(w1.verifier), str(w2.verifier)]  # the Python API takes the same keys
    assert testigo.verify(bundle, witnesses=keys, min_witnesses=1, workers=1).ok
    assert not testigo.verify(bundle, witnesses=keys, min_witnesses=2, workers=1).ok

    # one bit of w1's cosignature flipped, in both copies of the latest checkpoint: a forgery, whatever K is
    line = next(s for s in parse_note((bundle / CHECKPOINT).read_text()).signatures if s.name == w1.name)
    flipped = Signature(line.name, line.key_id, line.signature[:-1] + bytes([line.signature[-1] ^ 1]))
    for path in (bundle / CHECKPOINT, bundle / checkpoint_path(report["tree_size"])):
        path.write_text(path.read_text().replace(line.line(), flipped.line()))
    code, verified = _verify(bundle, w1, w2, required=0)
    assert code == 1 and any(f"invalid signature by key {w1.name}+" in p for p in verified["problems"])


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--min-witnesses", "1"], "more cosignatures than the 0 --witness keys"),
        (["--witness", "not a key"], "--witness key 1: verifier key is not"),
        (["--witness", W1_KEY, "--witness", W1_KEY], "--witness key 2 (w1) has the public key of another"),
        (["--witness", W1_KEY, "--witness", W1_ALIAS], "--witness key 2 (alias) has the public key of another"),
    ],
)
def test_verify_refuses_impossible_witness_options(tmp_path: Path, args: list[str], reason: str) -> None:
    _refused(["verify", str(tmp_path), *args], reason)


def _refused(args: list[str], reason: str) -> None:
    """The command stops with a `UserError` (exit 2 from `testigo`, one line) naming `reason`."""
    result = runner.invoke(app, args)
    assert isinstance(result.exception, UserError), result.output
    assert reason in str(result.exception)


def test_a_log_key_is_not_a_witness_key(tmp_path: Path) -> None:
    store = init_workspace(str(tmp_path / "ws"), "ve2024")
    _refused(["verify", str(tmp_path), "--witness", str(store.signer.verifier)], "algorithm byte 01, expected 04")
    ws = str(tmp_path / "ws")
    _refused(["witness", "add", "http://w.example", str(store.signer.verifier), "-w", ws], "expected 04")
    _refused(["witness", "add", "w.example", "x", "-w", ws], "is not an http:// or https:// address")


def test_witness_key_creates_then_shows_the_same_key(tmp_path: Path) -> None:
    key = tmp_path / "witness.key"
    code, created = invoke("witness", "key", "--key", key, "--name", "witness.example/w9", "--json")
    assert code == 0 and created["created"] is True
    assert os.stat(key).st_mode & 0o777 == 0o600
    code, shown = invoke("witness", "key", "--key", key, "--json")
    assert code == 0 and shown["verifier_key"] == created["verifier_key"] and shown["created"] is False
    assert Cosigner.parse(key.read_text().strip()).verifier.name == "witness.example/w9"
    _refused(["witness", "key", "--key", str(tmp_path / "missing.key")], "give --name to create")
    _refused(["witness", "key", "--key", str(key), "--name", "other"], "holds the key of witness 'witness.example/w9'")


def test_witness_serve_runs_the_witness_from_the_command_line(tmp_path: Path) -> None:
    log = Log.of([b"a", b"b", b"c"])
    key = tmp_path / "w.key"
    code, created = invoke("witness", "key", "--key", key, "--name", "witness.example/cli", "--json")
    witness = Cosigner.parse(key.read_text().strip())
    port = free_port()
    command = [sys.executable, "-m", "testigo", "witness", "serve", "--key", str(key), "--port", str(port)]
    command += ["--state", str(tmp_path / "state"), "--log", f"{log.signer.name}={log.signer.verifier}"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert server.poll() is None, server.communicate()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the witness did not start"
                time.sleep(0.1)
        url = f"http://127.0.0.1:{port}"
        signature = request_cosignature(url, witness.verifier, log.note(3), 3, log.tree.consistency_proof)
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert signature.name == "witness.example/cli"
    assert len(list((tmp_path / "state").glob("*.checkpoint"))) == 1
