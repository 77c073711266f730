"""Writing a bundle folder incrementally: only what changed is written, each file atomically.

Re-publishing after every ingest must stay cheap with 30,000 mesa pages and
their images, and mirrors syncing the folder (rsync, object storage) should
only see what is new. So a file whose bytes are already there is left alone,
an original or a preview (named by a hash) is never rewritten, and anything written goes
to a hidden temporary file first, renamed into place when complete.
"""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


class BundleWriter:
    """Writes files under `root`, counting per kind what was written and what was already there."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.written: Counter[str] = Counter()
        self.unchanged: Counter[str] = Counter()

    def write(self, relative: str, data: bytes, kind: str) -> None:
        """Write `data` at `relative` unless the file already holds exactly these bytes."""
        target = self.root / relative
        try:
            if target.stat().st_size == len(data) and target.read_bytes() == data:
                self.unchanged[kind] += 1
                return
        except FileNotFoundError:
            pass
        replace_atomically(target, lambda handle: handle.write(data))
        self.written[kind] += 1

    def write_once(self, relative: str, make: Callable[[], bytes | None], kind: str) -> bool:
        """Write what `make` returns at `relative` unless a file already lies there; False if there is none.

        For files named by a hash (originals, their previews): one that is
        there is complete (writes are atomic) and never needs rewriting, so
        `make` — a download from the blob store, a drawing — is not even called.
        """
        target = self.root / relative
        if target.exists():
            self.unchanged[kind] += 1
            return True
        data = make()
        if data is None:
            return False
        replace_atomically(target, lambda handle: handle.write(data))
        self.written[kind] += 1
        return True

    def report(self) -> dict[str, dict[str, int]]:
        kinds = sorted(set(self.written) | set(self.unchanged))
        return {kind: {"written": self.written[kind], "unchanged": self.unchanged[kind]} for kind in kinds}


def replace_atomically(target: Path, fill: Callable[[BinaryIO], object]) -> None:
    """Write `target` through `fill` into a hidden temporary file beside it, renamed onto it once complete.

    A reader (a web server, a mirror, a messaging app picking up an archive)
    sees the old file or the new one, never half of one.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            fill(handle)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
