"""A witness served over real HTTP on a loopback port, started and stopped inside a test."""

from __future__ import annotations

import http.client
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import uvicorn

from testigo.ledger import Checkpoint, Cosigner, MerkleLog, Signer, Verifier, sign_checkpoint
from testigo.witness import Witness, WitnessState, create_app

ORIGIN = "example.org/testigo/witnessed"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class ServedWitness:
    """`Witness(cosigner, logs, WitnessState(state))` behind uvicorn, as `testigo witness serve` runs it."""

    def __init__(self, cosigner: Cosigner, logs: dict[str, Verifier], state: Path) -> None:
        self.cosigner = cosigner
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        app = create_app(Witness(cosigner, logs, WitnessState(state)))
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> ServedWitness:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert time.monotonic() < deadline, "the witness did not start"
            time.sleep(0.02)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)

    def post(self, body: bytes) -> tuple[int, str, str]:
        """POST /add-checkpoint: status, content type, body text."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request("POST", "/add-checkpoint", body=body)
            response = connection.getresponse()
            return response.status, response.getheader("Content-Type", ""), response.read().decode()
        finally:
            connection.close()


@dataclass
class Log:
    """A log and its key, signing checkpoints of any of its sizes."""

    signer: Signer
    tree: MerkleLog

    @classmethod
    def of(cls, entries: list[bytes], signer: Signer | None = None) -> Log:
        tree = MerkleLog()
        tree.append_many(entries)
        return cls(signer or Signer.generate(ORIGIN), tree)

    def note(self, size: int) -> str:
        return sign_checkpoint(Checkpoint(self.signer.name, size, self.tree.root(size)), self.signer)
