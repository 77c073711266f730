"""Expanding paths into the individual files to ingest.

Folders are walked recursively (sorted, so runs are reproducible) and zip
archives are read from disk one entry at a time (an archive of any size is
accepted; the file limit applies to each entry): their entries are never written to disk by name,
but entries that a careless tool would extract outside the target folder
(``../x``, ``/etc/x``), encrypted entries, nested archives and entries whose
size gives them away as a zip bomb are refused with a reason, since an archive
carrying them is malformed or malicious. Every input yields exactly one
`Incoming`, so nothing a user gave is silently skipped — except the
workspace's own folder when a walk meets it (its blobs and database are
testigo's, not the user's submissions).
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

#: Largest single file accepted; a phone photo is a few MB, a scanned PDF tens.
MAX_FILE_BYTES = 200 * 1024 * 1024
#: A zip entry that expands more than this many times is treated as a bomb.
MAX_ZIP_RATIO = 200
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


@dataclass(frozen=True)
class Incoming:
    """One file to ingest.

    `origin` identifies where it came from, stably across runs (absolute path,
    ``<absolute zip path>!<entry>``); `display` is how to show it to the user.
    `data` is None only when the input was refused before its bytes were read,
    and `reject` then (or for an empty or oversized file) holds the reason.
    """

    origin: str
    display: str
    data: bytes | None
    reject: str | None = None


def iter_inputs(
    paths: Iterable[str | Path], max_file_bytes: int = MAX_FILE_BYTES, skip_folder: Path | None = None
) -> Iterator[Incoming]:
    """Yield every file under `paths`, one at a time (only one file's bytes in memory).

    Folder walks do not enter `skip_folder` (the workspace).
    """
    skip = skip_folder.resolve() if skip_folder else None
    for given in paths:
        path = Path(given)
        if path.is_dir():
            yield from _walk(path, max_file_bytes, skip)
        else:
            yield from _file(path, str(given), max_file_bytes)


def _walk(folder: Path, max_file_bytes: int, skip: Path | None) -> Iterator[Incoming]:
    unreadable: list[OSError] = []
    # followlinks=False: a symlinked folder could loop or escape the tree
    for root, dirs, files in os.walk(folder, onerror=unreadable.append, followlinks=False):
        yield from _unreadable_folders(unreadable)
        dirs[:] = sorted(d for d in dirs if skip is None or (Path(root) / d).resolve() != skip)
        for name in sorted(files):
            yield from _file(Path(root) / name, str(Path(root) / name), max_file_bytes)
    yield from _unreadable_folders(unreadable)


def _unreadable_folders(errors: list[OSError]) -> Iterator[Incoming]:
    """A folder the walk could not list is an input with a reason, not a silent gap."""
    while errors:
        error = errors.pop(0)
        where = Path(error.filename) if error.filename else Path("?")
        yield Incoming(f"file:{where.resolve()}", str(where), None, f"cannot read folder: {error.strerror or error}")


def _file(path: Path, display: str, max_file_bytes: int) -> Iterator[Incoming]:
    origin = f"file:{path.resolve()}"
    try:
        size = path.stat().st_size
        if not path.is_file():
            yield Incoming(origin, display, None, "not a regular file")
            return
        with path.open("rb") as handle:
            head = handle.read(len(_ZIP_MAGIC[0]))
        if head.startswith(_ZIP_MAGIC):
            # an archive is not one file: the size limit applies to each entry, so a
            # coordinator's zip of thousands of photos is never refused whole
            yield from _zip_entries(path, origin, display, max_file_bytes)
            return
        if size > max_file_bytes:
            yield Incoming(origin, display, None, f"file too large: {size} bytes (limit {max_file_bytes})")
            return
        data = path.read_bytes()
    except FileNotFoundError:
        yield Incoming(origin, display, None, "no such file or folder")
        return
    except OSError as error:
        yield Incoming(origin, display, None, f"cannot read file: {error.strerror or error}")
        return
    yield Incoming(origin, display, data, "empty file (0 bytes)" if not data else None)


def _zip_entries(path: Path, origin: str, display: str, max_file_bytes: int) -> Iterator[Incoming]:
    """Each entry of the archive at `path`, read from disk one entry at a time."""
    try:
        archive = zipfile.ZipFile(path)
        entries = [info for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, ValueError) as error:
        yield _whole_archive(path, origin, display, max_file_bytes, f"corrupt zip archive: {error}")
        return
    with archive:
        if not entries:
            yield _whole_archive(path, origin, display, max_file_bytes, "zip archive has no files")
            return
        for info in entries:
            yield _entry(archive, info, origin, display, max_file_bytes)


def _whole_archive(path: Path, origin: str, display: str, max_file_bytes: int, reason: str) -> Incoming:
    """A refused archive as one input; its bytes are kept for review when they fit the file limit."""
    size = path.stat().st_size
    if size > max_file_bytes:
        return Incoming(origin, display, None, f"{reason} ({size} bytes, too large to keep)")
    return Incoming(origin, display, path.read_bytes(), reason)


def _entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, origin: str, display: str, max_file_bytes: int) -> Incoming:
    entry_origin = f"{origin}!{info.filename}"
    entry_display = f"{display}!{info.filename}"
    reason = _unsafe_entry(info, max_file_bytes)
    if reason:
        return Incoming(entry_origin, entry_display, None, reason)
    try:
        content = archive.read(info)
    except (zipfile.BadZipFile, OSError, RuntimeError, ValueError, NotImplementedError, EOFError) as error:
        return Incoming(entry_origin, entry_display, None, f"corrupt zip entry: {error}")
    if content.startswith(_ZIP_MAGIC):
        return Incoming(entry_origin, entry_display, None, "nested archive: extract it and ingest the inner zip")
    return Incoming(entry_origin, entry_display, content, None if content else "empty file (0 bytes)")


def unsafe_name(name: str) -> str | None:
    """Why an archive entry named `name` could land outside the folder it is extracted to, or None.

    Shared by every archive testigo reads (zip uploads here, published bundle
    archives in `testigo.publish.archive`): an absolute path, a drive letter or
    a ``..`` part, with either slash, is refused.
    """
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return f"unsafe archive entry: absolute path {name!r}"
    if ".." in parts:
        return f"unsafe archive entry: path escapes the archive {name!r}"
    return None


def _unsafe_entry(info: zipfile.ZipInfo, max_file_bytes: int) -> str | None:
    unsafe = unsafe_name(info.filename)
    if unsafe:
        return unsafe
    name = info.filename
    if info.flag_bits & 0x1:
        return "encrypted archive entry: decrypt the archive first"
    if info.file_size > max_file_bytes:
        return f"archive entry too large: {info.file_size} bytes (limit {max_file_bytes})"
    if info.compress_size and info.file_size / info.compress_size > MAX_ZIP_RATIO:
        return f"archive entry expands {info.file_size // info.compress_size}x: refused as a zip bomb"
    if name.lower().endswith((".zip", ".7z", ".rar", ".tar", ".gz", ".tgz")):
        return "nested archive: extract it and ingest the inner archive"
    return None
