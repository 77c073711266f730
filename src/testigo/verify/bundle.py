"""Reading a published bundle back from disk, trusting none of it.

Only the log part is read here (manifest, key, checkpoints, entries and the
names of the hash-named files); `testigo.verify` then checks each piece. The
file names come from `testigo.publish.layout`, the writer's own.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from testigo.errors import TestigoError
from testigo.publish.filelist import bundle_files
from testigo.publish.layout import (
    CHECKPOINT,
    CHECKPOINTS_DIR,
    CONSISTENCY_DIR,
    ENTRIES,
    FORMAT,
    IMAGES_DIR,
    KEY,
    MANIFEST,
    PREVIEWS_DIR,
    SOURCES_DIR,
    WITNESSES,
    checkpoint_path,
    consistency_path,
)

_SHA256_NAME = re.compile(r"([0-9a-f]{64})(\.[a-z0-9]+)?")


class BundleError(TestigoError):
    """A file of the bundle is missing or unreadable; str() names it."""


@dataclass
class Bundle:
    """The log part of a bundle as found on disk, read without trusting any of it."""

    root: Path
    manifest: dict[str, Any]
    key_text: str
    checkpoint: str
    entries: list[bytes]
    checkpoints: dict[int, str] = field(default_factory=dict)
    """Signed notes in log/checkpoints/ (the latest included), by the size in their file name."""
    consistency: dict[int, Any] = field(default_factory=dict)
    """Parsed log/consistency/ files, by the old size in their file name."""
    images: dict[str, str] = field(default_factory=dict)
    """sha256 -> bundle-relative path of every file in actas/ named by a hash."""
    tables: dict[str, str] = field(default_factory=dict)
    """sha256 -> bundle-relative path of every file in sources/ named by a hash."""
    previews: dict[str, str] = field(default_factory=dict)
    """sha256 of the original -> bundle-relative path of every file in previews/ named by a hash."""
    stray_images: list[str] = field(default_factory=list)
    """Files in actas/, sources/ or previews/ not named ``<sha256>.<ext>``."""
    witnesses: list[str] | None = None
    """The lines of log/witnesses.pub (witness keys the bundle names); None in a bundle of an older testigo."""

    def read_bytes(self, relative: str) -> bytes:
        return read_bytes(self.root, relative)

    def read_json(self, relative: str) -> Any:
        return read_json(self.root, relative)

    def files(self) -> list[str]:
        """Every non-hidden file (or link) of the bundle, relative and sorted."""
        return bundle_files(self.root)


def read_bytes(root: Path, relative: str) -> bytes:
    try:
        return (root / relative).read_bytes()
    except FileNotFoundError:
        raise BundleError(f"{relative} is missing") from None
    except OSError as error:
        raise BundleError(f"{relative} cannot be read: {error.strerror or error}") from None


def read_text(root: Path, relative: str) -> str:
    try:
        return read_bytes(root, relative).decode("utf-8")
    except UnicodeDecodeError as error:
        raise BundleError(f"{relative} is not UTF-8 text (byte {error.start})") from None


def read_json(root: Path, relative: str) -> Any:
    try:
        return json.loads(read_text(root, relative))
    except json.JSONDecodeError as error:
        raise BundleError(f"{relative} is not valid JSON (line {error.lineno}: {error.msg})") from None


def read_bundle(root: Path) -> Bundle:
    """Read the manifest, key, checkpoints, entries and image names; raises `BundleError` if one is missing.

    Entries are split on newlines only (an entry is canonical JSON, which
    never contains one), so a changed byte stays in its own entry.
    """
    if not root.is_dir():
        raise BundleError(f"{root} is not a folder")
    manifest = read_json(root, MANIFEST)
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BundleError(f"{MANIFEST} does not describe a {FORMAT} bundle")
    raw = read_bytes(root, ENTRIES)
    entries = raw.split(b"\n")
    if entries[-1] == b"":
        entries.pop()
    bundle = Bundle(root, manifest, read_text(root, KEY).strip(), read_text(root, CHECKPOINT), entries)
    if (root / WITNESSES).is_file():
        bundle.witnesses = read_text(root, WITNESSES).splitlines()
    for path in sorted((root / CHECKPOINTS_DIR).glob("*")):
        if path.name.isdigit():
            bundle.checkpoints[int(path.name)] = read_text(root, checkpoint_path(int(path.name)))
    for path in sorted((root / CONSISTENCY_DIR).glob("*.json")):
        if path.stem.isdigit():
            bundle.consistency[int(path.stem)] = read_json(root, consistency_path(int(path.stem)))
    for folder, found in ((IMAGES_DIR, bundle.images), (SOURCES_DIR, bundle.tables), (PREVIEWS_DIR, bundle.previews)):
        bundle.stray_images += _hash_named(root, folder, found)
    return bundle


def _hash_named(root: Path, folder: str, found: dict[str, str]) -> list[str]:
    """Fill `found` with the files of `folder` named by a SHA-256; return the others (hidden files aside)."""
    stray = []
    for path in sorted((root / folder).glob("*")):
        match = _SHA256_NAME.fullmatch(path.name)
        if match and path.is_file() and match.group(1) not in found:
            found[match.group(1)] = f"{folder}/{path.name}"
        elif not path.name.startswith("."):
            stray.append(f"{folder}/{path.name}")
    return stray
