"""`testigo mirror`: copies kept in step through publications, forks and rollbacks refused, transfers resumed."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from testigo.api.mirror import ATTEMPTS, MirrorRefused, MirrorReport, mirror
from testigo.cli import app
from testigo.errors import UserError
from testigo.pipeline.ingest import ingest
from testigo.publish import publish
from testigo.publish.filelist import file_list_bytes, list_files
from testigo.publish.layout import CHECKPOINT, FILE_LIST, KEY, MESAS_PARQUET
from testigo.simulate import simulate
from testigo.store.workspace import Store, init_workspace
from tests.verify.test_bundle_verify import add_vote_in_json

#: Two scans a publication: every mirror reads each new image's print again (9 scans took 38 s to set up).
SCANS = 6
BATCHES = ((0, 2), (2, 4), (4, 6))


@dataclass(frozen=True)
class Chain:
    """A bundle A published three times, mirrored A -> B -> C after each publication."""

    root: Path
    images: list[Path]
    a: Path
    b: Path
    c: Path
    first: Path
    """A copy of A as first published (three scans): what a rollback serves."""
    reports: list[tuple[MirrorReport, MirrorReport]]
    lists: list[dict[str, str]]
    """files.sha256 of A after each publication."""
    again: MirrorReport
    """B -> C once more with nothing new."""


def _workspace(folder: Path, like: Path | None = None) -> Store:
    """A workspace; with `like`, one signing with that workspace's key (what a log operator forking holds)."""
    if like is not None:
        folder.mkdir(parents=True)
        shutil.copy(like / "testigo.json", folder / "testigo.json")
        shutil.copytree(like / "keys", folder / "keys")
    return init_workspace(str(folder), "ve2024")


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Chain:
    root = tmp_path_factory.mktemp("mirror")
    truth = json.loads(simulate(root / "sim", SCANS, seed=41, quality="scan", workers=1).read_text())
    images = [root / "sim" / f["file"] for f in truth["files"] if f["kind"] == "acta"]
    a, b, c = root / "A", root / "B", root / "C"
    store = _workspace(root / "ws")
    reports, lists = [], []
    try:
        for start, end in BATCHES:
            ingest(store, images[start:end], workers=1)
            publish(store, a)
            lists.append(list_files(a))
            if start == 0:
                shutil.copytree(a, root / "A-first")
            reports.append((mirror(str(a), b, workers=1), mirror(str(b), c, workers=1)))
    finally:
        store.close()
    return Chain(root, images, a, b, c, root / "A-first", reports, lists, mirror(str(b), c, workers=1))


def test_a_chain_of_mirrors_stays_in_step_and_fetches_only_what_changed(chain: Chain) -> None:
    files = list_files(chain.a)
    assert list_files(chain.b) == files == list_files(chain.c)
    for (to_b, to_c), (_, end) in zip(chain.reports, BATCHES, strict=True):
        assert to_b.outcome == to_c.outcome == "updated" and to_b.tree_size == to_c.tree_size == end
    assert chain.reports[0][1].files_kept == 0
    for (to_b, to_c), old, new in zip(chain.reports[1:], chain.lists[:-1], chain.lists[1:], strict=True):
        changed = {name for name, sha in new.items() if old.get(name) != sha}
        for report in (to_b, to_c):  # the list itself, then exactly the files whose hash changed
            assert report.files_fetched == len(changed) + 1 and report.files_kept == len(new) - len(changed)
        assert 0 < len(changed) < len(new)
    assert chain.again.outcome == "unchanged" and chain.again.files_fetched == 1
    assert chain.again.files_kept == len(files)
    assert chain.again.bytes_transferred == (chain.c / FILE_LIST).stat().st_size
    # no staging or old copy is left beside the mirror; the mark of the copy it verified last is
    beside = [p.name for p in chain.root.glob(".C*")]
    assert beside == [".C.verified"], beside
    assert (chain.root / ".C.verified").read_text(encoding="utf-8") == (chain.c / CHECKPOINT).read_text(
        encoding="utf-8"
    )


def _refused_at_c(chain: Chain, source: Path, tmp_path: Path) -> str:
    held = Path(shutil.copytree(chain.c, tmp_path / "C"))
    before = list_files(held)
    with pytest.raises(MirrorRefused) as refused:
        mirror(str(source), held, workers=1)
    assert list_files(held) == before, "the copy held is left as it was"
    return str(refused.value)


def test_a_rolled_back_bundle_is_refused(chain: Chain, tmp_path: Path) -> None:
    reason = _refused_at_c(chain, chain.first, tmp_path)
    assert reason == f"rollback: the source's log has {BATCHES[0][1]} entries, the copy held has {SCANS}"


