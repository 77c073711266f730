"""A workspace of simulated scans, published twice, shared by the publish and verify tests.

It is built once per test process, whichever module asks first, which keeps
the tamper tests fast: tests only read it, or copy the bundle and change one
thing in the copy.
"""

from __future__ import annotations

import fcntl
import json
import os
import pickle
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from testigo.pipeline.ingest import ingest
from testigo.publish import PublishReport, publish
from testigo.publish.layout import CHECKPOINT
from testigo.simulate import simulate
from testigo.store.workspace import Store, init_workspace

#: Scans ingested before the first publish, and in all. The second batch also brings the first
#: scan again under another name (a duplicate) and a forged acta of a mesa already in (a conflict).
FIRST, TOTAL = 5, 8
LOG_SIZE = TOTAL + 2
IMAGES = TOTAL + 1


@dataclass(frozen=True)
class Published:
    """A workspace and its bundle, published after FIRST scans and again after the rest."""

    workspace: Path
    bundle: Path
    images: list[Path]
    """The genuine scans, in ingest order."""
    forged: Path
    key: str
    """The log's verifier key text, as a user would get it from the publisher."""
    old_checkpoint: str
    """log/checkpoint as published after the first FIRST scans."""
    reports: tuple[PublishReport, PublishReport, PublishReport]
    """First publish, second (the other scans, the copy, the forgery), third (nothing new)."""
    first_files: dict[str, int]
    """Modification time (ns) of every file of the bundle right after the first publish."""


def build(root: Path) -> Published:
    truth = json.loads(simulate(root / "sim", TOTAL, seed=33, quality="scan", forgeries=1, workers=1).read_text())
    images = [root / "sim" / f["file"] for f in truth["files"] if f["kind"] == "acta"]
    [forged] = [root / "sim" / f["file"] for f in truth["files"] if f["kind"] == "forged"]
    copy = root / "resent" / f"copia-{images[0].name}"
    copy.parent.mkdir()
    shutil.copy(images[0], copy)
    store = init_workspace(str(root / "ws"), "ve2024")
    bundle = root / "bundle"
    try:
        ingest(store, images[:FIRST], workers=1)
        first = publish(store, bundle)
        old = (bundle / CHECKPOINT).read_text(encoding="utf-8")
        first_files = {p.relative_to(bundle).as_posix(): p.stat().st_mtime_ns for p in bundle.rglob("*") if p.is_file()}
        ingest(store, [*images[FIRST:], copy, forged], workers=1)
        reports = (first, publish(store, bundle), publish(store, bundle))
        key = str(store.signer.verifier)
    finally:
        store.close()
    return Published(root / "ws", bundle, images, forged, key, old, reports, first_files)


_built: list[Published] = []


def shared(factory: pytest.TempPathFactory) -> Published:
    """The run's one `Published`, built on first use.

    Under pytest-xdist the publish and verify modules usually land on
    different workers: the first to ask builds it (about 30 s) under a file
    lock in the folder the workers share, the others wait for it and read it,
    instead of each building its own.
    """
    if not _built:
        if os.environ.get("PYTEST_XDIST_WORKER") is None:
            _built.append(build(factory.mktemp("published")))
        else:
            _built.append(_built_by_one_worker(factory.getbasetemp().parent))
    return _built[0]


def _built_by_one_worker(shared_folder: Path) -> Published:
    done = shared_folder / "published.pickle"
    with (shared_folder / "published.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not done.exists():
            published = build(shared_folder / "published")
            done.write_bytes(pickle.dumps(published))
        published = pickle.loads(done.read_bytes())
    assert isinstance(published, Published)
    return published


def copy_of(published: Published, target: Path) -> Path:
    """A copy of the bundle to tamper with."""
    return Path(shutil.copytree(published.bundle, target / "bundle"))


def workspace_with_same_key(published: Published, folder: Path) -> Store:
    """A second workspace signing with the first one's key: what a log operator rewriting history holds."""
    folder.mkdir(parents=True)
    shutil.copy(published.workspace / "testigo.json", folder / "testigo.json")
    shutil.copytree(published.workspace / "keys", folder / "keys")
    return init_workspace(str(folder), "ve2024")
