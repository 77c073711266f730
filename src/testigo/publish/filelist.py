"""files.sha256: every file of a bundle with its SHA-256, so a copy can tell what changed without reading it.

A mirror (`testigo mirror`) or a person holding yesterday's copy compares two
lists and fetches only the files whose hash differs; over HTTP nothing else
says which files a bundle has. The list is in the format of `sha256sum`
(``<hex>  <path>``, one file a line, sorted by path), so ``sha256sum -c
files.sha256`` checks a copy without testigo. It lists every file of the
bundle but itself; `testigo verify` checks it matches the files exactly.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from testigo.publish.layout import FILE_LIST

_LINE = re.compile(r"([0-9a-f]{64})  (.+)")


def bundle_files(root: Path) -> list[str]:
    """Every non-hidden path of the bundle at `root` that is not a folder, relative and sorted.

    Hidden names (the writer's ``.tmp-`` files, a mirror's bookkeeping) are
    not part of a bundle; links and other non-files are listed, so that the
    archive can refuse them and verify can name them.
    """
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [name for name in dirs if not name.startswith(".")]
        base = Path(folder).relative_to(root)
        found += [(base / name).as_posix() for name in files if not name.startswith(".")]
        found += [(base / name).as_posix() for name in dirs if (Path(folder) / name).is_symlink()]
    return sorted(found)


def file_sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def list_files(root: Path) -> dict[str, str]:
    """Path -> SHA-256 of every file of the bundle at `root` but the list itself."""
    return {name: file_sha256(root / name) for name in bundle_files(root) if name != FILE_LIST}


def file_list_bytes(hashes: dict[str, str]) -> bytes:
    return "".join(f"{hashes[name]}  {name}\n" for name in sorted(hashes)).encode()


def parse_file_list(data: bytes) -> dict[str, str]:
    """Path -> SHA-256 from the bytes of a files.sha256; raises ValueError naming the first bad line."""
    hashes: dict[str, str] = {}
    for number, line in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
        match = _LINE.fullmatch(line)
        if not match or match.group(2) in hashes:
            raise ValueError(f"{FILE_LIST} line {number} is not '<sha256>  <path>' of a new path")
        hashes[match.group(2)] = match.group(1)
    return hashes