def test_a_forked_log_is_refused_at_the_same_size_and_when_longer(chain: Chain, tmp_path: Path) -> None:
    forked = tmp_path / "B-forked"
    store = _workspace(tmp_path / "ws", like=chain.root / "ws")
    try:
        ingest(store, list(reversed(chain.images)), workers=1)  # the same scans, logged in another order
        publish(store, forked)
        same_size = _refused_at_c(chain, forked, tmp_path / "one")
        copy = tmp_path / "resent" / f"copia-{chain.images[0].name}"
        copy.parent.mkdir()
        shutil.copy(chain.images[0], copy)
        ingest(store, [copy], workers=1)
        publish(store, forked)
        longer = _refused_at_c(chain, forked, tmp_path / "two")
    finally:
        store.close()
    assert same_size == f"fork: the source's log has the {SCANS} entries of the copy held, another root"
    assert longer.startswith(f"fork: the source's log of {SCANS + 1} entries is not proved to extend the {SCANS} held")


def test_a_source_that_fails_verification_is_refused(chain: Chain, tmp_path: Path) -> None:
    changed = Path(shutil.copytree(chain.a, tmp_path / "A"))
    reason = add_vote_in_json(changed)
    (changed / FILE_LIST).write_bytes(file_list_bytes(list_files(changed)))  # a forger keeps the list right
    with pytest.raises(MirrorRefused) as refused:
        mirror(str(changed), tmp_path / "D", workers=1)
    assert str(refused.value).startswith(f"the new copy fails verification: {reason}")
    assert not (tmp_path / "D").exists() and not list(tmp_path.glob(".D*"))


def test_the_command_reports_in_json_and_refuses_with_exit_1(chain: Chain, tmp_path: Path) -> None:
    runner = CliRunner()
    key = ["--key", str(chain.c / KEY)]  # a file holding the key, as a user keeps it
    result = runner.invoke(app, ["mirror", str(chain.c), str(tmp_path / "D"), *key, "--workers", "1", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["outcome"] == "updated" and document["tree_size"] == SCANS
    assert document["files_fetched"] == len(list_files(chain.c)) + 1 and document["bytes_transferred"] > 0
    result = runner.invoke(app, ["mirror", str(chain.first), str(tmp_path / "D"), *key, "--json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["reason"].startswith("rollback:")


def test_an_archive_is_a_source_too(chain: Chain, tmp_path: Path) -> None:
    from testigo.publish.archive import write_archive

    parts = write_archive(chain.c, tmp_path / "bundle.tar", split_size=65536)
    report = mirror(str(tmp_path / "bundle.tar.001"), tmp_path / "D", workers=1)
    assert report.outcome == "updated" and list_files(tmp_path / "D") == list_files(chain.c)
    assert len(parts.parts) > 1 and [p.name for p in tmp_path.glob(".D*")] == [".D.verified"]  # no unpacked copy


# --- Over HTTP, with a server that cuts a transfer short


class _Bundle(BaseHTTPRequestHandler):
    """Serves `folder` with Range requests; the first `drops` GETs of `cut` send half the file and hang up."""

    folder: Path
    cut: str
    drops: list[int]
    ranges: list[str]

    def do_GET(self) -> None:
        relative = self.path.lstrip("/")
        path = self.folder / relative
        if not path.is_file():
            self.send_error(404)
            return
        data = path.read_bytes()
        start = int(self.headers["Range"].removeprefix("bytes=").rstrip("-")) if self.headers["Range"] else 0
        if relative == self.cut:
            self.ranges.append(self.headers["Range"] or "")
        body = data[start:]
        self.send_response(206 if start else 200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if relative == self.cut and self.drops[0] > 0:
            self.drops[0] -= 1
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serving(folder: Path, cut: str, drops: int) -> Iterator[tuple[str, list[str]]]:
    ranges: list[str] = []
    handler = type("Handler", (_Bundle,), {"folder": folder, "cut": cut, "drops": [drops], "ranges": ranges})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/", ranges
    finally:
        server.shutdown()
        server.server_close()


def test_a_transfer_cut_short_is_resumed_with_a_range_request(chain: Chain, tmp_path: Path) -> None:
    size = (chain.a / MESAS_PARQUET).stat().st_size
    with serving(chain.a, MESAS_PARQUET, drops=1) as (url, ranges):
        report = mirror(url, tmp_path / "D", workers=1)
    assert report.outcome == "updated" and list_files(tmp_path / "D") == list_files(chain.a)
    assert ranges == ["", f"bytes={size // 2}-"]


def test_a_transfer_cut_short_every_time_resumes_on_the_next_run(chain: Chain, tmp_path: Path) -> None:
    size = (chain.a / MESAS_PARQUET).stat().st_size
    with serving(chain.a, MESAS_PARQUET, drops=ATTEMPTS) as (url, ranges):
        with pytest.raises(UserError, match=f"cut short {ATTEMPTS} times; re-run to resume"):
            mirror(url, tmp_path / "D", workers=1)
        assert not (tmp_path / "D").exists()
        partial = tmp_path / ".D.incoming" / ".partial" / MESAS_PARQUET
        kept = partial.stat().st_size
        assert 0 < kept < size
        report = mirror(url, tmp_path / "D", workers=1)
    assert report.outcome == "updated" and list_files(tmp_path / "D") == list_files(chain.a)
    assert ranges[-1] == f"bytes={kept}-" and report.files_kept > 0  # the files of the first run were kept
